/*
 * msi.h - decoding a message signalled interrupt: the address/data pair
 * a PCI device writes, in Intel's format, into the same message the APIC
 * bus carries (book §3.4; SDM vol. 3, "Message Signalled Interrupts":
 * "Message Address Register Format", "Message Data Register Format").
 *
 * Pure functions: no state, no lock.
 */
#ifndef VMM_MSI_H
#define VMM_MSI_H

#include <stdbool.h>
#include <stdint.h>

#include "irq/apicbus.h"

#define MSI_ADDR_BASE	0xFEE00000u
#define MSI_ADDR_RH	(1u << 3)	/* redirection hint */
#define MSI_ADDR_DM	(1u << 2)	/* destination mode: logical */
#define MSI_DATA_LEVEL	(1u << 14)	/* assert (level-triggered only) */
#define MSI_DATA_TRIGGER (1u << 15)	/* level triggered */

enum msi_result {
	MSI_OK = 0,
	MSI_DEASSERT = 1,	/* level-triggered de-assert: nothing to send */
	MSI_ERR_ADDR = -1,	/* not 0x00000000_FEExxxxx: a memory write */
	MSI_ERR_DM = -2,	/* reserved delivery mode (011, 110) */
};

/*
 * Decode; on MSI_OK *irq is the message to deliver. RH = 1 with the
 * Fixed mode asks for lowest-priority arbitration among the named
 * processors, so it is given as APIC_DM_LOWEST; DM selects physical or
 * logical destination as in the ICR.
 */
enum msi_result msi_decode(uint64_t addr, uint32_t data, struct apic_irq *irq);

/* True if reserved bits (address 11-4, data 31-16 and 13-11) are set. */
bool msi_reserved_bits(uint64_t addr, uint32_t data);

/* The address/data pair that carries `irq` (its shorthand must be none). */
void msi_compose(const struct apic_irq *irq, uint64_t *addr, uint32_t *data);

const char *msi_strerror(enum msi_result r);

#endif

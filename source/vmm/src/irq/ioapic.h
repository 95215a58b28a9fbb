/* @@ file 03 */
/*
 * ioapic.h - the Intel 82093AA I/O APIC at 0xFEC00000: IOREGSEL at +0x00,
 * IOWIN at +0x10, 24 redirection entries, version 0x11 (book §3.3.1;
 * 82093AA datasheet, "Register Description" and "Interrupt Delivery").
 *
 * Input levels are logical (1 = asserted): the pin's polarity bit is
 * stored for the guest but the wiring is the board's business, as the
 * GSI router hands over what the device means, not the voltage.
 *
 * Locking: struct ioapic has one mutex, taken by every public function
 * here. deliver() and warn() are called WITH it held; deliver may take
 * local APIC locks (apic_bus_deliver) but must not call back into the
 * I/O APIC, the PIC or the GSI router. Order: GSI router -> I/O APIC ->
 * local APIC. ioapic_eoi() is called by a local APIC after it dropped
 * its own lock.
 */
#ifndef VMM_IOAPIC_H
#define VMM_IOAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "irq/apicbus.h"
#include "irq/irqwarn.h"

#define IOAPIC_BASE_DEFAULT	0xFEC00000u
#define IOAPIC_PINS		24
#define IOAPIC_VERSION		0x00170011u	/* max entry 23, version 0x11 */
#define IOAPIC_REGSEL		0x00
#define IOAPIC_WIN		0x10

/* Redirection entry, low word. */
#define IOAPIC_RTE_DELIVS	(1u << 12)
#define IOAPIC_RTE_POLARITY	(1u << 13)
#define IOAPIC_RTE_REMOTE_IRR	(1u << 14)
#define IOAPIC_RTE_LEVEL	(1u << 15)
#define IOAPIC_RTE_MASKED	(1u << 16)

struct ioapic_ops {
	/* Send a message; return how many local APICs accepted it. Required. */
	int (*deliver)(void *opaque, const struct apic_irq *irq);
	irqwarn_fn *warn;
};

struct ioapic {
	pthread_mutex_t lock;
	uint8_t regsel;
	uint32_t id;
	uint64_t rte[IOAPIC_PINS];
	uint32_t line;		/* input levels */
	struct ioapic_ops ops;
	void *opaque;
	uint32_t warned;
};

void ioapic_init(struct ioapic *io, const struct ioapic_ops *ops,
		 void *opaque);
void ioapic_destroy(struct ioapic *io);
void ioapic_reset(struct ioapic *io);

/* MMIO at `offset` from the base. */
uint32_t ioapic_read(struct ioapic *io, uint64_t offset, unsigned int size);
void ioapic_write(struct ioapic *io, uint64_t offset, unsigned int size,
		  uint32_t val);

/* Pin `pin` (0-23) asserted (1) or not. */
void ioapic_set_irq(struct ioapic *io, unsigned int pin, int level);

/* A local APIC's EOI broadcast for a level-triggered `vector`. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* Redirection entry `pin`, and the message such an entry sends. */
uint64_t ioapic_rte(struct ioapic *io, unsigned int pin);
struct apic_irq ioapic_rte_message(uint64_t rte);
void ioapic_set_id(struct ioapic *io, uint8_t id);

#endif

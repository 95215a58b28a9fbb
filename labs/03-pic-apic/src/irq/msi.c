/*
 * msi.c - MSI address/data decode (msi.h; book §3.4).
 *
 * Address: 0xFEE in bits 31-20, destination ID in 19-12, reserved 11-4,
 * RH in bit 3, DM in bit 2. Data: vector in 7-0, delivery mode in 10-8,
 * level in 14, trigger mode in 15. Anything above bit 31 of the address
 * makes it an ordinary memory write, not an interrupt.
 */
#include "irq/msi.h"

enum msi_result msi_decode(uint64_t addr, uint32_t data, struct apic_irq *irq)
{
	/* EXERCISE 3.msi: Decode an MSI.
	 *
	 * `addr` and `data` are what a device wrote to send an MSI. Return
	 * MSI_OK with *irq the interrupt message it carries (apicbus.h:
	 * every field, as an I/O APIC or an ICR would fill it, no
	 * shorthand, no source), or, writing nothing to *irq, MSI_ERR_ADDR
	 * when it is not an interrupt at all, MSI_ERR_DM for a reserved
	 * delivery mode, MSI_DEASSERT for a de-assert message, which sends
	 * nothing. msi.h says how the redirection hint is taken.
	 *
	 * Read: Intel SDM vol. 3A, 10.11 (Message Signalled Interrupts:
	 * the message address and data register formats); book §3.4.
	 *
	 * Tests: unit.msi unit.irq-paths unit.irqtest-msi guest.msi.user
	 * Stub: (void)addr; (void)data; (void)irq;
	 *	return MSI_ERR_ADDR;
	 */
	unsigned int dm = (data >> 8) & 7;
	bool level = data & MSI_DATA_TRIGGER;

	if ((addr & 0xFFFFFFFFFFF00000ull) != MSI_ADDR_BASE)
		return MSI_ERR_ADDR;
	if (dm == 3 || dm == APIC_DM_SIPI)
		return MSI_ERR_DM;
	if (level && !(data & MSI_DATA_LEVEL))
		return MSI_DEASSERT;
	if (dm == APIC_DM_FIXED && (addr & MSI_ADDR_RH))
		dm = APIC_DM_LOWEST;
	*irq = (struct apic_irq){
		.vector = data & 0xFF,
		.dm = (uint8_t)dm,
		.logical = (addr & MSI_ADDR_DM) != 0,
		.level = level && dm <= APIC_DM_LOWEST,
		.assert = 1,
		.shorthand = APIC_SH_NONE,
		.dest = (addr >> 12) & 0xFF,
		.source = APIC_SRC_NONE,
	};
	return MSI_OK;
	/* END EXERCISE 3.msi */
}

bool msi_reserved_bits(uint64_t addr, uint32_t data)
{
	return (addr & 0xFF0) || (data & 0xFFFF3800u);
}

void msi_compose(const struct apic_irq *irq, uint64_t *addr, uint32_t *data)
{
	*addr = MSI_ADDR_BASE | (uint32_t)irq->dest << 12 |
		(irq->logical ? MSI_ADDR_DM : 0) |
		(irq->dm == APIC_DM_LOWEST ? MSI_ADDR_RH : 0);
	*data = irq->vector | (uint32_t)(irq->dm & 7) << 8 |
		(irq->level ? MSI_DATA_TRIGGER : 0) | MSI_DATA_LEVEL;
}

const char *msi_strerror(enum msi_result r)
{
	switch (r) {
	case MSI_OK:		return "ok";
	case MSI_DEASSERT:	return "level de-assert message";
	case MSI_ERR_ADDR:	return "address outside 0xFEExxxxx";
	case MSI_ERR_DM:	return "reserved delivery mode";
	}
	return "?";
}

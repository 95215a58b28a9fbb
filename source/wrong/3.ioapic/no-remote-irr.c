/* Wrong 3.ioapic: a level message never sets remote IRR.
 *
 * Why a student writes it: remote IRR "is set by the local APIC", so it
 * seemed to be the other side's business.
 *
 * Fails: unit.ioapic guest.ioapic-level.user guest.ioapic-level.split
 */
--- find
	if (irq.level && n > 0)
		io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
+++ replace
	(void)n;

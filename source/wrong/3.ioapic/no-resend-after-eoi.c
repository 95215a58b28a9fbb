/* Wrong 3.ioapic: the EOI clears remote IRR, but a pin still asserted waits for its next edge.
 *
 * Why a student writes it: level pins are sent when their line changes,
 * like edge pins, and the EOI looked like bookkeeping.
 *
 * Fails: unit.ioapic guest.ioapic-level.user guest.ioapic-level.split
 */
--- find
		io->rte[pin] &= ~(uint64_t)IOAPIC_RTE_REMOTE_IRR;
		ioapic_service_level(io, pin);
+++ replace
		io->rte[pin] &= ~(uint64_t)IOAPIC_RTE_REMOTE_IRR;

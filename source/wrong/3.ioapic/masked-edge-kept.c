/* Wrong 3.ioapic: an edge on a masked pin is sent when the pin is unmasked.
 *
 * Why a student writes it: the 8259A keeps a masked request in its IRR,
 * and the I/O APIC looked like it should too.
 *
 * Fails: unit.ioapic
 */
--- find
	uint64_t rte = io->rte[pin];

	if (!rte_level(rte) || (rte & (IOAPIC_RTE_MASKED |
				       IOAPIC_RTE_REMOTE_IRR)))
		return;
+++ replace
	uint64_t rte = io->rte[pin];

	if (rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR))
		return;

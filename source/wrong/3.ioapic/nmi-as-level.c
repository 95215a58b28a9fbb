/* Wrong 3.ioapic: the trigger mode bit is taken as it is, whatever the delivery mode.
 *
 * Why a student writes it: the entry has a trigger mode bit, so the
 * message gets it; that NMI, SMI, INIT and ExtINT are always edge is a
 * line of the datasheet easy to miss.
 *
 * Fails: unit.ioapic
 */
--- find
	irq.level = rte_level(rte) && irq.dm <= APIC_DM_LOWEST;
+++ replace
	irq.level = rte_level(rte);

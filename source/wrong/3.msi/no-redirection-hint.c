/* Wrong 3.msi: the redirection hint is ignored.
 *
 * Why a student writes it: RH is one bit among the address's, and a
 * fixed interrupt "goes where it says".
 *
 * Fails: unit.msi
 */
--- find
	if (dm == APIC_DM_FIXED && (addr & MSI_ADDR_RH))
		dm = APIC_DM_LOWEST;
+++ replace

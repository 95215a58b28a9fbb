/* Wrong 3.msi: only the low 32 bits of the address are looked at.
 *
 * Why a student writes it: PCI's MSI address register is 32 bits wide,
 * and the upper half is zero in every MSI the guests send.
 *
 * Fails: unit.msi
 */
--- find
	if ((addr & 0xFFFFFFFFFFF00000ull) != MSI_ADDR_BASE)
		return MSI_ERR_ADDR;
+++ replace
	if ((addr & 0xFFF00000u) != MSI_ADDR_BASE)
		return MSI_ERR_ADDR;

/* Wrong 3.msi: every MSI is sent to a physical destination.
 *
 * Why a student writes it: the destination ID is an APIC ID in every
 * example they read first.
 *
 * Fails: unit.msi guest.msi.user
 */
--- find
		.logical = (addr & MSI_ADDR_DM) != 0,
+++ replace
		.logical = 0,

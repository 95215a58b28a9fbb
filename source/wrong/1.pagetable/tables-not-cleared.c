/* Wrong 1.pagetable: the entries in use written, the rest left as found.
 *
 * A fresh VM's RAM is zero there, so a guest runs; the unit test's RAM
 * is not, and neither is a VM's that ran before.
 *
 * Fails: unit.pagetable
 */
--- find
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
+++ replace

/* Wrong 2.walker: a 32-bit PDE with PS taken for a page table pointer.
 *
 * With CR4.PSE a PDE can map a 4 MiB page itself; read as a pointer, its
 * frame is taken for a table, and the walk reads data as entries.
 *
 * Fails: unit.pagewalk guest.pagewalk-legacy
 */
--- find
	if ((pde & PW_PTE_PS) && (cpu->cr4 & PW_CR4_PSE)) {
+++ replace
	if (0) {

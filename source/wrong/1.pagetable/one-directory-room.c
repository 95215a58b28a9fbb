/* Wrong 1.pagetable: the room check counts one page directory, not four.
 *
 * With just enough RAM for the first directory, the others are written
 * past the end of guest RAM.
 *
 * Fails: unit.pagetable
 */
--- find
	if (ram_size < BOOT_PD + BOOT_NR_PD * 4096)
+++ replace
	if (ram_size < BOOT_PD + 4096)

/* Wrong 1.pagetable: PS set at every level below the PML4.
 *
 * In a PDPT entry PS means a 1 GiB page: the page directories are never
 * used, and the GiB is mapped at the directory's address.
 *
 * Fails: unit.pagetable guest.hello64 guest.mmio-widths
 */
--- find
		pdpt[i] = (BOOT_PD + i * 4096) | PTE_P | PTE_RW;
+++ replace
		pdpt[i] = (BOOT_PD + i * 4096) | PTE_P | PTE_RW | PTE_PS;

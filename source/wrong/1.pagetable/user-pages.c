/* Wrong 1.pagetable: every entry open to user mode as well.
 *
 * The guest starts at ring 0 and runs; but the contract gives the map to
 * the guest's kernel alone (U/S = 0), as a kernel's own tables would.
 *
 * Fails: unit.pagetable
 */
--- find
	pml4[0] = BOOT_PDPT | PTE_P | PTE_RW;
+++ replace
	pml4[0] = BOOT_PDPT | PTE_P | PTE_RW | (1ULL << 2);
--- find
		pdpt[i] = (BOOT_PD + i * 4096) | PTE_P | PTE_RW;
+++ replace
		pdpt[i] = (BOOT_PD + i * 4096) | PTE_P | PTE_RW | (1ULL << 2);
--- find
			pd[j] = ((i << 30) + (j << 21)) | PTE_P | PTE_RW | PTE_PS;
+++ replace
			pd[j] = ((i << 30) + (j << 21)) | PTE_P | PTE_RW | PTE_PS | (1ULL << 2);

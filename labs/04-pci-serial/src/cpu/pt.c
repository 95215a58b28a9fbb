/*
 * pt.c - the page tables a long-mode guest starts on: an identity map,
 * virtual address = guest-physical address, built by the VMM in guest
 * RAM before the first KVM_RUN (book §1.5.6; Intel SDM vol. 3, 4.5).
 */
#include <errno.h>
#include <string.h>

#include "core/err.h"
#include "cpu/boot.h"
#include "cpu/pt.h"

/*
 * Identity-map the first 4 GiB with 2 MiB pages: guest-virtual address
 * equals guest-physical address, for RAM and for the MMIO hole alike.
 */
int pt_build(uint8_t *ram, uint64_t ram_size)
{
	/* EXERCISE 1.pagetable: The page tables a long-mode guest starts on.
	 *
	 * pt_build() - write, in guest RAM, 4-level page tables that map
	 * every guest-virtual address below 4 GiB to the same guest-physical
	 * address with 2 MiB pages, and nothing else.
	 *	In: ram, the VMM's view of guest-physical address 0, and
	 *	  ram_size, its length in bytes; the memory may hold anything.
	 *	Out: the tables where guests/README.md ("Loading") promises
	 *	  them: the PML4 at BOOT_PML4, one PDPT at BOOT_PDPT, and
	 *	  BOOT_NR_PD page directories from BOOT_PD up, one after the
	 *	  other, directory i mapping the GiB at i GiB. An entry in use
	 *	  is present, writable and for the supervisor (U/S = 0), with no
	 *	  other flag than what its level needs; every entry not in use
	 *	  is 0. Nothing outside the tables is written.
	 *	Returns 0, or -EINVAL (through err_set()) when RAM is too small
	 *	  to hold the last table, having written nothing.
	 *
	 * Read: Intel SDM vol. 3A, 4.5 "4-Level Paging and 5-Level Paging"
	 * (figure 4-9, a 2 MiB page; tables 4-15 to 4-18, the entries), and
	 * 9.8.5 "Initializing IA-32e Mode".
	 *
	 * Tests: unit.pagetable guest.hello64 guest.mmio-widths guest.hostile-io
	 * Stub: (void)ram;
	 * (void)ram_size;
	 * return err_set(-ENOSYS, "pt_build() is not written yet (exercise 1.pagetable)");
	 */
	uint64_t *pml4 = (uint64_t *)(ram + BOOT_PML4);
	uint64_t *pdpt = (uint64_t *)(ram + BOOT_PDPT);
	uint64_t i, j;

	if (ram_size < BOOT_PD + BOOT_NR_PD * 4096)
		return err_set(-EINVAL, "guest RAM too small for page tables");
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT | PTE_P | PTE_RW;
	for (i = 0; i < BOOT_NR_PD; i++) {
		uint64_t *pd = (uint64_t *)(ram + BOOT_PD + i * 4096);

		pdpt[i] = (BOOT_PD + i * 4096) | PTE_P | PTE_RW;
		for (j = 0; j < 512; j++)
			pd[j] = ((i << 30) + (j << 21)) | PTE_P | PTE_RW | PTE_PS;
	}
	return 0;
	/* END EXERCISE 1.pagetable */
}

/*
 * Lab 02: guest RAM and DIMMs may lie above 4 GiB (src/mem/memmap.c), so the
 * identity map goes on past pt_build()'s four page directories, in the
 * same way: page directory i, for the GiB at i GiB, at BOOT_PD + i * 4096
 * and in PDPT entry i, up to `top` (rounded up to a whole GiB).
 */
int pt_extend(uint8_t *ram, uint64_t ram_size, uint64_t top)
{
	uint64_t *pdpt = (uint64_t *)(ram + BOOT_PDPT);
	uint64_t gib = (top + (1ULL << 30) - 1) >> 30;
	uint64_t i, j;

	if (BOOT_PD + gib * 4096 > BOOT_PD_END || gib > 512)
		return err_set(-E2BIG,
			       "cannot identity-map %llu GiB: the page directories would pass 0x%llx",
			       (unsigned long long)gib,
			       (unsigned long long)BOOT_PD_END);
	if (ram_size < BOOT_PD + gib * 4096)
		return err_set(-EINVAL, "guest RAM too small for page tables");
	for (i = BOOT_NR_PD; i < gib; i++) {
		uint64_t *pd = (uint64_t *)(ram + BOOT_PD + i * 4096);

		pdpt[i] = (BOOT_PD + i * 4096) | PTE_P | PTE_RW;
		for (j = 0; j < 512; j++)
			pd[j] = ((i << 30) + (j << 21)) | PTE_P | PTE_RW | PTE_PS;
	}
	return 0;
}

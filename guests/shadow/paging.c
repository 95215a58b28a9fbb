/*
 * Frames, page tables and address spaces of the shadow guest (see
 * paging.h). Tables are 4-level, 4 KiB pages; the kernel half (PML4
 * entry 0: the direct map the VMM built) is shared by every address
 * space, as a kernel's is.
 */
#include "console.h"
#include "paging.h"
#include "platform.h"

int pv_shadow;
uint64_t cur_cr3;

static uint16_t pv_port;
static uint64_t next_free, nr_pages, kernel_pml4e;

void paging_init(const struct pv_start_info *si)
{
	pv_shadow = si->mode == PV_PAGING_SHADOW;
	pv_port = (uint16_t)si->hc_port;
	nr_pages = si->nr_pages;
	next_free = si->first_free;
	cur_cr3 = si->pt_base;
	kernel_pml4e = pa_ptr(si->pt_base)[0];
}

/* Through the direct map: virtual = pseudo-physical. */
uint64_t *pa_ptr(uint64_t pa)
{
	return (uint64_t *)pa;
}

/* A frame never used before (the VMM gives us zeroed memory). */
uint64_t frame_alloc(void)
{
	if (next_free >= nr_pages) {
		con_printf("out of memory: %lu frames\n", nr_pages);
		vm_exit(126);
	}
	return next_free++ * PAGE;
}

static uint64_t table_alloc(void)
{
	uint64_t pa = frame_alloc();
	volatile uint64_t *t = pa_ptr(pa);
	unsigned int i;

	for (i = 0; i < 512; i++)
		t[i] = 0;
	return pa;
}

/* A new PML4 that shares the kernel half. */
uint64_t new_address_space(void)
{
	uint64_t pml4 = table_alloc();

	pa_ptr(pml4)[0] = kernel_pml4e;
	return pml4;
}

/* The PTE for va in address space cr3, making the tables above it. */
uint64_t *pte_of(uint64_t cr3, uint64_t va)
{
	volatile uint64_t *t = pa_ptr(cr3);
	int shift;

	for (shift = 39; shift > 12; shift -= 9) {
		volatile uint64_t *e = &t[(va >> shift) & 511];

		if (!(*e & PTE_P))
			*e = table_alloc() | PTE_P | PTE_RW;
		t = pa_ptr(*e & PTE_ADDR);
	}
	return (uint64_t *)&t[(va >> 12) & 511];
}

static void pv_call(uint32_t nr, uint64_t arg)
{
	uint64_t r = hypercall(pv_port, nr, arg, 0, 0);

	if (r != PV_OK) {
		con_printf("hypercall %u (0x%lx) failed: 0x%lx\n", nr, arg, r);
		vm_exit(126);
	}
}

void load_cr3(uint64_t cr3)
{
	cur_cr3 = cr3;
	if (pv_shadow)
		pv_call(PV_HC_LOAD_CR3, cr3);
	else
		asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

void flush_page(uint64_t va)
{
	if (pv_shadow)
		pv_call(PV_HC_INVLPG, va);
	else
		asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/*
 * Our own page tables, the way a paravirtual kernel keeps them: in
 * pseudo-physical frames, written through the direct map (virtual =
 * pseudo-physical, shared by every address space), loaded with a
 * hypercall in shadow mode and with MOV to CR3 on the hardware.
 */
#ifndef SHADOW_PAGING_H
#define SHADOW_PAGING_H

#include <stdint.h>

#include "pv.h"

#define PAGE		4096ULL
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_XD		(1ULL << 63)
#define PTE_ADDR	0x000ffffffffff000ULL

extern int pv_shadow;		/* shadow mode: hypercalls */
extern uint64_t cur_cr3;

void paging_init(const struct pv_start_info *si);
uint64_t frame_alloc(void);
uint64_t *pa_ptr(uint64_t pa);
uint64_t new_address_space(void);
uint64_t *pte_of(uint64_t cr3, uint64_t va);
void load_cr3(uint64_t cr3);
void flush_page(uint64_t va);

#endif

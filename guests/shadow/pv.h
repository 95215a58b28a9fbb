/*
 * The paravirtual platform as the guest sees it (the VMM's side is
 * labs/02-memory/src/pv.h, which documents it): the ELF note that asks
 * for it, the start info found at RDI, and the hypercalls.
 */
#ifndef GUEST_PV_H
#define GUEST_PV_H

#include <stdint.h>

#define PV_NOTE_PAGING		1	/* note "vmmlab", type 1: 4-byte mode */
#define PV_PAGING_SHADOW	1	/* the VMM's shadow tables, hypercalls */
#define PV_PAGING_DIRECT	2	/* our own tables in CR3 */
#define PV_START_MAGIC		0x56504d56U	/* "VMPV" */

#define PV_HC_LOAD_CR3		1	/* RDI = the new CR3 */
#define PV_HC_INVLPG		2	/* RDI = a virtual address */
#define PV_HC_PAGE_FAULT	3	/* RDI = CR2, RSI = error code */

#define PV_OK			0ULL	/* done; for a #PF: filled, retry */
#define PV_TRUE_FAULT		1ULL	/* RSI = the error code our tables give */

struct pv_start_info {
	uint32_t magic;
	uint32_t mode;
	uint64_t nr_pages;	/* pseudo-physical frames 0 .. nr_pages - 1 */
	uint64_t pt_base;	/* our first CR3 */
	uint64_t first_free;	/* the first frame we may use */
	uint64_t hc_port;
};

/* A 4-byte OUT of the number; RAX is the result, RSI a second one. */
static inline uint64_t hypercall(uint16_t port, uint32_t nr, uint64_t a0,
				 uint64_t a1, uint64_t *out1)
{
	uint64_t rax = nr, rsi = a1;

	asm volatile("outl %%eax, %%dx"
		     : "+a"(rax), "+S"(rsi)
		     : "d"(port), "D"(a0)
		     : "memory");
	if (out1)
		*out1 = rsi;
	return rax;
}

#endif

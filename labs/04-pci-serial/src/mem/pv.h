/*
 * pv.h - the paravirtual platform: what a guest that declares itself
 * paravirtual gets instead of a PC (book §2.3-2.4; the hypercalls and
 * the start-info page are modelled on Xen's).
 *
 * A guest declares itself paravirtual with an ELF note (PT_NOTE): name
 * "vmmlab", type PV_NOTE_PAGING, a 4-byte description holding the paging
 * mode it wants. The VMM then gives it pseudo-physical memory (src/mem/p2m.h),
 * initial page tables in that memory, and a start-info page, and enters
 * it in long mode with RDI pointing at the start info. In mode
 * PV_PAGING_SHADOW the CPU runs on shadow tables (src/mem/shadow.h) and the
 * guest talks to the VMM through hypercalls; in mode PV_PAGING_DIRECT the
 * same guest gets the same start state, an identity P2M, and its own
 * tables in CR3 - the hardware's paging, for comparison.
 *
 * The layout, for a guest image at pseudo-physical [start, end):
 *   pseudo-physical frames 0 .. nr_pages - 1, nr_pages = (RAM below the
 *     PCI hole - 1 MiB) rounded down to 2 MiB, at most 1 GiB;
 *   the page after the image: the start info; then the PML4, the PDPT and
 *     the page directory of the initial tables, which map virtual =
 *     pseudo-physical with 2 MiB pages over all of the guest's memory;
 *   CR0.WP and EFER.NXE are set (the shadow needs WP to write-protect
 *     page tables from a CPL 0 guest).
 *
 * Hypercalls (mode PV_PAGING_SHADOW): a 4-byte OUT to PV_PORT of the
 * hypercall number, arguments in RDI and RSI, the result in RAX (and
 * RSI). A 4-byte IN from the port reads PV_PORT_MAGIC.
 *   PV_HC_LOAD_CR3 (RDI = the new CR3, a pseudo-physical address)
 *   PV_HC_INVLPG (RDI = a virtual address)
 *   PV_HC_PAGE_FAULT (RDI = CR2, RSI = the #PF error code): PV_OK when
 *     the VMM filled the shadow (return and retry), PV_TRUE_FAULT with
 *     the error code the guest's own tables give in RSI.
 * Errors: PV_EINVAL (a bad argument), PV_EFAULT (the guest's tables map a
 * frame it does not have, or a new CR3 does not map its image), PV_ENOSYS.
 */
#ifndef VMM_PV_H
#define VMM_PV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#include "mem/p2m.h"
#include "mem/shadow.h"

#define PV_NOTE_NAME		"vmmlab"
#define PV_NOTE_PAGING		1
#define PV_PAGING_SHADOW	1	/* the VMM's shadow tables, hypercalls */
#define PV_PAGING_DIRECT	2	/* the guest's own tables in CR3 */

#define PV_PORT			0x600
#define PV_PORT_MAGIC		0x56504d56U	/* "VMPV" */
#define PV_START_MAGIC		0x56504d56U

#define PV_HC_LOAD_CR3		1
#define PV_HC_INVLPG		2
#define PV_HC_PAGE_FAULT	3

#define PV_OK			0ULL
#define PV_TRUE_FAULT		1ULL
#define PV_EINVAL		((uint64_t)-1)
#define PV_EFAULT		((uint64_t)-2)
#define PV_ENOSYS		((uint64_t)-3)

#define PV_MFN_BASE		256	/* machine frames below 1 MiB are the VMM's */
#define PV_MAX_PAGES		(1ULL << 18)	/* 1 GiB: one page directory */
#define PV_P2M_SEED		0x5eed5eedULL
#define PV_POOL_PAGES		1024	/* 4 MiB of shadow tables */
/* The same shadow fault this many times in a row: the handler is stuck. */
#define PV_FAULT_REPEAT		64

/* The page the guest finds at RDI when it starts. */
struct pv_start_info {
	uint32_t magic;		/* PV_START_MAGIC */
	uint32_t mode;		/* PV_PAGING_SHADOW or PV_PAGING_DIRECT */
	uint64_t nr_pages;	/* pseudo-physical frames 0 .. nr_pages - 1 */
	uint64_t pt_base;	/* the initial PML4: the guest's first CR3 */
	uint64_t first_free;	/* the first frame after the start-up pages */
	uint64_t hc_port;	/* the hypercall port (shadow mode) */
};

struct vm;

struct pv {
	unsigned int mode;		/* 0: not a paravirtual guest */
	uint64_t image_start;		/* pseudo-physical = virtual */
	uint64_t image_end;
	uint64_t nr_pages;
	uint64_t start_info;		/* pseudo-physical addresses */
	uint64_t pt_base;
	struct p2m p2m;
	struct shadow shadow;
	bool shadow_on;
	struct vm *vm;
	uint8_t *pool;			/* the shadow tables' memslot */
	uint64_t pool_gpa;
	uint64_t pool_size;
	/* The last shadow fault, to catch one that never gets fixed. */
	uint64_t last_cr2;
	uint32_t last_error;
	unsigned int repeats;
	uint64_t hypercalls;
	unsigned int warned;		/* PV_WARN_* already logged */
};

int pv_probe(struct pv *pv, const uint8_t *image, size_t len,
	     uint64_t ram_size);
int pv_build_start(const struct pv *pv, uint8_t *ram, uint64_t ram_size);
int pv_hypercall(struct pv *pv, uint32_t nr, struct kvm_regs *regs);
void pv_free(struct pv *pv);
int pv_init(struct vm *vm, void **state);
int pv_start(void *state, struct vm *vm);
void pv_stats(void *state, FILE *out);
void pv_exit(void *state, struct vm *vm);

#endif

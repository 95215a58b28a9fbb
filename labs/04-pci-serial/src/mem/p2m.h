/*
 * p2m.h - a paravirtual guest's pseudo-physical memory (book §2.3-2.4,
 * shadow paging; the names are Xen's).
 *
 * The guest believes its RAM is frames 0 .. nr_pages - 1 ("pseudo-
 * physical frames", pfn). They really live in machine frames (mfn: for
 * us, KVM guest-physical frames) that the VMM picks: the P2M table maps
 * pfn -> mfn and the M2P table maps back. The VMM scrambles the P2M with
 * a permutation, so that a shadow entry built from the wrong kind of
 * address points at some other frame and the guest's checksums see it.
 */
#ifndef VMM_P2M_H
#define VMM_P2M_H

#include <stdint.h>

#define P2M_NONE	UINT64_MAX	/* no such frame */

struct p2m {
	uint64_t nr_pages;	/* pseudo-physical frames 0 .. nr_pages - 1 */
	uint64_t mfn_base;	/* they use machine frames mfn_base .. + nr_pages - 1 */
	uint32_t *mfn;		/* P2M: pfn -> mfn */
	uint32_t *pfn;		/* M2P: mfn - mfn_base -> pfn */
};

int p2m_init(struct p2m *p, uint64_t nr_pages, uint64_t mfn_base,
	     uint64_t seed);
void p2m_free(struct p2m *p);
uint64_t p2m_mfn(const struct p2m *p, uint64_t pfn);
uint64_t p2m_pfn(const struct p2m *p, uint64_t mfn);
uint8_t *p2m_frame(const struct p2m *p, uint8_t *ram, uint64_t ram_size,
		   uint64_t pfn);
int p2m_relocate(const struct p2m *p, uint8_t *ram, uint64_t ram_size,
		 uint64_t first, uint64_t end);

#endif

/*
 * p2m.c - the P2M and M2P tables of a paravirtual guest, and moving its
 * image to the machine frames they name (book §2.3-2.4; Xen keeps the
 * same two tables for its PV guests).
 *
 * The permutation is Fisher-Yates driven by a fixed seed, so a run is
 * reproducible: the same seed scrambles memory the same way every time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "mem/p2m.h"

#define PAGE_SIZE	4096ULL

/* xorshift64*: small, fast, and good enough to shuffle frames. */
static uint64_t p2m_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/*
 * nr_pages guest frames in machine frames mfn_base onwards. seed 0 gives
 * the identity order (pfn n in machine frame mfn_base + n); any other
 * seed a permutation of the same machine frames.
 */
int p2m_init(struct p2m *p, uint64_t nr_pages, uint64_t mfn_base,
	     uint64_t seed)
{
	uint64_t i, j, state = seed;
	uint32_t t;

	memset(p, 0, sizeof(*p));
	if (nr_pages == 0 || mfn_base + nr_pages > UINT32_MAX)
		return err_set(-EINVAL, "P2M of %llu frames at machine frame %llu: out of range",
			       (unsigned long long)nr_pages,
			       (unsigned long long)mfn_base);
	p->mfn = calloc(nr_pages, sizeof(*p->mfn));
	p->pfn = calloc(nr_pages, sizeof(*p->pfn));
	if (!p->mfn || !p->pfn) {
		p2m_free(p);
		return err_set(-ENOMEM, "no memory for a P2M of %llu frames",
			       (unsigned long long)nr_pages);
	}
	p->nr_pages = nr_pages;
	p->mfn_base = mfn_base;
	for (i = 0; i < nr_pages; i++)
		p->mfn[i] = (uint32_t)(mfn_base + i);
	for (i = nr_pages - 1; seed && i > 0; i--) {
		j = p2m_rand(&state) % (i + 1);
		t = p->mfn[i];
		p->mfn[i] = p->mfn[j];
		p->mfn[j] = t;
	}
	for (i = 0; i < nr_pages; i++)
		p->pfn[p->mfn[i] - mfn_base] = (uint32_t)i;
	return 0;
}

void p2m_free(struct p2m *p)
{
	free(p->mfn);
	free(p->pfn);
	memset(p, 0, sizeof(*p));
}

/* The machine frame of guest frame pfn, or P2M_NONE if it has none. */
uint64_t p2m_mfn(const struct p2m *p, uint64_t pfn)
{
	if (pfn >= p->nr_pages)
		return P2M_NONE;
	return p->mfn[pfn];
}

/* The guest frame that lives in machine frame mfn, or P2M_NONE. */
uint64_t p2m_pfn(const struct p2m *p, uint64_t mfn)
{
	if (mfn < p->mfn_base || mfn - p->mfn_base >= p->nr_pages)
		return P2M_NONE;
	return p->pfn[mfn - p->mfn_base];
}

/*
 * Guest frame pfn in machine memory, where machine frame n is at
 * ram + n * 4096: NULL when it has no machine frame inside ram_size.
 */
uint8_t *p2m_frame(const struct p2m *p, uint8_t *ram, uint64_t ram_size,
		   uint64_t pfn)
{
	uint64_t mfn = p2m_mfn(p, pfn);

	if (mfn == P2M_NONE || mfn >= ram_size / PAGE_SIZE)
		return NULL;
	return ram + mfn * PAGE_SIZE;
}

/*
 * The loader put guest frames first .. end - 1 where an identity P2M
 * would have them (frame n at machine frame n). Move each to the machine
 * frame the P2M gives it. Every frame involved is copied out first and
 * the old places are cleared, because they now belong to other guest
 * frames, which start as zeros like all RAM.
 */
int p2m_relocate(const struct p2m *p, uint8_t *ram, uint64_t ram_size,
		 uint64_t first, uint64_t end)
{
	uint64_t n = end - first, i, mfn;
	uint8_t *copy;

	if (first > end || end > p->nr_pages || end * PAGE_SIZE > ram_size)
		return err_set(-EINVAL, "guest frames 0x%llx-0x%llx are outside its memory",
			       (unsigned long long)first,
			       (unsigned long long)end);
	for (i = 0; i < p->nr_pages; i++)
		if ((uint64_t)p->mfn[i] * PAGE_SIZE + PAGE_SIZE > ram_size)
			return err_set(-EINVAL, "machine frame 0x%llx is outside guest RAM",
				       (unsigned long long)p->mfn[i]);
	if (n == 0)
		return 0;
	copy = malloc(n * PAGE_SIZE);
	if (!copy)
		return err_set(-ENOMEM, "no memory to move %llu guest frames",
			       (unsigned long long)n);
	memcpy(copy, ram + first * PAGE_SIZE, n * PAGE_SIZE);
	memset(ram + first * PAGE_SIZE, 0, n * PAGE_SIZE);
	for (i = 0; i < n; i++) {
		mfn = p->mfn[first + i];
		memcpy(ram + mfn * PAGE_SIZE, copy + i * PAGE_SIZE, PAGE_SIZE);
	}
	free(copy);
	return 0;
}

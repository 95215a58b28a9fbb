/*
 * fuzz_shadow.c - shadow paging for a paravirtual guest (src/shadow.c)
 * through its hypercall handler (src/pv.c): any sequence of CR3 loads,
 * INVLPGs, forwarded page faults and unknown hypercalls, interleaved
 * with writes to the guest's own page tables, over a P2M that the input
 * scrambles, a shadow pool of any size and a pinned range.
 *
 * Input: the number of guest frames (16 to 64), the P2M's seed (0: the
 * identity), the pool's size (8 to 63 pages), the pinned range, then up
 * to 64 operations: a write to guest frame f, entry i, of a value
 * pointing at frame g with any flags or of any value; a hypercall with
 * RDI (and RSI) either small and well-formed or any 64-bit value. The
 * guest's frames start zeroed.
 *
 * Covers: src/mem/shadow.c src/mem/pv.c src/mem/p2m.c
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mem/pv.h"

#define PG		4096ULL
#define MFN_BASE	4

static uint64_t small_or_any(struct fuzz_in *in, uint64_t limit)
{
	uint8_t how = fz_u8(in);

	if (how & 1)
		return fz_u64(in);
	return (fz_u32(in) % limit) | (how >> 1 & 7);
}

static void write_guest(struct pv *pv, uint8_t *ram, struct fuzz_in *in)
{
	uint64_t pfn = fz_u8(in) % pv->nr_pages;
	unsigned int index = fz_u16(in) % 512;
	uint8_t how = fz_u8(in);
	uint64_t v;

	if (how & 1)
		v = fz_u64(in);
	else	/* a frame of ours (or just past), flags from the input */
		v = (uint64_t)(fz_u8(in) % (pv->nr_pages + 2)) * PG |
		    fz_u16(in) | (how & 0x80 ? PW_PTE_XD : 0);
	memcpy(ram + p2m_mfn(&pv->p2m, pfn) * PG + index * 8, &v, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shadow_config cfg;
	struct kvm_regs regs;
	struct fuzz_in in;
	uint8_t *ram, *pool;
	uint64_t nr, limit;
	uint32_t pool_pages, seed;
	unsigned int k, op;
	struct pv pv;

	fz_init(&in, data, size);
	nr = 16 + fz_u8(&in) % 49;
	seed = fz_u32(&in);
	pool_pages = SHADOW_MIN_POOL + fz_u8(&in) % 56;
	memset(&pv, 0, sizeof(pv));
	if (p2m_init(&pv.p2m, nr, MFN_BASE, seed))
		abort();
	pv.nr_pages = nr;
	pv.mode = PV_PAGING_SHADOW;
	ram = calloc(MFN_BASE + nr, PG);
	pool = calloc(pool_pages, PG);
	if (!ram || !pool)
		abort();
	cfg = (struct shadow_config){
		.ram = ram, .ram_size = (MFN_BASE + nr) * PG,
		.pool = pool, .pool_gpa = 1ULL << 32, .pool_pages = pool_pages,
		.p2m = &pv.p2m,
		.pin_start = (fz_u8(&in) % nr) * PG,
	};
	cfg.pin_end = cfg.pin_start + (fz_u8(&in) % 4) * PG;
	if (shadow_init(&pv.shadow, &cfg))
		abort();
	pv.shadow_on = true;
	limit = nr * PG * 2;
	for (k = 0; k < 64 && in.left; k++) {
		op = fz_u8(&in) % 6;
		if (op < 2) {
			write_guest(&pv, ram, &in);
			continue;
		}
		memset(&regs, 0, sizeof(regs));
		regs.rdi = small_or_any(&in, op == 2 ? limit : 1ULL << 40);
		regs.rsi = fz_u8(&in);
		if (op == 5)
			op = fz_u32(&in);
		else
			op = op == 2 ? PV_HC_LOAD_CR3 : op == 3 ? PV_HC_INVLPG
							     : PV_HC_PAGE_FAULT;
		if (pv_hypercall(&pv, op, &regs) < 0)
			break;
	}
	pv_free(&pv);
	free(ram);
	free(pool);
	return 0;
}

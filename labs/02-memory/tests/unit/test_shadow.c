/*
 * test_shadow.c - the shadow MMU on hand-built guest page tables in a
 * buffer (src/mem/shadow.c; book §2.3-2.4).
 *
 * Guest frame n lives in machine frame MFN_BASE + (389 n + 77) mod NPAGES,
 * a fixed permutation. The expected values come from the Intel SDM
 * (vol. 3: 4.5 the 4-level entries, 4.7 the error code, 4.8 the A and D
 * bits) and the design in src/mem/shadow.h: a clean page (D = 0) and a guest
 * page table are mapped read-only, a write to a page table puts it out of
 * sync until the next CR3 load or INVLPG, a shadow page per guest table.
 * A re-sync may drop a changed entry or bring it up to date: the tests
 * accept both, and count only what the contracts define (shadow.h).
 * The shadow is checked by walking it here, as the CPU would, from the
 * root in the pool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "mem/shadow.h"
#include "unit.h"

#define NPAGES		1024		/* 4 MiB of guest memory */
#define MFN_BASE	16
#define POOL_PAGES	64
#define POOL_GPA	0x100000000ULL
#define PG		4096ULL

/* Entry bits, SDM vol. 3, table 4-19 (and 4-17, 4-18 for the others). */
#define P		(1ULL << 0)
#define RW		(1ULL << 1)
#define US		(1ULL << 2)
#define A		(1ULL << 5)
#define D		(1ULL << 6)
#define PS		(1ULL << 7)
#define XD		(1ULL << 63)
#define ADDR		0x000ffffffffff000ULL

/* #PF error code bits, SDM vol. 3, 4.7. */
#define EC_P		0x1u
#define EC_W		0x2u
#define EC_U		0x4u
#define EC_I		0x10u

static uint8_t *ram, *pool;
static struct p2m p2m;
static struct shadow s;
static uint64_t next_table;

static uint64_t mfn_of(uint64_t pfn)
{
	return MFN_BASE + (pfn * 389 + 77) % NPAGES;
}

static uint64_t *gtable(uint64_t pfn)
{
	return (uint64_t *)(ram + mfn_of(pfn) * PG);
}

static void start(uint32_t pool_pages, uint64_t pin_start, uint64_t pin_end)
{
	struct shadow_config cfg;
	uint64_t n;

	ram = calloc(MFN_BASE + NPAGES, PG);
	pool = calloc(POOL_PAGES, PG);
	ck_assert(ram && pool);
	p2m.nr_pages = NPAGES;
	p2m.mfn_base = MFN_BASE;
	p2m.mfn = calloc(NPAGES, sizeof(*p2m.mfn));
	p2m.pfn = calloc(NPAGES, sizeof(*p2m.pfn));
	for (n = 0; n < NPAGES; n++) {
		p2m.mfn[n] = (uint32_t)mfn_of(n);
		p2m.pfn[mfn_of(n) - MFN_BASE] = (uint32_t)n;
	}
	cfg = (struct shadow_config){
		.ram = ram, .ram_size = (MFN_BASE + NPAGES) * PG,
		.pool = pool, .pool_gpa = POOL_GPA, .pool_pages = pool_pages,
		.p2m = &p2m, .pin_start = pin_start, .pin_end = pin_end,
	};
	ck_assert_int_eq(shadow_init(&s, &cfg), 0);
	next_table = 1;
}

static void setup(void)
{
	start(POOL_PAGES, 0, 0);
}

static void teardown(void)
{
	shadow_free(&s);
	free(p2m.mfn);
	free(p2m.pfn);
	free(ram);
	free(pool);
}

/* Map va -> pfn in the guest's tables at cr3 (pseudo-physical), making
 * tables (present, writable, user) from frames next_table on. */
static uint64_t *map(uint64_t cr3, uint64_t va, uint64_t pfn, uint64_t flags)
{
	uint64_t *t = gtable(cr3 / PG);
	int shift;

	for (shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];

		if (!(*e & P))
			*e = next_table++ * PG | P | RW | US;
		t = gtable((*e & ADDR) / PG);
	}
	t[(va >> 12) & 511] = pfn * PG | flags;
	return &t[(va >> 12) & 511];
}

/* The guest entry at `level` (4: PML4E ... 1: PTE) for va. */
static uint64_t *gentry(uint64_t cr3, uint64_t va, int level)
{
	uint64_t *t = gtable(cr3 / PG);
	int l;

	for (l = 4; l > level; l--)
		t = gtable((t[(va >> (12 + 9 * (l - 1))) & 511] & ADDR) / PG);
	return &t[(va >> (12 + 9 * (level - 1))) & 511];
}

/*
 * Walk the shadow as the CPU would: the machine address va maps to (0
 * when it does not), and the combined R/W, U/S and XD (0 when it does
 * not map). Every table must be in the pool, and the shadow never uses a
 * large page.
 */
static uint64_t swalk(uint64_t va, uint64_t *rights)
{
	uint64_t table = shadow_root_gpa(&s), e = 0;
	int rw = 1, us = 1, xd = 0, level;

	if (rights)
		*rights = 0;
	for (level = 4; level >= 1; level--) {
		ck_assert_msg(table >= POOL_GPA && table < POOL_GPA + POOL_PAGES * PG,
			      "shadow table 0x%llx is outside the pool",
			      (unsigned long long)table);
		e = ((uint64_t *)(pool + (table - POOL_GPA)))[(va >> (12 + 9 * (level - 1))) & 511];
		if (!(e & P))
			return 0;
		ck_assert_msg(level == 1 || !(e & PS), "a large page in the shadow");
		rw &= (e & RW) != 0;
		us &= (e & US) != 0;
		xd |= (e & XD) != 0;
		table = e & ADDR;
	}
	if (rights)
		*rights = (rw ? RW : 0) | (us ? US : 0) | (xd ? XD : 0);
	return table + (va & 0xfff);
}

static int fault(uint64_t va, uint32_t ec, uint32_t *gec)
{
	uint32_t dummy;

	return shadow_page_fault(&s, va, ec, gec ? gec : &dummy);
}

/* The usual guest: PML4 at frame 1 (tables follow), data frames from 200. */
static uint64_t guest(void)
{
	next_table = 2;
	ck_assert_int_eq(shadow_load_cr3(&s, 1 * PG), 0);
	return 1 * PG;
}

START_TEST(test_fill_read)
{
	uint64_t cr3 = guest(), va = 0x40201000ULL, rights;
	int level;

	map(cr3, va, 200, P | RW | US);
	ck_assert_uint_eq(swalk(va + 8, NULL), 0);
	ck_assert_int_eq(fault(va + 8, 0, NULL), SHADOW_FIXED);
	/* Guest frame 200 is machine frame mfn_of(200). */
	ck_assert_uint_eq(swalk(va + 8, &rights), mfn_of(200) * PG + 8);
	/* D = 0: read-only until the first write; U/S as the guest's. */
	ck_assert_uint_eq(rights, US);
	/* The CPU sets A in every entry it used; D only on a write. */
	for (level = 4; level >= 1; level--)
		ck_assert_msg(*gentry(cr3, va, level) & A, "no A at level %d", level);
	ck_assert(!(*gentry(cr3, va, 1) & D));
	ck_assert_uint_eq(s.st.filled, 1);
	ck_assert_uint_eq(s.st.reflected, 0);
}
END_TEST

START_TEST(test_fill_write_sets_dirty)
{
	uint64_t cr3 = guest(), va = 0x1000, rights;

	map(cr3, va, 201, P | RW);
	/* Not present in the shadow, a write: error code W only. */
	ck_assert_int_eq(fault(va, EC_W, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va, &rights), mfn_of(201) * PG);
	/* A supervisor page: U/S is clear in the leaf, so in the whole walk. */
	ck_assert_uint_eq(rights, RW);
	ck_assert_uint_eq(*gentry(cr3, va, 1), 201 * PG | P | RW | A | D);
}
END_TEST

START_TEST(test_first_write_after_read)
{
	uint64_t cr3 = guest(), va = 0x2000, rights;

	map(cr3, va, 202, P | RW);
	ck_assert_int_eq(fault(va, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va, &rights), mfn_of(202) * PG);
	ck_assert_uint_eq(rights & RW, 0);
	/* The write faults on the read-only entry: P and W. */
	ck_assert_int_eq(fault(va, EC_P | EC_W, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va, &rights), mfn_of(202) * PG);
	ck_assert_uint_eq(rights & RW, RW);
	ck_assert(*gentry(cr3, va, 1) & D);
	ck_assert_uint_eq(s.st.filled, 2);
}
END_TEST

START_TEST(test_dirty_page_writable_on_read)
{
	uint64_t cr3 = guest(), va = 0x3000, rights;

	map(cr3, va, 203, P | RW | A | D);
	ck_assert_int_eq(fault(va, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va, &rights), mfn_of(203) * PG);
	ck_assert_uint_eq(rights & RW, RW);
}
END_TEST

/* D = 1 makes a page writable in the shadow only if the guest's R/W is. */
START_TEST(test_read_only_dirty_page)
{
	uint64_t cr3 = guest(), va = 0x5000, rights;

	map(cr3, va, 205, P | A | D);
	ck_assert_int_eq(fault(va, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va, &rights), mfn_of(205) * PG);
	ck_assert_uint_eq(rights & RW, 0);
}
END_TEST

START_TEST(test_rights_copied)
{
	uint64_t cr3 = guest(), va = 0x7fff0000ULL, rights;

	map(cr3, va, 204, P | US | XD);
	/* The PDE says read-only: that must reach the shadow too. */
	*gentry(cr3, va, 2) &= ~RW;
	ck_assert_int_eq(fault(va, EC_U, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va, &rights), mfn_of(204) * PG);
	ck_assert_uint_eq(rights, US | XD);
}
END_TEST

START_TEST(test_reflect_not_present)
{
	uint64_t cr3 = guest(), va = 0x5000;
	uint32_t gec = 0xff;

	map(cr3, va, 205, P | RW);
	/* The page next to it has no PTE; one far away has no PDPTE. */
	ck_assert_int_eq(fault(va + PG, 0, &gec), SHADOW_TRUE_FAULT);
	ck_assert_uint_eq(gec, 0);
	ck_assert_int_eq(fault(0x4000000000ULL, EC_W, &gec), SHADOW_TRUE_FAULT);
	ck_assert_uint_eq(gec, EC_W);
	ck_assert_uint_eq(swalk(va + PG, NULL), 0);
	ck_assert_uint_eq(s.st.reflected, 2);
	ck_assert_uint_eq(s.st.filled, 0);
}
END_TEST

START_TEST(test_reflect_protection)
{
	uint64_t cr3 = guest();
	uint32_t gec = 0;

	map(cr3, 0x6000, 206, P);			/* read-only */
	map(cr3, 0x7000, 207, P | RW);			/* supervisor */
	map(cr3, 0x8000, 208, P | RW | XD);		/* no execute */
	/* CR0.WP = 1: a supervisor write to a read-only page faults. */
	ck_assert_int_eq(fault(0x6000, EC_W, &gec), SHADOW_TRUE_FAULT);
	ck_assert_uint_eq(gec, EC_P | EC_W);
	ck_assert_int_eq(fault(0x7000, EC_U, &gec), SHADOW_TRUE_FAULT);
	ck_assert_uint_eq(gec, EC_P | EC_U);
	ck_assert_int_eq(fault(0x8000, EC_I, &gec), SHADOW_TRUE_FAULT);
	ck_assert_uint_eq(gec, EC_P | EC_I);
	/* ...and a read of each is a shadow fault. */
	ck_assert_int_eq(fault(0x6000, 0, NULL), SHADOW_FIXED);
	ck_assert_int_eq(fault(0x8000, 0, NULL), SHADOW_FIXED);
}
END_TEST

/*
 * The guest maps its own page table at va_pt (as a kernel's direct map
 * does). Once that table is shadowed, its mapping is read-only; the
 * first write makes it writable and out of sync; INVLPG re-syncs it:
 * the changed entry leaves the shadow, the table is read-only again.
 */
START_TEST(test_write_protect_resync)
{
	uint64_t cr3 = guest(), va = 0x200000, va_pt = 0x300000, rights;
	uint64_t pt_pfn;

	map(cr3, va, 210, P | RW | A | D);
	pt_pfn = (*gentry(cr3, va, 2) & ADDR) / PG;
	map(cr3, va_pt, pt_pfn, P | RW | A | D);
	ck_assert_int_eq(fault(va, 0, NULL), SHADOW_FIXED);
	ck_assert_int_eq(fault(va_pt, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va_pt, &rights), mfn_of(pt_pfn) * PG);
	ck_assert_uint_eq(rights & RW, 0);
	ck_assert(!s.oos[pt_pfn]);

	/* The guest writes its page table. */
	ck_assert_int_eq(fault(va_pt, EC_P | EC_W, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va_pt, &rights), mfn_of(pt_pfn) * PG);
	ck_assert_uint_eq(rights & RW, RW);
	ck_assert(s.oos[pt_pfn]);
	ck_assert_uint_eq(s.st.wp_faults, 1);
	/* Out of sync: it remaps va, and the shadow still has the old frame. */
	*gentry(cr3, va, 1) = 211 * PG | P | RW;
	ck_assert_uint_eq(swalk(va, NULL), mfn_of(210) * PG);

	s.need_flush = false;
	ck_assert_int_eq(shadow_invlpg(&s, va), 0);
	/*
	 * The stale translation is gone: the shadow maps nothing there now
	 * (the entry dropped, to be filled again), or already the new frame
	 * (the entry brought up to date): either is a correct re-sync.
	 */
	ck_assert_msg(swalk(va, NULL) == 0 || swalk(va, NULL) == mfn_of(211) * PG,
		      "2.shadow: after the re-sync the shadow still maps the old frame");
	ck_assert_uint_eq(swalk(va_pt, &rights), mfn_of(pt_pfn) * PG);
	ck_assert_uint_eq(rights & RW, 0);
	ck_assert(!s.oos[pt_pfn]);
	ck_assert_uint_eq(s.st.resyncs, 1);
	ck_assert(s.need_flush);
	if (swalk(va, NULL) == 0)
		ck_assert_int_eq(fault(va, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va, NULL), mfn_of(211) * PG);
}
END_TEST

/* A frame mapped writable, then used as a page table: it loses R/W. */
START_TEST(test_new_table_write_protected)
{
	uint64_t cr3 = guest(), rights, *pde;

	map(cr3, 0x400000, 220, P | RW | A | D);	/* frame 220 as data */
	ck_assert_int_eq(fault(0x400000, EC_W, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(0x400000, &rights), mfn_of(220) * PG);
	ck_assert_uint_eq(rights & RW, RW);
	/* Now the guest makes frame 220 the page table for 0x600000. */
	memset(gtable(220), 0, PG);
	gtable(220)[0] = 221 * PG | P | RW;
	pde = gentry(cr3, 0x600000, 2);
	*pde = 220 * PG | P | RW;
	s.need_flush = false;
	ck_assert_int_eq(fault(0x600000, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(0x600000, NULL), mfn_of(221) * PG);
	/* Still mapped, now read-only: a page table of the guest. */
	ck_assert_uint_eq(swalk(0x400000, &rights), mfn_of(220) * PG);
	ck_assert_uint_eq(rights & RW, 0);
	ck_assert(s.need_flush);
}
END_TEST

/* A page directory entry moved to another page table. */
START_TEST(test_resync_upper_level)
{
	uint64_t cr3 = guest(), pd_va = 0x800000;
	uint64_t pd_pfn, *pde;

	map(cr3, 0x200000, 230, P | RW);
	map(cr3, 0x400000, 231, P | RW);
	pd_pfn = (*gentry(cr3, 0x200000, 3) & ADDR) / PG;
	map(cr3, pd_va, pd_pfn, P | RW | A | D);
	ck_assert_int_eq(fault(0x200000, 0, NULL), SHADOW_FIXED);
	/* The guest points PDE 1 at the page table of PDE 2, through pd_va. */
	ck_assert_int_eq(fault(pd_va, EC_W, NULL), SHADOW_FIXED);
	ck_assert(s.oos[pd_pfn]);
	pde = gentry(cr3, 0x200000, 2);
	*pde = *gentry(cr3, 0x400000, 2);
	ck_assert_int_eq(shadow_load_cr3(&s, cr3), 0);	/* a CR3 reload */
	/* Dropped, or linked to the new page table: never the old one. */
	ck_assert_msg(swalk(0x200000, NULL) != mfn_of(230) * PG,
		      "2.shadow: after the re-sync the shadow still uses the old page table");
	if (swalk(0x200000, NULL) == 0)
		ck_assert_int_eq(fault(0x200000, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(0x200000, NULL), mfn_of(231) * PG);
}
END_TEST

START_TEST(test_cache_hit_miss)
{
	uint64_t cr3a = guest(), cr3b = 50 * PG, root_a;
	uint32_t used;

	map(cr3a, 0x1000, 240, P | RW);
	/* B shares A's PDPT for the low 512 GiB, and has its own above. */
	gtable(50)[0] = *gentry(cr3a, 0x1000, 4);
	map(cr3b, 0x8000000000ULL, 241, P | RW);
	ck_assert_uint_eq(s.st.cache_misses, 1);
	root_a = shadow_root_gpa(&s);
	ck_assert_int_eq(fault(0x1000, 0, NULL), SHADOW_FIXED);

	s.root_moved = false;
	ck_assert_int_eq(shadow_load_cr3(&s, cr3b), 0);
	ck_assert(s.root_moved);
	ck_assert_uint_ne(shadow_root_gpa(&s), root_a);
	ck_assert_uint_eq(s.st.cache_misses, 2);
	/* The shared tables are shadowed already: only the root links them. */
	used = s.nr_used;
	ck_assert_int_eq(fault(0x1000, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(s.nr_used, used);
	ck_assert_uint_eq(swalk(0x1000, NULL), mfn_of(240) * PG);
	ck_assert_int_eq(fault(0x8000000000ULL, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(0x8000000000ULL, NULL), mfn_of(241) * PG);

	/* Back to A: its shadow is reused as it was. */
	ck_assert_int_eq(shadow_load_cr3(&s, cr3a), 0);
	ck_assert_uint_eq(s.st.cache_hits, 1);
	ck_assert_uint_eq(shadow_root_gpa(&s), root_a);
	ck_assert_uint_eq(swalk(0x1000, NULL), mfn_of(240) * PG);
	ck_assert_uint_eq(swalk(0x8000000000ULL, NULL), 0);
	ck_assert_uint_eq(s.st.filled, 3);
}
END_TEST

/* A 2 MiB guest page: the P2M scatters it, the shadow maps 4 KiB pieces. */
/*
 * A change to the guest's PML4 itself, through a writable mapping of it:
 * after the CR3 load the re-sync drops the shadow of exactly the entry
 * that changed, and a second re-sync keeps the entries that did not.
 */
START_TEST(test_resync_pml4)
{
	uint64_t cr3 = guest(), priv = 0x8000000000ULL, pml4_va = 0x600000;
	uint64_t *pml4 = gtable(cr3 / PG);

	map(cr3, 0x200000, 240, P | RW);
	map(cr3, priv, 241, P | RW);
	map(cr3, pml4_va, cr3 / PG, P | RW | A | D);
	ck_assert_int_eq(fault(0x200000, 0, NULL), SHADOW_FIXED);
	ck_assert_int_eq(fault(priv, 0, NULL), SHADOW_FIXED);
	ck_assert_int_eq(fault(pml4_va, EC_W, NULL), SHADOW_FIXED);
	ck_assert(s.oos[cr3 / PG]);
	pml4[1] = pml4[0];		/* 512 GiB up now maps like 0 */
	ck_assert_int_eq(shadow_load_cr3(&s, cr3), 0);
	ck_assert_uint_eq(swalk(priv, NULL), 0);
	ck_assert_int_eq(fault(priv + 0x200000, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(priv + 0x200000, NULL), mfn_of(240) * PG);
	/* Write the PML4 again (entry 2), reload: entry 1 stays as it is. */
	ck_assert_int_eq(fault(pml4_va, EC_P | EC_W, NULL), SHADOW_FIXED);
	ck_assert(s.oos[cr3 / PG]);
	pml4[2] = pml4[0];
	ck_assert_int_eq(shadow_load_cr3(&s, cr3), 0);
	ck_assert_uint_eq(swalk(priv + 0x200000, NULL), mfn_of(240) * PG);
}
END_TEST

START_TEST(test_large_page)
{
	uint64_t cr3 = guest(), va = 0x40000000ULL + 0x200000, rights;
	uint64_t *pde;

	map(cr3, va, 0, 0);		/* make the tables down to the PD */
	*gtable(0) = 0x5a5a;		/* frame 0: no table, no data of the walk */
	pde = gentry(cr3, va, 2);
	*pde = 512 * PG | P | RW | PS;	/* frames 512-1023 */
	ck_assert_int_eq(fault(va + 5 * PG + 8, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va + 5 * PG + 8, &rights), mfn_of(517) * PG + 8);
	ck_assert_uint_eq(rights & RW, 0);		/* clean */
	ck_assert_uint_eq(swalk(va + 6 * PG, NULL), 0);	/* one piece at a time */
	ck_assert(*pde & A);
	ck_assert(!(*pde & D));
	ck_assert_int_eq(fault(va + 5 * PG, EC_P | EC_W, NULL), SHADOW_FIXED);
	ck_assert(*pde & D);
	ck_assert_uint_eq(swalk(va + 5 * PG, &rights), mfn_of(517) * PG);
	ck_assert_uint_eq(rights & RW, RW);
	ck_assert_int_eq(fault(va + 511 * PG, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va + 511 * PG, NULL), mfn_of(1023) * PG);
	/* A and D went to the three entries of the walk and nowhere else. */
	ck_assert_uint_eq(*gtable(0), 0x5a5a);
}
END_TEST

START_TEST(test_bad_input)
{
	uint64_t cr3 = guest();
	uint64_t root = shadow_root_gpa(&s);

	/* A frame the guest does not have: refused, not mapped. */
	map(cr3, 0x1000, NPAGES + 5, P | RW);
	ck_assert_int_eq(fault(0x1000, 0, NULL), -ENXIO);
	ck_assert_uint_eq(swalk(0x1000, NULL), 0);
	/* A non-canonical address. */
	ck_assert_int_eq(fault(0x0000800000000000ULL, 0, NULL), -ERANGE);
	/* CR3 outside its memory, or with reserved bits: refused, no change. */
	ck_assert_int_eq(shadow_load_cr3(&s, NPAGES * PG), -EINVAL);
	ck_assert_int_eq(shadow_load_cr3(&s, 1 * PG | 0x1), -EINVAL);
	ck_assert_int_eq(shadow_load_cr3(&s, 1ULL << 52 | PG), -EINVAL);
	ck_assert_uint_eq(shadow_root_gpa(&s), root);
}
END_TEST

/*
 * No shadow before the first CR3 load; a #PF with RSVD set means the
 * VMM's own tables are malformed (the guest's are never the CPU's).
 */
START_TEST(test_fault_errors)
{
	uint64_t cr3;

	ck_assert_int_eq(fault(0x1000, 0, NULL), -EINVAL);
	cr3 = guest();
	map(cr3, 0x1000, 250, P | RW);
	ck_assert_int_eq(fault(0x1000, EC_P | 0x8, NULL), -EIO);
	ck_assert_uint_eq(swalk(0x1000, NULL), 0);
	ck_assert_uint_eq(s.st.filled + s.st.reflected, 0);
}
END_TEST

/*
 * A table out of sync may change twice before the next INVLPG, with a
 * shadow fault in between: the shadow filled from the first change must
 * not survive the second. Here page 0x1000 is mapped (a fault fills it)
 * and then unmapped again; after INVLPG the guest must fault.
 */
START_TEST(test_resync_after_fill_while_oos)
{
	uint64_t cr3 = guest(), va = 0x1000, va_pt = 0x300000, pt_pfn, *pte;
	uint32_t gec = 0xff;

	map(cr3, 0x2000, 252, P | RW | A | D);		/* the same page table */
	pt_pfn = (*gentry(cr3, va, 2) & ADDR) / PG;
	map(cr3, va_pt, pt_pfn, P | RW | A | D);
	ck_assert_int_eq(fault(0x2000, 0, NULL), SHADOW_FIXED);
	ck_assert_int_eq(fault(va_pt, EC_W, NULL), SHADOW_FIXED);
	ck_assert(s.oos[pt_pfn]);
	pte = gentry(cr3, va, 1);
	ck_assert_uint_eq(*pte, 0);
	*pte = 251 * PG | P | RW;			/* mapped... */
	ck_assert_int_eq(fault(va, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(va, NULL), mfn_of(251) * PG);
	*pte = 0;					/* ...and unmapped */
	ck_assert_int_eq(shadow_invlpg(&s, va), 0);
	ck_assert_msg(swalk(va, NULL) == 0,
		      "2.shadow: after INVLPG the shadow still maps what the guest unmapped");
	ck_assert_int_eq(fault(va, 0, &gec), SHADOW_TRUE_FAULT);
	ck_assert_uint_eq(gec, 0);
}
END_TEST

START_TEST(test_spurious)
{
	uint64_t cr3 = guest();

	map(cr3, 0x1000, 250, P | RW | A | D);
	ck_assert_int_eq(fault(0x1000, 0, NULL), SHADOW_FIXED);
	s.need_flush = false;
	/* The entry is right already: something holds a stale copy. */
	ck_assert_int_eq(fault(0x1000, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(s.st.spurious, 1);
	ck_assert(s.need_flush);
}
END_TEST

static void fail_setup(void)
{
	/* A pool of SHADOW_MIN_POOL pages, and an image to pin at 1 MiB. */
	start(SHADOW_MIN_POOL, 0x100000, 0x102000);
}

/* The pinned range is mapped in every new shadow before the guest runs. */
START_TEST(test_pinned)
{
	uint64_t rights;

	next_table = 2;
	map(1 * PG, 0x100000, 300, P | RW);
	map(1 * PG, 0x101000, 301, P);			/* read-only */
	ck_assert_int_eq(shadow_load_cr3(&s, 1 * PG), 0);
	ck_assert_uint_eq(swalk(0x100000, &rights), mfn_of(300) * PG);
	ck_assert_uint_eq(rights & RW, RW);		/* written: the stack */
	ck_assert(*gentry(1 * PG, 0x100000, 1) & D);
	ck_assert_uint_eq(swalk(0x101000, &rights), mfn_of(301) * PG);
	ck_assert_uint_eq(rights & RW, 0);
	ck_assert_uint_eq(s.st.prefilled, 2);
	/* A CR3 whose tables do not map the pinned range is refused. */
	ck_assert_int_eq(shadow_load_cr3(&s, 40 * PG), -EFAULT);
	ck_assert_uint_eq(swalk(0x100000, NULL), mfn_of(300) * PG);
}
END_TEST

/*
 * A pool that, emptied, still cannot hold the pinned range and one more
 * walk: -ENOSPC, and a message that says so.
 */
START_TEST(test_pool_too_small)
{
	next_table = 2;
	/* The pinned range spans two GiB: root, PDPT, 2 x (PD, PT) = 6. */
	map(1 * PG, 0x3fffe000, 300, P | RW);
	map(1 * PG, 0x3ffff000, 303, P | RW);
	map(1 * PG, 0x40000000, 301, P | RW);
	s.cfg.pin_start = 0x3fffe000;
	s.cfg.pin_end = 0x40001000;
	ck_assert_int_eq(shadow_load_cr3(&s, 1 * PG), 0);
	/* Another PML4 entry: a PDPT, a PD and a PT more, 9 > 8. */
	map(1 * PG, 0x8000000000ULL, 302, P | RW);
	ck_assert_int_eq(fault(0x8000000000ULL, 0, NULL), -ENOSPC);
	ck_assert_msg(strstr(err_msg(), "cannot hold"),
		      "2.shadow: a pool too small for one walk says so: %s", err_msg());
}
END_TEST

/* A full pool: every shadow is dropped and the current one rebuilt. */
START_TEST(test_pool_reset)
{
	uint64_t va;
	int i;

	next_table = 2;
	map(1 * PG, 0x100000, 300, P | RW);
	map(1 * PG, 0x101000, 301, P | RW);
	ck_assert_int_eq(shadow_load_cr3(&s, 1 * PG), 0);
	/*
	 * One shadow page per guest table (src/shadow.h): the root, the
	 * PDPT, PD and PT of the pinned range take 4 of the 8 pages, and
	 * each further GiB (same PDPT) a PD and a PT. So GiB 1 and 2 fill
	 * the pool (4 + 2 + 2), GiB 3 finds it full: a reset, which keeps
	 * the 4 pinned pages, then 2 for GiB 3; GiB 4 fills it again, GiB 5
	 * resets, GiB 6 fills it: after GiB i, (i - 1) / 2 resets; in the
	 * end exactly 2, and all 8 pages in use.
	 */
	for (i = 1; i <= 6; i++)
		map(1 * PG, (uint64_t)i << 30, 400 + i, P | RW);
	ck_assert_uint_eq(s.nr_used, 4);
	s.root_moved = false;
	for (i = 1; i <= 6; i++) {
		va = (uint64_t)i << 30;
		ck_assert_int_eq(fault(va, 0, NULL), SHADOW_FIXED);
		ck_assert_uint_eq(swalk(va, NULL), mfn_of(400 + i) * PG);
		ck_assert_uint_eq(s.st.resets, (uint64_t)(i - 1) / 2);
	}
	ck_assert_uint_eq(s.st.resets, 2);
	ck_assert(s.root_moved);
	ck_assert(s.need_flush);
	/* The pinned range is there again; GiB 4 went with the second reset. */
	ck_assert_uint_eq(swalk(0x100000, NULL), mfn_of(300) * PG);
	ck_assert_uint_eq(swalk(5ULL << 30, NULL), mfn_of(405) * PG);
	ck_assert_uint_eq(swalk(4ULL << 30, NULL), 0);
	ck_assert_uint_eq(s.nr_used, SHADOW_MIN_POOL);
}
END_TEST

/*
 * A CR3 that cannot be shadowed after a pool reset: the reset dropped the
 * old root with everything else, so the old root is built again, pinned
 * range and all, and the guest stays on it (not on CR3 = 0).
 */
START_TEST(test_load_cr3_fails_after_reset)
{
	uint64_t root;
	int i;

	next_table = 2;
	map(1 * PG, 0x100000, 300, P | RW);
	map(1 * PG, 0x101000, 301, P | RW);
	ck_assert_int_eq(shadow_load_cr3(&s, 1 * PG), 0);
	/* PML4, PDPT, PD, PT; then a PD and a PT for each of 2 more GiB. */
	for (i = 1; i <= 2; i++) {
		map(1 * PG, (uint64_t)i << 30, 400 + i, P | RW);
		ck_assert_int_eq(fault((uint64_t)i << 30, 0, NULL), SHADOW_FIXED);
	}
	ck_assert_uint_eq(s.nr_used, SHADOW_MIN_POOL);
	ck_assert_uint_eq(s.st.resets, 0);
	s.root_moved = false;

	/* A fresh PML4 (frame 40) without the image: no room, so a reset to
	 * make room for its root; refused; a second reset builds the old
	 * root again (the first dropped it). */
	ck_assert_int_eq(shadow_load_cr3(&s, 40 * PG), -EFAULT);
	ck_assert_uint_eq(s.st.resets, 2);
	root = shadow_root_gpa(&s);
	ck_assert_uint_ne(root, 0);
	ck_assert(s.root_moved);
	ck_assert_uint_eq(s.cpu.cr3, 1 * PG);
	ck_assert_uint_eq(swalk(0x100000, NULL), mfn_of(300) * PG);
	ck_assert_uint_eq(swalk(0x101000, NULL), mfn_of(301) * PG);
	/* And the guest's next fault is served on that root. */
	ck_assert_int_eq(fault(2ULL << 30, 0, NULL), SHADOW_FIXED);
	ck_assert_uint_eq(swalk(2ULL << 30, NULL), mfn_of(402) * PG);
}
END_TEST

/*
 * A CR3 that cannot be shadowed, no reset: the re-sync before it dropped
 * a pinned entry that the guest changed (an ignored bit, here); the old
 * root gets it back before the guest runs on it again.
 */
START_TEST(test_load_cr3_fails_keeps_pinned)
{
	uint64_t pt_pfn;

	next_table = 2;
	map(1 * PG, 0x100000, 300, P | RW);
	map(1 * PG, 0x101000, 301, P | RW);
	ck_assert_int_eq(shadow_load_cr3(&s, 1 * PG), 0);
	/* The guest maps its own page table at 0x103000 and writes it. */
	pt_pfn = (*gentry(1 * PG, 0x100000, 2) & ADDR) / PG;
	map(1 * PG, 0x103000, pt_pfn, P | RW | A | D);
	ck_assert_int_eq(fault(0x103000, EC_P | EC_W, NULL), SHADOW_FIXED);
	ck_assert(s.oos[pt_pfn]);
	*gentry(1 * PG, 0x101000, 1) |= 1ULL << 9;

	ck_assert_int_eq(shadow_load_cr3(&s, 40 * PG), -EFAULT);
	ck_assert_uint_eq(s.st.resets, 0);
	ck_assert_uint_eq(s.cpu.cr3, 1 * PG);
	ck_assert_uint_eq(swalk(0x100000, NULL), mfn_of(300) * PG);
	ck_assert_uint_eq(swalk(0x101000, NULL), mfn_of(301) * PG);
}
END_TEST

Suite *shadow_suite(void)
{
	Suite *su = suite_create("shadow");
	TCase *tc = tcase_create("fault");
	TCase *small = tcase_create("pinned-and-pool");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fill_read);
	tcase_add_test(tc, test_fill_write_sets_dirty);
	tcase_add_test(tc, test_first_write_after_read);
	tcase_add_test(tc, test_dirty_page_writable_on_read);
	tcase_add_test(tc, test_read_only_dirty_page);
	tcase_add_test(tc, test_rights_copied);
	tcase_add_test(tc, test_reflect_not_present);
	tcase_add_test(tc, test_reflect_protection);
	tcase_add_test(tc, test_write_protect_resync);
	tcase_add_test(tc, test_new_table_write_protected);
	tcase_add_test(tc, test_resync_upper_level);
	tcase_add_test(tc, test_cache_hit_miss);
	tcase_add_test(tc, test_resync_pml4);
	tcase_add_test(tc, test_large_page);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_spurious);
	tcase_add_test(tc, test_fault_errors);
	tcase_add_test(tc, test_resync_after_fill_while_oos);
	suite_add_tcase(su, tc);
	tcase_add_checked_fixture(small, fail_setup, teardown);
	tcase_add_test(small, test_pinned);
	tcase_add_test(small, test_pool_reset);
	tcase_add_test(small, test_pool_too_small);
	tcase_add_test(small, test_load_cr3_fails_after_reset);
	tcase_add_test(small, test_load_cr3_fails_keeps_pinned);
	suite_add_tcase(su, small);
	return su;
}

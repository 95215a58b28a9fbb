/*
 * test_ept.c - EPT tables, the EPT walk and the two-dimensional walk.
 *
 * Expected entries follow the EPT formats of the Intel SDM vol. 3C, 28.3.2
 * (rights in bits 2:0, memory type in 5:3, bit 7 for large pages, address
 * from bit 12); violations and misconfigurations follow 28.3.3, and the
 * exit qualification 27.2.1. Reference counts of the 2-D walk: each guest
 * paging-structure entry costs one EPT walk plus the read of the entry,
 * and the final GPA one more EPT walk; a 4-level EPT walk with 4 KiB
 * pages reads 4 entries, with 2 MiB pages 3, with 1 GiB pages 2.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/err.h"
#include "mem/ept.h"
#include "unit.h"

#define SZ_4K		(1ULL << 12)
#define SZ_2M		(1ULL << 21)
#define SZ_1G		(1ULL << 30)

/* What a leaf of ours holds besides the address: rights, WB (6 << 3). */
#define LEAF_RWX	(EPT_RWX | 6ULL << 3)
#define LEAF_RX		(EPT_R | EPT_X | 6ULL << 3)

/* A made-up host address for tables-only tests: 1 GiB aligned. */
#define FAKE_HPA	0x7f0000000000ULL

static struct ept ept;

static void ept_setup(void)
{
	ck_assert_int_eq(ept_init(&ept, 4096), 0);
}

static void ept_teardown(void)
{
	ept_free(&ept);
}

/* The table an entry points to (or the PML4, for the EPTP). */
static uint64_t *next(uint64_t e)
{
	uint64_t *t = ept_table(&ept, e & 0x000ffffffffff000ULL);

	ck_assert_ptr_nonnull(t);
	return t;
}

/* ---- the builder ---- */

START_TEST(eptp_format)
{
	/* WB (6) in bits 2:0, walk length 4 - 1 in bits 5:3, no A/D. */
	ck_assert_uint_eq(ept.eptp & 0xfff, 6 | 3 << 3);
	ck_assert_uint_eq(ept.eptp & ~0xfffULL, (uint64_t)(uintptr_t)ept.tables);
}
END_TEST

START_TEST(build_4k)
{
	struct ept_region r = { 0, 8 << 20, FAKE_HPA, EPT_RWX };
	uint64_t *pml4, *pdpt, *pd, *pt;
	unsigned int i;

	ck_assert_int_eq(ept_build(&ept, &r, 1, SZ_4K), 0);
	/* PML4, PDPT, PD and four page tables of 512 x 4 KiB. */
	ck_assert_uint_eq(ept.nr_tables, 7);
	pml4 = next(ept.eptp);
	ck_assert_uint_eq(pml4[0] & 0xfff, EPT_RWX);	/* bits 7:3 clear */
	for (i = 1; i < 512; i++)
		ck_assert_uint_eq(pml4[i], 0);
	pdpt = next(pml4[0]);
	ck_assert_uint_eq(pdpt[0] & 0xfff, EPT_RWX);
	ck_assert_uint_eq(pdpt[1], 0);
	pd = next(pdpt[0]);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(pd[i] & 0xfff, EPT_RWX);
	ck_assert_uint_eq(pd[4], 0);
	pt = next(pd[0]);
	ck_assert_uint_eq(pt[0], FAKE_HPA | LEAF_RWX);
	ck_assert_uint_eq(pt[511], (FAKE_HPA + 511 * SZ_4K) | LEAF_RWX);
	pt = next(pd[3]);
	ck_assert_uint_eq(pt[511], (FAKE_HPA + (8 << 20) - SZ_4K) | LEAF_RWX);
	ck_assert_uint_eq(ept.nr_regions, 1);
}
END_TEST

START_TEST(build_large)
{
	/* 2 GiB + 2 MiB + 4 KiB: two 1 GiB pages, one 2 MiB, one 4 KiB. */
	struct ept_region r = { 0, 2 * SZ_1G + SZ_2M + SZ_4K, FAKE_HPA,
				EPT_RWX };
	uint64_t *pdpt, *pd, *pt;

	ck_assert_int_eq(ept_build(&ept, &r, 1, SZ_1G), 0);
	ck_assert_uint_eq(ept.nr_tables, 4);
	pdpt = next(next(ept.eptp)[0]);
	ck_assert_uint_eq(pdpt[0], FAKE_HPA | EPT_PS | LEAF_RWX);
	ck_assert_uint_eq(pdpt[1], (FAKE_HPA + SZ_1G) | EPT_PS | LEAF_RWX);
	pd = next(pdpt[2]);
	ck_assert_uint_eq(pdpt[2] & EPT_PS, 0);
	ck_assert_uint_eq(pd[0], (FAKE_HPA + 2 * SZ_1G) | EPT_PS | LEAF_RWX);
	pt = next(pd[1]);
	ck_assert_uint_eq(pt[0], (FAKE_HPA + 2 * SZ_1G + SZ_2M) | LEAF_RWX);
	ck_assert_uint_eq(pt[1], 0);
}
END_TEST

START_TEST(build_large_limits)
{
	/* At most 2 MiB pages: the first GiB is 512 PDEs. */
	struct ept_region r = { 0, SZ_1G, FAKE_HPA, EPT_RWX };
	uint64_t *pd;

	ck_assert_int_eq(ept_build(&ept, &r, 1, SZ_2M), 0);
	ck_assert_uint_eq(ept.nr_tables, 3);
	pd = next(next(next(ept.eptp)[0])[0]);
	ck_assert_uint_eq(pd[511], (FAKE_HPA + SZ_1G - SZ_2M) | EPT_PS | LEAF_RWX);
	/* GPA and HPA aligned differently: 4 KiB pages only. */
	r.hpa = FAKE_HPA + SZ_4K;
	r.size = 4 * SZ_2M;
	ck_assert_int_eq(ept_build(&ept, &r, 1, SZ_1G), 0);
	ck_assert_uint_eq(ept.nr_tables, 3 + 4);
	/* GPA 2 MiB aligned but not 1 GiB aligned: 2 MiB pages. */
	r.gpa = SZ_2M;
	r.hpa = FAKE_HPA + SZ_2M;
	r.size = SZ_1G;
	ck_assert_int_eq(ept_build(&ept, &r, 1, SZ_1G), 0);
	ck_assert_uint_eq(ept.nr_tables, 4);
}
END_TEST

/* The lab 02 layout for 32 MiB: RAM, the EBDA, a hole, the ROM, RAM. */
static const struct ept_region pc_map[] = {
	{ 0x0, 0x9f000, FAKE_HPA, EPT_RWX },
	{ 0x9f000, 0x1000, FAKE_HPA + 0x9f000, EPT_RWX },
	{ 0xf0000, 0x10000, FAKE_HPA + 0xf0000, EPT_R | EPT_X },
	{ 0x100000, 31 << 20, FAKE_HPA + 0x100000, EPT_RWX },
};

START_TEST(build_pc_map)
{
	struct ept_walk_result w;
	uint64_t *pt;

	ck_assert_int_eq(ept_build(&ept, pc_map, 4, SZ_2M), 0);
	/* The first 2 MiB holds a hole, so it needs 4 KiB pages. */
	pt = next(next(next(next(ept.eptp)[0])[0])[0]);
	ck_assert_uint_eq(pt[0x9e], (FAKE_HPA + 0x9e000) | LEAF_RWX);
	ck_assert_uint_eq(pt[0x9f], (FAKE_HPA + 0x9f000) | LEAF_RWX);
	ck_assert_uint_eq(pt[0xa0], 0);
	ck_assert_uint_eq(pt[0xef], 0);
	ck_assert_uint_eq(pt[0xf0], (FAKE_HPA + 0xf0000) | LEAF_RX);
	ck_assert_uint_eq(pt[0x100], (FAKE_HPA + 0x100000) | LEAF_RWX);
	/* The hole is an EPT violation at the PTE: nothing allowed. */
	ck_assert_int_eq(ept_walk(&ept, 0xb8000, PW_WRITE, &w), -EFAULT);
	ck_assert_uint_eq(w.level, 1);
	ck_assert_uint_eq(w.refs, 4);
	ck_assert_uint_eq(w.qual, EPT_QUAL_WRITE);
	/* The ROM: read and fetch, not write. */
	ck_assert_int_eq(ept_walk(&ept, 0xffff0, PW_FETCH, &w), 0);
	ck_assert_uint_eq(w.hpa, FAKE_HPA + 0xffff0);
	ck_assert_int_eq(ept_walk(&ept, 0xffff0, PW_WRITE, &w), -EFAULT);
	ck_assert_uint_eq(w.qual, EPT_QUAL_WRITE | EPT_QUAL_READABLE |
			  EPT_QUAL_EXECUTABLE);
	/* RAM above 2 MiB in 2 MiB pages; nothing from 32 MiB on. */
	ck_assert_int_eq(ept_walk(&ept, 0x1234567, PW_WRITE, &w), 0);
	ck_assert_uint_eq(w.hpa, FAKE_HPA + 0x1234567);
	ck_assert_uint_eq(w.page_size, SZ_2M);
	ck_assert_uint_eq(w.refs, 3);
	ck_assert_int_eq(ept_walk(&ept, 32 << 20, PW_READ, &w), -EFAULT);
	ck_assert_uint_eq(w.level, 2);
	ck_assert_uint_eq(w.qual, EPT_QUAL_READ);
	ck_assert_int_eq(ept_walk(&ept, 0xfeb00000, PW_READ, &w), -EFAULT);
	ck_assert_uint_eq(w.level, 3);
	ck_assert_uint_eq(w.refs, 2);
}
END_TEST

START_TEST(build_rebuild)
{
	struct ept_region r = { 0, 8 << 20, FAKE_HPA, EPT_RWX };
	struct ept_walk_result w;

	ck_assert_int_eq(ept_build(&ept, pc_map, 4, SZ_4K), 0);
	ck_assert_int_eq(ept_build(&ept, &r, 1, SZ_2M), 0);
	/* Nothing of the first build is left. */
	ck_assert_uint_eq(ept.nr_tables, 3);
	ck_assert_uint_eq(ept.nr_regions, 1);
	ck_assert_int_eq(ept_walk(&ept, 0xa0000, PW_READ, &w), 0);
	ck_assert_uint_eq(w.page_size, SZ_2M);
	ck_assert_int_eq(ept_walk(&ept, 8 << 20, PW_READ, &w), -EFAULT);
}
END_TEST

START_TEST(map_errors)
{
	struct ept_region many[EPT_MAX_REGIONS + 1];
	struct ept small;
	unsigned int i;

	ck_assert_int_eq(ept_map(&ept, 0x800, FAKE_HPA, SZ_4K, EPT_RWX, SZ_4K), -EINVAL);
	ck_assert_int_eq(ept_map(&ept, 0, FAKE_HPA + 8, SZ_4K, EPT_RWX, SZ_4K), -EINVAL);
	ck_assert_int_eq(ept_map(&ept, 0, FAKE_HPA, 100, EPT_RWX, SZ_4K), -EINVAL);
	ck_assert_int_eq(ept_map(&ept, 0, FAKE_HPA, 0, EPT_RWX, SZ_4K), -EINVAL);
	ck_assert_int_eq(ept_map(&ept, 1ULL << 48, FAKE_HPA, SZ_4K, EPT_RWX, SZ_4K), -EINVAL);
	ck_assert_int_eq(ept_map(&ept, (1ULL << 48) - SZ_4K, FAKE_HPA, 2 * SZ_4K,
				 EPT_RWX, SZ_4K), -EINVAL);
	ck_assert_int_eq(ept_map(&ept, 0, FAKE_HPA, SZ_4K, 0, SZ_4K), -EINVAL);
	ck_assert_int_eq(ept_map(&ept, 0, FAKE_HPA, SZ_4K, EPT_W, SZ_4K), -EINVAL);
	ck_assert_int_eq(ept_map(&ept, 0, FAKE_HPA, SZ_4K, EPT_W | EPT_X, SZ_4K), -EINVAL);
	ck_assert_int_eq(ept_map(&ept, 0, FAKE_HPA, SZ_4K, 8, SZ_4K), -EINVAL);
	ck_assert_uint_eq(ept.nr_tables, 1);
	/* Execute-only is a valid mapping. */
	ck_assert_int_eq(ept_map(&ept, 0, FAKE_HPA, SZ_4K, EPT_X, SZ_4K), 0);
	/* Mapped twice, as a 4 KiB page or inside a large one. */
	ck_assert_int_eq(ept_map(&ept, 0, FAKE_HPA, SZ_4K, EPT_RWX, SZ_4K), -EEXIST);
	ck_assert_int_eq(ept_map(&ept, SZ_1G, FAKE_HPA, SZ_1G, EPT_RWX, SZ_1G), 0);
	ck_assert_int_eq(ept_map(&ept, SZ_1G + SZ_2M, FAKE_HPA, SZ_4K, EPT_RWX, SZ_4K),
			 -EEXIST);
	/* Over the regions limit. */
	for (i = 0; i <= EPT_MAX_REGIONS; i++)
		many[i] = (struct ept_region){ i * SZ_4K, SZ_4K, FAKE_HPA, EPT_R };
	ck_assert_int_eq(ept_build(&ept, many, EPT_MAX_REGIONS + 1, SZ_4K), -E2BIG);
	/* Out of room for tables: 3 tables cannot hold a PML4, PDPT, PD, PT. */
	ck_assert_int_eq(ept_init(&small, 3), 0);
	ck_assert_int_eq(ept_map(&small, 0, FAKE_HPA, SZ_4K, EPT_RWX, SZ_4K), -ENOSPC);
	ept_free(&small);
	ck_assert_int_eq(ept_init(&small, 0), -EINVAL);
}
END_TEST

START_TEST(tables_needed)
{
	struct ept_region r = { 0, 64ULL << 30, FAKE_HPA + SZ_4K, EPT_RWX };
	struct ept_region odd = { SZ_4K, (1ULL << 30) + SZ_2M, FAKE_HPA, EPT_RWX };
	struct ept_region huge = { 0, 4ULL << 40, FAKE_HPA, EPT_RWX };
	struct ept big;

	/*
	 * The bound src/ept.c states: the PML4, then per region one PDPT per
	 * 512 GiB, one PD per GiB, one PT per 2 MiB and 6 for the partial
	 * tables at both ends, at most 1 << 20 tables (4 GiB of them).
	 * 64 GiB: 1 + 0 + 64 + 32768 + 6. The PC map's regions (636 KiB,
	 * 4 KiB, 64 KiB, 31 MiB): 1 + 6 + 6 + 6 + (15 + 6).
	 */
	ck_assert_uint_eq(ept_tables_needed(&r, 1, SZ_4K), 1 + 64 + 32768 + 6);
	ck_assert_uint_eq(ept_tables_needed(pc_map, 4, SZ_4K), 40);
	ck_assert_uint_eq(ept_tables_needed(&huge, 1, SZ_4K), 1u << 20);
	/* ...and it is enough: the PC map takes 19 of them. */
	ck_assert_int_eq(ept_init(&big, ept_tables_needed(pc_map, 4, SZ_4K)), 0);
	ck_assert_int_eq(ept_build(&big, pc_map, 4, SZ_4K), 0);
	ck_assert_uint_eq(big.nr_tables, 1 + 1 + 1 + 16);
	ept_free(&big);
	/* 1 GiB + 2 MiB from 4 KiB on, in 4 KiB pages: a PML4, a PDPT, two
	 * PDs (the range crosses 1 GiB) and one PT for each 2 MiB it
	 * touches, [0, 2M) to [1G + 2M, 1G + 4M): 514; 518 of the
	 * 1 + (1 + 513 + 6) the bound allows. */
	ck_assert_uint_eq(ept_tables_needed(&odd, 1, SZ_4K), 1 + 1 + 513 + 6);
	ck_assert_int_eq(ept_init(&big, ept_tables_needed(&odd, 1, SZ_4K)), 0);
	ck_assert_int_eq(ept_build(&big, &odd, 1, SZ_4K), 0);
	ck_assert_uint_eq(big.nr_tables, 1 + 1 + 2 + 514);
	ept_free(&big);
}
END_TEST

/* ---- the EPT walk on hand-made entries ---- */

/* PML4 -> PDPT -> PD -> PT for GPA 0, returning the four tables. */
static void chain(uint64_t **t, uint64_t rights4, uint64_t rights3,
		  uint64_t rights2)
{
	t[0] = next(ept.eptp);
	t[1] = ept_table_alloc(&ept);
	t[2] = ept_table_alloc(&ept);
	t[3] = ept_table_alloc(&ept);
	t[0][0] = (uint64_t)(uintptr_t)t[1] | rights4;
	t[1][0] = (uint64_t)(uintptr_t)t[2] | rights3;
	t[2][0] = (uint64_t)(uintptr_t)t[3] | rights2;
}

START_TEST(walk_leaves)
{
	struct ept_walk_result w;
	uint64_t *t[4];

	chain(t, EPT_RWX, EPT_RWX, EPT_RWX);
	t[3][5] = 0x123456789000ULL | EPT_RWX | EPT_MT_WB << 3;
	ck_assert_int_eq(ept_walk(&ept, 0x5abc, PW_WRITE, &w), 0);
	ck_assert_uint_eq(w.hpa, 0x123456789abcULL);
	ck_assert_uint_eq(w.page_size, SZ_4K);
	ck_assert_uint_eq(w.level, 1);
	ck_assert_uint_eq(w.refs, 4);
	ck_assert_uint_eq(w.entry[3], t[3][5]);
	/* 2 MiB: PDE 1; the IPAT bit and bits 11:8 are not address bits. */
	t[2][1] = 0x40000000ULL | EPT_PS | EPT_IPAT | EPT_A | EPT_D |
		  EPT_R | EPT_MT_UC << 3;
	ck_assert_int_eq(ept_walk(&ept, 0x3fedcb, PW_READ, &w), 0);
	ck_assert_uint_eq(w.hpa, 0x401fedcbULL);
	ck_assert_uint_eq(w.page_size, SZ_2M);
	ck_assert_uint_eq(w.level, 2);
	ck_assert_uint_eq(w.refs, 3);
	/* 1 GiB: PDPTE 1; memory types 1, 4 and 5 are valid too. */
	t[1][1] = 0x1c0000000ULL | EPT_PS | EPT_R | EPT_X | EPT_MT_WT << 3;
	ck_assert_int_eq(ept_walk(&ept, 0x7fffffff, PW_FETCH, &w), 0);
	ck_assert_uint_eq(w.hpa, 0x1ffffffffULL);
	ck_assert_uint_eq(w.page_size, SZ_1G);
	ck_assert_uint_eq(w.level, 3);
	ck_assert_uint_eq(w.refs, 2);
	/* Bit 7 of a PTE is ignored. */
	t[3][6] = 0x5000 | EPT_PS | EPT_R | EPT_MT_WP << 3;
	ck_assert_int_eq(ept_walk(&ept, 0x6000, PW_READ, &w), 0);
	ck_assert_uint_eq(w.hpa, 0x5000);
	t[3][7] = 0x7000 | EPT_R | EPT_MT_WC << 3;
	ck_assert_int_eq(ept_walk(&ept, 0x7000, PW_READ, &w), 0);
}
END_TEST

START_TEST(walk_violations)
{
	struct ept_walk_result w;
	uint64_t *t[4];

	/* Rights are the AND over the levels: no W in the PDPTE. */
	chain(t, EPT_RWX, EPT_R | EPT_X, EPT_RWX);
	t[3][0] = 0x9000 | LEAF_RWX;
	t[3][1] = 0xa000 | EPT_R | EPT_MT_WB << 3;
	t[3][2] = 0xb000 | EPT_X | EPT_MT_WB << 3;	/* execute-only */
	ck_assert_int_eq(ept_walk(&ept, 0x10, PW_READ, &w), 0);
	ck_assert_int_eq(ept_walk(&ept, 0x10, PW_WRITE, &w), -EFAULT);
	ck_assert_uint_eq(w.qual, EPT_QUAL_WRITE | EPT_QUAL_READABLE |
			  EPT_QUAL_EXECUTABLE);
	ck_assert_uint_eq(w.level, 1);
	ck_assert_uint_eq(w.refs, 4);
	ck_assert_int_eq(ept_walk(&ept, 0x1010, PW_FETCH, &w), -EFAULT);
	ck_assert_uint_eq(w.qual, EPT_QUAL_FETCH | EPT_QUAL_READABLE);
	ck_assert_int_eq(ept_walk(&ept, 0x2010, PW_READ, &w), -EFAULT);
	ck_assert_uint_eq(w.qual, EPT_QUAL_READ | EPT_QUAL_EXECUTABLE);
	ck_assert_int_eq(ept_walk(&ept, 0x2010, PW_FETCH | PW_USER, &w), 0);
	/* Not present at each level: bits 5:3 are 0 (the AND includes it). */
	ck_assert_int_eq(ept_walk(&ept, 0x3000, PW_FETCH, &w), -EFAULT);
	ck_assert_uint_eq(w.qual, EPT_QUAL_FETCH);
	ck_assert_uint_eq(w.level, 1);
	ck_assert_int_eq(ept_walk(&ept, SZ_2M, PW_READ, &w), -EFAULT);
	ck_assert_uint_eq(w.level, 2);
	ck_assert_uint_eq(w.refs, 3);
	ck_assert_int_eq(ept_walk(&ept, SZ_1G, PW_WRITE, &w), -EFAULT);
	ck_assert_uint_eq(w.level, 3);
	ck_assert_uint_eq(w.qual, EPT_QUAL_WRITE);
	ck_assert_int_eq(ept_walk(&ept, 1ULL << 39, PW_READ, &w), -EFAULT);
	ck_assert_uint_eq(w.level, 4);
	ck_assert_uint_eq(w.refs, 1);
	/* A GPA wider than 48 bits: nothing to walk. */
	ck_assert_int_eq(ept_walk(&ept, 1ULL << 48, PW_READ, &w), -EFAULT);
	ck_assert_uint_eq(w.refs, 0);
	ck_assert_uint_eq(w.qual, EPT_QUAL_READ);
}
END_TEST

START_TEST(walk_misconfig)
{
	static const uint64_t bad_leaf[] = {
		EPT_W | EPT_MT_WB << 3,			/* write-only */
		EPT_W | EPT_X | EPT_MT_WB << 3,		/* write+execute, no read */
		EPT_RWX | 2ULL << 3,			/* memory type 2 */
		EPT_RWX | 3ULL << 3,			/* memory type 3 */
		EPT_RWX | 7ULL << 3,			/* memory type 7 */
	};
	struct ept_walk_result w;
	uint64_t *t[4];
	unsigned int i;

	chain(t, EPT_RWX, EPT_RWX, EPT_R);
	for (i = 0; i < sizeof(bad_leaf) / sizeof(bad_leaf[0]); i++) {
		t[3][0] = 0x9000 | bad_leaf[i];
		/* Even where the rights above would refuse it anyway. */
		ck_assert_int_eq(ept_walk(&ept, 0, PW_WRITE, &w), -EINVAL);
		ck_assert_uint_eq(w.level, 1);
	}
	/* Reserved bits 7:3 of a non-leaf entry (bit 7 in a PML4E too). */
	t[2][0] |= 1ULL << 3;
	ck_assert_int_eq(ept_walk(&ept, 0, PW_READ, &w), -EINVAL);
	ck_assert_uint_eq(w.level, 2);
	t[0][0] |= EPT_PS;
	ck_assert_int_eq(ept_walk(&ept, 0, PW_READ, &w), -EINVAL);
	ck_assert_uint_eq(w.level, 4);
	ck_assert_uint_eq(w.refs, 1);
	t[0][0] &= ~EPT_PS;
	/* Reserved low frame bits of large pages: 20:12 and 29:12. */
	t[2][1] = 0x40000000ULL | 1ULL << 12 | EPT_PS | LEAF_RWX;
	ck_assert_int_eq(ept_walk(&ept, SZ_2M, PW_READ, &w), -EINVAL);
	t[1][1] = 0x80000000ULL | 1ULL << 29 | EPT_PS | LEAF_RWX;
	ck_assert_int_eq(ept_walk(&ept, SZ_1G, PW_READ, &w), -EINVAL);
	ck_assert_uint_eq(w.level, 3);
	/* A table pointer that is not one of our tables. */
	t[1][2] = 0x5000 | EPT_RWX;
	ck_assert_int_eq(ept_walk(&ept, 2 * SZ_1G, PW_READ, &w), -EIO);
}
END_TEST

/*
 * The limits exactly: 2^48 - 4 KiB is the last page a 4-level EPT maps,
 * a GPA past 2^48 is refused even where GPA + size wraps, 32 regions
 * are allowed, a region the builder refuses stops the build, and the
 * messages are the ones the contract gives. An execute-only 4 KiB page
 * is not readable (SDM vol. 3C, 28.3.2: bit 0 of the leaf is read
 * access).
 */
START_TEST(map_limits)
{
	struct ept_region r[EPT_MAX_REGIONS];
	struct ept_walk_result walk;
	unsigned int i;

	ck_assert_int_eq(ept_map(&ept, (1ULL << 48) - SZ_4K, FAKE_HPA, SZ_4K,
				 EPT_RWX, SZ_4K), 0);
	ck_assert_int_eq(ept_map(&ept, 3ULL << 47, FAKE_HPA, SZ_4K, EPT_RWX, SZ_4K),
			 -EINVAL);
	ck_assert_msg(strcmp(err_msg(), "EPT: cannot map 0x1000 bytes at GPA "
			     "0x1800000000000 to 0x7f0000000000") == 0,
		      "2.ept: ept_map()'s message is the contract's: \"%s\"", err_msg());
	ck_assert_int_eq(ept_map(&ept, 0x10000, FAKE_HPA, SZ_4K, EPT_X, SZ_4K), 0);
	ck_assert_int_eq(ept_walk(&ept, 0x10010, PW_READ, &walk), -EFAULT);
	ck_assert_int_eq(ept_walk(&ept, 0x10010, PW_FETCH, &walk), 0);

	for (i = 0; i < EPT_MAX_REGIONS; i++)
		r[i] = (struct ept_region){ i * SZ_4K, SZ_4K, FAKE_HPA, EPT_R };
	ck_assert_int_eq(ept_build(&ept, r, EPT_MAX_REGIONS, SZ_4K), 0);
	ck_assert_uint_eq(ept.nr_regions, EPT_MAX_REGIONS);
	r[1].size = 100;
	ck_assert_int_eq(ept_build(&ept, r, 3, SZ_4K), -EINVAL);
	ck_assert_uint_eq(ept.nr_regions, 1);
	ck_assert_int_eq(ept_build(&ept, r, EPT_MAX_REGIONS + 7, SZ_4K), -E2BIG);
	ck_assert_msg(strcmp(err_msg(), "EPT: 39 regions, at most 32") == 0,
		      "2.ept: ept_build()'s message is the contract's: \"%s\"", err_msg());
}
END_TEST

Suite *ept_suite(void)
{
	Suite *s = suite_create("ept");
	TCase *tc = tcase_create("ept");

	tcase_add_checked_fixture(tc, ept_setup, ept_teardown);
	tcase_add_test(tc, eptp_format);
	tcase_add_test(tc, build_4k);
	tcase_add_test(tc, build_large);
	tcase_add_test(tc, build_large_limits);
	tcase_add_test(tc, build_pc_map);
	tcase_add_test(tc, build_rebuild);
	tcase_add_test(tc, map_errors);
	tcase_add_test(tc, map_limits);
	tcase_add_test(tc, tables_needed);
	tcase_add_test(tc, walk_leaves);
	tcase_add_test(tc, walk_violations);
	tcase_add_test(tc, walk_misconfig);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- the two-dimensional walk ---- */

/*
 * Guest RAM: 16 MiB at GPA 0, at a host address aligned to 1 GiB so that
 * the EPT can use pages of any size (reserved, not committed: only the
 * pages the test writes cost memory). A read-only 64 KiB "ROM" region at
 * GPA 0x01000000 shares the mapping.
 */
#define GRAM		(16ULL << 20)
#define ROM_GPA		0x01000000ULL

static uint8_t *map;
static size_t map_len;
static uint8_t *gram;
static struct pagewalk_cpu cpu;
static struct ept_2d_result r2;

static void g64(uint64_t gpa, uint64_t v)
{
	memcpy(gram + gpa, &v, 8);
}

static void g32(uint64_t gpa, uint32_t v)
{
	memcpy(gram + gpa, &v, 4);
}

static void ept_for(uint64_t ram_size, uint64_t max_page)
{
	struct ept_region r[2] = {
		{ 0, ram_size, (uint64_t)(uintptr_t)gram, EPT_RWX },
		{ ROM_GPA, 0x10000, (uint64_t)(uintptr_t)gram + ROM_GPA,
		  EPT_R | EPT_X },
	};

	/* RAM that reaches the ROM's address covers it: no ROM then. */
	ck_assert_int_eq(ept_build(&ept, r, ram_size > ROM_GPA ? 1 : 2,
				   max_page), 0);
}

/*
 * The guest's 4-level tables (SDM 4.5), all in guest RAM:
 *   PML4 0x1000: PML4E 0 -> PDPT 0x2000; PML4E 1 -> PDPT 0x00f00000,
 *     outside the EPT's RAM when it is 8 MiB
 *   PDPT 0x2000: PDPTE 0 -> PD 0x3000; PDPTE 1 -> 1 GiB page at GPA 0
 *   PD 0x3000: PDE 0 -> PT 0x4000; PDE 1 -> 2 MiB page at 0x00600000;
 *     PDE 2 -> 2 MiB page at 0xfea00000 (the MMIO hole)
 *   PT 0x4000: PTE 0 -> 0x00100000 P RW; PTE 1 -> 0x00101000 P (read-only);
 *     PTE 2 not present; PTE 3 -> the ROM at 0x01000000 P RW
 */
static void guest_4level(void)
{
	g64(0x1000, 0x2000 | PW_PTE_P | PW_PTE_RW);
	g64(0x1008, 0x00f00000 | PW_PTE_P | PW_PTE_RW);
	g64(0x2000, 0x3000 | PW_PTE_P | PW_PTE_RW);
	g64(0x2008, 0x0 | PW_PTE_P | PW_PTE_RW | PW_PTE_PS);
	g64(0x3000, 0x4000 | PW_PTE_P | PW_PTE_RW);
	g64(0x3008, 0x00600000 | PW_PTE_P | PW_PTE_RW | PW_PTE_PS);
	g64(0x3010, 0xfea00000 | PW_PTE_P | PW_PTE_RW | PW_PTE_PS);
	g64(0x4000, 0x00100000 | PW_PTE_P | PW_PTE_RW);
	g64(0x4008, 0x00101000 | PW_PTE_P);
	g64(0x4018, ROM_GPA | PW_PTE_P | PW_PTE_RW);
	cpu = (struct pagewalk_cpu){
		.mode = PAGING_4LEVEL,
		.cr0 = PW_CR0_PG | PW_CR0_WP | 1,
		.cr3 = 0x1000,
		.cr4 = PW_CR4_PAE,
		.efer = PW_EFER_LME | PW_EFER_LMA | PW_EFER_NXE,
	};
}

static void w2d_setup(void)
{
	uintptr_t p;

	map_len = 2 * SZ_1G;
	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	p = ((uintptr_t)map + SZ_1G - 1) & ~(uintptr_t)(SZ_1G - 1);
	gram = (uint8_t *)p;
	ck_assert_int_eq(ept_init(&ept, 256), 0);
	memset(&cpu, 0, sizeof(cpu));
}

static void w2d_teardown(void)
{
	ept_free(&ept);
	munmap(map, map_len);
}

static int w2d(uint64_t gva, unsigned int access)
{
	return ept_walk2d(&ept, &cpu, gva, access, &r2);
}

#define HPA(gpa)	((uint64_t)(uintptr_t)gram + (gpa))

/* A 2-D walk that must reach the host address of this GPA, in this many
 * memory references. */
#define ck_2d_ok(gva, access, want_gpa, want_refs) do {			\
	ck_assert_int_eq(w2d((gva), (access)), EPT2D_OK);		\
	ck_assert_uint_eq(r2.hpa, HPA(want_gpa));			\
	ck_assert_uint_eq(r2.refs, (want_refs));			\
} while (0)

START_TEST(w2d_4level)
{
	guest_4level();
	ept_for(GRAM, SZ_4K);
	/* 4 KiB guest page on 4 KiB EPT pages: 4 x (4 + 1) + 4 = 24. */
	ck_2d_ok(0x123, PW_WRITE, 0x00100123, 24);
	ck_assert_uint_eq(r2.guest.gpa, 0x00100123);
	ck_assert_uint_eq(r2.guest_refs, 4);
	/* 2 MiB guest page: 3 x 5 + 4 = 19. */
	ck_2d_ok(0x00212345, PW_READ, 0x00612345, 19);
	/* 1 GiB guest page: 2 x 5 + 4 = 14. */
	ck_2d_ok(0x40abcdef, PW_FETCH, 0x00abcdef, 14);
	ck_assert_uint_eq(r2.guest_refs, 2);
}
END_TEST

START_TEST(w2d_large_ept)
{
	guest_4level();
	/* 2 MiB EPT pages: every EPT walk reads 3 entries: 4 x 4 + 3 = 19. */
	ept_for(GRAM, SZ_2M);
	ck_2d_ok(0x123, PW_READ, 0x00100123, 19);
	/* ...and a 2 MiB guest page: 3 x 4 + 3 = 15. */
	ck_assert_int_eq(w2d(0x00212345, PW_READ), EPT2D_OK);
	ck_assert_uint_eq(r2.refs, 15);
	/* 1 GiB EPT pages (RAM of 1 GiB): 2 entries a walk: 4 x 3 + 2 = 14. */
	ept_for(SZ_1G, SZ_1G);
	ck_2d_ok(0x123, PW_READ, 0x00100123, 14);
	/* ...and a 1 GiB guest page: 2 x 3 + 2 = 8. */
	ck_assert_int_eq(w2d(0x40abcdef, PW_READ), EPT2D_OK);
	ck_assert_uint_eq(r2.refs, 8);
}
END_TEST

START_TEST(w2d_other_modes)
{
	uint64_t pdpte[4] = { 0x5000 | PW_PTE_P, 0, 0, 0 };

	ept_for(GRAM, SZ_4K);
	/* No paging: the final EPT walk only. */
	cpu.mode = PAGING_NONE;
	ck_2d_ok(0x00345678, PW_WRITE, 0x00345678, 4);
	/* 32-bit paging: PD 0x6000, PDE 0 -> PT 0x7000, PDE 1 -> 4 MiB page. */
	g32(0x6000, 0x7000 | PW_PTE_P | PW_PTE_RW);
	g32(0x6004, 0x00800000 | PW_PTE_P | PW_PTE_RW | PW_PTE_PS);
	g32(0x7004, 0x00345000 | PW_PTE_P | PW_PTE_RW);
	cpu = (struct pagewalk_cpu){ .mode = PAGING_32, .cr0 = PW_CR0_PG | 1,
				     .cr3 = 0x6000, .cr4 = PW_CR4_PSE };
	ck_2d_ok(0x1678, PW_READ, 0x00345678, 2 * 5 + 4);
	ck_2d_ok(0x00412345, PW_READ, 0x00812345, 1 * 5 + 4);
	/* PAE: PDPT 0x8000 -> PD 0x5000 -> PT 0x7000 (8-byte entries now). */
	g64(0x8000, 0x5000 | PW_PTE_P);
	g64(0x5000, 0x9000 | PW_PTE_P | PW_PTE_RW);
	g64(0x9008, 0x00345000 | PW_PTE_P | PW_PTE_RW);
	cpu = (struct pagewalk_cpu){ .mode = PAGING_PAE, .cr0 = PW_CR0_PG | 1,
				     .cr3 = 0x8000, .cr4 = PW_CR4_PAE };
	/* PDPTE read from memory like the others: 3 x 5 + 4. */
	ck_2d_ok(0x1678, PW_READ, 0x00345678, 19);
	/* PDPTE from the registers, as the CPU does: 2 x 5 + 4. */
	cpu.pdpte = pdpte;
	ck_2d_ok(0x1678, PW_READ, 0x00345678, 14);
	ck_assert_int_eq(w2d(0x40001678, PW_READ), EPT2D_PAGE_FAULT);
	ck_assert_uint_eq(r2.refs, 0);
}
END_TEST

START_TEST(w2d_guest_faults)
{
	guest_4level();
	ept_for(GRAM, SZ_4K);
	/* A not-present PTE: four guest entries read, no final GPA. */
	ck_assert_int_eq(w2d(0x2000, PW_READ), EPT2D_PAGE_FAULT);
	ck_assert_uint_eq(r2.guest.error_code, 0);
	ck_assert_uint_eq(r2.refs, 20);
	/* A rights fault: the walk completes, the access is refused. */
	ck_assert_int_eq(w2d(0x1000, PW_WRITE), EPT2D_PAGE_FAULT);
	ck_assert_uint_eq(r2.guest.error_code, PF_P | PF_W);
	ck_assert_uint_eq(r2.refs, 20);
	/* Not canonical: no memory reference at all. */
	ck_assert_int_eq(w2d(0x0000800000000000ULL, PW_READ),
			 EPT2D_NOT_CANONICAL);
	ck_assert_uint_eq(r2.refs, 0);
}
END_TEST

START_TEST(w2d_ept_faults)
{
	guest_4level();
	ept_for(8 << 20, SZ_4K);
	/* The final GPA (0xfeb00000) is in no region: PDPTE 3 not present. */
	ck_assert_int_eq(w2d(0x00500000, PW_READ), EPT2D_VIOLATION);
	ck_assert_uint_eq(r2.guest.gpa, 0xfeb00000);
	ck_assert_uint_eq(r2.ept_gpa, 0xfeb00000);
	ck_assert_uint_eq(r2.ept_level, 3);
	ck_assert_uint_eq(r2.qual, EPT_QUAL_READ | EPT_QUAL_GLA_VALID |
			  EPT_QUAL_GLA_FINAL);
	ck_assert_uint_eq(r2.refs, 3 * 5 + 2);
	/* A guest PDPT at 0x00f00000, beyond the 8 MiB: stops at the PML4E. */
	ck_assert_int_eq(w2d(0x0000008000000000ULL, PW_WRITE), EPT2D_VIOLATION);
	ck_assert_uint_eq(r2.ept_gpa, 0x00f00000);
	ck_assert_uint_eq(r2.ept_level, 2);
	ck_assert_uint_eq(r2.qual, EPT_QUAL_READ | EPT_QUAL_GLA_VALID);
	ck_assert_uint_eq(r2.refs, 5 + 3);
	ck_assert_uint_eq(r2.guest_refs, 1);
	/* A write to the ROM: the EPT allows read and execute only. */
	ck_assert_int_eq(w2d(0x3010, PW_READ), EPT2D_OK);
	ck_assert_uint_eq(r2.hpa, HPA(ROM_GPA + 0x10));
	ck_assert_int_eq(w2d(0x3010, PW_WRITE), EPT2D_VIOLATION);
	ck_assert_uint_eq(r2.ept_gpa, ROM_GPA + 0x10);
	ck_assert_uint_eq(r2.ept_level, 1);
	ck_assert_uint_eq(r2.qual, EPT_QUAL_WRITE | EPT_QUAL_READABLE |
			  EPT_QUAL_EXECUTABLE | EPT_QUAL_GLA_VALID |
			  EPT_QUAL_GLA_FINAL);
	ck_assert_uint_eq(r2.refs, 24);
	/* A misconfigured leaf (memory type 7) under the guest's PT. */
	next(next(next(next(ept.eptp)[0])[0])[0])[4] |= 7ULL << 3;
	ck_assert_int_eq(w2d(0x123, PW_READ), EPT2D_MISCONFIG);
	ck_assert_uint_eq(r2.ept_gpa, 0x4000);
	ck_assert_uint_eq(r2.ept_level, 1);
	/* A bad access is refused before any walk. */
	ck_assert_int_eq(w2d(0x123, PW_WRITE | PW_FETCH), -EINVAL);
}
END_TEST

/*
 * What goes wrong at the final GPA rather than at a guest table, and a
 * guest table the EPT maps to host memory outside every region.
 */
START_TEST(w2d_final_gpa_faults)
{
	uint64_t *pt;

	guest_4level();
	ept_for(GRAM, SZ_4K);
	/* The final GPA 0x00100123's EPT leaf: write without read. */
	pt = next(next(next(next(ept.eptp)[0])[0])[0]);
	pt[0x100] = (pt[0x100] & ~EPT_RWX) | EPT_W;
	ck_assert_int_eq(w2d(0x123, PW_READ), EPT2D_MISCONFIG);
	ck_assert_uint_eq(r2.ept_gpa, 0x00100123);
	ck_assert_uint_eq(r2.ept_level, 1);
	/* GPA 0x00600000's EPT PDE (3) points at no table of the EPT. */
	ept_for(GRAM, SZ_4K);
	next(next(next(ept.eptp)[0])[0])[3] = FAKE_HPA | EPT_RWX;
	ck_assert_int_eq(w2d(0x00200000, PW_READ), -EIO);
	/* The guest's PT (GPA 0x4000) mapped to host memory of no region. */
	ept_for(GRAM, SZ_4K);
	pt = next(next(next(next(ept.eptp)[0])[0])[0]);
	pt[4] = FAKE_HPA | LEAF_RWX;
	ck_assert_int_eq(w2d(0x123, PW_READ), -EIO);
}
END_TEST

Suite *walk2d_suite(void)
{
	Suite *s = suite_create("walk2d");
	TCase *tc = tcase_create("walk2d");

	tcase_add_checked_fixture(tc, w2d_setup, w2d_teardown);
	tcase_add_test(tc, w2d_4level);
	tcase_add_test(tc, w2d_large_ept);
	tcase_add_test(tc, w2d_other_modes);
	tcase_add_test(tc, w2d_guest_faults);
	tcase_add_test(tc, w2d_ept_faults);
	tcase_add_test(tc, w2d_final_gpa_faults);
	suite_add_tcase(s, tc);
	return s;
}

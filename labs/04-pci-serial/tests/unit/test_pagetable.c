/*
 * test_pagetable.c - the long-mode identity map, checked by walking it
 * the way the CPU does (Intel SDM vol. 3, 4.5.4, with 2 MiB pages).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/boot.h"
#include "cpu/pt.h"
#include "unit.h"

#define RAM (8u << 20)

static uint8_t *ram;

static void setup(void)
{
	ram = malloc(RAM);
	ck_assert_ptr_nonnull(ram);
	memset(ram, 0xa5, RAM);		/* garbage the builder must clear */
}

static void teardown(void)
{
	free(ram);
}

static uint64_t entry(uint64_t table, unsigned int index)
{
	uint64_t e;

	ck_assert_uint_lt(table + index * 8, RAM);
	memcpy(&e, ram + table + index * 8, 8);
	return e;
}

/* Translate a linear address; returns -1 on a not-present entry. */
static int64_t walk(uint64_t la)
{
	uint64_t pml4e, pdpte, pde;

	pml4e = entry(BOOT_PML4, (la >> 39) & 511);
	if (!(pml4e & PTE_P))
		return -1;
	ck_assert(pml4e & PTE_RW);
	ck_assert(!(pml4e & PTE_PS));	/* PS is reserved in a PML4E */
	pdpte = entry(pml4e & PTE_ADDR_MASK, (la >> 30) & 511);
	if (!(pdpte & PTE_P))
		return -1;
	ck_assert(!(pdpte & PTE_PS));	/* we map with 2 MiB pages */
	pde = entry(pdpte & PTE_ADDR_MASK, (la >> 21) & 511);
	if (!(pde & PTE_P))
		return -1;
	ck_assert(pde & PTE_RW);
	ck_assert(pde & PTE_PS);
	/* Bits 20:13 of a 2 MiB PDE are reserved (must be 0). */
	ck_assert_uint_eq(pde & 0x1fe000ULL, 0);
	return (int64_t)((pde & 0xfffffffe00000ULL) | (la & 0x1fffff));
}

START_TEST(identity_first_4g)
{
	static const uint64_t probes[] = {
		0, 0x7c00, 0x100000, 0x1fffff, 0x200000, 0x12345678,
		0x40000000, 0xbfffffff, 0xfeb00000, 0xfeb00ff8, 0xffffffff,
	};
	unsigned int i;

	ck_assert_int_eq(pt_build(ram, RAM), 0);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		ck_assert_int_eq(walk(probes[i]), (int64_t)probes[i]);
}
END_TEST

START_TEST(nothing_above_4g)
{
	unsigned int i;

	ck_assert_int_eq(pt_build(ram, RAM), 0);
	ck_assert_int_eq(walk(0x100000000ULL), -1);
	ck_assert_int_eq(walk(0x8000000000ULL), -1);	/* PML4 entry 1 */
	for (i = 1; i < 512; i++)
		ck_assert_uint_eq(entry(BOOT_PML4, i), 0);
	for (i = 4; i < 512; i++)
		ck_assert_uint_eq(entry(BOOT_PDPT, i), 0);
}
END_TEST

START_TEST(tables_where_promised)
{
	ck_assert_int_eq(pt_build(ram, RAM), 0);
	ck_assert_uint_eq(entry(BOOT_PML4, 0) & PTE_ADDR_MASK, BOOT_PDPT);
	ck_assert_uint_eq(entry(BOOT_PDPT, 3) & PTE_ADDR_MASK, BOOT_PD + 3 * 4096);
	/* The last page directory ends below 0x8000: nothing else is touched. */
	ck_assert_uint_eq(ram[0x8000], 0xa5);
	ck_assert_uint_eq(ram[0x1fff], 0xa5);
}
END_TEST

/*
 * Every entry, exactly: the four tables in use and the rest of the PML4
 * and the PDPT. In use: P and R/W, U/S clear (the guest's kernel only),
 * PS in a page directory entry (a 2 MiB page), nothing else; not in
 * use: 0 (SDM vol. 3A, tables 4-15 to 4-18).
 */
START_TEST(every_entry_exact)
{
	uint64_t i, j, e, want;

	ck_assert_int_eq(pt_build(ram, RAM), 0);
	for (i = 0; i < 512; i++) {
		e = entry(BOOT_PML4, i);
		want = i ? 0 : BOOT_PDPT | PTE_P | PTE_RW;
		ck_assert_msg(e == want, "1.pagetable: PML4 entry %llu is 0x%llx, want 0x%llx",
			      (unsigned long long)i, (unsigned long long)e,
			      (unsigned long long)want);
		e = entry(BOOT_PDPT, i);
		want = i < BOOT_NR_PD ? (BOOT_PD + i * 4096) | PTE_P | PTE_RW : 0;
		ck_assert_msg(e == want, "1.pagetable: PDPT entry %llu is 0x%llx, want 0x%llx",
			      (unsigned long long)i, (unsigned long long)e,
			      (unsigned long long)want);
	}
	for (i = 0; i < BOOT_NR_PD; i++)
		for (j = 0; j < 512; j++) {
			e = entry(BOOT_PD + i * 4096, j);
			want = (i << 30 | j << 21) | PTE_P | PTE_RW | PTE_PS;
			ck_assert_msg(e == want,
				      "1.pagetable: entry %llu of page directory %llu is "
				      "0x%llx, want 0x%llx", (unsigned long long)j,
				      (unsigned long long)i, (unsigned long long)e,
				      (unsigned long long)want);
		}
}
END_TEST

/* Refused for want of room: nothing written, not even part of a table. */
START_TEST(too_small_writes_nothing)
{
	uint64_t size;
	unsigned int i;

	for (size = BOOT_PML4; size < BOOT_PD + BOOT_NR_PD * 4096; size += 0x800) {
		memset(ram, 0xa5, 0x10000);
		ck_assert_msg(pt_build(ram, size) == -EINVAL,
			      "1.pagetable: %llu bytes of RAM cannot hold the tables",
			      (unsigned long long)size);
		/* One assertion, not one per byte: each costs Check a write. */
		for (i = 0; i < 0x10000 && ram[i] == 0xa5; i++)
			;
		ck_assert_msg(i == 0x10000,
			      "1.pagetable: refused with %llu bytes of RAM, "
			      "yet wrote at 0x%x", (unsigned long long)size, i);
	}
}
END_TEST

START_TEST(too_small_ram)
{
	ck_assert_int_eq(pt_build(ram, 0x6000), -EINVAL);
	/* The last page directory ends at 0x8000: one byte less is too little. */
	ck_assert_int_eq(pt_build(ram, 0x7fff), -EINVAL);
	ck_assert_int_eq(pt_build(ram, 0x8000), 0);
	ck_assert_int_eq(walk(0xffffffff), 0xffffffff);
}
END_TEST

Suite *pagetable_suite(void)
{
	Suite *s = suite_create("pagetable");
	TCase *tc = tcase_create("pagetable");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identity_first_4g);
	tcase_add_test(tc, nothing_above_4g);
	tcase_add_test(tc, tables_where_promised);
	tcase_add_test(tc, too_small_ram);
	tcase_add_test(tc, every_entry_exact);
	tcase_add_test(tc, too_small_writes_nothing);
	suite_add_tcase(s, tc);
	return s;
}

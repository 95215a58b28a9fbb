/*
 * test_memmap.c - the memory map for several --mem sizes, checked against
 * the layout of guests/README.md ("Lab 02: memory"): the entries, their
 * E820 types, the memslot behind each, where the VMM sees them, the
 * DIMM area and hot-plugging into it, and the long-mode identity map
 * that reaches all of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "cpu/boot.h"
#include "cpu/pt.h"
#include "mem/memmap.h"
#include "unit.h"

#define KiB 1024ULL
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

struct want {
	uint64_t gpa, size;
	uint32_t type;
};

/* The map's fixed start, the same for every --mem. */
#define LOW	{ 0, 0x9f000, E820_RAM }
#define EBDA	{ 0x9f000, 0x1000, E820_RESERVED }
#define ROM	{ 0xf0000, 0x10000, E820_RESERVED }

static void expect_map(uint64_t mem, const struct want *w, unsigned int n)
{
	struct memmap mm;
	struct e820_entry ent;
	unsigned int i;

	ck_assert_int_eq(memmap_build(&mm, mem), 0);
	ck_assert_uint_eq(mm.nr, n);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(memmap_e820_entry(&mm, i, &ent), 0);
		ck_assert_msg(ent.addr == w[i].gpa && ent.size == w[i].size &&
			      ent.type == w[i].type,
			      "--mem 0x%llx entry %u: 0x%llx+0x%llx type %u, want 0x%llx+0x%llx type %u",
			      (unsigned long long)mem, i,
			      (unsigned long long)ent.addr, (unsigned long long)ent.size,
			      ent.type, (unsigned long long)w[i].gpa,
			      (unsigned long long)w[i].size, w[i].type);
		/* One memslot per entry, numbered in order. */
		ck_assert_uint_eq(mm.r[i].slot, i);
	}
	ck_assert_int_eq(memmap_e820_entry(&mm, n, &ent), -ENOENT);
}

START_TEST(layout_32m)
{
	static const struct want w[] = {
		LOW, EBDA, ROM, { 0x100000, 31 * MiB, E820_RAM },
	};

	expect_map(32 * MiB, w, 4);
}
END_TEST

START_TEST(layout_1m_has_no_ram_above_1m)
{
	static const struct want w[] = { LOW, EBDA, ROM };

	expect_map(1 * MiB, w, 3);
}
END_TEST

START_TEST(layout_3g_fills_up_to_the_pci_hole)
{
	static const struct want w[] = {
		LOW, EBDA, ROM, { 0x100000, 3 * GiB - 1 * MiB, E820_RAM },
	};

	expect_map(3 * GiB, w, 4);
}
END_TEST

START_TEST(layout_above_3g_moves_to_4g)
{
	static const struct want w5[] = {
		LOW, EBDA, ROM, { 0x100000, 3 * GiB - 1 * MiB, E820_RAM },
		{ 4 * GiB, 2 * GiB, E820_RAM },
	};
	static const struct want w3g4k[] = {
		LOW, EBDA, ROM, { 0x100000, 3 * GiB - 1 * MiB, E820_RAM },
		{ 4 * GiB, 4 * KiB, E820_RAM },
	};

	expect_map(5 * GiB, w5, 5);
	expect_map(3 * GiB + 4 * KiB, w3g4k, 5);
}
END_TEST

START_TEST(bad_sizes)
{
	struct memmap mm;

	ck_assert_int_eq(memmap_build(&mm, 0), -EINVAL);
	ck_assert_int_eq(memmap_build(&mm, 1 * MiB - 4 * KiB), -EINVAL);
	ck_assert_int_eq(memmap_build(&mm, 32 * MiB + 1), -EINVAL);
	ck_assert_int_eq(memmap_build(&mm, 65 * GiB), -EINVAL);
	ck_assert_int_eq(memmap_build(&mm, 64 * GiB), 0);
}
END_TEST

START_TEST(rom_readonly_and_tops)
{
	struct memmap mm;

	ck_assert_int_eq(memmap_build(&mm, 5 * GiB), 0);
	ck_assert_uint_eq(mm.r[2].flags, KVM_MEM_READONLY);
	ck_assert_uint_eq(mm.r[0].flags | mm.r[1].flags | mm.r[3].flags |
			  mm.r[4].flags, 0);
	ck_assert_uint_eq(memmap_low_top(&mm), 3 * GiB);
	ck_assert_uint_eq(memmap_ram_top(&mm), 6 * GiB);
	ck_assert_uint_eq(memmap_ram_end(32 * MiB), 32 * MiB);
	/* DIMMs: 1 GiB from the first GiB boundary at or above 4 GiB and RAM. */
	ck_assert_uint_eq(mm.dimm_base, 6 * GiB);
	ck_assert_uint_eq(memmap_top(&mm), 7 * GiB);

	ck_assert_int_eq(memmap_build(&mm, 32 * MiB), 0);
	ck_assert_uint_eq(memmap_low_top(&mm), 32 * MiB);
	ck_assert_uint_eq(mm.dimm_base, 4 * GiB);
	ck_assert_uint_eq(memmap_top(&mm), 5 * GiB);

	ck_assert_int_eq(memmap_build(&mm, 5 * GiB + 4 * KiB), 0);
	ck_assert_uint_eq(mm.dimm_base, 7 * GiB);
}
END_TEST

/* Where the VMM sees guest memory: one mapping, RAM above 4 GiB at 3 GiB. */
START_TEST(host_addresses)
{
	struct memmap mm;

	ck_assert_int_eq(memmap_build(&mm, 5 * GiB), 0);
	ck_assert_int_eq(memmap_alloc(&mm), 0);
	ck_assert_ptr_eq(memmap_hva(&mm, 0x7c00, 512), mm.base + 0x7c00);
	ck_assert_ptr_eq(memmap_hva(&mm, 0xf0000, 0x10000), mm.base + 0xf0000);
	ck_assert_ptr_eq(memmap_hva(&mm, 3 * GiB - 8, 8), mm.base + 3 * GiB - 8);
	ck_assert_ptr_eq(memmap_hva(&mm, 4 * GiB, 8), mm.base + 3 * GiB);
	ck_assert_ptr_eq(memmap_hva(&mm, 6 * GiB - 8, 8), mm.base + 5 * GiB - 8);
	/* Holes, the end of RAM, and ranges that leave their region. */
	ck_assert_ptr_null(memmap_hva(&mm, 0xa0000, 1));
	ck_assert_ptr_null(memmap_hva(&mm, 0xeffff, 1));
	ck_assert_ptr_null(memmap_hva(&mm, 3 * GiB, 1));
	ck_assert_ptr_null(memmap_hva(&mm, 0xfeb00000, 8));
	ck_assert_ptr_null(memmap_hva(&mm, 6 * GiB, 1));
	ck_assert_ptr_null(memmap_hva(&mm, 3 * GiB - 4, 8));
	ck_assert_ptr_null(memmap_hva(&mm, 0x9eff8, 16));
	ck_assert_ptr_null(memmap_hva(&mm, ~0ULL - 3, 8));
	ck_assert_int_eq(memmap_find(&mm, 0x9f800, 4), 1);
	ck_assert_int_eq(memmap_find(&mm, 4 * GiB + 5, 4), 4);
	memmap_free(&mm);
}
END_TEST

/* DIMMs: one after the other, each a new memslot and E820 entry. */
START_TEST(dimm_hotplug_updates_the_map)
{
	struct memmap mm;
	struct e820_entry ent;
	int i;

	ck_assert_int_eq(memmap_build(&mm, 32 * MiB), 0);
	ck_assert_int_eq(memmap_alloc(&mm), 0);
	i = memmap_add_dimm(&mm, -1, 8 * MiB);
	ck_assert_int_eq(i, 4);
	ck_assert_int_eq(memmap_e820_entry(&mm, 4, &ent), 0);
	ck_assert_uint_eq(ent.addr, 4 * GiB);
	ck_assert_uint_eq(ent.size, 8 * MiB);
	ck_assert_uint_eq(ent.type, E820_RAM);
	ck_assert_uint_eq(mm.r[4].slot, 4);
	ck_assert_int_eq(memmap_add_dimm(&mm, -1, 2 * MiB), 5);
	ck_assert_uint_eq(mm.r[5].gpa, 4 * GiB + 8 * MiB);
	ck_assert_uint_eq(mm.r[5].slot, 5);

	/* The new memory is the VMM's to see, and starts zeroed. */
	ck_assert_ptr_nonnull(memmap_hva(&mm, 4 * GiB + 10 * MiB - 8, 8));
	ck_assert_ptr_null(memmap_hva(&mm, 4 * GiB + 10 * MiB, 1));
	ck_assert_uint_eq(*(uint8_t *)memmap_hva(&mm, 4 * GiB + 9 * MiB, 1), 0);

	ck_assert_int_eq(memmap_add_dimm(&mm, -1, 0), -EINVAL);
	ck_assert_int_eq(memmap_add_dimm(&mm, -1, 1 * MiB + 4 * KiB), -EINVAL);
	ck_assert_int_eq(memmap_add_dimm(&mm, -1, 1 * GiB), -ENOSPC);
	ck_assert_uint_eq(mm.nr, 6);
	memmap_free(&mm);
}
END_TEST

START_TEST(dimm_slots_run_out)
{
	struct memmap mm;
	int i;

	ck_assert_int_eq(memmap_build(&mm, 32 * MiB), 0);
	ck_assert_int_eq(memmap_alloc(&mm), 0);
	for (i = 0; i < MEMMAP_DIMM_MAX; i++)
		ck_assert_int_ge(memmap_add_dimm(&mm, -1, 1 * MiB), 0);
	ck_assert_int_eq(memmap_add_dimm(&mm, -1, 1 * MiB), -ENOSPC);
	ck_assert_uint_eq(mm.nr_dimms, MEMMAP_DIMM_MAX);
	memmap_free(&mm);
}
END_TEST

/* pt_extend: 2 MiB identity pages past 4 GiB, in PDs after the first four. */
START_TEST(identity_map_above_4g)
{
	uint8_t *ram = calloc(1, 1 * MiB);
	uint64_t pdpte, pde;

	ck_assert_ptr_nonnull(ram);
	ck_assert_int_eq(pt_build(ram, 1 * MiB), 0);
	ck_assert_int_eq(pt_extend(ram, 1 * MiB, 7 * GiB), 0);
	memcpy(&pdpte, ram + BOOT_PDPT + 6 * 8, 8);
	ck_assert_uint_eq(pdpte, (BOOT_PD + 6 * 4096) | PTE_P | PTE_RW);
	memcpy(&pde, ram + BOOT_PD + 6 * 4096 + 511 * 8, 8);
	ck_assert_uint_eq(pde, (7 * GiB - 2 * MiB) | PTE_P | PTE_RW | PTE_PS);
	memcpy(&pde, ram + BOOT_PD + 4 * 4096, 8);
	ck_assert_uint_eq(pde, (4 * GiB) | PTE_P | PTE_RW | PTE_PS);
	memcpy(&pdpte, ram + BOOT_PDPT + 7 * 8, 8);
	ck_assert_uint_eq(pdpte, 0);
	/* The lab 01 part is untouched. */
	memcpy(&pde, ram + BOOT_PD + 3 * 4096 + 511 * 8, 8);
	ck_assert_uint_eq(pde, (4 * GiB - 2 * MiB) | PTE_P | PTE_RW | PTE_PS);
	/* 108 page directories fit below 0x70000; more do not. */
	ck_assert_int_eq(pt_extend(ram, 1 * MiB, 108 * GiB), 0);
	ck_assert_int_eq(pt_extend(ram, 1 * MiB, 109 * GiB), -E2BIG);
	free(ram);
}
END_TEST

/*
 * Lab 04: KVM maps guest memory 2 MiB at a time only where a memslot's
 * host address and guest-physical address have the same offset within
 * 2 MiB (the KVM API document, KVM_SET_USER_MEMORY_REGION: "the lower 21
 * bits of guest_phys_addr and userspace_addr be identical"). Every RAM
 * slot of the layout keeps it, with RAM above 4 GiB and --mem sizes that
 * are not a multiple of 2 MiB; the mapping is still exactly --mem bytes.
 */
START_TEST(ram_slots_2m_aligned)
{
	static const uint64_t sizes[] = { 32 * MiB, 256 * MiB + 4 * KiB, 5 * GiB };
	unsigned int i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct memmap mm;

		ck_assert_int_eq(memmap_build(&mm, sizes[i]), 0);
		ck_assert_int_eq(memmap_alloc(&mm), 0);
		for (j = 0; j < mm.nr; j++) {
			const struct mem_region *r = &mm.r[j];

			if (r->kind != MEM_RAM)
				continue;
			ck_assert_msg(((uintptr_t)r->hva - r->gpa) % (2 * MiB) == 0,
				      "--mem %llu: the slot at 0x%llx is at host %p",
				      (unsigned long long)sizes[i],
				      (unsigned long long)r->gpa, (void *)r->hva);
		}
		/* All of it is ours to write, and nothing after it. */
		mm.base[0] = 1;
		mm.base[sizes[i] - 1] = 1;
		ck_assert_int_eq(msync(mm.base + sizes[i], 4 * KiB, MS_ASYNC), -1);
		ck_assert_int_eq(errno, ENOMEM);
		memmap_free(&mm);
	}
}
END_TEST

Suite *memmap_suite(void)
{
	Suite *s = suite_create("memmap");
	TCase *tc = tcase_create("memmap");

	tcase_add_test(tc, layout_32m);
	tcase_add_test(tc, layout_1m_has_no_ram_above_1m);
	tcase_add_test(tc, layout_3g_fills_up_to_the_pci_hole);
	tcase_add_test(tc, layout_above_3g_moves_to_4g);
	tcase_add_test(tc, bad_sizes);
	tcase_add_test(tc, rom_readonly_and_tops);
	tcase_add_test(tc, host_addresses);
	tcase_add_test(tc, dimm_hotplug_updates_the_map);
	tcase_add_test(tc, dimm_slots_run_out);
	tcase_add_test(tc, identity_map_above_4g);
	tcase_add_test(tc, ram_slots_2m_aligned);
	suite_add_tcase(s, tc);
	return s;
}

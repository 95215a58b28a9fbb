/*
 * test_pv.c - the paravirtual platform around the shadow MMU: the P2M
 * and M2P tables (src/mem/p2m.c), the "vmmlab" ELF note and the guest's
 * start state (src/mem/pv.c), and the hypercalls a guest can get wrong.
 * The layout expected here is the one src/mem/pv.h documents.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* <elf.h>'s segment flag; the #PF error code bit of pagewalk.h is meant. */
#undef PF_W

#include "core/err.h"
#include "mem/pv.h"
#include "unit.h"

#define PG		4096ULL
#define MIB		(1ULL << 20)

/* ---- P2M ---- */

START_TEST(test_p2m_identity)
{
	struct p2m p;

	ck_assert_int_eq(p2m_init(&p, 100, 256, 0), 0);
	ck_assert_uint_eq(p2m_mfn(&p, 0), 256);
	ck_assert_uint_eq(p2m_mfn(&p, 99), 355);
	ck_assert_uint_eq(p2m_mfn(&p, 100), P2M_NONE);
	ck_assert_uint_eq(p2m_pfn(&p, 300), 44);
	ck_assert_uint_eq(p2m_pfn(&p, 255), P2M_NONE);
	ck_assert_uint_eq(p2m_pfn(&p, 356), P2M_NONE);
	p2m_free(&p);
}
END_TEST

START_TEST(test_p2m_scrambled)
{
	struct p2m p, q;
	static uint8_t seen[1000];
	uint64_t i, moved = 0;

	ck_assert_int_eq(p2m_init(&p, 1000, 256, 1234), 0);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 1000; i++) {
		uint64_t m = p2m_mfn(&p, i);

		/* A permutation of machine frames 256-1255... */
		ck_assert_uint_ge(m, 256);
		ck_assert_uint_lt(m, 1256);
		ck_assert_int_eq(seen[m - 256]++, 0);
		/* ...that the M2P inverts... */
		ck_assert_uint_eq(p2m_pfn(&p, m), i);
		moved += m != 256 + i;
	}
	/* ...and that really scrambles. */
	ck_assert_uint_gt(moved, 900);
	/* The same seed, the same permutation. */
	ck_assert_int_eq(p2m_init(&q, 1000, 256, 1234), 0);
	ck_assert_int_eq(memcmp(p.mfn, q.mfn, 1000 * sizeof(*p.mfn)), 0);
	p2m_free(&p);
	p2m_free(&q);
	ck_assert_int_lt(p2m_init(&p, 0, 256, 1), 0);
}
END_TEST

/* Frames 4-7 loaded at machine frames 4-7 move to where the P2M says. */
START_TEST(test_p2m_relocate)
{
	uint8_t *ram = calloc(32, PG);
	struct p2m p;
	uint64_t i, m;

	ck_assert_int_eq(p2m_init(&p, 24, 8, 99), 0);
	for (i = 4; i < 8; i++)
		memset(ram + i * PG, (int)(0xa0 + i), PG);
	ck_assert_int_eq(p2m_relocate(&p, ram, 32 * PG, 4, 8), 0);
	for (i = 0; i < 24; i++) {
		m = p2m_mfn(&p, i);
		/* Frames 4-7 hold what was loaded for them, the others zeros. */
		ck_assert_uint_eq(ram[m * PG], i >= 4 && i < 8 ? 0xa0 + i : 0);
		ck_assert_uint_eq(ram[m * PG + PG - 1], i >= 4 && i < 8 ? 0xa0 + i : 0);
	}
	/* Machine frames 4-7 are below the P2M's: nobody's, cleared. */
	for (i = 4; i < 8; i++)
		ck_assert_uint_eq(ram[i * PG], 0);
	/* Frames past its memory, or machine frames past RAM: refused. */
	ck_assert_int_lt(p2m_relocate(&p, ram, 32 * PG, 20, 25), 0);
	ck_assert_int_lt(p2m_relocate(&p, ram, 16 * PG, 4, 8), 0);
	p2m_free(&p);
	free(ram);
}
END_TEST

/* ---- the ELF note ---- */

struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	Elf64_Nhdr nh;
	char name[8];
	uint32_t desc[2];
};

/* An ELF64 with one PT_LOAD (0x5000 bytes at 1 MiB) and one PT_NOTE. */
static void image_init(struct image *im, const char *name, uint32_t type,
		       uint32_t descsz, uint32_t mode)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 2;
	im->ph[0].p_type = PT_LOAD;
	im->ph[0].p_vaddr = im->ph[0].p_paddr = MIB;
	im->ph[0].p_memsz = 0x5000;
	im->ph[1].p_type = PT_NOTE;
	im->ph[1].p_offset = offsetof(struct image, nh);
	im->ph[1].p_filesz = sizeof(Elf64_Nhdr) + 8 + descsz;
	im->nh.n_namesz = (uint32_t)strlen(name) + 1;
	im->nh.n_descsz = descsz;
	im->nh.n_type = type;
	strcpy(im->name, name);
	im->desc[0] = mode;
}

static int probe(struct pv *pv, struct image *im, uint64_t ram_size)
{
	return pv_probe(pv, (const uint8_t *)im, sizeof(*im), ram_size);
}

START_TEST(test_note_shadow)
{
	struct image im;
	struct pv pv;

	image_init(&im, "vmmlab", 1, 4, PV_PAGING_SHADOW);
	ck_assert_int_eq(probe(&pv, &im, 32 * MIB), 1);
	ck_assert_uint_eq(pv.mode, PV_PAGING_SHADOW);
	ck_assert_uint_eq(pv.image_start, MIB);
	ck_assert_uint_eq(pv.image_end, MIB + 0x5000);
	/* (32 MiB - 1 MiB) in whole 2 MiB pages: 15 of them. */
	ck_assert_uint_eq(pv.nr_pages, 15 * 512);
	ck_assert_uint_eq(pv.start_info, MIB + 0x5000);
	ck_assert_uint_eq(pv.pt_base, MIB + 0x6000);

	image_init(&im, "vmmlab", 1, 4, PV_PAGING_DIRECT);
	ck_assert_int_eq(probe(&pv, &im, 32 * MIB), 1);
	ck_assert_uint_eq(pv.mode, PV_PAGING_DIRECT);
	/* At most 1 GiB of pseudo-physical memory: one page directory. */
	ck_assert_int_eq(probe(&pv, &im, 3ULL << 30), 1);
	ck_assert_uint_eq(pv.nr_pages, 1ULL << 18);
}
END_TEST

START_TEST(test_note_absent)
{
	struct image im;
	struct pv pv;

	/* Another owner's note, or another type: not ours. */
	image_init(&im, "GNU", 1, 4, 1);
	ck_assert_int_eq(probe(&pv, &im, 32 * MIB), 0);
	ck_assert_uint_eq(pv.mode, 0);
	image_init(&im, "vmmlab", 2, 4, 1);
	ck_assert_int_eq(probe(&pv, &im, 32 * MIB), 0);
	/* No PT_NOTE at all. */
	image_init(&im, "vmmlab", 1, 4, 1);
	im.ph[1].p_type = PT_NULL;
	ck_assert_int_eq(probe(&pv, &im, 32 * MIB), 0);
	/* Not an ELF64. */
	ck_assert_int_eq(pv_probe(&pv, (const uint8_t *)"\x7f" "ELF", 4, 32 * MIB), 0);
	/* pv_start() leaves such a guest alone. */
	ck_assert_int_eq(pv_start(&pv, NULL), 0);
}
END_TEST

START_TEST(test_note_bad)
{
	struct image im;
	struct pv pv;

	image_init(&im, "vmmlab", 1, 4, 3);
	ck_assert_int_eq(probe(&pv, &im, 32 * MIB), -EINVAL);
	ck_assert_str_eq(err_msg(), "unknown paging mode 3 in the vmmlab note");
	image_init(&im, "vmmlab", 1, 8, 1);
	ck_assert_int_eq(probe(&pv, &im, 32 * MIB), -EINVAL);
	/* The note runs past its segment. */
	image_init(&im, "vmmlab", 1, 4, 1);
	im.nh.n_descsz = 4000;
	ck_assert_int_eq(probe(&pv, &im, 32 * MIB), -EINVAL);
	/* The segment runs past the file. */
	image_init(&im, "vmmlab", 1, 4, 1);
	im.ph[1].p_filesz = 1 << 20;
	ck_assert_int_eq(probe(&pv, &im, 32 * MIB), -EINVAL);
	/* Linked at virtual != physical. */
	image_init(&im, "vmmlab", 1, 4, 1);
	im.ph[0].p_vaddr = 0xffffffff80000000ULL;
	ck_assert_int_eq(probe(&pv, &im, 32 * MIB), -EINVAL);
	/* Less than 2 MiB above 1 MiB: no memory for it. */
	image_init(&im, "vmmlab", 1, 4, 1);
	ck_assert_int_eq(probe(&pv, &im, 2 * MIB), -E2BIG);
	ck_assert_int_eq(probe(&pv, &im, 3 * MIB), 1);
}
END_TEST

/* ---- the start state ---- */

START_TEST(test_start_state)
{
	uint8_t *ram = calloc(32 * MIB / PG, PG);
	const struct pv_start_info *si;
	uint64_t *pml4, *pdpt, *pd, j;
	struct image im;
	struct pv pv;
	int scrambled;

	for (scrambled = 0; scrambled <= 1; scrambled++) {
		image_init(&im, "vmmlab", 1, 4, scrambled ? 1 : 2);
		ck_assert_int_eq(probe(&pv, &im, 32 * MIB), 1);
		ck_assert_int_eq(p2m_init(&pv.p2m, pv.nr_pages, scrambled ? 256 : 0,
					  scrambled ? 7 : 0), 0);
		ck_assert_int_eq(pv_build_start(&pv, ram, 32 * MIB), 0);
#define FRAME(pa) (ram + p2m_mfn(&pv.p2m, (pa) / PG) * PG)
		si = (const void *)FRAME(pv.start_info);
		ck_assert_uint_eq(si->magic, 0x56504d56);
		ck_assert_uint_eq(si->mode, scrambled ? 1 : 2);
		ck_assert_uint_eq(si->nr_pages, 15 * 512);
		ck_assert_uint_eq(si->pt_base, MIB + 0x6000);
		ck_assert_uint_eq(si->first_free, (MIB + 0x9000) / PG);
		ck_assert_uint_eq(si->hc_port, scrambled ? 0x600 : 0);
		/* PML4 -> PDPT -> PD, present and writable (SDM table 4-15/16). */
		pml4 = (uint64_t *)FRAME(MIB + 0x6000);
		pdpt = (uint64_t *)FRAME(MIB + 0x7000);
		pd = (uint64_t *)FRAME(MIB + 0x8000);
		ck_assert_uint_eq(pml4[0], (MIB + 0x7000) | 0x3);
		ck_assert_uint_eq(pml4[1], 0);
		ck_assert_uint_eq(pdpt[0], (MIB + 0x8000) | 0x3);
		/* 2 MiB pages (PS, bit 7) over the 15 x 2 MiB, and nothing past. */
		for (j = 0; j < 15; j++)
			ck_assert_uint_eq(pd[j], (j << 21) | 0x83);
		ck_assert_uint_eq(pd[15], 0);
#undef FRAME
		p2m_free(&pv.p2m);
		memset(ram, 0, 32 * MIB);
	}
	free(ram);
}
END_TEST

/* ---- hypercalls the guest gets wrong ---- */

START_TEST(test_hypercall_bad)
{
	uint8_t *ram = calloc(300, PG), *pool = calloc(16, PG);
	struct kvm_regs regs;
	struct shadow_config cfg;
	struct pv pv;

	memset(&pv, 0, sizeof(pv));
	ck_assert_int_eq(p2m_init(&pv.p2m, 32, 256, 5), 0);
	pv.nr_pages = 32;
	cfg = (struct shadow_config){
		.ram = ram, .ram_size = 300 * PG, .pool = pool,
		.pool_gpa = 1ULL << 32, .pool_pages = 16, .p2m = &pv.p2m,
	};
	ck_assert_int_eq(shadow_init(&pv.shadow, &cfg), 0);
	pv.shadow_on = true;

	memset(&regs, 0, sizeof(regs));
	ck_assert_int_eq(pv_hypercall(&pv, 99, &regs), 0);
	ck_assert_uint_eq(regs.rax, PV_ENOSYS);
	/* A CR3 past the guest's 32 frames, or with reserved bits. */
	regs.rdi = 32 * PG;
	ck_assert_int_eq(pv_hypercall(&pv, PV_HC_LOAD_CR3, &regs), 0);
	ck_assert_uint_eq(regs.rax, PV_EINVAL);
	regs.rdi = PG | 0x800;
	ck_assert_int_eq(pv_hypercall(&pv, PV_HC_LOAD_CR3, &regs), 0);
	ck_assert_uint_eq(regs.rax, PV_EINVAL);
	/* INVLPG with nothing out of sync: nothing to do. */
	regs.rdi = 0x1234;
	ck_assert_int_eq(pv_hypercall(&pv, PV_HC_INVLPG, &regs), 0);
	ck_assert_uint_eq(regs.rax, PV_OK);
	ck_assert_uint_eq(pv.hypercalls, 4);
	pv_free(&pv);
	free(ram);
	free(pool);
}
END_TEST

Suite *pv_suite(void)
{
	Suite *su = suite_create("pv");
	TCase *tc = tcase_create("pv");

	tcase_add_test(tc, test_p2m_identity);
	tcase_add_test(tc, test_p2m_scrambled);
	tcase_add_test(tc, test_p2m_relocate);
	tcase_add_test(tc, test_note_shadow);
	tcase_add_test(tc, test_note_absent);
	tcase_add_test(tc, test_note_bad);
	tcase_add_test(tc, test_start_state);
	tcase_add_test(tc, test_hypercall_bad);
	suite_add_tcase(su, tc);
	return su;
}

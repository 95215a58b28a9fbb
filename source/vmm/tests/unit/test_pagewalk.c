/* @@ file 02 */
/*
 * test_pagewalk.c - the page walker on hand-built tables, in every paging
 * format, for every kind of fault. Each expected translation and error
 * code is worked out from the Intel SDM vol. 3: 4.3 (32-bit paging), 4.4
 * (PAE), 4.5 (4-level), 4.6 (access rights), 4.7 (the error code).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/pagewalk.h"
#include "unit.h"

#define RAM		(1u << 20)

/* Entry flags, short. */
#define P		PW_PTE_P
#define RW		PW_PTE_RW
#define US		PW_PTE_US
#define PS		PW_PTE_PS
#define XD		PW_PTE_XD

#define WP		PW_CR0_WP
#define PG		PW_CR0_PG
#define PSE		PW_CR4_PSE
#define PAE		PW_CR4_PAE
#define SMEP		PW_CR4_SMEP
#define LME		PW_EFER_LME
#define LMA		PW_EFER_LMA
#define NXE		PW_EFER_NXE

#define R		PW_READ
#define W		PW_WRITE
#define X		PW_FETCH
#define U		PW_USER

static uint8_t *ram;
static int nreads;		/* calls of the read callback */
static int fail_at = -1;	/* make this read (0-based) fail */

static struct pagewalk_cpu cpu;
static struct pagewalk_result res;

static int ram_read(void *opaque, uint64_t gpa, unsigned int size,
		    uint64_t *value)
{
	ck_assert_ptr_eq(opaque, ram);
	ck_assert(size == 4 || size == 8);
	ck_assert_uint_eq(gpa % size, 0);	/* entries are naturally aligned */
	if (nreads++ == fail_at || gpa >= RAM || RAM - gpa < size)
		return -1;
	*value = 0;
	memcpy(value, ram + gpa, size);
	return 0;
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, 4);
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static int walk(uint64_t gva, unsigned int access)
{
	nreads = 0;
	return pagewalk(&cpu, gva, access, ram_read, ram, &res);
}

/* A walk that must succeed with this address and page size. */
#define ck_ok(gva, access, want_gpa, want_size) do {			\
	ck_assert_int_eq(walk((gva), (access)), 0);			\
	ck_assert_uint_eq(res.gpa, (want_gpa));				\
	ck_assert_uint_eq(res.page_size, (want_size));			\
} while (0)

/* A walk that must fault with this error code. */
#define ck_pf(gva, access, want_ec) do {				\
	ck_assert_int_eq(walk((gva), (access)), -EFAULT);		\
	ck_assert_uint_eq(res.error_code, (want_ec));			\
} while (0)

static void setup(void)
{
	ram = calloc(1, RAM);
	ck_assert_ptr_nonnull(ram);
	memset(&cpu, 0, sizeof(cpu));
	fail_at = -1;
}

static void teardown(void)
{
	free(ram);
}

static void mode_32(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	cpu.mode = PAGING_32;
	cpu.cr0 = PG | cr0;
	cpu.cr4 = cr4;
	cpu.efer = efer;
}

static void mode_pae(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	cpu.mode = PAGING_PAE;
	cpu.cr0 = PG | cr0;
	cpu.cr4 = PAE | cr4;
	cpu.efer = efer;
}

static void mode_4level(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	cpu.mode = PAGING_4LEVEL;
	cpu.cr0 = PG | cr0;
	cpu.cr4 = PAE | cr4;
	cpu.efer = LME | LMA | efer;
}

/* ---- which format: CR0.PG, CR4.PAE, EFER.LME (SDM 4.1.1, table 4-1) ---- */

START_TEST(mode_from_registers)
{
	ck_assert_int_eq(pagewalk_mode(0, 0, 0), PAGING_NONE);
	ck_assert_int_eq(pagewalk_mode(1, PAE, LME), PAGING_NONE);	/* PE only */
	ck_assert_int_eq(pagewalk_mode(PG | 1, 0, 0), PAGING_32);
	ck_assert_int_eq(pagewalk_mode(PG | 1, PSE, 0), PAGING_32);
	ck_assert_int_eq(pagewalk_mode(PG | 1, PAE, 0), PAGING_PAE);
	ck_assert_int_eq(pagewalk_mode(PG | 1, PAE, NXE), PAGING_PAE);
	ck_assert_int_eq(pagewalk_mode(PG | 1, PAE, LME | LMA), PAGING_4LEVEL);
	ck_assert_int_eq(pagewalk_mode(PG | 1, PAE | PSE, LME), PAGING_4LEVEL);
}
END_TEST

/*
 * 5-level paging (CR4.LA57 in IA-32e mode, SDM 4.5: a PML5 above the
 * PML4, 57-bit linear addresses) is not modelled. It is not 4-level: the
 * same tables would translate other addresses. The walker says it
 * cannot, without reading anything, rather than walk 4 levels.
 */
START_TEST(five_level_refused)
{
	uint64_t la57 = PW_CR4_LA57;

	ck_assert_int_ne(pagewalk_mode(PG | 1, PAE | la57, LME | LMA), PAGING_4LEVEL);
	/* Outside IA-32e mode LA57 changes nothing (4.1.1). */
	ck_assert_int_eq(pagewalk_mode(PG | 1, PAE | la57, 0), PAGING_PAE);
	ck_assert_int_eq(pagewalk_mode(PG | 1, la57, 0), PAGING_32);
	ck_assert_int_eq(pagewalk_mode(1, PAE | la57, LME), PAGING_NONE);

	/* A 4-level map of 0x1000 at CR3 = 0x1000: a 5-level walk is refused. */
	put64(0x1000, 0x2000 | P | RW);
	put64(0x2000, 0x3000 | P | RW);
	put64(0x3000, 0x4000 | P | RW);
	put64(0x4008, 0x5000 | P | RW);
	cpu.cr0 = PG | 1;
	cpu.cr3 = 0x1000;
	cpu.cr4 = PAE | la57;
	cpu.efer = LME | LMA;
	cpu.mode = pagewalk_mode(cpu.cr0, cpu.cr4, cpu.efer);
	ck_assert_int_eq(walk(0x1000, R), -EOPNOTSUPP);
	ck_assert_int_eq(nreads, 0);
}
END_TEST

/* ---- no paging: linear is physical, 32 bits wide, nothing refused ---- */

START_TEST(no_paging)
{
	cpu.mode = PAGING_NONE;
	ck_ok(0x7c00, R, 0x7c00, 4096);
	ck_assert_int_eq(res.levels, 0);
	ck_assert_int_eq(nreads, 0);
	ck_ok(0xfeb00010, W | U, 0xfeb00010, 4096);
	ck_ok(0xfffffff0, X | U, 0xfffffff0, 4096);
	ck_assert(res.writable && res.user && !res.nx);
	ck_ok(0x123456789aULL, R, 0x3456789a, 4096);
}
END_TEST

/* ---- 32-bit paging (SDM 4.3) ---- */

/*
 * CR3 = 0x1000 (+ PWT, PCD, which the walk ignores), the page directory:
 *   PDE 0 -> page table 0x2000, P RW US
 *     PTE 0x00 -> 0x00100000 P RW US    PTE 0x01 -> 0x00101000 P US (read-only)
 *     PTE 0x02 -> 0x00102000 P RW       PTE 0x03 -> not present
 *   PDE 1 -> page table 0x3000, P US (read-only, user)
 *     PTE 0x00 -> 0x00200000 P RW US
 *   PDE 2 -> page table 0x3000 again, P RW (supervisor)
 *   PDE 3 -> 4 MiB page at 0x00c00000, P RW US PS
 *   PDE 4 -> 4 MiB page at 0x01000000 + PAT (bit 12), P PS (read-only)
 *   PDE 5 -> not present
 *   PDE 6 -> 4 MiB page, bits 20:13 = 0x81: physical 0x81_0140_0000 (PSE-36)
 *   PDE 7 -> 4 MiB page with bit 21 set: reserved
 */
static void tables_32(void)
{
	put32(0x1000 + 0 * 4, 0x2000 | P | RW | US);
	put32(0x2000 + 0 * 4, 0x00100000 | P | RW | US);
	put32(0x2000 + 1 * 4, 0x00101000 | P | US);
	put32(0x2000 + 2 * 4, 0x00102000 | P | RW);
	put32(0x2000 + 3 * 4, 0x00103000 | RW | US);
	put32(0x1000 + 1 * 4, 0x3000 | P | US);
	put32(0x3000 + 0 * 4, 0x00200000 | P | RW | US);
	put32(0x1000 + 2 * 4, 0x3000 | P | RW);
	put32(0x1000 + 3 * 4, 0x00c00000 | P | RW | US | PS);
	put32(0x1000 + 4 * 4, 0x01000000 | 0x1000 | P | PS);
	put32(0x1000 + 6 * 4, 0x01400000 | 0x81 << 13 | P | RW | PS);
	put32(0x1000 + 7 * 4, 0x01800000 | 1u << 21 | P | RW | PS);
	cpu.cr3 = 0x1000 | 0x18;
}

START_TEST(p32_4k)
{
	tables_32();
	mode_32(WP, PSE, 0);
	ck_ok(0x00000abc, R, 0x00100abc, 4096);
	ck_assert_int_eq(res.levels, 2);
	ck_assert_int_eq(nreads, 2);
	ck_assert_uint_eq(res.entry_gpa[0], 0x1000);
	ck_assert_uint_eq(res.entry[0], 0x2000 | P | RW | US);
	ck_assert_uint_eq(res.entry_gpa[1], 0x2000);
	ck_assert_uint_eq(res.entry[1], 0x00100000 | P | RW | US);
	ck_assert(res.writable && res.user && !res.nx);
	ck_ok(0x00002fff, W, 0x00102fff, 4096);
	ck_assert_uint_eq(res.entry_gpa[1], 0x2008);
	/* Page table 0x3000 through PDE 1 (index 0x004) and PDE 2. */
	ck_ok(0x00400123, R | U, 0x00200123, 4096);
	ck_ok(0x00800123, W, 0x00200123, 4096);
	/* A gva above 4 GiB is cut to 32 bits. */
	ck_ok(0x500000abcULL, R, 0x00100abc, 4096);
}
END_TEST

START_TEST(p32_4m)
{
	tables_32();
	mode_32(WP, PSE, 0);
	ck_ok(0x00c12345, W | U, 0x00c12345, 4u << 20);
	ck_assert_int_eq(res.levels, 1);
	ck_assert_int_eq(nreads, 1);
	/* PAT (bit 12) is not an address bit of a 4 MiB page. */
	ck_ok(0x013fffff, R, 0x013fffff, 4u << 20);
	/* PSE-36: PDE bits 20:13 are physical-address bits 39:32. */
	cpu.maxphyaddr = 40;
	ck_ok(0x01923456, R, 0x8101523456ULL, 4u << 20);
	/* With MAXPHYADDR 36 only bits 16:13 are address, 21:17 reserved. */
	cpu.maxphyaddr = 36;
	ck_pf(0x01923456, R, PF_P | PF_RSVD);
	/* Bit 21 is reserved at any MAXPHYADDR. */
	cpu.maxphyaddr = 0;
	ck_pf(0x01c00000, R, PF_P | PF_RSVD);
	ck_pf(0x01c00000, W | U, PF_P | PF_RSVD | PF_W | PF_U);
}
END_TEST

START_TEST(p32_no_pse)
{
	/* With CR4.PSE = 0 PS is ignored: the PDE points to a page table. */
	tables_32();
	mode_32(WP, 0, 0);
	/* PDE 3's "page table" at 0x00c00000 is outside our RAM. */
	ck_assert_int_eq(walk(0x00c12345, R), -EIO);
	ck_assert_int_eq(nreads, 2);
	/* No reserved bits either: PDE 7 (bit 21 set) is followed, not refused. */
	ck_assert_int_eq(walk(0x01c00000, R), -EIO);
	ck_assert_int_eq(nreads, 2);
	put32(0x1000 + 8 * 4, 0x4000 | P | RW | PS);	/* a table in RAM */
	put32(0x4000 + 1 * 4, 0x00abc000 | P | RW);
	ck_ok(0x02001123, W, 0x00abc123, 4096);
	ck_assert_int_eq(res.levels, 2);
}
END_TEST

START_TEST(p32_not_present)
{
	tables_32();
	mode_32(WP, PSE, NXE);	/* NXE means nothing to 32-bit paging */
	/* A not-present PTE: P = 0 in the error code, W/U/I from the access. */
	ck_pf(0x00003000, R, 0);
	ck_assert_int_eq(res.levels, 2);
	ck_pf(0x00003000, W, PF_W);
	ck_pf(0x00003000, R | U, PF_U);
	ck_pf(0x00003000, W | U, PF_W | PF_U);
	ck_pf(0x00003000, X, 0);		/* no I/D: no XD, no SMEP */
	ck_pf(0x00003000, X | U, PF_U);
	/* A not-present PDE. */
	ck_pf(0x01400000, R, 0);
	ck_assert_int_eq(res.levels, 1);
	ck_pf(0xffffffff, W | U, PF_W | PF_U);
	/* With SMEP, the CPU reports I/D for fetches even in 32-bit paging. */
	cpu.cr4 |= SMEP;
	ck_pf(0x00003000, X, PF_I);
	ck_pf(0x01400000, X | U, PF_I | PF_U);
}
END_TEST

START_TEST(p32_rights)
{
	tables_32();
	mode_32(WP, PSE, 0);
	/* User access to a supervisor page (PTE 2: P RW). */
	ck_pf(0x00002000, R | U, PF_P | PF_U);
	ck_pf(0x00002000, W | U, PF_P | PF_W | PF_U);
	ck_pf(0x00002000, X | U, PF_P | PF_U);
	ck_ok(0x00002000, X, 0x00102000, 4096);
	/* Writes to a read-only user page (PTE 1: P US). */
	ck_ok(0x00001000, R | U, 0x00101000, 4096);
	ck_pf(0x00001000, W | U, PF_P | PF_W | PF_U);
	ck_pf(0x00001000, W, PF_P | PF_W);		/* CR0.WP = 1 */
	ck_assert(!res.writable && res.user);
	/* Read-only 4 MiB supervisor page. */
	ck_pf(0x01000000, W, PF_P | PF_W);
	ck_pf(0x01000000, R | U, PF_P | PF_U);
	/* Rights combine: PDE 1 read-only over a writable PTE... */
	ck_pf(0x00400000, W | U, PF_P | PF_W | PF_U);
	ck_pf(0x00400000, W, PF_P | PF_W);
	/* ...PDE 2 supervisor over a user PTE. */
	ck_pf(0x00800000, R | U, PF_P | PF_U);
	ck_assert(res.writable && !res.user);
}
END_TEST

START_TEST(p32_wp_clear)
{
	/* CR0.WP = 0: supervisor writes ignore R/W; user writes do not. */
	tables_32();
	mode_32(0, PSE, 0);
	ck_ok(0x00001080, W, 0x00101080, 4096);
	ck_ok(0x01000080, W, 0x01000080, 4u << 20);
	ck_ok(0x00400080, W, 0x00200080, 4096);
	ck_pf(0x00001080, W | U, PF_P | PF_W | PF_U);
	ck_pf(0x00400080, W | U, PF_P | PF_W | PF_U);
}
END_TEST

START_TEST(p32_smep)
{
	/* SMEP: no supervisor fetch from a user page; reads still fine. */
	tables_32();
	mode_32(WP, PSE | SMEP, 0);
	ck_pf(0x00000000, X, PF_P | PF_I);
	ck_pf(0x00c00000, X, PF_P | PF_I);
	ck_ok(0x00000000, R, 0x00100000, 4096);
	ck_ok(0x00000000, X | U, 0x00100000, 4096);
	ck_ok(0x00002000, X, 0x00102000, 4096);
	ck_pf(0x00002000, X | U, PF_P | PF_U | PF_I);
	/* A page user at the PTE but supervisor at the PDE is not a user page. */
	ck_ok(0x00800000, X, 0x00200000, 4096);
}
END_TEST

/* ---- PAE paging (SDM 4.4) ---- */

/*
 * CR3 = 0x1020: the PDPT is 32-byte aligned, in the middle of a page.
 *   PDPTE 0 -> PD 0x2000          PDPTE 1 -> PD 0x3000
 *   PDPTE 2 -> not present        PDPTE 3 -> PD 0x4000 with R/W set: reserved
 *   PD 0x2000: PDE 0 -> PT 0x5000 P RW US; PDE 1 -> 2 MiB page at
 *     0x00600000 P RW US PS; PDE 2 -> 2 MiB at 0x00800000 + bit 13: reserved;
 *     PDE 3 -> 2 MiB at 0x00a00000 P PS XD (supervisor, read-only, no-execute)
 *     PDE 4 -> 2 MiB at 0x00c00000 + PAT (bit 12) P RW PS
 *   PT 0x5000: PTE 0 -> 0x00100000 P RW US; PTE 1 -> 0x00101000 P RW US XD;
 *     PTE 2 -> 0x00102000 P (supervisor read-only); PTE 3 not present;
 *     PTE 4 -> 0x00104000 P RW, bit 52 set (reserved in PAE);
 *     PTE 5 -> 0x00105000 P RW, bit 40 set (reserved if MAXPHYADDR <= 40)
 *   PD 0x3000: PDE 0 -> PT 0x6000 P US XD (user, read-only, no-execute)
 *   PT 0x6000: PTE 0 -> 0x00200000 P RW US
 */
static void tables_pae(void)
{
	put64(0x1020, 0x2000 | P);
	put64(0x1028, 0x3000 | P);
	put64(0x1030, 0x7000 | RW);
	put64(0x1038, 0x4000 | P | RW);
	put64(0x2000, 0x5000 | P | RW | US);
	put64(0x2008, 0x00600000 | P | RW | US | PS);
	put64(0x2010, 0x00800000 | 1u << 13 | P | RW | PS);
	put64(0x2018, 0x00a00000 | P | PS | XD);
	put64(0x2020, 0x00c00000 | 0x1000 | P | RW | PS);
	put64(0x5000, 0x00100000 | P | RW | US);
	put64(0x5008, 0x00101000 | P | RW | US | XD);
	put64(0x5010, 0x00102000 | P);
	put64(0x5018, 0x00103000 | RW);
	put64(0x5020, 0x00104000 | 1ULL << 52 | P | RW);
	put64(0x5028, 0x00105000 | 1ULL << 40 | P | RW);
	put64(0x3000, 0x6000 | P | US | XD);
	put64(0x6000, 0x00200000 | P | RW | US);
	cpu.cr3 = 0x1020;
}

/*
 * Bits of CR3 and of a 4 KiB leaf that are not address bits: CR3 bits
 * 11:0 in 32-bit paging and 4:0 in PAE paging (SDM tables 4-3 and 4-7),
 * and bit 7 of a PTE, which is PAT, not PS (tables 4-6 and 4-11): with
 * it set, the frame's bits 20:13 are address bits as ever.
 */
START_TEST(cr3_low_bits_and_pat)
{
	tables_32();
	mode_32(WP, PSE, 0);
	cpu.cr3 = 0x1fff;
	ck_ok(0x00000abc, R, 0x00100abc, 4096);
	put32(0x2000 + 5 * 4, 0x00323000 | P | RW | PS);	/* PAT */
	ck_ok(0x00005abc, W, 0x00323abc, 4096);

	tables_pae();
	mode_pae(WP, 0, NXE);
	cpu.cr3 = 0x1020 | 0x1f;
	ck_ok(0x00000123, R, 0x00100123, 4096);
	ck_assert_uint_eq(res.entry_gpa[0], 0x1020);
	put64(0x5030, 0x00123000 | P | RW | PS);		/* PAT */
	ck_ok(0x00006abc, W, 0x00123abc, 4096);
}
END_TEST

/* The PDPTE read from memory, when no PDPTE registers are given, can fail. */
START_TEST(pae_pdpte_unreadable)
{
	tables_pae();
	mode_pae(WP, 0, NXE);
	fail_at = 0;
	ck_assert_int_eq(walk(0x00000123, R), -EIO);
	ck_assert_int_eq(nreads, 1);
}
END_TEST

START_TEST(pae_translate)
{
	tables_pae();
	mode_pae(WP, 0, NXE);
	ck_ok(0x00000123, R, 0x00100123, 4096);
	ck_assert_int_eq(res.levels, 3);
	ck_assert_int_eq(nreads, 3);
	ck_assert_uint_eq(res.entry_gpa[0], 0x1020);
	ck_assert_uint_eq(res.entry_gpa[1], 0x2000);
	ck_assert_uint_eq(res.entry_gpa[2], 0x5000);
	ck_assert_uint_eq(res.entry[2], 0x00100000 | P | RW | US);
	ck_ok(0x002fffff, W | U, 0x006fffff, 2u << 20);
	ck_assert_int_eq(res.levels, 2);
	/* PAT (bit 12) is not an address bit of a 2 MiB page. */
	ck_ok(0x00812345, W, 0x00c12345, 2u << 20);
	/* PDPTE 1, one GiB up; a gva above 4 GiB is cut to 32 bits. */
	ck_ok(0x40000abc, R | U, 0x00200abc, 4096);
	ck_assert_uint_eq(res.entry_gpa[0], 0x1028);
	ck_ok(0x140000abcULL, R | U, 0x00200abc, 4096);
}
END_TEST

START_TEST(pae_pdpte)
{
	uint64_t regs[4] = { 0x2000 | P, 0, 0, 0x3000 | P };

	tables_pae();
	mode_pae(WP, 0, NXE);
	/* A not-present PDPTE; one with R/W (reserved in a PAE PDPTE). */
	ck_pf(0x80000000, R, 0);
	ck_assert_int_eq(res.levels, 1);
	ck_pf(0x80000000, X | U, PF_U | PF_I);
	ck_pf(0xc0000000, R, PF_P | PF_RSVD);
	ck_assert_int_eq(res.levels, 1);
	/* The PDPTE registers, when given, are used instead of memory. */
	cpu.pdpte = regs;
	ck_ok(0x00000123, R, 0x00100123, 4096);
	ck_assert_int_eq(nreads, 2);
	ck_assert_int_eq(res.levels, 3);
	ck_assert_uint_eq(res.entry_gpa[0], 0x1020);
	ck_assert_uint_eq(res.entry[0], 0x2000 | P);
	ck_pf(0x40000000, R, 0);			/* register 1 is 0 */
	ck_assert_int_eq(nreads, 0);
	ck_ok(0xc0000000, R | U, 0x00200000, 4096);	/* register 3 */
}
END_TEST

START_TEST(pae_reserved)
{
	tables_pae();
	mode_pae(WP, 0, NXE);
	/* 2 MiB page with bit 13 set (bits 20:13 are reserved). */
	ck_pf(0x00400000, R, PF_P | PF_RSVD);
	ck_pf(0x00400000, W | U, PF_P | PF_RSVD | PF_W | PF_U);
	ck_pf(0x00400000, X, PF_P | PF_RSVD | PF_I);
	/* Bits 62:MAXPHYADDR are reserved in PAE entries, 62:52 included. */
	ck_pf(0x00004000, R, PF_P | PF_RSVD);
	cpu.maxphyaddr = 41;
	ck_ok(0x00005000, R, 0x10000105000ULL, 4096);	/* bit 40 is an address bit */
	cpu.maxphyaddr = 40;
	ck_pf(0x00005000, R, PF_P | PF_RSVD);
	/* Without EFER.NXE, bit 63 is reserved, and there is no I/D bit. */
	cpu.maxphyaddr = 0;
	cpu.efer = 0;
	ck_pf(0x00001000, R, PF_P | PF_RSVD);
	ck_pf(0x00001000, X, PF_P | PF_RSVD);
	ck_pf(0x00600000, R, PF_P | PF_RSVD);		/* the 2 MiB XD page */
	ck_pf(0x40000000, R | U, PF_P | PF_RSVD | PF_U);	/* XD in the PDE */
	ck_ok(0x00000000, X, 0x00100000, 4096);
	ck_pf(0x00003000, X, 0);			/* not present: no I/D */
}
END_TEST

START_TEST(pae_nx)
{
	tables_pae();
	mode_pae(WP, 0, NXE);
	/* XD forbids fetches only. */
	ck_ok(0x00001123, R, 0x00101123, 4096);
	ck_ok(0x00001123, W | U, 0x00101123, 4096);
	ck_assert(res.nx);
	ck_pf(0x00001123, X, PF_P | PF_I);
	ck_pf(0x00001123, X | U, PF_P | PF_U | PF_I);
	ck_pf(0x00612345, X, PF_P | PF_I);
	/* XD in the PDE covers a PTE that allows execution. */
	ck_pf(0x40000000, X | U, PF_P | PF_U | PF_I);
	ck_pf(0x40000000, W | U, PF_P | PF_W | PF_U);	/* PDE read-only */
	/* Not present with NXE: I/D is reported for fetches. */
	ck_pf(0x00003000, X, PF_I);
	ck_pf(0x00003000, X | U, PF_U | PF_I);
}
END_TEST

START_TEST(pae_rights)
{
	tables_pae();
	mode_pae(WP, 0, NXE);
	ck_pf(0x00002080, W, PF_P | PF_W);		/* read-only, WP = 1 */
	ck_pf(0x00002080, R | U, PF_P | PF_U);		/* supervisor page */
	ck_pf(0x00612345, W, PF_P | PF_W);		/* 2 MiB read-only */
	cpu.cr0 &= ~WP;
	ck_ok(0x00002080, W, 0x00102080, 4096);
	ck_ok(0x00612345, W, 0x00a12345, 2u << 20);
	ck_pf(0x00002080, W | U, PF_P | PF_W | PF_U);
	cpu.cr4 |= SMEP;
	ck_pf(0x00000000, X, PF_P | PF_I);
	ck_ok(0x00002000, X, 0x00102000, 4096);
}
END_TEST

/* ---- 4-level paging (SDM 4.5) ---- */

/*
 * CR3 = 0x1000 | PCID 0x123 (bits 11:0 are not address bits).
 *   PML4E 0   -> PDPT 0x2000 P RW US
 *   PML4E 1   -> PDPT 0x2000 P RW PS: PS is reserved in a PML4E
 *   PML4E 2   -> PDPT 0x3000 P RW (supervisor)
 *   PML4E 3   -> PDPT 0x2000 P RW US XD
 *   PML4E 4   -> PDPT 0x2000 P RW US, bits 62:52 set (ignored)
 *   PML4E 511 -> PDPT 0x4000 P RW
 *   PDPT 0x2000: PDPTE 0 -> PD 0x5000 P RW US; PDPTE 1 -> 1 GiB page at
 *     0x40000000 P RW US PS; PDPTE 2 -> 1 GiB at 0x80000000 + bit 13: reserved;
 *     PDPTE 3 -> PD 0x5000 P US (read-only); PDPTE 4 -> not present;
 *     PDPTE 5 -> 1 GiB at 0x1_0000_0000 + bit 45 P RW PS
 *   PDPT 0x3000: PDPTE 0 -> PD 0x5000 P RW US
 *   PDPT 0x4000: PDPTE 510 -> PD 0x6000 P RW
 *   PD 0x5000: PDE 0 -> PT 0x7000 P RW US; PDE 1 -> 2 MiB at 0x00600000
 *     P RW US PS; PDE 2 -> 2 MiB at 0x00800000 + bit 20: reserved;
 *     PDE 3 -> 2 MiB at 0x00a00000 P US PS XD; PDE 4 -> not present
 *   PT 0x7000: PTE 0 -> 0x00100000 P RW US; PTE 1 -> 0x00101000 P RW US XD;
 *     PTE 2 -> 0x00102000 P RW (supervisor); PTE 3 -> not present;
 *     PTE 4 -> 0x00104000 P US + PAT (bit 7)
 *   PD 0x6000: PDE 0 -> 2 MiB at 0x00200000 P RW PS
 */
static void tables_4level(void)
{
	put64(0x1000 + 0 * 8, 0x2000 | P | RW | US);
	put64(0x1000 + 1 * 8, 0x2000 | P | RW | PS);
	put64(0x1000 + 2 * 8, 0x3000 | P | RW);
	put64(0x1000 + 3 * 8, 0x2000 | P | RW | US | XD);
	put64(0x1000 + 4 * 8, 0x2000 | 0x7ffULL << 52 | P | RW | US);
	put64(0x1000 + 511 * 8, 0x4000 | P | RW);
	put64(0x2000 + 0 * 8, 0x5000 | P | RW | US);
	put64(0x2000 + 1 * 8, 0x40000000 | P | RW | US | PS);
	put64(0x2000 + 2 * 8, 0x80000000 | 1u << 13 | P | RW | US | PS);
	put64(0x2000 + 3 * 8, 0x5000 | P | US);
	put64(0x2000 + 5 * 8, 0x100000000ULL | 1ULL << 45 | P | RW | PS);
	put64(0x3000 + 0 * 8, 0x5000 | P | RW | US);
	put64(0x4000 + 510 * 8, 0x6000 | P | RW);
	put64(0x5000 + 0 * 8, 0x7000 | P | RW | US);
	put64(0x5000 + 1 * 8, 0x00600000 | P | RW | US | PS);
	put64(0x5000 + 2 * 8, 0x00800000 | 1u << 20 | P | RW | US | PS);
	put64(0x5000 + 3 * 8, 0x00a00000 | P | US | PS | XD);
	put64(0x7000 + 0 * 8, 0x00100000 | P | RW | US);
	put64(0x7000 + 1 * 8, 0x00101000 | P | RW | US | XD);
	put64(0x7000 + 2 * 8, 0x00102000 | P | RW);
	put64(0x7000 + 4 * 8, 0x00104000 | P | US | PS);
	put64(0x6000 + 0 * 8, 0x00200000 | P | RW | PS);
	cpu.cr3 = 0x1000 | 0x123;
}

START_TEST(l4_4k)
{
	tables_4level();
	mode_4level(WP, 0, NXE);
	ck_ok(0x00000abc, R, 0x00100abc, 4096);
	ck_assert_int_eq(res.levels, 4);
	ck_assert_int_eq(nreads, 4);
	ck_assert_uint_eq(res.entry_gpa[0], 0x1000);
	ck_assert_uint_eq(res.entry_gpa[1], 0x2000);
	ck_assert_uint_eq(res.entry_gpa[2], 0x5000);
	ck_assert_uint_eq(res.entry_gpa[3], 0x7000);
	ck_assert_uint_eq(res.entry[3], 0x00100000 | P | RW | US);
	ck_assert(res.writable && res.user && !res.nx);
	ck_ok(0x00002fff, W, 0x00102fff, 4096);
	ck_assert_uint_eq(res.entry_gpa[3], 0x7010);
	/* Bit 7 of a PTE is PAT, not PS. */
	ck_ok(0x00004010, R | U, 0x00104010, 4096);
	/* PML4E 2 (supervisor) -> PDPT 0x3000 -> the same PD. */
	ck_ok(0x0000010000000abcULL, W, 0x00100abc, 4096);
	ck_assert_uint_eq(res.entry_gpa[0], 0x1010);
	ck_assert_uint_eq(res.entry_gpa[1], 0x3000);
	/* Bits 62:52 of an entry are ignored in 4-level paging. */
	ck_ok(0x0000020000000abcULL, W | U, 0x00100abc, 4096);
}
END_TEST

START_TEST(l4_large)
{
	tables_4level();
	mode_4level(WP, 0, NXE);
	ck_ok(0x003fffff, W | U, 0x007fffff, 2u << 20);
	ck_assert_int_eq(res.levels, 3);
	ck_ok(0x7fedcba9, X | U, 0x7fedcba9, 1u << 30);
	ck_assert_int_eq(res.levels, 2);
	ck_assert_uint_eq(res.entry_gpa[1], 0x2008);
	/* The top 2 GiB: PML4E 511, PDPTE 510, a 2 MiB page. */
	ck_ok(0xffffffff80012345ULL, R, 0x00212345, 2u << 20);
	ck_assert_uint_eq(res.entry_gpa[0], 0x1000 + 511 * 8);
	ck_assert_uint_eq(res.entry_gpa[1], 0x4000 + 510 * 8);
	/* Bit 45: an address bit when MAXPHYADDR > 45, else reserved. */
	cpu.maxphyaddr = 46;
	ck_ok(0x140000000ULL, R, 0x200100000000ULL, 1u << 30);
	cpu.maxphyaddr = 45;
	ck_pf(0x140000000ULL, R, PF_P | PF_RSVD);
	/* Without 1 GiB pages (CPUID), PS in a PDPTE is a reserved bit. */
	cpu.maxphyaddr = 0;
	cpu.no_gbpages = true;
	ck_pf(0x7fedcba9, X | U, PF_P | PF_RSVD | PF_U | PF_I);
	ck_assert_int_eq(res.levels, 2);
	ck_ok(0x003fffff, W | U, 0x007fffff, 2u << 20);	/* 2 MiB: fine */
}
END_TEST

START_TEST(l4_canonical)
{
	tables_4level();
	mode_4level(WP, 0, NXE);
	ck_assert_int_eq(walk(0x0000800000000000ULL, R), -ERANGE);
	ck_assert_int_eq(nreads, 0);
	ck_assert_int_eq(walk(0xffff7fffffffffffULL, R), -ERANGE);
	ck_assert_int_eq(walk(0x8000000000000000ULL, W | U), -ERANGE);
	/* Canonical but high: PML4E 256, not present. */
	ck_pf(0xffff800000000000ULL, R, 0);
	ck_assert_int_eq(res.levels, 1);
	ck_assert_uint_eq(res.entry_gpa[0], 0x1000 + 256 * 8);
}
END_TEST

START_TEST(l4_not_present)
{
	tables_4level();
	mode_4level(WP, 0, NXE);
	/* Every level; the error code's W, U and I come from the access. */
	ck_pf(0x0000028000000000ULL, R, 0);		/* PML4E 5 */
	ck_assert_int_eq(res.levels, 1);
	ck_pf(0x0000000100000000ULL, W, PF_W);		/* PDPTE 4 */
	ck_assert_int_eq(res.levels, 2);
	ck_pf(0x0000000000800000ULL, R | U, PF_U);		/* PDE 4 */
	ck_assert_int_eq(res.levels, 3);
	ck_pf(0x0000000000003000ULL, W | U, PF_W | PF_U);	/* PTE 3 */
	ck_assert_int_eq(res.levels, 4);
	ck_pf(0x0000000000003000ULL, X, PF_I);
	ck_pf(0x0000000000003000ULL, X | U, PF_U | PF_I);
	/* Without NXE or SMEP no I/D, even in 4-level paging. */
	cpu.efer &= ~NXE;
	ck_pf(0x0000000000003000ULL, X, 0);
	/* A not-present PTE under a read-only, supervisor PDPTE: still P = 0. */
	cpu.efer |= NXE;
	ck_pf(0x00000000c0003000ULL, W | U, PF_W | PF_U);
}
END_TEST

START_TEST(l4_reserved)
{
	tables_4level();
	mode_4level(WP, 0, NXE);
	ck_pf(0x0000008000000000ULL, R, PF_P | PF_RSVD);	/* PS in PML4E */
	ck_assert_int_eq(res.levels, 1);
	ck_pf(0x0000000080000000ULL, W, PF_P | PF_RSVD | PF_W);	/* 1 GiB, bit 13 */
	ck_assert_int_eq(res.levels, 2);
	ck_pf(0x0000000000400000ULL, X | U,
	      PF_P | PF_RSVD | PF_U | PF_I);			/* 2 MiB, bit 20 */
	ck_assert_int_eq(res.levels, 3);
	/* A reserved bit is found before rights are looked at. */
	ck_pf(0x0000008000000000ULL, W | U, PF_P | PF_RSVD | PF_W | PF_U);
	/* Bit 63 without NXE is reserved, at any level. */
	cpu.efer &= ~NXE;
	ck_pf(0x0000018000000000ULL, R, PF_P | PF_RSVD);	/* PML4E 3 */
	ck_assert_int_eq(res.levels, 1);
	ck_pf(0x0000000000001000ULL, R, PF_P | PF_RSVD);	/* PTE 1 */
	ck_assert_int_eq(res.levels, 4);
	ck_pf(0x0000000000600000ULL, X, PF_P | PF_RSVD);	/* PDE 3 */
}
END_TEST

START_TEST(l4_rights)
{
	tables_4level();
	mode_4level(WP, 0, NXE);
	/* XD at any level forbids fetches: PTE 1, PDE 3, PML4E 3. */
	ck_pf(0x00001000, X, PF_P | PF_I);
	ck_ok(0x00001000, W | U, 0x00101000, 4096);
	ck_pf(0x00600000, X | U, PF_P | PF_U | PF_I);
	ck_pf(0x0000018000000000ULL, X, PF_P | PF_I);
	ck_ok(0x0000018000000000ULL, W | U, 0x00100000, 4096);
	ck_assert(res.nx && res.writable && res.user);
	/* U/S = 0 at the PML4E: no user access below, whatever the leaf says. */
	ck_pf(0x0000010000000000ULL, R | U, PF_P | PF_U);
	ck_assert(!res.user);
	/* R/W = 0 at a PDPTE (3) over writable PDE and PTE. */
	ck_pf(0x00000000c0000000ULL, W | U, PF_P | PF_W | PF_U);
	ck_pf(0x00000000c0000000ULL, W, PF_P | PF_W);
	ck_ok(0x00000000c0000000ULL, R | U, 0x00100000, 4096);
	/* Supervisor page, read-only 2 MiB page. */
	ck_pf(0x00002000, R | U, PF_P | PF_U);
	ck_pf(0x00002000, X | U, PF_P | PF_U | PF_I);
	ck_pf(0x00612345, W, PF_P | PF_W);
	/* CR0.WP = 0 lets supervisor writes through. */
	cpu.cr0 &= ~WP;
	ck_ok(0x00612345, W, 0x00a12345, 2u << 20);
	ck_ok(0x00000000c0000000ULL, W, 0x00100000, 4096);
	ck_pf(0x00612345, W | U, PF_P | PF_W | PF_U);
	/* SMEP: supervisor fetch from a user page. */
	cpu.cr4 |= SMEP;
	ck_pf(0x00000000, X, PF_P | PF_I);
	ck_ok(0x00002000, X, 0x00102000, 4096);
	ck_ok(0x0000010000000000ULL, X, 0x00100000, 4096);	/* U/S = 0 above */
}
END_TEST

/* ---- what is not a page fault ---- */

START_TEST(bad_calls)
{
	tables_4level();
	mode_4level(WP, 0, NXE);
	ck_assert_int_eq(walk(0x1000, W | X), -EINVAL);
	ck_assert_int_eq(walk(0x1000, 1u << 3), -EINVAL);
	cpu.maxphyaddr = 53;
	ck_assert_int_eq(walk(0x1000, R), -EINVAL);
	cpu.maxphyaddr = 0;
	/* A table the callback cannot read: every level, every format. */
	nreads = 0;
	for (fail_at = 0; fail_at < 4; fail_at++) {
		ck_assert_int_eq(pagewalk(&cpu, 0x1000, R, ram_read, ram, &res),
				 -EIO);
		nreads = 0;
	}
	fail_at = 2;
	tables_pae();
	mode_pae(WP, 0, NXE);
	ck_assert_int_eq(pagewalk(&cpu, 0x1000, R, ram_read, ram, &res), -EIO);
	nreads = 0;
	tables_32();
	mode_32(WP, PSE, 0);
	fail_at = 1;
	ck_assert_int_eq(pagewalk(&cpu, 0x1000, R, ram_read, ram, &res), -EIO);
	/* A page table outside RAM. */
	fail_at = -1;
	cpu.cr3 = RAM;
	ck_assert_int_eq(walk(0x1000, R), -EIO);
}
END_TEST

/*
 * Two suites: the walks that go through exercise 2.walker (the rights
 * check and the 4-level walk), and the rest of the walker, which the
 * exercise leaves alone, so that unit.pagewalk's partial credit pays for
 * the exercise only (grading/README.md, "partial").
 */
Suite *pagewalk_suite(void)
{
	Suite *s = suite_create("pagewalk");
	TCase *tc = tcase_create("pagewalk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, p32_rights);
	tcase_add_test(tc, p32_wp_clear);
	tcase_add_test(tc, p32_smep);
	tcase_add_test(tc, pae_nx);
	tcase_add_test(tc, pae_rights);
	tcase_add_test(tc, l4_4k);
	tcase_add_test(tc, l4_large);
	tcase_add_test(tc, l4_canonical);
	tcase_add_test(tc, l4_not_present);
	tcase_add_test(tc, l4_reserved);
	tcase_add_test(tc, l4_rights);
	tcase_add_test(tc, bad_calls);
	tcase_add_test(tc, p32_4k);
	tcase_add_test(tc, p32_4m);
	tcase_add_test(tc, p32_no_pse);
	tcase_add_test(tc, p32_not_present);
	tcase_add_test(tc, pae_translate);
	tcase_add_test(tc, pae_pdpte);
	tcase_add_test(tc, pae_reserved);
	tcase_add_test(tc, cr3_low_bits_and_pat);
	tcase_add_test(tc, pae_pdpte_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * What the walker does before any walk, given with it: the paging mode
 * from the registers, 5-level paging refused, no paging at all.
 */
Suite *pagewalk_modes_suite(void)
{
	Suite *s = suite_create("pagewalk-modes");
	TCase *tc = tcase_create("pagewalk-modes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mode_from_registers);
	tcase_add_test(tc, five_level_refused);
	tcase_add_test(tc, no_paging);
	suite_add_tcase(s, tc);
	return s;
}

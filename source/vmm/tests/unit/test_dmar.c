/* @@ file 04 */
/*
 * test_dmar.c - the VT-d model on hand-built tables, against the VT-d
 * specification's formats: root and context entries, 3- and 4-level
 * second-level walks with 4 KiB, 2 MiB and 1 GiB pages, permissions as
 * the AND over the levels, every fault reason a legacy-mode walk can
 * give, and interrupt remapping (remappable MSI format, IRTE fields,
 * source-id checks, compatibility format blocking).
 */
#include <string.h>

#include "pci/dmar.h"
#include "devunit.h"

#define MEM_SIZE	(8u << 20)
#define ROOT		0x10000ull
#define CTX		0x11000ull
#define IRT		0x12000ull
#define NOT_RAM		0x40000000ull

static uint8_t mem[MEM_SIZE];
static uint64_t next_table;
static struct dmar d;
static int warnings;
static bool alias;	/* RAM seen again every 2^40 bytes */

static int m_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	(void)o;
	if (alias)
		gpa &= (1ull << 40) - 1;
	if (gpa > MEM_SIZE || len > MEM_SIZE - gpa)
		return -14;
	memcpy(buf, mem + gpa, len);
	return 0;
}

static void m_warn(void *o, const char *dv, const char *msg)
{
	(void)o;
	(void)dv;
	(void)msg;
	warnings++;
}

static const struct dmar_ops ops = { .read = m_read, .warn = m_warn };

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

static uint64_t get64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, mem + gpa, 8);
	return v;
}

static uint64_t new_table(void)
{
	uint64_t t = next_table;

	next_table += 4096;
	memset(mem + t, 0, 4096);
	return t;
}

static void root_entry(uint8_t bus, uint64_t lo, uint64_t hi)
{
	put64(ROOT + 16 * bus, lo);
	put64(ROOT + 16 * bus + 8, hi);
}

static void ctx_entry(uint8_t devfn, uint64_t lo, uint64_t hi)
{
	put64(CTX + 16 * devfn, lo);
	put64(CTX + 16 * devfn + 8, hi);
}

/* A context for 00:03.0 (sid 0x0018), domain 7, with its own tables. */
#define SID	0x0018
static uint64_t slpt;

static void use_context(unsigned int aw, unsigned int tt)
{
	ctx_entry(0x18, slpt | (uint64_t)tt << 2 | DMAR_P,
		  7ull << DMAR_CTX_DID_SHIFT | aw);
}

/* Map iova -> hpa with a leaf at `leaf_level` (1: 4K, 2: 2M, 3: 1G). */
static void map(int levels, uint64_t iova, uint64_t hpa, int leaf_level,
		uint64_t leaf_flags, uint64_t table_flags)
{
	uint64_t t = slpt;
	int level;

	for (level = levels; level > leaf_level; level--) {
		uint64_t slot = t + 8 * ((iova >> (12 + 9 * (level - 1))) &
					 0x1FF);
		uint64_t e = get64(slot);

		if (!e) {
			e = new_table() | table_flags;
			put64(slot, e);
		}
		t = e & ~0xFFFull;
	}
	put64(t + 8 * ((iova >> (12 + 9 * (leaf_level - 1))) & 0x1FF),
	      hpa | leaf_flags | (leaf_level > 1 ? DMAR_SL_PS : 0));
}

#define RW (DMAR_SL_R | DMAR_SL_W)

static void setup(void)
{
	memset(mem, 0, 0x100000);
	next_table = 0x100000;
	warnings = 0;
	alias = false;
	dmar_init(&d, &ops, NULL, 39);
	root_entry(0, CTX | DMAR_P, 0);
	slpt = new_table();
	use_context(DMAR_CTX_AW_48, DMAR_CTX_TT_MULTI);
	ck_assert_int_eq(dmar_set_root(&d, ROOT, true), 0);
}

static void teardown(void)
{
	dmar_destroy(&d);
}

static struct dmar_xlate x;

static int tr(uint64_t iova, bool write)
{
	return dmar_translate(&d, SID, iova, write, &x);
}

START_TEST(translation_off_is_identity)
{
	ck_assert_int_eq(dmar_set_root(&d, ROOT, false), 0);
	ck_assert_int_eq(tr(0x123456789ull, true), DMAR_OK);
	ck_assert_uint_eq(x.addr, 0x123456789ull);
	ck_assert_uint_eq(x.page_size, 4096);
	ck_assert(x.read && x.write);
	ck_assert_uint_eq(x.did, 0);
	ck_assert(!x.fpd);
	ck_assert_int_eq(dmar_set_root(&d, ROOT | DMAR_RTADDR_RTT, true), -1);
}
END_TEST

START_TEST(four_level_4k)
{
	map(4, 0x7F12345000ull, 0x00ABC000, 1, RW, RW);
	ck_assert_int_eq(tr(0x7F12345678ull, false), DMAR_OK);
	ck_assert_uint_eq(x.addr, 0x00ABC678);
	ck_assert_uint_eq(x.page_size, 4096);
	ck_assert(x.read && x.write);
	ck_assert_uint_eq(x.did, 7);
	ck_assert(!x.fpd);
	ck_assert_int_eq(tr(0x7F12345FFFull, true), DMAR_OK);
	ck_assert_uint_eq(x.addr, 0x00ABCFFF);
	/* Bits 63 and 61:52 are ignored, not reserved. */
	map(4, 0x9000, 0xA000 | 0xBFF0000000000000ull, 1, RW, RW);
	ck_assert_int_eq(tr(0x9004, false), DMAR_OK);
	ck_assert_uint_eq(x.addr, 0xA004);
	/* RTADDR's low bits (but RTT) are not part of the address. */
	ck_assert_int_eq(dmar_set_root(&d, ROOT | 0x3FF, true), 0);
	ck_assert_int_eq(tr(0x9004, false), DMAR_OK);
	/* The next page is not mapped: no permission. */
	ck_assert_int_eq(tr(0x7F12346000ull, false), DMAR_FR_READ);
	ck_assert_int_eq(tr(0x7F12346000ull, true), DMAR_FR_WRITE);
}
END_TEST

START_TEST(permissions_and_over_levels)
{
	map(4, 0x1000, 0x5000, 1, DMAR_SL_R, RW);	/* read-only */
	map(4, 0x2000, 0x6000, 1, DMAR_SL_W, RW);	/* write-only */
	ck_assert_int_eq(tr(0x1000, false), DMAR_OK);
	ck_assert(x.read && !x.write);
	ck_assert_int_eq(tr(0x1000, true), DMAR_FR_WRITE);
	ck_assert_int_eq(tr(0x2000, true), DMAR_OK);
	ck_assert_int_eq(tr(0x2000, false), DMAR_FR_READ);
	/* A non-leaf without W takes W away from everything below. */
	slpt = new_table();
	use_context(DMAR_CTX_AW_48, DMAR_CTX_TT_MULTI);
	map(4, 0x3000, 0x7000, 1, RW, DMAR_SL_R);
	ck_assert_int_eq(tr(0x3000, false), DMAR_OK);
	ck_assert(!x.write);
	ck_assert_int_eq(tr(0x3000, true), DMAR_FR_WRITE);
}
END_TEST

START_TEST(three_level_and_widths)
{
	use_context(DMAR_CTX_AW_39, DMAR_CTX_TT_MULTI);
	map(3, 0x7FFFFFF000ull, 0x9000, 1, RW, RW);	/* top of 39 bits */
	ck_assert_int_eq(tr(0x7FFFFFF010ull, false), DMAR_OK);
	ck_assert_uint_eq(x.addr, 0x9010);
	ck_assert_int_eq(tr(1ull << 39, false), DMAR_FR_ADDR_BEYOND_AGAW);
	use_context(DMAR_CTX_AW_48, DMAR_CTX_TT_MULTI);
	ck_assert_int_eq(tr(1ull << 48, false), DMAR_FR_ADDR_BEYOND_AGAW);
	ck_assert_int_eq(tr((1ull << 48) - 1, false), DMAR_FR_READ);
	use_context(3, DMAR_CTX_TT_MULTI);		/* 57 bits: not ours */
	ck_assert_int_eq(tr(0, false), DMAR_FR_CTX_INVALID);
	use_context(0, DMAR_CTX_TT_MULTI);		/* 30 bits: no */
	ck_assert_int_eq(tr(0, false), DMAR_FR_CTX_INVALID);
	use_context(DMAR_CTX_AW_48, 3);			/* reserved TT */
	ck_assert_int_eq(tr(0, false), DMAR_FR_CTX_INVALID);
}
END_TEST

START_TEST(large_pages)
{
	map(4, 0x40200000ull, 0x00600000, 2, RW, RW);	/* 2 MiB */
	ck_assert_int_eq(tr(0x402ABCDEull, false), DMAR_OK);
	ck_assert_uint_eq(x.addr, 0x006ABCDE);
	ck_assert_uint_eq(x.page_size, 2u << 20);
	map(4, 0x80000000ull, 0x40000000, 3, RW, RW);	/* 1 GiB */
	ck_assert_int_eq(tr(0xBFFFFFFFull, true), DMAR_OK);
	ck_assert_uint_eq(x.addr, 0x7FFFFFFF);
	ck_assert_uint_eq(x.page_size, 1u << 30);
	/* 3-level: a 1 GiB leaf at the top. */
	slpt = new_table();
	use_context(DMAR_CTX_AW_39, DMAR_CTX_TT_MULTI);
	map(3, 0x4000000000ull, 0x80000000, 3, DMAR_SL_R, RW);
	ck_assert_int_eq(tr(0x4000000123ull, false), DMAR_OK);
	ck_assert_uint_eq(x.addr, 0x80000123);
}
END_TEST

START_TEST(reserved_bits_in_paging_entries)
{
	uint64_t pde;

	/* A 2 MiB page whose address has bit 12 set. */
	map(4, 0x200000, 0x401000, 2, RW, RW);
	ck_assert_int_eq(tr(0x200000, false), DMAR_FR_PTE_RSVD);
	/* A 1 GiB page with bit 21 set. */
	map(4, 0x40000000, 0x40200000, 3, RW, RW);
	ck_assert_int_eq(tr(0x40000000, false), DMAR_FR_PTE_RSVD);
	/* TM in a leaf, without device-TLB support. */
	map(4, 0x7000, 0x8000 | DMAR_SL_TM, 1, RW, RW);
	ck_assert_int_eq(tr(0x7000, false), DMAR_FR_PTE_RSVD);
	/* PS in a PML4 entry, even one whose address is 512 GiB aligned. */
	put64(slpt + 8, get64(slpt) | DMAR_SL_PS);
	ck_assert_int_eq(tr(1ull << 39, false), DMAR_FR_PTE_RSVD);
	put64(slpt + 8, RW | DMAR_SL_PS);
	ck_assert_int_eq(tr(1ull << 39, false), DMAR_FR_PTE_RSVD);
	/* An address above the host width (39 bits here). */
	map(4, 0x5000, 1ull << 40, 1, RW, RW);
	ck_assert_int_eq(tr(0x5000, false), DMAR_FR_PTE_RSVD);
	/* Reserved bits with R = W = 0 are a not-present entry. */
	pde = get64(slpt) & ~0xFFFull;
	put64(slpt + 16, 1ull << 45);
	ck_assert_int_eq(tr(2ull << 39, true), DMAR_FR_WRITE);
	(void)pde;
}
END_TEST

START_TEST(root_and_context_faults)
{
	ck_assert_int_eq(dmar_translate(&d, 0x0100, 0, false, &x),
			 DMAR_FR_ROOT_NOT_PRESENT);
	ck_assert_int_eq(dmar_translate(&d, 0x0020, 0, false, &x),
			 DMAR_FR_CTX_NOT_PRESENT);
	root_entry(1, CTX | DMAR_P | 0x2, 0);		/* bit 1 */
	ck_assert_int_eq(dmar_translate(&d, 0x0118, 0, false, &x),
			 DMAR_FR_ROOT_RSVD);
	root_entry(1, CTX | DMAR_P, 1);			/* high qword */
	ck_assert_int_eq(dmar_translate(&d, 0x0118, 0, false, &x),
			 DMAR_FR_ROOT_RSVD);
	root_entry(1, (1ull << 45) | DMAR_P, 0);	/* above HAW */
	ck_assert_int_eq(dmar_translate(&d, 0x0118, 0, false, &x),
			 DMAR_FR_ROOT_RSVD);
	ctx_entry(0x18, slpt | 0x10 | DMAR_P, DMAR_CTX_AW_48);	/* bit 4 */
	ck_assert_int_eq(tr(0, false), DMAR_FR_CTX_RSVD);
	ctx_entry(0x18, slpt | DMAR_P, DMAR_CTX_AW_48 | 0x80);
	ck_assert_int_eq(tr(0, false), DMAR_FR_CTX_RSVD);
	ctx_entry(0x18, slpt | DMAR_P, DMAR_CTX_AW_48 | 1ull << 24);
	ck_assert_int_eq(tr(0, false), DMAR_FR_CTX_RSVD);
	/* The available bits 6:3 of the high qword are ignored. */
	ctx_entry(0x18, slpt | DMAR_P, DMAR_CTX_AW_48 | 0x78);
	ck_assert_int_eq(tr(0, false), DMAR_FR_READ);
	/* A second-level table above the host width (39 bits). */
	ctx_entry(0x18, (1ull << 45) | DMAR_P, DMAR_CTX_AW_48);
	ck_assert_int_eq(tr(0, false), DMAR_FR_CTX_RSVD);
	/* Function 1 of the device has its own entry, next to function 0. */
	ctx_entry(0x18, slpt | DMAR_P, DMAR_CTX_AW_48);
	ctx_entry(0x19, DMAR_CTX_TT_PASSTHROUGH << 2 | DMAR_P,
		  5ull << DMAR_CTX_DID_SHIFT | DMAR_CTX_AW_48);
	ck_assert_int_eq(dmar_translate(&d, 0x0019, 0x3000, true, &x),
			 DMAR_OK);
	ck_assert_uint_eq(x.did, 5);
	ck_assert_int_eq(dmar_translate(&d, 0x0018, 0x3000, true, &x),
			 DMAR_FR_WRITE);
	ck_assert_uint_eq(x.did, 0);
}
END_TEST

START_TEST(access_errors)
{
	root_entry(2, NOT_RAM | DMAR_P, 0);
	ck_assert_int_eq(dmar_translate(&d, 0x0200, 0, false, &x),
			 DMAR_FR_CTX_ACCESS);
	ctx_entry(0x18, NOT_RAM | DMAR_P, DMAR_CTX_AW_48);
	ck_assert_int_eq(tr(0, false), DMAR_FR_PTE_ACCESS);
	dmar_set_root(&d, NOT_RAM, true);
	ck_assert_int_eq(tr(0, false), DMAR_FR_ROOT_ACCESS);
	dmar_set_root(&d, 1ull << 45, true);		/* above HAW */
	ck_assert_int_eq(tr(0, false), DMAR_FR_ROOT_ACCESS);
	/* Even where something would answer the read (RAM seen again at
	 * 1 TiB): the root table cannot be above the host width. */
	alias = true;
	dmar_set_root(&d, (1ull << 40) | ROOT, true);
	ck_assert_int_eq(tr(0, false), DMAR_FR_ROOT_ACCESS);
}
END_TEST

START_TEST(passthrough_did_fpd)
{
	ctx_entry(0x18, DMAR_CTX_FPD | 2ull << 2 | DMAR_P,
		  0x1234ull << DMAR_CTX_DID_SHIFT | DMAR_CTX_AW_48);
	ck_assert_int_eq(tr(0xDEAD000, true), DMAR_OK);
	ck_assert_uint_eq(x.addr, 0xDEAD000);
	ck_assert_uint_eq(x.page_size, 4096);
	ck_assert(x.read && x.write);
	ck_assert_uint_eq(x.did, 0x1234);
	ck_assert(x.fpd);
	/* The domain is 16 bits, 23:8 of the high qword. */
	ctx_entry(0x18, 2ull << 2 | DMAR_P,
		  0xFFFFull << DMAR_CTX_DID_SHIFT | DMAR_CTX_AW_48);
	ck_assert_int_eq(tr(0x5000, false), DMAR_OK);
	ck_assert_uint_eq(x.did, 0xFFFF);
	ck_assert(!x.fpd);
	ck_assert_int_eq(tr(1ull << 39, true), DMAR_FR_ADDR_BEYOND_AGAW);
	/* FPD is reported with a fault of that context. */
	ctx_entry(0x18, slpt | DMAR_CTX_FPD | DMAR_P, DMAR_CTX_AW_48);
	ck_assert_int_eq(tr(0x1000, false), DMAR_FR_READ);
	ck_assert(x.fpd);
}
END_TEST

/* ---- interrupt remapping ---- */

static void irte(unsigned int i, uint64_t lo, uint64_t hi)
{
	put64(IRT + 16 * i, lo);
	put64(IRT + 16 * i + 8, hi);
}

/* Remappable-format MSI address for `handle`, SHV optional. */
static uint64_t ir_addr(unsigned int handle, bool shv)
{
	return 0xFEE00000u | (handle & 0x7FFF) << 5 | 1u << 4 |
	       (shv ? 1u << 3 : 0) | ((handle >> 15) & 1) << 2;
}

static struct dmar_irq irq;

static int rm(uint16_t sid, uint64_t addr, uint32_t data)
{
	return dmar_remap_msi(&d, sid, addr, data, &irq);
}

/* Fixed, physical, edge, vector 0x41, APIC ID 3 (xAPIC: bits 47:40). */
#define IRTE_LO (DMAR_P | 0x41ull << 16 | 3ull << 40)

static void ir_setup(void)
{
	setup();
	memset(mem + IRT, 0, 4096);
	dmar_set_irta(&d, IRT | 7, true, false);	/* 256 entries */
}

START_TEST(irte_remap)
{
	uint64_t a;
	uint32_t dt;

	irte(5, IRTE_LO, 0);
	ck_assert_int_eq(rm(SID, ir_addr(5, false), 0), DMAR_OK);
	ck_assert_uint_eq(irq.vector, 0x41);
	ck_assert_uint_eq(irq.dest, 3);
	ck_assert_uint_eq(irq.delivery, 0);
	ck_assert(!irq.dest_logical && !irq.level && !irq.redir_hint);
	dmar_irq_to_msi(&irq, &a, &dt);
	ck_assert_uint_eq(a, 0xFEE03000);
	ck_assert_uint_eq(dt, 0x41);
	/* Handle 4 + subhandle 1 (SHV) is entry 5 too. */
	ck_assert_int_eq(rm(SID, ir_addr(4, true), 1), DMAR_OK);
	ck_assert_uint_eq(irq.vector, 0x41);
	ck_assert(!irq.fpd);
	/* Lowest priority, edge (TM 0), FPD. */
	irte(7, DMAR_P | 1 << 1 | 1 << 5 | 0x61ull << 16, 0);
	ck_assert_int_eq(rm(SID, ir_addr(7, false), 0), DMAR_OK);
	ck_assert(!irq.level);
	ck_assert(irq.fpd);
	ck_assert_uint_eq(irq.delivery, 1);
	ck_assert(!irq.dest_logical && !irq.redir_hint);
	irte(7, DMAR_P | 1 << 3 | 0x61ull << 16, 0);	/* RH only */
	ck_assert_int_eq(rm(SID, ir_addr(7, false), 0), DMAR_OK);
	ck_assert(irq.redir_hint && !irq.dest_logical);
	/* Handle bit 15 (address bit 2) in a 64K-entry table. */
	irte(0x8005, DMAR_P | 0x42ull << 16, 0);
	dmar_set_irta(&d, IRT | 15, true, false);
	ck_assert_int_eq(rm(SID, ir_addr(0x8005, false), 0), DMAR_OK);
	ck_assert_uint_eq(irq.vector, 0x42);
	ck_assert_int_eq(rm(SID, ir_addr(0x4005, false), 0),
			 DMAR_FR_IR_NOT_PRESENT);
	/* Logical, redirection hint, level, lowest priority. */
	irte(6, DMAR_P | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 0x52ull << 16 |
		0x0Full << 40, 0);
	ck_assert_int_eq(rm(SID, ir_addr(6, false), 0), DMAR_OK);
	ck_assert(irq.dest_logical && irq.redir_hint && irq.level);
	ck_assert_uint_eq(irq.delivery, 1);
	dmar_irq_to_msi(&irq, &a, &dt);
	ck_assert_uint_eq(a, 0xFEE0F00C);
	ck_assert_uint_eq(dt, 0xC152);
}
END_TEST

START_TEST(irte_faults)
{
	irte(5, IRTE_LO, 0);
	ck_assert_int_eq(rm(SID, ir_addr(7, false), 0),
			 DMAR_FR_IR_NOT_PRESENT);
	ck_assert_int_eq(rm(SID, ir_addr(256, false), 0), DMAR_FR_IR_INDEX);
	irte(255, IRTE_LO, 0);			/* S = 7: 2^(7+1) entries */
	ck_assert_int_eq(rm(SID, ir_addr(255, false), 0), DMAR_OK);
	ck_assert_int_eq(rm(SID, ir_addr(0x8000, false), 0),
			 DMAR_FR_IR_INDEX);		/* handle bit 15 */
	ck_assert_int_eq(rm(SID, ir_addr(255, true), 1), DMAR_FR_IR_INDEX);
	ck_assert_int_eq(rm(SID, ir_addr(5, false), 0x10000),
			 DMAR_FR_IR_REQ_RSVD);
	irte(8, IRTE_LO | 1 << 12, 0);			/* 14:12 */
	ck_assert_int_eq(rm(SID, ir_addr(8, false), 0), DMAR_FR_IR_IRTE_RSVD);
	irte(8, IRTE_LO | 1 << 15, 0);			/* posted */
	ck_assert_int_eq(rm(SID, ir_addr(8, false), 0), DMAR_FR_IR_IRTE_RSVD);
	irte(8, IRTE_LO | 3 << 5, 0);			/* DLM 011 */
	ck_assert_int_eq(rm(SID, ir_addr(8, false), 0), DMAR_FR_IR_IRTE_RSVD);
	irte(8, IRTE_LO | 1ull << 24, 0);		/* 31:24 */
	ck_assert_int_eq(rm(SID, ir_addr(8, false), 0), DMAR_FR_IR_IRTE_RSVD);
	irte(8, IRTE_LO | 1ull << 33, 0);		/* xAPIC dest 39:32 */
	ck_assert_int_eq(rm(SID, ir_addr(8, false), 0), DMAR_FR_IR_IRTE_RSVD);
	irte(8, IRTE_LO, 1ull << 20);		/* bit 84: 127:84 */
	ck_assert_int_eq(rm(SID, ir_addr(8, false), 0), DMAR_FR_IR_IRTE_RSVD);
	irte(8, IRTE_LO, 3ull << 18);			/* SVT 11 */
	ck_assert_int_eq(rm(SID, ir_addr(8, false), 0), DMAR_FR_IR_IRTE_RSVD);
	/* Not present wins over reserved bits. */
	irte(8, (IRTE_LO & ~DMAR_P) | 1 << 12, 0);
	ck_assert_int_eq(rm(SID, ir_addr(8, false), 0),
			 DMAR_FR_IR_NOT_PRESENT);
	/* The table itself out of RAM. */
	dmar_set_irta(&d, NOT_RAM | 7, true, false);
	ck_assert_int_eq(rm(SID, ir_addr(5, false), 0),
			 DMAR_FR_IR_TABLE_ACCESS);
	/* Not an interrupt address at all. */
	ck_assert_int_eq(rm(SID, 0xFED00010, 0), -1);
	ck_assert_int_eq(warnings, 1);
}
END_TEST

START_TEST(irte_x2apic_destination)
{
	irte(5, DMAR_P | 0x41ull << 16 | 0x00030201ull << 32, 0);
	dmar_set_irta(&d, IRT | DMAR_IRTA_EIME | 7, true, false);
	ck_assert_int_eq(rm(SID, ir_addr(5, false), 0), DMAR_OK);
	ck_assert_uint_eq(irq.dest, 0x00030201);
}
END_TEST

START_TEST(source_id_verification)
{
	/* SVT 01, SQ 00: the full requester id 00:03.0. */
	irte(5, IRTE_LO, 1ull << 18 | SID);
	ck_assert_int_eq(rm(SID, ir_addr(5, false), 0), DMAR_OK);
	ck_assert_int_eq(rm(SID + 1, ir_addr(5, false), 0), DMAR_FR_IR_SID);
	/* SQ 11: functions 0-7 of the device. */
	irte(5, IRTE_LO, 1ull << 18 | 3ull << 16 | SID);
	ck_assert_int_eq(rm(SID + 7, ir_addr(5, false), 0), DMAR_OK);
	ck_assert_int_eq(rm(SID + 8, ir_addr(5, false), 0), DMAR_FR_IR_SID);
	/* SQ 01: bit 2 of the function ignored. */
	irte(5, IRTE_LO, 1ull << 18 | 1ull << 16 | SID);
	ck_assert_int_eq(rm(SID + 4, ir_addr(5, false), 0), DMAR_OK);
	ck_assert_int_eq(rm(SID + 2, ir_addr(5, false), 0), DMAR_FR_IR_SID);
	/* SVT 10: requester bus in [2, 5]. */
	irte(5, IRTE_LO, 2ull << 18 | 0x0205);
	ck_assert_int_eq(rm(0x0500, ir_addr(5, false), 0), DMAR_OK);
	ck_assert_int_eq(rm(0x0200, ir_addr(5, false), 0), DMAR_OK);
	ck_assert_int_eq(rm(0x0600, ir_addr(5, false), 0), DMAR_FR_IR_SID);
	ck_assert_int_eq(rm(0x0118, ir_addr(5, false), 0), DMAR_FR_IR_SID);
}
END_TEST

START_TEST(compatibility_format)
{
	/* Remapping on, CFIS clear: blocked. */
	ck_assert_int_eq(rm(SID, 0xFEE02000, 0x4031),
			 DMAR_FR_IR_COMPAT_BLOCKED);
	dmar_set_irta(&d, IRT | 7, true, true);		/* CFIS */
	ck_assert_int_eq(rm(SID, 0xFEE02004, 0x0431), DMAR_OK);
	ck_assert_uint_eq(irq.vector, 0x31);
	ck_assert_uint_eq(irq.dest, 2);
	ck_assert_uint_eq(irq.delivery, 4);
	ck_assert(irq.dest_logical);
	ck_assert(!irq.level);
	ck_assert_int_eq(rm(SID, 0xFEE02000, 0xC031), DMAR_OK);
	ck_assert(irq.level);
	ck_assert(!irq.dest_logical && !irq.redir_hint);
	ck_assert_int_eq(rm(SID, 0xFEE02008, 0x31), DMAR_OK);
	ck_assert(irq.redir_hint && !irq.dest_logical);
	/* x2APIC mode blocks them whatever CFIS says. */
	dmar_set_irta(&d, IRT | DMAR_IRTA_EIME | 7, true, true);
	ck_assert_int_eq(rm(SID, 0xFEE02000, 0x31),
			 DMAR_FR_IR_COMPAT_BLOCKED);
	/* Remapping off: compatibility passes, remappable does not. */
	dmar_set_irta(&d, IRT | 7, false, false);
	ck_assert_int_eq(rm(SID, 0xFEE02000, 0x31), DMAR_OK);
	ck_assert_int_eq(rm(SID, ir_addr(5, false), 0), DMAR_FR_IR_REQ_RSVD);
}
END_TEST

Suite *dmar_suite(void)
{
	Suite *s = suite_create("dmar");
	TCase *t = tcase_create("dma-remapping");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, translation_off_is_identity);
	tcase_add_test(t, four_level_4k);
	tcase_add_test(t, permissions_and_over_levels);
	tcase_add_test(t, three_level_and_widths);
	tcase_add_test(t, large_pages);
	tcase_add_test(t, reserved_bits_in_paging_entries);
	tcase_add_test(t, root_and_context_faults);
	tcase_add_test(t, access_errors);
	tcase_add_test(t, passthrough_did_fpd);
	suite_add_tcase(s, t);
	return s;
}

/* Interrupt remapping: not exercise 4.dmar's, so a suite of its own. */
Suite *dmar_ir_suite(void)
{
	Suite *s = suite_create("dmar-ir");
	TCase *t = tcase_create("interrupt-remapping");

	tcase_add_checked_fixture(t, ir_setup, teardown);
	tcase_add_test(t, irte_remap);
	tcase_add_test(t, irte_faults);
	tcase_add_test(t, irte_x2apic_destination);
	tcase_add_test(t, source_id_verification);
	tcase_add_test(t, compatibility_format);
	suite_add_tcase(s, t);
	return s;
}

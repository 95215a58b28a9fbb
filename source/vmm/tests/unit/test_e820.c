/* @@ file 02 */
/*
 * test_e820.c - INT 15h, AX = E820h, on synthetic registers: what the
 * VMM writes at ES:DI and leaves in EAX, EBX, ECX and CF, by the ACPI
 * specification's calling convention ("System Address Map Interfaces"),
 * for the memory map of guests/README.md ("Lab 02: memory").
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "mem/e820.h"
#include "mem/memmap.h"
#include "unit.h"

#define SMAP 0x534d4150ULL	/* "SMAP" */

static struct memmap mm;
static struct kvm_regs regs;
static struct kvm_sregs sregs;

static void setup(void)
{
	ck_assert_int_eq(memmap_build(&mm, 32ULL << 20), 0);
	ck_assert_int_eq(memmap_alloc(&mm), 0);
	memset(&regs, 0, sizeof(regs));
	memset(&sregs, 0, sizeof(sregs));
}

static void teardown(void)
{
	memmap_free(&mm);
}

/* A call as a boot loader makes it: buffer at ES:DI = 0050:0100. */
static void call_regs(uint32_t ebx)
{
	sregs.es.selector = 0x50;
	sregs.es.base = 0x500;
	regs.rax = 0xe820;
	regs.rbx = ebx;
	regs.rcx = 24;
	regs.rdx = SMAP;
	regs.rdi = 0x100;
	regs.rflags = 0x2 | 1;		/* CF set: the call must clear it */
	memset(memmap_hva(&mm, 0x600, 24), 0xaa, 24);
}

/* The entry at guest-physical gpa; the 4 bytes after it untouched. */
static void expect_entry_at(uint64_t gpa, uint64_t addr, uint64_t size,
			    uint32_t type)
{
	const uint8_t *p = memmap_hva(&mm, gpa, 24);
	uint64_t a, s;
	uint32_t t;

	memcpy(&a, p, 8);
	memcpy(&s, p + 8, 8);
	memcpy(&t, p + 16, 4);
	ck_assert_uint_eq(a, addr);
	ck_assert_uint_eq(s, size);
	ck_assert_uint_eq(t, type);
	/* 20 bytes, not the 24 the buffer has room for. */
	ck_assert_uint_eq(p[20], 0xaa);
	ck_assert_uint_eq(p[23], 0xaa);
}

static void expect_entry(uint64_t addr, uint64_t size, uint32_t type)
{
	expect_entry_at(0x600, addr, size, type);
}

START_TEST(walk_the_map)
{
	static const struct {
		uint64_t addr, size;
		uint32_t type;
	} want[] = {
		{ 0, 0x9f000, 1 }, { 0x9f000, 0x1000, 2 },
		{ 0xf0000, 0x10000, 2 }, { 0x100000, 0x1f00000, 1 },
	};
	uint32_t next = 0;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		call_regs(next);
		ck_assert_int_eq(e820_call(&mm, &regs, &sregs), 0);
		ck_assert_uint_eq(regs.rflags & 1, 0);
		ck_assert_uint_eq(regs.rax, SMAP);
		ck_assert_uint_eq(regs.rcx, 20);
		ck_assert_uint_eq(regs.rdi, 0x100);
		ck_assert_uint_eq(regs.rdx, SMAP);
		expect_entry(want[i].addr, want[i].size, want[i].type);
		/* The continuation is the next entry's number (src/e820.c),
		 * 0 after the last. */
		next = (uint32_t)regs.rbx;
		ck_assert_msg(next == (i == 3 ? 0 : i + 1),
			      "entry %u: continuation %u", i, next);
	}
}
END_TEST

/* The BIOS owns the low 32 bits; the high halves are the caller's. */
START_TEST(high_halves_kept)
{
	call_regs(0);
	regs.rax |= 0xdead000000000000ULL;
	regs.rbx |= 0xbeef000000000000ULL;
	regs.rcx |= 0x1234000000000000ULL;
	ck_assert_int_eq(e820_call(&mm, &regs, &sregs), 0);
	ck_assert_uint_eq(regs.rax, 0xdead000000000000ULL | SMAP);
	ck_assert_uint_eq(regs.rcx, 0x1234000000000000ULL | 20);
	ck_assert_uint_eq(regs.rbx >> 32, 0xbeef0000ULL);
	ck_assert_uint_eq(regs.rflags, 0x2);
}
END_TEST

/*
 * Only EAX, EBX, ECX and CF are the call's to change, on success as on
 * refusal (where AH = 86h is the change): every other register, and
 * every other flag, as the caller left it.
 */
START_TEST(other_registers_kept)
{
	struct kvm_regs before;
	struct kvm_sregs sbefore;
	int refuse;

	for (refuse = 0; refuse <= 1; refuse++) {
		call_regs(1);
		regs.rdx |= 0x5555000000000000ULL;
		regs.rsi = 0x1111111111111111ULL;
		regs.rbp = 0x2222222222222222ULL;
		regs.rsp = 0x7bf0;
		regs.r8 = 0x3333;
		regs.r15 = 0x4444;
		regs.rip = 0x1234;
		regs.rflags = 0x2 | 0x200 | 0x40 | (refuse ? 0 : 1);	/* IF, ZF */
		if (refuse)
			regs.rcx = 3;
		before = regs;
		sbefore = sregs;
		ck_assert_int_eq(e820_call(&mm, &regs, &sregs), refuse ? -EINVAL : 0);
		ck_assert_msg(regs.rdx == before.rdx && regs.rsi == before.rsi &&
			      regs.rdi == before.rdi && regs.rbp == before.rbp &&
			      regs.rsp == before.rsp && regs.r8 == before.r8 &&
			      regs.r15 == before.r15 && regs.rip == before.rip,
			      "2.e820: only EAX, EBX, ECX and CF change");
		ck_assert_msg((regs.rflags & ~1ULL) == (before.rflags & ~1ULL),
			      "2.e820: only CF of RFLAGS changes: 0x%llx, was 0x%llx",
			      (unsigned long long)regs.rflags,
			      (unsigned long long)before.rflags);
		ck_assert_msg(!memcmp(&sregs, &sbefore, sizeof(sregs)),
			      "2.e820: the segment registers are not the call's to change");
		if (refuse)
			ck_assert_msg(regs.rbx == before.rbx &&
				      (regs.rax & ~0xff00ULL) == (before.rax & ~0xff00ULL) &&
				      regs.rcx == before.rcx,
				      "2.e820: a refused call changes AH and CF alone");
	}
}
END_TEST

/* Real mode: DI is 16 bits, the segment base does the rest. */
START_TEST(buffer_is_es_di)
{
	call_regs(3);
	regs.rdi = 0xffff0100;
	ck_assert_int_eq(e820_call(&mm, &regs, &sregs), 0);
	expect_entry(0x100000, 0x1f00000, 1);
	ck_assert_uint_eq((uint32_t)regs.rbx, 0);
}
END_TEST

/*
 * An odd DI is a buffer at an odd address; ECX of exactly 20 is room
 * enough, and ECX returns 20 whatever (at least 20) it was.
 */
START_TEST(odd_buffer_exact_size)
{
	const uint8_t *p = memmap_hva(&mm, 0x601, 20);
	uint64_t size;

	call_regs(3);
	regs.rdi = 0x101;
	regs.rcx = 21;
	memset(memmap_hva(&mm, 0x600, 24), 0xaa, 24);
	ck_assert_int_eq(e820_call(&mm, &regs, &sregs), 0);
	ck_assert_uint_eq(regs.rcx, 20);
	memcpy(&size, p + 8, 8);
	ck_assert_uint_eq(size, 0x1f00000);
	ck_assert_uint_eq(*(const uint8_t *)memmap_hva(&mm, 0x600, 1), 0xaa);
	call_regs(0);
	regs.rcx = 20;
	ck_assert_int_eq(e820_call(&mm, &regs, &sregs), 0);
	expect_entry(0, 0x9f000, 1);
}
END_TEST

static void expect_refused(int err)
{
	uint8_t before[24];

	memcpy(before, memmap_hva(&mm, 0x600, 24), 24);
	regs.rflags = 0x2;
	ck_assert_int_eq(e820_call(&mm, &regs, &sregs), err);
	ck_assert_uint_eq(regs.rflags, 0x2 | 1);
	ck_assert_uint_eq((regs.rax >> 8) & 0xff, 0x86);
	ck_assert_mem_eq(memmap_hva(&mm, 0x600, 24), before, 24);
}

START_TEST(bad_calls_set_cf)
{
	call_regs(0);
	regs.rdx = 0x12345678;
	expect_refused(-EINVAL);

	call_regs(0);
	regs.rcx = 19;
	expect_refused(-EINVAL);

	call_regs(4);			/* the map has entries 0-3 */
	expect_refused(-ENOENT);
	ck_assert_uint_eq(regs.rbx, 4);

	call_regs(0x1234);
	expect_refused(-ENOENT);
}
END_TEST

/* ES:DI must be 20 bytes of writable RAM in one piece. */
START_TEST(bad_buffers_set_cf)
{
	call_regs(0);
	sregs.es.base = 0xf0000;	/* the ROM */
	regs.rdi = 0;
	expect_refused(-EFAULT);

	call_regs(0);
	sregs.es.base = 0xa0000;	/* the legacy hole */
	expect_refused(-EFAULT);

	call_regs(0);
	sregs.es.base = 0x9e000;	/* 0x9eff0: crosses into the EBDA */
	regs.rdi = 0xff0;
	expect_refused(-EFAULT);

	call_regs(0);
	sregs.es.base = 0x9f000;	/* inside the EBDA: RAM, so allowed */
	regs.rdi = 0x10;
	regs.rflags = 0x2;
	memset(memmap_hva(&mm, 0x9f010, 24), 0xaa, 24);
	ck_assert_int_eq(e820_call(&mm, &regs, &sregs), 0);
	ck_assert_uint_eq(regs.rflags, 0x2);
	ck_assert_uint_eq(regs.rbx, 1);
	ck_assert_uint_eq(regs.rcx, 20);
	expect_entry_at(0x9f010, 0, 0x9f000, 1);
}
END_TEST

Suite *e820_suite(void)
{
	Suite *s = suite_create("e820");
	TCase *tc = tcase_create("e820");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, walk_the_map);
	tcase_add_test(tc, high_halves_kept);
	tcase_add_test(tc, other_registers_kept);
	tcase_add_test(tc, buffer_is_es_di);
	tcase_add_test(tc, odd_buffer_exact_size);
	tcase_add_test(tc, bad_calls_set_cf);
	tcase_add_test(tc, bad_buffers_set_cf);
	suite_add_tcase(s, tc);
	return s;
}

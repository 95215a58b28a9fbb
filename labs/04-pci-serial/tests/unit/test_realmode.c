/*
 * test_realmode.c - the real-mode starting state (Intel SDM vol. 3, 20.1:
 * in real mode a segment's base is its selector shifted left by 4).
 */
#include <string.h>

#include "cpu/boot.h"
#include "unit.h"

START_TEST(cs_ip_and_segments)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	memset(&s, 0xff, sizeof(s));	/* leftovers from protected mode */
	memset(&r, 0xff, sizeof(r));
	s.cr0 = CR0_PE | CR0_ET;
	boot_real_mode(&s, &r, 0x1234, 0x5678);

	ck_assert_uint_eq(s.cs.selector, 0x1234);
	ck_assert_uint_eq(s.cs.base, 0x12340);
	ck_assert_uint_eq(s.cs.limit, 0xffff);
	ck_assert_uint_eq(s.cs.present, 1);
	ck_assert_uint_eq(s.cs.s, 1);
	ck_assert_uint_eq(s.cs.db, 0);		/* 16-bit code */
	ck_assert_uint_eq(s.cs.l, 0);
	ck_assert_uint_eq(s.cs.type & 0x8, 0x8);	/* a code segment */
	ck_assert_uint_eq(s.ds.selector, 0);
	ck_assert_uint_eq(s.ds.base, 0);
	ck_assert_uint_eq(s.ss.base, 0);
	ck_assert_uint_eq(s.ss.limit, 0xffff);
	ck_assert_uint_eq(s.ss.db, 0);
	ck_assert_uint_eq(s.es.base, 0);
	ck_assert_uint_eq(s.cr0 & CR0_PE, 0);
	ck_assert_uint_eq(s.cr0 & CR0_PG, 0);
	ck_assert_uint_eq(r.rip, 0x5678);
	ck_assert_uint_eq(r.rflags, 0x2);
	ck_assert_uint_eq(r.rsp, 0x7c00);
	ck_assert_uint_eq(r.rax, 0);
}
END_TEST

/*
 * Every segment register's hidden part, as a real-mode segment must be
 * for VM entry (SDM vol. 3C, 26.3.1.2, unrestricted guest: the accessed
 * bit set, SS a read/write data segment, CS a code segment) and for the
 * 64 KiB limit of real mode (20.1: G = 0 with limit 0xFFFF); present and
 * s are KVM's 0/1 flags (Documentation/virt/kvm/api.rst, kvm_segment).
 */
/* boot_real_mode() over sregs that held `fill` in every byte before. */
static void check_segments(uint8_t fill)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_segment *seg[] = { &s.cs, &s.ds, &s.es, &s.fs, &s.gs, &s.ss };
	unsigned int i;

	memset(&s, fill, sizeof(s));
	memset(&r, fill, sizeof(r));
	boot_real_mode(&s, &r, 0x07c0, 0);
	for (i = 0; i < sizeof(seg) / sizeof(seg[0]); i++) {
		ck_assert_uint_eq(seg[i]->limit, 0xffff);
		ck_assert_uint_eq(seg[i]->g, 0);
		ck_assert_uint_eq(seg[i]->present, 1);
		ck_assert_uint_eq(seg[i]->s, 1);
		ck_assert_uint_eq(seg[i]->db, 0);
		ck_assert_uint_lt(seg[i]->type, 16);
		ck_assert_uint_eq(seg[i]->type & 0x1, 0x1);	/* accessed */
		ck_assert_uint_eq(seg[i]->base, i ? 0 : 0x7c00);
		ck_assert_uint_eq(seg[i]->selector, i ? 0 : 0x07c0);
	}
	ck_assert_uint_eq(s.cs.type & 0x9, 0x9);	/* code, accessed */
	ck_assert_uint_eq(s.cs.l, 0);
	for (i = 1; i < sizeof(seg) / sizeof(seg[0]); i++)
		ck_assert_uint_eq(seg[i]->type & 0x8, 0);	/* data */
	ck_assert(s.ss.type == 0x3 || s.ss.type == 0x7);	/* read/write */
}

START_TEST(every_segment_usable)
{
	check_segments(0xff);
	check_segments(0);
}
END_TEST

/*
 * The fields the checks above leave out: DPL, AVL, L and "unusable" of
 * every segment register (table 9-1: ring 0, usable), the general
 * registers (0 but RIP, RSP and RFLAGS), and the rest of sregs, which
 * boot_real_mode() leaves as it was (CR0's other bits among them).
 */
START_TEST(every_other_field)
{
	struct kvm_sregs s, before;
	struct kvm_regs r;
	struct kvm_segment *seg[] = { &s.cs, &s.ds, &s.es, &s.fs, &s.gs, &s.ss };
	static const char *const names[] = { "CS", "DS", "ES", "FS", "GS", "SS" };
	const __u64 *gpr = (const __u64 *)&r;
	unsigned int i;

	memset(&s, 0xa5, sizeof(s));
	s.cr0 = 0x60000011;	/* CD, NW, ET and PE */
	before = s;
	memset(&r, 0xa5, sizeof(r));
	boot_real_mode(&s, &r, 0x07c0, 0x0010);
	for (i = 0; i < 6; i++) {
		ck_assert_msg(seg[i]->dpl == 0, "1.realmode: %s.dpl must be 0 (ring 0), is %u",
			      names[i], seg[i]->dpl);
		ck_assert_msg(seg[i]->avl == 0, "1.realmode: %s.avl must be 0, is %u",
			      names[i], seg[i]->avl);
		ck_assert_msg(seg[i]->l == 0, "1.realmode: %s.l must be 0, is %u",
			      names[i], seg[i]->l);
		ck_assert_msg(seg[i]->unusable == 0,
			      "1.realmode: %s must be usable (unusable = 0), is %u",
			      names[i], seg[i]->unusable);
	}
	ck_assert_msg(s.cr0 == 0x60000010,
		      "1.realmode: CR0 with PE and PG clear and the rest as it was "
		      "(0x60000010), is 0x%llx", (unsigned long long)s.cr0);
	ck_assert_msg(s.cr2 == before.cr2 && s.cr3 == before.cr3 && s.cr4 == before.cr4 &&
		      s.cr8 == before.cr8 && s.efer == before.efer &&
		      s.apic_base == before.apic_base,
		      "1.realmode: CR2, CR3, CR4, CR8, EFER and the APIC base stay as they were");
	ck_assert_msg(!memcmp(&s.tr, &before.tr, sizeof(s.tr)) &&
		      !memcmp(&s.ldt, &before.ldt, sizeof(s.ldt)) &&
		      !memcmp(&s.gdt, &before.gdt, sizeof(s.gdt)) &&
		      !memcmp(&s.idt, &before.idt, sizeof(s.idt)) &&
		      !memcmp(s.interrupt_bitmap, before.interrupt_bitmap,
			      sizeof(s.interrupt_bitmap)),
		      "1.realmode: TR, LDTR, GDTR, IDTR and the interrupt bitmap stay as they were");
	for (i = 0; i < sizeof(r) / sizeof(gpr[0]); i++) {
		uint64_t want = &gpr[i] == &r.rip ? 0x10 : &gpr[i] == &r.rsp ? 0x7c00 :
				&gpr[i] == &r.rflags ? 0x2 : 0;

		ck_assert_msg(gpr[i] == want,
			      "1.realmode: general register %u of struct kvm_regs must be "
			      "0x%llx, is 0x%llx", i, (unsigned long long)want,
			      (unsigned long long)gpr[i]);
	}
}
END_TEST

Suite *realmode_suite(void)
{
	Suite *s = suite_create("realmode");
	TCase *tc = tcase_create("realmode");

	tcase_add_test(tc, cs_ip_and_segments);
	tcase_add_test(tc, every_segment_usable);
	tcase_add_test(tc, every_other_field);
	suite_add_tcase(s, tc);
	return s;
}

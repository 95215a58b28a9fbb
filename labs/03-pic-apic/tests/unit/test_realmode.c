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

Suite *realmode_suite(void)
{
	Suite *s = suite_create("realmode");
	TCase *tc = tcase_create("realmode");

	tcase_add_test(tc, cs_ip_and_segments);
	suite_add_tcase(s, tc);
	return s;
}

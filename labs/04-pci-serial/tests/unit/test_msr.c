/*
 * test_msr.c - the user-space MSR, against guests/README.md.
 */
#include <errno.h>

#include "cpu/msr.h"
#include "unit.h"

START_TEST(scratch_msr)
{
	struct msr_state ms;
	uint64_t v = 0;

	msr_init(&ms);
	ck_assert_int_eq(msr_read(&ms, 0x564d0000, &v), 0);
	/* The bytes of "vmmlab", little-endian. */
	ck_assert_mem_eq(&v, "vmmlab\0\0", 8);
	ck_assert_int_eq(msr_write(&ms, 0x564d0000, 0x0123456789abcdefULL), 0);
	ck_assert_int_eq(msr_read(&ms, 0x564d0000, &v), 0);
	ck_assert_uint_eq(v, 0x0123456789abcdefULL);
}
END_TEST

START_TEST(reserved_bit_and_other_index)
{
	struct msr_state ms;
	uint64_t v = 0;

	msr_init(&ms);
	ck_assert_int_eq(msr_write(&ms, 0x564d0000, 1ULL << 63), -EINVAL);
	ck_assert_int_eq(msr_read(&ms, 0x564d0000, &v), 0);
	ck_assert_uint_eq(v, MSR_VMMLAB_INITIAL);
	ck_assert_int_eq(msr_read(&ms, 0x564d0001, &v), -EINVAL);
	ck_assert_int_eq(msr_write(&ms, 0x10, 0), -EINVAL);
}
END_TEST

Suite *msr_suite(void)
{
	Suite *s = suite_create("msr");
	TCase *tc = tcase_create("msr");

	tcase_add_test(tc, scratch_msr);
	tcase_add_test(tc, reserved_bit_and_other_index);
	suite_add_tcase(s, tc);
	return s;
}

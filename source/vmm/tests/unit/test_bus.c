/*
 * test_bus.c - address decoding: registration, lookup, unclaimed accesses.
 */
#include <errno.h>

#include "bus.h"
#include "unit.h"

START_TEST(overlap_refused)
{
	struct bus b;
	struct recorder r = { 0 };

	bus_init(&b, "port");
	ck_assert_int_eq(bus_register(&b, 0x100, 0x10, "a", &recorder_ops, &r), 0);
	ck_assert_int_eq(bus_register(&b, 0x10f, 1, "b", &recorder_ops, &r), -EEXIST);
	ck_assert_int_eq(bus_register(&b, 0xf8, 0x9, "c", &recorder_ops, &r), -EEXIST);
	ck_assert_int_eq(bus_register(&b, 0x110, 1, "d", &recorder_ops, &r), 0);
	ck_assert_int_eq(bus_register(&b, 0x200, 0, "e", &recorder_ops, &r), -EINVAL);
	ck_assert_int_eq(bus_register(&b, ~0ULL, 2, "f", &recorder_ops, &r), -EINVAL);
}
END_TEST

START_TEST(dispatch_by_range)
{
	struct bus b;
	struct recorder lo = { 0 }, hi = { 0 };

	bus_init(&b, "mmio");
	/* Registered out of order on purpose. */
	ck_assert_int_eq(bus_register(&b, 0x2000, 0x100, "hi", &recorder_ops, &hi), 0);
	ck_assert_int_eq(bus_register(&b, 0x1000, 0x100, "lo", &recorder_ops, &lo), 0);
	bus_write(&b, 0x1010, 4, 0xdeadbeef);
	bus_write(&b, 0x20ff, 1, 0x1ff);	/* masked to the width */
	ck_assert_int_eq(lo.n, 1);
	ck_assert_uint_eq(lo.a[0].offset, 0x10);
	ck_assert_uint_eq(lo.a[0].size, 4);
	ck_assert_uint_eq(lo.a[0].value, 0xdeadbeef);
	ck_assert_int_eq(hi.n, 1);
	ck_assert_uint_eq(hi.a[0].offset, 0xff);
	ck_assert_uint_eq(hi.a[0].value, 0xff);
}
END_TEST

START_TEST(unclaimed_reads_all_ones)
{
	struct bus b;
	struct recorder r = { 0 };

	bus_init(&b, "port");
	ck_assert_int_eq(bus_register(&b, 0x100, 4, "a", &recorder_ops, &r), 0);
	ck_assert_uint_eq(bus_read(&b, 0x80, 1), 0xff);
	ck_assert_uint_eq(bus_read(&b, 0x80, 2), 0xffff);
	ck_assert_uint_eq(bus_read(&b, 0x80, 4), 0xffffffffULL);
	ck_assert_uint_eq(bus_read(&b, 0x80, 8), ~0ULL);
	/* Straddling the end of a region is not a claimed access either. */
	ck_assert_uint_eq(bus_read(&b, 0x102, 4), 0xffffffffULL);
	bus_write(&b, 0x103, 2, 0);
	ck_assert_int_eq(r.n, 0);
	ck_assert_uint_eq(b.unclaimed, 6);
	/* Logged once per address. */
	ck_assert_int_eq(b.nr_logged, 3);
}
END_TEST

Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("bus");

	tcase_add_test(tc, overlap_refused);
	tcase_add_test(tc, dispatch_by_range);
	tcase_add_test(tc, unclaimed_reads_all_ones);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_testdev.c - the test register block, checked against its table in
 * guests/README.md.
 */
#include <stdlib.h>

#include "core/bus.h"
#include "dev/testdev.h"
#include "unit.h"

static struct fake_vm f;
static struct testdevs *td;

static void setup(void)
{
	fake_vm_init(&f);
	td = fake_dev(&f, testdev_init);
}

static void teardown(void)
{
	free(td);
	fake_vm_free(&f);
}

START_TEST(scratch_little_endian)
{
	struct bus *b = &f.vm.mmio;

	bus_write(b, NULL, TESTDEV_MMIO, 8, 0x0807060504030201ULL);
	ck_assert_uint_eq(bus_read(b, NULL, TESTDEV_MMIO + 0, 1), 0x01);
	ck_assert_uint_eq(bus_read(b, NULL, TESTDEV_MMIO + 3, 1), 0x04);
	ck_assert_uint_eq(bus_read(b, NULL, TESTDEV_MMIO + 2, 2), 0x0403);
	ck_assert_uint_eq(bus_read(b, NULL, TESTDEV_MMIO + 4, 4), 0x08070605);
	bus_write(b, NULL, TESTDEV_MMIO + 6, 2, 0xaabb);
	ck_assert_uint_eq(bus_read(b, NULL, TESTDEV_MMIO, 8), 0xaabb060504030201ULL);
	/* LAST = width | offset << 8 of that last write. */
	ck_assert_uint_eq(bus_read(b, NULL, TESTDEV_MMIO + TESTDEV_LAST, 2), 0x0602);
}
END_TEST

START_TEST(last_starts_at_zero)
{
	ck_assert_uint_eq(bus_read(&f.vm.pio, NULL, TESTDEV_PORT + TESTDEV_LAST, 2), 0);
	bus_write(&f.vm.pio, NULL, TESTDEV_PORT + 1, 1, 0x5a);
	ck_assert_uint_eq(bus_read(&f.vm.pio, NULL, TESTDEV_PORT + TESTDEV_LAST, 2), 0x0101);
	ck_assert_uint_eq(bus_read(&f.vm.pio, NULL, TESTDEV_PORT, 4), 0x5a00);
}
END_TEST

START_TEST(seq_counts_reads)
{
	struct bus *b = &f.vm.pio;

	ck_assert_uint_eq(bus_read(b, NULL, TESTDEV_PORT + TESTDEV_SEQ, 2), 0);
	ck_assert_uint_eq(bus_read(b, NULL, TESTDEV_PORT + TESTDEV_SEQ, 2), 1);
	bus_write(b, NULL, TESTDEV_PORT + TESTDEV_SEQ, 4, 0x1ff);
	/* Truncated to the access width, then incremented. */
	ck_assert_uint_eq(bus_read(b, NULL, TESTDEV_PORT + TESTDEV_SEQ, 1), 0xff);
	ck_assert_uint_eq(bus_read(b, NULL, TESTDEV_PORT + TESTDEV_SEQ, 4), 0x200);
	/* The port block and the MMIO block are separate devices. */
	ck_assert_uint_eq(bus_read(&f.vm.mmio, NULL, TESTDEV_MMIO + TESTDEV_SEQ, 4), 0);
}
END_TEST

START_TEST(bad_access_all_ones)
{
	/* Straddles SCRATCH and LAST. */
	ck_assert_uint_eq(bus_read(&f.vm.mmio, NULL, TESTDEV_MMIO + 6, 4), 0xffffffffULL);
	/* An offset with no register. */
	ck_assert_uint_eq(bus_read(&f.vm.mmio, NULL, TESTDEV_MMIO + 0x40, 1), 0xff);
	/* LAST is read-only and 16 bits. */
	bus_write(&f.vm.mmio, NULL, TESTDEV_MMIO + TESTDEV_LAST, 2, 0x1234);
	ck_assert_uint_eq(bus_read(&f.vm.mmio, NULL, TESTDEV_MMIO + TESTDEV_LAST, 2), 0);
	ck_assert_uint_eq(bus_read(&f.vm.mmio, NULL, TESTDEV_MMIO + TESTDEV_LAST, 4),
			  0xffffffffULL);
	/* The port block has no 8-byte accesses. */
	ck_assert_uint_eq(testdev_ops.read(NULL, &td->port, 0, 8), ~0ULL);
	testdev_ops.write(NULL, &td->port, 0, 8, 0x1122334455667788ULL);
	ck_assert_uint_eq(bus_read(&f.vm.pio, NULL, TESTDEV_PORT, 4), 0);
}
END_TEST

Suite *testdev_suite(void)
{
	Suite *s = suite_create("testdev");
	TCase *tc = tcase_create("testdev");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, scratch_little_endian);
	tcase_add_test(tc, last_starts_at_zero);
	tcase_add_test(tc, seq_counts_reads);
	tcase_add_test(tc, bad_access_all_ones);
	suite_add_tcase(s, tc);
	return s;
}

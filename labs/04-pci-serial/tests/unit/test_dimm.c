/*
 * test_dimm.c - the virtual DIMM device's registers (src/mem/dimm.h) on a VM
 * with no KVM behind it: where each DIMM goes in the DIMM area, the
 * statuses of refused requests, and accesses the device ignores.
 */
#include <stdlib.h>
#include <string.h>

#include "mem/dimm.h"
#include "unit.h"

#define GiB (1ULL << 30)

static struct fake_vm f;
static struct dimm *d;

static void setup(void)
{
	fake_vm_init_ram(&f, 32ULL << 20);
	d = fake_dev(&f, dimm_init);
}

static void teardown(void)
{
	free(d);
	fake_vm_free(&f);
}

static uint64_t reg(unsigned int off)
{
	return bus_read(&f.vm.pio, NULL, DIMM_PORT + off, 4);
}

static uint64_t request(uint32_t mb)
{
	bus_write(&f.vm.pio, NULL, DIMM_PORT + DIMM_REQUEST, 4, mb);
	return reg(DIMM_REQUEST);
}

START_TEST(two_dimms)
{
	ck_assert_uint_eq(request(8), DIMM_OK);
	ck_assert_uint_eq(reg(DIMM_ADDR_LO), 0);
	ck_assert_uint_eq(reg(DIMM_ADDR_HI), 1);
	ck_assert_uint_eq(reg(DIMM_SIZE), 8);
	ck_assert_uint_eq(request(1016), DIMM_OK);	/* the rest of the 1 GiB */
	ck_assert_uint_eq(reg(DIMM_ADDR_LO), 8 << 20);
	ck_assert_uint_eq(reg(DIMM_ADDR_HI), 1);
	ck_assert_uint_eq(f.vm.mem.nr, 6);
	ck_assert_uint_eq(f.vm.mem.r[5].gpa, 4 * GiB + (8 << 20));
	ck_assert_uint_eq(f.vm.mem.r[5].size, 1016ULL << 20);
	ck_assert_uint_eq(d->added, 2);
}
END_TEST

START_TEST(refusals)
{
	ck_assert_uint_eq(request(0), DIMM_ERR_SIZE);
	ck_assert_uint_eq(request(1025), DIMM_ERR_FULL);
	ck_assert_uint_eq(request(0xffffffff), DIMM_ERR_FULL);
	ck_assert_uint_eq(f.vm.mem.nr, 4);
	ck_assert_uint_eq(request(2), DIMM_OK);
	ck_assert_uint_eq(request(1023), DIMM_ERR_FULL);
	/* A refusal leaves the last DIMM's answer in place. */
	ck_assert_uint_eq(reg(DIMM_ADDR_HI), 1);
	ck_assert_uint_eq(reg(DIMM_SIZE), 2);
}
END_TEST

START_TEST(bad_accesses_ignored)
{
	bus_write(&f.vm.pio, NULL, DIMM_PORT + DIMM_REQUEST, 2, 8);	/* not 4 bytes */
	bus_write(&f.vm.pio, NULL, DIMM_PORT + DIMM_REQUEST + 1, 1, 8);
	bus_write(&f.vm.pio, NULL, DIMM_PORT + DIMM_SIZE, 4, 8);	/* read-only */
	ck_assert_uint_eq(f.vm.mem.nr, 4);
	ck_assert_uint_eq(bus_read(&f.vm.pio, NULL, DIMM_PORT + 2, 2), 0xffff);
	ck_assert_uint_eq(reg(DIMM_REQUEST), 0);
}
END_TEST

Suite *dimm_suite(void)
{
	Suite *s = suite_create("dimm");
	TCase *tc = tcase_create("dimm");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, two_dimms);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, bad_accesses_ignored);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_dirtylog.c - the dirty-log device (src/mem/dirtylog.h) without KVM:
 * reading a KVM dirty bitmap (bit n of the slot's bitmap, 64 to a word,
 * is page n of the slot), and which regions and commands it refuses.
 */
#include <string.h>

#include "mem/dirtylog.h"
#include "unit.h"

static struct fake_vm f;
static struct dirtylog *dl;

static void setup(void)
{
	fake_vm_init(&f);
	ck_assert_int_eq(memmap_build(&f.vm.mem, 32ULL << 20), 0);
	dl = fake_dev(&f, dirtylog_init);
}

static void teardown(void)
{
	dirtylog_exit(dl, &f.vm);
	fake_vm_free(&f);
}

static void wr(unsigned int off, uint32_t v)
{
	bus_write(&f.vm.pio, NULL, DIRTYLOG_PORT + off, 4, v);
}

static uint64_t rd(unsigned int off)
{
	return bus_read(&f.vm.pio, NULL, DIRTYLOG_PORT + off, 4);
}

static uint64_t start(uint32_t base, uint32_t pages)
{
	wr(DIRTYLOG_BASE, base);
	wr(DIRTYLOG_PAGES, pages);
	wr(DIRTYLOG_CMD, DIRTYLOG_START);
	return rd(DIRTYLOG_CMD);
}

START_TEST(collect_from_bitmap)
{
	uint64_t bitmap[3] = { 0 };
	uint32_t out[130];

	/* Slot pages 3, 63, 64, 130: across word boundaries. */
	bitmap[0] = 1ULL << 3 | 1ULL << 63;
	bitmap[1] = 1ULL << 0;
	bitmap[2] = 1ULL << 2;
	ck_assert_uint_eq(dirtylog_collect(bitmap, 0, 131, out), 4);
	ck_assert_uint_eq(out[0], 3);
	ck_assert_uint_eq(out[1], 63);
	ck_assert_uint_eq(out[2], 64);
	ck_assert_uint_eq(out[3], 130);
	/* The region starts at slot page 60: indices from there. */
	ck_assert_uint_eq(dirtylog_collect(bitmap, 60, 16, out), 2);
	ck_assert_uint_eq(out[0], 3);
	ck_assert_uint_eq(out[1], 4);
	ck_assert_uint_eq(dirtylog_collect(bitmap, 4, 59, out), 0);
}
END_TEST

START_TEST(bad_regions)
{
	ck_assert_uint_eq(start(0x200, 0), DIRTYLOG_ERR_REGION);
	ck_assert_uint_eq(start(0x200, DIRTYLOG_MAX_PAGES + 1), DIRTYLOG_ERR_REGION);
	ck_assert_uint_eq(start(0xa0, 1), DIRTYLOG_ERR_REGION);	/* legacy hole */
	ck_assert_uint_eq(start(0xf0, 1), DIRTYLOG_ERR_REGION);	/* the ROM */
	ck_assert_uint_eq(start(0x9e, 2), DIRTYLOG_ERR_REGION);	/* into the EBDA */
	ck_assert_uint_eq(start(0x1fff, 2), DIRTYLOG_ERR_REGION);	/* past 32 MiB */
	ck_assert_uint_eq(start(0xfeb00, 1), DIRTYLOG_ERR_REGION);	/* MMIO */
	ck_assert_uint_eq(start(0xffffffff, 1), DIRTYLOG_ERR_REGION);
	ck_assert_uint_eq(rd(DIRTYLOG_BASE), 0xffffffff);
	ck_assert_uint_eq(rd(DIRTYLOG_PAGES), 1);
}
END_TEST

START_TEST(good_region_without_kvm)
{
	/* Valid, but this VM has no KVM to log it: a host error, not logging. */
	ck_assert_uint_eq(start(0x200, 16), DIRTYLOG_ERR_HOST);
	ck_assert_uint_eq(f.vm.mem.r[3].flags, 0);
	wr(DIRTYLOG_CMD, DIRTYLOG_REPORT);
	ck_assert_uint_eq(rd(DIRTYLOG_CMD), DIRTYLOG_ERR_CMD);
}
END_TEST

START_TEST(commands)
{
	wr(DIRTYLOG_CMD, DIRTYLOG_REPORT);
	ck_assert_uint_eq(rd(DIRTYLOG_CMD), DIRTYLOG_ERR_CMD);
	wr(DIRTYLOG_CMD, DIRTYLOG_STOP);
	ck_assert_uint_eq(rd(DIRTYLOG_CMD), DIRTYLOG_ERR_CMD);
	wr(DIRTYLOG_CMD, 0);
	ck_assert_uint_eq(rd(DIRTYLOG_CMD), DIRTYLOG_ERR_CMD);
	wr(DIRTYLOG_CMD, 99);
	ck_assert_uint_eq(rd(DIRTYLOG_CMD), DIRTYLOG_ERR_CMD);
	ck_assert_uint_eq(rd(DIRTYLOG_DATA), DIRTYLOG_END);
	/* Only 4-byte accesses count. */
	bus_write(&f.vm.pio, NULL, DIRTYLOG_PORT + DIRTYLOG_BASE, 2, 0x1234);
	ck_assert_uint_eq(rd(DIRTYLOG_BASE), 0);
	ck_assert_uint_eq(bus_read(&f.vm.pio, NULL, DIRTYLOG_PORT + 1, 1), 0xff);
}
END_TEST

Suite *dirtylog_suite(void)
{
	Suite *s = suite_create("dirtylog");
	TCase *tc = tcase_create("dirtylog");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, collect_from_bitmap);
	tcase_add_test(tc, bad_regions);
	tcase_add_test(tc, good_region_without_kvm);
	tcase_add_test(tc, commands);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_bus.c - address decoding: registration, lookup, unclaimed accesses,
 * regions removed and moved, a table that grows, and lookups from several
 * threads while another thread moves a region (as a PCI BAR moves).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "core/bus.h"
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
	/* (opaque, name) names one region: the same pair twice is refused. */
	ck_assert_int_eq(bus_register(&b, 0x300, 1, "a", &recorder_ops, &r), -EEXIST);
	ck_assert_int_eq(bus_register(&b, 0x300, 1, "a", &recorder_ops, NULL), 0);
	ck_assert_uint_eq(b.nr_regions, 3);
	bus_free(&b);
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
	bus_write(&b, NULL, 0x1010, 4, 0xdeadbeef);
	bus_write(&b, NULL, 0x20ff, 1, 0x1ff);	/* masked to the width */
	ck_assert_int_eq(lo.n, 1);
	ck_assert_uint_eq(lo.a[0].offset, 0x10);
	ck_assert_uint_eq(lo.a[0].size, 4);
	ck_assert_uint_eq(lo.a[0].value, 0xdeadbeef);
	ck_assert_int_eq(hi.n, 1);
	ck_assert_uint_eq(hi.a[0].offset, 0xff);
	ck_assert_uint_eq(hi.a[0].value, 0xff);
	bus_free(&b);
}
END_TEST

START_TEST(unclaimed_reads_all_ones)
{
	struct bus b;
	struct recorder r = { 0 };

	bus_init(&b, "port");
	ck_assert_int_eq(bus_register(&b, 0x100, 4, "a", &recorder_ops, &r), 0);
	ck_assert_uint_eq(bus_read(&b, NULL, 0x80, 1), 0xff);
	ck_assert_uint_eq(bus_read(&b, NULL, 0x80, 2), 0xffff);
	ck_assert_uint_eq(bus_read(&b, NULL, 0x80, 4), 0xffffffffULL);
	ck_assert_uint_eq(bus_read(&b, NULL, 0x80, 8), ~0ULL);
	/* Straddling the end of a region is not a claimed access either. */
	ck_assert_uint_eq(bus_read(&b, NULL, 0x102, 4), 0xffffffffULL);
	bus_write(&b, NULL, 0x103, 2, 0);
	ck_assert_int_eq(r.n, 0);
	ck_assert_uint_eq(b.unclaimed, 6);
	/* Logged once per address. */
	ck_assert_int_eq(b.nr_logged, 3);
	bus_free(&b);
}
END_TEST

START_TEST(unregister_and_move)
{
	struct bus b;
	struct recorder r = { 0 }, other = { 0 };

	bus_init(&b, "mmio");
	ck_assert_int_eq(bus_register(&b, 0x1000, 0x100, "bar0", &recorder_ops, &r), 0);
	ck_assert_int_eq(bus_register(&b, 0x3000, 0x100, "other", &recorder_ops, &other), 0);

	/* Moved: the old range is unclaimed, the new one reaches the device. */
	ck_assert_int_eq(bus_move(&b, &r, "bar0", 0x8000), 0);
	ck_assert_uint_eq(bus_read(&b, NULL, 0x1010, 4), 0xffffffffULL);
	bus_write(&b, NULL, 0x8010, 4, 0x1234);
	ck_assert_int_eq(r.n, 1);
	ck_assert_uint_eq(r.a[0].offset, 0x10);
	/* Still sorted: a region below and one above it both decode. */
	bus_write(&b, NULL, 0x30ff, 1, 1);
	ck_assert_int_eq(other.n, 1);

	/* A move onto another region, or that wraps, changes nothing. */
	ck_assert_int_eq(bus_move(&b, &r, "bar0", 0x2f80), -EEXIST);
	ck_assert_int_eq(bus_move(&b, &r, "bar0", ~0ULL - 0x10), -EINVAL);
	bus_write(&b, NULL, 0x8020, 4, 0x5678);
	ck_assert_int_eq(r.n, 2);
	/* Another device's name, or one that is not there. */
	ck_assert_int_eq(bus_move(&b, &other, "bar0", 0x9000), -ENOENT);
	ck_assert_int_eq(bus_move(&b, &r, "bar1", 0x9000), -ENOENT);
	/* Onto a range it overlaps itself: allowed. */
	ck_assert_int_eq(bus_move(&b, &r, "bar0", 0x8080), 0);
	bus_write(&b, NULL, 0x8080, 1, 7);
	ck_assert_uint_eq(r.a[2].offset, 0);

	/* Removed (decoding off): unclaimed, and the range is free again. */
	ck_assert_int_eq(bus_unregister(&b, &r, "bar0"), 0);
	ck_assert_int_eq(bus_unregister(&b, &r, "bar0"), -ENOENT);
	ck_assert_uint_eq(bus_read(&b, NULL, 0x8080, 1), 0xff);
	ck_assert_int_eq(r.n, 3);
	ck_assert_int_eq(bus_register(&b, 0x8000, 0x1000, "bar0", &recorder_ops, &r), 0);
	ck_assert_uint_eq(b.nr_regions, 2);
	bus_free(&b);
}
END_TEST

START_TEST(many_regions)
{
	static struct recorder r[300];
	static char names[300][16];
	struct bus b;
	int i;

	/* Far more regions than a first table holds, registered backwards. */
	bus_init(&b, "port");
	for (i = 299; i >= 0; i--) {
		r[i] = (struct recorder){ .next_read = (uint64_t)i << 8 };
		snprintf(names[i], sizeof(names[i]), "r%d", i);
		ck_assert_int_eq(bus_register(&b, 0x10 * (uint64_t)i, 8, names[i],
					      &recorder_ops, &r[i]), 0);
	}
	ck_assert_uint_eq(b.nr_regions, 300);
	for (i = 0; i < 300; i++) {
		ck_assert_uint_eq(bus_read(&b, NULL, 0x10 * (uint64_t)i + 4, 4),
				  (uint64_t)i << 8);
		/* The gap after each region is nobody's. */
		ck_assert_uint_eq(bus_read(&b, NULL, 0x10 * (uint64_t)i + 8, 1), 0xff);
	}
	for (i = 0; i < 300; i++)
		ck_assert_int_eq(r[i].n, 1);
	ck_assert_uint_eq(b.unclaimed, 300);
	/* Every other one removed: the rest still decode. */
	for (i = 0; i < 300; i += 2)
		ck_assert_int_eq(bus_unregister(&b, &r[i], names[i]), 0);
	ck_assert_uint_eq(b.nr_regions, 150);
	for (i = 1; i < 300; i += 2)
		ck_assert_uint_eq(bus_read(&b, NULL, 0x10 * (uint64_t)i, 4),
				  ((uint64_t)i << 8) + 1);
	bus_free(&b);
}
END_TEST

/*
 * Threads: readers look the region up over and over while a mover moves
 * it between two places. Each read finds the device (its value) or
 * nothing (all ones), never anything else, and nothing crashes (the
 * ASan build runs this too: make asan).
 */
#define CONC_READS	20000
#define CONC_MOVES	2000

struct conc {
	struct bus bus;
	atomic_int stop;
	atomic_ulong hits;
	atomic_ulong bad;
};

static uint64_t conc_read(struct vcpu *vcpu, void *opaque, uint64_t offset,
			  unsigned int size)
{
	struct conc *c = opaque;

	(void)vcpu;
	(void)size;
	atomic_fetch_add(&c->hits, 1);
	return 0x1000 + offset;
}

static const struct bus_ops conc_ops = { .read = conc_read };

static void *conc_reader(void *arg)
{
	struct conc *c = arg;
	uint64_t v, addr;
	int i;

	for (i = 0; i < CONC_READS; i++) {
		addr = (i & 1) ? 0x100004 : 0x200004;
		v = bus_read(&c->bus, NULL, addr, 4);
		if (v != 0x1004 && v != 0xffffffffULL)
			atomic_fetch_add(&c->bad, 1);
	}
	return NULL;
}

static void *conc_mover(void *arg)
{
	struct conc *c = arg;
	int i;

	for (i = 0; i < CONC_MOVES; i++)
		if (bus_move(&c->bus, c, "bar", (i & 1) ? 0x100000 : 0x200000))
			atomic_fetch_add(&c->bad, 1);
	return NULL;
}

START_TEST(lookups_while_moving)
{
	static struct conc c;
	pthread_t readers[3], mover;
	int i;

	bus_init(&c.bus, "mmio");
	atomic_init(&c.hits, 0);
	atomic_init(&c.bad, 0);
	ck_assert_int_eq(bus_register(&c.bus, 0x100000, 0x1000, "bar", &conc_ops, &c), 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&readers[i], NULL, conc_reader, &c), 0);
	ck_assert_int_eq(pthread_create(&mover, NULL, conc_mover, &c), 0);
	for (i = 0; i < 3; i++)
		pthread_join(readers[i], NULL);
	pthread_join(mover, NULL);
	ck_assert_uint_eq(atomic_load(&c.bad), 0);
	/* Every read that was not all ones went to the device. */
	ck_assert_uint_eq(atomic_load(&c.hits) + c.bus.unclaimed, 3 * CONC_READS);
	ck_assert_uint_eq(c.bus.nr_regions, 1);
	bus_free(&c.bus);
}
END_TEST

/* A device with byte-wide registers: the one at offset k holds 0x10 + k. */
struct bytes {
	struct {
		uint64_t offset;
		uint8_t value;
	} w[8];
	int n;
};

static uint8_t bytes_read(void *opaque, uint64_t offset)
{
	(void)opaque;
	return (uint8_t)(0x10 + offset);
}

static void bytes_write(void *opaque, uint64_t offset, uint8_t value)
{
	struct bytes *d = opaque;

	ck_assert_int_lt(d->n, 8);
	d->w[d->n].offset = offset;
	d->w[d->n++].value = value;
}

static const struct bus_ops bytes_ops = {
	.read_byte = bytes_read, .write_byte = bytes_write,
};
static const struct bus_ops bytes_write_only_ops = {
	.write_byte = bytes_write,
};

START_TEST(byte_registers_byte_by_byte)
{
	struct bus b;
	struct bytes d = { 0 }, w = { 0 };
	int i;

	bus_init(&b, "port");
	ck_assert_int_eq(bus_register(&b, 0x70, 8, "bytes", &bytes_ops, &d), 0);
	ck_assert_int_eq(bus_register(&b, 0x80, 4, "wo", &bytes_write_only_ops,
				      &w), 0);
	/* Little-endian, as on the ISA bus: the lowest address is bits 7:0. */
	ck_assert_uint_eq(bus_read(&b, NULL, 0x70, 1), 0x10);
	ck_assert_uint_eq(bus_read(&b, NULL, 0x71, 2), 0x1211);
	ck_assert_uint_eq(bus_read(&b, NULL, 0x72, 4), 0x15141312);
	ck_assert_uint_eq(bus_read(&b, NULL, 0x70, 8), 0x1716151413121110ULL);
	/* A write: one byte to each register, lowest address first. */
	bus_write(&b, NULL, 0x73, 4, 0xddccbbaa);
	ck_assert_int_eq(d.n, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(d.w[i].offset, 3 + i);
		ck_assert_uint_eq(d.w[i].value, 0xaa + 0x11 * i);
	}
	/* Only the access's width reaches the device. */
	bus_write(&b, NULL, 0x77, 1, 0x1ee);
	ck_assert_int_eq(d.n, 5);
	ck_assert_uint_eq(d.w[4].offset, 7);
	ck_assert_uint_eq(d.w[4].value, 0xee);
	/* Nothing to read there: unclaimed, all ones; writes still reach it. */
	ck_assert_uint_eq(bus_read(&b, NULL, 0x80, 2), 0xffff);
	ck_assert_uint_eq(b.unclaimed, 1);
	bus_write(&b, NULL, 0x81, 2, 0x5a4b);
	ck_assert_int_eq(w.n, 2);
	ck_assert_uint_eq(w.w[0].offset, 1);
	ck_assert_uint_eq(w.w[0].value, 0x4b);
	ck_assert_uint_eq(w.w[1].offset, 2);
	ck_assert_uint_eq(w.w[1].value, 0x5a);
	bus_free(&b);
}
END_TEST

Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("bus");

	tcase_add_test(tc, overlap_refused);
	tcase_add_test(tc, dispatch_by_range);
	tcase_add_test(tc, unclaimed_reads_all_ones);
	tcase_add_test(tc, unregister_and_move);
	tcase_add_test(tc, many_regions);
	tcase_add_test(tc, lookups_while_moving);
	tcase_add_test(tc, byte_registers_byte_by_byte);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_mptable.c - the MP table (src/cpu/mptable.c) byte by byte against
 * the Intel MultiProcessor Specification 1.4: the floating pointer
 * structure (4.1, table 4-1), the configuration table header (4.2,
 * table 4-2) and its entries (4.3, tables 4-3 to 4-12), their checksums,
 * and the contents guests/README.md promises.
 */
#include <errno.h>
#include <string.h>

#include "cpu/mptable.h"
#include "unit.h"

#define GPA	0xf8000u
#define SIG	0x000806f8u
#define FEAT	0x178bfbffu

static uint8_t buf[MPTABLE_MAX];

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static int build(unsigned int cpus)
{
	struct mptable_info mi = {
		.nr_cpus = cpus, .cpu_signature = SIG, .cpu_features = FEAT,
		.ioapic_id = (uint8_t)cpus, .ioapic_addr = 0xfec00000u,
		.lapic_addr = 0xfee00000u,
	};

	memset(buf, 0xee, sizeof(buf));
	return mptable_build(buf, sizeof(buf), GPA, &mi);
}

START_TEST(floating_pointer)
{
	ck_assert_int_eq(build(4), 16 + 44 + 4 * 20 + 2 * 8 + 16 * 8 + 2 * 8);
	ck_assert(!memcmp(buf, "_MP_", 4));
	ck_assert_uint_eq(rd32(buf + 4), GPA + 16);	/* the table follows */
	ck_assert_uint_eq(buf[8], 1);			/* 16 bytes */
	ck_assert_uint_eq(buf[9], 4);			/* version 1.4 */
	ck_assert_uint_eq(sum(buf, 16), 0);
	ck_assert_uint_eq(buf[11], 0);			/* a table, not a default */
	ck_assert_uint_eq(buf[12], 0);			/* IMCRP clear: virtual wire */
	ck_assert_uint_eq(buf[13] | buf[14] | buf[15], 0);
	ck_assert_uint_eq(GPA % 16, 0);
}
END_TEST

START_TEST(header)
{
	const uint8_t *h = buf + 16;
	uint16_t len;

	build(4);
	len = rd16(h + 4);
	ck_assert(!memcmp(h, "PCMP", 4));
	ck_assert_uint_eq(len, 44 + 4 * 20 + 2 * 8 + 16 * 8 + 2 * 8);
	ck_assert_uint_eq(h[6], 4);
	ck_assert_uint_eq(sum(h, len), 0);
	ck_assert(!memcmp(h + 8, "VMMLAB  ", 8));
	ck_assert(!memcmp(h + 16, "VMMLAB      ", 12));
	ck_assert_uint_eq(rd32(h + 28), 0);		/* no OEM table */
	ck_assert_uint_eq(rd16(h + 32), 0);
	ck_assert_uint_eq(rd16(h + 34), 4 + 1 + 1 + 16 + 2);
	ck_assert_uint_eq(rd32(h + 36), 0xfee00000u);
	ck_assert_uint_eq(rd16(h + 40), 0);		/* no extended table */
	ck_assert_uint_eq(h[42], 0);
	ck_assert_uint_eq(h[43], 0);
	/* Nothing written past the table. */
	ck_assert_uint_eq(buf[16 + len], 0);
}
END_TEST

static void check_intr(const uint8_t *e, uint8_t type, uint8_t kind,
		       uint8_t irq, uint8_t dest, uint8_t pin)
{
	ck_assert_uint_eq(e[0], type);
	ck_assert_uint_eq(e[1], kind);
	ck_assert_uint_eq(rd16(e + 2), 0);		/* conforms to the bus */
	ck_assert_uint_eq(e[4], 0);			/* the ISA bus */
	ck_assert_uint_eq(e[5], irq);
	ck_assert_uint_eq(e[6], dest);
	ck_assert_uint_eq(e[7], pin);
}

START_TEST(entries)
{
	const uint8_t *e = buf + 16 + 44;
	unsigned int i, irq;

	build(4);
	for (i = 0; i < 4; i++, e += 20) {
		ck_assert_uint_eq(e[0], MP_PROCESSOR);
		ck_assert_uint_eq(e[1], i);		/* APIC ID */
		ck_assert_uint_eq(e[2], 0x14);		/* the local APIC's version */
		ck_assert_uint_eq(e[3], i == 0 ? 0x03 : 0x01);	/* EN, BP */
		ck_assert_uint_eq(rd32(e + 4), SIG);
		ck_assert_uint_eq(rd32(e + 8), FEAT);
		ck_assert_uint_eq(rd32(e + 12) | rd32(e + 16), 0);
	}
	ck_assert_uint_eq(e[0], MP_BUS);
	ck_assert_uint_eq(e[1], 0);
	ck_assert(!memcmp(e + 2, "ISA   ", 6));
	e += 8;
	ck_assert_uint_eq(e[0], MP_IOAPIC);
	ck_assert_uint_eq(e[1], 4);			/* after the processors */
	ck_assert_uint_eq(e[2], 0x11);
	ck_assert_uint_eq(e[3], 0x01);			/* EN */
	ck_assert_uint_eq(rd32(e + 4), 0xfec00000u);
	e += 8;
	check_intr(e, MP_IOINTR, MP_EXTINT, 0, 4, 0);
	e += 8;
	for (irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		check_intr(e, MP_IOINTR, MP_INT, (uint8_t)irq, 4,
			   (uint8_t)(irq == 0 ? 2 : irq));
		e += 8;
	}
	check_intr(e, MP_LINTR, MP_EXTINT, 0, 0xff, 0);
	check_intr(e + 8, MP_LINTR, MP_NMI, 0, 0xff, 1);
}
END_TEST

START_TEST(every_size)
{
	unsigned int n;
	const uint8_t *h = buf + 16;

	for (n = 1; n <= 8; n++) {
		ck_assert_int_eq(build(n), 16 + 44 + (int)n * 20 + 160);
		ck_assert_uint_eq(sum(buf, 16), 0);
		ck_assert_uint_eq(sum(h, rd16(h + 4)), 0);
		ck_assert_uint_eq(rd16(h + 34), n + 20);
		ck_assert_uint_eq(h[44 + 20 * (n - 1)], MP_PROCESSOR);
		ck_assert_uint_eq(h[44 + 20 * n], MP_BUS);
		/* The I/O APIC's ID follows the processors'. */
		ck_assert_uint_eq(h[44 + 20 * n + 9], n);
	}
}
END_TEST

START_TEST(too_small)
{
	struct mptable_info mi = { .nr_cpus = 8 };

	ck_assert_int_eq(mptable_build(buf, 16 + 44, GPA, &mi), -ENOSPC);
	ck_assert_int_eq(mptable_build(buf, 300, GPA, &mi), -ENOSPC);
	ck_assert_int_eq(mptable_build(buf, 10, GPA, &mi), -ENOSPC);
	ck_assert_int_eq(mptable_build(buf, 380, GPA, &mi), 380);
}
END_TEST

Suite *mptable_suite(void)
{
	Suite *s = suite_create("mptable");
	TCase *tc = tcase_create("mptable");

	tcase_add_test(tc, floating_pointer);
	tcase_add_test(tc, header);
	tcase_add_test(tc, entries);
	tcase_add_test(tc, every_size);
	tcase_add_test(tc, too_small);
	suite_add_tcase(s, tc);
	return s;
}

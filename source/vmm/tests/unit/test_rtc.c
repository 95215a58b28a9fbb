/* @@ file 04 */
/*
 * test_rtc.c - the MC146818A against its datasheet: the time, calendar
 * and alarm bytes in BCD and binary, 24 and 12 hour; registers A-D
 * (UIP's 244 us, divider, rate select; SET, PIE, AIE, UIE, DM, 24/12;
 * C's flags cleared on read; D's VRT); update, alarm and periodic
 * interrupts; the index port's NMI bit; CMOS RAM and the memory bytes.
 * Dates are from the Gregorian calendar (1700000000 is Tuesday
 * 2023-11-14 22:13:20 UTC).
 */
#include <string.h>

#include "dev/rtc.h"
#include "devunit.h"

#define NS 1000000000ull
#define T0 10000000000ull	/* the owner's clock at init */

static struct rec {
	uint64_t now, deadline;
	int irq, irq_changes;
	int warnings;
} r;

static struct rtc c;

static void r_irq(void *o, int level)
{
	(void)o;
	r.irq = level;
	r.irq_changes++;
}

static uint64_t r_now(void *o)
{
	(void)o;
	return r.now;
}

static void r_deadline(void *o, uint64_t ns)
{
	(void)o;
	r.deadline = ns;
}

static void r_warn(void *o, const char *d, const char *m)
{
	(void)o;
	(void)d;
	(void)m;
	r.warnings++;
}

static const struct rtc_ops ops = {
	.irq = r_irq, .now_ns = r_now, .deadline = r_deadline,
	.warn = r_warn,
};

static void start(int64_t t)
{
	memset(&r, 0, sizeof(r));
	r.now = T0;
	rtc_init(&c, &ops, NULL, t);
}

static void setup(void)
{
	start(1700000000);
}

static void teardown(void)
{
	rtc_destroy(&c);
}

static uint8_t rd(uint8_t idx)
{
	rtc_io_write(&c, RTC_PORT_INDEX, idx);
	return rtc_io_read(&c, RTC_PORT_DATA);
}

static void wr(uint8_t idx, uint8_t v)
{
	rtc_io_write(&c, RTC_PORT_INDEX, idx);
	rtc_io_write(&c, RTC_PORT_DATA, v);
}

static void at(uint64_t t)
{
	r.now = t;
	rtc_service(&c);
}

static void expect_time(uint8_t s, uint8_t m, uint8_t h, uint8_t dow,
			uint8_t d, uint8_t mon, uint8_t y, uint8_t cent)
{
	ck_assert_uint_eq(rd(RTC_SECONDS), s);
	ck_assert_uint_eq(rd(RTC_MINUTES), m);
	ck_assert_uint_eq(rd(RTC_HOURS), h);
	ck_assert_uint_eq(rd(RTC_DAY_OF_WEEK), dow);
	ck_assert_uint_eq(rd(RTC_DAY_OF_MONTH), d);
	ck_assert_uint_eq(rd(RTC_MONTH), mon);
	ck_assert_uint_eq(rd(RTC_YEAR), y);
	ck_assert_uint_eq(rd(RTC_CENTURY), cent);
}

START_TEST(initial_state_bcd_24h)
{
	expect_time(0x20, 0x13, 0x22, 0x03, 0x14, 0x11, 0x23, 0x20);
	ck_assert_uint_eq(rd(RTC_REG_A), 0x26);
	ck_assert_uint_eq(rd(RTC_REG_B), 0x02);
	ck_assert_uint_eq(rd(RTC_REG_C), 0x00);
	ck_assert_uint_eq(rd(RTC_REG_D), 0x80);
	ck_assert_int_eq(r.irq, 0);
}
END_TEST

START_TEST(index_port_and_nmi_bit)
{
	rtc_io_write(&c, RTC_PORT_INDEX, 0x80 | RTC_MINUTES);
	ck_assert(c.nmi_disabled);
	ck_assert_uint_eq(rtc_io_read(&c, RTC_PORT_DATA), 0x13);
	ck_assert_uint_eq(rtc_io_read(&c, RTC_PORT_INDEX), 0xFF);
	rtc_io_write(&c, RTC_PORT_INDEX, 0x40);
	ck_assert(!c.nmi_disabled);
	rtc_io_write(&c, RTC_PORT_DATA, 0xA5);
	ck_assert_uint_eq(rtc_io_read(&c, RTC_PORT_DATA), 0xA5);
	ck_assert_uint_eq(rtc_cmos_get(&c, 0x40), 0xA5);
}
END_TEST

START_TEST(clock_counts)
{
	r.now = T0 + NS - 1;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x20);
	r.now = T0 + NS;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x21);
	r.now = T0 + 40 * NS;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x00);
	ck_assert_uint_eq(rd(RTC_MINUTES), 0x14);
	ck_assert_int_eq(rtc_time(&c), 1700000040);
	/* A week and a day later: Wednesday the 22nd. */
	r.now = T0 + (8 * 86400ull + 40) * NS;
	expect_time(0x00, 0x14, 0x22, 0x04, 0x22, 0x11, 0x23, 0x20);
}
END_TEST

START_TEST(leap_day_and_century)
{
	teardown();
	start(1709164799);		/* 2024-02-28 23:59:59 */
	at(T0 + NS);
	expect_time(0x00, 0x00, 0x00, 0x05, 0x29, 0x02, 0x24, 0x20);
	teardown();
	start(4102444799);		/* 2099-12-31 23:59:59 */
	at(T0 + NS);
	expect_time(0x00, 0x00, 0x00, 0x06, 0x01, 0x01, 0x00, 0x21);
}
END_TEST

START_TEST(march_and_twelve_hour_writes)
{
	/* 2024-03-01 00:00:00 is a Friday, 1709251200. */
	teardown();
	start(1709251200);
	expect_time(0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24, 0x20);
	/* Setting 11 PM and 12 AM in 12-hour BCD. */
	wr(RTC_REG_B, RTC_B_SET);
	wr(RTC_HOURS, 0x91);
	wr(RTC_REG_B, 0);
	ck_assert_int_eq(rtc_time(&c), 1709251200 + 23 * 3600);
	wr(RTC_REG_B, RTC_B_SET);
	wr(RTC_HOURS, 0x12);
	wr(RTC_REG_B, 0);
	ck_assert_int_eq(rtc_time(&c), 1709251200);
	wr(RTC_REG_B, RTC_B_SET);
	wr(RTC_HOURS, 0x07);			/* 7 AM */
	wr(RTC_REG_B, 0);
	ck_assert_int_eq(rtc_time(&c), 1709251200 + 7 * 3600);
	/* Setting a date in March (the calendar's leap-day pivot). */
	wr(RTC_REG_B, RTC_B_SET);
	wr(RTC_HOURS, 0x00);
	wr(RTC_DAY_OF_MONTH, 0x15);
	wr(RTC_REG_B, 0);
	ck_assert_int_eq(rtc_time(&c), 1710460800);	/* 2024-03-15 */
	wr(RTC_REG_B, RTC_B_SET);
	wr(RTC_DAY_OF_MONTH, 0x01);
	wr(RTC_HOURS, 0x07);
	wr(RTC_REG_B, 0);
	/* The owner's CMOS access stays off the clock registers. */
	rtc_cmos_set(&c, RTC_SECONDS, 0x59);
	rtc_cmos_set(&c, 0x0D, 0);
	ck_assert_int_eq(rtc_time(&c), 1709251200 + 7 * 3600);
	rtc_cmos_set(&c, 0x0E, 0x42);
	ck_assert_uint_eq(rd(0x0E), 0x42);
}
END_TEST

START_TEST(next_century)
{
	teardown();
	start(5694580800);		/* 2150-06-15 12:00:00, a Monday */
	expect_time(0x00, 0x00, 0x12, 0x02, 0x15, 0x06, 0x50, 0x21);
}
END_TEST

START_TEST(no_deadline_without_interrupts)
{
	/* 1024 Hz periodic rate, but no enable: nothing to wake for. */
	r.deadline = 0;
	at(T0 + NS / 3);
	rd(RTC_REG_C);
	wr(RTC_SECONDS_ALARM, 0xC0);
	at(T0 + 5 * NS);
	ck_assert_uint_eq(r.deadline, 0);
	wr(RTC_REG_A, 0x70);			/* held chain, PIE on */
	wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	ck_assert_uint_eq(r.deadline, 0);
}
END_TEST

START_TEST(binary_mode)
{
	wr(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	at(T0 + NS);				/* the next update */
	expect_time(21, 13, 22, 3, 14, 11, 23, 20);
}
END_TEST

START_TEST(twelve_hour_mode)
{
	teardown();
	start(1699963199);		/* 11:59:59 */
	wr(RTC_REG_B, 0x00);		/* BCD, 12 hour */
	at(T0 + NS);			/* 12:00:00 PM */
	ck_assert_uint_eq(rd(RTC_HOURS), 0x92);
	at(T0 + 10 * 3600 * NS);	/* 21:59:59 -> 9 PM */
	ck_assert_uint_eq(rd(RTC_HOURS), 0x89);
	at(T0 + 12 * 3600 * NS + NS);	/* 00:00:00 -> 12 AM */
	ck_assert_uint_eq(rd(RTC_HOURS), 0x12);
	at(T0 + 13 * 3600 * NS + NS);	/* 1 AM */
	ck_assert_uint_eq(rd(RTC_HOURS), 0x01);
	wr(RTC_REG_B, RTC_B_DM_BINARY);	/* binary 12 hour */
	at(T0 + 23 * 3600 * NS + NS);	/* 11 AM */
	ck_assert_uint_eq(rd(RTC_HOURS), 11);
	at(T0 + 24 * 3600 * NS + NS);	/* 12 PM */
	ck_assert_uint_eq(rd(RTC_HOURS), 0x80 | 12);
}
END_TEST

START_TEST(set_bit_and_setting_the_time)
{
	wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_UIE);
	ck_assert_uint_eq(rd(RTC_REG_B), RTC_B_SET | RTC_B_24H); /* UIE 0 */
	r.now = T0 + 5 * NS + NS / 2;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x20);	/* frozen */
	ck_assert_uint_eq(rd(RTC_REG_C) & RTC_C_UF, 0);
	/* 2000-01-01 00:00:00, a Saturday. */
	wr(RTC_SECONDS, 0x00);
	wr(RTC_MINUTES, 0x00);
	wr(RTC_HOURS, 0x00);
	wr(RTC_DAY_OF_MONTH, 0x01);
	wr(RTC_MONTH, 0x01);
	wr(RTC_YEAR, 0x00);
	wr(RTC_CENTURY, 0x20);
	wr(RTC_REG_B, RTC_B_24H);
	ck_assert_int_eq(rtc_time(&c), 946684800);
	/* The chain kept its phase: the next second ends at T0 + 6 s. */
	r.now = T0 + 6 * NS - 1;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x00);
	r.now = T0 + 6 * NS;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x01);
	ck_assert_uint_eq(rd(RTC_DAY_OF_WEEK), 0x07);
	ck_assert_int_eq(r.warnings, 0);
}
END_TEST

START_TEST(write_while_running)
{
	r.now = T0 + NS / 2;
	wr(RTC_MINUTES, 0x45);
	ck_assert_int_eq(rtc_time(&c), 1700000000 + 32 * 60);
	r.now = T0 + NS;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x21);
	ck_assert_uint_eq(rd(RTC_MINUTES), 0x45);
}
END_TEST

START_TEST(out_of_range_values)
{
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
	wr(RTC_SECONDS, 0x99);
	wr(RTC_MONTH, 0x00);
	wr(RTC_REG_B, RTC_B_24H);
	ck_assert_int_eq(r.warnings, 1);
	/* Clamped: 59 seconds, January. */
	ck_assert_int_eq(rtc_time(&c) % 60, 59);
	ck_assert_uint_eq(rd(RTC_MONTH), 0x00);	/* until the update */
	at(T0 + NS);
	ck_assert_uint_eq(rd(RTC_MONTH), 0x01);
}
END_TEST

START_TEST(update_in_progress)
{
	uint64_t b = T0 + 3 * NS;

	r.now = b - RTC_UIP_NS - 1;
	ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, 0);
	r.now = b - RTC_UIP_NS;
	ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x22);	/* not yet */
	r.now = b - 1;
	ck_assert_uint_eq(rd(RTC_REG_A), 0x26 | RTC_A_UIP);
	r.now = b;
	ck_assert_uint_eq(rd(RTC_REG_A), 0x26);
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x23);
	/* UIP is read-only; SET stops the updates and clears UIP. */
	wr(RTC_REG_A, 0xA6);
	ck_assert_uint_eq(rd(RTC_REG_A), 0x26);
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
	r.now = b + NS - 1;
	ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, 0);
}
END_TEST

START_TEST(update_interrupt)
{
	wr(RTC_REG_A, RTC_A_DV_32K);		/* no periodic */
	wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	ck_assert_uint_eq(r.deadline, T0 + NS);
	ck_assert_int_eq(r.irq, 0);
	at(T0 + NS);
	ck_assert_int_eq(r.irq, 1);
	ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
	ck_assert_int_eq(r.irq, 0);
	ck_assert_uint_eq(rd(RTC_REG_C), 0);	/* cleared on read */
	ck_assert_uint_eq(r.deadline, T0 + 2 * NS);
	/* Flags are set without their enable, IRQF is not. */
	wr(RTC_REG_B, RTC_B_24H);
	at(T0 + 2 * NS);
	ck_assert_int_eq(r.irq, 0);
	ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_UF);
	/* Enabling with the flag already up asserts at once. */
	at(T0 + 3 * NS);
	wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	ck_assert_int_eq(r.irq, 1);
	/* C and D are read-only. */
	wr(RTC_REG_C, 0);
	ck_assert_int_eq(r.irq, 1);
	wr(RTC_REG_D, 0);
	ck_assert_uint_eq(rd(RTC_REG_D), 0x80);
}
END_TEST

START_TEST(periodic_rates)
{
	ck_assert_uint_eq(rtc_period_ns(0), 0);
	ck_assert_uint_eq(rtc_period_ns(1), 3906250);	/* 256 Hz */
	ck_assert_uint_eq(rtc_period_ns(2), 7812500);	/* 128 Hz */
	ck_assert_uint_eq(rtc_period_ns(3), 122070);	/* 8.192 kHz */
	ck_assert_uint_eq(rtc_period_ns(6), 976562);	/* 1.024 kHz */
	ck_assert_uint_eq(rtc_period_ns(15), 500000000);	/* 2 Hz */
}
END_TEST

START_TEST(periodic_interrupt)
{
	wr(RTC_REG_A, RTC_A_DV_32K | 0x0F);	/* 2 Hz */
	wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
	ck_assert_uint_eq(r.deadline, T0 + NS / 2);
	at(T0 + NS / 2 - 1);
	ck_assert_int_eq(r.irq, 0);
	at(T0 + NS / 2);
	ck_assert_int_eq(r.irq, 1);
	ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
	ck_assert_int_eq(r.irq, 0);
	ck_assert_uint_eq(r.deadline, T0 + NS);
	at(T0 + NS);				/* PF and UF together */
	ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_IRQF | RTC_C_PF | RTC_C_UF);
	/* A new rate keeps the chain's phase: no flag before its tick. */
	at(T0 + 10 * NS + NS / 3);
	rd(RTC_REG_C);
	wr(RTC_REG_A, RTC_A_DV_32K | 0x0E);	/* 4 Hz */
	ck_assert_int_eq(r.irq, 0);
	ck_assert_uint_eq(r.deadline, T0 + 10 * NS + NS / 2);
	at(T0 + 10 * NS + NS / 2 - 1);
	ck_assert_int_eq(r.irq, 0);
	at(T0 + 10 * NS + NS / 2);
	ck_assert_int_eq(r.irq, 1);
	rd(RTC_REG_C);
	/* Rate 0: no periodic flag at all. */
	wr(RTC_REG_A, RTC_A_DV_32K);
	rd(RTC_REG_C);
	at(T0 + 20 * NS);
	ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_UF);
}
END_TEST

START_TEST(alarm_interrupt)
{
	wr(RTC_REG_A, RTC_A_DV_32K);
	wr(RTC_SECONDS_ALARM, 0x23);
	wr(RTC_MINUTES_ALARM, 0x13);
	wr(RTC_HOURS_ALARM, 0x22);
	wr(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	at(T0 + 2 * NS);
	ck_assert_int_eq(r.irq, 0);
	ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_UF);
	at(T0 + 3 * NS);
	ck_assert_int_eq(r.irq, 1);
	ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* Don't-care (11xxxxxx): every hour and minute, second 00. */
	wr(RTC_SECONDS_ALARM, 0x00);
	wr(RTC_MINUTES_ALARM, 0xC0);
	wr(RTC_HOURS_ALARM, 0xFF);
	at(T0 + 39 * NS);
	ck_assert_int_eq(r.irq, 0);
	at(T0 + 40 * NS);			/* 22:14:00 */
	ck_assert_int_eq(r.irq, 1);
	rd(RTC_REG_C);
	/* Missed seconds are checked too: one call an hour later. */
	at(T0 + 3640 * NS + NS / 2);
	ck_assert_uint_eq(rd(RTC_REG_C) & RTC_C_AF, RTC_C_AF);
}
END_TEST

START_TEST(divider_reset)
{
	wr(RTC_REG_A, 0x70);			/* divider chain held */
	r.now = T0 + 5 * NS;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x20);
	ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, 0);
	wr(RTC_REG_A, 0x26);			/* first update 500 ms on */
	r.now = T0 + 5 * NS + NS / 2 - 1;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x20);
	r.now = T0 + 5 * NS + NS / 2;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x21);
	ck_assert_int_eq(r.warnings, 0);
	wr(RTC_REG_A, 0x06);			/* another time base */
	ck_assert_int_eq(r.warnings, 1);
	r.now += 10 * NS;
	ck_assert_uint_eq(rd(RTC_SECONDS), 0x21);
}
END_TEST

START_TEST(cmos_ram)
{
	int i;

	for (i = 0x0E; i < 0x80; i++)
		if (i != RTC_CENTURY)
			wr((uint8_t)i, (uint8_t)(i ^ 0x5A));
	for (i = 0x0E; i < 0x80; i++)
		if (i != RTC_CENTURY)
			ck_assert_uint_eq(rd((uint8_t)i), (uint8_t)(i ^ 0x5A));
	/* 3 GiB below 4 GiB, 1 GiB above. */
	rtc_cmos_set_memory(&c, 3ull << 30, 1ull << 30);
	ck_assert_uint_eq(rd(0x15) | rd(0x16) << 8, 640);
	ck_assert_uint_eq(rd(0x17) | rd(0x18) << 8, 0xFFFF);
	ck_assert_uint_eq(rd(0x30) | rd(0x31) << 8, 0xFFFF);
	ck_assert_uint_eq(rd(0x34) | rd(0x35) << 8, (3072 - 16) * 16);
	ck_assert_uint_eq(rd(0x5B) | rd(0x5C) << 8 | rd(0x5D) << 16, 16384);
	/* 32 MiB: 31 MiB of extended memory, 16 MiB above 16 MiB. */
	rtc_cmos_set_memory(&c, 32ull << 20, 0);
	ck_assert_uint_eq(rd(0x17) | rd(0x18) << 8, 31 * 1024);
	ck_assert_uint_eq(rd(0x34) | rd(0x35) << 8, 256);
	ck_assert_uint_eq(rd(0x5B), 0);
}
END_TEST

Suite *rtc_suite(void)
{
	Suite *s = suite_create("rtc");
	TCase *t = tcase_create("rtc");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, initial_state_bcd_24h);
	tcase_add_test(t, index_port_and_nmi_bit);
	tcase_add_test(t, clock_counts);
	tcase_add_test(t, leap_day_and_century);
	tcase_add_test(t, march_and_twelve_hour_writes);
	tcase_add_test(t, next_century);
	tcase_add_test(t, no_deadline_without_interrupts);
	tcase_add_test(t, binary_mode);
	tcase_add_test(t, twelve_hour_mode);
	tcase_add_test(t, set_bit_and_setting_the_time);
	tcase_add_test(t, write_while_running);
	tcase_add_test(t, out_of_range_values);
	tcase_add_test(t, update_in_progress);
	tcase_add_test(t, update_interrupt);
	tcase_add_test(t, periodic_rates);
	tcase_add_test(t, periodic_interrupt);
	tcase_add_test(t, alarm_interrupt);
	tcase_add_test(t, divider_reset);
	tcase_add_test(t, cmos_ram);
	suite_add_tcase(s, t);
	return s;
}

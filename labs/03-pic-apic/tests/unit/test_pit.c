/*
 * test_pit.c - the 8254 against its datasheet: modes 0-5 at chosen
 * ticks of a fake clock, the counter latch and read-back commands, the
 * status byte, LSB/MSB access, BCD, channel 2's gate and output on port
 * 0x61, and channel 0's edges and deadlines. A count written at tick B
 * counts from B (the load cycle is folded into the write, pit.c).
 */
#include "irqunit.h"

#define B 10000u

static struct irqm *m;
static struct pit *p;

static void setup(void)
{
	m = irqm_new(1);
	p = &m->pit;
	irqm_at_pit_tick(m, B);
}

static void teardown(void)
{
	irqm_free(m);
}

static void at(uint64_t d)
{
	irqm_at_pit_tick(m, B + d);
}

static void ctrl(uint8_t v)
{
	pit_write(p, 0x43, v);
}

static void count16(unsigned int ch, unsigned int n)
{
	pit_write(p, (uint16_t)(0x40 + ch), n & 0xFF);
	pit_write(p, (uint16_t)(0x40 + ch), (n >> 8) & 0xFF);
}

static unsigned int read16(unsigned int ch)
{
	unsigned int lo = pit_read(p, (uint16_t)(0x40 + ch));

	return lo | (unsigned int)pit_read(p, (uint16_t)(0x40 + ch)) << 8;
}

static unsigned int latched(unsigned int ch)
{
	ctrl((uint8_t)(ch << 6));
	return read16(ch);
}

static uint8_t status(unsigned int ch)
{
	ctrl((uint8_t)(0xE0 | (2u << ch)));
	return pit_read(p, (uint16_t)(0x40 + ch));
}

static int out(unsigned int ch)
{
	return status(ch) >> 7;
}

/* Rising edges seen on IRQ 0 so far. */
static int irq0_rises(void)
{
	int i, prev = 0, n = 0;

	for (i = 0; i < m->irq0_n; i++) {
		if (m->irq0[i] && !prev)
			n++;
		prev = m->irq0[i];
	}
	return n;
}

START_TEST(mode0_interrupt_on_terminal_count)
{
	ctrl(0x30);
	ck_assert_uint_eq(pit_next_deadline(p), PIT_NO_DEADLINE);
	count16(0, 100);
	ck_assert_uint_eq(m->pit_deadline, pit_ticks_to_ns(B + 100));
	at(30);
	ck_assert_uint_eq(latched(0), 70);
	ck_assert_int_eq(out(0), 0);
	at(99);
	ck_assert_uint_eq(latched(0), 1);
	ck_assert_int_eq(out(0), 0);
	ck_assert_int_eq(irq0_rises(), 0);
	at(100);
	pit_service(p);
	ck_assert_int_eq(irq0_rises(), 1);
	ck_assert_uint_eq(latched(0), 0);
	ck_assert_int_eq(out(0), 1);
	ck_assert_uint_eq(m->pit_deadline, PIT_NO_DEADLINE);
	at(101);
	ck_assert_uint_eq(latched(0), 0xFFFF);	/* keeps counting, wraps */
	ck_assert_int_eq(out(0), 1);		/* until a new count */
	at(5000);
	pit_service(p);
	ck_assert_int_eq(irq0_rises(), 1);	/* one-shot */
}
END_TEST

START_TEST(mode0_first_byte_stops_count)
{
	ctrl(0x30);
	count16(0, 100);
	at(50);
	pit_write(p, 0x40, 0x10);		/* LSB of a new count */
	ck_assert_int_eq(out(0), 0);
	at(60);
	ck_assert_uint_eq(latched(0), 50);	/* counting disabled */
	at(70);
	pit_write(p, 0x40, 0x00);		/* MSB: count 16 from here */
	at(85);
	ck_assert_int_eq(out(0), 0);
	at(86);
	ck_assert_int_eq(out(0), 1);
	at(150);
	pit_write(p, 0x40, 0x20);		/* OUT high: first byte drops it */
	ck_assert_int_eq(out(0), 0);
}
END_TEST

START_TEST(lsb_only_and_msb_only)
{
	ctrl(0x10);				/* LSB only, mode 0 */
	pit_write(p, 0x40, 80);
	at(5);
	ctrl(0x00);
	ck_assert_uint_eq(pit_read(p, 0x40), 75);
	ck_assert_uint_eq(pit_read(p, 0x40), 75);	/* live again, LSB */
	ctrl(0x20);				/* MSB only */
	pit_write(p, 0x40, 0x02);		/* 512 */
	at(6);
	ctrl(0x00);
	ck_assert_uint_eq(pit_read(p, 0x40), 0x01);	/* 511 >> 8 */
	at(6 + 512);
	ck_assert_int_eq(out(0), 1);
}
END_TEST

START_TEST(count_zero_is_65536)
{
	ctrl(0x34);
	count16(0, 0);
	ck_assert_uint_eq(m->pit_deadline, pit_ticks_to_ns(B + 65536));
	at(1);
	ck_assert_uint_eq(latched(0), 65535);
}
END_TEST

START_TEST(mode2_rate_generator)
{
	ctrl(0x34);
	count16(0, 10);
	ck_assert_uint_eq(m->pit_deadline, pit_ticks_to_ns(B + 10));
	at(3);
	ck_assert_uint_eq(latched(0), 7);
	at(8);
	ck_assert_int_eq(out(0), 1);
	at(9);
	ck_assert_uint_eq(latched(0), 1);
	ck_assert_int_eq(out(0), 0);		/* low while the count is 1 */
	at(10);
	ck_assert_int_eq(out(0), 1);
	ck_assert_uint_eq(latched(0), 10);	/* reloaded */
	pit_service(p);
	ck_assert_int_eq(irq0_rises(), 2);	/* control word, then count */
	ck_assert_uint_eq(m->pit_deadline, pit_ticks_to_ns(B + 20));
	at(35);					/* late: two edges passed */
	pit_service(p);
	ck_assert_int_eq(irq0_rises(), 3);	/* folded into one */
	ck_assert_uint_eq(m->pit_deadline, pit_ticks_to_ns(B + 40));
	ck_assert_int_eq(m->irq0[m->irq0_n - 1], 1);
}
END_TEST

START_TEST(mode2_new_count_at_reload)
{
	ctrl(0x34);
	count16(0, 10);
	at(3);
	count16(0, 20);
	at(5);
	ck_assert_uint_eq(status(0) & 0x40, 0x40);	/* null count */
	at(9);
	ck_assert_uint_eq(latched(0), 1);	/* old count runs out */
	at(10);
	ck_assert_uint_eq(latched(0), 20);
	ck_assert_uint_eq(status(0) & 0x40, 0);
	at(11);
	ck_assert_uint_eq(latched(0), 19);
	pit_service(p);
	ck_assert_uint_eq(m->pit_deadline, pit_ticks_to_ns(B + 30));
}
END_TEST

START_TEST(mode3_even)
{
	static const unsigned int cnt[] = { 10, 8, 6, 4, 2, 10, 8, 6, 4, 2, 10 };
	unsigned int d;

	ctrl(0x36);
	count16(0, 10);
	for (d = 0; d <= 10; d++) {
		at(d);
		ck_assert_uint_eq(latched(0), cnt[d]);
		ck_assert_int_eq(out(0), d < 5 || d == 10);
	}
	pit_service(p);
	ck_assert_uint_eq(m->pit_deadline, pit_ticks_to_ns(B + 20));
}
END_TEST

START_TEST(mode3_odd)
{
	static const unsigned int cnt[] = { 4, 2, 0, 4, 2, 4 };
	unsigned int d;

	ctrl(0x36);
	count16(0, 5);
	for (d = 0; d <= 5; d++) {
		at(d);
		ck_assert_uint_eq(latched(0), cnt[d]);
		/* high (N+1)/2 = 3 clocks, low (N-1)/2 = 2 */
		ck_assert_int_eq(out(0), d < 3 || d == 5);
	}
}
END_TEST

START_TEST(mode3_irq0_each_period)
{
	ctrl(0x36);
	count16(0, 100);
	ck_assert_uint_eq(m->pit_deadline, pit_ticks_to_ns(B + 100));
	at(50);
	pit_service(p);
	ck_assert_int_eq(m->irq0[m->irq0_n - 1], 0);	/* low half */
	at(100);
	pit_service(p);
	ck_assert_int_eq(m->irq0[m->irq0_n - 1], 1);
	ck_assert_int_eq(irq0_rises(), 2);
	ck_assert_uint_eq(m->pit_deadline, pit_ticks_to_ns(B + 200));
}
END_TEST

START_TEST(mode4_software_strobe)
{
	ctrl(0x38);
	count16(0, 5);
	ck_assert_uint_eq(m->pit_deadline, pit_ticks_to_ns(B + 6));
	at(4);
	ck_assert_int_eq(out(0), 1);
	at(5);
	ck_assert_int_eq(out(0), 0);
	ck_assert_uint_eq(latched(0), 0);
	at(6);
	ck_assert_int_eq(out(0), 1);
	pit_service(p);
	ck_assert_uint_eq(m->pit_deadline, PIT_NO_DEADLINE);
}
END_TEST

/*
 * A new mode 3 count written in the high half starts in its own low half
 * at the end of that half: early in the owner's clock (10000 ticks here)
 * its start lies before the clock's zero, which the PIT must survive. A
 * fuzzer found this: the deadline was then more than a second in the past.
 */
START_TEST(mode3_new_count_early_in_the_clock)
{
	ctrl(0x36);			/* counter 0, LSB then MSB, mode 3 */
	count16(0, 100);
	at(20);				/* in the high half (50 clocks) */
	count16(0, 60000);
	at(1000000);
	pit_service(p);
	ck_assert_uint_ge(m->pit_deadline, pit_ticks_to_ns(B + 1000000));
	ck_assert_uint_le(m->pit_deadline, pit_ticks_to_ns(B + 1000000 + 60000));
	/* 17 periods of 60000 since the count began: a rise every 60000. */
	at(1000000 + 60000);
	pit_service(p);
	ck_assert_uint_ge(m->pit_deadline, pit_ticks_to_ns(B + 1060000));
}
END_TEST

START_TEST(modes_6_and_7_are_2_and_3)
{
	ctrl(0x3C);				/* M = 110: mode 2 */
	count16(0, 10);
	at(9);
	ck_assert_int_eq(out(0), 0);
	ck_assert_uint_eq(status(0) & 0x3F, 0x3C);
	ctrl(0x3E);				/* M = 111: mode 3 */
	count16(0, 10);
	at(9 + 5);
	ck_assert_int_eq(out(0), 0);
}
END_TEST

START_TEST(latch_holds_until_read)
{
	ctrl(0x34);
	count16(0, 1000);
	at(100);
	ctrl(0x00);
	at(200);
	ctrl(0x00);				/* ignored: first latch holds */
	at(300);
	ck_assert_uint_eq(pit_read(p, 0x40), 900 & 0xFF);
	at(350);
	ck_assert_uint_eq(pit_read(p, 0x40), 900 >> 8);
	at(400);
	ck_assert_uint_eq(latched(0), 600);
	ck_assert_uint_eq(read16(0), 600);	/* live at 400 too */
}
END_TEST

START_TEST(readback_status_and_count)
{
	ctrl(0x34);
	ck_assert_uint_eq(status(0), 0x80 | 0x40 | 0x34);
	count16(0, 50);
	ck_assert_uint_eq(status(0), 0x80 | 0x34);
	ctrl(0x30);
	ck_assert_uint_eq(status(0), 0x40 | 0x30);	/* mode 0: OUT low */
	count16(0, 50);
	at(20);
	ctrl(0xC2);				/* count and status, channel 0 */
	ck_assert_uint_eq(pit_read(p, 0x40), 0x30);
	ck_assert_uint_eq(read16(0), 30);
	at(50);
	ck_assert_uint_eq(status(0), 0x80 | 0x30);
}
END_TEST

START_TEST(readback_several_channels)
{
	ctrl(0x34);
	count16(0, 1000);
	ctrl(0xB4);
	count16(2, 2000);
	pit_write(p, 0x61, 0x01);		/* gate 2 high: counting */
	at(10);
	ctrl(0xDA);				/* count only, channels 0 and 2 */
	at(500);
	ck_assert_uint_eq(read16(0), 990);
	ck_assert_uint_eq(read16(2), 1990);
	ctrl(0xE4);				/* status only, channel 1 */
	ck_assert_uint_eq(pit_read(p, 0x41) & 0x40, 0x40);	/* no count */
}
END_TEST

START_TEST(bcd_counting)
{
	ctrl(0x31);				/* mode 0, BCD */
	count16(0, 0x0100);			/* 100 */
	at(1);
	ck_assert_uint_eq(latched(0), 0x0099);
	at(58);
	ck_assert_uint_eq(latched(0), 0x0042);
	at(100);
	ck_assert_int_eq(out(0), 1);
	at(101);
	ck_assert_uint_eq(latched(0), 0x9999);	/* wraps in decimal */
	ctrl(0x35);				/* mode 2, BCD, count 0 = 10000 */
	count16(0, 0);
	at(102);
	ck_assert_uint_eq(latched(0), 0x9999);
}
END_TEST

START_TEST(control_word_resets_flipflop)
{
	ctrl(0x30);
	pit_write(p, 0x40, 0x34);		/* LSB, then a new control word */
	ctrl(0x30);
	count16(0, 0x0200);
	at(1);
	ck_assert_uint_eq(latched(0), 0x01FF);
}
END_TEST

START_TEST(port61_gate_and_out2)
{
	pit_write(p, 0x61, 0x00);		/* gate 2 low */
	ctrl(0xB0);				/* channel 2, mode 0 */
	count16(2, 1000);
	at(500);
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x20, 0);
	ck_assert_uint_eq(latched(2), 1000);	/* gate low: no counting */
	pit_write(p, 0x61, 0x01);
	at(1499);
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x20, 0);
	at(1500);
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x20, 0x20);
}
END_TEST

START_TEST(port61_linux_tsc_calibration)
{
	/* Gate up and speaker off first, then a mode 0 count. */
	pit_write(p, 0x61, (pit_read(p, 0x61) & ~0x02) | 0x01);
	ctrl(0xB0);
	count16(2, 11932);			/* 10 ms */
	at(11931);
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x20, 0);
	at(11932);
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x20, 0x20);
	ck_assert_uint_eq(pit_ticks_to_ns(11932) / 1000, 10000);
}
END_TEST

START_TEST(port61_bits)
{
	pit_write(p, 0x61, 0xFF);
	ck_assert_uint_eq(pit_read(p, 0x61) & 0xCF, 0x0F);
	pit_write(p, 0x61, 0xF2);		/* high nibble read-only */
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x0F, 0x02);
	m->now = 15085 * 1000;
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x10, 0x00);
	m->now = 15085 * 1001;
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x10, 0x10);
}
END_TEST

START_TEST(mode3_gate_low_forces_out_high)
{
	pit_write(p, 0x61, 0x01);
	ctrl(0xB6);
	count16(2, 10);
	at(6);
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x20, 0);
	pit_write(p, 0x61, 0x00);
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x20, 0x20);
	at(8);
	pit_write(p, 0x61, 0x01);		/* rising gate reloads */
	at(8 + 4);
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x20, 0x20);
	at(8 + 5);
	ck_assert_uint_eq(pit_read(p, 0x61) & 0x20, 0);
}
END_TEST

START_TEST(mode1_retriggerable_one_shot)
{
	ctrl(0xB2);
	count16(2, 10);
	ck_assert_int_eq(out(2), 1);
	at(5);
	pit_write(p, 0x61, 0x01);		/* trigger */
	ck_assert_int_eq(out(2), 0);
	at(14);
	ck_assert_int_eq(out(2), 0);
	ck_assert_uint_eq(latched(2), 1);
	at(15);
	ck_assert_int_eq(out(2), 1);
	at(20);
	pit_write(p, 0x61, 0x00);
	pit_write(p, 0x61, 0x01);		/* retrigger */
	at(29);
	ck_assert_int_eq(out(2), 0);
	at(30);
	ck_assert_int_eq(out(2), 1);
}
END_TEST

START_TEST(mode5_hardware_strobe)
{
	ctrl(0xBA);
	count16(2, 10);
	at(5);
	pit_write(p, 0x61, 0x01);
	at(14);
	ck_assert_int_eq(out(2), 1);
	at(15);
	ck_assert_int_eq(out(2), 0);
	at(16);
	ck_assert_int_eq(out(2), 1);
}
END_TEST

START_TEST(mode0_gate_suspends)
{
	pit_write(p, 0x61, 0x01);
	ctrl(0xB0);
	count16(2, 100);
	at(40);
	pit_write(p, 0x61, 0x00);
	at(90);
	ck_assert_uint_eq(latched(2), 60);
	pit_write(p, 0x61, 0x01);
	at(149);
	ck_assert_int_eq(out(2), 0);
	at(150);
	ck_assert_int_eq(out(2), 1);
}
END_TEST

START_TEST(reprogram_channel0)
{
	ctrl(0x34);
	count16(0, 100);
	at(50);
	ctrl(0x30);				/* mode 0: OUT low now */
	ck_assert_int_eq(m->irq0[m->irq0_n - 1], 0);
	ck_assert_uint_eq(m->pit_deadline, PIT_NO_DEADLINE);
}
END_TEST

Suite *pit_suite(void)
{
	Suite *s = suite_create("pit");
	TCase *tc = tcase_create("modes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mode0_interrupt_on_terminal_count);
	tcase_add_test(tc, mode0_first_byte_stops_count);
	tcase_add_test(tc, lsb_only_and_msb_only);
	tcase_add_test(tc, count_zero_is_65536);
	tcase_add_test(tc, mode2_rate_generator);
	tcase_add_test(tc, mode2_new_count_at_reload);
	tcase_add_test(tc, mode3_new_count_early_in_the_clock);
	tcase_add_test(tc, mode3_even);
	tcase_add_test(tc, mode3_odd);
	tcase_add_test(tc, mode3_irq0_each_period);
	tcase_add_test(tc, mode4_software_strobe);
	tcase_add_test(tc, modes_6_and_7_are_2_and_3);
	tcase_add_test(tc, latch_holds_until_read);
	tcase_add_test(tc, readback_status_and_count);
	tcase_add_test(tc, readback_several_channels);
	tcase_add_test(tc, bcd_counting);
	tcase_add_test(tc, control_word_resets_flipflop);
	tcase_add_test(tc, port61_gate_and_out2);
	tcase_add_test(tc, port61_linux_tsc_calibration);
	tcase_add_test(tc, port61_bits);
	tcase_add_test(tc, mode3_gate_low_forces_out_high);
	tcase_add_test(tc, mode1_retriggerable_one_shot);
	tcase_add_test(tc, mode5_hardware_strobe);
	tcase_add_test(tc, mode0_gate_suspends);
	tcase_add_test(tc, reprogram_channel0);
	suite_add_tcase(s, tc);
	return s;
}

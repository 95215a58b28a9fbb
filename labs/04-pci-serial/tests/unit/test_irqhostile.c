/*
 * test_irqhostile.c - a guest writing nonsense: long runs of random
 * register writes and reads at random widths and offsets, random line
 * levels and acknowledges, must leave every model answering (run under
 * ASan/UBSan by `make asan`). Deterministic: a fixed xorshift seed.
 */
#include "irqunit.h"

#define ROUNDS 20000

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static const uint16_t pic_ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x4D0,
				      0x4D1, 0x22 };

START_TEST(pic_random)
{
	struct irqm *m = irqm_new(1);
	int i;
	uint8_t v;

	for (i = 0; i < ROUNDS; i++) {
		uint16_t port = pic_ports[rnd() % 7];

		switch (rnd() % 4) {
		case 0:
			pic_write(&m->pic, port, (uint8_t)rnd());
			break;
		case 1:
			pic_read(&m->pic, port);
			break;
		case 2:
			pic_set_irq(&m->pic, rnd() % 18, rnd() & 1);
			break;
		default:
			v = pic_inta(&m->pic);
			(void)v;
			break;
		}
	}
	irqm_free(m);
}
END_TEST

START_TEST(pit_random)
{
	struct irqm *m = irqm_new(1);
	static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61, 0x44 };
	int i;

	for (i = 0; i < ROUNDS; i++) {
		m->now += rnd() % 100000;
		if (rnd() % 50 == 0 && m->now > 200000)
			m->now -= rnd() % 200000;	/* an owner's clock gone back */
		if (rnd() & 1)
			pit_write(&m->pit, ports[rnd() % 6], (uint8_t)rnd());
		else
			pit_read(&m->pit, ports[rnd() % 6]);
		if (rnd() % 8 == 0)
			pit_service(&m->pit);
		m->irq0_n = 0;
	}
	irqm_free(m);
}
END_TEST

START_TEST(lapic_random)
{
	struct irqm *m = irqm_new(4);
	static const unsigned int sizes[] = { 1, 2, 3, 4, 8 };
	int i;

	for (i = 0; i < ROUNDS; i++) {
		struct lapic *l = &m->cpu[rnd() % 4];
		uint64_t off = rnd() % 0x1100;

		if (rnd() % 3)
			off &= ~0xFull & 0x3F0;
		m->now += rnd() % 5000;
		if (rnd() % 50 == 0 && m->now > 10000)
			m->now -= rnd() % 10000;
		switch (rnd() % 6) {
		case 0:
		case 1:
			lapic_write(l, off, sizes[rnd() % 5], rnd());
			break;
		case 2:
			lapic_read(l, off, sizes[rnd() % 5]);
			break;
		case 3:
			lapic_ack(l);
			lapic_take_nmi(l);
			break;
		case 4:
			lapic_set_lint(l, rnd() % 3, rnd() & 1);
			lapic_timer_service(l);
			break;
		default:
			if (rnd() % 64 == 0)
				lapic_set_base(l, ((uint64_t)rnd() << 32) | rnd());
			else
				lapic_set_cr8(l, (uint8_t)rnd());
			break;
		}
		m->rec[0].events = m->rec[1].events = 0;
		m->rec[2].events = m->rec[3].events = 0;
		m->rec[0].eois = m->rec[1].eois = 0;
		m->rec[2].eois = m->rec[3].eois = 0;
	}
	irqm_free(m);
}
END_TEST

START_TEST(ioapic_random)
{
	struct irqm *m = irqm_new(2);
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	int i;

	m->io_to_bus = true;
	irqm_lapic_enable(&m->cpu[0]);
	irqm_lapic_enable(&m->cpu[1]);
	for (i = 0; i < ROUNDS; i++) {
		switch (rnd() % 5) {
		case 0:
			ioapic_write(&m->io, (rnd() & 1) ? 0x10 : rnd() % 0x50,
				     sizes[rnd() % 4], rnd());
			break;
		case 1:
			ioapic_read(&m->io, (rnd() & 1) ? 0x10 : rnd() % 0x50,
				    sizes[rnd() % 4]);
			break;
		case 2:
			ioapic_set_irq(&m->io, rnd() % 26, rnd() & 1);
			break;
		case 3:
			ioapic_eoi(&m->io, (uint8_t)rnd());
			break;
		default:
			lapic_ack(&m->cpu[rnd() & 1]);
			lapic_write(&m->cpu[rnd() & 1], LAPIC_EOI, 4, 0);
			break;
		}
		m->delivered_n = 0;
		m->rec[0].eois = m->rec[1].eois = 0;
		m->rec[0].events = m->rec[1].events = 0;
	}
	irqm_free(m);
}
END_TEST

START_TEST(msi_random)
{
	struct irqm *m = irqm_new(4);
	struct apic_irq irq;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		uint64_t addr = (rnd() % 4 == 0) ? ((uint64_t)rnd() << 32) |
			rnd() : 0xFEE00000u | (rnd() & 0xFFFFF);

		if (msi_decode(addr, rnd(), &irq) == MSI_OK)
			apic_bus_deliver(&m->bus, &irq);
		msi_reserved_bits(addr, rnd());
		m->rec[0].events = m->rec[1].events = 0;
		m->rec[2].events = m->rec[3].events = 0;
	}
	irqm_free(m);
}
END_TEST

/* The warnings come once per kind, however often the guest insists. */
START_TEST(warnings_are_bounded)
{
	struct irqm *m = irqm_new(1);
	int i;

	for (i = 0; i < 1000; i++) {
		pic_set_irq(&m->pic, 99, 1);
		lapic_write(&m->cpu[0], LAPIC_TPR, 2, 0);
		ioapic_write(&m->io, 0x30, 4, 0);
		pit_read(&m->pit, 0x50);
	}
	ck_assert_int_eq(m->warnings, 4);
	irqm_free(m);
}
END_TEST

Suite *irq_hostile_suite(void)
{
	Suite *s = suite_create("irq-hostile");
	TCase *tc = tcase_create("random");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, pic_random);
	tcase_add_test(tc, pit_random);
	tcase_add_test(tc, lapic_random);
	tcase_add_test(tc, ioapic_random);
	tcase_add_test(tc, msi_random);
	tcase_add_test(tc, warnings_are_bounded);
	suite_add_tcase(s, tc);
	return s;
}

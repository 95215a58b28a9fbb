/*
 * test_ioapic.c - the 82093AA against its datasheet: IOREGSEL/IOWIN,
 * ID, version, arbitration, the redirection entry's fields, edge and
 * level delivery, masking, the remote IRR cycle with the EOI broadcast
 * and re-delivery of a line still asserted.
 */
#include "irqunit.h"

static struct irqm *m;
static struct ioapic *io;

static void setup(void)
{
	m = irqm_new(2);
	io = &m->io;
	irqm_lapic_enable(&m->cpu[0]);
	irqm_lapic_enable(&m->cpu[1]);
}

static void teardown(void)
{
	irqm_free(m);
}

static uint32_t reg(uint8_t r)
{
	ioapic_write(io, IOAPIC_REGSEL, 4, r);
	return ioapic_read(io, IOAPIC_WIN, 4);
}

static void set_reg(uint8_t r, uint32_t v)
{
	ioapic_write(io, IOAPIC_REGSEL, 4, r);
	ioapic_write(io, IOAPIC_WIN, 4, v);
}

static void rte(unsigned int pin, uint32_t lo, uint8_t dest)
{
	set_reg((uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24);
	set_reg((uint8_t)(0x10 + 2 * pin), lo);
}

START_TEST(id_version_arbitration)
{
	ck_assert_uint_eq(reg(0x01), 0x00170011);
	ck_assert_uint_eq((reg(0x01) >> 16) & 0xFF, 23);	/* 24 entries */
	set_reg(0x00, 0xFFFFFFFF);
	ck_assert_uint_eq(reg(0x00), 0x0F000000);
	ck_assert_uint_eq(reg(0x02), 0x0F000000);
	set_reg(0x01, 0);
	ck_assert_uint_eq(reg(0x01), 0x00170011);
	ioapic_write(io, IOAPIC_REGSEL, 1, 0x12);
	ck_assert_uint_eq(ioapic_read(io, IOAPIC_REGSEL, 4), 0x12);
}
END_TEST

START_TEST(rte_reset_and_fields)
{
	unsigned int pin;

	for (pin = 0; pin < 24; pin++) {
		ck_assert_uint_eq(reg((uint8_t)(0x10 + 2 * pin)), 0x10000);
		ck_assert_uint_eq(reg((uint8_t)(0x11 + 2 * pin)), 0);
	}
	set_reg(0x10, 0xFFFFFFFF);
	/* Delivery status (12) and remote IRR (14) are read-only. */
	ck_assert_uint_eq(reg(0x10), 0x1AFFF);
	set_reg(0x11, 0xFFFFFFFF);
	ck_assert_uint_eq(reg(0x11), 0xFF000000);
	ck_assert_uint_eq(reg(0x3F), 0);	/* pin 23 high word */
	ck_assert_uint_eq(reg(0x40), 0);	/* beyond the table */
}
END_TEST

START_TEST(edge_delivery)
{
	m->io_to_bus = true;
	rte(4, 0x00000834, 0x02);		/* fixed, logical, vector 0x34 */
	lapic_write(&m->cpu[1], LAPIC_LDR, 4, 0x02000000);
	ioapic_set_irq(io, 4, 1);
	ck_assert_int_eq(m->delivered_n, 1);
	ck_assert_uint_eq(m->delivered[0].vector, 0x34);
	ck_assert_uint_eq(m->delivered[0].logical, 1);
	ck_assert_uint_eq(m->delivered[0].dest, 0x02);
	ck_assert_uint_eq(m->delivered[0].level, 0);
	ck_assert_uint_eq(m->delivered[0].dm, APIC_DM_FIXED);
	ck_assert_uint_eq(m->delivered[0].assert, 1);
	ck_assert_uint_eq(m->delivered[0].shorthand, APIC_SH_NONE);
	ck_assert_int_eq(m->delivered[0].source, APIC_SRC_NONE);
	ck_assert(irqm_irr_has(&m->cpu[1], 0x34));
	ck_assert(!irqm_irr_has(&m->cpu[0], 0x34));
	ioapic_set_irq(io, 4, 1);		/* no new edge */
	ck_assert_int_eq(m->delivered_n, 1);
	ioapic_set_irq(io, 4, 0);
	ioapic_set_irq(io, 4, 1);
	ck_assert_int_eq(m->delivered_n, 2);
	ck_assert_uint_eq(reg(0x18) & IOAPIC_RTE_REMOTE_IRR, 0);
}
END_TEST

START_TEST(masked_edge_is_lost)
{
	rte(3, 0x00010033, 0);
	ioapic_set_irq(io, 3, 1);
	ioapic_set_irq(io, 3, 0);
	rte(3, 0x00000033, 0);
	ck_assert_int_eq(m->delivered_n, 0);
	/* Unmasked, the next edge goes. */
	ioapic_set_irq(io, 3, 1);
	ck_assert_int_eq(m->delivered_n, 1);
	ck_assert_uint_eq(m->delivered[0].vector, 0x33);
	/* An edge while masked is lost even if the line is still high. */
	ioapic_set_irq(io, 3, 0);
	rte(3, 0x00010033, 0);
	ioapic_set_irq(io, 3, 1);
	rte(3, 0x00000033, 0);
	ck_assert_int_eq(m->delivered_n, 1);
}
END_TEST

START_TEST(level_remote_irr_cycle)
{
	m->io_to_bus = true;
	rte(9, 0x0000A049, 1);			/* level, active low, vector 0x49 */
	ioapic_set_irq(io, 9, 1);
	ck_assert_int_eq(m->delivered_n, 1);
	ck_assert_uint_eq(m->delivered[0].level, 1);
	ck_assert_uint_eq(reg(0x22) & IOAPIC_RTE_REMOTE_IRR,
			  IOAPIC_RTE_REMOTE_IRR);
	ck_assert(irqm_tmr_has(&m->cpu[1], 0x49));
	ioapic_set_irq(io, 9, 1);		/* held by remote IRR */
	ck_assert_int_eq(m->delivered_n, 1);
	/* The guest takes it and ends it: EOI broadcast, re-delivery. */
	ck_assert_int_eq(lapic_ack(&m->cpu[1]), 0x49);
	lapic_write(&m->cpu[1], LAPIC_EOI, 4, 0);
	ck_assert_int_eq(m->rec[1].eois, 1);
	ck_assert_int_eq(m->delivered_n, 2);	/* still asserted */
	ck_assert_uint_eq(reg(0x22) & IOAPIC_RTE_REMOTE_IRR,
			  IOAPIC_RTE_REMOTE_IRR);
	/* The device lets go before the next EOI: no more delivery. */
	ck_assert_int_eq(lapic_ack(&m->cpu[1]), 0x49);
	ioapic_set_irq(io, 9, 0);
	lapic_write(&m->cpu[1], LAPIC_EOI, 4, 0);
	ck_assert_int_eq(m->delivered_n, 2);
	ck_assert_uint_eq(reg(0x22) & IOAPIC_RTE_REMOTE_IRR, 0);
}
END_TEST

START_TEST(eoi_of_other_vector)
{
	rte(5, 0x00008055, 0);
	ioapic_set_irq(io, 5, 1);
	ioapic_eoi(io, 0x56);
	ck_assert_uint_eq(reg(0x1A) & IOAPIC_RTE_REMOTE_IRR,
			  IOAPIC_RTE_REMOTE_IRR);
	ck_assert_int_eq(m->delivered_n, 1);
	ioapic_eoi(io, 0x55);
	ck_assert_int_eq(m->delivered_n, 2);
}
END_TEST

START_TEST(level_masked_then_unmasked)
{
	rte(7, 0x00018077, 0);			/* level, masked */
	ioapic_set_irq(io, 7, 1);
	ck_assert_int_eq(m->delivered_n, 0);
	rte(7, 0x00008077, 0);			/* unmask: line still up */
	ck_assert_int_eq(m->delivered_n, 1);
	/* Masking after delivery does not cancel the remote IRR. */
	rte(7, 0x00018077, 0);
	ck_assert_uint_eq(reg(0x1E) & IOAPIC_RTE_REMOTE_IRR,
			  IOAPIC_RTE_REMOTE_IRR);
	ioapic_eoi(io, 0x77);			/* masked: not re-delivered */
	ck_assert_int_eq(m->delivered_n, 1);
	ck_assert_uint_eq(reg(0x1E) & IOAPIC_RTE_REMOTE_IRR, 0);
}
END_TEST

START_TEST(level_not_accepted_no_remote_irr)
{
	m->io_accept = 0;
	rte(6, 0x00008066, 5);
	ioapic_set_irq(io, 6, 1);
	ck_assert_int_eq(m->delivered_n, 1);
	ck_assert_uint_eq(reg(0x1C) & IOAPIC_RTE_REMOTE_IRR, 0);
	/* An EOI of its vector concerns only entries waiting for one. */
	ioapic_eoi(io, 0x66);
	ck_assert_int_eq(m->delivered_n, 1);
}
END_TEST

/* Lowest priority may be level triggered; pin 0 counts like any pin. */
START_TEST(level_lowest_priority_on_pin_0)
{
	rte(0, 0x00008170, 0xff);	/* level, lowest priority, vector 0x70 */
	ioapic_set_irq(io, 0, 1);
	ck_assert_int_eq(m->delivered_n, 1);
	ck_assert_uint_eq(m->delivered[0].dm, APIC_DM_LOWEST);
	ck_assert_uint_eq(m->delivered[0].level, 1);
	ck_assert_uint_eq(m->delivered[0].assert, 1);
	ck_assert_uint_eq(reg(0x10) & IOAPIC_RTE_REMOTE_IRR, IOAPIC_RTE_REMOTE_IRR);
	ioapic_eoi(io, 0x70);
	ck_assert_int_eq(m->delivered_n, 2);	/* still asserted: again */
	ioapic_set_irq(io, 0, 0);
	ioapic_eoi(io, 0x70);
	ck_assert_uint_eq(reg(0x10) & IOAPIC_RTE_REMOTE_IRR, 0);
	ck_assert_int_eq(m->delivered_n, 2);
}
END_TEST

START_TEST(edge_clears_remote_irr)
{
	rte(8, 0x00008088, 0);
	ioapic_set_irq(io, 8, 1);
	rte(8, 0x00000088, 0);
	ck_assert_uint_eq(reg(0x20) & IOAPIC_RTE_REMOTE_IRR, 0);
}
END_TEST

START_TEST(delivery_modes)
{
	int w = m->warnings;

	rte(1, 0x00000100 | 0x31, 0);		/* lowest priority */
	rte(2, 0x00000400, 0);			/* NMI */
	rte(3, 0x00008700, 0);			/* ExtINT (level is ignored) */
	rte(4, 0x00000300, 0);			/* reserved */
	rte(5, 0x00000600, 0);			/* reserved */
	ioapic_set_irq(io, 1, 1);
	ioapic_set_irq(io, 2, 1);
	ioapic_set_irq(io, 3, 1);
	ioapic_set_irq(io, 4, 1);
	ioapic_set_irq(io, 5, 1);
	ck_assert_int_eq(m->delivered_n, 3);
	ck_assert_int_eq(m->warnings, w + 1);	/* the reserved modes, once */
	ck_assert_uint_eq(m->delivered[0].dm, APIC_DM_LOWEST);
	ck_assert_uint_eq(m->delivered[1].dm, APIC_DM_NMI);
	ck_assert_uint_eq(m->delivered[2].dm, APIC_DM_EXTINT);
	ck_assert_uint_eq(m->delivered[2].level, 0);
	ck_assert_uint_eq(reg(0x16) & IOAPIC_RTE_REMOTE_IRR, 0);
}
END_TEST

START_TEST(bad_accesses)
{
	int w = m->warnings;

	ioapic_write(io, IOAPIC_WIN, 2, 0x1234);
	ioapic_write(io, 0x20, 4, 0);
	ck_assert_uint_eq(ioapic_read(io, 0x40, 4), 0);
	set_reg(0x03, 0xFFFFFFFF);
	ck_assert_uint_eq(reg(0x03), 0);
	ioapic_set_irq(io, 24, 1);
	ck_assert_int_ge(m->warnings - w, 3);
	ck_assert_int_eq(m->delivered_n, 0);
}
END_TEST

Suite *ioapic_suite(void)
{
	Suite *s = suite_create("ioapic");
	TCase *tc = tcase_create("rte");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, edge_delivery);
	tcase_add_test(tc, masked_edge_is_lost);
	tcase_add_test(tc, level_remote_irr_cycle);
	tcase_add_test(tc, eoi_of_other_vector);
	tcase_add_test(tc, level_masked_then_unmasked);
	tcase_add_test(tc, level_not_accepted_no_remote_irr);
	tcase_add_test(tc, level_lowest_priority_on_pin_0);
	tcase_add_test(tc, delivery_modes);
	tcase_add_test(tc, bad_accesses);
	suite_add_tcase(s, tc);
	return s;
}

Suite *ioapic_regs_suite(void)
{
	Suite *s = suite_create("ioapic-regs");
	TCase *tc = tcase_create("regs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, id_version_arbitration);
	tcase_add_test(tc, rte_reset_and_fields);
	tcase_add_test(tc, edge_clears_remote_irr);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_ipi.c - interprocessor interrupts through the ICR and the APIC
 * bus, four local APICs with APIC IDs 0-3: every delivery mode, every
 * shorthand, physical and logical (flat and cluster) destinations,
 * lowest-priority arbitration, INIT/SIPI events and the ICR's invalid
 * combinations (SDM "Issuing Interprocessor Interrupts",
 * "Determining IPI Destination").
 */
#include "irqunit.h"

static struct irqm *m;

static void setup(void)
{
	unsigned int i;

	m = irqm_new(4);
	for (i = 0; i < 4; i++)
		irqm_lapic_enable(&m->cpu[i]);
}

static void teardown(void)
{
	irqm_free(m);
}

static void icr(unsigned int from, uint8_t dest, uint32_t lo)
{
	lapic_write(&m->cpu[from], LAPIC_ICR_HI, 4, (uint32_t)dest << 24);
	lapic_write(&m->cpu[from], LAPIC_ICR_LO, 4, lo);
}

/* Which CPUs have `v` pending, as a bit mask. */
static unsigned int who(uint8_t v)
{
	unsigned int i, set = 0;

	for (i = 0; i < 4; i++)
		if (irqm_irr_has(&m->cpu[i], v))
			set |= 1u << i;
	return set;
}

static void ldr(unsigned int i, uint8_t v)
{
	lapic_write(&m->cpu[i], LAPIC_LDR, 4, (uint32_t)v << 24);
}

static void cluster_model(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		lapic_write(&m->cpu[i], LAPIC_DFR, 4, 0x0FFFFFFF);
}

START_TEST(fixed_physical)
{
	icr(0, 2, 0x00000041);
	ck_assert_uint_eq(who(0x41), 1u << 2);
	ck_assert(!irqm_tmr_has(&m->cpu[2], 0x41));
	/* Delivery status reads idle: the send is complete. */
	ck_assert_uint_eq(lapic_read(&m->cpu[0], LAPIC_ICR_LO, 4), 0x41);
	icr(0, 0xFF, 0x00000042);		/* physical broadcast */
	ck_assert_uint_eq(who(0x42), 0xF);
	icr(0, 9, 0x00000043);			/* nobody: dropped */
	ck_assert_uint_eq(who(0x43), 0);
}
END_TEST

START_TEST(icr_register_bits)
{
	lapic_write(&m->cpu[0], LAPIC_ICR_LO, 4, 0xFFFFFFFF);
	/* Reserved bits 31-20, 17-16, 13 and status bit 12 read 0. */
	ck_assert_uint_eq(lapic_read(&m->cpu[0], LAPIC_ICR_LO, 4), 0x000CCFFF);
}
END_TEST

START_TEST(shorthands)
{
	icr(1, 0, 0x00040051);			/* self */
	ck_assert_uint_eq(who(0x51), 1u << 1);
	icr(1, 0, 0x00080052);			/* all including self */
	ck_assert_uint_eq(who(0x52), 0xF);
	icr(1, 0, 0x000C0053);			/* all excluding self */
	ck_assert_uint_eq(who(0x53), 0xD);
	icr(1, 3, 0x00040054);			/* destination ignored */
	ck_assert_uint_eq(who(0x54), 1u << 1);
}
END_TEST

START_TEST(invalid_shorthand_modes)
{
	icr(0, 0, 0x00040400);			/* NMI to self */
	ck_assert(!lapic_take_nmi(&m->cpu[0]));
	icr(0, 0, 0x00080155);			/* lowest priority to all */
	ck_assert_uint_eq(who(0x55), 0);
	icr(0, 0, 0x00080500);			/* INIT to all incl. self */
	ck_assert_int_eq(m->rec[1].events, 0);
	icr(0, 0, 0x000C0400);			/* NMI to others: valid */
	ck_assert(!lapic_take_nmi(&m->cpu[0]));
	ck_assert(lapic_take_nmi(&m->cpu[1]));
	ck_assert(lapic_take_nmi(&m->cpu[3]));
	icr(0, 1, 0x00000356);			/* reserved mode 011 */
	icr(0, 1, 0x00000757);			/* reserved mode 111 */
	ck_assert_uint_eq(who(0x56) | who(0x57), 0);
}
END_TEST

START_TEST(level_trigger_treated_as_edge)
{
	icr(0, 1, 0x0000C061);			/* level, assert */
	ck_assert_uint_eq(who(0x61), 1u << 1);
	ck_assert(!irqm_tmr_has(&m->cpu[1], 0x61));
	icr(0, 1, 0x00008062);			/* level, de-assert: ignored */
	ck_assert_uint_eq(who(0x62), 0);
}
END_TEST

START_TEST(logical_flat)
{
	ldr(0, 0x01);
	ldr(1, 0x02);
	ldr(2, 0x04);
	ldr(3, 0x0C);
	icr(0, 0x06, 0x00000871);
	ck_assert_uint_eq(who(0x71), 0xE);	/* 1, 2 and 3 (bit 2) */
	icr(0, 0x01, 0x00000872);
	ck_assert_uint_eq(who(0x72), 0x1);
	icr(0, 0x10, 0x00000873);
	ck_assert_uint_eq(who(0x73), 0x0);
	icr(0, 0xFF, 0x00000874);
	ck_assert_uint_eq(who(0x74), 0xF);
}
END_TEST

START_TEST(logical_cluster)
{
	cluster_model();
	ldr(0, 0x11);
	ldr(1, 0x12);
	ldr(2, 0x21);
	ldr(3, 0x24);
	icr(0, 0x13, 0x00000881);
	ck_assert_uint_eq(who(0x81), 0x3);
	icr(0, 0x21, 0x00000882);
	ck_assert_uint_eq(who(0x82), 0x4);
	icr(0, 0x11, 0x00000883);		/* cluster 1 only */
	ck_assert_uint_eq(who(0x83), 0x1);
	icr(0, 0xF1, 0x00000884);		/* member 1 of every cluster */
	ck_assert_uint_eq(who(0x84), 0x5);
	icr(0, 0xFF, 0x00000885);
	ck_assert_uint_eq(who(0x85), 0xF);
	icr(0, 0x31, 0x00000886);
	ck_assert_uint_eq(who(0x86), 0x0);
}
END_TEST

/* Take and end what CPU i has, so TPR = PPR = APR again. */
static void drain(unsigned int i)
{
	lapic_ack(&m->cpu[i]);
	lapic_write(&m->cpu[i], LAPIC_EOI, 4, 0);
}

/*
 * With nothing pending or in service, TPR, PPR and APR agree: the
 * processor with the lowest TPR among those named must be chosen.
 */
START_TEST(lowest_priority)
{
	lapic_write(&m->cpu[0], LAPIC_TPR, 4, 0x40);
	lapic_write(&m->cpu[1], LAPIC_TPR, 4, 0x30);
	lapic_write(&m->cpu[2], LAPIC_TPR, 4, 0x10);
	lapic_write(&m->cpu[3], LAPIC_TPR, 4, 0x20);
	ldr(0, 0x01);
	ldr(1, 0x02);
	ldr(2, 0x04);
	ldr(3, 0x08);
	icr(0, 0x0B, 0x00000991);		/* among 0, 1, 3 */
	ck_assert_uint_eq(who(0x91), 1u << 3);
	lapic_write(&m->cpu[3], LAPIC_TPR, 4, 0x00);
	drain(3);
	lapic_write(&m->cpu[3], LAPIC_TPR, 4, 0x20);
	icr(0, 0x0F, 0x00000992);
	ck_assert_uint_eq(who(0x92), 1u << 2);
	lapic_write(&m->cpu[2], LAPIC_TPR, 4, 0x00);
	drain(2);
	lapic_write(&m->cpu[2], LAPIC_TPR, 4, 0x50);
	icr(1, 0x00, 0x000C0193);		/* others: 0, 2, 3 */
	ck_assert_uint_eq(who(0x93), 1u << 3);
	icr(0, 0x02, 0x00000194);		/* physical, one named */
	ck_assert_uint_eq(who(0x94), 1u << 2);
}
END_TEST

START_TEST(lowest_priority_exactly_one)
{
	struct apic_irq irq = {
		.vector = 0xA1, .dm = APIC_DM_LOWEST, .logical = 1,
		.dest = 0xFF, .assert = 1, .source = APIC_SRC_NONE,
	};
	unsigned int set;

	ck_assert_int_eq(apic_bus_deliver(&m->bus, &irq), 1);
	set = who(0xA1);
	ck_assert_uint_ne(set, 0);
	ck_assert_uint_eq(set & (set - 1), 0);
	irq.dest = 0x00;			/* flat, no LDR matches */
	irq.vector = 0xA2;
	ck_assert_int_eq(apic_bus_deliver(&m->bus, &irq), 0);
}
END_TEST

START_TEST(nmi_ipi)
{
	icr(0, 2, 0x00000400);
	ck_assert(lapic_take_nmi(&m->cpu[2]));
	ck_assert(!lapic_take_nmi(&m->cpu[1]));
}
END_TEST

START_TEST(smi_ignored)
{
	int w = m->warnings;

	icr(0, 2, 0x00000200);
	ck_assert_int_eq(m->warnings - w, 1);
	ck_assert(!lapic_take_nmi(&m->cpu[2]));
	ck_assert_int_eq(m->rec[2].events, 0);
}
END_TEST

START_TEST(init_sipi_sipi)
{
	struct lapic *ap = &m->cpu[2];

	lapic_write(ap, LAPIC_TPR, 4, 0x70);
	lapic_write(ap, LAPIC_ID, 4, 0x07000000);
	icr(0, 7, 0x00004500);			/* INIT, assert */
	ck_assert_int_eq(m->rec[2].events, 1);
	ck_assert_int_eq(m->rec[2].ev_kind[0], LAPIC_EV_INIT);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_TPR, 4), 0);	/* reset */
	ck_assert_uint_eq(lapic_read(ap, LAPIC_SVR, 4), 0xFF);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_ID, 4), 0x07000000);	/* kept */
	icr(0, 7, 0x00008500);			/* INIT level de-assert */
	ck_assert_int_eq(m->rec[2].events, 1);
	icr(0, 7, 0x0000069A);			/* SIPI, page 0x9A */
	icr(0, 7, 0x0000069A);
	ck_assert_int_eq(m->rec[2].events, 3);
	ck_assert_int_eq(m->rec[2].ev_kind[1], LAPIC_EV_SIPI);
	ck_assert_int_eq(m->rec[2].ev_vec[1], 0x9A);
	ck_assert_int_eq(m->rec[2].ev_vec[2], 0x9A);
	ck_assert_int_eq(m->rec[0].events, 0);
}
END_TEST

START_TEST(init_sipi_to_all_others)
{
	unsigned int i;

	icr(0, 0, 0x000C4500);
	icr(0, 0, 0x000C0608);			/* SIPI vector 8: legal */
	for (i = 1; i < 4; i++) {
		ck_assert_int_eq(m->rec[i].events, 2);
		ck_assert_int_eq(m->rec[i].ev_vec[1], 0x08);
	}
	ck_assert_int_eq(m->rec[0].events, 0);
}
END_TEST

START_TEST(ipi_to_disabled_apic)
{
	lapic_write(&m->cpu[1], LAPIC_SVR, 4, 0xFF);
	icr(0, 1, 0x000000B1);
	ck_assert_uint_eq(who(0xB1), 0);
	icr(0, 1, 0x00000400);			/* NMI still arrives */
	ck_assert(lapic_take_nmi(&m->cpu[1]));
}
END_TEST

Suite *ipi_suite(void)
{
	Suite *s = suite_create("ipi");
	TCase *tc = tcase_create("icr");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fixed_physical);
	tcase_add_test(tc, icr_register_bits);
	tcase_add_test(tc, shorthands);
	tcase_add_test(tc, invalid_shorthand_modes);
	tcase_add_test(tc, level_trigger_treated_as_edge);
	tcase_add_test(tc, logical_flat);
	tcase_add_test(tc, logical_cluster);
	tcase_add_test(tc, lowest_priority);
	tcase_add_test(tc, lowest_priority_exactly_one);
	tcase_add_test(tc, nmi_ipi);
	tcase_add_test(tc, smi_ignored);
	tcase_add_test(tc, init_sipi_sipi);
	tcase_add_test(tc, init_sipi_to_all_others);
	tcase_add_test(tc, ipi_to_disabled_apic);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_lapic.c - one local APIC against the SDM: reset values, TPR/PPR/
 * APR, IRR/ISR/TMR and EOI, CR8, ESR, SVR, the LVT, LINT0 as ExtINT, the
 * timer (one-shot, periodic, every divide value) and IA32_APIC_BASE.
 * The timer's bus clock is 1 GHz: one tick per ns.
 */
#include "irqunit.h"

static struct irqm *m;
static struct lapic *l;
static struct lapic_rec *r;

static void setup(void)
{
	m = irqm_new(2);
	l = &m->cpu[0];
	r = &m->rec[0];
	irqm_lapic_enable(l);
}

static void teardown(void)
{
	irqm_free(m);
}

static uint32_t rd(unsigned int off)
{
	return lapic_read(l, off, 4);
}

static void wr(unsigned int off, uint32_t v)
{
	lapic_write(l, off, 4, v);
}

static void fixed(uint8_t vector, bool level)
{
	struct apic_irq irq = {
		.vector = vector, .dm = APIC_DM_FIXED, .level = level,
		.assert = 1, .source = APIC_SRC_NONE,
	};

	ck_assert(lapic_accept(l, &irq));
}

START_TEST(reset_values)
{
	struct lapic *ap = &m->cpu[1];

	ck_assert_uint_eq(lapic_read(ap, LAPIC_ID, 4), 0x01000000);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_VER, 4) & 0xFF, 0x14);
	ck_assert_uint_eq((lapic_read(ap, LAPIC_VER, 4) >> 16) & 0xFF, 5);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_TPR, 4), 0);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_DFR, 4), 0xFFFFFFFF);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_LDR, 4), 0);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_SVR, 4), 0xFF);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_LVT_TIMER, 4), 0x10000);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_LVT_LINT0, 4), 0x10000);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_LVT_LINT1, 4), 0x10000);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_LVT_ERROR, 4), 0x10000);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_TIMER_INIT, 4), 0);
	ck_assert_uint_eq(lapic_read(ap, LAPIC_TIMER_DIV, 4), 0);
	ck_assert_uint_eq(lapic_get_base(ap), 0xFEE00800);
	ck_assert_uint_eq(lapic_get_base(l), 0xFEE00900);	/* BSP */
	/* The BSP's LINT0 is ExtINT, unmasked (virtual wire). */
	ck_assert_uint_eq(rd(LAPIC_LVT_LINT0), 0x700);
}
END_TEST

START_TEST(register_write_masks)
{
	wr(LAPIC_ID, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(LAPIC_ID), 0xFF000000);
	wr(LAPIC_TPR, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(LAPIC_TPR), 0xFF);
	wr(LAPIC_LDR, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(LAPIC_LDR), 0xFF000000);
	wr(LAPIC_DFR, 0);
	ck_assert_uint_eq(rd(LAPIC_DFR), 0x0FFFFFFF);
	wr(LAPIC_ICR_HI, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(LAPIC_ICR_HI), 0xFF000000);
	wr(LAPIC_TIMER_DIV, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(LAPIC_TIMER_DIV), 0xB);
	wr(LAPIC_LVT_TIMER, 0xFFFFFFFF);	/* no TSC-deadline mode */
	ck_assert_uint_eq(rd(LAPIC_LVT_TIMER), 0x300FF);
	wr(LAPIC_LVT_LINT0, 0xFFFFFFFF);	/* status, remote IRR read-only */
	ck_assert_uint_eq(rd(LAPIC_LVT_LINT0), 0x1A7FF);
	wr(LAPIC_LVT_ERROR, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(LAPIC_LVT_ERROR), 0x100FF);
	wr(LAPIC_LVT_THERMAL, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(LAPIC_LVT_THERMAL), 0x107FF);
	wr(LAPIC_LVT_PERF, 0x12345);
	ck_assert_uint_eq(rd(LAPIC_LVT_PERF), 0x10345);
	wr(LAPIC_SVR, 0xFFFFFFFF);		/* no EOI-broadcast suppression */
	ck_assert_uint_eq(rd(LAPIC_SVR), 0x3FF);
	wr(LAPIC_VER, 0);
	ck_assert_uint_eq(rd(LAPIC_VER), LAPIC_VERSION);
}
END_TEST

START_TEST(ppr_table)
{
	static const struct { uint32_t tpr; int isrv; uint32_t ppr; } t[] = {
		{ 0x00, -1, 0x00 }, { 0x30, -1, 0x30 }, { 0x35, -1, 0x35 },
		{ 0x35, 0x41, 0x40 }, { 0x45, 0x41, 0x45 }, { 0x40, 0x4F, 0x40 },
		{ 0x3F, 0x40, 0x40 }, { 0x4A, 0x4F, 0x4A }, { 0x00, 0xFE, 0xF0 }, { 0xFF, 0x20, 0xFF },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		lapic_reset(l);
		irqm_lapic_enable(l);
		if (t[i].isrv >= 0) {
			fixed((uint8_t)t[i].isrv, false);
			ck_assert_int_eq(lapic_ack(l), t[i].isrv);
		}
		wr(LAPIC_TPR, t[i].tpr);
		ck_assert_msg(rd(LAPIC_PPR) == t[i].ppr, "case %u: PPR 0x%x",
			      i, rd(LAPIC_PPR));
	}
}
END_TEST

START_TEST(apr_table)
{
	wr(LAPIC_TPR, 0x25);
	ck_assert_uint_eq(rd(LAPIC_APR), 0x25);
	fixed(0x51, false);			/* IRR class above TPR */
	ck_assert_uint_eq(rd(LAPIC_APR), 0x50);
	wr(LAPIC_TPR, 0x62);
	ck_assert_uint_eq(rd(LAPIC_APR), 0x62);
	ck_assert_int_eq(lapic_pending(l), LAPIC_NONE);
	wr(LAPIC_TPR, 0x00);
	ck_assert_int_eq(lapic_ack(l), 0x51);
	wr(LAPIC_TPR, 0x32);
	ck_assert_uint_eq(rd(LAPIC_APR), 0x50);	/* ISR class */
}
END_TEST

START_TEST(priority_class_rule)
{
	fixed(0x45, false);
	wr(LAPIC_TPR, 0x40);			/* same class: held */
	ck_assert_int_eq(lapic_pending(l), LAPIC_NONE);
	wr(LAPIC_TPR, 0x3F);
	ck_assert_int_eq(lapic_pending(l), 0x45);
	ck_assert_int_eq(lapic_ack(l), 0x45);
	fixed(0x4A, false);			/* same class as in service */
	wr(LAPIC_TPR, 0);
	ck_assert_int_eq(lapic_pending(l), LAPIC_NONE);
	fixed(0x50, false);
	ck_assert_int_eq(lapic_pending(l), 0x50);
}
END_TEST

START_TEST(irr_isr_tmr)
{
	fixed(0x31, false);
	fixed(0x92, true);
	fixed(0xFF, false);
	ck_assert(irqm_irr_has(l, 0x31));
	ck_assert(irqm_irr_has(l, 0x92));
	ck_assert(irqm_irr_has(l, 0xFF));
	ck_assert_uint_eq(rd(LAPIC_IRR + 0x10), 1u << 17);
	ck_assert_uint_eq(rd(LAPIC_IRR + 0x40), 1u << 18);
	ck_assert_uint_eq(rd(LAPIC_IRR + 0x70), 1u << 31);
	ck_assert(!irqm_tmr_has(l, 0x31));
	ck_assert(irqm_tmr_has(l, 0x92));
	ck_assert_int_eq(lapic_ack(l), 0xFF);	/* highest first */
	ck_assert(!irqm_irr_has(l, 0xFF));
	ck_assert(irqm_isr_has(l, 0xFF));
	ck_assert_int_eq(lapic_pending(l), LAPIC_NONE);	/* 0x92 < 0xF0 */
	wr(LAPIC_EOI, 0);
	ck_assert(!irqm_isr_has(l, 0xFF));
	ck_assert_int_eq(lapic_ack(l), 0x92);
	ck_assert_int_eq(lapic_ack(l), 0xFF);	/* 0x31 below PPR: spurious */
	ck_assert(irqm_irr_has(l, 0x31));
	ck_assert(!irqm_isr_has(l, 0x31));
}
END_TEST

START_TEST(eoi_broadcast_for_level_only)
{
	fixed(0x40, false);
	fixed(0x50, true);
	ck_assert_int_eq(lapic_ack(l), 0x50);
	ck_assert_int_eq(lapic_ack(l), 0xFF);	/* 0x40 below PPR: spurious */
	wr(LAPIC_EOI, 0);
	ck_assert_int_eq(r->eois, 1);
	ck_assert_int_eq(r->eoi_vec[0], 0x50);
	ck_assert_int_eq(lapic_ack(l), 0x40);
	wr(LAPIC_EOI, 0);
	ck_assert_int_eq(r->eois, 1);		/* edge: no broadcast */
	wr(LAPIC_EOI, 0);			/* nothing in service */
	ck_assert_int_eq(r->eois, 1);
}
END_TEST

START_TEST(eoi_clears_highest_in_service)
{
	fixed(0x50, false);
	ck_assert_int_eq(lapic_ack(l), 0x50);
	fixed(0x60, false);
	ck_assert_int_eq(lapic_ack(l), 0x60);	/* nests */
	wr(LAPIC_EOI, 0);
	ck_assert(!irqm_isr_has(l, 0x60));
	ck_assert(irqm_isr_has(l, 0x50));
}
END_TEST

START_TEST(spurious_vector_when_nothing_pending)
{
	wr(LAPIC_SVR, 0x1A7);			/* bits 3-0 writable too */
	ck_assert_int_eq(lapic_ack(l), 0xA7);
	ck_assert(!irqm_isr_has(l, 0xA7));
}
END_TEST

START_TEST(cr8_and_tpr)
{
	lapic_set_cr8(l, 5);
	ck_assert_uint_eq(rd(LAPIC_TPR), 0x50);
	wr(LAPIC_TPR, 0x73);
	ck_assert_uint_eq(lapic_get_cr8(l), 7);
	lapic_set_cr8(l, 7);			/* unchanged CR8: TPR kept */
	ck_assert_uint_eq(rd(LAPIC_TPR), 0x73);
	lapic_set_cr8(l, 2);
	ck_assert_uint_eq(rd(LAPIC_TPR), 0x20);
	lapic_set_cr8(l, 0x1F);			/* CR8[3:0] only */
	ck_assert_uint_eq(rd(LAPIC_TPR), 0xF0);
	fixed(0x80, false);
	lapic_set_cr8(l, 8);
	ck_assert_int_eq(lapic_pending(l), LAPIC_NONE);
	lapic_set_cr8(l, 7);
	ck_assert_int_eq(lapic_pending(l), 0x80);
}
END_TEST

START_TEST(esr_write_before_read)
{
	fixed(0x20, false);
	ck_assert_uint_eq(rd(LAPIC_ESR), 0);
	{
		struct apic_irq bad = { .vector = 3, .dm = APIC_DM_FIXED,
					.assert = 1, .source = -1 };
		ck_assert(!lapic_accept(l, &bad));
	}
	ck_assert_uint_eq(rd(LAPIC_ESR), 0);	/* not yet written */
	ck_assert_uint_eq(irqm_esr(l), LAPIC_ESR_RECV_ILLEGAL);
	ck_assert_uint_eq(rd(LAPIC_ESR), LAPIC_ESR_RECV_ILLEGAL);
	ck_assert_uint_eq(irqm_esr(l), 0);	/* the write cleared it */
	ck_assert(!irqm_irr_has(l, 3));
}
END_TEST

START_TEST(esr_send_illegal_vector)
{
	wr(LAPIC_ICR_HI, 0x01000000);
	wr(LAPIC_ICR_LO, 0x0000000F);		/* fixed, vector 15 */
	ck_assert_uint_eq(irqm_esr(l), LAPIC_ESR_SEND_ILLEGAL);
	ck_assert(!irqm_irr_has(&m->cpu[1], 15));
	wr(LAPIC_ICR_LO, 0x00000100);		/* lowest priority, vector 0 */
	ck_assert_uint_eq(irqm_esr(l), LAPIC_ESR_SEND_ILLEGAL);
	wr(LAPIC_ICR_LO, 0x00000400);		/* NMI: the vector is ignored */
	ck_assert_uint_eq(irqm_esr(l), 0);
}
END_TEST

START_TEST(esr_illegal_register)
{
	ck_assert_uint_eq(rd(0x2F0), 0);	/* no CMCI: LVT entries 0-5 */
	ck_assert_uint_eq(irqm_esr(l), LAPIC_ESR_ILLEGAL_REG);
	wr(0x3F0, 1);
	ck_assert_uint_eq(irqm_esr(l), LAPIC_ESR_ILLEGAL_REG);
	rd(0x380);
	ck_assert_uint_eq(irqm_esr(l), 0);
}
END_TEST

START_TEST(error_interrupt)
{
	wr(LAPIC_LVT_ERROR, 0xE3);
	fixed(0x20, false);
	{
		struct apic_irq bad = { .vector = 9, .dm = APIC_DM_FIXED,
					.assert = 1, .source = -1 };
		lapic_accept(l, &bad);
	}
	ck_assert(irqm_irr_has(l, 0xE3));
	wr(LAPIC_LVT_ERROR, 0x100E3);		/* masked: logged only */
	wr(LAPIC_ESR, 0);
	lapic_ack(l);
	wr(LAPIC_EOI, 0);
	wr(LAPIC_ICR_LO, 0x40001);
	ck_assert(!irqm_irr_has(l, 0xE3));
	ck_assert_uint_eq(irqm_esr(l), LAPIC_ESR_SEND_ILLEGAL);
}
END_TEST

START_TEST(svr_software_disable)
{
	fixed(0x40, false);
	wr(LAPIC_LVT_LINT1, 0x400);		/* NMI */
	wr(LAPIC_SVR, 0x0FF);			/* disable */
	ck_assert_uint_eq(rd(LAPIC_LVT_LINT1), 0x10400);
	ck_assert_uint_eq(rd(LAPIC_LVT_LINT0) & LAPIC_LVT_MASKED,
			  LAPIC_LVT_MASKED);
	wr(LAPIC_LVT_TIMER, 0x30);		/* cannot unmask */
	ck_assert_uint_eq(rd(LAPIC_LVT_TIMER), 0x10030);
	{
		struct apic_irq f = { .vector = 0x41, .dm = APIC_DM_FIXED,
				      .assert = 1, .source = -1 };
		struct apic_irq n = { .dm = APIC_DM_NMI, .assert = 1,
				      .source = -1 };
		ck_assert(!lapic_accept(l, &f));
		ck_assert(lapic_accept(l, &n));
	}
	ck_assert(!irqm_irr_has(l, 0x41));
	ck_assert(irqm_irr_has(l, 0x40));	/* held, not lost */
	ck_assert(lapic_take_nmi(l));
	ck_assert(!lapic_take_nmi(l));
	wr(LAPIC_SVR, 0x1FF);			/* re-enable: LVT stays masked */
	ck_assert_uint_eq(rd(LAPIC_LVT_LINT1), 0x10400);
}
END_TEST

START_TEST(lint0_extint)
{
	ck_assert_int_eq(lapic_pending(l), LAPIC_NONE);
	lapic_set_lint(l, 0, 1);
	ck_assert_int_eq(lapic_pending(l), LAPIC_EXTINT);
	fixed(0xF0, false);			/* ExtINT bypasses priority */
	ck_assert_int_eq(lapic_ack(l), LAPIC_EXTINT);
	lapic_set_lint(l, 0, 0);
	ck_assert_int_eq(lapic_pending(l), 0xF0);
	wr(LAPIC_LVT_LINT0, 0x10700);
	lapic_set_lint(l, 0, 1);
	ck_assert_int_eq(lapic_ack(l), 0xF0);
	ck_assert_int_eq(lapic_pending(l), LAPIC_NONE);
	/* An AP's LINT0 is masked at reset. */
	lapic_set_lint(&m->cpu[1], 0, 1);
	ck_assert_int_eq(lapic_pending(&m->cpu[1]), LAPIC_NONE);
}
END_TEST

START_TEST(lint1_nmi_and_fixed)
{
	wr(LAPIC_LVT_LINT1, 0x400);
	lapic_set_lint(l, 1, 1);
	ck_assert(lapic_take_nmi(l));
	lapic_set_lint(l, 1, 1);		/* no new edge */
	ck_assert(!lapic_take_nmi(l));
	lapic_set_lint(l, 1, 0);
	wr(LAPIC_LVT_LINT1, 0x8066);		/* fixed, level, vector 0x66 */
	lapic_set_lint(l, 1, 1);
	ck_assert(irqm_irr_has(l, 0x66));
	ck_assert(irqm_tmr_has(l, 0x66));
	ck_assert_uint_eq(rd(LAPIC_LVT_LINT1) & (1u << 14), 1u << 14);
	ck_assert_int_eq(lapic_ack(l), 0x66);
	wr(LAPIC_EOI, 0);
	ck_assert_uint_eq(rd(LAPIC_LVT_LINT1) & (1u << 14), 0);
}
END_TEST

START_TEST(lvt_illegal_vector)
{
	wr(LAPIC_LVT_LINT1, 0x0005);		/* fixed, vector 5 */
	lapic_set_lint(l, 1, 1);
	ck_assert(!irqm_irr_has(l, 5));
	ck_assert_uint_eq(irqm_esr(l) & LAPIC_ESR_RECV_ILLEGAL,
			  LAPIC_ESR_RECV_ILLEGAL);
}
END_TEST

START_TEST(timer_one_shot)
{
	uint64_t t0 = m->now;

	wr(LAPIC_TIMER_DIV, 0xB);		/* divide by 1 */
	wr(LAPIC_LVT_TIMER, 0x31);
	wr(LAPIC_TIMER_INIT, 1000);
	ck_assert_uint_eq(r->deadline, t0 + 1000);
	m->now = t0 + 400;
	ck_assert_uint_eq(rd(LAPIC_TIMER_CUR), 600);
	m->now = t0 + 999;
	lapic_timer_service(l);
	ck_assert(!irqm_irr_has(l, 0x31));
	m->now = t0 + 1000;
	lapic_timer_service(l);
	ck_assert(irqm_irr_has(l, 0x31));
	ck_assert_uint_eq(rd(LAPIC_TIMER_CUR), 0);
	ck_assert_uint_eq(r->deadline, LAPIC_NO_DEADLINE);
	ck_assert_int_eq(lapic_ack(l), 0x31);
	wr(LAPIC_EOI, 0);
	m->now = t0 + 5000;
	lapic_timer_service(l);
	ck_assert(!irqm_irr_has(l, 0x31));	/* once only */
	ck_assert_uint_eq(rd(LAPIC_TIMER_INIT), 1000);
}
END_TEST

START_TEST(timer_periodic)
{
	uint64_t t0 = m->now;

	wr(LAPIC_TIMER_DIV, 0xB);
	wr(LAPIC_LVT_TIMER, 0x20032);		/* periodic */
	wr(LAPIC_TIMER_INIT, 100);
	m->now = t0 + 100;
	lapic_timer_service(l);
	ck_assert_int_eq(lapic_ack(l), 0x32);
	wr(LAPIC_EOI, 0);
	ck_assert_uint_eq(r->deadline, t0 + 200);
	m->now = t0 + 250;
	ck_assert_uint_eq(rd(LAPIC_TIMER_CUR), 50);
	m->now = t0 + 550;			/* late: three periods */
	lapic_timer_service(l);
	ck_assert_int_eq(lapic_ack(l), 0x32);	/* folded into one */
	ck_assert_int_eq(lapic_pending(l), LAPIC_NONE);
	ck_assert_uint_eq(r->deadline, t0 + 600);
	wr(LAPIC_TIMER_INIT, 0);		/* stops */
	ck_assert_uint_eq(r->deadline, LAPIC_NO_DEADLINE);
	ck_assert_uint_eq(rd(LAPIC_TIMER_CUR), 0);
}
END_TEST

START_TEST(timer_divide_values)
{
	static const struct { uint32_t reg, div; } t[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 },
	};
	unsigned int i;
	uint64_t t0;

	for (i = 0; i < 8; i++) {
		wr(LAPIC_TIMER_DIV, t[i].reg);
		wr(LAPIC_LVT_TIMER, 0x40);
		t0 = m->now;
		wr(LAPIC_TIMER_INIT, 10);
		ck_assert_uint_eq(r->deadline, t0 + 10 * t[i].div);
		m->now = t0 + 10 * t[i].div - 1;
		ck_assert_uint_eq(rd(LAPIC_TIMER_CUR), 1);
		m->now = t0 + 10 * t[i].div;
		lapic_timer_service(l);
		ck_assert_int_eq(lapic_ack(l), 0x40);
		wr(LAPIC_EOI, 0);
		m->now += 1000;
	}
}
END_TEST

START_TEST(timer_masked_counts)
{
	uint64_t t0 = m->now;

	wr(LAPIC_TIMER_DIV, 0xB);
	wr(LAPIC_LVT_TIMER, 0x10033);
	wr(LAPIC_TIMER_INIT, 10);
	m->now = t0 + 5;
	ck_assert_uint_eq(rd(LAPIC_TIMER_CUR), 5);
	m->now = t0 + 20;
	lapic_timer_service(l);
	ck_assert_int_eq(lapic_pending(l), LAPIC_NONE);
	ck_assert_uint_eq(rd(LAPIC_TIMER_CUR), 0);
}
END_TEST

START_TEST(timer_divide_change_keeps_count)
{
	uint64_t t0 = m->now;

	wr(LAPIC_TIMER_DIV, 0xB);
	wr(LAPIC_LVT_TIMER, 0x34);
	wr(LAPIC_TIMER_INIT, 100);
	m->now = t0 + 40;
	wr(LAPIC_TIMER_DIV, 0x0);		/* now by 2: 60 counts left */
	ck_assert_uint_eq(rd(LAPIC_TIMER_CUR), 60);
	ck_assert_uint_eq(r->deadline, t0 + 40 + 120);
}
END_TEST

START_TEST(apic_base_msr)
{
	ck_assert_int_eq(lapic_set_base(l, 0xFEE00900 | LAPIC_BASE_X2APIC), -1);
	ck_assert_int_eq(lapic_set_base(l, 0xFEE00901), -1);	/* reserved */
	ck_assert_uint_eq(lapic_get_base(l), 0xFEE00900);
	wr(LAPIC_TPR, 0x40);
	ck_assert_int_eq(lapic_set_base(l, 0xFEE00100), 0);	/* disable */
	/* Disabled, LINT0 is INTR whatever the LVT says. */
	lapic_set_lint(l, 0, 1);
	ck_assert_int_eq(lapic_pending(l), LAPIC_EXTINT);
	lapic_set_lint(l, 1, 1);
	ck_assert(lapic_take_nmi(l));
	{
		struct apic_irq f = { .vector = 0x41, .dm = APIC_DM_FIXED,
				      .assert = 1, .source = -1 };
		ck_assert(!lapic_accept(l, &f));
	}
	ck_assert_int_eq(lapic_set_base(l, 0xFEE00900), 0);
	ck_assert_uint_eq(rd(LAPIC_TPR), 0);	/* state lost */
	ck_assert_uint_eq(rd(LAPIC_ID), 0);
}
END_TEST

START_TEST(access_widths)
{
	wr(LAPIC_TPR, 0x5A);
	ck_assert_uint_eq(lapic_read(l, LAPIC_TPR, 1), 0x5A);
	ck_assert_uint_eq(lapic_read(l, LAPIC_VER, 2), 0x0014);
	ck_assert_uint_eq(lapic_read(l, LAPIC_VER + 2, 1), 0x05);
	lapic_write(l, LAPIC_TPR, 1, 0x11);	/* not 4 bytes: ignored */
	lapic_write(l, LAPIC_TPR + 4, 4, 0x11);
	ck_assert_uint_eq(rd(LAPIC_TPR), 0x5A);
	ck_assert_uint_eq(lapic_read(l, LAPIC_TPR, 8), 0);
	ck_assert_uint_eq(lapic_read(l, 0x1000, 4), 0);
	ck_assert_uint_eq(lapic_read(l, LAPIC_TPR + 3, 2), 0);
}
END_TEST

Suite *lapic_suite(void)
{
	Suite *s = suite_create("lapic");
	TCase *tc = tcase_create("regs");
	TCase *tm = tcase_create("timer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, reset_values);
	tcase_add_test(tc, register_write_masks);
	tcase_add_test(tc, ppr_table);
	tcase_add_test(tc, apr_table);
	tcase_add_test(tc, priority_class_rule);
	tcase_add_test(tc, irr_isr_tmr);
	tcase_add_test(tc, eoi_broadcast_for_level_only);
	tcase_add_test(tc, eoi_clears_highest_in_service);
	tcase_add_test(tc, spurious_vector_when_nothing_pending);
	tcase_add_test(tc, cr8_and_tpr);
	tcase_add_test(tc, esr_write_before_read);
	tcase_add_test(tc, esr_send_illegal_vector);
	tcase_add_test(tc, esr_illegal_register);
	tcase_add_test(tc, error_interrupt);
	tcase_add_test(tc, svr_software_disable);
	tcase_add_test(tc, lint0_extint);
	tcase_add_test(tc, lint1_nmi_and_fixed);
	tcase_add_test(tc, lvt_illegal_vector);
	tcase_add_test(tc, apic_base_msr);
	tcase_add_test(tc, access_widths);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_test(tm, timer_one_shot);
	tcase_add_test(tm, timer_periodic);
	tcase_add_test(tm, timer_divide_values);
	tcase_add_test(tm, timer_masked_counts);
	tcase_add_test(tm, timer_divide_change_keeps_count);
	suite_add_tcase(s, tm);
	return s;
}

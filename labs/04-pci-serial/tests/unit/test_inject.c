/*
 * test_inject.c - the interrupt-window decision (src/irq/inject.c,
 * exercise 3.inject) on a synthetic kvm_run page, with the real local
 * APIC and 8259A models behind it (book §3.2.4-3.2.8; the KVM API's
 * KVM_INTERRUPT, request_interrupt_window, ready_for_interrupt_injection
 * and if_flag).
 */
#include <string.h>

#include "irq/inject.h"
#include "irqunit.h"

static struct irqm *m;
static struct lapic *l;
static struct kvm_run run;

static void setup(void)
{
	m = irqm_new(1);
	l = &m->cpu[0];
	irqm_lapic_enable(l);
	memset(&run, 0, sizeof(run));
}

static void teardown(void)
{
	irqm_free(m);
}

/* A fixed interrupt for the local APIC, as the APIC bus brings one. */
static void request(uint8_t vector)
{
	struct apic_irq irq = { .vector = vector, .dm = APIC_DM_FIXED,
				.assert = 1, .source = APIC_SRC_NONE };

	ck_assert(lapic_accept(l, &irq));
}

static void exit_state(int ready, int if_flag, int window)
{
	run.ready_for_interrupt_injection = (uint8_t)ready;
	run.if_flag = (uint8_t)if_flag;
	run.request_interrupt_window = (uint8_t)window;
}

START_TEST(nothing_pending)
{
	exit_state(1, 1, 1);		/* a window asked for before */
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), INJECT_NONE);
	ck_assert_uint_eq(run.request_interrupt_window, 0);
	exit_state(0, 0, 1);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), INJECT_NONE);
	ck_assert_uint_eq(run.request_interrupt_window, 0);
	/* Then something to give. */
	request(0x33);
	exit_state(1, 1, 1);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), 0x33);
}
END_TEST

START_TEST(ready_injects_and_acknowledges)
{
	request(0x41);
	exit_state(1, 1, 1);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), 0x41);
	ck_assert_uint_eq(run.request_interrupt_window, 0);
	ck_assert(!irqm_irr_has(l, 0x41));
	ck_assert(irqm_isr_has(l, 0x41));
	/* In service now: nothing more to give, no window. */
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), INJECT_NONE);
	ck_assert_uint_eq(run.request_interrupt_window, 0);
}
END_TEST

START_TEST(not_ready_asks_for_a_window)
{
	request(0x41);
	exit_state(0, 1, 0);		/* e.g. an interrupt shadow */
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), INJECT_NONE);
	ck_assert_uint_eq(run.request_interrupt_window, 1);
	ck_assert(irqm_irr_has(l, 0x41));	/* not acknowledged */
	ck_assert(!irqm_isr_has(l, 0x41));
}
END_TEST

START_TEST(if_clear_asks_for_a_window)
{
	request(0x41);
	exit_state(1, 0, 0);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), INJECT_NONE);
	ck_assert_uint_eq(run.request_interrupt_window, 1);
	ck_assert(irqm_irr_has(l, 0x41));
	ck_assert(!irqm_isr_has(l, 0x41));
	/* The window opens (KVM_EXIT_IRQ_WINDOW_OPEN): now it goes in. */
	exit_state(1, 1, 1);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), 0x41);
	ck_assert_uint_eq(run.request_interrupt_window, 0);
}
END_TEST

START_TEST(a_window_only_for_what_can_go)
{
	request(0x41);
	request(0x61);
	request(0x51);
	exit_state(1, 1, 0);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), 0x61);
	/*
	 * 0x51 and 0x41 wait, below the class of 0x61 in service: no
	 * window until its EOI (an exit of its own) makes one deliverable.
	 */
	ck_assert_uint_eq(run.request_interrupt_window, 0);
	ck_assert(irqm_irr_has(l, 0x51));
	ck_assert(irqm_irr_has(l, 0x41));
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), INJECT_NONE);
	ck_assert_uint_eq(run.request_interrupt_window, 0);
	lapic_write(l, LAPIC_EOI, 4, 0);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), 0x51);
	/* 0x41 is below 0x51 in service too: still no window. */
	ck_assert_uint_eq(run.request_interrupt_window, 0);
	lapic_write(l, LAPIC_EOI, 4, 0);
	exit_state(0, 0, 0);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), INJECT_NONE);
	ck_assert_uint_eq(run.request_interrupt_window, 1);
}
END_TEST

START_TEST(task_priority_holds_back)
{
	lapic_write(l, LAPIC_TPR, 4, 0x50);
	request(0x45);
	exit_state(1, 1, 1);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), INJECT_NONE);
	ck_assert_uint_eq(run.request_interrupt_window, 0);
	ck_assert(irqm_irr_has(l, 0x45));
	lapic_write(l, LAPIC_TPR, 4, 0x30);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), 0x45);
}
END_TEST

/* A second request above the one injected: a window at once. */
START_TEST(a_higher_one_behind_asks_for_a_window)
{
	request(0x61);
	exit_state(1, 1, 0);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), 0x61);
	request(0x71);
	exit_state(0, 0, 0);	/* in 0x61's handler, IF = 0 */
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), INJECT_NONE);
	ck_assert_uint_eq(run.request_interrupt_window, 1);
	ck_assert(irqm_irr_has(l, 0x71));
}
END_TEST

/* The 8259A through LINT0 (virtual wire): the vector is the 8259A's. */
START_TEST(extint_from_the_8259a)
{
	m->pic_to_lint0 = true;
	irqm_pic_init(&m->pic, 0x01);
	pic_write(&m->pic, 0x21, 0xf7);		/* only IRQ 3 */
	lapic_write(l, LAPIC_LVT_LINT0, 4, APIC_DM_EXTINT << 8);
	pic_set_irq(&m->pic, 3, 1);
	pic_set_irq(&m->pic, 3, 0);
	exit_state(0, 1, 0);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), INJECT_NONE);
	ck_assert_uint_eq(run.request_interrupt_window, 1);
	ck_assert_uint_eq(irqm_pic_irr(&m->pic, 0x20), 0x08);
	exit_state(1, 1, 1);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), 0x23);
	ck_assert_uint_eq(irqm_pic_isr(&m->pic, 0x20), 0x08);
	ck_assert_uint_eq(irqm_pic_irr(&m->pic, 0x20), 0x00);
	ck_assert_uint_eq(run.request_interrupt_window, 0);
}
END_TEST

/* The 8259A's requests bypass the local APIC's priority: ExtINT first. */
START_TEST(extint_before_the_apic)
{
	m->pic_to_lint0 = true;
	irqm_pic_init(&m->pic, 0x01);
	lapic_write(l, LAPIC_LVT_LINT0, 4, APIC_DM_EXTINT << 8);
	request(0xe1);
	pic_set_irq(&m->pic, 5, 1);
	pic_set_irq(&m->pic, 5, 0);
	exit_state(1, 1, 0);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), 0x25);
	ck_assert_uint_eq(run.request_interrupt_window, 1);
	ck_assert_int_eq(inject_decide(&run, l, &m->pic), 0xe1);
}
END_TEST

Suite *inject_suite(void)
{
	Suite *s = suite_create("inject");
	TCase *tc = tcase_create("decide");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nothing_pending);
	tcase_add_test(tc, ready_injects_and_acknowledges);
	tcase_add_test(tc, not_ready_asks_for_a_window);
	tcase_add_test(tc, if_clear_asks_for_a_window);
	tcase_add_test(tc, a_window_only_for_what_can_go);
	tcase_add_test(tc, a_higher_one_behind_asks_for_a_window);
	tcase_add_test(tc, task_priority_holds_back);
	tcase_add_test(tc, extint_from_the_8259a);
	tcase_add_test(tc, extint_before_the_apic);
	suite_add_tcase(s, tc);
	return s;
}

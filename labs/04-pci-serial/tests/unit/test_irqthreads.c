/*
 * test_irqthreads.c - the lock rule under load: four vCPU threads sending
 * IPIs to each other and taking and ending their interrupts (EOI
 * broadcasts into the I/O APIC), CPU 0 also taking the 8259A's ExtINT,
 * while a device thread drives a level GSI through the router and the
 * I/O APIC and pulses ISA IRQ 1 through the 8259A into LINT0. Every
 * path of the lock order is taken concurrently; a cycle would hang and
 * fail by Check's timeout.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "irqunit.h"

#define ITER 20000

static struct irqm *m;
static atomic_int running;

static void take_one(unsigned int i)
{
	int v = lapic_ack(&m->cpu[i]);

	if (v == LAPIC_EXTINT) {
		v = pic_inta(&m->pic);
		if (v != 0x27)
			pic_write(&m->pic, 0x20, 0x20);
		return;
	}
	if (v != 0xFF)
		lapic_write(&m->cpu[i], LAPIC_EOI, 4, 0);
}

static void *vcpu(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg, n;
	struct lapic *l = &m->cpu[i];

	for (n = 0; n < ITER; n++) {
		lapic_write(l, LAPIC_ICR_HI, 4, ((i + 1) % 4) << 24);
		lapic_write(l, LAPIC_ICR_LO, 4, 0x40 + i);
		if (n % 7 == 0)
			lapic_write(l, LAPIC_ICR_LO, 4, 0x000C0050);
		take_one(i);
		take_one(i);
		lapic_set_cr8(l, (uint8_t)(n & 3));
	}
	atomic_fetch_sub(&running, 1);
	return NULL;
}

static void *device(void *arg)
{
	unsigned int n = 0;

	(void)arg;
	while (atomic_load(&running) > 0) {
		irq_set_level(&m->router, 20, (int)(n & 1));
		irq_pulse(&m->router, 1);
		n++;
	}
	return NULL;
}

START_TEST(no_deadlock)
{
	pthread_t t[5];
	unsigned int i;

	m = irqm_new(4);
	irq_router_set_defaults(&m->router);
	m->io_to_bus = true;
	m->pic_to_lint0 = true;
	irqm_pic_init(&m->pic, 0x01);
	for (i = 0; i < 4; i++)
		irqm_lapic_enable(&m->cpu[i]);
	ioapic_write(&m->io, IOAPIC_REGSEL, 4, 0x10 + 2 * 20);
	ioapic_write(&m->io, IOAPIC_WIN, 4, 0x0000A0B0);	/* level -> CPU 0 */
	atomic_store(&running, 4);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, vcpu,
						(void *)(uintptr_t)i), 0);
	ck_assert_int_eq(pthread_create(&t[4], NULL, device, NULL), 0);
	for (i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	/* Quiet: everything still works afterwards. */
	irq_set_level(&m->router, 20, 0);
	for (i = 0; i < 64; i++)
		take_one(0);
	lapic_write(&m->cpu[1], LAPIC_ICR_HI, 4, 0);
	lapic_write(&m->cpu[1], LAPIC_ICR_LO, 4, 0x000000E1);
	ck_assert(irqm_irr_has(&m->cpu[0], 0xE1));
	irqm_free(m);
}
END_TEST

Suite *irq_threads_suite(void)
{
	Suite *s = suite_create("irq-threads");
	TCase *tc = tcase_create("locks");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, no_deadlock);
	suite_add_tcase(s, tc);
	return s;
}

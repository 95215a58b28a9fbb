/*
 * irq-storm: interrupts keep arriving while the guest keeps IF = 0 (book
 * section 3.2.5, the interrupt window). The local APIC timer runs periodic
 * with a short period, and the 8254's counter 0 raises IRQ 0 through the
 * 8259A (virtual wire), while the guest does a fixed amount of work: 200
 * port writes (each an exit) and a loop, then polls until both requests
 * are pending. A VMM must neither spin nor deadlock here: it can inject
 * nothing while IF = 0, only wait for the window. The guest then stops
 * the sources, and shows that the requests
 * coalesced: the local APIC's IRR holds the timer's vector once, the
 * 8259A's IRR holds IRQ 0 once, and IF = 1 delivers each exactly once
 * (SDM 10.8.4: one IRR bit a vector; 8259A: one IRR bit a line).
 * Runs on QEMU as it is.
 */
#include "check.h"
#include "console.h"
#include "irq.h"
#include "lapic.h"
#include "pic.h"
#include "pit.h"
#include "platform.h"
#include "trap.h"

#define VECTOR_TIMER	0x40
#define VECTOR_IRQ0	PIC_MASTER_BASE
#define WORK_OUTS	200
#define WORK_LOOPS	100000
#define POLLS		1000000

static volatile unsigned int timer_taken, irq0_taken;

void guest_main(void);

static void timer(struct trap_frame *tf)
{
	(void)tf;
	timer_taken++;
	lapic_eoi();
}

static void irq0(struct trap_frame *tf)
{
	(void)tf;
	irq0_taken++;
	pic_set_mask(0xffff);	/* one is enough: the PIT still runs */
	pic_eoi(0);
}

static uint32_t work(void)
{
	volatile uint32_t x = 1;
	int i;

	for (i = 0; i < WORK_OUTS; i++)
		outb(0x80, (uint8_t)i);
	for (i = 0; i < WORK_LOOPS; i++)
		x = x * 1664525u + 1013904223u;
	return x;
}

/* Both requests pending (or give up): a fast machine may need more time. */
static void wait_pending(void)
{
	int i;

	for (i = 0; i < POLLS; i++)
		if (lapic_vector_bit(LAPIC_IRR, VECTOR_TIMER) && (pic_irr() & 1))
			return;
}

void guest_main(void)
{
	irq_setup_pic();
	trap_set_handler(VECTOR_TIMER, timer);
	trap_set_handler(VECTOR_IRQ0, irq0);
	con_puts("irq-storm: local APIC timer every 10000 bus cycles, IRQ 0 every 100 PIT ticks, IF = 0\n");
	lapic_write(LAPIC_TIMER_DCR, APIC_DIV_1);
	lapic_write(LAPIC_LVT_TIMER, APIC_TIMER_PERIODIC | VECTOR_TIMER);
	lapic_write(LAPIC_TIMER_ICR, 10000);
	pit_start(0, 2, 100);
	pic_set_mask(0xfffe);

	work();
	wait_pending();
	con_printf("work done: %u port writes, %u loops\n", WORK_OUTS, WORK_LOOPS);
	lapic_write(LAPIC_TIMER_ICR, 0);
	check(lapic_vector_bit(LAPIC_IRR, VECTOR_TIMER), 1, 1,
	      "timer stopped: local APIC IRR bit 0x%02x", VECTOR_TIMER);
	check(pic_irr() & 1, 1, 1, "8259A IRR bit 0");
	check(timer_taken + irq0_taken, 0, 1, "interrupts taken so far");
	irq_enable();
	asm volatile("nop; nop; nop");
	irq_disable();
	check(timer_taken, 1, 1, "IF = 1: timer interrupts taken");
	check(irq0_taken, 1, 1, "IF = 1: IRQ 0 interrupts taken");
	vm_exit(check_done("irq-storm"));
}

/*
 * apic-timer: the local APIC's own timer and priorities (book section
 * 3.3; Intel SDM vol. 3A, 10.4.7 (enabling), 10.5.4 (timer), 10.8.3
 * (TPR/PPR), 10.8.5 (EOI)). What the SDM says that the checks rely on:
 *  - the timer counts down from the initial count at the bus clock divided
 *    as the divide configuration register says; in one-shot mode it stops
 *    at 0 and interrupts once; in periodic mode it reloads the initial
 *    count; writing an initial count of 0 stops it;
 *  - the ISR bit of the vector being serviced is set until the EOI;
 *  - PPR[7:4] = max(TPR[7:4], class of the highest ISR bit), and only a
 *    vector whose class is above PPR[7:4] is delivered: the rest wait in
 *    the IRR;
 *  - a masked LVT entry lets the timer run but delivers nothing.
 * The interrupts are counted, never timed: in periodic mode the handler
 * masks the timer itself once it has the count it wants.
 */
#include "check.h"
#include "console.h"
#include "irq.h"
#include "lapic.h"
#include "platform.h"
#include "trap.h"

#define VECTOR_TIMER	0x40	/* class 4 */
#define VECTOR_IPI	0x50	/* class 5 */
#define POLLS		1000000
#define PERIOD		20000000	/* bus clocks (20 ms at KVM's 1 GHz) */

static volatile unsigned int ticks, ipis;
static volatile unsigned int target;	/* mask the timer at this count */
static volatile uint32_t isr_bit, isr_after_eoi, ppr_in_handler;

void guest_main(void);

/*
 * The timer is masked first thing once the phase has its count: a
 * periodic expiry that came before the mask would be requested (the
 * mask does not clear the IRR) and taken after the EOI. The period is
 * long enough (20 ms) that the handler always gets there first, even on
 * a VMM where each access to the local APIC costs an exit.
 */
static void timer_handler(struct trap_frame *tf)
{
	(void)tf;
	if (++ticks == target)
		lapic_write(LAPIC_LVT_TIMER, lapic_read(LAPIC_LVT_TIMER) |
			    APIC_LVT_MASKED);
	isr_bit = lapic_vector_bit(LAPIC_ISR, VECTOR_TIMER);
	ppr_in_handler = lapic_read(LAPIC_PPR);
	lapic_eoi();
	isr_after_eoi = lapic_vector_bit(LAPIC_ISR, VECTOR_TIMER);
}

static void ipi_handler(struct trap_frame *tf)
{
	(void)tf;
	ipis++;
	lapic_eoi();
}

static void arm(uint32_t lvt, uint32_t div, uint32_t count)
{
	lapic_write(LAPIC_TIMER_DCR, div);
	lapic_write(LAPIC_LVT_TIMER, lvt);
	lapic_write(LAPIC_TIMER_ICR, count);
}

/* Poll (IF = 0) until the timer's vector is requested, or give up. */
static uint32_t wait_irr(void)
{
	int i;

	for (i = 0; i < POLLS; i++)
		if (lapic_vector_bit(LAPIC_IRR, VECTOR_TIMER))
			return 1;
	return 0;
}

static void one_shot(void)
{
	con_puts("one-shot, divide by 16, initial count 100000\n");
	arm(VECTOR_TIMER, APIC_DIV_16, 100000);
	check(lapic_read(LAPIC_TIMER_DCR), APIC_DIV_16, 1, "  divide configuration");
	check(lapic_read(LAPIC_TIMER_ICR), 100000, 5, "  initial count");
	target = 0;
	irq_wait(&ticks, 1);
	check(ticks, 1, 1, "  interrupts");
	check(isr_bit, 1, 1, "  ISR bit 0x%02x in the handler", VECTOR_TIMER);
	check(isr_after_eoi, 0, 1, "  ISR bit 0x%02x after the EOI", VECTOR_TIMER);
	check(lapic_read(LAPIC_TIMER_CCR), 0, 1, "  current count (stopped at 0)");
	check(lapic_vector_bit(LAPIC_IRR, VECTOR_TIMER), 0, 1, "  IRR bit 0x%02x",
	      VECTOR_TIMER);
}

static void periodic(void)
{
	uint32_t ccr;

	con_printf("periodic, divide by 1, initial count %u: five interrupts\n",
		   PERIOD);
	target = ticks + 5;
	arm(VECTOR_TIMER | APIC_TIMER_PERIODIC, APIC_DIV_1, PERIOD);
	check(lapic_read(LAPIC_TIMER_DCR), APIC_DIV_1, 1, "  divide configuration");
	irq_wait(&ticks, target);
	check(ticks, 6, 1, "  interrupts so far");
	ccr = lapic_read(LAPIC_TIMER_CCR);
	check(ccr <= PERIOD, 1, 1, "  masked, still counting: current count <= %u",
	      PERIOD);
	lapic_write(LAPIC_TIMER_ICR, 0);
	check(lapic_read(LAPIC_TIMER_CCR), 0, 1, "  initial count 0: current count");
	check(ticks, 6, 1, "  interrupts so far");
}

static void task_priority(void)
{
	con_puts("TPR 0x40: class 4 (vector 0x40) waits, class 5 (0x50) does not\n");
	lapic_write(LAPIC_TPR, 0x40);
	check(lapic_read(LAPIC_PPR), 0x40, 2, "  PPR");
	target = 0;
	arm(VECTOR_TIMER, APIC_DIV_1, 1000);
	irq_enable();
	check(wait_irr(), 1, 1, "  IF = 1: IRR bit 0x%02x", VECTOR_TIMER);
	check(ticks, 6, 1, "  interrupts so far (none taken)");
	lapic_send_ipi(0, APIC_DEST_SELF | VECTOR_IPI);
	asm volatile("nop; nop; nop");
	check(ipis, 1, 1, "  self-IPI 0x%02x taken", VECTOR_IPI);
	lapic_write(LAPIC_TPR, 0x30);
	irq_wait(&ticks, 7);
	check(ticks, 7, 1, "  TPR 0x30: interrupts so far");
	check(ppr_in_handler, 0x40, 2, "  PPR in the handler (ISR class 4)");
	check(lapic_read(LAPIC_PPR), 0x30, 2, "  PPR after the EOI (the TPR)");
	lapic_write(LAPIC_TPR, 0);
}

static void masked(void)
{
	int i;

	con_puts("masked LVT entry, one-shot, initial count 1000\n");
	arm(VECTOR_TIMER | APIC_LVT_MASKED, APIC_DIV_1, 1000);
	for (i = 0; i < POLLS && lapic_read(LAPIC_TIMER_CCR); i++)
		;
	check(lapic_read(LAPIC_TIMER_CCR), 0, 1, "  current count");
	check(lapic_vector_bit(LAPIC_IRR, VECTOR_TIMER), 0, 1, "  IRR bit 0x%02x",
	      VECTOR_TIMER);
	irq_enable();
	asm volatile("nop; nop; nop");
	irq_disable();
	check(ticks, 7, 1, "  interrupts so far");
}

void guest_main(void)
{
	irq_setup_apic();
	trap_set_handler(VECTOR_TIMER, timer_handler);
	trap_set_handler(VECTOR_IPI, ipi_handler);
	con_printf("apic-timer: local APIC %u, timer vector 0x%02x\n",
		   lapic_id(), VECTOR_TIMER);
	check(lapic_read(LAPIC_SVR) & 0x1ff, 0x1ff, 3,
	      "SVR (enabled, spurious vector 0xff)");
	check(lapic_read(LAPIC_VERSION) & 0xf0, 0x10, 2,
	      "version, bits 7:4 (an integrated APIC)");
	one_shot();
	periodic();
	task_priority();
	masked();
	vm_exit(check_done("apic-timer"));
}

/*
 * pic-timer: the 8259A pair initialised by the guest (ICW1-ICW4) and the
 * 8254's counter 0 raising IRQ 0 in modes 0, 2 and 3 (book section 3.2).
 * The local APIC is put in virtual wire mode (LINT0 = ExtINT) so that the
 * 8259A's INTR reaches the CPU. The handler counts and EOIs; the
 * interrupts are counted, never timed: a handler masks IRQ 0 itself once
 * the phase has its count, so no later tick can change a number.
 *
 * What the datasheets say that the checks rely on:
 *  - 8259A: ICW1 clears the interrupt mask register; the IRR latches an
 *    edge whether or not the line is masked; INTA moves the request from
 *    IRR to ISR, and a non-specific EOI clears the ISR bit.
 *  - 8254: in mode 0 OUT is low while the counter counts, goes high at
 *    terminal count and stays high (one IRQ).
 *    In modes 2 and 3 OUT starts high and rises once per period. In mode 3
 *    an even count is decremented by two. The read-back status byte holds
 *    OUT (bit 7), null count (6), the access (5:4), mode (3:1) and BCD (0).
 */
#include "check.h"
#include "console.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "pic.h"
#include "pit.h"
#include "platform.h"
#include "trap.h"

#define VECTOR_IRQ0	PIC_MASTER_BASE
#define COUNT_1MS	1193
#define COUNT_5MS	5966		/* even, for mode 3 */
#define IRR_POLLS	1000000

static volatile unsigned int ticks;	/* IRQ 0 interrupts taken */
static volatile unsigned int target;	/* mask IRQ 0 when ticks reaches it */
static volatile uint16_t isr_in_handler, isr_after_eoi;

void guest_main(void);

static void irq0_handler(struct trap_frame *tf)
{
	(void)tf;
	ticks++;
	isr_in_handler = pic_isr();
	pic_eoi(0);
	isr_after_eoi = pic_isr();
	if (ticks == target)
		pic_set_mask(0xffff);
}

/* Take `n` more IRQ 0 interrupts; returns with IRQ 0 masked again. */
static void take(unsigned int n)
{
	target = ticks + n;
	pic_set_mask(0xffff & ~1u);
	irq_wait(&ticks, target);
}

/* Poll the IRR (IF = 0, IRQ 0 masked) until an edge has been latched. */
static uint16_t wait_irr(void)
{
	uint16_t irr = 0;
	int i;

	for (i = 0; i < IRR_POLLS && !(irr & 1); i++)
		irr = pic_irr();
	return irr;
}

static void check_handler_isr(void)
{
	check(isr_in_handler, 0x0001, 4, "  ISR in the handler, before EOI");
	check(isr_after_eoi, 0x0000, 4, "  ISR after the EOI");
}

static void init_pic(void)
{
	irq_silence_pit();	/* ICW1 below forgets its last edge */
	outb(PIC_MASTER + 1, 0x5a);			/* OCW1: some mask */
	check(inb(PIC_MASTER + 1), 0x5a, 2, "master IMR after OCW1 0x5a");
	pic_init(PIC_MASTER_BASE, PIC_SLAVE_BASE);
	/* pic_init() masks every line at its end; redo ICW1-4 to look. */
	outb(PIC_MASTER, 0x11);
	outb(PIC_MASTER + 1, PIC_MASTER_BASE);
	outb(PIC_MASTER + 1, 0x04);
	outb(PIC_MASTER + 1, 0x01);
	check(inb(PIC_MASTER + 1), 0x00, 2, "master IMR after ICW1-ICW4 (cleared)");
	pic_set_mask(0xffff);
}

void guest_main(void)
{
	uint16_t c;

	trap_init();
	trap_set_handler(VECTOR_IRQ0, irq0_handler);
	lapic_enable();
	lapic_virtual_wire();
	ioapic_mask_all();
	con_printf("pic-timer: 8259A vectors 0x%02x/0x%02x, 8254 counter 0 on IRQ 0\n",
		   PIC_MASTER_BASE, PIC_SLAVE_BASE);
	init_pic();

	con_printf("mode 0, count %u: one interrupt at terminal count\n", COUNT_1MS);
	pit_start(0, 0, COUNT_1MS);
	take(1);
	check(ticks, 1, 1, "  interrupts");
	check_handler_isr();
	check(pit_status(0), 0xb0, 2, "  read-back status: OUT high, mode 0");
	check(pic_irr() & 1, 0, 1, "  IRR bit 0 (OUT stays high: no new edge)");

	con_printf("mode 2, count %u: five interrupts\n", COUNT_5MS);
	pit_start(0, 2, COUNT_5MS);
	check(pit_status(0) & 0x3f, 0x34, 2, "  read-back status, bits 5:0");
	take(5);
	check(ticks, 6, 1, "  interrupts so far");
	check_handler_isr();

	con_puts("IRQ 0 masked, IF = 0: the request waits in the IRR\n");
	check(wait_irr(), 0x0001, 4, "  IRR");
	check(pic_isr(), 0x0000, 4, "  ISR");
	check(ticks, 6, 1, "  interrupts so far (none taken)");
	take(1);
	check(ticks, 7, 1, "  unmasked: interrupts so far");

	con_printf("mode 3, count %u: five interrupts\n", COUNT_5MS);
	pit_start(0, 3, COUNT_5MS);
	check(pit_status(0) & 0x3f, 0x36, 2, "  read-back status, bits 5:0");
	c = pit_count(0);
	check(!(c & 1) && c <= COUNT_5MS, 1, 1, "  latched count even and <= %u",
	      COUNT_5MS);
	take(5);
	check(ticks, 12, 2, "  interrupts so far");
	check_handler_isr();

	vm_exit(check_done("pic-timer"));
}

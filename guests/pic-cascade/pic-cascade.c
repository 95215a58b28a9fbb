/*
 * pic-cascade: interrupts through the slave 8259A (book section 3.2.2).
 * The slave's INT output is the master's IR2, so a request on IRQ 8-15
 * shows in both chips: IRR bit 2 of the master and the line's bit in the
 * slave; the CPU gets the slave's vector; the ISR bit is set in both, and
 * the handler must EOI both chips, the slave first. The slave asserts INT
 * only for a request above its highest in-service level, so without its
 * EOI a new request on the same line stays in the slave's IRR. In fully
 * nested mode (the default) IRQ 8-15 rank together between IRQ 1 and 3.
 *
 * The requests come from the interrupt test device's lines (edges: up and
 * down again, with IF = 0), so that the order of the interrupts depends on
 * the 8259A's priorities only. Runs on QEMU with -device pc-testdev.
 */
#include "check.h"
#include "console.h"
#include "irq.h"
#include "pic.h"
#include "platform.h"
#include "trap.h"

#define MAX_TAKEN	8

static volatile unsigned int taken;
static volatile uint8_t vectors[MAX_TAKEN];
static volatile uint16_t isr_before, isr_after_slave_eoi, isr_after_eoi;
static volatile int master_eoi_only;	/* forget the slave's EOI */

void guest_main(void);

static void pic_handler(struct trap_frame *tf)
{
	unsigned int irq = tf->vector - PIC_MASTER_BASE;

	if (taken < MAX_TAKEN)
		vectors[taken] = (uint8_t)tf->vector;
	if (taken == 0)
		isr_before = pic_isr();
	if (irq >= 8 && !master_eoi_only)
		pic_command(PIC_SLAVE, OCW2_EOI);
	if (taken == 0)
		isr_after_slave_eoi = pic_isr();
	pic_command(PIC_MASTER, OCW2_EOI);
	if (taken == 0)
		isr_after_eoi = pic_isr();
	taken++;
}

/* The vectors taken so far, one hex digit (the IRQ) each. */
static unsigned int order(void)
{
	unsigned int i, v = 0;

	for (i = 0; i < taken && i < MAX_TAKEN; i++)
		v = v << 4 | (vectors[i] - PIC_MASTER_BASE);
	return v;
}

/*
 * On a failure only: every vector taken so far, which tells an interrupt
 * delivered twice (0x2a, 0x2a) from a spurious one (IRQ 7's or 15's).
 */
static void show_taken(void)
{
	unsigned int i;

	con_puts("  vectors taken:");
	for (i = 0; i < taken && i < MAX_TAKEN; i++)
		con_printf(" 0x%02x", vectors[i]);
	con_puts("\n");
}

void guest_main(void)
{
	unsigned int v;

	irq_setup_pic();
	for (v = PIC_MASTER_BASE; v < PIC_SLAVE_BASE + 8; v++)
		trap_set_handler(v, pic_handler);
	con_printf("pic-cascade: slave on IR2, vectors 0x%02x/0x%02x, lines from the test device\n",
		   PIC_MASTER_BASE, PIC_SLAVE_BASE);
	pic_set_mask(~(1u << 2 | 1u << 3 | 1u << 9 | 1u << 10) & 0xffff);

	con_puts("IRQ 10, IF = 0\n");
	irqdev_pulse(10);
	check(pic_irr(), 0x0404, 4, "  IRR (slave bit 2, master bit 2)");
	irq_wait(&taken, 1);
	check(vectors[0], PIC_SLAVE_BASE + 2, 2, "  vector");
	check(isr_before, 0x0404, 4, "  ISR in the handler");
	check(isr_after_slave_eoi, 0x0004, 4, "  ISR after the slave's EOI");
	check(isr_after_eoi, 0x0000, 4, "  ISR after the master's EOI");
	check(pic_irr(), 0x0000, 4, "  IRR after");

	con_puts("IRQ 10 with an EOI to the master only\n");
	master_eoi_only = 1;
	irqdev_pulse(10);
	irq_wait(&taken, 2);
	check(pic_isr(), 0x0400, 4, "  ISR after the handler (slave bit 2 left)");
	irqdev_pulse(10);
	irq_enable();
	asm volatile("nop; nop; nop");
	irq_disable();
	check(taken, 2, 1, "  IRQ 10 again: taken so far (blocked by the slave's ISR)");
	if (taken != 2)
		show_taken();
	/* The slave raises INT only above its in-service level: no IR2. */
	check(pic_irr(), 0x0400, 4, "  IRR (the slave's only: no INT to the master)");
	master_eoi_only = 0;
	pic_command(PIC_SLAVE, OCW2_EOI);
	irq_wait(&taken, 3);
	check(taken, 3, 1, "  after the slave's EOI: taken so far");
	check(pic_isr(), 0x0000, 4, "  ISR");

	con_puts("IRQs 3, 10, 9 at once: fully nested priority\n");
	taken = 0;
	irqdev_pulse(3);
	irqdev_pulse(10);
	irqdev_pulse(9);
	check(pic_irr(), 0x060c, 4, "  IRR");
	irq_wait(&taken, 3);
	check(order(), 0x9a3, 3, "  order of the IRQs, one hex digit each");

	vm_exit(check_done("pic-cascade"));
}

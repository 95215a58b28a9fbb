/*
 * pic-rotate: the 8259A's priority modes and EOI commands (book section
 * 3.2.2; datasheet, "Interrupt Sequence", "End of Interrupt", "Automatic
 * Rotation", "Specific Rotation"). Several requests are made at once with
 * IF = 0 (edges from the interrupt test device), then IF is set and the
 * order in which the CPU receives them is recorded, one hex digit (the
 * IRQ) each. The orders the datasheet gives:
 *
 *  1. fixed priority, IR0 highest: requests 3, 4, 5, and 3 again while 3
 *     is in service: 3 3 4 5 (a request waits in the IRR while its level
 *     is in service, and is still the highest after the EOI);
 *  2. rotate on non-specific EOI (OCW2 R = 1, EOI = 1): the level just
 *     served becomes the lowest: 3 4 5 3;
 *  3. set priority (OCW2 R = 1, SL = 1, level 4 the lowest, so 5 is the
 *     highest): requests 3, 4, 5, 6: 5 6 3 4;
 *  4. specific EOI for a level not in service changes nothing: with IRQ
 *     3's ISR bit left set, 4 and 5 wait in the IRR; the specific EOI for
 *     level 3 lets them in: 3 4 5;
 *  5. rotate on specific EOI (level 3, which becomes the lowest), and 3
 *     requested again: 3 4 5 3.
 *
 * Runs on QEMU with -device pc-testdev.
 */
#include "check.h"
#include "console.h"
#include "irq.h"
#include "pic.h"
#include "platform.h"
#include "trap.h"

#define MAX_TAKEN	8

enum eoi_kind { EOI_NONSPECIFIC, EOI_ROTATE, EOI_SPECIFIC };

static volatile unsigned int taken;
static volatile unsigned int order;	/* one hex digit a taken IRQ */
static volatile enum eoi_kind eoi_kind;
static volatile int first_eoi = -1;	/* OCW2 for the first one, if >= 0 */
static volatile int repulse = -1;	/* request this line again, once */

void guest_main(void);

static void pic_handler(struct trap_frame *tf)
{
	unsigned int irq = tf->vector - PIC_MASTER_BASE;

	order = order << 4 | irq;
	if (repulse >= 0) {
		irqdev_pulse((unsigned int)repulse);
		repulse = -1;
	}
	if (taken++ == 0 && first_eoi >= 0)
		pic_command(PIC_MASTER, (uint8_t)first_eoi);
	else if (eoi_kind == EOI_ROTATE)
		pic_command(PIC_MASTER, OCW2_ROTATE_EOI);
	else if (eoi_kind == EOI_SPECIFIC)
		pic_command(PIC_MASTER, OCW2_SPECIFIC_EOI | irq);
	else
		pic_command(PIC_MASTER, OCW2_EOI);
}

/* Request each line of `irqs` (hex digits, in that order) with IF = 0. */
static void request(unsigned int irqs, int digits)
{
	while (digits--)
		irqdev_pulse(irqs >> (4 * digits) & 0xf);
}

static void start(const char *what, enum eoi_kind kind, int first, int again)
{
	con_puts(what);
	taken = 0;
	order = 0;
	eoi_kind = kind;
	first_eoi = first;
	repulse = again;
}

void guest_main(void)
{
	unsigned int v;

	irq_setup_pic();
	for (v = PIC_MASTER_BASE; v < PIC_MASTER_BASE + 8; v++)
		trap_set_handler(v, pic_handler);
	con_puts("pic-rotate: requests on IRQ 3-6 of the master at once, IF = 0\n");
	pic_set_mask(~0x78u & 0xffff);

	start("phase 1: fixed priority; 3 requested again in its handler\n",
	      EOI_NONSPECIFIC, -1, 3);
	request(0x543, 3);
	irq_wait(&taken, 4);
	check(order, 0x3345, 4, "  order");

	start("phase 2: rotate on non-specific EOI; 3 requested again\n",
	      EOI_ROTATE, -1, 3);
	request(0x543, 3);
	irq_wait(&taken, 4);
	check(order, 0x3453, 4, "  order");

	start("phase 3: set priority: level 4 the lowest\n",
	      EOI_NONSPECIFIC, -1, -1);
	pic_command(PIC_MASTER, OCW2_SET_PRIORITY | 4);
	request(0x3456, 4);
	irq_wait(&taken, 4);
	check(order, 0x5634, 4, "  order");
	pic_command(PIC_MASTER, OCW2_SET_PRIORITY | 7);	/* fixed again */

	start("phase 4: specific EOI for level 6 while 3 is in service\n",
	      EOI_SPECIFIC, OCW2_SPECIFIC_EOI | 6, -1);
	request(0x345, 3);
	irq_wait(&taken, 1);
	irq_enable();
	asm volatile("nop; nop; nop");
	irq_disable();
	check(taken, 1, 1, "  taken");
	check(pic_isr(), 0x0008, 4, "  ISR");
	check(pic_irr(), 0x0030, 4, "  IRR");
	pic_command(PIC_MASTER, OCW2_SPECIFIC_EOI | 3);
	irq_wait(&taken, 3);
	check(order, 0x345, 3, "  after a specific EOI for level 3: order");

	start("phase 5: rotate on specific EOI for level 3; 3 requested again\n",
	      EOI_NONSPECIFIC, OCW2_ROTATE_SPECIFIC | 3, 3);
	request(0x345, 3);
	irq_wait(&taken, 4);
	check(order, 0x3453, 4, "  order");
	check(pic_isr(), 0x0000, 4, "  ISR");

	vm_exit(check_done("pic-rotate"));
}

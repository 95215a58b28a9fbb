/*
 * irq-nonsense: a guest that programs the interrupt controllers in ways
 * the datasheets call wrong, reserved or undefined (book section 3.6,
 * bad input). It checks only what the datasheets guarantee; where they
 * leave the outcome open it checks only that the VM goes on (a VMM may
 * ignore such a request and log it once) and that a correct request made
 * afterwards still works.
 *  1. "ICW4" without ICW1: outside an initialisation sequence a write to
 *     the 8259A's odd port is OCW1 (8259A datasheet), so it sets the mask.
 *  2. Vector 5 in the LVT timer entry: the entry is read/write and keeps
 *     what was written (SDM 10.5.1); vectors 0-15 are illegal, and the
 *     APIC "may" report an error and drop the interrupt: open.
 *  3. A fixed IPI to APIC ID 15, which no processor has: on an xAPIC
 *     nothing accepts it and nothing is reported (the send accept error
 *     exists only on the P6's APIC bus, SDM 10.5.3); the ICR's delivery
 *     status returns to idle, and a self-IPI sent after it is taken.
 *  4. I/O APIC delivery mode 011b (reserved, 82093AA datasheet 3.2.4):
 *     the entry's bits are read/write and read back; what an interrupt on
 *     that pin does is open.
 * Runs on QEMU with -device pc-testdev.
 */
#include "check.h"
#include "console.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "pic.h"
#include "platform.h"
#include "trap.h"

#define VECTOR_ILLEGAL	5
#define VECTOR_LOST	0x50
#define VECTOR_SELF	0x51
#define VECTOR_RESERVED	0x60
#define VECTOR_GOOD	0x61
#define LINE		12
#define POLLS		1000000

static volatile unsigned int taken[256];

void guest_main(void);

static void count(struct trap_frame *tf)
{
	taken[tf->vector]++;
	lapic_eoi();
}

/* Let any pending interrupt in, then close again. */
static void let_in(void)
{
	irq_enable();
	asm volatile("nop; nop; nop");
	irq_disable();
}

static void icw4_alone(void)
{
	con_puts("1. ICW4 (0x01) to port 0x21 without ICW1\n");
	pic_set_mask(0xffff);
	outb(PIC_MASTER + 1, 0x01);
	check(inb(PIC_MASTER + 1), 0x01, 2, "  master IMR (it was OCW1)");
	pic_set_mask(0xffff);
}

static void illegal_lvt_vector(void)
{
	int i;

	con_puts("2. vector 5 in the LVT timer entry\n");
	lapic_write(LAPIC_TIMER_DCR, APIC_DIV_1);
	lapic_write(LAPIC_LVT_TIMER, APIC_LVT_MASKED | VECTOR_ILLEGAL);
	check(lapic_read(LAPIC_LVT_TIMER), APIC_LVT_MASKED | VECTOR_ILLEGAL, 8,
	      "  LVT timer reads back");
	lapic_write(LAPIC_LVT_TIMER, VECTOR_ILLEGAL);
	lapic_write(LAPIC_TIMER_ICR, 1000);
	for (i = 0; i < POLLS && lapic_read(LAPIC_TIMER_CCR); i++)
		;
	let_in();
	lapic_write(LAPIC_LVT_TIMER, APIC_LVT_MASKED);
	lapic_write(LAPIC_ESR, 0);
	con_puts("  expired unmasked: the VM goes on\n");
}

static void ipi_to_nobody(void)
{
	con_puts("3. fixed IPI, vector 0x50, to APIC ID 15\n");
	check(lapic_send_ipi(15, VECTOR_LOST) == 0, 1, 1,
	      "  the ICR's delivery status went idle");
	check(lapic_send_ipi(0, APIC_DEST_SELF | VECTOR_SELF) == 0, 1, 1,
	      "  then a self-IPI, vector 0x51: idle");
	let_in();
	check(taken[VECTOR_SELF], 1, 1, "  vector 0x51 taken");
	check(taken[VECTOR_LOST], 0, 1, "  vector 0x50 taken");
}

static void reserved_delivery_mode(void)
{
	uint32_t lo = 3u << 8 | VECTOR_RESERVED;

	con_puts("4. I/O APIC pin 12, delivery mode 011b (reserved)\n");
	irqdev_line(LINE, 0);
	ioapic_route(LINE, lo, lapic_id());
	check(ioapic_entry_lo(LINE) & ~IOAPIC_DELIVS, lo, 8, "  entry reads back");
	irqdev_pulse(LINE);
	let_in();
	con_puts("  line 12 pulsed: the VM goes on\n");
	ioapic_route(LINE, VECTOR_GOOD, lapic_id());
	irqdev_pulse(LINE);
	let_in();
	check(taken[VECTOR_GOOD], 1, 1, "  fixed again, vector 0x61: taken");
	ioapic_write(IOAPIC_REG_REDIR(LINE), IOAPIC_MASKED);
}

void guest_main(void)
{
	unsigned int v;

	irq_setup_apic();
	trap_set_handler(VECTOR_ILLEGAL, count);
	for (v = 0x50; v < 0x70; v++)
		trap_set_handler(v, count);
	con_puts("irq-nonsense: requests the datasheets call wrong\n");
	icw4_alone();
	illegal_lvt_vector();
	ipi_to_nobody();
	reserved_delivery_mode();
	vm_exit(check_done("irq-nonsense"));
}

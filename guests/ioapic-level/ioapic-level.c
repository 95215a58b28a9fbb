/*
 * ioapic-level: an I/O APIC pin in level mode (book section 3.3.2; Intel
 * 82093AA datasheet, 3.2.4; Intel SDM vol. 3A, 10.8.5). The line is the
 * interrupt test device's line 10, held high or low by the guest. What
 * the datasheets say that the checks rely on:
 *  - a level-triggered pin sends its interrupt when the line is asserted
 *    and the entry's remote IRR is clear; remote IRR is set when a local
 *    APIC accepts it, and the local APIC sets the vector's TMR bit;
 *  - the EOI of a vector whose TMR bit is set is broadcast to the I/O APIC,
 *    which clears remote IRR; a line still asserted is then sent again;
 *  - a line that drops before the EOI is not sent again;
 *  - the EOI leaves the TMR bit alone: it is set or cleared only when the
 *    local APIC accepts the vector, level or edge triggered;
 *  - in edge mode, one rising edge is one interrupt.
 * Unmasking a pin whose line is still asserted sends the interrupt (QEMU
 * and KVM both do; the line is level-sensitive, so it is still asserted).
 * Runs on QEMU with -device pc-testdev.
 */
#include "check.h"
#include "console.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "platform.h"
#include "trap.h"

#define LINE		10
#define VECTOR		0x60

static volatile unsigned int taken;
static volatile unsigned int lower_at;	/* drop the line in this call */
static volatile uint32_t remote_irr_in_handler, isr_in_handler;

void guest_main(void);

static void handler(struct trap_frame *tf)
{
	(void)tf;
	taken++;
	remote_irr_in_handler = ioapic_entry_lo(LINE) & IOAPIC_REMOTE_IRR;
	isr_in_handler = lapic_vector_bit(LAPIC_ISR, VECTOR);
	if (taken == lower_at)
		irqdev_line(LINE, 0);
	lapic_eoi();
}

static uint32_t remote_irr(void)
{
	return ioapic_entry_lo(LINE) & IOAPIC_REMOTE_IRR ? 1 : 0;
}

static void level_redelivery(void)
{
	con_puts("line 10 raised and held, IF = 0\n");
	irqdev_line(LINE, 1);
	check(remote_irr(), 1, 1, "  remote IRR");
	check(lapic_vector_bit(LAPIC_IRR, VECTOR), 1, 1, "  local APIC IRR bit 0x%02x", VECTOR);
	check(lapic_vector_bit(LAPIC_TMR, VECTOR), 1, 1, "  local APIC TMR bit 0x%02x", VECTOR);
	con_puts("IF = 1; the third handler drops the line before its EOI\n");
	lower_at = 3;
	irq_wait(&taken, 3);
	irq_enable();
	asm volatile("nop; nop; nop");
	irq_disable();
	check(taken, 3, 1, "  interrupts (one per EOI while asserted)");
	check(remote_irr_in_handler, IOAPIC_REMOTE_IRR, 4, "  remote IRR in the handler");
	check(isr_in_handler, 1, 1, "  ISR bit 0x%02x in the handler", VECTOR);
	check(remote_irr(), 0, 1, "  remote IRR after the EOI");
	check(lapic_vector_bit(LAPIC_TMR, VECTOR), 1, 1, "  TMR bit 0x%02x (kept)", VECTOR);
}

static void masked_while_asserted(void)
{
	con_puts("pin masked, line raised; then unmasked\n");
	ioapic_write(IOAPIC_REG_REDIR(LINE), IOAPIC_MASKED | IOAPIC_LEVEL | VECTOR);
	irqdev_line(LINE, 1);
	check(remote_irr(), 0, 1, "  masked: remote IRR");
	check(lapic_vector_bit(LAPIC_IRR, VECTOR), 0, 1, "  masked: IRR bit 0x%02x", VECTOR);
	lower_at = taken + 1;
	ioapic_write(IOAPIC_REG_REDIR(LINE), IOAPIC_LEVEL | VECTOR);
	irq_wait(&taken, lower_at);
	check(taken, 4, 1, "  unmasked: interrupts so far");
	check(remote_irr(), 0, 1, "  remote IRR after the EOI");
}

static void edge(void)
{
	con_puts("edge mode: one pulse, one interrupt\n");
	ioapic_write(IOAPIC_REG_REDIR(LINE), VECTOR);
	lower_at = 0;
	irqdev_pulse(LINE);
	check(lapic_vector_bit(LAPIC_TMR, VECTOR), 0, 1, "  TMR bit 0x%02x", VECTOR);
	irq_wait(&taken, 5);
	irq_enable();
	asm volatile("nop; nop; nop");
	irq_disable();
	check(taken, 5, 1, "  interrupts so far");
}

void guest_main(void)
{
	irq_setup_apic();
	trap_set_handler(VECTOR, handler);
	irqdev_line(LINE, 0);
	ioapic_route(LINE, IOAPIC_LEVEL | IOAPIC_DM_FIXED | VECTOR, lapic_id());
	con_printf("ioapic-level: pin %u, level triggered, vector 0x%02x, to APIC %u\n",
		   LINE, VECTOR, lapic_id());
	check(ioapic_entry_lo(LINE), IOAPIC_LEVEL | VECTOR, 8, "redirection entry, low half");
	level_redelivery();
	masked_while_asserted();
	edge();
	ioapic_write(IOAPIC_REG_REDIR(LINE), IOAPIC_MASKED);
	vm_exit(check_done("ioapic-level"));
}

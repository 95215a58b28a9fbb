/*
 * nmi: non-maskable interrupts (book section 3.3; Intel SDM vol. 3A, 6.7.1
 * and 10.6.1). Everything runs with IF = 0, which an NMI ignores. An NMI
 * is sent to ourselves through the ICR: delivery mode NMI, physical
 * destination = our own APIC ID (the "self" shorthand is valid only with
 * fixed delivery). While the handler runs, NMIs are blocked: a second one
 * sent from inside the handler waits until the handler's IRET, and is then
 * taken at once. Then an NMI from a device: an I/O APIC pin in delivery
 * mode NMI (edge triggered, as the 82093AA datasheet requires; the vector
 * is ignored), raised by the interrupt test device's line 11.
 * Runs on QEMU with -device pc-testdev. Its NMI handler ends with IRET,
 * which a software KVM's emulator may not run in protected mode.
 */
#include "check.h"
#include "console.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "platform.h"
#include "trap.h"

#define VECTOR_NMI	2
#define LINE		11
/*
 * How many ICR reads a wait for an NMI lasts at most. An NMI that comes
 * comes within a few (each read is an exit, and the VMM injects before the
 * next entry); 20000 exits take about a second in a nested KVM under TCG,
 * where a VMM that never delivers should not cost more.
 */
#define POLLS		20000

static volatile unsigned int nmis;
static volatile unsigned int nmis_in_handler = ~0u;

void guest_main(void);
void nmi_entry(void);
void nmi_handler(void);

static void send_nmi(void)
{
	lapic_send_ipi(lapic_id(), APIC_DM_NMI);
}

void nmi_handler(void)
{
	int i;

	if (++nmis != 1)
		return;
	send_nmi();		/* blocked until our IRET */
	for (i = 0; i < 100; i++)
		lapic_read(LAPIC_ICR_LO);
	nmis_in_handler = nmis;
}

static unsigned int wait_nmis(unsigned int n)
{
	int i;

	for (i = 0; i < POLLS && nmis < n; i++)
		lapic_read(LAPIC_ICR_LO);
	return nmis;
}

void guest_main(void)
{
	irq_setup_apic();
	trap_set_entry(VECTOR_NMI, nmi_entry);
	con_puts("nmi: IF = 0 throughout\n");

	con_puts("NMI to ourselves through the ICR; the handler sends another\n");
	send_nmi();
	check(wait_nmis(2), 2, 1, "  NMIs taken");
	check(nmis_in_handler, 1, 1, "  NMIs taken when the handler ended (the second blocked)");

	con_puts("NMI from I/O APIC pin 11 (delivery mode NMI)\n");
	irqdev_line(LINE, 0);
	ioapic_route(LINE, IOAPIC_DM_NMI | 0x99, lapic_id());
	irqdev_pulse(LINE);
	check(wait_nmis(3), 3, 1, "  NMIs taken");
	ioapic_write(IOAPIC_REG_REDIR(LINE), IOAPIC_MASKED);

	vm_exit(check_done("nmi"));
}

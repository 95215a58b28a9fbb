/*
 * The common start of the lab 03 guests (see irq.h). Book section 3.2.
 */
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "pic.h"
#include "trap.h"

void irq_setup_apic(void)
{
	trap_init();
	pic_init(PIC_MASTER_BASE, PIC_SLAVE_BASE);
	pic_set_elcr(0);
	ioapic_mask_all();
	lapic_enable();
}

void irq_setup_pic(void)
{
	irq_setup_apic();
	lapic_virtual_wire();
}

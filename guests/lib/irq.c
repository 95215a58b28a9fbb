/*
 * The common start of the lab 03 guests (see irq.h). Book section 3.2.
 */
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "pic.h"
#include "pit.h"
#include "trap.h"

#define POLLS	1000000

void irq_silence_pit(void)
{
	int i;

	pit_start(0, 0, 1);
	for (i = 0; i < POLLS && !(pic_irr() & 1); i++)
		;
}

void irq_setup_apic(void)
{
	trap_init();
	irq_silence_pit();	/* before ICW1, which forgets the edges seen */
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

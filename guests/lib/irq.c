/*
 * The common start of the 8259A guests (see irq.h). Book section 3.2.
 */
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "pic.h"
#include "trap.h"

void irq_setup_pic(void)
{
	trap_init();
	lapic_enable();
	lapic_virtual_wire();
	ioapic_mask_all();
	pic_init(PIC_MASTER_BASE, PIC_SLAVE_BASE);
	pic_set_elcr(0);
}

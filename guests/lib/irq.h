/*
 * The starting points of the lab 03 guests, which trust nothing firmware
 * left: our own IDT (trap.c); both 8259As initialised (vectors
 * PIC_MASTER_BASE and PIC_SLAVE_BASE), every line edge triggered and
 * masked; every I/O APIC pin masked; the local APIC software-enabled with
 * every LVT entry masked and TPR 0. Interrupts stay disabled (IF = 0).
 *
 * irq_setup_apic() is that; irq_setup_pic() also puts the local APIC in
 * virtual wire mode, so that the 8259A's INTR reaches the CPU (LINT0).
 */
#ifndef GUEST_IRQ_H
#define GUEST_IRQ_H

void irq_setup_apic(void);
void irq_setup_pic(void);

#endif

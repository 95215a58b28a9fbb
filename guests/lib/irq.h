/*
 * The starting point of the lab 03 guests that take 8259A interrupts:
 * our own IDT (trap.c), the local APIC enabled in virtual wire mode so
 * that the 8259A's INTR reaches the CPU through LINT0, every I/O APIC pin
 * masked, and both 8259As initialised (vectors PIC_MASTER_BASE and
 * PIC_SLAVE_BASE), every line edge triggered and masked. Interrupts stay
 * disabled (IF = 0). Firmware may have left any of these otherwise.
 */
#ifndef GUEST_IRQ_H
#define GUEST_IRQ_H

void irq_setup_pic(void);

#endif

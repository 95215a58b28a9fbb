/*
 * The starting points of the lab 03 guests, which trust nothing firmware
 * left: our own IDT (trap.c); the 8254's counter 0 silenced (firmware
 * leaves it running for its clock tick); both 8259As initialised (vectors
 * PIC_MASTER_BASE and PIC_SLAVE_BASE), every line edge triggered and
 * masked; every I/O APIC pin masked; the local APIC software-enabled with
 * every LVT entry masked and TPR 0. Interrupts stay disabled (IF = 0).
 *
 * irq_setup_apic() is that; irq_setup_pic() also puts the local APIC in
 * virtual wire mode, so that the 8259A's INTR reaches the CPU (LINT0).
 */
#ifndef GUEST_IRQ_H
#define GUEST_IRQ_H

/*
 * Silence the 8254's counter 0, which firmware leaves running for its
 * clock tick: mode 0 with a count of 1 makes one last rising edge on IRQ 0
 * and then holds OUT high until the counter is programmed again. Returns
 * once that edge is in the 8259A's IRR, so that an ICW1 after it forgets
 * it. (A control word alone should stop the counter with OUT low, but
 * QEMU's goes on counting; and a timer's edge reaches the 8259A when the
 * VMM's timer fires, which may be after the read-back status says OUT is
 * high, so the guest waits for the IRR.)
 */
void irq_silence_pit(void);

void irq_setup_apic(void);
void irq_setup_pic(void);

#endif

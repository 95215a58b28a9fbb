/*
 * A tiny IDT for 32-bit guests that take exceptions on purpose (the msr
 * guest's #GP) or interrupts (lab 03). trap_init() loads our own flat GDT
 * (the multiboot spec does not promise a usable one) and an IDT for all 256
 * vectors. A vector with no handler prints one line and stops the VM with
 * TRAP_EXIT_CODE. Handlers run with IF clear (interrupt gates) and return
 * with POPFD + RET rather than IRET (see trap32.asm).
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdint.h>

#include "platform.h"

#define TRAP_EXIT_CODE	127	/* status 255: an unexpected exception */

/* The stack trap32.asm builds: pushad, vector, error code, CPU frame. */
struct trap_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t vector;
	uint32_t error;		/* 0 for vectors that push none */
	uint32_t eip, cs, eflags;
};

void trap_init(void);
/* Load the same GDT and IDT on another CPU (an AP, lib/smp.c). */
void trap_load(void);
/* The handler may change the frame (e.g. eip) before the return. */
void trap_set_handler(unsigned int vector, void (*fn)(struct trap_frame *));
/*
 * Point the vector's gate at an entry of the guest's own instead of our
 * stub: for a handler that must end with IRET (an NMI handler).
 */
void trap_set_entry(unsigned int vector, void (*entry)(void));

static inline void irq_enable(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
	asm volatile("cli" : : : "memory");
}

/*
 * Wait with interrupts enabled until *count reaches n, halting in between;
 * returns with interrupts disabled. The count is tested with IF = 0, and
 * STI's one-instruction shadow keeps the interrupt from slipping in
 * between STI and HLT, so none is missed. A VMM that never delivers the
 * interrupt would leave the guest halted for good: the interrupt test
 * device's watchdog (platform.h), armed again whenever the count moves,
 * ends the run after IRQ_WAIT_MS without one instead.
 */
static inline void irq_wait(volatile unsigned int *count, unsigned int n)
{
	unsigned int seen = *count;

	irqdev_watchdog(IRQ_WAIT_MS);
	irq_disable();
	while (*count < n) {
		asm volatile("sti; hlt; cli" : : : "memory");
		if (*count != seen) {
			seen = *count;
			irqdev_watchdog(IRQ_WAIT_MS);
		}
	}
	irqdev_watchdog(0);
}

#endif

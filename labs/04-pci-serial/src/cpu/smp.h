/*
 * smp.h - starting the application processors with INIT and start-up
 * IPIs, when the local APICs are ours (book §1.4; Intel SDM vol. 3A,
 * 8.4, "Multiple-Processor (MP) Initialization"; MP spec 1.4, B.4).
 *
 * A processor's state is one of KVM's own MP states, which KVM keeps
 * itself when the local APICs are in the kernel:
 *   RUNNABLE     it runs (the boot processor from the start);
 *   HALTED       it executed HLT (src/irq/halt.c);
 *   UNINITIALIZED an AP at power-on: it waits for INIT;
 *   INIT_RECEIVED it got INIT and waits for a start-up IPI (SIPI).
 *
 * Threads: smp_event() runs in the sending vCPU's thread with its local
 * APIC's lock held: it records the request and kicks. The rest runs in
 * the vCPU's own thread.
 */
#ifndef VMM_SMP_H
#define VMM_SMP_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

struct vcpu;

/* What an INIT or a SIPI does to a processor (smp_next()). */
enum smp_action {
	SMP_IGNORE,		/* nothing */
	SMP_WAIT_SIPI,		/* an AP: INIT_RECEIVED */
	SMP_RESET,		/* the BSP: restart at the reset vector */
	SMP_START,		/* start in real mode at the SIPI vector */
};

void smp_init_state(struct vcpu *vcpu);
void smp_event(struct vcpu *vcpu, bool sipi, uint8_t vector);
int smp_apply(struct vcpu *vcpu);
enum smp_action smp_next(unsigned int mp, bool bsp, bool sipi, uint8_t vector,
			 struct kvm_sregs *sregs, struct kvm_regs *regs);

#endif

/* @@ file 03 */
/*
 * smp.c - INIT and start-up IPIs (smp.h; book §1.4).
 *
 * The boot processor (vCPU 0) starts the guest. Each application
 * processor's thread starts too, but finds its vCPU UNINITIALIZED and
 * sleeps (src/irq/halt.c) until an INIT and then a SIPI arrive through
 * our local APIC: the guest's INIT-SIPI-SIPI sequence. KVM knows none
 * of this with --irqchip=user: to KVM the AP is a vCPU we simply do not
 * run yet, and the SIPI is a KVM_SET_SREGS/KVM_SET_REGS of our own.
 */
#include "core/err.h"
#include "core/kick.h"
#include "core/vm.h"
#include "cpu/smp.h"
#include "irq/irqchip.h"

/* At creation: the BSP runs, an AP waits for INIT. */
void smp_init_state(struct vcpu *vcpu)
{
	vcpu->mp = vcpu->index == 0 ? KVM_MP_STATE_RUNNABLE :
		   KVM_MP_STATE_UNINITIALIZED;
	atomic_store(&vcpu->events, 0);
}

/* From the sender's thread: leave the request, wake the processor. */
void smp_event(struct vcpu *vcpu, bool sipi, uint8_t vector)
{
	if (sipi) {
		atomic_store(&vcpu->sipi_vector, vector);
		atomic_fetch_or(&vcpu->events, VCPU_EV_SIPI);
	} else {
		atomic_fetch_or(&vcpu->events, VCPU_EV_INIT);
	}
	kick_vcpu(vcpu);
}

/*
 * What an INIT (sipi false) or a start-up IPI (sipi true, with its
 * vector) does to a processor in MP state `mp`.
 */
enum smp_action smp_next(unsigned int mp, bool bsp, bool sipi, uint8_t vector,
			 struct kvm_sregs *sregs, struct kvm_regs *regs)
{
	/* EXERCISE 3.sipi: INIT and the start-up IPI.
	 *
	 * Return what the request does to a processor in MP state `mp`
	 * (KVM_MP_STATE_*; `bsp` for the boot processor), one of smp.h's
	 * enum smp_action. For SMP_START, also turn *sregs and *regs, which
	 * hold the processor's state at power-on, into the state in which
	 * the start-up IPI starts it; leave them alone otherwise.
	 *
	 * Read: Intel SDM vol. 3A, 8.4 (the MP initialization protocol and
	 * the wait-for-SIPI state) and 10.6.1 (the INIT and Start-Up
	 * delivery modes); guests/README.md, "Lab 03: interrupts"; book
	 * §1.4.
	 *
	 * Tests: unit.sipi guest.smp-hello.user guest.ipi-pingpong.user
	 *	guest.msi.user
	 * Stub: (void)mp; (void)bsp; (void)sipi; (void)vector;
	 *	(void)sregs; (void)regs;
	 *	return SMP_IGNORE;
	 */
	if (!sipi)
		return bsp ? SMP_RESET : SMP_WAIT_SIPI;
	if (mp != KVM_MP_STATE_INIT_RECEIVED)
		return SMP_IGNORE;
	sregs->cs.selector = (uint16_t)(vector << 8);
	sregs->cs.base = (uint64_t)vector << 12;
	regs->rip = 0;
	return SMP_START;
	/* END EXERCISE 3.sipi */
}

/* Act on what an INIT or SIPI does: the new state and registers. */
static int smp_do(struct vcpu *vcpu, bool sipi, uint8_t vector)
{
	struct kvm_sregs sregs = vcpu->reset_sregs;
	struct kvm_regs regs = vcpu->reset_regs;
	struct irqchip *ic = vcpu->vm->irq;
	enum smp_action a;
	int ret;

	a = smp_next(vcpu->mp, vcpu->index == 0, sipi, vector, &sregs, &regs);
	switch (a) {
	case SMP_IGNORE:
		irqchip_trace(ic, "cpu%u %s ignored", vcpu->index,
			      sipi ? "SIPI" : "INIT");
		return 0;
	case SMP_WAIT_SIPI:
		irqchip_trace(ic, "cpu%u INIT: waits for a SIPI", vcpu->index);
		vcpu->mp = KVM_MP_STATE_INIT_RECEIVED;
		return 0;
	case SMP_RESET:
		irqchip_trace(ic, "cpu%u INIT: restarts at the reset vector",
			      vcpu->index);
		break;
	case SMP_START:
		irqchip_trace(ic, "cpu%u starts at %04x:%04llx", vcpu->index,
			      sregs.cs.selector, (unsigned long long)regs.rip);
		break;
	}
	vcpu->mp = KVM_MP_STATE_RUNNABLE;
	ret = vcpu_set_sregs(vcpu, &sregs);
	return ret ? ret : vcpu_set_regs(vcpu, &regs);
}

/*
 * In the vCPU's thread: act on the INIT and SIPI left for it, INIT
 * first (the order of the INIT-SIPI-SIPI sequence). 0, or -errno when
 * KVM refuses the new registers.
 */
int smp_apply(struct vcpu *vcpu)
{
	unsigned int ev = atomic_exchange(&vcpu->events, 0);
	int ret = 0;

	if (ev & VCPU_EV_INIT)
		ret = smp_do(vcpu, false, 0);
	if (!ret && (ev & VCPU_EV_SIPI))
		ret = smp_do(vcpu, true, (uint8_t)atomic_load(&vcpu->sipi_vector));
	return ret;
}

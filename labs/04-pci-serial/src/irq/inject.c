/*
 * inject.c - handing interrupts to KVM (inject.h; book §3.2.4-3.2.8).
 *
 * Before each KVM_RUN the vCPU's thread asks its interrupt controller
 * what is pending and hands it to KVM, as §3.2.8 describes KVM doing it
 * for its own in-kernel controllers:
 *
 *   --irqchip=user   our local APIC holds the vCPU's interrupts. An NMI
 *                    goes to KVM_NMI. A maskable interrupt may only be
 *                    given with KVM_INTERRUPT when the vCPU can take it
 *                    at once (KVM queues it, and injects it at the next
 *                    entry whatever RFLAGS.IF says): otherwise we ask for
 *                    an interrupt window, and KVM exits with
 *                    KVM_EXIT_IRQ_WINDOW_OPEN as soon as the guest can
 *                    take one. TPR and CR8 are one register: we hand our
 *                    TPR to KVM in kvm_run->cr8 and take back what the
 *                    guest put in CR8;
 *   --irqchip=split  the local APIC is KVM's; the 8259A is ours, and its
 *                    ExtINT interrupts for vCPU 0 go the same way;
 *   --irqchip=kernel KVM does it all.
 *
 * With --irqchip=user the vCPU may also have nothing to run: it halted,
 * or it is an AP waiting for INIT and SIPI (src/irq/halt.c,
 * src/cpu/smp.c). That is settled first.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/err.h"
#include "core/vm.h"
#include "cpu/smp.h"
#include "irq/halt.h"
#include "irq/inject.h"
#include "irq/irqchip.h"

/*
 * The interrupt-window decision, on the kvm_run page of the last exit:
 * returns the vector to inject now with KVM_INTERRUPT, or INJECT_NONE,
 * and sets run->request_interrupt_window as the next KVM_RUN needs it.
 */
int inject_decide(struct kvm_run *run, struct lapic *l, struct pic *pic)
{
	/* EXERCISE 3.inject: The interrupt window.
	 *
	 * `l` is the vCPU's local APIC (lapic.h: lapic_pending(),
	 * lapic_ack(); the vector of an ExtINT comes from the 8259A pair
	 * `pic`, pic_inta()) and `run` the kvm_run page as KVM left it at
	 * the last exit. Return the vector that KVM_INTERRUPT is to inject
	 * before the next KVM_RUN, taken from the controllers as the CPU's
	 * interrupt acknowledge would take it, or INJECT_NONE; and leave
	 * run->request_interrupt_window set exactly when an interrupt waits
	 * that the vCPU could take but cannot take now, so that KVM exits
	 * to us (KVM_EXIT_IRQ_WINDOW_OPEN) as soon as it can.
	 *
	 * Read: book §3.2.4-3.2.8; the KVM API documentation
	 * (Documentation/virt/kvm/api.rst): KVM_INTERRUPT, and in struct
	 * kvm_run request_interrupt_window, ready_for_interrupt_injection
	 * and if_flag; Intel SDM vol. 3A, 6.8.1 (masking with IF) and 10.8
	 * (the local APIC's acknowledge, IRR and ISR).
	 *
	 * Tests: unit.inject guest.pic-timer.user guest.pic-cascade.user
	 *	guest.pic-rotate.user guest.apic-timer.user
	 *	guest.ioapic-level.user guest.ipi-pingpong.user
	 *	guest.msi.user guest.irq-nonsense.user guest.irq-storm.user
	 * Stub: (void)l; (void)pic;
	 *	run->request_interrupt_window = 0;
	 *	return INJECT_NONE;
	 */
	int v = lapic_pending(l);

	if (v == LAPIC_NONE) {
		run->request_interrupt_window = 0;
		return INJECT_NONE;
	}
	if (!run->ready_for_interrupt_injection || !run->if_flag) {
		run->request_interrupt_window = 1;
		return INJECT_NONE;
	}
	v = lapic_ack(l);
	if (v == LAPIC_EXTINT)
		v = pic_inta(pic);
	run->request_interrupt_window = lapic_pending(l) != LAPIC_NONE;
	return v;
	/* END EXERCISE 3.inject */
}

/*
 * Split mode: the 8259A's INT (`intr`) reaches vCPU 0 as an ExtINT
 * through KVM's local APIC, whose LINT0 KVM checks itself: KVM then
 * reports the vCPU ready only when it may take one.
 */
int inject_extint(struct kvm_run *run, struct pic *pic, bool intr)
{
	if (!intr) {
		run->request_interrupt_window = 0;
		return INJECT_NONE;
	}
	if (!run->ready_for_interrupt_injection || !run->if_flag) {
		run->request_interrupt_window = 1;
		return INJECT_NONE;
	}
	run->request_interrupt_window = 0;
	return pic_inta(pic);
}

static int inject_irq(struct vcpu *vcpu, int vector, bool extint)
{
	struct kvm_interrupt irq = { .irq = (uint32_t)vector };

	irqchip_trace(vcpu->vm->irq, "cpu%u inject vector 0x%02x%s", vcpu->index,
		      vector, extint ? " (ExtINT from the 8259A)" : "");
	vcpu->st.injected++;
	if (extint)
		vcpu->st.extint++;
	if (ioctl(vcpu->fd, KVM_INTERRUPT, &irq) < 0)
		return err_set(-errno, "KVM_INTERRUPT: %s", strerror(errno));
	return 0;
}

static int inject_nmi(struct vcpu *vcpu)
{
	irqchip_trace(vcpu->vm->irq, "cpu%u inject NMI", vcpu->index);
	vcpu->st.nmis++;
	if (ioctl(vcpu->fd, KVM_NMI) < 0)
		return err_set(-errno, "KVM_NMI: %s", strerror(errno));
	return 0;
}

/* Until the vCPU has something to run: INIT, SIPI, the end of a HLT. */
static int inject_wait(struct vcpu *vcpu)
{
	int ret = 0;

	for (;;) {
		ret = smp_apply(vcpu);
		if (ret || vm_stopped(vcpu->vm))
			return ret;
		if (vcpu->mp == KVM_MP_STATE_HALTED && halt_can_wake(vcpu)) {
			irqchip_trace(vcpu->vm->irq, "cpu%u wakes up", vcpu->index);
			vcpu->mp = KVM_MP_STATE_RUNNABLE;
		}
		if (vcpu->mp == KVM_MP_STATE_RUNNABLE)
			return 0;
		halt_wait(vcpu);
	}
}

/* Count and trace a window request when it starts, not at every entry. */
static void inject_window_news(struct vcpu *vcpu, bool was)
{
	struct kvm_run *run = vcpu->run;

	if (!run->request_interrupt_window || was)
		return;
	vcpu->st.windows++;
	irqchip_trace(vcpu->vm->irq, "cpu%u interrupt window requested (IF=%d, %s)",
		      vcpu->index, run->if_flag,
		      run->ready_for_interrupt_injection ? "ready" : "not ready");
}

static int inject_user(struct vcpu *vcpu)
{
	struct irqchip *ic = vcpu->vm->irq;
	struct lapic *l = irqchip_lapic(ic, vcpu);
	struct kvm_run *run = vcpu->run;
	int ret, v, extint;
	bool window;

	ret = inject_wait(vcpu);
	if (ret || vm_stopped(vcpu->vm))
		return ret;
	/* excerpt: inject-user */
	if (lapic_take_nmi(l)) {
		ret = inject_nmi(vcpu);
		if (ret)
			return ret;
	}
	extint = lapic_pending(l) == LAPIC_EXTINT;
	window = run->request_interrupt_window;
	v = inject_decide(run, l, &ic->pic);
	inject_window_news(vcpu, window);
	if (v != INJECT_NONE)
		ret = inject_irq(vcpu, v, extint);
	run->cr8 = lapic_get_cr8(l);
	/* end excerpt: inject-user */
	return ret;
}

static int inject_split(struct vcpu *vcpu)
{
	struct irqchip *ic = vcpu->vm->irq;
	struct kvm_run *run = vcpu->run;
	bool window = run->request_interrupt_window;
	int v;

	if (vcpu->index != 0)
		return 0;
	v = inject_extint(run, &ic->pic, atomic_load(&ic->extint));
	inject_window_news(vcpu, window);
	return v == INJECT_NONE ? 0 : inject_irq(vcpu, v, true);
}

/* Before KVM_RUN: what the vCPU must take first. 0 or -errno. */
int inject_before_run(struct vcpu *vcpu)
{
	struct irqchip *ic = vcpu->vm->irq;

	if (!ic)
		return 0;
	if (ic->mode != IRQCHIP_USER && atomic_exchange(&vcpu->probe, false))
		halt_probe(vcpu);
	switch (ic->mode) {
	case IRQCHIP_USER:
		return inject_user(vcpu);
	case IRQCHIP_SPLIT:
		return inject_split(vcpu);
	case IRQCHIP_KERNEL:
		break;
	}
	return 0;
}

/* After KVM_RUN: the guest may have written CR8 (64-bit guests only). */
void inject_after_run(struct vcpu *vcpu)
{
	struct irqchip *ic = vcpu->vm->irq;

	if (ic && ic->mode == IRQCHIP_USER)
		lapic_set_cr8(irqchip_lapic(ic, vcpu), (uint8_t)vcpu->run->cr8);
}

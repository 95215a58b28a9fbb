/*
 * halt.c - a vCPU with nothing to run (halt.h; book §3.2.4, §1.4).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/kick.h"
#include "core/vm.h"
#include "irq/halt.h"
#include "irq/irqchip.h"

/* KVM_EXIT_HLT: the guest's HLT is done; the vCPU waits for an interrupt. */
void halt_enter(struct vcpu *vcpu)
{
	vcpu->mp = KVM_MP_STATE_HALTED;
	vcpu->halt_if = vcpu->run->if_flag;
	vcpu->st.halts++;
	irqchip_trace(vcpu->vm->irq, "cpu%u halted with IF=%d", vcpu->index,
		      vcpu->halt_if);
}

/*
 * Could the vCPU go on? A halted one wakes for an NMI, an INIT or a
 * SIPI, and, with IF = 1, for an interrupt its local APIC would deliver
 * now; one waiting for INIT or SIPI only for those.
 */
bool halt_can_wake(struct vcpu *vcpu)
{
	unsigned int ev = atomic_load(&vcpu->events);
	struct lapic *l = irqchip_lapic(vcpu->vm->irq, vcpu);

	switch (vcpu->mp) {
	case KVM_MP_STATE_RUNNABLE:
		return true;
	case KVM_MP_STATE_HALTED:
		if (ev || lapic_nmi_pending(l))
			return true;
		return vcpu->halt_if && lapic_pending(l) != LAPIC_NONE;
	default:
		return ev != 0;
	}
}

/* Is any vCPU halted with IF = 1 (as opposed to IF = 0, or waiting for SIPI)? */
static bool halt_any_if(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].mp == KVM_MP_STATE_HALTED && vm->vcpus[i].halt_if)
			return true;
	return false;
}

/* Every vCPU is asleep: could a timer still wake one of them? */
static bool halt_may_wake(struct vm *vm)
{
	return irqchip_may_fire(vm->irq, !halt_any_if(vm));
}

static void halt_end(struct vm *vm, bool any_if)
{
	fflush(stdout);
	fprintf(stderr, "vmm: every vCPU is halted %s: nothing can wake them\n",
		any_if ? "and no timer is armed" : "with interrupts off");
	vm_stop(vm, VMM_EXIT_HALT);	/* which wakes the others */
}

/*
 * Sleep until halt_can_wake(), or the VM stops. The last vCPU to go to
 * sleep first checks whether anything could wake the VM again, and ends
 * the run if nothing can.
 */
void halt_wait(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool check = true;
	uint64_t gen = 0;

	while (!vm_stopped(vm) && !halt_can_wake(vcpu)) {
		if (kick_park(vcpu, check, &gen) == KICK_WOKEN) {
			check = true;
			continue;
		}
		if (!halt_may_wake(vm) && kick_still_idle(vm, vcpu, gen)) {
			halt_end(vm, halt_any_if(vm));
			return;
		}
		check = false;	/* a timer may: sleep until it kicks */
	}
}

/* ---- the local APICs in KVM: the watch and the probe ---- */

/* The timer thread, every HALT_WATCH_NS: has any vCPU exited to us? */
void halt_watch(void *opaque)
{
	struct irqchip *ic = opaque;
	struct vm *vm = ic->vm;
	uint64_t seen = 0;
	unsigned int i;

	timers_set(&ic->timers, ic->watch_timer, timers_now_ns() + HALT_WATCH_NS);
	for (i = 0; i < vm->nr_vcpus; i++)
		seen += atomic_load(&vm->vcpus[i].activity);
	if (seen != ic->watch_seen || atomic_load(&ic->probe_left)) {
		ic->watch_seen = seen;
		atomic_store(&ic->watch_idle, 0);
		return;
	}
	atomic_store(&ic->probe_busy, false);
	atomic_store(&ic->probe_left, vm->nr_vcpus);
	for (i = 0; i < vm->nr_vcpus; i++) {
		atomic_store(&vm->vcpus[i].probe, true);
		kick_vcpu(&vm->vcpus[i]);
	}
}

/* The vCPU's LINT0 in NMI mode: KVM's 8259A or ours could NMI it. */
static bool halt_lint0_nmi(struct vcpu *vcpu)
{
	struct kvm_lapic_state ls;
	uint32_t lvt;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &ls) < 0)
		return true;
	memcpy(&lvt, &ls.regs[LAPIC_LVT_LINT0], 4);
	return !(lvt & LAPIC_LVT_MASKED) && ((lvt >> 8) & 7) == APIC_DM_NMI;
}

/*
 * In the vCPU's thread, out of KVM_RUN: asleep for good, as far as this
 * vCPU can tell? Halted with IF = 0, no NMI pending and none that its
 * LINT0 could bring; or an AP still waiting to be started.
 */
static bool halt_asleep(struct vcpu *vcpu)
{
	struct kvm_mp_state mp;
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return false;
	if (mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
	    mp.mp_state == KVM_MP_STATE_INIT_RECEIVED)
		return true;
	if (mp.mp_state != KVM_MP_STATE_HALTED ||
	    ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return false;
	return !(regs.rflags & (1u << 9)) && !ev.nmi.pending &&
	       !ev.nmi.injected && !halt_lint0_nmi(vcpu);
}

/* An I/O APIC pin in NMI mode: ours (split) or KVM's (kernel). */
static bool halt_ioapic_nmi(struct irqchip *ic)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	unsigned int pin;
	uint64_t rte;

	if (ic->mode == IRQCHIP_KERNEL &&
	    ioctl(ic->vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
		return true;
	for (pin = 0; pin < IOAPIC_PINS; pin++) {
		rte = ic->mode == IRQCHIP_KERNEL ? chip.chip.ioapic.redirtbl[pin].bits :
		      ioapic_rte(&ic->ioapic, pin);
		if (!(rte & IOAPIC_RTE_MASKED) && ((rte >> 8) & 7) == APIC_DM_NMI)
			return true;
	}
	return false;
}

/* The probe's vote; the last voter decides (two idle probes in a row). */
void halt_probe(struct vcpu *vcpu)
{
	struct irqchip *ic = vcpu->vm->irq;
	unsigned int idle;

	vcpu->st.probes++;
	if (!halt_asleep(vcpu))
		atomic_store(&ic->probe_busy, true);
	if (atomic_fetch_sub(&ic->probe_left, 1) != 1)
		return;
	if (atomic_load(&ic->probe_busy) || halt_ioapic_nmi(ic)) {
		atomic_store(&ic->watch_idle, 0);
		return;
	}
	idle = atomic_fetch_add(&ic->watch_idle, 1) + 1;
	irqchip_trace(ic, "probe: every vCPU asleep with interrupts off (%u in a row)",
		      idle);
	if (idle >= 2)
		halt_end(vcpu->vm, false);
}

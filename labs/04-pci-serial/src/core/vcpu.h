/*
 * vcpu.h - a virtual CPU: its KVM file descriptor, its kvm_run page, and
 * the state the VMM keeps for it (book §1.5.4-1.5.6).
 *
 * A vCPU belongs to the thread that runs it (vm.h, "Who owns what"):
 * nothing here is locked. Devices get the vCPU whose access they answer
 * (bus.h) and read or change its registers with the helpers below.
 */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#include "core/stats.h"
#include "cpu/loader.h"
#include "cpu/msr.h"

struct vm;

/* Requests another thread leaves for the vCPU's thread (vcpu->events). */
#define VCPU_EV_INIT	0x1u	/* INIT arrived (src/cpu/smp.c) */
#define VCPU_EV_SIPI	0x2u	/* a start-up IPI arrived, vector in sipi_vector */

struct vcpu {
	struct vm *vm;
	unsigned int index;		/* 0 .. nr_vcpus - 1, also its APIC ID */
	int fd;
	struct kvm_run *run;
	size_t run_size;		/* the mmap'ed size of *run */
	struct msr_state msr;		/* the MSRs handled in user space */
	bool trace;			/* --trace */
	bool stats;			/* --stats */
	uint64_t nr_exits;
	struct stats st;
	/*
	 * Lab 03: the vCPU's thread and how other threads reach it. The
	 * thread owns everything above and `mp`; other threads only set
	 * `events` and `sipi_vector` (atomics) and kick it (src/core/kick.c,
	 * whose lock guards `thread_live`, `parked` and `kicked`).
	 */
	pthread_t thread;
	bool thread_live;		/* kicks may be sent to `thread` */
	bool parked;			/* asleep in kick_park() */
	bool kicked;			/* woken since it last looked */
	unsigned int mp;		/* KVM_MP_STATE_*, with --irqchip=user */
	bool halt_if;			/* RFLAGS.IF when it halted */
	atomic_uint events;		/* VCPU_EV_* */
	atomic_bool probe;		/* src/irq/halt.c asks: asleep? */
	atomic_ullong activity;		/* exits other than kicks */
	atomic_uint sipi_vector;
	struct kvm_regs reset_regs;	/* KVM's state at power-on, for INIT */
	struct kvm_sregs reset_sregs;	/* and SIPI (src/cpu/smp.c) */
	char err[256];			/* why its run loop failed */
};

void vcpu_init(struct vcpu *vcpu, struct vm *vm, unsigned int index);
int vcpu_create(struct vcpu *vcpu);
int vcpu_create_all(struct vm *vm, const struct boot_info *bi);
int vcpu_setup(struct vcpu *vcpu, const struct boot_info *bi);
void vcpu_destroy(struct vcpu *vcpu);
int vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs);
int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs);
int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs);
int vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs);
int vcpu_cpuid_entry(struct vcpu *vcpu, uint32_t function,
		     struct kvm_cpuid_entry2 *out);
void vcpu_dump(struct vcpu *vcpu, FILE *out);

#endif

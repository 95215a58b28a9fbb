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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#include "core/stats.h"
#include "cpu/loader.h"
#include "cpu/msr.h"

struct vm;

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

/*
/* @@ ..01 */
 * vm.h - the machine: one VM, its RAM, its buses and its one vCPU.
/* @@ else */
 * vm.h - the machine: one VM, its memory map, its buses and its one vCPU.
/* @@ end */
 *
 * The three levels of the KVM API (book §1.5) show up as three file
 * descriptors: kvm_fd for /dev/kvm (system ioctls), vm_fd for the VM
 * (memory, devices), vcpu->fd for the vCPU (registers, KVM_RUN).
/* @@ 02 */
 * Guest memory is several memslots, described by the memory map (book
 * §2.2, src/memmap.h).
/* @@ end */
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#include "bus.h"
/* @@ 02 */
#include "memmap.h"
/* @@ end */

/* How a run ends; see guests/README.md, "How a VMM run ends". */
#define VMM_EXIT_HALT		0
#define VMM_EXIT_USAGE		2
#define VMM_EXIT_GUEST_CRASH	4
#define VMM_EXIT_HOST		6

#define STATS_MAX_REASON	64

struct stats {
	uint64_t exits[STATS_MAX_REASON];	/* by KVM_EXIT_* reason */
	uint64_t ns_guest;			/* inside KVM_RUN */
	uint64_t ns_total;			/* the whole run loop */
};

struct vm;

struct vcpu {
	struct vm *vm;
	int fd;
	struct kvm_run *run;
	size_t run_size;		/* the mmap'ed size of *run */
	bool trace;
	bool stats;
	uint64_t nr_exits;
	struct stats st;
};

struct vm {
	int kvm_fd;
	int vm_fd;
	/* @@ ..01 */
	uint8_t *ram;
	uint64_t ram_size;
	/* @@ else */
	struct memmap mem;		/* the memslots, also the E820 map */
	uint8_t *ram;			/* host address of guest-physical 0... */
	uint64_t ram_size;		/* ...contiguous up to here (the PCI hole) */
	/* @@ end */
	struct bus pio;
	struct bus mmio;
	struct vcpu vcpu;
	struct msr_state *msr;		/* the MSRs handled in user space */
	/* @@ 02 */
	struct uffd *uffd;		/* demand population, when on */
	/* @@ end */
	bool stopped;
	int exit_status;
};

void vm_stop(struct vm *vm, int status);
void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len);
/* @@ 02 */
int vcpu_cpuid_entry(struct vcpu *vcpu, uint32_t function,
		     struct kvm_cpuid_entry2 *out);
/* @@ end */

#endif

/*
 * machine.h - the machine's devices, in one table (core/machine.c).
 *
 * Each device is an entry: a name and an init function, plus the hooks
 * it needs. The VMM starts them in the table's order and stops them in
 * the reverse order; main() knows none of them by name.
 *
 *   init   before KVM is opened: allocate the device's state, claim its
 *          bus ranges, prepare guest memory. The guest image is loaded
 *          (vm->boot). -ENOEXEC means the guest file is unusable (the
 *          user's mistake: exit status 2); any other error is the host's.
/* @@ 03 */
 *   kvm    optional: after KVM_CREATE_VM, before the vCPUs (what KVM
 *          wants made first: an in-kernel interrupt controller).
/* @@ end */
 *   start  optional: after the vCPUs are set up, before the first
 *          KVM_RUN (a device that needs a vCPU's registers or KVM).
 *   stats  optional: the device's lines of --stats, after the run.
/* @@ 04 */
 *   stop   optional: after the run, before any device's exit: stop the
 *          threads that call into other devices (the timer thread).
/* @@ end */
 *   exit   optional: undo init and free the state; without it the
 *          state is simply freed.
 */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H

#include <stdio.h>

struct vm;

struct machine_device {
	const char *name;
	int (*init)(struct vm *vm, void **state);
	/* @@ 03 */
	int (*kvm)(void *state, struct vm *vm);
	/* @@ end */
	int (*start)(void *state, struct vm *vm);
	void (*stats)(void *state, FILE *out);
	/* @@ 04 */
	void (*stop)(void *state, struct vm *vm);
	/* @@ end */
	void (*exit)(void *state, struct vm *vm);
};

int machine_init(struct vm *vm);
/* @@ 03 */
int machine_kvm(struct vm *vm);
/* @@ end */
int machine_start(struct vm *vm);
void machine_stats(struct vm *vm, FILE *out);
void machine_exit(struct vm *vm);

#endif

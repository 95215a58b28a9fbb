/*
 * vm.h - the machine: one VM, its memory map, its buses and its vCPUs.
 *
 * The three levels of the KVM API (book §1.5) show up as three kinds of
 * file descriptor: kvm_fd for /dev/kvm (system ioctls), vm_fd for the VM
 * (memory, devices), and each vCPU's fd (registers, KVM_RUN; vcpu.h).
 * Guest memory is several memslots, described by the memory map (book
 * §2.2, src/mem/memmap.h).
 *
 * Who owns what, and the locking rule
 * -----------------------------------
 * The VM's state is shared by every thread of the VMM:
 *   - the memory (fds, RAM, memslots) and the device table: written
 *     before the first vCPU runs and after the last one stopped, only
 *     read in between;
 *   - the memory map, which the DIMM and dirty-log devices change while
 *     the guest runs: only from the thread of the vCPU that asked (the
 *     fault thread of --demand-above keeps its own list of regions). A
 *     stage with more than one vCPU thread guards it with a lock;
 *   - the buses: each guards its table with its own lock (bus.h), and
 *     calls a handler without that lock;
 *   - the stop request: an atomic (vm_stop(), vm_stopped()); the first
 *     stop wins and sets the exit status.
 * Each vCPU (vcpu.h) belongs to the thread that runs it: its fd, its
 * kvm_run page, its registers, its MSRs, its --trace and --stats
 * counters. Another thread only reads them after the run (--stats).
 * From lab 03 every vCPU has a thread of its own (vm_run()); another
 * thread reaches a vCPU only by leaving it a request (vcpu->events) and
 * kicking it (src/core/kick.c): vm->kick_lock guards who sleeps and who
 * was woken.
 * Each device owns its state; a device that vCPU threads can reach at
 * the same time guards it with a lock of its own.
 * The locking rule. Locks are taken in one order: a device's lock, then
 * a bus's lock. bus_register(), bus_unregister() and bus_move() take
 * only the bus's lock and call no handler, so a device may call them
 * holding its own lock (a PCI device moving a BAR); bus_read() and
 * bus_write() call a handler, which may take another device's lock, so
 * no lock is held across them; a bus holds its lock only inside bus.c.
 * The interrupt controllers' locks come in their own order (PIT, then
 * the interrupt lines, the GSI router, the PIC or the I/O APIC, a local
 * APIC: src/irq/irqchip.h); the timers' lock and vm->kick_lock come
 * last of all, taken only to record a deadline or to wake a vCPU.
 * No lock is held across KVM_RUN. The error message of err.h is per
 * thread.
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#include "core/bus.h"
#include "core/vcpu.h"
#include "mem/memmap.h"

/* How a run ends; see guests/README.md, "How a VMM run ends". */
#define VMM_EXIT_HALT		0
#define VMM_EXIT_USAGE		2
#define VMM_EXIT_GUEST_CRASH	4
#define VMM_EXIT_HOST		6
#define VMM_EXIT_UNHANDLED	8	/* an exit the VMM does not handle */

#define VMM_MAX_CPUS		8
#define VM_RUNNING		(-1)	/* vm->status until vm_stop() */
#define KVM_DEV_DEFAULT		"/dev/kvm"

struct boot_info;
struct irqchip;
struct pcibus;
struct options;
struct uffd;

struct vm {
	int kvm_fd;
	int vm_fd;
	struct memmap mem;		/* the memslots, also the E820 map */
	uint8_t *ram;			/* host address of guest-physical 0... */
	uint64_t ram_size;		/* ...contiguous up to here (the PCI hole) */
	struct bus pio;
	struct bus mmio;
	struct vcpu vcpus[VMM_MAX_CPUS];
	unsigned int nr_vcpus;		/* vcpus[0] is the boot processor */
	const struct options *opt;	/* the command line, for the devices */
	const struct boot_info *boot;	/* the guest as loaded */
	void **dev;			/* each device's state (core/machine.c) */
	unsigned int nr_dev;		/* the devices started so far */
	struct uffd *uffd;		/* demand population, when on */
	atomic_int status;		/* VM_RUNNING, or the exit status */
	struct irqchip *irq;		/* the interrupt controllers (src/irq/) */
	pthread_mutex_t kick_lock;	/* src/core/kick.c */
	pthread_cond_t kick_cond;	/* a parked vCPU waits on it */
	uint64_t kick_gen;		/* kicks so far, under kick_lock */
	struct pcibus *pci;		/* the PCI bus (src/pci/pcibus.h) */
	unsigned int coalesced_page;	/* KVM's ring of queued writes in kvm_run's
					 * mapping, in pages; 0: none (core/coalesce.c) */
	atomic_ullong nr_coalesced;	/* the writes replayed from it */
};

void vm_init(struct vm *vm, const struct options *opt);
int vm_open_kvm(struct vm *vm, const char *path);
int vm_alloc_ram(struct vm *vm, uint64_t size);
int vm_create(struct vm *vm);
int vm_run(struct vm *vm);
void vm_stop(struct vm *vm, int status);
bool vm_stopped(struct vm *vm);
int vm_exit_status(struct vm *vm);
void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len);
void vm_destroy(struct vm *vm);

#endif

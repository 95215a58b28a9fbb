/*
 * vm.c - opening KVM, creating the VM and its memory, running it and
 * stopping it (book §1.5.1-1.5.2; the memslots of §2.2 come from
 * src/mem/memmap.c).
 *
 * Everything here is an ioctl on the system or the VM file descriptor.
 * Each failure becomes one message that says which step failed and,
 * where it can, what to do about it. The vCPUs are in vcpu.c, the run
 * loop in run.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/err.h"
#include "core/kick.h"
#include "core/options.h"
#include "core/run.h"
#include "core/vm.h"
#include "cpu/msr.h"

/* Where KVM may put the TSS it needs for real mode on older Intel CPUs. */
#define KVM_TSS_ADDR		0xfffbd000UL

static const struct {
	int cap;
	const char *name;
	const char *why;
} kvm_required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "the CPUID table" },
	{ KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR",
	  "MSRs handled by the VMM (Linux 5.10 or later)" },
	{ KVM_CAP_X86_MSR_FILTER, "KVM_CAP_X86_MSR_FILTER",
	  "the MSR filter (Linux 5.10 or later)" },
	{ KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM", "the BIOS ROM" },
};

static int kvm_open_error(const char *path, int e)
{
	if (e == ENOENT)
		return err_set(-e,
			       "%s does not exist: enable VT-x or AMD-V in the firmware and load kvm_intel or kvm_amd (or run the tests in the lab machine: make check RUNNER=qemu)",
			       path);
	if (e == EACCES || e == EPERM)
		return err_set(-e,
			       "cannot open %s: permission denied; add yourself to group kvm (sudo usermod -aG kvm $USER) and log in again",
			       path);
	return err_set(-e, "cannot open %s: %s", path, strerror(e));
}

/*
 * A VM with nothing in it yet: no file descriptors, empty buses, one vCPU
 * to be made (vcpus[0], the boot processor). `opt` may be NULL (a unit
 * test); the devices read their options from it.
 */
void vm_init(struct vm *vm, const struct options *opt)
{
	unsigned int i;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
	vm->opt = opt;
	bus_init(&vm->pio, "port");
	bus_init(&vm->mmio, "mmio");
	vm->nr_vcpus = opt ? opt->cpus : 1;
	kick_init(vm);
	for (i = 0; i < VMM_MAX_CPUS; i++)
		vcpu_init(&vm->vcpus[i], vm, i);
	atomic_init(&vm->status, VM_RUNNING);
}

/* Open the KVM device at `path` and check that it has what we need. */
int vm_open_kvm(struct vm *vm, const char *path)
{
	unsigned int i;
	int version;

	vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return kvm_open_error(path, errno);

	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return err_set(-EINVAL, "%s speaks KVM API version %d, we need %d",
			       path, version, KVM_API_VERSION);

	for (i = 0; i < sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
			  kvm_required_caps[i].cap) <= 0)
			return err_set(-ENOTSUP, "KVM lacks %s, needed for %s",
				       kvm_required_caps[i].name,
				       kvm_required_caps[i].why);
	}
	return 0;
}

/* Lay out `size` bytes of RAM as a PC would (src/mem/memmap.c) and map it. */
int vm_alloc_ram(struct vm *vm, uint64_t size)
{
	int ret = memmap_build(&vm->mem, size);

	if (!ret)
		ret = memmap_alloc(&vm->mem);
	if (ret)
		return ret;
	vm->ram = vm->mem.base;
	vm->ram_size = memmap_low_top(&vm->mem);
	return 0;
}

int vm_create(struct vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE,
		.args[0] = 1,		/* on */
	};
	int ret;

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return err_set(-errno, "KVM_CREATE_VM: %s", strerror(errno));

	/* Intel CPUs without "unrestricted guest" run real mode through a TSS. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0)
		return err_set(-errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));

	/* One memslot per entry of the memory map. */
	ret = memmap_install(&vm->mem, vm->vm_fd);
	if (ret)
		return ret;

	/* Optional: with it, an emulation failure reports the instruction bytes. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
		  KVM_CAP_EXIT_ON_EMULATION_FAILURE) > 0)
		ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap);

	return msr_filter_install(vm->vm_fd, !vm->opt ||
				  vm->opt->irqchip == IRQCHIP_USER);
}

/*
 * A vCPU's thread: its run loop. A failure stops the whole VM, and its
 * message (err.h's is per thread) is kept for vm_run().
 */
static void *vm_vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	int ret;

	kick_bind(vcpu);
	ret = vcpu_run(vcpu);
	kick_unbind(vcpu);
	if (ret < 0) {
		snprintf(vcpu->err, sizeof(vcpu->err), "vCPU %u: %s",
			 vcpu->index, err_msg());
		vm_stop(vcpu->vm, VMM_EXIT_HOST);
	}
	return (void *)(intptr_t)ret;
}

/*
 * Run the vCPUs until the VM stops, one thread each (vCPU 0 in the
 * calling thread): 0, or -errno when a vCPU could not go on (err_msg()
 * says why, for the first that failed).
 */
int vm_run(struct vm *vm)
{
	unsigned int i, started = 1;
	void *res;
	int ret = kick_install(), first = 0;

	for (i = 1; !ret && i < vm->nr_vcpus; i++) {
		ret = -pthread_create(&vm->vcpus[i].thread, NULL, vm_vcpu_thread,
				      &vm->vcpus[i]);
		if (ret)
			err_set(ret, "cannot start the thread of vCPU %u: %s", i,
				strerror(-ret));
		else
			started++;
	}
	if (ret) {
		vm_stop(vm, VMM_EXIT_HOST);
		first = ret;
	} else {
		first = (int)(intptr_t)vm_vcpu_thread(&vm->vcpus[0]);
	}
	for (i = 1; i < started; i++) {
		pthread_join(vm->vcpus[i].thread, &res);
		if (!first && (intptr_t)res)
			first = (int)(intptr_t)res;
	}
	for (i = 0; i < vm->nr_vcpus && first; i++)
		if (vm->vcpus[i].err[0])
			return err_set(first, "%s", vm->vcpus[i].err);
	return first;
}

/*
 * Ask every vCPU to stop after its current exit; the run ends with
 * `status`. Any thread may call it, any number of times: the first
 * call's status is the one that counts. A vCPU in the guest notices at
 * its next exit.
 */
void vm_stop(struct vm *vm, int status)
{
	int running = VM_RUNNING;

	atomic_compare_exchange_strong(&vm->status, &running, status);
	/* Lab 03: a vCPU asleep, or in KVM_RUN, must notice now. */
	kick_all(vm);
}

bool vm_stopped(struct vm *vm)
{
	return atomic_load(&vm->status) != VM_RUNNING;
}

/* The status the first vm_stop() gave (VM_RUNNING if none yet). */
int vm_exit_status(struct vm *vm)
{
	return atomic_load(&vm->status);
}

/*
 * Guest memory at [gpa, gpa + len) as the VMM sees it, or NULL unless
 * all of it is inside one region of the memory map (RAM, EBDA, ROM or
 * a DIMM).
 */
void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len)
{
	return memmap_hva(&vm->mem, gpa, len);
}

/*
 * Close and free everything, after machine_exit(): the devices (the
 * fault thread of --demand-above among them) are gone before the memory.
 */
void vm_destroy(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	memmap_free(&vm->mem);
	vm->ram = NULL;
}

/*
 * kvm.c - opening KVM, creating the VM, its memory and its vCPU
/* @@ ..01 */
 * (book §1.5.1-1.5.3).
/* @@ else */
 * (book §1.5.1-1.5.3; the memslots of §2.2 come from src/memmap.c).
/* @@ end */
 *
 * Everything here is an ioctl on one of three file descriptors. Each
 * failure becomes one message that says which step failed and, where it
 * can, what to do about it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot.h"
#include "cpuid.h"
#include "err.h"
#include "kvm.h"
#include "msr.h"
/* @@ 02 */
#include "uffd.h"
/* @@ end */

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
	/* @@ 02 */
	{ KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM", "the BIOS ROM" },
	/* @@ end */
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

int kvm_open(struct vm *vm, const char *path)
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

/* @@ ..01 */
int vm_alloc_ram(struct vm *vm, uint64_t size)
{
	/* NORESERVE: untouched guest pages cost the host nothing. */
	void *ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (ram == MAP_FAILED)
		return err_set(-errno, "cannot allocate %llu bytes of guest RAM: %s",
			       (unsigned long long)size, strerror(errno));
	vm->ram = ram;
	vm->ram_size = size;
	return 0;
}
/* @@ else */
/* Lay out `size` bytes of RAM as a PC would (src/memmap.c) and map it. */
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
/* @@ end */

int vm_create(struct vm *vm)
{
	/* @@ ..01 */
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->ram_size,
		.userspace_addr = (uintptr_t)vm->ram,
	};
	/* @@ end */
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE };
	/* @@ 02 */
	int ret;
	/* @@ end */

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return err_set(-errno, "KVM_CREATE_VM: %s", strerror(errno));

	/* Intel CPUs without "unrestricted guest" run real mode through a TSS. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0)
		return err_set(-errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));

	/* @@ ..01 */
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return err_set(-errno, "KVM_SET_USER_MEMORY_REGION: %s",
			       strerror(errno));
	/* @@ else */
	/* One memslot per entry of the memory map. */
	ret = memmap_install(&vm->mem, vm->vm_fd);
	if (ret)
		return ret;
	/* @@ end */

	/* Optional: with it, an emulation failure reports the instruction bytes. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
		  KVM_CAP_EXIT_ON_EMULATION_FAILURE) > 0)
		ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap);

	return msr_filter_install(vm->vm_fd);
}

int vcpu_create(struct vm *vm)
{
	struct vcpu *vcpu = &vm->vcpu;
	int size;

	vcpu->vm = vm;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu->fd < 0)
		return err_set(-errno, "KVM_CREATE_VCPU: %s", strerror(errno));

	/* The kvm_run page is shared with the kernel: exits are read from it. */
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return err_set(-EINVAL, "KVM_GET_VCPU_MMAP_SIZE: %s",
			       size < 0 ? strerror(errno) : "too small");
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		return err_set(-errno, "mmap of kvm_run: %s", strerror(errno));
	}
	vcpu->run_size = size;
	return 0;
}

static int vcpu_set_cpuid(struct vcpu *vcpu)
{
	struct kvm_cpuid2 *supported, *table;
	int ret;

	ret = cpuid_get_supported(vcpu->vm->kvm_fd, &supported);
	if (ret)
		return ret;
	table = cpuid_build(supported);
	free(supported);
	if (!table)
		return err_set(-ENOMEM, "cannot build the CPUID table");
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, table);
	free(table);
	if (ret < 0)
		return err_set(-errno, "KVM_SET_CPUID2: %s", strerror(errno));
	return 0;
}
/* @@ 02 */

/*
 * Lab 02: the entry for leaf `function` of the CPUID table the vCPU got:
 * 0, or -ENOENT when it has none, or -errno when KVM cannot say.
 */
int vcpu_cpuid_entry(struct vcpu *vcpu, uint32_t function,
		     struct kvm_cpuid_entry2 *out)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[256];
	} buf = { .c.nent = 256 };
	unsigned int i;

	if (ioctl(vcpu->fd, KVM_GET_CPUID2, &buf) < 0)
		return -errno;
	for (i = 0; i < buf.c.nent && i < 256; i++) {
		if (buf.e[i].function == function) {
			*out = buf.e[i];
			return 0;
		}
	}
	return -ENOENT;
}
/* @@ end */

int vcpu_setup(struct vcpu *vcpu, const struct boot_info *bi)
{
	struct vm *vm = vcpu->vm;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int ret;

	ret = vcpu_set_cpuid(vcpu);
	if (ret)
		return ret;

	/* Start from KVM's reset state and change what the format needs. */
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return err_set(-errno, "KVM_GET_SREGS: %s", strerror(errno));
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		return err_set(-errno, "KVM_GET_REGS: %s", strerror(errno));

	switch (bi->format) {
	case GUEST_FLAT:
		boot_real_mode(&sregs, &regs, 0, (uint16_t)bi->entry);
		break;
	case GUEST_MULTIBOOT:
		ret = boot_gdt_build(vm->ram, vm->ram_size, 0);
		if (ret)
			return ret;
		boot_protected_mode(&sregs, &regs, (uint32_t)bi->entry,
				    0x2badb002U, (uint32_t)bi->mb_info);
		break;
	case GUEST_ELF64:
		ret = boot_gdt_build(vm->ram, vm->ram_size, 1);
		if (!ret)
			ret = pt_build(vm->ram, vm->ram_size);
		/* @@ 02 */
		/* Lab 02: RAM and DIMMs above 4 GiB are identity-mapped too. */
		if (!ret)
			ret = pt_extend(vm->ram, vm->ram_size, memmap_top(&vm->mem));
		/* @@ end */
		if (ret)
			return ret;
		boot_long_mode(&sregs, &regs, bi->entry);
		break;
	}

	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return err_set(-errno, "KVM_SET_SREGS: %s", strerror(errno));
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return err_set(-errno, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

/* Ask the run loop to stop after this exit; the run ends with `status`. */
void vm_stop(struct vm *vm, int status)
{
	vm->stopped = true;
	vm->exit_status = status;
}

/* @@ ..01 */
/* Guest RAM at [gpa, gpa + len), or NULL if any of it is outside RAM. */
void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return vm->ram + gpa;
}
/* @@ else */
/*
 * Guest memory at [gpa, gpa + len) as the VMM sees it, or NULL unless
 * all of it is inside one region of the memory map (RAM, EBDA, ROM or
 * a DIMM).
 */
void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len)
{
	return memmap_hva(&vm->mem, gpa, len);
}
/* @@ end */

void vm_destroy(struct vm *vm)
{
	if (vm->vcpu.run)
		munmap(vm->vcpu.run, vm->vcpu.run_size);
	if (vm->vcpu.fd >= 0)
		close(vm->vcpu.fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	/* @@ ..01 */
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	/* @@ else */
	/* The fault thread may be filling pages: stop it before they go. */
	if (vm->uffd)
		uffd_close(vm->uffd);
	memmap_free(&vm->mem);
	vm->ram = NULL;
	/* @@ end */
}

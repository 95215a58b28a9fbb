/*
 * vcpu.c - the vCPUs: creating them, their first state, their registers
 * (book §1.5.3-1.5.6).
 *
 * Each vCPU is a file descriptor of its own and a kvm_run page shared
 * with the kernel. The boot processor, vcpus[0], starts where the guest
 * image says (src/cpu/boot.c builds the state; this file hands it to
 * KVM). Devices read and change the registers of the vCPU that made an
 * access through vcpu_get_regs() and the other helpers here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/err.h"
#include "core/options.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "cpu/boot.h"
#include "cpu/cpuid.h"
#include "cpu/pt.h"
#include "cpu/smp.h"

/* A vCPU not made yet: no fd, no kvm_run page; its options from vm->opt. */
void vcpu_init(struct vcpu *vcpu, struct vm *vm, unsigned int index)
{
	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->fd = -1;
	msr_init(&vcpu->msr);
}

int vcpu_create(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	int size;

	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, vcpu->index);
	if (vcpu->fd < 0)
		return err_set(-errno, "KVM_CREATE_VCPU %u: %s", vcpu->index,
			       strerror(errno));

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
	if (table && cpuid_add_kvm(&table, supported)) {
		free(table);
		table = NULL;
	}
	free(supported);
	if (!table)
		return err_set(-ENOMEM, "cannot build the CPUID table");
	cpuid_set_apic(table, vcpu->index);
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, table);
	free(table);
	if (ret < 0)
		return err_set(-errno, "KVM_SET_CPUID2: %s", strerror(errno));
	return 0;
}

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

/* The registers of the vCPU, as KVM_GET_REGS and friends give them. */
int vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs)
{
	if (ioctl(vcpu->fd, KVM_GET_REGS, regs) < 0)
		return err_set(-errno, "KVM_GET_REGS: %s", strerror(errno));
	return 0;
}

int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs)
{
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0)
		return err_set(-errno, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs)
{
	if (ioctl(vcpu->fd, KVM_GET_SREGS, sregs) < 0)
		return err_set(-errno, "KVM_GET_SREGS: %s", strerror(errno));
	return 0;
}

int vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs)
{
	if (ioctl(vcpu->fd, KVM_SET_SREGS, sregs) < 0)
		return err_set(-errno, "KVM_SET_SREGS: %s", strerror(errno));
	return 0;
}

/* The first state of the boot processor, for the guest format in bi. */
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
	ret = vcpu_get_sregs(vcpu, &sregs);
	if (!ret)
		ret = vcpu_get_regs(vcpu, &regs);
	if (ret)
		return ret;

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
		/* Lab 02: RAM and DIMMs above 4 GiB are identity-mapped too. */
		if (!ret)
			ret = pt_extend(vm->ram, vm->ram_size, memmap_top(&vm->mem));
		if (ret)
			return ret;
		boot_long_mode(&sregs, &regs, bi->entry);
		break;
	case GUEST_BZIMAGE:
		/* Lab 04: Linux's 64-bit entry, as the loader planned it. */
		bzimage_set_vcpu(&bi->linux_regs, &sregs, &regs);
		break;
	}

	ret = vcpu_set_sregs(vcpu, &sregs);
	if (!ret)
		ret = vcpu_set_regs(vcpu, &regs);
	return ret;
}

/*
 * Lab 03: an application processor. It keeps KVM's power-on state for
 * INIT and SIPI (src/cpu/smp.c) and waits for them: in our own MP state
 * with --irqchip=user, in KVM's otherwise (where KVM already puts an AP
 * in UNINITIALIZED; we say so, so that the code shows it).
 */
static int vcpu_setup_ap(struct vcpu *vcpu)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_UNINITIALIZED };
	int ret = vcpu_set_cpuid(vcpu);

	if (ret)
		return ret;
	if (vcpu->vm->opt && vcpu->vm->opt->irqchip != IRQCHIP_USER &&
	    ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		return err_set(-errno, "KVM_SET_MP_STATE: %s", strerror(errno));
	return 0;
}

/*
 * Make the VM's vCPUs (vm->nr_vcpus of them) and give each its first
 * state: the boot processor starts the guest as bi says, the others
 * wait for it to start them.
 */
int vcpu_create_all(struct vm *vm, const struct boot_info *bi)
{
	unsigned int i;
	int ret;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		vcpu->trace = vm->opt && vm->opt->trace;
		vcpu->stats = vm->opt && vm->opt->stats;
		ret = vcpu_create(vcpu);
		if (!ret)
			ret = vcpu_get_regs(vcpu, &vcpu->reset_regs);
		if (!ret)
			ret = vcpu_get_sregs(vcpu, &vcpu->reset_sregs);
		if (!ret && i > 0)
			ret = vcpu_setup_ap(vcpu);
		if (ret)
			return ret;
		smp_init_state(vcpu);
	}
	return vcpu_setup(&vm->vcpus[0], bi);
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

static void dump_seg(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out, "vmm:   %s %04x base %016llx limit %08x type %x%s%s%s\n",
		name, s->selector, (unsigned long long)s->base, s->limit,
		s->type, s->l ? " L" : "", s->db ? " D" : "",
		s->present ? "" : " not-present");
}

/* The registers, for a report of how the guest crashed. */
void vcpu_dump(struct vcpu *vcpu, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (vcpu->fd < 0 || ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(out, "vmm: registers unavailable\n");
		return;
	}
	fprintf(out, "vmm: registers at the exit:\n");
	fprintf(out, "vmm:   rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
		r.rax, r.rbx, r.rcx, r.rdx);
	fprintf(out, "vmm:   rsi %016llx rdi %016llx rsp %016llx rbp %016llx\n",
		r.rsi, r.rdi, r.rsp, r.rbp);
	fprintf(out, "vmm:   r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n",
		r.r8, r.r9, r.r10, r.r11);
	fprintf(out, "vmm:   r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n",
		r.r12, r.r13, r.r14, r.r15);
	fprintf(out, "vmm:   rip %016llx rflags %08llx\n", r.rip, r.rflags);
	dump_seg(out, "cs", &s.cs);
	dump_seg(out, "ds", &s.ds);
	dump_seg(out, "ss", &s.ss);
	fprintf(out, "vmm:   cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx\n",
		s.cr0, s.cr2, s.cr3, s.cr4);
	fprintf(out, "vmm:   efer %llx gdt %llx/%x idt %llx/%x\n", s.efer,
		s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
}

/*
 * msr.c - an MSR with side effects, handled in user space (book §1.3.3).
 *
 * RDMSR and WRMSR are privileged and always trap; KVM emulates the MSRs
 * it knows. With an MSR filter (KVM_X86_SET_MSR_FILTER) the VMM takes
 * chosen indices for itself: KVM exits with KVM_EXIT_X86_RDMSR/WRMSR,
 * the VMM fills in the value or asks for a #GP, and KVM finishes the
 * instruction on the next KVM_RUN.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "core/err.h"
#include "cpu/msr.h"

void msr_init(struct msr_state *ms)
{
	ms->scratch = MSR_VMMLAB_INITIAL;
}

/*
 * Lab 03: with apic_base, IA32_APIC_BASE comes to us too, for our local
 * APIC (--irqchip=user; KVM's own local APIC handles it otherwise).
 */
int msr_filter_install(int vm_fd, bool apic_base)
{
	/* A clear bit in the bitmap means "deny", which sends the access to us. */
	static uint8_t deny[1];
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args[0] = KVM_MSR_EXIT_REASON_FILTER,
	};
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges[0] = {
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = 1,
			.base = MSR_VMMLAB_SCRATCH,
			.bitmap = deny,
		},
		.ranges[1] = {
			.flags = apic_base ? KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE : 0,
			.nmsrs = apic_base ? 1 : 0,
			.base = MSR_IA32_APIC_BASE,
			.bitmap = deny,
		},
	};

	if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return err_set(-errno, "KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR): %s",
			       strerror(errno));
	if (ioctl(vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0)
		return err_set(-errno, "KVM_X86_SET_MSR_FILTER: %s",
			       strerror(errno));
	return 0;
}

/* 0 on success; -EINVAL means "inject #GP", as the real CPU would. */
int msr_read(struct msr_state *ms, uint32_t index, uint64_t *value)
{
	if (index != MSR_VMMLAB_SCRATCH)
		return -EINVAL;
	*value = ms->scratch;
	return 0;
}

int msr_write(struct msr_state *ms, uint32_t index, uint64_t value)
{
	if (index != MSR_VMMLAB_SCRATCH || (value & MSR_VMMLAB_RESERVED))
		return -EINVAL;
	ms->scratch = value;
	return 0;
}

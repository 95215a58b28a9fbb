/*
 * cpuid.h - the CPUID table the guest sees (book §1.3.2).
 */
#ifndef VMM_CPUID_H
#define VMM_CPUID_H

#include <stdint.h>
#include <linux/kvm.h>
#include <asm/kvm_para.h>

#define CPUID_HV_BASE		0x40000000U	/* hypervisor leaves start here */
#define CPUID_HV_FEATURES	0x40000001U
#define CPUID_HV_RANGE_END	0x4fffffffU
#define CPUID_1_ECX_HYPERVISOR	(1U << 31)
#define CPUID_SIGNATURE		"vmmlabvmmlab"

struct kvm_cpuid2 *cpuid_build(const struct kvm_cpuid2 *supported);
int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out);

/* Leaf 1: EBX bits 31-24 the initial APIC ID; ECX x2APIC and TSC deadline. */
#define CPUID_1_ECX_X2APIC		(1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE	(1U << 24)
#define CPUID_1_EDX_APIC		(1U << 9)

void cpuid_set_apic(struct kvm_cpuid2 *c, unsigned int apic_id);

/*
 * Lab 04: KVM's paravirtual leaves (Documentation/virt/kvm/x86/cpuid.rst),
 * at the next hypervisor base after ours: guests and KVM look for a
 * signature at 0x40000000 and then every 0x100 up to 0x4000FF00.
 */
#define CPUID_KVM_BASE		0x40000100U
#define CPUID_KVM_FEATURES	0x40000101U
/* What we pass on of KVM's features: its clock, and no I/O delays. */
#define CPUID_KVM_GIVEN	(1U << KVM_FEATURE_CLOCKSOURCE | \
			 1U << KVM_FEATURE_NOP_IO_DELAY | \
			 1U << KVM_FEATURE_CLOCKSOURCE2 | \
			 1U << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT)

int cpuid_add_kvm(struct kvm_cpuid2 **c, const struct kvm_cpuid2 *supported);

#endif

/*
 * cpuid.c - the CPUID table given to KVM_SET_CPUID2 (book §1.3.2).
 *
 * CPUID is the classic "sensitive" instruction: it always exits to the
 * hypervisor, so the VMM decides what the guest is told. We start from
 * what KVM can virtualize (KVM_GET_SUPPORTED_CPUID), say that a
 * hypervisor is present (leaf 1, ECX bit 31) and add our own leaves at
 * 0x40000000, where guests look for a hypervisor's signature.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/err.h"
#include "cpu/cpuid.h"

int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out)
{
	unsigned int nent = 64;

	/* KVM says E2BIG until the buffer is big enough. */
	for (;;) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return err_set(-ENOMEM, "no memory for the CPUID table");
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*out = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG || nent >= 4096)
			return err_set(-errno, "KVM_GET_SUPPORTED_CPUID: %s",
				       strerror(errno));
		nent *= 2;
	}
}

struct kvm_cpuid2 *cpuid_build(const struct kvm_cpuid2 *supported)
{
	/* EXERCISE 1.cpuid: The CPUID table the guest sees.
	 *
	 * cpuid_build() - the table to give KVM_SET_CPUID2: what KVM can
	 * virtualize, plus a hypervisor that says who it is.
	 *	In: supported, as KVM_GET_SUPPORTED_CPUID gave it (unchanged).
	 *	Out: a new table, allocated with calloc() (the caller frees it),
	 *	  that holds every entry of supported, every field as it was,
	 *	  except: none in the hypervisor range, CPUID_HV_BASE to
	 *	  CPUID_HV_RANGE_END (KVM describes itself there, and this VMM
	 *	  is the hypervisor the guest sees); leaf 1 with ECX bit 31 set
	 *	  (CPUID_1_ECX_HYPERVISOR: a hypervisor is present). And two
	 *	  entries of the VMM's own (index, flags and padding 0): leaf
	 *	  CPUID_HV_BASE with EAX = the highest hypervisor leaf there is
	 *	  and EBX, ECX, EDX = the 12 bytes of CPUID_SIGNATURE, and that
	 *	  highest leaf, CPUID_HV_FEATURES, all zero (no features). The
	 *	  order of the entries does not matter to KVM; nent is their
	 *	  number.
	 *	Returns the table, or NULL when memory runs out.
	 *
	 * Read: Intel SDM vol. 2A, CPUID (leaf 01H, ECX bit 31; "hypervisor
	 * use" of leaves 40000000H-4FFFFFFFH); the KVM API document,
	 * KVM_GET_SUPPORTED_CPUID and KVM_SET_CPUID2, and
	 * Documentation/virt/kvm/x86/cpuid.rst (how a guest finds its
	 * hypervisor). guests/README.md has the platform's leaves. Until
	 * this is written, KVM's own table is passed through unchanged.
	 *
	 * Tests: unit.cpuid guest.cpuid
	 * Stub: size_t n = supported->nent * sizeof(supported->entries[0]);
	 * struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n);
	 *
	 * if (c) {
	 *	c->nent = supported->nent;
	 *	memcpy(c->entries, supported->entries, n);
	 * }
	 * return c;
	 */
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	unsigned int i;

	c = calloc(1, sizeof(*c) + (supported->nent + 2) * sizeof(c->entries[0]));
	if (!c)
		return NULL;
	for (i = 0; i < supported->nent; i++) {
		const struct kvm_cpuid_entry2 *s = &supported->entries[i];

		if (s->function >= CPUID_HV_BASE &&
		    s->function <= CPUID_HV_RANGE_END)
			continue;
		e = &c->entries[c->nent++];
		*e = *s;
		if (e->function == 1)
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
	}

	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = CPUID_HV_BASE;
	e->eax = CPUID_HV_FEATURES;
	memcpy(&e->ebx, &CPUID_SIGNATURE[0], 4);
	memcpy(&e->ecx, &CPUID_SIGNATURE[4], 4);
	memcpy(&e->edx, &CPUID_SIGNATURE[8], 4);

	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = CPUID_HV_FEATURES;
	return c;
	/* END EXERCISE 1.cpuid */
}
/* @@ 03 */

/*
 * Lab 03: what each processor's CPUID says of its local APIC (Intel SDM
 * vol. 2A, CPUID leaves 1 and 0Bh): its initial APIC ID, that it has
 * one, and that it is an xAPIC: our local APIC has neither x2APIC mode
 * nor the TSC-deadline timer, and the platform is the same in every
 * --irqchip mode, so neither is advertised.
 */
void cpuid_set_apic(struct kvm_cpuid2 *c, unsigned int apic_id)
{
	struct kvm_cpuid_entry2 *e;
	unsigned int i;

	for (i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffffU) | apic_id << 24;
			e->ecx &= ~(CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE);
			e->edx |= CPUID_1_EDX_APIC;
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = apic_id;	/* the x2APIC ID, every subleaf */
		}
	}
}
/* @@ end */
/* @@ 04 */

/*
 * Lab 04: KVM's own paravirtual interface, beside ours. Linux on KVM
 * reads the time from kvm-clock, a structure KVM keeps up to date in
 * guest memory once the guest names its address in an MSR that KVM
 * handles without us (MSR_KVM_SYSTEM_TIME_NEW): the TSC's frequency,
 * and a clock that does not depend on timer interrupts arriving. Without
 * it Linux must measure the TSC against the PIT (a platform without
 * HPET or ACPI's PM timer has no other reference), and on a slow or
 * loaded host that fails: the kernel then marks the TSC unstable and
 * keeps time in jiffies. A guest finds KVM by its signature in the
 * hypervisor range, at 0x40000000 or every 0x100 after it (and so does
 * KVM itself, in the table we give it); ours has 0x40000000, so KVM's
 * leaves go to CPUID_KVM_BASE.
 *
 * Of KVM's features we give only those that KVM keeps entirely by itself
 * and that mean the same in every --irqchip mode: kvm-clock (both MSR
 * pairs, and the stable bit) and the hint that port I/O needs no delay
 * (our devices answer at once). Not the rest: PV EOI, PV unhalt, PV IPIs,
 * directed yield and async page faults' "page ready" interrupt need
 * KVM's local APIC, which --irqchip=user does not have; steal time, poll
 * control and the extended MSI destination ID are not part of this
 * platform.
 */
static const struct kvm_cpuid_entry2 *kvm_leaf(const struct kvm_cpuid2 *s,
					       uint32_t function)
{
	unsigned int i;

	for (i = 0; i < s->nent; i++)
		if (s->entries[i].function == function)
			return &s->entries[i];
	return NULL;
}

/*
 * cpuid_add_kvm() - append KVM's two leaves to *c (reallocated).
 *	When KVM offers no paravirtual leaves (no "KVMKVMKVM" at
 *	0x40000000 in supported), *c is left as it is.
 *	Returns 0, or -ENOMEM (then *c is unchanged).
 */
int cpuid_add_kvm(struct kvm_cpuid2 **c, const struct kvm_cpuid2 *supported)
{
	const struct kvm_cpuid_entry2 *sig, *feat;
	struct kvm_cpuid2 *n;
	struct kvm_cpuid_entry2 *e;
	uint32_t name[3];

	sig = kvm_leaf(supported, KVM_CPUID_SIGNATURE);
	memcpy(name, KVM_SIGNATURE, sizeof(name));
	if (!sig || sig->ebx != name[0] || sig->ecx != name[1] ||
	    sig->edx != name[2])
		return 0;
	feat = kvm_leaf(supported, KVM_CPUID_FEATURES);

	n = realloc(*c, sizeof(*n) + ((*c)->nent + 2) * sizeof(n->entries[0]));
	if (!n)
		return -ENOMEM;
	*c = n;
	e = &n->entries[n->nent++];
	memset(e, 0, sizeof(*e));
	e->function = CPUID_KVM_BASE;
	e->eax = CPUID_KVM_FEATURES;
	e->ebx = name[0];
	e->ecx = name[1];
	e->edx = name[2];

	e = &n->entries[n->nent++];
	memset(e, 0, sizeof(*e));
	e->function = CPUID_KVM_FEATURES;
	e->eax = feat ? feat->eax & CPUID_KVM_GIVEN : 0;
	return 0;
}
/* @@ end */

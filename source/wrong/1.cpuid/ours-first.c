/* Right 1.cpuid: the VMM's two leaves first, then KVM's, filtered.
 *
 * KVM does not care about the order of the entries: the tests must not
 * either.
 *
 * Passes: unit.cpuid guest.cpuid
 */
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	unsigned int i;

	c = calloc(1, sizeof(*c) + (supported->nent + 2) * sizeof(c->entries[0]));
	if (!c)
		return NULL;
	e = &c->entries[c->nent++];
	e->function = CPUID_HV_BASE;
	e->eax = CPUID_HV_FEATURES;
	memcpy(&e->ebx, &CPUID_SIGNATURE[0], 4);
	memcpy(&e->ecx, &CPUID_SIGNATURE[4], 4);
	memcpy(&e->edx, &CPUID_SIGNATURE[8], 4);
	e = &c->entries[c->nent++];
	e->function = CPUID_HV_FEATURES;
	for (i = 0; i < supported->nent; i++) {
		const struct kvm_cpuid_entry2 *s = &supported->entries[i];

		if (s->function >= CPUID_HV_BASE && s->function <= CPUID_HV_RANGE_END)
			continue;
		e = &c->entries[c->nent++];
		*e = *s;
		if (e->function == 1)
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
	}
	return c;

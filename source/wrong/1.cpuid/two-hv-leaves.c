/* Wrong 1.cpuid: drops KVM's leaves 0x40000000 and 0x40000001 only.
 *
 * Those are the two it knows; KVM may describe itself in more of the
 * range, which then stays in the guest's table beside ours.
 *
 * Fails: unit.cpuid
 */
--- find
		if (s->function >= CPUID_HV_BASE &&
		    s->function <= CPUID_HV_RANGE_END)
			continue;
+++ replace
		if (s->function == CPUID_HV_BASE ||
		    s->function == CPUID_HV_FEATURES)
			continue;

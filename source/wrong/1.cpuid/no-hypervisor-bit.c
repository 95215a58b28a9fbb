/* Wrong 1.cpuid: the hypervisor leaves, but not leaf 1's bit 31.
 *
 * A guest that looks for a hypervisor checks that bit first, and never
 * reads the signature.
 *
 * Fails: unit.cpuid guest.cpuid
 */
--- find
		if (e->function == 1)
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
+++ replace

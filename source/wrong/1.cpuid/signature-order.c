/* Wrong 1.cpuid: the signature in EBX, EDX, ECX order.
 *
 * The order of CPUID leaf 0's vendor string ("Genu", "ineI", "ntel" in
 * EBX, EDX, ECX), not that of the hypervisor leaf.
 *
 * Fails: unit.cpuid guest.cpuid
 */
--- find
	memcpy(&e->ecx, &CPUID_SIGNATURE[4], 4);
	memcpy(&e->edx, &CPUID_SIGNATURE[8], 4);
+++ replace
	memcpy(&e->edx, &CPUID_SIGNATURE[4], 4);
	memcpy(&e->ecx, &CPUID_SIGNATURE[8], 4);

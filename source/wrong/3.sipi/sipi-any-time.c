/* Wrong 3.sipi: every SIPI starts the processor, waiting for one or not.
 *
 * Why a student writes it: the guest sends two SIPIs and starting at the
 * trampoline twice looked harmless.
 *
 * Fails: unit.sipi
 */
--- find
	if (mp != KVM_MP_STATE_INIT_RECEIVED)
		return SMP_IGNORE;
+++ replace
	(void)mp;

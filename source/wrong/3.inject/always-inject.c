/* Wrong 3.inject: injects whatever is pending, ready or not.
 *
 * Why a student writes it: KVM_INTERRUPT succeeds anyway, and the
 * guests that only take interrupts in HLT work.
 *
 * Fails: unit.inject guest.irq-storm.user
 */
--- find
	if (!run->ready_for_interrupt_injection || !run->if_flag) {
		run->request_interrupt_window = 1;
		return INJECT_NONE;
	}
+++ replace

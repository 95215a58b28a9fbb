/* Wrong 3.inject: never asks for an interrupt window.
 *
 * Why a student writes it: the next exit comes soon enough in every
 * guest that halts to wait, where the interrupt goes in at the HLT.
 *
 * Fails: unit.inject guest.irq-nonsense.user guest.irq-storm.user
 */
--- find
	if (!run->ready_for_interrupt_injection || !run->if_flag) {
		run->request_interrupt_window = 1;
		return INJECT_NONE;
	}
+++ replace
	if (!run->ready_for_interrupt_injection || !run->if_flag) {
		run->request_interrupt_window = 0;
		return INJECT_NONE;
	}

/* Wrong 3.inject: keeps the window open once it has asked for it.
 *
 * Why a student writes it: a window too many only costs an exit, and
 * every guest still passes.
 *
 * Fails: unit.inject
 */
--- find
	if (v == LAPIC_NONE) {
		run->request_interrupt_window = 0;
		return INJECT_NONE;
	}
+++ replace
	if (v == LAPIC_NONE)
		return INJECT_NONE;

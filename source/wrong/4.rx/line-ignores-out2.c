/* Wrong 4.rx: the interrupt line ignores MCR's OUT2 and loopback.
 *
 * Why a student writes it: the datasheet's INTRPT output is asserted
 * whenever an enabled interrupt is pending; the PC's gate on OUT2 and
 * the loopback's forcing of the outputs are in other sections.
 *
 * Fails: unit.uart-rx
 */
--- find
	int level = !(iir_now(u) & UART_IIR_NONE) &&
		    (u->mcr & UART_MCR_OUT2) && !(u->mcr & UART_MCR_LOOP);
+++ replace
	int level = !(iir_now(u) & UART_IIR_NONE);

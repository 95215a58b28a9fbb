/* Wrong 4.iir: every read of IIR clears the THR empty interrupt.
 *
 * Why a student writes it: "reading IIR clears THRE" taken without its
 * condition, as if the read acknowledged THRE whatever it identified.
 *
 * Fails: unit.uart-iir guest.uart-fifo.user guest.uart-fifo.split
 *	guest.uart-fifo.kernel
 */
--- find
	if (iir == UART_IIR_THRE)
		u->thre_pending = false;
+++ replace
	u->thre_pending = false;

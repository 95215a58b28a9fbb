/* Wrong 4.iir: a line status error is identified whatever IER says.
 *
 * Why a student writes it: an overrun looks too important to be masked,
 * and the table of interrupt control functions lists the error first;
 * but like every other source it needs its enable bit (ELSI).
 *
 * Fails: unit.uart-iir
 */
--- find
	if ((u->ier & UART_IER_ELSI) && u->lsr_err)
		return UART_IIR_RLS;
+++ replace
	if (u->lsr_err)
		return UART_IIR_RLS;

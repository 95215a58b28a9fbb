/* Wrong 4.iir: the character timeout ranks above received data available.
 *
 * Why a student writes it: both are priority 2 in the datasheet's table
 * (the timeout shares the received-data level), and the timeout was
 * written first because it looked like the harder case.
 *
 * Fails: unit.uart-iir
 */
--- find
	if ((u->ier & UART_IER_ERBFI) && u->rx_count &&
	    (!fifo_on(u) || u->rx_count >= trigger(u)))
		return UART_IIR_RDA;
	if ((u->ier & UART_IER_ERBFI) && u->timeout_pending)
		return UART_IIR_CTI;
+++ replace
	if ((u->ier & UART_IER_ERBFI) && u->timeout_pending)
		return UART_IIR_CTI;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count &&
	    (!fifo_on(u) || u->rx_count >= trigger(u)))
		return UART_IIR_RDA;

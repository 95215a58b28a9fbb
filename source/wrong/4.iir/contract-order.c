/* Wrong 4.iir: the causes ranked in the order the contract lists them.
 *
 * Why a student writes it: the contract names the five causes by their
 * IIR codes, lowest code first, and transcribing that list as the
 * priority order is the shortest way to a compiling iir_now(); the
 * order is the datasheet's table's, which this does not read.
 *
 * Fails: unit.uart-iir guest.uart-fifo.user
 *	guest.uart-fifo.split guest.uart-fifo.kernel
 */
--- find
	if ((u->ier & UART_IER_ELSI) && u->lsr_err)
		return UART_IIR_RLS;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count &&
	    (!fifo_on(u) || u->rx_count >= trigger(u)))
		return UART_IIR_RDA;
	if ((u->ier & UART_IER_ERBFI) && u->timeout_pending)
		return UART_IIR_CTI;
	if ((u->ier & UART_IER_ETBEI) && u->thre_pending)
		return UART_IIR_THRE;
	if ((u->ier & UART_IER_EDSSI) && (u->msr_delta & 0x0F))
		return UART_IIR_MSR;
	return UART_IIR_NONE;
+++ replace
	if ((u->ier & UART_IER_EDSSI) && (u->msr_delta & 0x0F))
		return UART_IIR_MSR;
	if ((u->ier & UART_IER_ETBEI) && u->thre_pending)
		return UART_IIR_THRE;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count &&
	    (!fifo_on(u) || u->rx_count >= trigger(u)))
		return UART_IIR_RDA;
	if ((u->ier & UART_IER_ELSI) && u->lsr_err)
		return UART_IIR_RLS;
	if ((u->ier & UART_IER_ERBFI) && u->timeout_pending)
		return UART_IIR_CTI;
	return UART_IIR_NONE;

/* Right 4.iir: the priorities as a table walked from the highest.
 *
 * Another correct solution: the causes in an array in the datasheet's
 * order, each with its enable bit and whether it is pending; the first
 * that is both wins. The tests must not mind how the order is written.
 *
 * Passes: unit.uart-iir unit.uart guest.uart-fifo.user
 */
--- find
static uint8_t iir_now(const struct uart *u)
{
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
}
+++ replace
static uint8_t iir_now(const struct uart *u)
{
	unsigned int n = u->rx_count;
	const struct {
		uint8_t enable, id;
		bool pending;
	} cause[] = {
		{ UART_IER_ELSI, UART_IIR_RLS, u->lsr_err != 0 },
		{ UART_IER_ERBFI, UART_IIR_RDA,
		  fifo_on(u) ? n >= trigger(u) : n > 0 },
		{ UART_IER_ERBFI, UART_IIR_CTI, u->timeout_pending },
		{ UART_IER_ETBEI, UART_IIR_THRE, u->thre_pending },
		{ UART_IER_EDSSI, UART_IIR_MSR, (u->msr_delta & 0x0F) != 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cause) / sizeof(cause[0]); i++)
		if ((u->ier & cause[i].enable) && cause[i].pending)
			return cause[i].id;
	return UART_IIR_NONE;
}

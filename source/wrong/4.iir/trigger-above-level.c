/* Wrong 4.iir: received data is identified only above the trigger level.
 *
 * Why a student writes it: "the FIFO reaches its trigger level" read as
 * "goes past it"; with trigger level 1 it looks like the FIFO must hold
 * two characters.
 *
 * Fails: unit.uart-iir guest.uart-fifo.user guest.uart-fifo.split
 *	guest.uart-fifo.kernel
 */
--- find
	    (!fifo_on(u) || u->rx_count >= trigger(u)))
		return UART_IIR_RDA;
+++ replace
	    (!fifo_on(u) || u->rx_count > trigger(u)))
		return UART_IIR_RDA;

/* Wrong 4.rx: a push that does not fit whole is refused whole.
 *
 * Why a student writes it: it seems simpler for the host to offer the
 * same buffer again than to track how much of it went in.
 *
 * Fails: unit.uart-rx
 */
--- find
	if (!(u->mcr & UART_MCR_LOOP))
		while (i < n && rx_put(u, buf[i]))
			i++;
+++ replace
	if (!(u->mcr & UART_MCR_LOOP) && u->rx_count + n <= rx_cap(u))
		while (i < n && rx_put(u, buf[i]))
			i++;

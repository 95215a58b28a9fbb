/* Wrong 4.rx: the host's bytes are taken in loopback too.
 *
 * Why a student writes it: loopback is about the transmitter's output,
 * and it is easy to forget that it also cuts the receiver from the line.
 *
 * Fails: unit.uart-rx unit.uart
 */
--- find
	if (!(u->mcr & UART_MCR_LOOP))
		while (i < n && rx_put(u, buf[i]))
			i++;
+++ replace
	while (i < n && rx_put(u, buf[i]))
		i++;

/* Wrong 4.rx: the host is never told that the receiver has room again.
 *
 * Why a student writes it: uart_rx_push() already returns how many bytes
 * it took, so the caller "knows"; but the caller sleeps until rx_ready()
 * and nobody wakes it.
 *
 * Fails: unit.uart-rx guest.uart-echo.user guest.uart-echo.split
 *	guest.uart-echo.kernel guest.uart-pipe
 */
--- find
		u->host_waiting = false;
		if (u->ops.rx_ready)
			u->ops.rx_ready(u->opaque);
+++ replace
		u->host_waiting = false;

/* Wrong 4.rx: an overrun with FIFOs puts the new character in the FIFO's last place.
 *
 * Why a student writes it: without FIFOs the new character does replace
 * the old one, and the same rule applied to the FIFO's newest entry
 * looks like the natural extension.
 *
 * Fails: unit.uart-rx guest.uart-fifo.user guest.uart-fifo.split
 *	guest.uart-fifo.kernel
 */
--- find
	if (!fifo_on(u) && u->rx_count) {
		u->rx[u->rx_head] = b;
		u->rx_activity_ns = now(u);
	}
+++ replace
	if (u->rx_count) {
		u->rx[(u->rx_head + u->rx_count - 1) % UART_FIFO] = b;
		u->rx_activity_ns = now(u);
	}

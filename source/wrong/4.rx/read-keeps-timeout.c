/* Wrong 4.rx: a read of RBR neither ends the timeout nor restarts its clock.
 *
 * Why a student writes it: reading RBR looks like it only takes a byte
 * out; the datasheet says the timeout is reset by a read of the FIFO,
 * in the section on FIFO interrupt mode.
 *
 * Fails: unit.uart-rx unit.uart-iir guest.uart-fifo.user
 *	guest.uart-fifo.split guest.uart-fifo.kernel
 */
--- find
	u->rx_activity_ns = now(u);
	u->timeout_pending = false;
	return u->rbr_last;
+++ replace
	return u->rbr_last;

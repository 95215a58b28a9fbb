/* Wrong 4.iir: reading LSR does not clear its error bits.
 *
 * Why a student writes it: LSR looks like a status to compute, and the
 * side effect of the read is in the datasheet's table of interrupts,
 * not beside LSR's bits.
 *
 * Fails: unit.uart-iir guest.uart-loopback guest.uart-fifo.user
 *	guest.uart-fifo.split guest.uart-fifo.kernel
 */
--- find
	uint8_t v = lsr_now(u);

	u->lsr_err = 0;
	return v;
+++ replace
	return lsr_now(u);

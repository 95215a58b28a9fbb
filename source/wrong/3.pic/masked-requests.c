/* Wrong 3.pic: a masked request still reaches INT.
 *
 * Why a student writes it: the IMR is read in the poll and OCW1 paths,
 * and the resolver was written from the IRR alone.
 *
 * Fails: unit.pic guest.pic-poll.user guest.pic-poll.split
 */
--- find
	irq = chip_highest(c, c->irr & ~c->imr);
+++ replace
	irq = chip_highest(c, c->irr);

/* Wrong 3.pic: a non-specific EOI ends the lowest-numbered level in service.
 *
 * Why a student writes it: "the highest priority" read as "IR0 first",
 * forgetting that rotation moves the priorities and that in special
 * mask mode masked levels do not count.
 *
 * Fails: unit.pic
 */
--- find
	uint8_t isr = c->smm ? c->isr & ~c->imr : c->isr;
	int ir = chip_highest(c, isr);
+++ replace
	uint8_t isr = c->isr;
	int ir = isr ? __builtin_ctz(isr) : -1;

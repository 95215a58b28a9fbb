/* Wrong 4.bars: the write mask only; write-1-to-clear bits never clear.
 *
 * Why a student writes it: the status bits are not in the write mask,
 * so "read-only except what the mask allows" seems to cover them; but
 * a driver clears a recorded error by writing 1 to it.
 *
 * Fails: unit.pci
 */
--- find
		f->cfg[r] &= (uint8_t)~(v & f->w1c[r]);
+++ replace

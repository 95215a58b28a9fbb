/* Wrong 4.bars: write-1-to-clear bits written like read-write ones.
 *
 * Why a student writes it: "the bits software may write" include the
 * status bits, and merging w1c[] into the write mask looks like the
 * whole story; a 1 written there then sets an error bit instead of
 * clearing it, and a 0 clears it.
 *
 * Fails: unit.pci
 */
--- find
		f->cfg[r] = (uint8_t)((f->cfg[r] & ~f->wmask[r]) |
				      (v & f->wmask[r]));
		f->cfg[r] &= (uint8_t)~(v & f->w1c[r]);
+++ replace
		uint8_t m = f->wmask[r] | f->w1c[r];

		f->cfg[r] = (uint8_t)((f->cfg[r] & ~m) | (v & m));

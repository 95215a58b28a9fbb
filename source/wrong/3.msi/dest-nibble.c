/* Wrong 3.msi: the destination is taken from address bits 15-12 only.
 *
 * Why a student writes it: an xAPIC's physical IDs fit in four bits in
 * the machines they know.
 *
 * Fails: unit.msi
 */
--- find
		.dest = (addr >> 12) & 0xFF,
+++ replace
		.dest = (addr >> 12) & 0xF,

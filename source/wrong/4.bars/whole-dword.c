/* Wrong 4.bars: every write taken as a dword at the aligned register.
 *
 * Why a student writes it: configuration registers are listed as
 * dwords, and the first guests write whole dwords; a byte write to the
 * interrupt line then clobbers the pin and more.
 *
 * Fails: unit.pci
 */
--- find
	for (i = 0; i < size; i++) {
		unsigned int r = reg + i;
+++ replace
	reg &= ~3u;
	(void)size;
	for (i = 0; i < 4; i++) {
		unsigned int r = reg + i;

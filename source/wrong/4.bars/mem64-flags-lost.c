/* Wrong 4.bars: a 64-bit BAR loses its prefetchable bit.
 *
 * Why a student writes it: the type bits of a 64-bit BAR are written
 * as a constant, and the prefetchable flag is remembered only for
 * 32-bit BARs, where the first tests looked.
 *
 * Fails: unit.pci
 */
--- find
		put32(&f->cfg[reg], flags | PCI_BAR_MEM64_FLAG);
+++ replace
		put32(&f->cfg[reg], PCI_BAR_MEM64_FLAG);

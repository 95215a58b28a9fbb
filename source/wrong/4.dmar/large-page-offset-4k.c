/* Wrong 4.dmar: a large page's address keeps the offset of a 4 KiB page.
 *
 * Why a student writes it: the first walk written maps 4 KiB pages
 * only, and the final address is then the entry's address plus the
 * iova's low 12 bits whatever the level that ended the walk.
 *
 * Fails: unit.dmar
 */
--- find
		x->addr = (e & addr_mask(d) & ~(size - 1)) | (iova & (size - 1));
+++ replace
		x->addr = (e & addr_mask(d)) | (iova & 0xFFF);

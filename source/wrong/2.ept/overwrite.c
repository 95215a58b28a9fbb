/* Wrong 2.ept: a GPA mapped twice silently takes the second mapping.
 *
 * Two memslots that overlap are a bug of the VMM's memory map: the EPT
 * must refuse the second, not let it win.
 *
 * Fails: unit.ept
 */
--- find
		if ((1ULL << shift) == page) {
			if (*slot & EPT_RWX)
				break;
+++ replace
		if ((1ULL << shift) == page) {

/* Wrong 4.dmar: pass-through ignores the input width.
 *
 * Why a student writes it: "pass-through" reads as "no checks at all";
 * the spec still limits the input address to what the unit can
 * address.
 *
 * Fails: unit.dmar
 */
--- find
	if (tt == DMAR_CTX_TT_PASSTHROUGH) {
		if (iova >> d->haw)
			return DMAR_FR_ADDR_BEYOND_AGAW;
+++ replace
	if (tt == DMAR_CTX_TT_PASSTHROUGH) {

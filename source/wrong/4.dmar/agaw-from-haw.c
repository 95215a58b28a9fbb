/* Wrong 4.dmar: the iova is checked against 52 bits, not the context's AW.
 *
 * Why a student writes it: HAW and AGAW are both "address widths", and
 * with the tables at hand a 48-bit iova is simply a walk that faults
 * somewhere; the spec has it fault first, ADDR_BEYOND_AGAW.
 *
 * Fails: unit.dmar
 */
--- find
	if (iova >> (aw == DMAR_CTX_AW_39 ? 39 : 48))
		return DMAR_FR_ADDR_BEYOND_AGAW;
+++ replace
	if (iova >> 52)
		return DMAR_FR_ADDR_BEYOND_AGAW;

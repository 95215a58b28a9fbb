/* Wrong 3.sipi: CS base = vector << 8, the selector's value.
 *
 * Why a student writes it: in real mode "CS = vector * 0x100", and the
 * base looked like the same number. (Our guests survive it: from 0x800
 * the AP runs through zeros, harmless ADDs, to the trampoline at 0x8000.
 * Only the unit test sees it.)
 *
 * Fails: unit.sipi
 */
--- find
	sregs->cs.base = (uint64_t)vector << 12;
+++ replace
	sregs->cs.base = (uint64_t)vector << 8;

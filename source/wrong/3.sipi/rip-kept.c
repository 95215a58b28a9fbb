/* Wrong 3.sipi: CS is set from the vector, IP stays at its power-on value.
 *
 * Why a student writes it: "the SIPI sets CS", and the reset state was
 * taken to be right for everything else. (Our guests survive it: from
 * IP 0xFFF0 the AP runs through zeros, which are harmless ADDs, wraps
 * to IP 0 and arrives at the trampoline. Only the unit test sees it.)
 *
 * Fails: unit.sipi
 */
--- find
	regs->rip = 0;
+++ replace
	(void)regs;

/* Wrong 3.sipi: INIT puts every processor in wait-for-SIPI, the BSP too.
 *
 * Why a student writes it: the APs are the ones the lab starts, and
 * INIT is "what comes before the SIPI".
 *
 * Fails: unit.sipi
 */
--- find
	if (!sipi)
		return bsp ? SMP_RESET : SMP_WAIT_SIPI;
+++ replace
	(void)bsp;
	if (!sipi)
		return SMP_WAIT_SIPI;

/* Wrong 1.dispatch: sets msr.error only when the access is refused.
 *
 * The page starts with error = 0 on the first MSR exit, so the guest's
 * own checks pass; but the page is reused, and after one refused access
 * every later good one would carry the old 1 and raise a #GP.
 *
 * Fails: unit.dispatch
 */
--- find
	run->msr.error = ret ? 1 : 0;	/* 1: KVM injects #GP */
+++ replace
	if (ret)
		run->msr.error = 1;

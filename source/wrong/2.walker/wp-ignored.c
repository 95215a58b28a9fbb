/* Wrong 2.walker: a supervisor write to a read-only page always allowed.
 *
 * True with CR0.WP = 0, the 8086-era default; every modern kernel sets
 * WP, and then the supervisor obeys R/W too.
 *
 * Fails: unit.pagewalk guest.pagewalk
 */
--- find
	    (user || (w->cpu->cr0 & PW_CR0_WP)))
+++ replace
	    user)

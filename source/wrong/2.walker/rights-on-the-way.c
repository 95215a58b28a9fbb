/* Wrong 2.walker: the rights checked at each level, on the way down.
 *
 * A read-only entry above a not-present one then gives a protection
 * fault (P = 1) where the CPU reports the not-present entry (P = 0): the
 * SDM checks the combined rights once, at the leaf.
 *
 * Fails: unit.pagewalk
 */
--- find
		pw_rights_add(w, e);
		if (level == 1 || (level <= 3 && (e & PW_PTE_PS))) {
+++ replace
		pw_rights_add(w, e);
		ret = pw_rights(w);
		if (ret)
			return ret;
		if (level == 1 || (level <= 3 && (e & PW_PTE_PS))) {

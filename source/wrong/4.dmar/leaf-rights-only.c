/* Wrong 4.dmar: the rights are the leaf's alone.
 *
 * Why a student writes it: in the tables a student builds first every
 * non-leaf entry has R and W set, so only the leaf's bits seem to
 * matter; the spec's rule is the AND over the whole walk.
 *
 * Fails: unit.dmar
 */
--- find
		r = r && (e & DMAR_SL_R);
		w = w && (e & DMAR_SL_W);
+++ replace
		r = e & DMAR_SL_R;
		w = e & DMAR_SL_W;

/* Wrong 2.shadow: a fault on an entry that was right already, ignored.
 *
 * Nothing changed in the shadow, so nothing seems to be flushed; but the
 * fault means a stale copy (the TLB, or KVM's own shadow of our tables)
 * is still in use, and only a flush removes it.
 *
 * Fails: unit.shadow
 */
--- find
	if (s->nr_changes == changes) {
		s->st.spurious++;
		s->need_flush = true;
	}
+++ replace
	(void)changes;

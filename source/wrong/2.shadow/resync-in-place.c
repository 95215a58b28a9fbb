/* Right 2.shadow: a re-sync that brings changed entries up to date.
 *
 * Instead of dropping a changed leaf, it is filled again from the
 * guest's new entry when that entry already has A set (filling it
 * otherwise would let the CPU use it without the VMM setting A), which
 * saves the guest its next fault; a changed link is dropped as before.
 * The tests must accept it.
 *
 * Passes: unit.shadow guest.shadow guest.hostile-pv
 */
--- find
			shadow_zap(s, page, i);
			sp_snap(s, page)[i] = guest[i];
+++ replace
			sp_snap(s, page)[i] = guest[i];
			if (level == 1 && (guest[i] & PTE_P) && (guest[i] & PTE_A) &&
			    fill_leaf(s, page, i, (guest[i] & PTE_ADDR) / PAGE_SIZE,
				      guest[i], guest[i] & PTE_D, PW_READ) == 0)
				continue;
			shadow_zap(s, page, i);

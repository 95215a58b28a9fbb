/* Wrong 2.ept: leaves without a memory type.
 *
 * Memory type 0 is uncacheable: correct translations, but every guest
 * access to RAM would bypass the caches.
 *
 * Fails: unit.ept
 */
--- find
			*slot = hpa | perms | EPT_MT_WB << EPT_MT_SHIFT |
				(level > 1 ? EPT_PS : 0);
+++ replace
			*slot = hpa | perms | (level > 1 ? EPT_PS : 0);

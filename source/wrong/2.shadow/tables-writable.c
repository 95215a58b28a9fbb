/* Wrong 2.shadow: guest page tables mapped writable like any page.
 *
 * The guest's writes to its own tables then go unseen: nothing is out
 * of sync, nothing is re-synced, and the shadow keeps old translations.
 *
 * Fails: unit.shadow guest.shadow
 */
--- find
	if (writable && shadow_frame_protected(s, pfn)) {
+++ replace
	if (0) {

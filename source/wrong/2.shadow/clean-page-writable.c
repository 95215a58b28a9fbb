/* Wrong 2.shadow: a writable page mapped writable at once, clean or not.
 *
 * One fault less per page; but the CPU then writes the page through the
 * shadow without a fault, and the guest's D bit is never set.
 *
 * Fails: unit.shadow guest.shadow
 */
--- find
	bool writable = (rights & PTE_RW) && dirty;
+++ replace
	bool writable = (rights & PTE_RW) != 0;

	(void)dirty;

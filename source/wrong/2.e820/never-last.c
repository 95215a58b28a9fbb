/* Wrong 2.e820: the continuation after the last entry is not 0.
 *
 * EBX = 0 is how the caller knows the map ended; with the next index
 * instead, it asks once more and gets CF set.
 *
 * Fails: unit.e820 guest.e820 guest.e820-5g
 */
--- find
	index++;
	if (index == mm->nr)
		index = 0;
+++ replace
	index++;

/* Wrong 2.ept: the largest page alignment allows, whatever max_page says.
 *
 * A caller that asks for 4 KiB pages (to track them one by one, say)
 * gets 1 GiB ones.
 *
 * Fails: unit.ept
 */
--- find
		if (page <= max_page && !((gpa | hpa) & (page - 1)) &&
+++ replace
		if ((max_page || 1) && !((gpa | hpa) & (page - 1)) &&

/* Wrong 4.bootparams: initrd_addr_max taken as the end, not the last byte.
 *
 * Why a student writes it: "max address" reads like the end of a
 * range; boot.rst means the highest address the initrd may occupy, so
 * its last byte may sit on it.
 *
 * Fails: unit.bzimage
 */
--- find
		if (limit != UINT64_MAX && top > limit + 1)
			top = limit + 1;
+++ replace
		if (limit != UINT64_MAX && top > limit)
			top = limit;

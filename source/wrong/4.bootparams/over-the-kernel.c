/* Wrong 4.bootparams: the initrd at the top of RAM, kernel or not.
 *
 * Why a student writes it: with a kernel at 16 MiB and 256 MiB of RAM
 * the top is always free; with less RAM, or a large init_size, the
 * initrd lands on the kernel's memory.
 *
 * Fails: unit.bzimage
 */
--- find
			if (a < k1 && a + size > k0) {
				top = k0;	/* try below the kernel */
				continue;
			}
+++ replace
			(void)k0;
			(void)k1;

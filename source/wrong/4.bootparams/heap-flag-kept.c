/* Wrong 4.bootparams: loadflags copied as the file has them.
 *
 * Why a student writes it: the header is copied whole first, and
 * CAN_USE_HEAP looks like the kernel's business; it is the loader's
 * claim that heap_end_ptr is valid, and this loader gives no heap.
 *
 * Fails: unit.bzimage
 */
--- find
	zp[BZ_LOADFLAGS] &= (uint8_t)~BZ_CAN_USE_HEAP;	/* no heap_end_ptr */
+++ replace

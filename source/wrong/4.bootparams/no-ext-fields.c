/* Wrong 4.bootparams: only the low 32 bits of the initrd's address.
 *
 * Why a student writes it: ramdisk_image is a 32-bit field of the
 * setup header, and every initrd below 4 GiB fits it; one above 4 GiB
 * needs ext_ramdisk_image (zero-page.rst).
 *
 * Fails: unit.bzimage
 */
--- find
	put32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(p->initrd_addr >> 32));
+++ replace

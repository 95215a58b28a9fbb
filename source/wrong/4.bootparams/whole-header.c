/* Wrong 4.bootparams: the setup header copied to its largest size.
 *
 * Why a student writes it: struct setup_header has a fixed size in
 * bootparam.h; but a kernel's header ends where its jump at 0x200 says,
 * and what the file has past it is code, not fields.
 *
 * Fails: unit.bzimage
 */
--- find
	memcpy(zp + BZ_SETUP_SECTS, buf + BZ_SETUP_SECTS,
	       bi->hdr_end - BZ_SETUP_SECTS);
+++ replace
	memcpy(zp + BZ_SETUP_SECTS, buf + BZ_SETUP_SECTS,
	       BZ_HDR_MAX_END - BZ_SETUP_SECTS);

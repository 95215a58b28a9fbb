/* Wrong 1.realmode: the flat segments of protected mode, in real mode.
 *
 * Base from the selector, but a 4 GiB limit counted in pages: "unreal
 * mode", which a real processor only reaches by loading a segment in
 * protected mode first; offsets past 64 KiB would not fault.
 *
 * Fails: unit.realmode
 */
--- find
		.limit = 0xffff,
		.type = 0xb,		/* execute/read, accessed */
+++ replace
		.limit = 0xffffffff,
		.type = 0xb,		/* execute/read, accessed */
--- find
		.g = 0,			/* the limit counts bytes */
+++ replace
		.g = 1,
--- find
			.limit = 0xffff,
			.type = 0x3,	/* read/write, accessed */
+++ replace
			.limit = 0xffffffff,
			.type = 0x3,	/* read/write, accessed */
--- find
			.g = 0,
+++ replace
			.g = 1,

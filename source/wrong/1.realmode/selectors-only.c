/* Wrong 1.realmode: the data segments' selectors set, not their hidden part.
 *
 * Real mode computes addresses from the hidden base, not the selector:
 * a vCPU coming from another mode keeps its old bases and limits.
 *
 * Fails: unit.realmode
 */
--- find
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		*data[i] = (struct kvm_segment){
			.selector = 0,
			.base = 0,
			.limit = 0xffff,
			.type = 0x3,	/* read/write, accessed */
			.present = 1,
			.dpl = 0,
			.db = 0,
			.s = 1,
			.l = 0,
			.g = 0,
			.avl = 0,
			.unusable = 0,
		};
+++ replace
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		data[i]->selector = 0;

/* Wrong 1.stringio: one element per exit, whatever the count.
 *
 * Right for IN and OUT, and for a KVM that happens to exit once per
 * element; a batched REP INS/OUTS loses all its elements but the first.
 *
 * Fails: unit.stringio guest.io-widths guest.hostile-io
 */
	vcpu_io_one(vcpu, data);

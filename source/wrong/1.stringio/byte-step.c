/* Wrong 1.stringio: the elements taken one byte apart.
 *
 * Right for byte strings (INSB, OUTSB); words and dwords overlap.
 *
 * Fails: unit.stringio guest.io-widths
 */
	for (uint32_t i = 0; i < run->io.count; i++)
		vcpu_io_one(vcpu, data + i);

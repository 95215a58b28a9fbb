/* Wrong 1.stringio: the port stepped along with the buffer.
 *
 * As if the port were memory: every element goes to the next port.
 *
 * Fails: unit.stringio guest.io-widths
 */
	uint16_t port = run->io.port;

	for (uint32_t i = 0; i < run->io.count; i++) {
		run->io.port = (uint16_t)(port + i * size);
		vcpu_io_one(vcpu, data + (uint64_t)i * size);
	}
	run->io.port = port;

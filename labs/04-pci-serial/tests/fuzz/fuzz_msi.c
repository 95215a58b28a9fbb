/*
 * fuzz_msi.c - MSI decode on any address and data a device could write.
 * A message decoded must compose back into an address and data that
 * decode to the same message, and a refusal must name a reason.
 *
 * Input: pairs of a 64-bit address and 32-bit data.
 *
 * Covers: src/irq/msi.c
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "irq/msi.h"

static void one(uint64_t addr, uint32_t data)
{
	struct apic_irq a, b;
	enum msi_result r;
	uint64_t addr2;
	uint32_t data2;

	memset(&a, 0, sizeof(a));
	r = msi_decode(addr, data, &a);
	if (!msi_strerror(r) || !strcmp(msi_strerror(r), "?"))
		abort();
	msi_reserved_bits(addr, data);
	if (r != MSI_OK)
		return;
	msi_compose(&a, &addr2, &data2);
	memset(&b, 0, sizeof(b));
	if (msi_decode(addr2, data2, &b) != MSI_OK ||
	    a.vector != b.vector || a.dm != b.dm || a.logical != b.logical ||
	    a.level != b.level || a.dest != b.dest)
		abort();	/* compose is not decode's inverse */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	unsigned int k;
	uint64_t addr;

	fz_init(&in, data, size);
	for (k = 0; k < 64 && in.left; k++) {
		addr = fz_u64(&in);
		if (k & 1)		/* half of them in the MSI window */
			addr = 0xfee00000ULL | (addr & 0xfffff);
		one(addr, fz_u32(&in));
	}
	return 0;
}

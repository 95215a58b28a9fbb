/*
 * fuzz_dmar.c - the VT-d model's walks (src/pci/dmar.c): the root, context
 * and second-level tables, and the interrupt remapping table, all read
 * from a 64 KiB guest memory the input fills, with the root table and the
 * IRT anywhere (in it, straddling its end, or far outside it), any host
 * address width, and any requests.
 *
 * Input: the host address width (1 byte), RTADDR and IRTA (8 bytes each),
 * a flags byte (translation on, interrupt remapping on, CFIS), the
 * memory's length to fill (2 bytes) and its bytes, then up to 32
 * requests: a kind byte (translate a read or a write, remap an MSI), a
 * source-id (2 bytes), an address (8 bytes), MSI data (4 bytes).
 *
 * Covers: src/pci/dmar.c
 */
#include <string.h>

#include "fuzz.h"
#include "pci/dmar.h"

#define MEM_SIZE	(64u << 10)

static uint8_t mem[MEM_SIZE];

static int mem_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	(void)opaque;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -1;
	memcpy(buf, mem + gpa, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dmar_ops ops = { .read = mem_read };
	struct dmar_xlate x;
	struct dmar_irq irq;
	struct dmar d;
	struct fuzz_in in;
	uint64_t rtaddr, irta, addr;
	const uint8_t *p;
	unsigned int haw, k;
	uint8_t flags, kind;
	uint16_t sid;
	uint32_t msi;
	size_t len;

	fz_init(&in, data, size);
	haw = fz_u8(&in) % 64;
	rtaddr = fz_u64(&in);
	irta = fz_u64(&in);
	flags = fz_u8(&in);
	memset(mem, 0, sizeof(mem));
	p = fz_bytes(&in, fz_u16(&in), &len);
	memcpy(mem, p, len);
	dmar_init(&d, &ops, NULL, haw);
	dmar_set_root(&d, rtaddr, flags & 1);
	dmar_set_irta(&d, irta, flags & 2, flags & 4);
	for (k = 0; k < 32 && in.left; k++) {
		kind = fz_u8(&in);
		sid = fz_u16(&in);
		addr = fz_u64(&in);
		msi = fz_u32(&in);
		if (kind % 3 == 2)
			dmar_remap_msi(&d, sid, addr, msi, &irq);
		else
			dmar_translate(&d, sid, addr, kind % 3, &x);
	}
	dmar_destroy(&d);
	return 0;
}

/*
 * fuzz_devices.c - lab 02's devices through their buses, as a guest
 * reaches them with port and MMIO accesses: the DIMM device, the
 * dirty-log device, the walk device with batches of any contents, the
 * BIOS port and ROM, and the test device, in any order, so that each
 * device's state machine goes where the input leads it.
 *
 * Input: up to 64 accesses: a device selector, an offset, a width (1 to
 * 8), a direction and a value; a write to the walk device names a batch
 * that the input may first fill: a GPA in RAM or anywhere, then up to
 * 256 bytes written there (count, status, probes). KVM is absent, so the
 * ioctls the devices make fail and their error paths run too.
 *
 * Covers: src/mem/dimm.c src/mem/dirtylog.c src/mem/walkdev.c
 * Covers: src/mem/bios.c src/dev/testdev.c src/mem/memmap.c
 */
#include <string.h>

#include "fuzz.h"
#include "mem/memmap.h"
#include "mem/walkdev.h"

struct target {
	int mmio;
	uint64_t base, len;
};

static const struct target targets[] = {
	{ 0, 0x520, 16 },		/* DIMM */
	{ 0, 0x530, 16 },		/* dirty log */
	{ 0, WALKDEV_PORT, 8 },		/* walk device */
	{ 0, 0xea, 1 },			/* BIOS hypercall port */
	{ 0, 0x500, 16 },		/* test device */
	{ 1, 0xfeb00000, 0x1000 },	/* test device, MMIO */
	{ 1, 0xf0000, 0x10000 },	/* the ROM, when KVM passes a write on */
	{ 1, 0xa0000, 0x50000 },	/* the legacy hole */
};
#define NR_TARGETS	(sizeof(targets) / sizeof(targets[0]))

static void fill_batch(struct fuzz_machine *m, struct fuzz_in *in, uint64_t *gpa)
{
	const uint8_t *p;
	size_t len;
	void *hva;

	if (fz_u8(in) & 1)
		*gpa = fz_u32(in) % 0xa0000;	/* conventional memory */
	p = fz_bytes(in, fz_u8(in), &len);
	hva = memmap_hva_rw(&m->vm.mem, *gpa, len);
	if (hva)
		memcpy(hva, p, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_machine *m = fuzz_machine();
	const struct target *t;
	struct fuzz_in in;
	unsigned int k, width;
	uint64_t addr, value;
	uint8_t how;

	fz_init(&in, data, size);
	for (k = 0; k < 64 && in.left; k++) {
		t = &targets[fz_u8(&in) % NR_TARGETS];
		addr = t->base + fz_u16(&in) % t->len;
		how = fz_u8(&in);
		width = 1 + (how & 7);
		value = fz_u64(&in);
		if (t->base == WALKDEV_PORT && (how & 8))
			fill_batch(m, &in, &value);
		if (!t->mmio)	/* IN and OUT are 1, 2 or 4 bytes wide */
			width = 1u << ((how & 3) % 3);
		if (how & 0x10)
			bus_read(t->mmio ? &m->vm.mmio : &m->vm.pio, m->cpu, addr, width);
		else
			bus_write(t->mmio ? &m->vm.mmio : &m->vm.pio, m->cpu, addr, width,
				  value);
	}
	fuzz_machine_done(m);
	return 0;
}

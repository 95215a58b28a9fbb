/* @@ file 04 */
/*
 * fuzz_pci.c - lab 04's devices through their buses, as a guest reaches
 * them: PCI configuration space by mechanism #1 (CONFIG_ADDRESS and
 * CONFIG_DATA at every width and offset) and by the ECAM window, so BARs
 * are sized, moved, overlapped and switched off as the input says; the
 * BARs wherever they went (edu's registers, DMA into the machine's RAM or
 * nowhere, pci-testdev's BARs that nobody answers); COM1's eight
 * registers; the RTC's index and data ports. The devices' deadlines
 * are on the real clock: what is due is done at the next access.
 *
 * Input: up to 64 steps: a selector, an offset, a width and direction
 * byte, a value (8 bytes).
 *
 * Covers: src/pci/pci.c src/pci/pcibus.c src/dev/uart.c src/dev/serial.c
 * Covers: src/dev/edu.c src/dev/rtc.c
 */
#include <string.h>

#include "dev/serial.h"
#include "fuzz.h"
#include "pci/pcibus.h"

struct target {
	int mmio;
	uint64_t base, len;
};

static const struct target targets[] = {
	{ 0, 0xcf8, 8 },			/* mechanism #1 */
	{ 1, PCIBUS_ECAM_BASE, 1 << 16 },	/* ECAM, bus 0 */
	{ 1, PCIBUS_ECAM_BASE, PCIBUS_ECAM_SIZE },	/* ECAM, any bus */
	{ 0, SERIAL_COM1_PORT, 8 },		/* COM1 */
	{ 0, 0x70, 2 },				/* RTC */
	{ 1, PCIBUS_MEM32_BASE, 1 << 22 },	/* where firmware puts BARs */
	{ 0, PCIBUS_IO_BASE, 0x400 },		/* I/O BARs */
	{ 1, 0, 1ULL << 32 },			/* anywhere below 4 GiB */
	{ 0, 0, 1 << 16 },			/* any port */
};
#define NR_TARGETS	(sizeof(targets) / sizeof(targets[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_machine *m = fuzz_machine();
	const struct target *t;
	struct fuzz_in in;
	unsigned int k, width;
	uint64_t addr, value;
	uint8_t sel, how;

	fz_init(&in, data, size);
	for (k = 0; k < 64 && in.left; k++) {
		sel = fz_u8(&in);
		t = &targets[sel % NR_TARGETS];
		addr = t->base + fz_u32(&in) % t->len;
		how = fz_u8(&in);
		value = fz_u64(&in);
		width = 1 + (how & 7);
		if (!t->mmio)	/* IN and OUT are 1, 2 or 4 bytes wide */
			width = 1u << ((how & 3) % 3);
		if (how & 0x10)
			bus_read(t->mmio ? &m->vm.mmio : &m->vm.pio, m->cpu, addr,
				 width);
		else
			bus_write(t->mmio ? &m->vm.mmio : &m->vm.pio, m->cpu, addr,
				  width, value);
	}
	fuzz_machine_done(m);
	return 0;
}

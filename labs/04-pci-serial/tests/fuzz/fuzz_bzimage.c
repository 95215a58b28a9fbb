/*
 * fuzz_bzimage.c - the Linux boot protocol loader (src/cpu/bzimage.c)
 * with any file as --kernel: the setup header's every field, an initrd
 * of any size and a command line of any length, on the E820 maps of
 * --mem 1M, 32M, 256M and 5G. Guest memory is a 32 MiB buffer; what the
 * plan puts above it is dropped (the plan is the loader's, not ours).
 *
 * Input: the memory map (1 byte), the initrd's size (4 bytes, modulo 64
 * MiB; its bytes are zeros), the command line's length (2 bytes; its
 * bytes are 'a'), then the file.
 *
 * Covers: src/cpu/bzimage.c
 * Seeds also: guests/out (prefix 01000000000000): every built guest,
 * bzimage-bad's headers among them, on the 32M map, no initrd, no command
 * line.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/bzimage.h"
#include "fuzz.h"

#define RAM_MAX		(32ULL << 20)	/* what the map's RAM is backed by */
#define INITRD_MAX	(64u << 20)

static const struct bzimage_e820 map_1m[] = {
	{ 0, 0x9fc00, 1 },
};
static const struct bzimage_e820 map_32m[] = {
	{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
	{ 0x100000, (32 << 20) - 0x100000, 1 },
};
static const struct bzimage_e820 map_256m[] = {
	{ 0, 0x9fc00, 1 }, { 0xf0000, 0x10000, 2 },
	{ 0x100000, (256 << 20) - 0x100000, 1 },
};
static const struct bzimage_e820 map_5g[] = {
	{ 0, 0x9fc00, 1 }, { 0x100000, 0xbff00000, 1 },
	{ 0x100000000ULL, 0x80000000ULL, 1 },
};
static const struct {
	const struct bzimage_e820 *e;
	unsigned int n;
} maps[] = {
	{ map_1m, 1 }, { map_32m, 4 }, { map_256m, 3 }, { map_5g, 3 },
};
#define NR_MAPS		(sizeof(maps) / sizeof(maps[0]))

/* Guest memory below RAM_MAX is a buffer; RAM above it takes no bytes. */
static int mem_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	uint8_t *ram = opaque;

	if (gpa + len < gpa)
		return -1;
	if (gpa + len <= RAM_MAX)
		memcpy(ram + gpa, buf, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bzimage_mem_ops ops = { .write = mem_write };
	static uint8_t *ram, *initrd;
	static char cmdline[0x12000];
	struct bzimage_config cfg = { 0 };
	struct bzimage_plan plan;
	struct bzimage_regs regs;
	const uint8_t *file;
	struct fuzz_in in;
	unsigned int m;
	size_t len, clen;
	char err[200];

	if (!ram) {
		ram = malloc(RAM_MAX);
		initrd = calloc(1, INITRD_MAX);
	}
	if (!ram || !initrd)
		abort();
	fz_init(&in, data, size);
	m = fz_u8(&in) % NR_MAPS;
	cfg.e820 = maps[m].e;
	cfg.e820_n = maps[m].n;
	cfg.initrd_size = fz_u32(&in) % INITRD_MAX;
	clen = fz_u16(&in) % sizeof(cmdline);
	memset(cmdline, 'a', clen);
	cmdline[clen] = 0;
	cfg.cmdline = cmdline;
	cfg.initrd_above_4g = clen & 1;
	file = fz_bytes(&in, in.left, &len);
	bzimage_load(file, len, initrd, &cfg, &ops, ram, &plan, &regs, err,
		     sizeof(err));
	return 0;
}

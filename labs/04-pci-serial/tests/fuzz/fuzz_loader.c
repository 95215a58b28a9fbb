/*
 * fuzz_loader.c - the three loaders (src/loader.c) on any file: a flat
 * binary, a multiboot ELF32, an ELF64; from lab 02 also the paravirtual
 * guest's ELF note and its start-up pages (src/pv.c, src/p2m.c).
 *
 * Input: 2 bytes choosing the RAM size (1 MiB to 5 MiB, in 64 KiB
 * steps), then the file. Seeds also: guests/out (prefix 4000): every
 * built guest, with 5 MiB of RAM.
 *
 * Covers: src/cpu/loader.c
 */
/* Covers: src/mem/pv.c src/mem/p2m.c */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "cpu/loader.h"
#include "mem/pv.h"

#define RAM_MAX		(5ULL << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	struct boot_info bi;
	struct fuzz_in in;
	const uint8_t *image;
	uint64_t ram_size;
	size_t len;
	struct pv pv;

	if (!ram)
		ram = calloc(1, RAM_MAX);
	if (!ram)
		abort();
	fz_init(&in, data, size);
	ram_size = (1ULL << 20) + (fz_u16(&in) % 65) * (64ULL << 10);
	image = fz_bytes(&in, size, &len);
	/* The loaders read exactly len bytes: give ASan a buffer of that size. */
	if (len) {
		uint8_t *copy = malloc(len);

		if (!copy)
			abort();
		memcpy(copy, image, len);
		image = copy;
	}
	loader_load(ram, ram_size, image, len, &bi);
	if (pv_probe(&pv, image, len, ram_size) == 1 &&
	    p2m_init(&pv.p2m, pv.nr_pages, pv.mode == PV_PAGING_SHADOW ? PV_MFN_BASE : 0,
		     pv.mode == PV_PAGING_SHADOW ? PV_P2M_SEED : 0) == 0) {
		pv_build_start(&pv, ram, ram_size);
		p2m_free(&pv.p2m);
	}
	if (len)
		free((void *)image);
	return 0;
}

/*
 * fuzz_e820.c - INT 15h through the BIOS port (src/bios.c, src/e820.c)
 * with any registers and segment bases, on the memory maps of --mem 1M,
 * 32M, 3G and 5G: the E820 buffer at ES:DI may be anywhere, any size.
 *
 * Input: the memory map (1 byte), then RAX, RBX, RCX, RDX, RDI, RFLAGS
 * and the ES base (8 bytes each).
 *
 * Covers: src/mem/e820.c
 */
#include <stdlib.h>
#include <string.h>

#include "mem/bios.h"
#include "fuzz.h"
#include "mem/memmap.h"

static const uint64_t sizes[] = {
	1ULL << 20, 32ULL << 20, 3ULL << 30, 5ULL << 30,
};
#define NR_SIZES	(sizeof(sizes) / sizeof(sizes[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct memmap mm[NR_SIZES];
	static struct bios bios;	/* only its counters and warn-once flags */
	static int ready;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct fuzz_in in;
	unsigned int i;

	if (!ready) {
		for (i = 0; i < NR_SIZES; i++)
			if (memmap_build(&mm[i], sizes[i]) || memmap_alloc(&mm[i]))
				abort();
		ready = 1;
	}
	fz_init(&in, data, size);
	i = fz_u8(&in) % NR_SIZES;
	memset(&regs, 0, sizeof(regs));
	memset(&sregs, 0, sizeof(sregs));
	regs.rax = fz_u64(&in);
	regs.rbx = fz_u64(&in);
	regs.rcx = fz_u64(&in);
	regs.rdx = fz_u64(&in);
	regs.rdi = fz_u64(&in);
	regs.rflags = fz_u64(&in);
	sregs.es.base = fz_u64(&in);
	bios_int15(&bios, &mm[i], &regs, &sregs);
	return 0;
}

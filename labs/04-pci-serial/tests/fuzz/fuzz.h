/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz/ share
 * (grading/README.md, "Fuzzing").
 *
 * Each target feeds one decoder that a guest or a user's file reaches
 * with arbitrary bytes, the way KVM or the file would hand them over,
 * and lets AddressSanitizer and UBSan judge. A target reads its input as
 * a stream of little-endian fields: past the end every field reads as 0,
 * so every input, however short, is a complete case. The machine below
 * is the VMM's own machine with no KVM behind it (fds are -1: the ioctls
 * fail and the code takes its error paths), rebuilt for every input so
 * that one input's effects never reach the next.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/vm.h"

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline void fz_init(struct fuzz_in *in, const uint8_t *data, size_t size)
{
	in->p = data;
	in->left = size;
}

/* The next n bytes (0 to 8) as a little-endian number; 0 past the end. */
static inline uint64_t fz_take(struct fuzz_in *in, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n && in->left; i++, in->left--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

#define fz_u8(in)	((uint8_t)fz_take(in, 1))
#define fz_u16(in)	((uint16_t)fz_take(in, 2))
#define fz_u32(in)	((uint32_t)fz_take(in, 4))
#define fz_u64(in)	fz_take(in, 8)

/* At most max bytes of what is left, moved past. */
static inline const uint8_t *fz_bytes(struct fuzz_in *in, size_t max, size_t *len)
{
	const uint8_t *p = in->p;

	*len = in->left < max ? in->left : max;
	in->p += *len;
	in->left -= *len;
	return p;
}

/* The machine: the device table's devices on their buses, one vCPU. */
struct fuzz_machine {
	struct vm vm;
	struct vcpu *cpu;
	uint8_t run_page[4096];
};

/*
 * Build the machine afresh (RAM is allocated once, for the smallest
 * memory map, and cleared where the last input may have written).
 */
struct fuzz_machine *fuzz_machine(void);
void fuzz_machine_done(struct fuzz_machine *m);

/* Where device messages and guest output go: /dev/null. */
FILE *fuzz_devnull(void);

#endif

/*
 * dimm-hotplug: memory added while the guest runs (book §2.2.5, the
 * virtual DIMM). An ELF64 guest on the lab 02 platform with the default
 * 32 MiB of RAM, so the DIMM area starts at 4 GiB (guests/README.md,
 * "Lab 02: memory"). It asks the DIMM device for 8 MiB and then 4 MiB,
 * checks where each went, that the new memory reads as zeros and keeps
 * what is written to it, and that the address just past the last DIMM is
 * still not memory; then that a request of 0 MiB and one larger than the
 * DIMM area are refused. The VMM's identity map covers the DIMM area, so
 * the guest reaches it at the same virtual address.
 */
#include <stdint.h>
#include "check.h"
#include "console.h"
#include "platform.h"

#define DIMM_PORT	0x520
#define DIMM_REQUEST	0x0	/* write: MiB wanted; read: status */
#define DIMM_ADDR_LO	0x4
#define DIMM_ADDR_HI	0x8
#define DIMM_SIZE	0xc	/* MiB of the last DIMM */

#define DIMM_OK		0
#define DIMM_ERR_SIZE	1
#define DIMM_ERR_FULL	2

#define DIMM_AREA	0x100000000ull	/* 4 GiB: above RAM of at most 3 GiB */
#define MIB		0x100000ull
#define STRIDE		0x10000ull	/* check one quadword per 64 KiB */

void guest_main(void);

static uint32_t dimm_request(uint32_t mb)
{
	outl(DIMM_PORT + DIMM_REQUEST, mb);
	return inl(DIMM_PORT + DIMM_REQUEST);
}

static uint64_t dimm_addr(void)
{
	return inl(DIMM_PORT + DIMM_ADDR_LO) |
	       (uint64_t)inl(DIMM_PORT + DIMM_ADDR_HI) << 32;
}

static volatile uint64_t *qword(uint64_t gpa)
{
	return (volatile uint64_t *)gpa;
}

/* OR of the quadwords at every STRIDE and the last one: 0 if all zero. */
static uint64_t or_all(uint64_t base, uint64_t size)
{
	uint64_t a, v = 0;

	for (a = base; a < base + size; a += STRIDE)
		v |= *qword(a);
	return v | *qword(base + size - 8);
}

static uint64_t pattern(uint64_t a)
{
	return a ^ 0x5a5a000000005a5aull;
}

static void fill(uint64_t base, uint64_t size)
{
	uint64_t a;

	for (a = base; a < base + size; a += STRIDE)
		*qword(a) = pattern(a);
	*qword(base + size - 8) = pattern(base + size - 8);
}

/* How many of the quadwords fill() wrote read back wrong. */
static uint64_t bad_count(uint64_t base, uint64_t size)
{
	uint64_t a, bad = 0;

	for (a = base; a < base + size; a += STRIDE)
		bad += *qword(a) != pattern(a);
	return bad + (*qword(base + size - 8) != pattern(base + size - 8));
}

void guest_main(void)
{
	uint64_t first = DIMM_AREA, second = DIMM_AREA + 8 * MIB;

	con_puts("dimm-hotplug: 8 MiB, then 4 MiB, added at run time\n");
	check(dimm_request(8), DIMM_OK, 1, "request 8 MiB: status");
	check(dimm_addr(), first, 9, "first DIMM at");
	check(inl(DIMM_PORT + DIMM_SIZE), 8, 2, "its size in MiB");
	check(or_all(first, 8 * MIB), 0, 16, "new memory reads as zeros");
	fill(first, 8 * MIB);
	check(bad_count(first, 8 * MIB), 0, 2, "pattern written and read back, wrong quadwords");

	check(dimm_request(4), DIMM_OK, 1, "request 4 MiB: status");
	check(dimm_addr(), second, 9, "second DIMM right after the first, at");
	check(inl(DIMM_PORT + DIMM_SIZE), 4, 2, "its size in MiB");
	check(or_all(second, 4 * MIB), 0, 16, "new memory reads as zeros");
	fill(second, 4 * MIB);
	check(bad_count(second, 4 * MIB), 0, 2, "pattern written and read back, wrong quadwords");
	check(bad_count(first, 8 * MIB), 0, 2, "first DIMM still holds its pattern, wrong quadwords");
	check(*qword(second + 4 * MIB), ~0ull, 16,
	      "past the last DIMM, at 0x%llx, no memory: reads all ones",
	      (unsigned long long)(second + 4 * MIB));

	check(dimm_request(0), DIMM_ERR_SIZE, 1, "request 0 MiB: status");
	check(dimm_request(2048), DIMM_ERR_FULL, 1, "request 2048 MiB, more than the 1 GiB area: status");
	check(dimm_addr(), second, 9, "after refusals, the last DIMM is still at");
	vm_exit(check_done("dimm-hotplug"));
}

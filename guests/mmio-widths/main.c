/*
 * mmio-widths: reads and writes of 1, 2, 4 and 8 bytes on the test device's
 * MMIO block at 0xFEB00000 (guests/README.md "Test device registers"),
 * including unaligned ones and the accesses the device must ignore. It is
 * an ELF64 guest because only 64-bit mode has 8-byte integer moves; the
 * VMM's identity mapping covers the block. Every access is one numbered
 * line naming width, address and value; the exit code is the number of the
 * first failed check (0: all passed).
 */
#include "check.h"
#include "console.h"
#include "platform.h"

#define SCRATCH	(TESTDEV_MMIO + TESTDEV_SCRATCH)
#define LAST	(TESTDEV_MMIO + TESTDEV_LAST)
#define SEQ	(TESTDEV_MMIO + TESTDEV_SEQ)

void guest_main(void);

/* One MOV of exactly `width` bytes each, so the VMM sees that width. */
static uint64_t mmio_read(int width, unsigned long addr)
{
	uint64_t v = 0;

	switch (width) {
	case 1:
		asm volatile("movb (%1), %b0" : "+q"(v) : "r"(addr) : "memory");
		break;
	case 2:
		asm volatile("movw (%1), %w0" : "+r"(v) : "r"(addr) : "memory");
		break;
	case 4:
		asm volatile("movl (%1), %k0" : "=r"(v) : "r"(addr) : "memory");
		break;
	default:
		asm volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
		break;
	}
	return v;
}

static void mmio_write(int width, unsigned long addr, uint64_t v)
{
	switch (width) {
	case 1:
		asm volatile("movb %b0, (%1)" : : "q"(v), "r"(addr) : "memory");
		break;
	case 2:
		asm volatile("movw %w0, (%1)" : : "r"(v), "r"(addr) : "memory");
		break;
	case 4:
		asm volatile("movl %k0, (%1)" : : "r"(v), "r"(addr) : "memory");
		break;
	default:
		asm volatile("movq %0, (%1)" : : "r"(v), "r"(addr) : "memory");
		break;
	}
}

static const char suffix[] = { 0, 'b', 'w', 0, 'l', 0, 0, 0, 'q' };

/* One read of `width` bytes, expected to return `want`. */
static void rd(int width, unsigned long addr, uint64_t want)
{
	check(mmio_read(width, addr), want, 2 * width, "read%c  0x%lx",
	      suffix[width], addr);
}

/* One write, then LAST must read `want_last`. */
static void wr(int width, unsigned long addr, uint64_t v, uint16_t want_last)
{
	mmio_write(width, addr, v);
	check(mmio_read(2, LAST), want_last, 4,
	      "write%c 0x%lx <- 0x%0*llx, then LAST", suffix[width], addr,
	      2 * width, (unsigned long long)v);
}

static void initial_state(void)
{
	con_puts("-- initial state\n");
	rd(2, LAST, 0x0000);
	rd(8, SCRATCH, 0);
}

/* Fill SCRATCH a byte, a word, a dword at a time, at odd offsets too. */
static void writes(void)
{
	int i;

	con_puts("-- 1-byte writes\n");
	for (i = 0; i < 8; i++)
		wr(1, SCRATCH + i, 0xa0 + i, i << 8 | 1);
	rd(8, SCRATCH, 0xa7a6a5a4a3a2a1a0);

	con_puts("-- 2-byte writes\n");
	wr(2, SCRATCH + 1, 0xb2b1, 0x0102);
	wr(2, SCRATCH + 6, 0xb7b6, 0x0602);
	rd(8, SCRATCH, 0xb7b6a5a4a3b2b1a0);

	con_puts("-- 4-byte write\n");
	wr(4, SCRATCH + 3, 0xc6c5c4c3, 0x0304);
	rd(8, SCRATCH, 0xb7c6c5c4c3b2b1a0);
}

/* SCRATCH now holds a0 b1 b2 c3 c4 c5 c6 b7. */
static void reads(void)
{
	static const uint8_t bytes[8] = {
		0xa0, 0xb1, 0xb2, 0xc3, 0xc4, 0xc5, 0xc6, 0xb7
	};
	int i;

	con_puts("-- reads of every width\n");
	for (i = 0; i < 8; i++)
		rd(1, SCRATCH + i, bytes[i]);
	rd(2, SCRATCH, 0xb1a0);
	rd(2, SCRATCH + 3, 0xc4c3);
	rd(2, SCRATCH + 6, 0xb7c6);
	rd(4, SCRATCH, 0xc3b2b1a0);
	rd(4, SCRATCH + 1, 0xc4c3b2b1);
	rd(4, SCRATCH + 4, 0xb7c6c5c4);
	rd(2, LAST, 0x0304);	/* reads leave LAST alone */

	con_puts("-- 8-byte write\n");
	wr(8, SCRATCH, 0xd7d6d5d4d3d2d1d0, 0x0008);
	rd(8, SCRATCH, 0xd7d6d5d4d3d2d1d0);
	rd(4, SCRATCH + 4, 0xd7d6d5d4);
	rd(1, SCRATCH + 7, 0xd7);
}

static void seq(void)
{
	con_puts("-- SEQ\n");
	rd(4, SEQ, 0);
	rd(4, SEQ, 1);
	rd(2, SEQ, 2);
	rd(1, SEQ, 3);
	/* Not a SCRATCH write, so LAST keeps its value. */
	wr(4, SEQ, 0x000100fe, 0x0008);
	rd(1, SEQ, 0xfe);
	rd(2, SEQ, 0x00ff);
	rd(4, SEQ, 0x00010100);
}

static void ignored(void)
{
	con_puts("-- accesses the device ignores\n");
	/* 6 + 4 > 8: straddles the end of SCRATCH */
	wr(4, SCRATCH + 6, 0xeeeeeeee, 0x0008);
	rd(8, SCRATCH, 0xd7d6d5d4d3d2d1d0);
	wr(2, LAST, 0x1234, 0x0008);	/* LAST is read-only */
	rd(8, SCRATCH + 4, 0xffffffffffffffff);
	rd(1, TESTDEV_MMIO + 0xa, 0xff);	/* no register there */
	rd(4, TESTDEV_MMIO + 0x10, 0xffffffff);
	rd(8, TESTDEV_MMIO + 0xff8, 0xffffffffffffffff);
}

void guest_main(void)
{
	con_puts("mmio-widths: test device MMIO block 0xfeb00000-0xfeb00fff\n");
	initial_state();
	writes();
	reads();
	seq();
	ignored();
	vm_exit(check_done("mmio-widths"));
}

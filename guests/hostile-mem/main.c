/*
 * hostile-mem: a guest that attacks lab 02's memory map and its devices
 * (book §2.2; guests/README.md, "Lab 02: memory"). An ELF64 guest with the
 * default 32 MiB of RAM:
 *
 *  - writes of 1, 2, 4 and 8 bytes all over the BIOS ROM, and one that
 *    starts in the legacy hole and ends in the ROM: the ROM must read back
 *    exactly as before;
 *  - reads and writes of every width in the legacy hole, past the end of
 *    RAM and in the DIMM area where no DIMM is: all ones, writes ignored;
 *  - DIMM requests beyond every limit: sizes whose MiB overflow 32 bits,
 *    more than the room left, a ninth DIMM while room is left; accesses of
 *    the wrong width or alignment, a write to a read-only register;
 *  - dirty-log regions that are empty, too long, past RAM, in the ROM or
 *    the hole, that wrap around, and unknown or untimely commands;
 *  - walk-device batches with too many probes, with a count that would
 *    overflow, straddling the end of RAM, in the ROM and the hole, and
 *    probes with bad access bits or a non-canonical address;
 *  - E820 calls through the BIOS port from long mode with no such entry
 *    or a short buffer.
 *
 * Every expected value is what guests/README.md specifies; the VMM must
 * survive, and its stderr stays short (the test's pattern counts lines).
 */
#include <stdint.h>
#include "check.h"
#include "console.h"
#include "platform.h"

#define MIB		0x100000ull
#define RAM_END		(32 * MIB)
#define ROM		0xf0000ull
#define ROM_END		0x100000ull
#define HOLE		0xa0000ull
#define DIMM_AREA	0x100000000ull	/* 4 GiB */
#define DIMM_AREA_END	0x140000000ull	/* 5 GiB */

#define DIMM_PORT	0x520		/* REQUEST, ADDR_LO, ADDR_HI, SIZE */
#define DIRTY_PORT	0x530		/* BASE, PAGES, CMD, DATA */
#define WALK_PORT	0x540

#define E820_SMAP	0x534d4150

void guest_main(void);

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rd(unsigned int w, uint64_t a)
{
	if (w == 1)
		return *(volatile uint8_t *)a;
	if (w == 2)
		return *(volatile uint16_t *)a;
	if (w == 4)
		return *(volatile uint32_t *)a;
	return *(volatile uint64_t *)a;
}

static void wr(unsigned int w, uint64_t a, uint64_t v)
{
	if (w == 1)
		*(volatile uint8_t *)a = (uint8_t)v;
	else if (w == 2)
		*(volatile uint16_t *)a = (uint16_t)v;
	else if (w == 4)
		*(volatile uint32_t *)a = (uint32_t)v;
	else
		*(volatile uint64_t *)a = v;
}

static uint64_t ones(unsigned int w)
{
	return w == 8 ? ~0ull : (1ull << (8 * w)) - 1;
}

/* A 64-bit sum of the ROM, position-weighted so moved bytes count. */
static uint64_t rom_sum(void)
{
	uint64_t a, s = 0;

	for (a = ROM; a < ROM_END; a += 8)
		s = s * 31 + rd(8, a);
	return s;
}

static void rom(void)
{
	uint64_t before = rom_sum(), a;
	unsigned int w;

	con_puts("-- the BIOS ROM\n");
	for (a = ROM; a < ROM_END; a += 0x100)
		for (w = 1; w <= 8; w *= 2)
			wr(w, a + (next() & 0xf8), next());
	wr(8, ROM - 4, next());		/* the hole, then the ROM */
	check(rom_sum() == before, 1, 1, "ROM unchanged after 1025 writes");
}

/* Reads of every width in [base, end) at `step`: how many were not all ones. */
static uint64_t not_ones(uint64_t base, uint64_t end, uint64_t step)
{
	uint64_t a, bad = 0;
	unsigned int w;

	for (a = base; a < end; a += step)
		for (w = 1; w <= 8; w *= 2) {
			wr(w, a, next());
			bad += rd(w, a) != ones(w);
		}
	return bad;
}

static void holes(void)
{
	con_puts("-- where there is no memory\n");
	check(not_ones(HOLE, ROM, 0x1000), 0, 2,
	      "legacy hole 0xa0000-0xeffff, written then read: reads not all ones");
	check(not_ones(RAM_END, RAM_END + 16 * MIB, MIB), 0, 2,
	      "16 MiB past the end of RAM: reads not all ones");
	check(not_ones(DIMM_AREA, DIMM_AREA + 64 * MIB, 4 * MIB), 0, 2,
	      "DIMM area before any DIMM: reads not all ones");
}

static uint32_t dimm(uint32_t mb)
{
	outl(DIMM_PORT, mb);
	return inl(DIMM_PORT);
}

static uint64_t dimm_addr(void)
{
	return inl(DIMM_PORT + 4) | (uint64_t)inl(DIMM_PORT + 8) << 32;
}

static void dimms(void)
{
	uint32_t bad = 0;
	int i;

	con_puts("-- DIMM requests beyond every limit\n");
	check(inb(DIMM_PORT), 0xff, 2, "1-byte read of REQUEST: all ones");
	check(inw(DIMM_PORT + 2), 0xffff, 4, "2-byte read at offset 2: all ones");
	check(inl(DIMM_PORT + 2), 0xffffffff, 8, "4-byte read at offset 2: all ones");
	outb(DIMM_PORT, 1);
	outw(DIMM_PORT, 1);
	check(dimm_addr(), 0, 9, "1- and 2-byte requests ignored: no DIMM at");
	check(dimm(0xffffffff), 2, 1, "request 0xffffffff MiB: status");
	check(dimm(0x1000), 2, 1, "request 4096 MiB (4 GiB, 2^32 bytes): status");
	check(dimm(0x100000), 2, 1, "request 2^20 MiB (2^40 bytes): status");
	check(dimm(1025), 2, 1, "request 1025 MiB: status");
	for (i = 0; i < 7; i++)
		bad += dimm(1) != 0;
	check(bad, 0, 1, "seven requests of 1 MiB: not done");
	check(dimm_addr(), DIMM_AREA + 6 * MIB, 9, "the seventh DIMM at");
	check(dimm(1018), 2, 1, "request 1018 MiB, 1017 left: status");
	check(dimm(1016), 0, 1, "request 1016 MiB: status");
	check(dimm_addr(), DIMM_AREA + 7 * MIB, 9, "the eighth DIMM at");
	check(dimm(1), 2, 1, "a ninth DIMM, 1 MiB left: status");
	outl(DIMM_PORT + 4, 0x1234);
	check(dimm_addr(), DIMM_AREA + 7 * MIB, 9, "a write to ADDR_LO ignored: still");
	check(inl(DIMM_PORT + 12), 1016, 4, "SIZE of the last DIMM");
	check(rd(8, DIMM_AREA + 1023 * MIB - 8), 0, 16, "the eighth DIMM's last quadword");
	check(rd(8, DIMM_AREA_END - 8), ~0ull, 16, "the area's last MiB, no DIMM: all ones");
}

static uint32_t dirty_cmd(uint32_t cmd)
{
	outl(DIRTY_PORT + 8, cmd);
	return inl(DIRTY_PORT + 8);
}

static uint32_t dirty_start(uint32_t base, uint32_t pages)
{
	outl(DIRTY_PORT, base);
	outl(DIRTY_PORT + 4, pages);
	return dirty_cmd(1);
}

static void dirtylog(void)
{
	con_puts("-- dirty-log regions and commands that are refused\n");
	check(inl(DIRTY_PORT + 12), 0xffffffff, 8, "DATA before any report: none");
	check(dirty_cmd(2), 2, 1, "REPORT while not logging: status");
	check(dirty_cmd(3), 2, 1, "STOP while not logging: status");
	check(dirty_cmd(0), 2, 1, "command 0: status");
	check(dirty_cmd(0xffffffff), 2, 1, "command 0xffffffff: status");
	check(dirty_start(0x200, 0), 1, 1, "START of 0 pages: status");
	check(dirty_start(0x200, 4097), 1, 1, "START of 4097 pages: status");
	check(dirty_start(RAM_END >> 12, 1), 1, 1, "START at the end of RAM: status");
	check(dirty_start((RAM_END >> 12) - 1, 2), 1, 1, "START across the end of RAM: status");
	check(dirty_start(ROM >> 12, 1), 1, 1, "START in the ROM: status");
	check(dirty_start(HOLE >> 12, 1), 1, 1, "START in the legacy hole: status");
	check(dirty_start(0xffffffff, 0xffffffff), 1, 1, "START at 0xffffffff of 0xffffffff pages: status");
	check(dirty_cmd(2), 2, 1, "REPORT after refused STARTs: status");
	check(inb(DIRTY_PORT + 8), 0xff, 2, "1-byte read of CMD: all ones");
}

struct walk_probe {
	uint64_t gva;
	uint32_t access;
	uint32_t flags;
	uint64_t gpa, kvm_gpa;
	uint32_t error_code;
	uint16_t ept_qual;
	uint8_t page_shift, refs;
};

struct walk_batch {
	uint32_t count;
	uint32_t status;
	struct walk_probe probe[2];
};

static struct walk_batch batch;

static uint32_t walk(uint64_t gpa)
{
	outl(WALK_PORT, (uint32_t)gpa);
	return ((volatile struct walk_batch *)gpa)->status;
}

static void walkdev(void)
{
	volatile uint32_t *edge = (volatile uint32_t *)(RAM_END - 8);
	uint64_t b = (uint64_t)&batch;

	con_puts("-- walk-device batches that are refused\n");
	batch.count = 65;
	batch.status = 0;
	check(walk(b), 2, 1, "65 probes: status");
	batch.count = 0xffffffff;
	batch.status = 0;
	check(walk(b), 2, 1, "0xffffffff probes: status");
	batch.count = 0;
	batch.status = 0;
	check(walk(b), 1, 1, "0 probes: status");

	batch.count = 2;
	batch.probe[0].gva = 0x100000;
	batch.probe[0].access = 0xfffffff8;
	batch.probe[1].gva = 0x0000800000000000ull;
	batch.probe[1].access = 0;
	check(walk(b), 1, 1, "two bad probes: status");
	check(batch.probe[0].flags & 9, 8, 1, "access bits 0xfffffff8: no walk, no translation");
	check(batch.probe[1].flags & 5, 4, 1, "gva 0x800000000000: not canonical, no translation");

	edge[0] = 1;
	edge[1] = 0xdead;
	outl(WALK_PORT, (uint32_t)(RAM_END - 8));
	check(edge[1], 0xdead, 4, "a batch across the end of RAM: ignored, status left");
	edge = (volatile uint32_t *)(RAM_END - 48);
	edge[0] = 1;
	edge[1] = 0;
	*(volatile uint64_t *)(RAM_END - 40) = 0x100000;
	*(volatile uint32_t *)(RAM_END - 32) = 0;
	outl(WALK_PORT, (uint32_t)(RAM_END - 48));
	check(edge[1], 1, 1, "a batch that ends exactly at the end of RAM: status");
	outl(WALK_PORT, (uint32_t)ROM);
	outl(WALK_PORT, (uint32_t)HOLE);
	outl(WALK_PORT, 0xfffffff8);
	check(inl(WALK_PORT), 0x4b4c4157, 8, "after batches in the ROM, the hole and at 4 GiB - 8: WALK");
}

/* INT 15h through the BIOS port: returns RAX, and CF in *cf. */
static uint64_t e820(uint32_t ebx, uint32_t ecx, uint64_t *cf)
{
	uint64_t rax = 0xe820, rbx = ebx, rcx = ecx, rdx = E820_SMAP, fl;

	asm volatile("outb %%al, $0xea\n\tpushfq\n\tpopq %4"
		     : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "=r"(fl)
		     : : "memory", "cc");
	(void)rdx;
	*cf = fl & 1;
	return rax;
}

static void bios(void)
{
	uint64_t cf, rax;

	con_puts("-- E820 from long mode, refused\n");
	rax = e820(1000, 20, &cf);
	check(cf, 1, 1, "EBX = 1000, no such entry: CF");
	check((rax >> 8) & 0xff, 0x86, 2, "AH");
	rax = e820(0, 19, &cf);
	check(cf, 1, 1, "ECX = 19, a short buffer: CF");
	check((rax >> 8) & 0xff, 0x86, 2, "AH");
}

void guest_main(void)
{
	con_puts("hostile-mem: the ROM, the holes, the DIMM, dirty-log and walk devices, E820\n");
	rom();
	holes();
	dimms();
	dirtylog();
	walkdev();
	bios();
	check(rom_sum() != 0, 1, 1, "the ROM still reads as a ROM");
	vm_exit(check_done("hostile-mem"));
}

/*
 * hostile-io: a guest that treats the VMM's exits as an attack surface
 * (book §1.5.6: every exit carries guest-controlled data). An ELF64 guest
 * for every lab from 01 on, with the default 32 MiB of RAM:
 *
 *  - a port storm: IN and OUT of 1, 2 and 4 bytes on every port from 0 to
 *    0x7FF and on one port in every 64 above, then the last ones where a
 *    4-byte access runs past 0xFFFF, with pseudo-random values (OUTs
 *    to the ports in spare[] below are left out, as their effects are
 *    visible by design; the walk device of lab 02 gets addresses in a
 *    buffer of this guest's, never in its code);
 *  - string I/O with counts far above one page: REP INSB/INSD from the
 *    test device's SEQ counter, REP OUTSB to a port nobody claims, REP
 *    OUTSD to SCRATCH, and REP INSW with the direction flag set;
 *  - an MMIO storm: reads and writes of 1, 2, 4 and 8 bytes at every
 *    16 MiB from the end of RAM to 4 GiB, at every offset of the first
 *    64 bytes of the test device's MMIO block and at every 53rd offset
 *    after, and accesses that run past the end of the block.
 *
 * The VMM must survive all of it, log each kind of complaint a bounded
 * number of times (the test's stderr pattern counts the lines), and then
 * still behave as guests/README.md says: unclaimed reads are all ones,
 * the test device keeps working, SEQ counts every element of a string
 * I/O in order. The storm's OUT and IN go through helpers that tell the
 * compiler every register the VMM could change (lab 02's BIOS port 0xEA
 * answers E820 calls from the registers), so garbage cannot derail the
 * guest itself.
 */
#include <stdint.h>
#include "check.h"
#include "console.h"
#include "platform.h"

#define SCRATCH_PORT	(TESTDEV_PORT + TESTDEV_SCRATCH)
#define LAST_PORT	(TESTDEV_PORT + TESTDEV_LAST)
#define SEQ_PORT	(TESTDEV_PORT + TESTDEV_SEQ)
#define NOBODY_PORT	0x5f0		/* never claimed (guests/README.md) */
#define WALK_PORT	0x540		/* lab 02's walk device: a batch's GPA */
#define RAM_END		0x2000000ull	/* the default --mem 32M */
#define GIB		0x40000000ull

#define STRING_N	16384		/* elements of each string I/O: 4 to 16 pages */

void guest_main(void);

static uint8_t buf[STRING_N * 4] __attribute__((aligned(4096)));
/* What the walk device may be pointed at: garbage, in this buffer only. */
static uint8_t walk_junk[8192] __attribute__((aligned(4096)));

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * OUT and IN that let the VMM change RAX, RBX, RCX and the flags; the port
 * is a 32-bit operand so that the high half of EDX is zero, never "SMAP".
 */
static void storm_out(unsigned int width, uint32_t port, uint32_t v)
{
	if (width == 1)
		asm volatile("outb %b0, %w1" : "+a"(v) : "d"(port)
			     : "rbx", "rcx", "memory", "cc");
	else if (width == 2)
		asm volatile("outw %w0, %w1" : "+a"(v) : "d"(port)
			     : "rbx", "rcx", "memory", "cc");
	else
		asm volatile("outl %0, %w1" : "+a"(v) : "d"(port)
			     : "rbx", "rcx", "memory", "cc");
}

static uint32_t storm_in(unsigned int width, uint32_t port)
{
	uint32_t v = 0;

	if (width == 1)
		asm volatile("inb %w1, %b0" : "+a"(v) : "d"(port)
			     : "rbx", "rcx", "memory", "cc");
	else if (width == 2)
		asm volatile("inw %w1, %w0" : "+a"(v) : "d"(port)
			     : "rbx", "rcx", "memory", "cc");
	else
		asm volatile("inl %w1, %0" : "+a"(v) : "d"(port)
			     : "rbx", "rcx", "memory", "cc");
	return v;
}

/*
 * Ports whose writes have effects a guest sees by design: the exit device
 * ends the run, the debug console prints, and from lab 03 on a write to
 * the interrupt test device's MSI block sends an interrupt (an NMI or an
 * INIT, say, that this guest has no handler for). A lab that adds such a
 * device adds its ports here.
 */
static const struct { uint16_t first, last; } spare[] = {
	{ 0xe9, 0xe9 },		/* debug console */
	{ 0xf4, 0xf7 },		/* exit device */
	{ 0x510, 0x51f },	/* lab 03: MSI block of the interrupt test device */
	{ 0x3f8, 0x3ff },	/* lab 04: COM1, whose THR prints */
};

static int spared(uint32_t port, unsigned int width)
{
	unsigned int i;

	for (i = 0; i < sizeof(spare) / sizeof(spare[0]); i++)
		if (port <= spare[i].last && port + width > spare[i].first)
			return 1;
	return 0;
}

static uint32_t storm_value(uint32_t port)
{
	if (port >= WALK_PORT - 3 && port <= WALK_PORT + 3)
		return (uint32_t)(uintptr_t)walk_junk + (next() & 0xfff);
	switch (next() & 3) {
	case 0:
		return 0;
	case 1:
		return 0xffffffff;
	default:
		return (uint32_t)next();
	}
}

static void storm_port(uint32_t port)
{
	unsigned int w;

	for (w = 1; w <= 4; w *= 2) {
		storm_in(w, port);
		if (!spared(port, w))
			storm_out(w, port, storm_value(port));
	}
}

static void port_storm(void)
{
	uint32_t p;
	unsigned int i;

	for (i = 0; i < sizeof(walk_junk); i++)
		walk_junk[i] = (uint8_t)next();
	for (p = 0; p < 0x800; p++)
		storm_port(p);
	for (p = 0x800; p < 0xfff8; p += 64)
		storm_port(p + (next() & 63));
	for (p = 0xfff8; p < 0x10000; p++)
		storm_port(p);
}

static void port_checks(void)
{
	unsigned int w;

	con_puts("-- after the port storm\n");
	for (w = 1; w <= 4; w *= 2)
		check(storm_in(w, NOBODY_PORT), (1ull << (8 * w)) - 1, 2 * w,
		      "%u-byte IN of unclaimed port 0x%x: all ones", w, NOBODY_PORT);
	check(storm_in(4, 0xfffe), 0xffffffff, 8,
	      "4-byte IN at 0xfffe, past the last port: all ones");
	outl(SCRATCH_PORT, 0x12345678);
	outl(SCRATCH_PORT + 4, 0x9abcdef0);
	check(inl(SCRATCH_PORT), 0x12345678, 8, "test device SCRATCH still stores");
	check(inl(SCRATCH_PORT + 4), 0x9abcdef0, 8, "and its high half");
	check(inw(LAST_PORT), 0x0404, 4, "LAST names the last write");
}

static void string_io(void)
{
	uint32_t i, bad;
	void *p;
	uint32_t n;

	con_puts("-- string I/O of 16384 elements\n");
	outl(SEQ_PORT, 0);
	p = buf;
	n = STRING_N;
	asm volatile("cld; rep insb" : "+D"(p), "+c"(n) : "d"(SEQ_PORT) : "memory");
	for (i = 0, bad = 0; i < STRING_N; i++)
		bad += buf[i] != (uint8_t)i;
	check(bad, 0, 8, "rep insb from SEQ: bytes that are not SEQ's count");
	check(n, 0, 8, "and RCX at the end");

	p = buf;
	n = STRING_N;
	asm volatile("cld; rep insl" : "+D"(p), "+c"(n) : "d"(SEQ_PORT) : "memory");
	for (i = 0, bad = 0; i < STRING_N; i++)
		bad += ((uint32_t *)buf)[i] != STRING_N + i;
	check(bad, 0, 8, "rep insd from SEQ, counting on: dwords that are not");

	/* With DF = 1 the first element goes to the highest address. */
	outl(SEQ_PORT, 0);
	p = &((uint16_t *)buf)[STRING_N - 1];
	n = STRING_N;
	asm volatile("std; rep insw; cld" : "+D"(p), "+c"(n) : "d"(SEQ_PORT) : "memory");
	for (i = 0, bad = 0; i < STRING_N; i++)
		bad += ((uint16_t *)buf)[STRING_N - 1 - i] != (uint16_t)i;
	check(bad, 0, 8, "rep insw with DF = 1, backwards: words that are not");
	check((uint64_t)buf - (uint64_t)p, 2, 2,
	      "and RDI ends that many bytes below the buffer");

	p = buf;
	n = STRING_N;
	asm volatile("cld; rep outsb" : "+S"(p), "+c"(n) : "d"(NOBODY_PORT) : "memory");
	check(n, 0, 8, "rep outsb to unclaimed port 0x%x: RCX at the end", NOBODY_PORT);

	for (i = 0; i < STRING_N; i++)
		((uint32_t *)buf)[i] = 0xa5000000 + i;
	p = buf;
	n = STRING_N;
	asm volatile("cld; rep outsl" : "+S"(p), "+c"(n) : "d"(SCRATCH_PORT) : "memory");
	check(inl(SCRATCH_PORT), 0xa5000000 + STRING_N - 1, 8,
	      "rep outsd to SCRATCH: the last element stays");
}

static uint64_t mmio_read(unsigned int w, uint64_t a)
{
	if (w == 1)
		return *(volatile uint8_t *)a;
	if (w == 2)
		return *(volatile uint16_t *)a;
	if (w == 4)
		return *(volatile uint32_t *)a;
	return *(volatile uint64_t *)a;
}

static void mmio_write(unsigned int w, uint64_t a, uint64_t v)
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

static void storm_mmio(uint64_t a)
{
	unsigned int w;

	for (w = 1; w <= 8; w *= 2) {
		mmio_read(w, a);
		mmio_write(w, a, next());
	}
}

static void mmio_storm(void)
{
	uint64_t a, o;

	con_puts("-- MMIO storm\n");
	for (a = RAM_END; a < 4 * GIB; a += 16 << 20)
		storm_mmio(a + (next() & 0xfff0));
	for (o = 0; o < 64; o++)
		storm_mmio(TESTDEV_MMIO + o);
	for (o = 64; o < 0x1000; o += 53)
		storm_mmio(TESTDEV_MMIO + o);
	for (o = 0xff9; o < 0x1000; o++)
		storm_mmio(TESTDEV_MMIO + o);
}

static void mmio_checks(void)
{
	unsigned int w;
	uint64_t a = 2 * GIB + 0x1230;

	for (w = 1; w <= 8; w *= 2)
		check(mmio_read(w, a), w == 8 ? ~0ull : (1ull << (8 * w)) - 1, 2 * w,
		      "%u-byte read at 0x%llx, no memory there: all ones", w,
		      (unsigned long long)a);
	mmio_write(8, TESTDEV_MMIO, 0x0123456789abcdefull);
	check(mmio_read(8, TESTDEV_MMIO), 0x0123456789abcdefull, 16,
	      "test device SCRATCH through MMIO still stores");
	check(mmio_read(2, TESTDEV_MMIO + TESTDEV_LAST), 0x0008, 4,
	      "LAST names the last write");
}

void guest_main(void)
{
	con_puts("hostile-io: port and MMIO storms, string I/O of 16 Ki elements\n");
	port_storm();
	port_checks();
	string_io();
	mmio_storm();
	mmio_checks();
	vm_exit(check_done("hostile-io"));
}

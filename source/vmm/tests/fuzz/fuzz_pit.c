/* @@ file 03 */
/*
 * fuzz_pit.c - the 8254's register interface on a clock the input moves:
 * control words (any mode, BCD, latch and read-back commands), counts
 * written a byte at a time, reads, port 0x61's gate, and time passing,
 * with the owner's timer fired when the PIT asked for it. A deadline the
 * PIT reports must not lie in the past of the time it reported it, and
 * IRQ 0 only changes level.
 *
 * Input: up to 256 steps: a kind (port write, port read, time, service),
 * a port and a value, or a number of nanoseconds.
 *
 * Covers: src/irq/pit.c
 */
#include <stdlib.h>

#include "fuzz.h"
#include "irq/pit.h"

static uint64_t now;
static int level = -1;

static uint64_t clock_ns(void *opaque)
{
	(void)opaque;
	return now;
}

static void on_irq0(void *opaque, int l)
{
	(void)opaque;
	if (l == level)
		abort();	/* a "change" to the level it had */
	level = l;
}

static void on_deadline(void *opaque, uint64_t ns)
{
	(void)opaque;
	if (ns != PIT_NO_DEADLINE && ns + 1000000000ULL < now)
		abort();	/* long past when it is reported */
}

static const struct pit_ops ops = {
	.now_ns = clock_ns, .irq0 = on_irq0, .deadline = on_deadline,
};
static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	struct pit p;
	unsigned int k;
	uint8_t kind, sel, val;

	fz_init(&in, data, size);
	now = 1000000;
	level = -1;
	pit_init(&p, &ops, NULL);
	for (k = 0; k < 256 && in.left; k++) {
		kind = fz_u8(&in) % 4;
		sel = fz_u8(&in);
		val = fz_u8(&in);
		switch (kind) {
		case 0:
			pit_write(&p, ports[sel % 5], val);
			break;
		case 1:
			pit_read(&p, ports[sel % 5]);
			break;
		case 2:
			now += fz_u32(&in);
			break;
		default:
			if (pit_next_deadline(&p) != PIT_NO_DEADLINE &&
			    pit_next_deadline(&p) > now)
				now = pit_next_deadline(&p);
			pit_service(&p);
			break;
		}
	}
	pit_destroy(&p);
	return 0;
}

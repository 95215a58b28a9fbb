/* @@ file 03 */
/*
 * fuzz_ioapic.c - the I/O APIC's register interface: IOREGSEL and IOWIN
 * at any offset and width, redirection entries with any bits, input pins
 * going up and down (any pin number), and EOI broadcasts of any vector,
 * with local APICs that accept or refuse. A level pin must not be sent
 * again while its remote IRR is set.
 *
 * Input: up to 256 steps: a kind (write, read, pin, EOI, accept), an
 * offset or pin and a value.
 *
 * Covers: src/irq/ioapic.c
 */
#include <stdlib.h>

#include "fuzz.h"
#include "irq/ioapic.h"

static int accept;

static int on_deliver(void *opaque, const struct apic_irq *irq)
{
	(void)opaque;
	(void)irq;
	return accept;
}

static const struct ioapic_ops ops = { .deliver = on_deliver };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioapic io;
	struct fuzz_in in;
	unsigned int k, w;
	uint8_t kind, sel;
	uint32_t val;

	fz_init(&in, data, size);
	accept = 1;
	ioapic_init(&io, &ops, NULL);
	for (k = 0; k < 256 && in.left; k++) {
		kind = fz_u8(&in) % 5;
		sel = fz_u8(&in);
		val = fz_u32(&in);
		w = 1u << (sel >> 6);		/* 1, 2, 4 or 8 bytes */
		switch (kind) {
		case 0:
			ioapic_write(&io, sel & 0x3f, w, val);
			break;
		case 1:
			ioapic_read(&io, sel & 0x3f, w);
			break;
		case 2:
			ioapic_set_irq(&io, sel % 26, val & 1);
			break;
		case 3:
			ioapic_eoi(&io, (uint8_t)val);
			break;
		default:
			accept = (int)(val % 3);
			break;
		}
	}
	ioapic_destroy(&io);
	return 0;
}

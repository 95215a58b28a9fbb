/*
 * fuzz_lapic.c - two local APICs on an APIC bus, as their processors and
 * the board reach them: register reads and writes at any offset and
 * width (the ICR sending IPIs to each other, the timer, the LVT, TPR,
 * SVR, ESR), messages of any kind from outside, LINT0 and LINT1, CR8,
 * IA32_APIC_BASE, the vCPU's acknowledge and NMIs, and time passing with
 * the timer fired when due. What lapic_ack() gives must be a vector, the
 * spurious vector or ExtINT.
 *
 * Input: up to 256 steps: a kind, a processor, an offset or selector and
 * a value.
 *
 * Covers: src/irq/lapic.c src/irq/apicbus.c
 */
#include <stdlib.h>

#include "fuzz.h"
#include "irq/apicbus.h"
#include "irq/lapic.h"

static uint64_t now;
static struct apic_bus bus;
static struct lapic cpu[2];

static uint64_t clock_ns(void *opaque)
{
	(void)opaque;
	return now;
}

static void on_send(void *opaque, const struct apic_irq *irq)
{
	(void)opaque;
	apic_bus_deliver(&bus, irq);
}

static const struct lapic_ops ops = { .now_ns = clock_ns, .send = on_send };

static void message(struct fuzz_in *in)
{
	uint32_t v = fz_u32(in);
	struct apic_irq irq = {
		.vector = (uint8_t)v,
		.dm = (v >> 8) & 7,
		.logical = (v >> 11) & 1,
		.level = (v >> 15) & 1,
		.assert = (v >> 14) & 1,
		.shorthand = (v >> 18) & 3,
		.dest = (uint8_t)(v >> 24),
	};

	irq.source = APIC_SRC_NONE;	/* from outside the processors */
	apic_bus_deliver(&bus, &irq);
}

static void step(struct fuzz_in *in)
{
	uint8_t kind = fz_u8(in) % 9;
	struct lapic *l = &cpu[fz_u8(in) & 1];
	uint16_t off = fz_u16(in);
	uint32_t val = fz_u32(in);
	int v;

	switch (kind) {
	case 0:
		lapic_write(l, off & 0xfff, 1u << ((off >> 12) & 3), val);
		break;
	case 1:
		lapic_read(l, off & 0xfff, 1u << ((off >> 12) & 3));
		break;
	case 2:
		message(in);
		break;
	case 3:
		lapic_set_lint(l, off % 3, val & 1);
		break;
	case 4:
		lapic_set_cr8(l, (uint8_t)val);
		lapic_get_cr8(l);
		break;
	case 5:
		lapic_set_base(l, (uint64_t)val << (off & 7));
		break;
	case 6:
		if ((v = lapic_ack(l)) != LAPIC_EXTINT && (v < 0 || v > 255))
			abort();
		lapic_take_nmi(l);
		break;
	case 7:
		now += val;
		lapic_timer_service(l);
		break;
	default:
		lapic_write(l, LAPIC_EOI, 4, 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	unsigned int k;

	fz_init(&in, data, size);
	now = 1000000;
	apic_bus_init(&bus);
	for (k = 0; k < 2; k++) {
		lapic_init(&cpu[k], (int)k, (uint8_t)k, k == 0, 0, &ops, NULL);
		apic_bus_add(&bus, &cpu[k]);
	}
	for (k = 0; k < 256 && in.left; k++)
		step(&in);
	for (k = 0; k < 2; k++)
		lapic_destroy(&cpu[k]);
	return 0;
}

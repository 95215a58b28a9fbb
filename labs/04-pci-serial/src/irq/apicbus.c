/*
 * apicbus.c - delivery of one interrupt message to the local APICs it
 * names (apicbus.h; book §3.3.1-3.3.2; SDM "Determining IPI Destination",
 * "Lowest Priority Delivery Mode").
 */
#include <string.h>

#include "irq/apicbus.h"
#include "irq/lapic.h"

void apic_bus_init(struct apic_bus *b)
{
	memset(b, 0, sizeof(*b));
}

int apic_bus_add(struct apic_bus *b, struct lapic *l)
{
	if (b->n >= APIC_BUS_MAX)
		return -1;
	b->cpu[b->n] = l;
	return (int)b->n++;
}

/* Lowest priority: the focus processor, else lowest APR, then lowest index. */
static int apic_bus_lowest(struct apic_bus *b, uint32_t set, uint8_t vector)
{
	unsigned int i;
	int best = -1;
	uint8_t best_apr = 0, apr;

	for (i = 0; i < b->n; i++)
		if ((set & (1u << i)) && lapic_is_focus(b->cpu[i], vector))
			return (int)i;
	for (i = 0; i < b->n; i++) {
		if (!(set & (1u << i)))
			continue;
		apr = lapic_apr(b->cpu[i]);
		if (best < 0 || apr < best_apr) {
			best = (int)i;
			best_apr = apr;
		}
	}
	return best;
}

int apic_bus_deliver(struct apic_bus *b, const struct apic_irq *irq)
{
	uint32_t set = 0;
	unsigned int i;
	int n = 0, one;

	for (i = 0; i < b->n; i++)
		if (lapic_match(b->cpu[i], irq, (int)i == irq->source))
			set |= 1u << i;
	if (irq->dm == APIC_DM_LOWEST && set) {
		one = apic_bus_lowest(b, set, irq->vector);
		set = 1u << one;
	}
	for (i = 0; i < b->n; i++)
		if ((set & (1u << i)) && lapic_accept(b->cpu[i], irq))
			n++;
	return n;
}

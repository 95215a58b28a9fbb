/*
 * bus.c - address decoding for port I/O and MMIO (book §1.3.1).
 *
 * Regions are few (tens), so a sorted array and a linear search are the
 * clearest structure; the lookup is not what a VM exit costs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "err.h"

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
}

uint64_t bus_all_ones(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const char *name, const struct bus_ops *ops, void *opaque)
{
	int i;

	if (len == 0 || base + len < base)
		return err_set(-EINVAL, "%s bus: bad range for %s", bus->name,
			       name);
	if (bus->nr_regions == BUS_MAX_REGIONS)
		return err_set(-ENOSPC, "%s bus: no room for %s", bus->name,
			       name);
	for (i = 0; i < bus->nr_regions; i++) {
		struct bus_region *r = &bus->regions[i];

		if (base < r->base + r->len && r->base < base + len)
			return err_set(-EEXIST,
				       "%s bus: %s at 0x%llx overlaps %s",
				       bus->name, name,
				       (unsigned long long)base, r->name);
	}

	/* Keep the array sorted: shift larger bases up by one. */
	for (i = bus->nr_regions; i > 0 && bus->regions[i - 1].base > base; i--)
		bus->regions[i] = bus->regions[i - 1];
	bus->regions[i] = (struct bus_region){
		.base = base, .len = len, .name = name,
		.ops = ops, .opaque = opaque,
	};
	bus->nr_regions++;
	return 0;
}

/* The region that holds all of [addr, addr + size), or NULL. */
static struct bus_region *bus_find(struct bus *bus, uint64_t addr,
				   unsigned int size)
{
	int i;

	for (i = 0; i < bus->nr_regions; i++) {
		struct bus_region *r = &bus->regions[i];

		if (addr >= r->base && addr - r->base < r->len &&
		    size <= r->len - (addr - r->base))
			return r;
	}
	return NULL;
}

/* Say once per address that nobody answered; a guest probing ports is normal. */
static void bus_unclaimed(struct bus *bus, uint64_t addr, unsigned int size,
			  const char *what)
{
	int i;

	bus->unclaimed++;
	for (i = 0; i < bus->nr_logged; i++)
		if (bus->logged[i] == addr)
			return;
	if (bus->nr_logged == BUS_MAX_LOGGED)
		return;
	bus->logged[bus->nr_logged++] = addr;
	fprintf(stderr, "vmm: unclaimed %s %s of %u byte%s at 0x%llx%s\n",
		bus->name, what, size, size == 1 ? "" : "s",
		(unsigned long long)addr,
		bus->nr_logged == BUS_MAX_LOGGED ?
		" (further new addresses not logged)" : "");
}

uint64_t bus_read(struct bus *bus, uint64_t addr, unsigned int size)
{
	struct bus_region *r = bus_find(bus, addr, size);

	if (!r || !r->ops->read) {
		bus_unclaimed(bus, addr, size, "read");
		return bus_all_ones(size);
	}
	return r->ops->read(r->opaque, addr - r->base, size) &
	       bus_all_ones(size);
}

void bus_write(struct bus *bus, uint64_t addr, unsigned int size,
	       uint64_t value)
{
	struct bus_region *r = bus_find(bus, addr, size);

	if (!r || !r->ops->write) {
		bus_unclaimed(bus, addr, size, "write");
		return;
	}
	r->ops->write(r->opaque, addr - r->base, size,
		      value & bus_all_ones(size));
}

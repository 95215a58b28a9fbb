/*
 * bus.h - the port-I/O bus and the MMIO bus.
 *
 * A device claims an address range on a bus with bus_register(); the run
 * loop turns every IO or MMIO exit into bus_read()/bus_write() and never
 * needs to know which device answers. An access that no device claims is
 * logged once and reads as all ones, which is what a PC does for an empty
 * slot (book §1.3.1).
 */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_REGIONS		32
#define BUS_MAX_LOGGED		16

struct bus_ops {
	/* Both get the offset into the region and the access width in bytes. */
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned int size);
	void (*write)(void *opaque, uint64_t offset, unsigned int size,
		      uint64_t value);
};

struct bus_region {
	uint64_t base;
	uint64_t len;
	const char *name;
	const struct bus_ops *ops;
	void *opaque;
};

struct bus {
	const char *name;			/* "port" or "mmio" */
	struct bus_region regions[BUS_MAX_REGIONS];
	int nr_regions;				/* sorted by base */
	uint64_t logged[BUS_MAX_LOGGED];	/* unclaimed addresses already reported */
	int nr_logged;
	uint64_t unclaimed;			/* count of unclaimed accesses */
};

void bus_init(struct bus *bus, const char *name);
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const char *name, const struct bus_ops *ops, void *opaque);
uint64_t bus_read(struct bus *bus, uint64_t addr, unsigned int size);
void bus_write(struct bus *bus, uint64_t addr, unsigned int size,
	       uint64_t value);
uint64_t bus_all_ones(unsigned int size);

#endif

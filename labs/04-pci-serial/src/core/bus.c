/*
 * bus.c - address decoding for port I/O and MMIO (book §1.3.1).
 *
 * The regions of a bus are kept in an array sorted by base address, and
 * an access finds its region by binary search. A machine has tens of
 * regions, a few hundred with many PCI BARs, and they change rarely (at
 * start-up, when the guest programs a BAR) while every IO and MMIO exit
 * looks one up: a sorted array is the smallest structure that is fast
 * for that, and it grows as regions are added.
 *
 * Locking (src/core/vm.h, "Who owns what"): a read-write lock guards the
 * array. A lookup copies the region out under the read lock and calls
 * the handler after releasing it, because a handler may register or move
 * regions itself (a PCI configuration write moving a BAR), which takes
 * the write lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/err.h"

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_rwlock_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->log_lock, NULL);
}

void bus_free(struct bus *bus)
{
	free(bus->regions);
	bus->regions = NULL;
	bus->nr_regions = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->log_lock);
}

uint64_t bus_all_ones(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* The index of the region named (opaque, name), or -1. Under the lock. */
static int bus_index(const struct bus *bus, const void *opaque,
		     const char *name)
{
	unsigned int i;

	for (i = 0; i < bus->nr_regions; i++)
		if (bus->regions[i].opaque == opaque &&
		    strcmp(bus->regions[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * The region [base, base + len) would overlap, other than region `skip`
 * (-1: none), or NULL. Under the lock.
 */
static const struct bus_region *bus_overlap(const struct bus *bus,
					    uint64_t base, uint64_t len,
					    int skip)
{
	unsigned int i;

	for (i = 0; i < bus->nr_regions; i++) {
		const struct bus_region *r = &bus->regions[i];

		if ((int)i != skip && base < r->base + r->len &&
		    r->base < base + len)
			return r;
	}
	return NULL;
}

/* Put r in its place in the sorted array, which has room. Under the lock. */
static void bus_insert(struct bus *bus, const struct bus_region *r)
{
	unsigned int i;

	for (i = bus->nr_regions; i > 0 && bus->regions[i - 1].base > r->base; i--)
		bus->regions[i] = bus->regions[i - 1];
	bus->regions[i] = *r;
	bus->nr_regions++;
}

static void bus_remove(struct bus *bus, unsigned int i)
{
	memmove(&bus->regions[i], &bus->regions[i + 1],
		(bus->nr_regions - i - 1) * sizeof(bus->regions[0]));
	bus->nr_regions--;
}

/* Room for one more region. Under the lock. */
static int bus_grow(struct bus *bus)
{
	unsigned int cap = bus->cap ? 2 * bus->cap : 8;
	struct bus_region *r;

	if (bus->nr_regions < bus->cap)
		return 0;
	r = realloc(bus->regions, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	bus->regions = r;
	bus->cap = cap;
	return 0;
}

static int bus_check(struct bus *bus, uint64_t base, uint64_t len,
		     const char *name, int skip)
{
	const struct bus_region *r;

	if (len == 0 || base + len < base)
		return err_set(-EINVAL, "%s bus: bad range for %s", bus->name,
			       name);
	r = bus_overlap(bus, base, len, skip);
	if (r)
		return err_set(-EEXIST, "%s bus: %s at 0x%llx overlaps %s",
			       bus->name, name, (unsigned long long)base,
			       r->name);
	return 0;
}

/*
 * Claim [base, base + len) for a device: the handlers in ops get opaque.
 * (opaque, name) names the region from then on, so it must be new on
 * this bus. -EINVAL for an empty or wrapping range, -EEXIST when it
 * overlaps another region or the name is taken.
 */
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const char *name, const struct bus_ops *ops, void *opaque)
{
	struct bus_region r = {
		.base = base, .len = len, .name = name,
		.ops = ops, .opaque = opaque,
	};
	int ret;

	pthread_rwlock_wrlock(&bus->lock);
	ret = bus_check(bus, base, len, name, -1);
	if (!ret && bus_index(bus, opaque, name) >= 0)
		ret = err_set(-EEXIST, "%s bus: %s is registered already",
			      bus->name, name);
	if (!ret && bus_grow(bus))
		ret = err_set(-ENOMEM, "%s bus: no memory for %s", bus->name,
			      name);
	if (!ret)
		bus_insert(bus, &r);
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

/* Give up the region (opaque, name); -ENOENT if there is none. */
int bus_unregister(struct bus *bus, void *opaque, const char *name)
{
	int i, ret = 0;

	pthread_rwlock_wrlock(&bus->lock);
	i = bus_index(bus, opaque, name);
	if (i < 0)
		ret = err_set(-ENOENT, "%s bus: no region %s", bus->name, name);
	else
		bus_remove(bus, (unsigned int)i);
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

/*
 * Move the region (opaque, name) to new_base, keeping its length. If the
 * new range is bad or overlaps another region, the region stays where
 * it was: -EINVAL, -EEXIST; -ENOENT if there is no such region.
 */
int bus_move(struct bus *bus, void *opaque, const char *name,
	     uint64_t new_base)
{
	struct bus_region r;
	int i, ret;

	pthread_rwlock_wrlock(&bus->lock);
	i = bus_index(bus, opaque, name);
	if (i < 0) {
		ret = err_set(-ENOENT, "%s bus: no region %s", bus->name, name);
	} else {
		r = bus->regions[i];
		ret = bus_check(bus, new_base, r.len, name, i);
	}
	if (!ret) {
		bus_remove(bus, (unsigned int)i);
		r.base = new_base;
		bus_insert(bus, &r);
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

/*
 * The region that holds all of [addr, addr + size), copied to *out:
 * false if there is none. Binary search for the last region starting at
 * or below addr; the regions do not overlap, so it is the only candidate.
 */
static bool bus_find(struct bus *bus, uint64_t addr, unsigned int size,
		     struct bus_region *out)
{
	unsigned int lo = 0, hi, mid;
	const struct bus_region *r;
	bool found = false;

	pthread_rwlock_rdlock(&bus->lock);
	hi = bus->nr_regions;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (bus->regions[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		r = &bus->regions[lo - 1];
		if (addr - r->base < r->len && size <= r->len - (addr - r->base)) {
			*out = *r;
			found = true;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return found;
}

/*
 * Before any vCPU runs: `under`'s regions answer the accesses that none
 * of bus's regions holds whole (lab 04's PCI BARs).
 */
void bus_set_under(struct bus *bus, struct bus *under)
{
	bus->under = under;
}

/* The region of bus, else of the bus under it, that holds the access. */
static bool bus_lookup(struct bus *bus, uint64_t addr, unsigned int size,
		       struct bus_region *out)
{
	return bus_find(bus, addr, size, out) ||
	       (bus->under && bus_find(bus->under, addr, size, out));
}

/* Say once per address that nobody answered; a guest probing ports is normal. */
static void bus_unclaimed(struct bus *bus, uint64_t addr, unsigned int size,
			  const char *what)
{
	int i;

	pthread_mutex_lock(&bus->log_lock);
	bus->unclaimed++;
	for (i = 0; i < bus->nr_logged; i++)
		if (bus->logged[i] == addr)
			goto out;
	if (bus->nr_logged == BUS_MAX_LOGGED)
		goto out;
	bus->logged[bus->nr_logged++] = addr;
	fprintf(stderr, "vmm: unclaimed %s %s of %u byte%s at 0x%llx%s\n",
		bus->name, what, size, size == 1 ? "" : "s",
		(unsigned long long)addr,
		bus->nr_logged == BUS_MAX_LOGGED ?
		" (further new addresses not logged)" : "");
out:
	pthread_mutex_unlock(&bus->log_lock);
}

/* A claimed read: the region's handler, or its byte handler once a byte. */
static uint64_t region_read(const struct bus_region *r, struct vcpu *vcpu,
			    uint64_t offset, unsigned int size)
{
	uint64_t v = 0;
	unsigned int i;

	if (r->ops->read)
		return r->ops->read(vcpu, r->opaque, offset, size);
	for (i = 0; i < size; i++)
		v |= (uint64_t)r->ops->read_byte(r->opaque, offset + i)
		     << (8 * i);
	return v;
}

static void region_write(const struct bus_region *r, struct vcpu *vcpu,
			 uint64_t offset, unsigned int size, uint64_t value)
{
	unsigned int i;

	if (r->ops->write) {
		r->ops->write(vcpu, r->opaque, offset, size, value);
		return;
	}
	for (i = 0; i < size; i++)
		r->ops->write_byte(r->opaque, offset + i,
				   (uint8_t)(value >> (8 * i)));
}

uint64_t bus_read(struct bus *bus, struct vcpu *vcpu, uint64_t addr,
		  unsigned int size)
{
	struct bus_region r;
	uint64_t v;

	if (!bus_lookup(bus, addr, size, &r) ||
	    (!r.ops->read && !r.ops->read_byte)) {
		bus_unclaimed(bus, addr, size, "read");
		return bus_all_ones(size);
	}
	if (r.ops->lock)
		pthread_mutex_lock(r.ops->lock);
	v = region_read(&r, vcpu, addr - r.base, size) & bus_all_ones(size);
	if (r.ops->lock)
		pthread_mutex_unlock(r.ops->lock);
	return v;
}

void bus_write(struct bus *bus, struct vcpu *vcpu, uint64_t addr,
	       unsigned int size, uint64_t value)
{
	struct bus_region r;

	if (!bus_lookup(bus, addr, size, &r) ||
	    (!r.ops->write && !r.ops->write_byte)) {
		bus_unclaimed(bus, addr, size, "write");
		return;
	}
	if (r.ops->lock)
		pthread_mutex_lock(r.ops->lock);
	region_write(&r, vcpu, addr - r.base, size, value & bus_all_ones(size));
	if (r.ops->lock)
		pthread_mutex_unlock(r.ops->lock);
}

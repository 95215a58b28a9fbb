/*
 * bus.h - the port-I/O bus and the MMIO bus (book §1.3.1).
 *
 * A device claims an address range on a bus with bus_register(); the run
 * loop turns every IO or MMIO exit into bus_read()/bus_write() and never
 * needs to know which device answers. An access that no device claims is
 * logged once and reads as all ones, which is what a PC does for an empty
 * slot. A range can be given up (bus_unregister()) or moved (bus_move()),
 * as a PCI device's BARs are when the guest programs them.
/* @@ 04 */
 *
 * Lab 04: a bus may have a second bus under it (bus_set_under()), whose
 * regions answer only where no region of the first does: the PCI BARs,
 * which the platform's own devices take precedence over
 * (guests/README.md, "BARs"). The regions of each never overlap; the
 * two buses' regions may.
/* @@ end */
 *
 * Threads: any thread may read, write, register, unregister or move at
 * any time. The bus's lock guards its table only; a handler is called
 * without it (it may itself move a range, on this bus or the other), so
 * a handler can run just after its range moved, as on real hardware.
 * Devices live as long as the VM, so that is harmless.
 */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_LOGGED		16

struct vcpu;

/*
 * A device's handlers. `vcpu` is the vCPU whose access this is (its
 * registers, its index), or NULL for an access that no vCPU made: a
 * device's DMA engine, a unit test. Both get the offset into the region
 * and the access width in bytes (1 to 8; a device decides which it
 * answers).
 */
struct bus_ops {
	uint64_t (*read)(struct vcpu *vcpu, void *opaque, uint64_t offset,
			 unsigned int size);
	void (*write)(struct vcpu *vcpu, void *opaque, uint64_t offset,
		      unsigned int size, uint64_t value);
	/* @@ 03 */
	/*
	 * Lab 03, vCPUs on several threads: a device whose handlers keep
	 * no lock of their own names one here, and the bus holds it
	 * around every call (NULL: the handlers lock for themselves).
	 */
	pthread_mutex_t *lock;
	/*
	 * A device with byte-wide registers (the ISA devices: the 8259As
	 * and the 8254; from lab 04 the MC146818 and the 16550 too) gives
	 * read_byte and write_byte instead of read and write, and the bus
	 * takes a wider access byte by byte, from its lowest address up,
	 * as the ISA bus would: byte i of the value (bits 8i+7:8i) is the
	 * register at offset + i.
	 */
	uint8_t (*read_byte)(void *opaque, uint64_t offset);
	void (*write_byte)(void *opaque, uint64_t offset, uint8_t value);
	/* @@ end */
};

struct bus_region {
	uint64_t base;
	uint64_t len;
	const char *name;		/* with opaque, names the region */
	const struct bus_ops *ops;
	void *opaque;
};

struct bus {
	const char *name;			/* "port" or "mmio" */
	pthread_rwlock_t lock;			/* guards the three below */
	struct bus_region *regions;		/* sorted by base, never overlapping */
	unsigned int nr_regions;
	unsigned int cap;			/* room in regions[] */
	pthread_mutex_t log_lock;		/* guards the three below */
	uint64_t logged[BUS_MAX_LOGGED];	/* unclaimed addresses already reported */
	int nr_logged;
	uint64_t unclaimed;			/* count of unclaimed accesses */
	/* @@ 04 */
	struct bus *under;			/* lab 04: answers where we do not */
	/* @@ end */
};

void bus_init(struct bus *bus, const char *name);
void bus_free(struct bus *bus);
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const char *name, const struct bus_ops *ops, void *opaque);
int bus_unregister(struct bus *bus, void *opaque, const char *name);
int bus_move(struct bus *bus, void *opaque, const char *name,
	     uint64_t new_base);
uint64_t bus_read(struct bus *bus, struct vcpu *vcpu, uint64_t addr,
		  unsigned int size);
void bus_write(struct bus *bus, struct vcpu *vcpu, uint64_t addr,
	       unsigned int size, uint64_t value);
uint64_t bus_all_ones(unsigned int size);
/* @@ 04 */
void bus_set_under(struct bus *bus, struct bus *under);
/* @@ end */

#endif

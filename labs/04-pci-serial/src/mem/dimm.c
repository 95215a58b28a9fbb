/*
 * dimm.c - the virtual DIMM device (book §2.2.5).
 *
 * On a real machine a memory module is hot-plugged into a slot and the
 * firmware tells the OS about the new range. Here the guest asks for it:
 * a write of N to REQUEST makes the VMM map N MiB of new host memory,
 * give it to KVM as a new memslot at the next free address of the DIMM
 * area (above all RAM: src/mem/memmap.c), and add it to the memory map, so
 * that the E820 map from then on lists it. The guest reads back where it
 * went. The identity map of ELF64 guests already covers the DIMM area.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/vm.h"
#include "core/warn.h"
#include "mem/dimm.h"
#include "mem/uffd.h"

void dimm_request(struct dimm *d, uint32_t mb)
{
	struct vm *vm = d->vm;
	int i = memmap_add_dimm(&vm->mem, vm->vm_fd, (uint64_t)mb << 20);

	if (i == -EINVAL || i == -ENOSPC) {
		d->status = i == -EINVAL ? DIMM_ERR_SIZE : DIMM_ERR_FULL;
		return;
	}
	if (i < 0) {
		fprintf(stderr, "vmm: dimm: %s\n", err_msg());
		d->status = DIMM_ERR_HOST;
		return;
	}
	/* New RAM above the --demand-above boundary starts empty too. */
	if (vm->uffd && uffd_add_region(vm->uffd, &vm->mem.r[i]) < 0)
		fprintf(stderr, "vmm: dimm: %s\n", err_msg());
	d->status = DIMM_OK;
	d->addr = vm->mem.r[i].gpa;
	d->size_mb = mb;
	d->added++;
}

static uint64_t dimm_read(struct vcpu *vcpu, void *opaque, uint64_t offset,
			  unsigned int size)
{
	struct dimm *d = opaque;

	(void)vcpu;
	if (warn_reg32_bad(&d->warned, "dimm", "read", offset, size))
		return bus_all_ones(size);
	switch (offset) {
	case DIMM_REQUEST:
		return d->status;
	case DIMM_ADDR_LO:
		return (uint32_t)d->addr;
	case DIMM_ADDR_HI:
		return (uint32_t)(d->addr >> 32);
	default:
		return d->size_mb;
	}
}

static void dimm_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
		       unsigned int size, uint64_t value)
{
	struct dimm *d = opaque;

	(void)vcpu;
	if (warn_reg32_bad(&d->warned, "dimm", "write", offset, size))
		return;
	if (offset == DIMM_REQUEST)
		dimm_request(d, (uint32_t)value);
	else
		warn_once(&d->warned, "dimm",
			  "bad %u-byte write to a read-only register at offset 0x%llx ignored",
			  size, (unsigned long long)offset);
}

/* Lab 03: vCPUs on several threads: one request at a time. */
static pthread_mutex_t dimm_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct bus_ops dimm_ops = {
	.read = dimm_read,
	.write = dimm_write,
	.lock = &dimm_lock,
};

int dimm_init(struct vm *vm, void **state)
{
	struct dimm *d = calloc(1, sizeof(*d));

	if (!d)
		return err_set(-ENOMEM, "no memory for the DIMM device");
	*state = d;
	d->vm = vm;
	return bus_register(&vm->pio, DIMM_PORT, DIMM_PORT_LEN, "dimm",
			    &dimm_ops, d);
}

void dimm_stats(void *state, FILE *out)
{
	const struct dimm *d = state;

	fprintf(out, "vmm:   DIMMs hot-plugged          %8llu\n",
		(unsigned long long)d->added);
}

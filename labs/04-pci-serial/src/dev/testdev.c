/*
 * testdev.c - the test register block, on the port bus and the MMIO bus.
 *
 * It exists so that guests can check that the VMM moves every access
 * width correctly: SCRATCH stores bytes, LAST says how the last write
 * arrived, SEQ counts reads (a source for rep ins). The registers are
 * described in guests/README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/vm.h"
#include "dev/testdev.h"

static int testdev_width_ok(struct testdev *td, unsigned int size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) &&
	       size <= td->max_width;
}

static int testdev_in_scratch(uint64_t offset, unsigned int size)
{
	return offset < sizeof(((struct testdev *)0)->scratch) &&
	       offset + size <= sizeof(((struct testdev *)0)->scratch);
}

/* An access the register table does not allow: say so once, then ignore. */
static uint64_t testdev_bad(struct testdev *td, const char *what,
			    uint64_t offset, unsigned int size)
{
	if (!td->warned) {
		td->warned = 1;
		fprintf(stderr,
			"vmm: testdev: bad %u-byte %s at offset 0x%llx ignored (logged once)\n",
			size, what, (unsigned long long)offset);
	}
	return bus_all_ones(size);
}

static uint64_t testdev_read(struct vcpu *vcpu, void *opaque, uint64_t offset,
			     unsigned int size)
{
	struct testdev *td = opaque;
	uint64_t value = 0;

	(void)vcpu;
	if (!testdev_width_ok(td, size))
		return testdev_bad(td, "read", offset, size);
	if (testdev_in_scratch(offset, size)) {
		/* Little-endian, like the guest's own memory. */
		memcpy(&value, &td->scratch[offset], size);
		return value;
	}
	if (offset == TESTDEV_LAST && size <= 2)
		return td->last;
	if (offset == TESTDEV_SEQ && size <= 4)
		return td->seq++ & bus_all_ones(size);
	return testdev_bad(td, "read", offset, size);
}

static void testdev_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			  unsigned int size, uint64_t value)
{
	struct testdev *td = opaque;

	(void)vcpu;
	if (!testdev_width_ok(td, size)) {
		testdev_bad(td, "write", offset, size);
		return;
	}
	if (testdev_in_scratch(offset, size)) {
		memcpy(&td->scratch[offset], &value, size);
		td->last = (uint16_t)(size | offset << 8);
		return;
	}
	if (offset == TESTDEV_SEQ && size <= 4) {
		td->seq = value;
		return;
	}
	testdev_bad(td, "write", offset, size);
}

/* Lab 03: vCPUs on several threads reach the registers one at a time. */
static pthread_mutex_t testdev_lock = PTHREAD_MUTEX_INITIALIZER;

const struct bus_ops testdev_ops = {
	.read = testdev_read,
	.write = testdev_write,
	.lock = &testdev_lock,
};

int testdev_init(struct vm *vm, void **state)
{
	struct testdevs *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return err_set(-ENOMEM, "no memory for the test device");
	*state = t;
	t->port.max_width = 4;
	t->mmio.max_width = 8;
	ret = bus_register(&vm->pio, TESTDEV_PORT, TESTDEV_PORT_LEN,
			   "testdev", &testdev_ops, &t->port);
	if (ret)
		return ret;
	return bus_register(&vm->mmio, TESTDEV_MMIO, TESTDEV_MMIO_LEN,
			    "testdev", &testdev_ops, &t->mmio);
}

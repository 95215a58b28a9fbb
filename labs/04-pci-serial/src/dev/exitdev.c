/*
 * exitdev.c - the exit device on ports 0xF4-0xF7.
 *
 * A write of value v ends the run with status (v << 1) | 1, which is what
 * QEMU's isa-debug-exit does: a guest test can report its result the same
 * way on both, and an odd status can never be mistaken for one of the
 * VMM's own (0, 2, 4, 6).
 */
#include <errno.h>
#include <stdlib.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/vm.h"
#include "dev/exitdev.h"

static uint64_t exitdev_read(struct vcpu *vcpu, void *opaque, uint64_t offset,
			     unsigned int size)
{
	(void)vcpu;
	(void)opaque;
	(void)offset;
	(void)size;
	return 0;
}

static void exitdev_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			  unsigned int size, uint64_t value)
{
	struct exitdev *ed = opaque;

	(void)vcpu;
	(void)offset;
	(void)size;
	vm_stop(ed->vm, (int)(((value << 1) | 1) & 0xff));
}

static const struct bus_ops exitdev_ops = {
	.read = exitdev_read,
	.write = exitdev_write,
};

int exitdev_init(struct vm *vm, void **state)
{
	struct exitdev *ed = calloc(1, sizeof(*ed));

	if (!ed)
		return err_set(-ENOMEM, "no memory for the exit device");
	*state = ed;
	ed->vm = vm;
	return bus_register(&vm->pio, EXITDEV_PORT, EXITDEV_LEN, "exitdev",
			    &exitdev_ops, ed);
}

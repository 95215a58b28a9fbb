/*
 * debugcon.c - the debug console on port 0xE9.
 *
 * The simplest device there is: each byte the guest writes goes to our
 * standard output. Bochs and QEMU have the same port, so a guest written
 * for them prints here unchanged; reading the port returns 0xE9, which is
 * how a guest can tell the console is there.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/vm.h"
#include "dev/debugcon.h"

static uint64_t debugcon_read(struct vcpu *vcpu, void *opaque,
			      uint64_t offset, unsigned int size)
{
	(void)vcpu;
	(void)opaque;
	(void)offset;
	(void)size;
	return DEBUGCON_PORT;
}

static void debugcon_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			   unsigned int size, uint64_t value)
{
	struct debugcon *dc = opaque;

	(void)vcpu;
	(void)offset;
	(void)size;
	fputc((int)(value & 0xff), dc->out);
}

static const struct bus_ops debugcon_ops = {
	.read = debugcon_read,
	.write = debugcon_write,
};

int debugcon_init(struct vm *vm, void **state)
{
	struct debugcon *dc = calloc(1, sizeof(*dc));

	if (!dc)
		return err_set(-ENOMEM, "no memory for the debug console");
	*state = dc;
	dc->out = stdout;
	return bus_register(&vm->pio, DEBUGCON_PORT, 1, "debugcon",
			    &debugcon_ops, dc);
}

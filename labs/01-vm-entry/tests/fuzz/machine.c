/*
 * machine.c - the fuzz targets' machine (fuzz.h): the devices of the
 * device table (src/core/machine.c) on their buses, as main.c sets them
 * up, without KVM.
 */
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "fuzz.h"

static struct fuzz_machine machine;

FILE *fuzz_devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	if (!f)
		abort();
	return f;
}

#define FUZZ_RAM	(1ULL << 20)

static uint8_t *fuzz_ram(void)
{
	static uint8_t *ram;

	if (!ram)
		ram = calloc(1, FUZZ_RAM);
	if (!ram)
		abort();
	memset(ram, 0, FUZZ_RAM);
	return ram;
}

struct fuzz_machine *fuzz_machine(void)
{
	struct fuzz_machine *m = &machine;
	struct vm *vm = &m->vm;

	memset(m, 0, sizeof(*m));
	vm_init(vm, NULL);
	vm->ram = fuzz_ram();
	vm->ram_size = FUZZ_RAM;
	m->cpu = &vm->vcpus[0];
	m->cpu->run = (struct kvm_run *)m->run_page;
	m->cpu->run_size = sizeof(m->run_page);
	if (machine_init(vm))
		abort();
	return m;
}

void fuzz_machine_done(struct fuzz_machine *m)
{
	machine_exit(&m->vm);
	bus_free(&m->vm.pio);
	bus_free(&m->vm.mmio);
}

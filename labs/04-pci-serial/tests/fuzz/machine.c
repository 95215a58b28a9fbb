/*
 * machine.c - the fuzz targets' machine (fuzz.h): the devices of the
 * device table (src/core/machine.c) on their buses, as main.c sets them
 * up, without KVM.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/machine.h"
#include "fuzz.h"
#include "core/options.h"
#include "mem/memmap.h"

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

/*
 * The smallest memory map: conventional memory, the EBDA and the ROM,
 * allocated once; its RAM is cleared for every input (the BIOS puts the
 * ROM, the IVT and its data area back when the machine is made).
 */
static void fuzz_mem(struct memmap *mm)
{
	static struct memmap mem;
	static int ready;
	unsigned int i;

	if (!ready) {
		if (memmap_build(&mem, MEM_MIN) || memmap_alloc(&mem))
			abort();
		ready = 1;
	}
	for (i = 0; i < mem.nr; i++)
		if (!(mem.r[i].flags & KVM_MEM_READONLY))
			memset(mem.r[i].hva, 0, mem.r[i].size);
	*mm = mem;
}

struct fuzz_machine *fuzz_machine(void)
{
	struct fuzz_machine *m = &machine;
	struct vm *vm = &m->vm;

	memset(m, 0, sizeof(*m));
	vm_init(vm, NULL);
	fuzz_mem(&vm->mem);
	vm->ram = vm->mem.r[0].hva;
	vm->ram_size = memmap_low_top(&vm->mem);
	m->cpu = &vm->vcpus[0];
	m->cpu->run = (struct kvm_run *)m->run_page;
	m->cpu->run_size = sizeof(m->run_page);
	if (machine_init(vm))
		abort();
	return m;
}

void fuzz_machine_done(struct fuzz_machine *m)
{
	unsigned int i;

	/* The DIMMs the input plugged; the map's own RAM stays for the next. */
	for (i = 0; i < m->vm.mem.nr; i++)
		if (m->vm.mem.r[i].kind == MEM_DIMM)
			munmap(m->vm.mem.r[i].hva, m->vm.mem.r[i].size);
	machine_exit(&m->vm);
	bus_free(&m->vm.pio);
	bus_free(&m->vm.mmio);
}

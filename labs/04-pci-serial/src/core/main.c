/*
 * main.c - the lab 03 VMM: lay out guest memory as a PC's, load a guest,
 * give it the PC's interrupt controllers and up to 8 processors, run it
 * on KVM, report how it ended (book §1.5, §2.2 for the memory map, ch. 3
 * for the interrupt controllers, §1.4 for the processors).
 *
 *   vmm [--trace] [--stats] [--mem SIZE] [--demand-above ADDR]
 *       [--cpus N] [--irqchip user|split|kernel] GUEST
 *
 * The devices are in src/core/machine.c. The exit status says how the
 * run ended; see guests/README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/machine.h"
#include "core/options.h"
#include "core/stats.h"
#include "core/vm.h"
#include "cpu/loader.h"
#include "cpu/bzimage.h"

static int fail(int status, const char *what)
{
	fflush(stdout);
	if (what)
		fprintf(stderr, "vmm: %s: %s\n", what, err_msg());
	else
		fprintf(stderr, "vmm: %s\n", err_msg());
	return status;
}

/* Stop the devices, free the VM, and end with `status`. */
static int quit(struct vm *vm, int status)
{
	machine_exit(vm);
	vm_destroy(vm);
	return status;
}

/* Read and load the guest, then make the devices, which may look at it. */
static int load(struct vm *vm, const struct options *opt,
		struct boot_info *bi)
{
	uint8_t *image = NULL;
	size_t len = 0;
	int ret;

	/* Lab 04: Linux, from --kernel, --initrd and --append. */
	if (opt->kernel) {
		vm->boot = bi;
		ret = bzimage_load_guest(vm, opt, bi);
		return ret ? ret : machine_init(vm);
	}
	ret = loader_read_file(opt->guest, opt->mem, &image, &len);
	if (!ret)
		ret = loader_load(vm->ram, vm->ram_size, image, len, bi);
	if (ret) {
		free(image);
		return -ENOEXEC;
	}
	bi->image = image;
	bi->image_len = len;
	vm->boot = bi;
	ret = machine_init(vm);
	free(image);
	bi->image = NULL;
	bi->image_len = 0;
	return ret;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct boot_info bi = { 0 };
	struct vm vm;
	int ret, status;

	ret = options_parse(&opt, argc, argv, stderr);
	if (ret > 0)
		return 0;		/* --help */
	if (ret < 0)
		return VMM_EXIT_USAGE;

	/* Guest file problems are the user's: report them before touching KVM. */
	vm_init(&vm, &opt);
	if (vm_alloc_ram(&vm, opt.mem) < 0)
		return quit(&vm, fail(VMM_EXIT_HOST, NULL));
	ret = load(&vm, &opt, &bi);
	if (ret == -ENOEXEC)
		return quit(&vm, fail(VMM_EXIT_USAGE, opt.guest));
	if (ret)
		return quit(&vm, fail(VMM_EXIT_HOST, NULL));

	if (vm_open_kvm(&vm, opt.kvm_dev) < 0 || vm_create(&vm) < 0 ||
	    machine_kvm(&vm) < 0 || vcpu_create_all(&vm, &bi) < 0 ||
	    machine_start(&vm) < 0)
		return quit(&vm, fail(VMM_EXIT_HOST, NULL));
	if (opt.trace) {
		fprintf(stderr, "vmm: %s: %s, entry 0x%llx, %llu MiB of RAM\n",
			opt.guest, loader_format_name(bi.format),
			(unsigned long long)bi.entry,
			(unsigned long long)(opt.mem >> 20));
		memmap_print(&vm.mem, stderr);
		fprintf(stderr, "vmm: %u vCPU%s, --irqchip=%s\n", vm.nr_vcpus,
			vm.nr_vcpus == 1 ? "" : "s",
			options_irqchip_name(opt.irqchip));
	}

	ret = vm_run(&vm);
	fflush(stdout);
	status = vm_exit_status(&vm);
	if (ret < 0)
		status = fail(VMM_EXIT_HOST, NULL);
	if (opt.stats) {
		stats_print(&vm, stderr);
		machine_stats(&vm, stderr);
	}
	return quit(&vm, status);
}

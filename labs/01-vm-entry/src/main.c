/*
 * main.c - the lab 01 VMM: load a guest, run it on KVM, report how it
 * ended (book §1.5, "a simple KVM user-space example", grown up).
 *
 *   vmm [--trace] [--stats] [--mem SIZE] GUEST
 *
 * The exit status says how the run ended; see guests/README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "err.h"
#include "kvm.h"
#include "loader.h"
#include "msr.h"
#include "options.h"
#include "run.h"
#include "vm.h"

static int fail(int status, const char *what)
{
	fflush(stdout);
	if (what)
		fprintf(stderr, "vmm: %s: %s\n", what, err_msg());
	else
		fprintf(stderr, "vmm: %s\n", err_msg());
	return status;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct boot_info bi;
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu.fd = -1 };
	struct msr_state msr;
	struct debugcon dc;
	struct exitdev ed;
	struct testdev td_port, td_mmio;
	uint8_t *image = NULL;
	size_t len = 0;
	int ret, status;

	ret = options_parse(&opt, argc, argv, stderr);
	if (ret > 0)
		return 0;		/* --help */
	if (ret < 0)
		return VMM_EXIT_USAGE;

	/* Guest file problems are the user's: report them before touching KVM. */
	if (vm_alloc_ram(&vm, opt.mem) < 0)
		return fail(VMM_EXIT_HOST, NULL);
	if (loader_read_file(opt.guest, opt.mem, &image, &len) < 0 ||
	    loader_load(vm.ram, vm.ram_size, image, len, &bi) < 0) {
		free(image);
		return fail(VMM_EXIT_USAGE, opt.guest);
	}
	free(image);

	bus_init(&vm.pio, "port");
	bus_init(&vm.mmio, "mmio");
	msr_init(&msr);
	vm.msr = &msr;
	if (debugcon_init(&dc, &vm, stdout) < 0 || exitdev_init(&ed, &vm) < 0 ||
	    testdev_init(&td_port, &td_mmio, &vm) < 0)
		return fail(VMM_EXIT_HOST, NULL);

	if (kvm_open(&vm, opt.kvm_dev) < 0 || vm_create(&vm) < 0 ||
	    vcpu_create(&vm) < 0 || vcpu_setup(&vm.vcpu, &bi) < 0) {
		status = fail(VMM_EXIT_HOST, NULL);
		vm_destroy(&vm);
		return status;
	}
	vm.vcpu.trace = opt.trace;
	vm.vcpu.stats = opt.stats;
	if (opt.trace)
		fprintf(stderr, "vmm: %s: %s, entry 0x%llx, %llu MiB of RAM\n",
			opt.guest, loader_format_name(bi.format),
			(unsigned long long)bi.entry,
			(unsigned long long)(opt.mem >> 20));

	ret = vcpu_run(&vm.vcpu);
	fflush(stdout);
	status = vm.exit_status;
	if (ret < 0)
		status = fail(VMM_EXIT_HOST, NULL);
	if (opt.stats)
		stats_print(&vm.vcpu, stderr);
	vm_destroy(&vm);
	return status;
}

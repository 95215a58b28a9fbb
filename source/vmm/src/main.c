/*
/* @@ ..01 */
 * main.c - the lab 01 VMM: load a guest, run it on KVM, report how it
 * ended (book §1.5, "a simple KVM user-space example", grown up).
/* @@ else */
 * main.c - the lab 02 VMM: lay out guest memory as a PC's, load a guest,
 * run it on KVM, report how it ended (book §1.5, and §2.2 for the memory
 * map, the BIOS and the virtual DIMM).
/* @@ end */
 *
/* @@ ..01 */
 *   vmm [--trace] [--stats] [--mem SIZE] GUEST
/* @@ else */
 *   vmm [--trace] [--stats] [--mem SIZE] [--demand-above ADDR] GUEST
/* @@ end */
 *
 * The exit status says how the run ended; see guests/README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* @@ 02 */
#include "bios.h"
/* @@ end */
#include "devices.h"
/* @@ 02 */
#include "dimm.h"
#include "dirtylog.h"
/* @@ end */
#include "err.h"
#include "kvm.h"
#include "loader.h"
#include "msr.h"
#include "options.h"
/* @@ 02 */
#include "pv.h"
/* @@ end */
#include "run.h"
/* @@ 02 */
#include "uffd.h"
/* @@ end */
#include "vm.h"
/* @@ 02 */
#include "walkdev.h"
/* @@ end */

static int fail(int status, const char *what)
{
	fflush(stdout);
	if (what)
		fprintf(stderr, "vmm: %s: %s\n", what, err_msg());
	else
		fprintf(stderr, "vmm: %s\n", err_msg());
	return status;
}
/* @@ 02 */

/* RAM above the boundary starts empty; the fault thread fills it. */
static int demand_setup(struct vm *vm, struct uffd *u, uint64_t boundary)
{
	unsigned int i;
	int ret;

	ret = uffd_open(u, boundary);
	if (ret) {
		uffd_close(u);
		return ret;
	}
	vm->uffd = u;
	for (i = 0; i < vm->mem.nr; i++) {
		ret = uffd_add_region(u, &vm->mem.r[i]);
		if (ret)
			return ret;
	}
	return uffd_start(u);
}

/* Lab 02's lines of --stats: memory. */
static void mem_stats_print(const struct vm *vm, const struct dirtylog *dl,
			    const struct dimm *dimm, FILE *out)
{
	const struct uffd *u = vm->uffd;

	if (u)
		fprintf(out,
			"vmm:   demand faults (userfaultfd) %8llu: %llu read first (zero page), %llu written first (copied)%s\n",
			(unsigned long long)(u->zero_pages + u->copied_pages),
			(unsigned long long)u->zero_pages,
			(unsigned long long)u->copied_pages,
			u->failed ? ", some left to the kernel" : "");
	fprintf(out, "vmm:   dirty pages reported       %8llu in %llu reports\n",
		(unsigned long long)dl->reported,
		(unsigned long long)dl->reports);
	fprintf(out, "vmm:   DIMMs hot-plugged          %8llu\n",
		(unsigned long long)dimm->added);
}
/* @@ end */

int main(int argc, char **argv)
{
	struct options opt;
	struct boot_info bi;
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu.fd = -1 };
	struct msr_state msr;
	struct debugcon dc;
	struct exitdev ed;
	struct testdev td_port, td_mmio;
	/* @@ 02 */
	struct bios bios;
	struct dimm dimm;
	struct dirtylog dl;
	struct uffd uffd;
	struct walkdev wd;
	struct pv pv;		/* a paravirtual guest (src/pv.h), or mode 0 */
	/* @@ end */
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
	    /* @@ ..01 */
	    loader_load(vm.ram, vm.ram_size, image, len, &bi) < 0) {
	    /* @@ else */
	    loader_load(vm.ram, vm.ram_size, image, len, &bi) < 0 ||
	    pv_probe(&pv, image, len, vm.ram_size) < 0) {
	    /* @@ end */
		free(image);
		/* @@ 02 */
		vm_destroy(&vm);
		/* @@ end */
		return fail(VMM_EXIT_USAGE, opt.guest);
	}
	free(image);

	bus_init(&vm.pio, "port");
	bus_init(&vm.mmio, "mmio");
	msr_init(&msr);
	vm.msr = &msr;
	/* @@ ..01 */
	if (debugcon_init(&dc, &vm, stdout) < 0 || exitdev_init(&ed, &vm) < 0 ||
	    testdev_init(&td_port, &td_mmio, &vm) < 0)
		return fail(VMM_EXIT_HOST, NULL);
	/* @@ else */
	if (debugcon_init(&dc, &vm, stdout) < 0 || exitdev_init(&ed, &vm) < 0 ||
	    testdev_init(&td_port, &td_mmio, &vm) < 0 ||
	    bios_init(&bios, &vm) < 0 || dimm_init(&dimm, &vm) < 0 ||
	    dirtylog_init(&dl, &vm) < 0 || walkdev_init(&wd, &vm) < 0) {
		status = fail(VMM_EXIT_HOST, NULL);
		vm_destroy(&vm);
		return status;
	}
	/* @@ end */

	if (kvm_open(&vm, opt.kvm_dev) < 0 || vm_create(&vm) < 0 ||
	    /* @@ ..01 */
	    vcpu_create(&vm) < 0 || vcpu_setup(&vm.vcpu, &bi) < 0) {
	    /* @@ else */
	    vcpu_create(&vm) < 0 || vcpu_setup(&vm.vcpu, &bi) < 0 ||
	    pv_setup(&pv, &vm) < 0 ||
	    (opt.demand && demand_setup(&vm, &uffd, opt.demand_above) < 0)) {
	    /* @@ end */
		status = fail(VMM_EXIT_HOST, NULL);
		vm_destroy(&vm);
		return status;
	}
	vm.vcpu.trace = opt.trace;
	vm.vcpu.stats = opt.stats;
	/* @@ ..01 */
	if (opt.trace)
	/* @@ else */
	if (opt.trace) {
	/* @@ end */
		fprintf(stderr, "vmm: %s: %s, entry 0x%llx, %llu MiB of RAM\n",
			opt.guest, loader_format_name(bi.format),
			(unsigned long long)bi.entry,
			(unsigned long long)(opt.mem >> 20));
	/* @@ 02 */
		memmap_print(&vm.mem, stderr);
	}
	/* @@ end */

	ret = vcpu_run(&vm.vcpu);
	fflush(stdout);
	status = vm.exit_status;
	if (ret < 0)
		status = fail(VMM_EXIT_HOST, NULL);
	/* @@ ..01 */
	if (opt.stats)
		stats_print(&vm.vcpu, stderr);
	/* @@ else */
	if (vm.uffd)
		uffd_stop(vm.uffd);	/* its counters are final from here */
	if (opt.stats) {
		stats_print(&vm.vcpu, stderr);
		mem_stats_print(&vm, &dl, &dimm, stderr);
		pv_stats_print(&pv, stderr);
	}
	dirtylog_close(&dl);
	walkdev_free(&wd);
	/* @@ end */
	vm_destroy(&vm);
	/* @@ 02 */
	pv_free(&pv);
	/* @@ end */
	return status;
}

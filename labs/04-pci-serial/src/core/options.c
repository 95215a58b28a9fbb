/*
 * options.c - parsing the command line. Every mistake is one line on
 * stderr and exit status 2; nothing runs with an option we did not
 * understand.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "core/vm.h"
#include "mem/memmap.h"
#include "core/options.h"
#include "dev/serial.h"

static const char usage[] =
	"usage: vmm [--trace] [--stats] [--mem SIZE] [--demand-above ADDR]\n"
	"           [--cpus N] [--irqchip user|split|kernel] [--serial HOST]\n"
	"           GUEST | --kernel BZIMAGE [--initrd FILE] [--append CMDLINE]\n"
	"  GUEST      a flat real-mode binary, a multiboot ELF32 or an ELF64\n"
	"  --mem SIZE guest RAM, e.g. 32M or 5G (default 32M; a 4 KiB multiple from\n"
	"             1M to 64G, and at most the host's RAM unless the host always\n"
	"             overcommits; above 3G, the rest is placed at 4 GiB)\n"
	"  --demand-above ADDR\n"
	"             guest RAM at and above guest-physical ADDR (1M or more, a 4 KiB\n"
	"             multiple) starts empty and is filled on first touch (userfaultfd)\n"
	"  --cpus N   N processors, 1 to 8 (default 1); vCPU 0 boots, the others\n"
	"             wait for INIT and SIPI from it\n"
	"  --irqchip MODE\n"
	"             where the interrupt controllers are: user (default: all in\n"
	"             the VMM), split (local APICs in KVM) or kernel (all in KVM)\n"
	"  --serial HOST\n"
	"             COM1's other end: stdio (the default; a terminal goes raw,\n"
	"             Ctrl-A x quits), file:PATH (output only) or pipe:PATH\n"
	"             (QEMU's: PATH.in and PATH.out, or PATH itself)\n"
	"  --kernel BZIMAGE\n"
	"             boot Linux instead of a GUEST (x86 boot protocol 2.12 or\n"
	"             later, 64-bit entry), with --initrd FILE as its initial RAM\n"
	"             disk and --append CMDLINE as its command line\n"
	"  --trace    print the memory map, one line per VM exit and every\n"
	"             interrupt decision on stderr\n"
	"  --stats    print exit counts, interrupts, where the time went, demand\n"
	"             faults and dirty pages on stderr\n"
	"exit status: 0 guest halted, odd: the guest's exit device code,\n"
	"  2 bad usage or guest file, 4 guest crashed the VM, 6 host/KVM error\n";

/* "64M", "1G", "4096K", "1048576": bytes, with an optional binary suffix. */
int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] != '\0')
		return -EINVAL;
	if (v > (~0ULL >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

static int bad_mem(FILE *err, const char *opt, const char *arg,
		   const char *why)
{
	fprintf(err, "vmm: bad %s '%s': %s\n", opt, arg, why);
	return -EINVAL;
}

/*
 * The most RAM a guest may be promised: the host's physical memory, as
 * guest RAM is mapped without reserving it (MAP_NORESERVE) and a guest
 * that touched more would meet the OOM killer. A host that says it always
 * overcommits (vm.overcommit_memory = 1, as the lab machine does) has
 * chosen that risk: there the limit is only MEM_MAX.
 */
uint64_t options_host_mem(void)
{
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
	int mode = 0;

	if (f) {
		if (fscanf(f, "%d", &mode) != 1)
			mode = 0;
		fclose(f);
	}
	if (mode == 1)
		return MEM_MAX;
	return options_phys_mem();
}

/* The host's physical memory, from sysconf(). */
uint64_t options_phys_mem(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long size = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || size <= 0)
		return MEM_MAX;
	return (uint64_t)pages * (uint64_t)size;
}

static int options_mem(struct options *opt, const char *arg, FILE *err)
{
	uint64_t v, host = options_host_mem();
	char why[160];
	int ret = parse_size(arg, &v);

	if (ret == -ERANGE)
		return bad_mem(err, "--mem", arg, "too large");
	if (ret)
		return bad_mem(err, "--mem", arg, "expected a size such as 64M or 1G");
	if (v == 0)
		return bad_mem(err, "--mem", arg, "guest RAM cannot be empty");
	if (v % 4096)
		return bad_mem(err, "--mem", arg, "not a multiple of 4 KiB");
	if (v < MEM_MIN)
		return bad_mem(err, "--mem", arg, "at least 1M is needed");
	if (v > MEM_MAX)
		return bad_mem(err, "--mem", arg, "at most 64G in this lab");
	if (v > host) {
		snprintf(why, sizeof(why),
			 "more than this host's physical memory (%llu MiB; sysctl vm.overcommit_memory=1 allows it)",
			 (unsigned long long)(host >> 20));
		return bad_mem(err, "--mem", arg, why);
	}
	opt->mem = v;
	return 0;
}

static int options_demand(struct options *opt, const char *arg, FILE *err)
{
	uint64_t v;
	int ret = parse_size(arg, &v);

	if (ret)
		return bad_mem(err, "--demand-above", arg,
			       "expected a guest-physical address such as 64M or 4G");
	if (v % 4096)
		return bad_mem(err, "--demand-above", arg, "not a multiple of 4 KiB");
	if (v < MEMMAP_HIGH)
		return bad_mem(err, "--demand-above", arg,
			       "RAM below 1M is always populated (at least 1M)");
	opt->demand = true;
	opt->demand_above = v;
	return 0;
}

static const char *const irqchip_names[] = {
	[IRQCHIP_USER] = "user",
	[IRQCHIP_SPLIT] = "split",
	[IRQCHIP_KERNEL] = "kernel",
};

const char *options_irqchip_name(enum irqchip_mode mode)
{
	return irqchip_names[mode];
}

static int options_cpus(struct options *opt, const char *arg, FILE *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 1 || v > VMM_MAX_CPUS) {
		fprintf(err, "vmm: bad --cpus '%s': a number of processors from 1 to %d\n",
			arg, VMM_MAX_CPUS);
		return -EINVAL;
	}
	opt->cpus = (unsigned int)v;
	return 0;
}

static int options_irqchip(struct options *opt, const char *arg, FILE *err)
{
	unsigned int i;

	for (i = 0; i < sizeof(irqchip_names) / sizeof(irqchip_names[0]); i++) {
		if (!strcmp(arg, irqchip_names[i])) {
			opt->irqchip = (enum irqchip_mode)i;
			return 0;
		}
	}
	fprintf(err, "vmm: bad --irqchip '%s': user, split or kernel\n", arg);
	return -EINVAL;
}

static int options_serial(struct options *opt, const char *arg, FILE *err)
{
	enum serial_kind kind;
	const char *path;

	if (serial_parse(arg, &kind, &path)) {
		fprintf(err, "vmm: bad --serial '%s': stdio, file:PATH or pipe:PATH\n",
			arg);
		return -EINVAL;
	}
	opt->serial = arg;
	return 0;
}

/*
 * What runs: one GUEST, or Linux from --kernel (with its --initrd and
 * --append), which then also names the guest in messages.
 */
static int options_guest(struct options *opt, int argc, char **argv,
			 FILE *err)
{
	if (opt->kernel && optind < argc) {
		fprintf(err, "vmm: --kernel boots Linux: unexpected guest '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (!opt->kernel && (opt->initrd || opt->append)) {
		fprintf(err, "vmm: --initrd and --append go with --kernel\n");
		return -EINVAL;
	}
	if (opt->kernel) {
		opt->guest = opt->kernel;
		return 0;
	}
	if (optind == argc) {
		fprintf(err, "vmm: no guest given (see vmm --help)\n");
		return -EINVAL;
	}
	if (argc - optind > 1) {
		fprintf(err, "vmm: one guest at a time; unexpected '%s'\n",
			argv[optind + 1]);
		return -EINVAL;
	}
	opt->guest = argv[optind];
	return 0;
}

/* 0: run; 1: help was printed; <0: a usage error was printed. */
int options_parse(struct options *opt, int argc, char **argv, FILE *err)
{
	static const struct option longopts[] = {
		{ "trace", no_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "mem", required_argument, NULL, 'm' },
		{ "demand-above", required_argument, NULL, 'd' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "irqchip", required_argument, NULL, 'i' },
		{ "serial", required_argument, NULL, 'S' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'r' },
		{ "append", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("VMMLAB_KVM_DEV");
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->mem = MEM_DEFAULT;
	opt->cpus = 1;
	opt->irqchip = IRQCHIP_USER;
	opt->kvm_dev = env && *env ? env : KVM_DEV_DEFAULT;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			opt->trace = true;
			break;
		case 's':
			opt->stats = true;
			break;
		case 'm':
			if (options_mem(opt, optarg, err))
				return -EINVAL;
			break;
		case 'd':
			if (options_demand(opt, optarg, err))
				return -EINVAL;
			break;
		case 'c':
			if (options_cpus(opt, optarg, err))
				return -EINVAL;
			break;
		case 'i':
			if (options_irqchip(opt, optarg, err))
				return -EINVAL;
			break;
		case 'S':
			if (options_serial(opt, optarg, err))
				return -EINVAL;
			break;
		case 'k':
			opt->kernel = optarg;
			break;
		case 'r':
			opt->initrd = optarg;
			break;
		case 'a':
			opt->append = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case ':':
			fprintf(err, "vmm: option '%s' needs a value (see vmm --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(err, "vmm: unknown option '%s' (see vmm --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (options_guest(opt, argc, argv, err))
		return -EINVAL;
	if (opt->demand && opt->demand_above >= memmap_ram_end(opt->mem)) {
		fprintf(err, "vmm: bad --demand-above: 0x%llx is not below the end of guest RAM (0x%llx)\n",
			(unsigned long long)opt->demand_above,
			(unsigned long long)memmap_ram_end(opt->mem));
		return -EINVAL;
	}
	return 0;
}

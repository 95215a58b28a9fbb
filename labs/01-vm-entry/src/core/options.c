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

#include "core/vm.h"
#include "core/options.h"

static const char usage[] =
	"usage: vmm [--trace] [--stats] [--mem SIZE] GUEST\n"
	"  GUEST      a flat real-mode binary, a multiboot ELF32 or an ELF64\n"
	"  --mem SIZE guest RAM, e.g. 32M or 1G (default 32M, 1M to 3G, 4 KiB multiple)\n"
	"  --trace    print one line per VM exit on stderr\n"
	"  --stats    print exit counts and where the time went on stderr\n"
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

static int bad_mem(FILE *err, const char *arg, const char *why)
{
	fprintf(err, "vmm: bad --mem '%s': %s\n", arg, why);
	return -EINVAL;
}

static int options_mem(struct options *opt, const char *arg, FILE *err)
{
	uint64_t v;
	int ret = parse_size(arg, &v);

	if (ret == -ERANGE)
		return bad_mem(err, arg, "too large");
	if (ret)
		return bad_mem(err, arg, "expected a size such as 64M or 1G");
	if (v == 0)
		return bad_mem(err, arg, "guest RAM cannot be empty");
	if (v % 4096)
		return bad_mem(err, arg, "not a multiple of 4 KiB");
	if (v < MEM_MIN)
		return bad_mem(err, arg, "at least 1M is needed");
	if (v > MEM_MAX)
		return bad_mem(err, arg, "at most 3G in this lab (the MMIO hole starts at 3 GiB)");
	opt->mem = v;
	return 0;
}

/* 0: run; 1: help was printed; <0: a usage error was printed. */
int options_parse(struct options *opt, int argc, char **argv, FILE *err)
{
	static const struct option longopts[] = {
		{ "trace", no_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "mem", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("VMMLAB_KVM_DEV");
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->mem = MEM_DEFAULT;
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

/*
 * test_options.c - the command line: every mistake is refused.
 * Lab 02: --mem above 3 GiB, up to 64 GiB and the host's memory, and
 * --demand-above.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/options.h"
#include "unit.h"

static int parse(int argc, char **argv, struct options *o)
{
	FILE *devnull = fopen("/dev/null", "w");
	int ret = options_parse(o, argc, argv, devnull);

	fclose(devnull);
	return ret;
}

START_TEST(sizes)
{
	uint64_t v;

	ck_assert_int_eq(parse_size("64M", &v), 0);
	ck_assert_uint_eq(v, 64ULL << 20);
	ck_assert_int_eq(parse_size("1g", &v), 0);
	ck_assert_uint_eq(v, 1ULL << 30);
	ck_assert_int_eq(parse_size("4096K", &v), 0);
	ck_assert_uint_eq(v, 4ULL << 20);
	ck_assert_int_eq(parse_size("1048576", &v), 0);
	ck_assert_uint_eq(v, 1ULL << 20);
	ck_assert_int_eq(parse_size("", &v), -EINVAL);
	ck_assert_int_eq(parse_size("-1M", &v), -EINVAL);
	ck_assert_int_eq(parse_size("12Q", &v), -EINVAL);
	ck_assert_int_eq(parse_size("1MM", &v), -EINVAL);
	ck_assert_int_eq(parse_size("99999999999999999999", &v), -ERANGE);
	ck_assert_int_eq(parse_size("99999999999999G", &v), -ERANGE);
}
END_TEST

START_TEST(good_command_line)
{
	char *argv[] = { "vmm", "--trace", "--mem", "16M", "--stats", "g.elf", NULL };
	struct options o;

	ck_assert_int_eq(parse(6, argv, &o), 0);
	ck_assert(o.trace);
	ck_assert(o.stats);
	ck_assert_uint_eq(o.mem, 16ULL << 20);
	ck_assert_str_eq(o.guest, "g.elf");
}
END_TEST

START_TEST(bad_command_lines)
{
	static const char *mems[] = { "0", "4097", "65G", "abc", "512K", "3G1" };
	char *unknown[] = { "vmm", "--frobnicate", "g", NULL };
	char *noguest[] = { "vmm", "--trace", NULL };
	char *twoguests[] = { "vmm", "a", "b", NULL };
	char *novalue[] = { "vmm", "--mem", NULL };
	struct options o;
	unsigned int i;

	for (i = 0; i < sizeof(mems) / sizeof(mems[0]); i++) {
		char *argv[] = { "vmm", "--mem", (char *)mems[i], "g", NULL };

		ck_assert_msg(parse(4, argv, &o) < 0, "--mem %s accepted", mems[i]);
	}
	ck_assert_int_lt(parse(3, unknown, &o), 0);
	ck_assert_int_lt(parse(2, noguest, &o), 0);
	ck_assert_int_lt(parse(3, twoguests, &o), 0);
	ck_assert_int_lt(parse(2, novalue, &o), 0);
}
END_TEST

/* One line on stderr for a bad option: what parse() would print. */
static int parse_msg(int argc, char **argv, char *msg, size_t size)
{
	FILE *err = tmpfile();
	struct options o;
	int ret;

	ck_assert_ptr_nonnull(err);
	ret = options_parse(&o, argc, argv, err);
	rewind(err);
	if (!fgets(msg, (int)size, err))
		msg[0] = '\0';
	fclose(err);
	return ret;
}

/*
 * The limit --mem is held to, worked out here from /proc rather than by
 * the code under test, as src/options.c says it is: 64 GiB when the host
 * always overcommits (vm.overcommit_memory = 1), else the host's RAM
 * (MemTotal in /proc/meminfo, the pages sysconf() counts).
 */
static uint64_t expected_limit(void)
{
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
	unsigned long long kib = 0;
	char line[128];
	int mode = -1;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &mode), 1);
	fclose(f);
	if (mode == 1)
		return 64ULL << 30;
	f = fopen("/proc/meminfo", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
			break;
	fclose(f);
	ck_assert_uint_gt(kib, 0);
	return (uint64_t)kib << 10;
}

START_TEST(mem_above_4g_and_host_limit)
{
	uint64_t limit = expected_limit(), mib = limit >> 20;
	char big[32], msg[256];
	char *argv[] = { "vmm", "--mem", big, "g", NULL };
	struct options o;

	ck_assert_uint_eq(options_host_mem(), limit);
	if (limit < (64ULL << 30)) {
		/* One MiB more than this host has: refused in one line
		 * that says why. */
		snprintf(big, sizeof(big), "%lluM", (unsigned long long)mib + 1);
		ck_assert_int_lt(parse_msg(4, argv, msg, sizeof(msg)), 0);
		ck_assert_ptr_nonnull(strstr(msg, "physical memory"));
		ck_assert_ptr_nonnull(strchr(msg, '\n'));
		/* All of it (in whole MiB) is fine. */
		snprintf(big, sizeof(big), "%lluM", (unsigned long long)mib);
		ck_assert_int_eq(parse(4, argv, &o), 0);
		ck_assert_uint_eq(o.mem, mib << 20);
	}
	/* 64 GiB is the lab's limit: fine if the host allows it. */
	snprintf(big, sizeof(big), "64G");
	ck_assert_int_eq(parse(4, argv, &o) == 0, limit >= (64ULL << 30));
	snprintf(big, sizeof(big), "65G");
	ck_assert_int_lt(parse_msg(4, argv, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "64G"));
}
END_TEST

START_TEST(demand_above)
{
	static const char *bad[] = { "0", "512K", "64M1", "x", "4097K" };
	char *good[] = { "vmm", "--mem", "64M", "--demand-above", "16M", "g", NULL };
	char *top[] = { "vmm", "--demand-above", "32M", "g", NULL };
	char *hole[] = { "vmm", "--demand-above", "3G", "--mem", "3G", "g", NULL };
	struct options o;
	unsigned int i;

	ck_assert_int_eq(parse(6, good, &o), 0);
	ck_assert(o.demand);
	ck_assert_uint_eq(o.demand_above, 16ULL << 20);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "vmm", "--demand-above", (char *)bad[i], "g", NULL };

		ck_assert_msg(parse(4, argv, &o) < 0, "--demand-above %s accepted", bad[i]);
	}
	/* At or past the end of RAM (32 MiB by default; 3 GiB): nothing to do. */
	ck_assert_int_lt(parse(4, top, &o), 0);
	ck_assert_int_lt(parse(6, hole, &o), 0);
	ck_assert_int_eq(parse(2, (char *[]){ "vmm", "g", NULL }, &o), 0);
	ck_assert(!o.demand);
}
END_TEST

Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, sizes);
	tcase_add_test(tc, good_command_line);
	tcase_add_test(tc, bad_command_lines);
	tcase_add_test(tc, mem_above_4g_and_host_limit);
	tcase_add_test(tc, demand_above);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_options.c - the command line: every mistake is refused.
 */
#include <errno.h>
#include <stdio.h>

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
	static const char *mems[] = { "0", "4097", "5G", "abc", "512K", "3G1" };
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

Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, sizes);
	tcase_add_test(tc, good_command_line);
	tcase_add_test(tc, bad_command_lines);
	suite_add_tcase(s, tc);
	return s;
}

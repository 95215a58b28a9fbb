/*
 * san.c - linked into the sanitizer build only (make SAN=1).
 *
 * AddressSanitizer and UBSan end the program at their first report (the
 * build has -fno-sanitize-recover=all), by default with status 1: the
 * status a passing test guest gives the VMM. Status 86 is none the VMM
 * gives (guests/README.md, "How a VMM run ends"), so a report can never
 * pass for a good run.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "exitcode=86:detect_leaks=1";
}

const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:exitcode=86";
}

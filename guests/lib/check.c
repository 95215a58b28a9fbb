/*
 * Numbered checks with one line of output each (see check.h).
 */
#include <stdarg.h>
#include "check.h"
#include "console.h"

static int checks;
static int failures;
static int first_failure;

int check(unsigned long long got, unsigned long long want, int digits,
	  const char *fmt, ...)
{
	va_list ap;

	checks++;
	con_printf("%2d. ", checks);
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_printf(" = 0x%0*llx", digits, got);
	if (got == want) {
		con_puts(" ok\n");
		return 1;
	}
	con_printf(" BAD, want 0x%0*llx\n", digits, want);
	failures++;
	if (!first_failure)
		first_failure = checks;
	return 0;
}

int check_range(unsigned long long got, unsigned long long lo,
		unsigned long long hi, const char *fmt, ...)
{
	va_list ap;

	checks++;
	con_printf("%2d. ", checks);
	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
	con_printf(": from %llu to %llu", lo, hi);
	if (got >= lo && got <= hi) {
		con_puts(" ok\n");
		return 1;
	}
	con_printf(" BAD, got %llu\n", got);
	failures++;
	if (!first_failure)
		first_failure = checks;
	return 0;
}

int check_done(const char *name)
{
	if (!failures)
		con_printf("%s: all %d checks passed\n", name, checks);
	else
		con_printf("%s: %d of %d checks failed, the first is %d\n",
			   name, failures, checks, first_failure);
	return first_failure;
}

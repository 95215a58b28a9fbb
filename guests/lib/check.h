/*
 * Numbered checks for the guests that test something. Each check prints one
 * line, "NN. what = 0xvalue ok" or "... BAD, want 0xvalue", so a transcript
 * shows exactly which access went wrong; check_done() prints the verdict and
 * returns the number of the first failed check (0 when all passed), the code
 * the guest then writes to the exit device (guests/README.md).
 */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

/*
 * Check one value: print the description (printf-style), then " = " and
 * `got` as `digits` hex digits, then the verdict. Returns 1 if got == want.
 */
int check(unsigned long long got, unsigned long long want, int digits,
	  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Check that a value lies in [lo, hi] without printing it, so that the
 * transcript is the same for every value the check accepts: "NN. what:
 * from lo to hi ok", or "... BAD, got value".
 */
int check_range(unsigned long long got, unsigned long long lo,
		unsigned long long hi, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Print "<name>: all N checks passed" or which failed; return the code. */
int check_done(const char *name);

#endif

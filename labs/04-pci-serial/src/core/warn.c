/*
 * warn.c - a device's complaint about its guest, said once (warn.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/warn.h"

/* Say it unless *warned, which is set from then on. */
void warn_once(bool *warned, const char *dev, const char *fmt, ...)
{
	va_list ap;

	if (*warned)
		return;
	*warned = true;
	fprintf(stderr, "vmm: %s: ", dev);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (logged once)\n");
}

/*
 * A block of 4-byte registers (the DIMM and dirty-log devices) answers
 * only 4-byte accesses at a multiple of 4: true, said once, for another
 * `what` ("read" or "write") of `size` bytes at `offset`.
 */
bool warn_reg32_bad(bool *warned, const char *dev, const char *what,
		    uint64_t offset, unsigned int size)
{
	if (size == 4 && offset % 4 == 0)
		return false;
	warn_once(warned, dev, "bad %u-byte %s at offset 0x%llx ignored",
		  size, what, (unsigned long long)offset);
	return true;
}

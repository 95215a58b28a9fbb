/*
 * irqwarn.c - the once-per-kind warning of the interrupt models (irqwarn.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "irq/irqwarn.h"

void irqwarn_once(irqwarn_fn *fn, void *opaque, uint32_t *said,
		  unsigned int bit, const char *dev, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (bit >= 32 || (*said & (1u << bit)))
		return;
	*said |= 1u << bit;
	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(opaque, dev, msg);
}

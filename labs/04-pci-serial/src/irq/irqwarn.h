/*
 * irqwarn.h - how the interrupt models complain about their guest: once
 * per kind of misuse, through the owner's callback, so that a hostile
 * guest cannot flood the log (book ch. 3; the same rule as lab 02's
 * warn_once, but through a callback because the models own no stream).
 */
#ifndef VMM_IRQWARN_H
#define VMM_IRQWARN_H

#include <stdint.h>

/* The owner's sink: one line, without newline; may be NULL (silence). */
typedef void irqwarn_fn(void *opaque, const char *dev, const char *msg);

/*
 * Say fmt through fn unless bit `bit` of *said is set, then set it. The
 * callback runs with the calling model's lock held: it must not call
 * back into any interrupt model.
 */
__attribute__((format(printf, 6, 7)))
void irqwarn_once(irqwarn_fn *fn, void *opaque, uint32_t *said,
		  unsigned int bit, const char *dev, const char *fmt, ...);

#endif

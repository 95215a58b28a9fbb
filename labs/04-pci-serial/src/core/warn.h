/*
 * warn.h - what a lab 02 device says when the guest does something it
 * ignores: one line on stderr, "vmm: DEVICE: WHAT (logged once)", the
 * first time only, so that a broken or hostile guest cannot flood it.
 */
#ifndef VMM_WARN_H
#define VMM_WARN_H

#include <stdbool.h>
#include <stdint.h>

__attribute__((format(printf, 3, 4)))
void warn_once(bool *warned, const char *dev, const char *fmt, ...);
bool warn_reg32_bad(bool *warned, const char *dev, const char *what,
		    uint64_t offset, unsigned int size);

#endif

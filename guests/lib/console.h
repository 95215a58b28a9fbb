/*
 * Debug-console output (port 0xE9): the VMM copies every byte to its
 * standard output, so this is what a guest's transcript is made of.
 *
 * con_printf() knows %c %s %d %u %x and %%, an optional '0' flag, a width
 * (digits or '*') and the length modifiers l and ll. Numbers are unsigned
 * long long inside, printed with 32-bit divisions only, so 32-bit guests
 * need no libgcc.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdarg.h>

void con_putc(char c);
void con_puts(const char *s);
void con_vprintf(const char *fmt, va_list ap);
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

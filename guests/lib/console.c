/*
 * Debug-console output for the test guests: one OUT to port 0xE9 per byte
 * (guests/README.md, "The platform every lab provides").
 */
#include "console.h"
#include "platform.h"

void con_putc(char c)
{
	outb(DEBUG_CONSOLE_PORT, (uint8_t)c);
}

void con_puts(const char *s)
{
	while (*s)
		con_putc(*s++);
}

/*
 * *v /= 10 and return the remainder, 16 bits at a time so that every
 * division is a 32-bit one (a 64-bit division would need libgcc on i386).
 */
static unsigned int divmod10(unsigned long long *v)
{
	unsigned long long q = 0;
	unsigned int r = 0;
	int shift;

	for (shift = 48; shift >= 0; shift -= 16) {
		unsigned int cur = r << 16 | (unsigned int)(*v >> shift & 0xffff);

		q |= (unsigned long long)(cur / 10) << shift;
		r = cur % 10;
	}
	*v = q;
	return r;
}

static void put_number(unsigned long long v, int base, int width, char pad)
{
	char digits[20];
	int n = 0;

	do {
		if (base == 16) {
			digits[n++] = "0123456789abcdef"[v & 0xf];
			v >>= 4;
		} else {
			digits[n++] = (char)('0' + divmod10(&v));
		}
	} while (v);
	while (width-- > n)
		con_putc(pad);
	while (n)
		con_putc(digits[--n]);
}

/* Fetch the next integer argument, sized by the l/ll modifier count. */
static unsigned long long get_arg(va_list *ap, int longs, int is_signed,
				  int *negative)
{
	long long s;

	*negative = 0;
	if (!is_signed) {
		if (longs >= 2)
			return va_arg(*ap, unsigned long long);
		if (longs == 1)
			return va_arg(*ap, unsigned long);
		return va_arg(*ap, unsigned int);
	}
	if (longs >= 2)
		s = va_arg(*ap, long long);
	else if (longs == 1)
		s = va_arg(*ap, long);
	else
		s = va_arg(*ap, int);
	if (s < 0) {
		*negative = 1;
		return 0ULL - (unsigned long long)s;
	}
	return (unsigned long long)s;
}

void con_vprintf(const char *fmt, va_list ap)
{
	va_list args;

	va_copy(args, ap);
	for (; *fmt; fmt++) {
		char pad = ' ';
		int width = 0, longs = 0, negative;
		unsigned long long v;
		const char *s;

		if (*fmt != '%') {
			con_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		if (*fmt == '*') {
			width = va_arg(args, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 'c':
			con_putc((char)va_arg(args, int));
			break;
		case 's':
			s = va_arg(args, const char *);
			con_puts(s ? s : "(null)");
			break;
		case 'd':
		case 'u':
			v = get_arg(&args, longs, *fmt == 'd', &negative);
			if (negative) {
				con_putc('-');
				width--;
			}
			put_number(v, 10, width, pad);
			break;
		case 'x':
			v = get_arg(&args, longs, 0, &negative);
			put_number(v, 16, width, pad);
			break;
		case '%':
			con_putc('%');
			break;
		case '\0':
			/* a lone '%' ends the string */
			fmt--;
			break;
		default:
			/* unknown conversion: show it rather than guess */
			con_putc('%');
			con_putc(*fmt);
			break;
		}
	}
	va_end(args);
}

void con_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_vprintf(fmt, ap);
	va_end(ap);
}

/*
 * err.c - the message behind the last negative return value (see err.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

/* Per thread: a vCPU thread's failure does not overwrite another's. */
static _Thread_local char msg[512];

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *err_msg(void)
{
	return msg[0] ? msg : "unknown error";
}

void err_clear(void)
{
	msg[0] = '\0';
}

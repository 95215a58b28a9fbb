/*
 * err.h - one clear message per failure.
 *
 * A function that fails records why with err_set() and returns a negative
 * errno; the caller passes the number up, and main() prints the message once.
 * This keeps the error text next to the check that found the problem.
 * The message belongs to the thread that set it: a thread that ends on a
 * failure reports its own message (or hands it on) before it goes.
 */
#ifndef VMM_ERR_H
#define VMM_ERR_H

__attribute__((format(printf, 2, 3)))
int err_set(int code, const char *fmt, ...);
const char *err_msg(void);
void err_clear(void);

#endif

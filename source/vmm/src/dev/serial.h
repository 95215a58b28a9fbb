/* @@ file 04 */
/*
 * serial.h - COM1 in the machine: the 16550A of uart.c at ports
 * 0x3F8-0x3FF on ISA IRQ 4, and the host's end of its line (book
 * §4.4.1-4.4.2; guests/README.md, "COM1"), chosen by --serial:
 *
 *   stdio        output on our standard output, in order with the debug
 *                console's bytes; input from standard input. A terminal
 *                is put in raw mode, restored on every way out (exit, a
 *                fatal signal); Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.
 *   file:PATH    output to the file PATH (created or truncated); no input.
 *   pipe:PATH    QEMU's named pipes: input from PATH.in and output to
 *                PATH.out, or both on PATH when those two do not exist.
 *
 * Nothing is lost or duplicated either way. Output is written as the
 * guest sends it, a write blocking the sending vCPU while the host does
 * not take it, so the VMM holds at most one buffer (SERIAL_OBUF bytes)
 * of it whatever the guest does. Input is read only when the UART can
 * take it: a thread of its own reads at most SERIAL_IBUF bytes, pushes
 * them into the receiver as it has room (uart_rx_push()), and sleeps
 * until the UART says it has room again (rx_ready); end of file means
 * no more input.
 *
 * Locking: the UART's lock (uart.h) is taken by the vCPUs, the timer
 * thread and the input thread. Its callbacks run with it held: tx
 * writes the byte (only one writer at a time, then), rx_ready takes
 * in_lock to wake the input thread, irq goes on to the GSI router.
 */
#ifndef VMM_SERIAL_H
#define VMM_SERIAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <termios.h>

#include "dev/uart.h"

#define SERIAL_COM1_PORT	0x3F8
#define SERIAL_COM1_IRQ		4
#define SERIAL_OBUF		4096	/* file: output buffered this much */
#define SERIAL_IBUF		16	/* input read ahead of the receiver */
#define SERIAL_ESCAPE		0x01	/* Ctrl-A */

enum serial_kind { SERIAL_STDIO, SERIAL_FILE, SERIAL_PIPE };

struct vm;

struct serial {
	struct vm *vm;
	struct uart uart;
	int timer;			/* the character timeout's */
	enum serial_kind kind;
	int out_fd, in_fd;		/* -1: none */
	bool own_out, own_in;		/* ours to close */
	bool flush_each;		/* interactive: every byte at once */
	uint8_t obuf[SERIAL_OBUF];	/* under the UART's lock */
	size_t olen;
	bool raw;			/* the terminal is in raw mode */
	struct termios saved;		/* its settings before */
	/* the input thread */
	pthread_t thread;
	bool thread_live;
	int stop_pipe[2];		/* written to stop it */
	pthread_mutex_t in_lock;	/* guards room and stop */
	pthread_cond_t in_cond;
	bool room;			/* rx_ready since the last push */
	bool stop;
	bool escape;			/* the last byte typed was Ctrl-A */
	atomic_ullong nr_out, nr_in;	/* bytes each way */
	uint32_t warned;
};

int serial_init(struct vm *vm, void **state);
int serial_start(void *state, struct vm *vm);
void serial_stats(void *state, FILE *out);
void serial_exit(void *state, struct vm *vm);

/* --serial's value: 0, or -EINVAL when it is none of the three forms. */
int serial_parse(const char *spec, enum serial_kind *kind, const char **path);

#endif

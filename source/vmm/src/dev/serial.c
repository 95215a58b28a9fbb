/* @@ file 04 */
/*
 * serial.c - COM1 and the host's end of its line (serial.h; book §4.4).
 *
 * The guest's side is uart.c's model; this file gives it its ports, its
 * IRQ, its timer, and a terminal, a file or a pair of pipes to talk to.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/options.h"
#include "core/vm.h"
#include "dev/serial.h"
#include "irq/irqchip.h"

enum { W_OUT, W_IN };

/*
 * The terminal's settings, for the signal handlers: a fatal signal must
 * not leave the user's shell in raw mode. Written once, before the
 * handlers are installed.
 */
static struct termios tty_saved;
static int tty_fd = -1;
static volatile sig_atomic_t tty_raw;

static const int tty_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGSEGV, SIGBUS, SIGILL, SIGFPE,
	SIGABRT,
};

static void tty_restore(void)
{
	if (tty_raw) {
		tcsetattr(tty_fd, TCSANOW, &tty_saved);
		tty_raw = 0;
	}
}

/* Restore, then die of the signal as if we had not caught it. */
static void tty_signal(int sig)
{
	tty_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Raw input (no line editing, no echo, no signals from the keyboard: the
 * guest gets Ctrl-C), output processing kept so that the debug console's
 * "\n" still starts a line.
 */
static int tty_make_raw(struct serial *s)
{
	static bool hooked;
	struct sigaction sa = { .sa_handler = tty_signal };
	struct termios t;
	unsigned int i;

	if (tcgetattr(s->in_fd, &t) < 0)
		return err_set(-errno, "COM1: the terminal: %s", strerror(errno));
	tty_saved = t;
	tty_fd = s->in_fd;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				 IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (!hooked) {
		hooked = true;
		atexit(tty_restore);
		sa.sa_flags = SA_RESETHAND;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < sizeof(tty_signals) / sizeof(tty_signals[0]); i++)
			sigaction(tty_signals[i], &sa, NULL);
	}
	if (tcsetattr(s->in_fd, TCSANOW, &t) < 0)
		return err_set(-errno, "COM1: the terminal: %s", strerror(errno));
	tty_raw = 1;
	s->raw = true;
	fprintf(stderr, "vmm: COM1 is this terminal (Ctrl-A x quits)\n");
	return 0;
}

/* ---- output ---- */

static void warn(struct serial *s, unsigned int bit, const char *what)
{
	irqwarn_once(irqchip_warn, NULL, &s->warned, bit, "COM1", "%s: %s",
		     what, strerror(errno));
}

/* excerpt: serial-tx */
/* Everything in obuf out, waiting for the host as long as it takes. */
static void out_flush(struct serial *s)
{
	struct pollfd p = { .fd = s->out_fd, .events = POLLOUT };
	size_t done = 0;
	ssize_t n;

	while (done < s->olen) {
		n = write(s->out_fd, s->obuf + done, s->olen - done);
		if (n > 0) {
			done += (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			poll(&p, 1, -1);
		} else if (n < 0 && errno != EINTR) {
			warn(s, W_OUT, "output lost");
			break;
		}
	}
	s->olen = 0;
}

/* The UART sends a byte: it goes out now, or with the next buffer. */
static bool ser_tx(void *opaque, uint8_t byte)
{
	struct serial *s = opaque;

	if (s->out_fd < 0)
		return true;
	if (s->kind == SERIAL_STDIO)
		fflush(stdout);		/* the debug console's bytes first */
	s->obuf[s->olen++] = byte;
	if (s->flush_each || s->olen == sizeof(s->obuf))
		out_flush(s);
	atomic_fetch_add(&s->nr_out, 1);
	return true;
}
/* end excerpt: serial-tx */

/* ---- input ---- */

static void ser_rx_ready(void *opaque)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->in_lock);
	s->room = true;
	pthread_cond_signal(&s->in_cond);
	pthread_mutex_unlock(&s->in_lock);
}

/*
 * Ctrl-A x quits, Ctrl-A Ctrl-A is one Ctrl-A, Ctrl-A and anything else
 * go to the guest as they are. Returns the bytes now in buf (room for
 * twice what came in).
 */
static size_t escape_filter(struct serial *s, uint8_t *buf, size_t n)
{
	uint8_t out[2 * SERIAL_IBUF];
	size_t i, m = 0;

	for (i = 0; i < n; i++) {
		if (s->escape) {
			s->escape = false;
			if (buf[i] == 'x' || buf[i] == 'X') {
				fprintf(stderr, "\r\nvmm: quit (Ctrl-A x)\r\n");
				vm_stop(s->vm, VMM_EXIT_HALT);
				return 0;
			}
			if (buf[i] != SERIAL_ESCAPE)
				out[m++] = SERIAL_ESCAPE;
			out[m++] = buf[i];
		} else if (buf[i] == SERIAL_ESCAPE) {
			s->escape = true;
		} else {
			out[m++] = buf[i];
		}
	}
	memcpy(buf, out, m);
	return m;
}

/* Up to SERIAL_IBUF bytes of input: their number, 0 at the end. */
static ssize_t in_read(struct serial *s, uint8_t *buf)
{
	struct pollfd p[2] = {
		{ .fd = s->in_fd, .events = POLLIN },
		{ .fd = s->stop_pipe[0], .events = POLLIN },
	};
	ssize_t n;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 0;
		if (p[1].revents)
			return 0;
		if (!p[0].revents)
			continue;
		n = read(s->in_fd, buf, SERIAL_IBUF);
		if (n >= 0)
			return n;
		if (errno != EINTR && errno != EAGAIN) {
			warn(s, W_IN, "input ends");
			return 0;
		}
	}
}

/* excerpt: serial-rx */
/* Push what is pending as the receiver takes it; false when stopped. */
static bool in_push(struct serial *s, const uint8_t *buf, size_t n)
{
	size_t done = 0;
	bool stop = false;

	while (done < n && !stop) {
		pthread_mutex_lock(&s->in_lock);
		s->room = false;
		pthread_mutex_unlock(&s->in_lock);
		done += uart_rx_push(&s->uart, buf + done, n - done);
		pthread_mutex_lock(&s->in_lock);
		while (done < n && !s->room && !s->stop)
			pthread_cond_wait(&s->in_cond, &s->in_lock);
		stop = s->stop;
		pthread_mutex_unlock(&s->in_lock);
	}
	atomic_fetch_add(&s->nr_in, done);
	return !stop;
}
/* end excerpt: serial-rx */

static void *in_thread(void *arg)
{
	struct serial *s = arg;
	uint8_t buf[2 * SERIAL_IBUF];
	ssize_t n;

	while ((n = in_read(s, buf)) > 0) {
		if (s->raw)
			n = (ssize_t)escape_filter(s, buf, (size_t)n);
		if (!in_push(s, buf, (size_t)n))
			break;
	}
	return NULL;
}

/* ---- the UART's other callbacks, and its ports ---- */

static void ser_irq(void *opaque, int level)
{
	struct serial *s = opaque;

	irqchip_set_line(s->vm->irq, IRQ_SRC_UART, SERIAL_COM1_IRQ, level);
}

static uint64_t ser_now(void *opaque)
{
	(void)opaque;
	return timers_now_ns();
}

static void ser_deadline(void *opaque, uint64_t ns)
{
	struct serial *s = opaque;

	timers_set(&s->vm->irq->timers, s->timer, ns);
}

static void ser_fire(void *opaque)
{
	struct serial *s = opaque;

	uart_service(&s->uart);
}

/* Byte registers: the bus takes a wider access byte by byte (bus.h). */
static uint8_t ser_read(void *opaque, uint64_t offset)
{
	struct serial *s = opaque;

	return uart_read(&s->uart, (unsigned int)offset);
}

static void ser_write(void *opaque, uint64_t offset, uint8_t value)
{
	struct serial *s = opaque;

	uart_write(&s->uart, (unsigned int)offset, value);
}

static const struct uart_ops ser_uart_ops = {
	.irq = ser_irq, .tx = ser_tx, .now_ns = ser_now,
	.deadline = ser_deadline, .rx_ready = ser_rx_ready,
	.warn = irqchip_warn,
};

static const struct bus_ops ser_bus_ops = {
	.read_byte = ser_read, .write_byte = ser_write,
};

/* ---- the host's end ---- */

int serial_parse(const char *spec, enum serial_kind *kind, const char **path)
{
	*path = NULL;
	if (!strcmp(spec, "stdio")) {
		*kind = SERIAL_STDIO;
		return 0;
	}
	if (!strncmp(spec, "file:", 5) && spec[5]) {
		*kind = SERIAL_FILE;
		*path = spec + 5;
		return 0;
	}
	if (!strncmp(spec, "pipe:", 5) && spec[5]) {
		*kind = SERIAL_PIPE;
		*path = spec + 5;
		return 0;
	}
	return -EINVAL;
}

/* A file the user named that we cannot open is the user's mistake. */
static int open_or_say(const char *path, int flags, const char *spec)
{
	int fd = open(path, flags | O_CLOEXEC, 0666);

	if (fd < 0)
		return err_set(-ENOEXEC, "--serial %s: %s: %s", spec, path,
			       strerror(errno));
	return fd;
}

/* QEMU's pipe:PATH: PATH.in and PATH.out if both exist, else PATH. */
static int open_pipes(struct serial *s, const char *path, const char *spec)
{
	char in[4096], out[4096];
	struct stat st;
	int fd;

	snprintf(in, sizeof(in), "%s.in", path);
	snprintf(out, sizeof(out), "%s.out", path);
	if (stat(in, &st) == 0 && stat(out, &st) == 0) {
		/* O_RDWR: opening a FIFO does not wait for the other end. */
		fd = open_or_say(in, O_RDWR, spec);
		if (fd < 0)
			return fd;
		s->in_fd = fd;
		fd = open_or_say(out, O_RDWR, spec);
		if (fd < 0)
			return fd;
		s->out_fd = fd;
		return 0;
	}
	fd = open_or_say(path, O_RDWR, spec);
	if (fd < 0)
		return fd;
	s->in_fd = fd;
	s->out_fd = dup(fd);
	return s->out_fd < 0 ? err_set(-errno, "dup: %s", strerror(errno)) : 0;
}

static int open_host(struct serial *s, const char *spec)
{
	const char *path;
	int fd;

	if (serial_parse(spec, &s->kind, &path))
		return err_set(-ENOEXEC, "--serial %s: not stdio, file:PATH or pipe:PATH",
			       spec);
	switch (s->kind) {
	case SERIAL_STDIO:
		s->out_fd = STDOUT_FILENO;
		s->in_fd = STDIN_FILENO;
		s->flush_each = true;
		return 0;
	case SERIAL_FILE:
		fd = open_or_say(path, O_WRONLY | O_CREAT | O_TRUNC, spec);
		if (fd < 0)
			return fd;
		s->out_fd = fd;
		s->own_out = true;
		return 0;
	case SERIAL_PIPE:
		s->own_in = s->own_out = true;
		s->flush_each = true;
		return open_pipes(s, path, spec);
	}
	return -EINVAL;
}

int serial_init(struct vm *vm, void **state)
{
	struct serial *s = calloc(1, sizeof(*s));
	const char *spec = vm->opt && vm->opt->serial ? vm->opt->serial : "stdio";
	int ret;

	if (!s)
		return err_set(-ENOMEM, "no memory for COM1");
	*state = s;
	s->vm = vm;
	s->out_fd = s->in_fd = -1;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	pthread_mutex_init(&s->in_lock, NULL);
	pthread_cond_init(&s->in_cond, NULL);
	uart_init(&s->uart, &ser_uart_ops, s);
	s->timer = timers_add(&vm->irq->timers, ser_fire, s);
	if (s->timer < 0)
		return err_set(-ENOSPC, "no timer left for COM1");
	/* A machine made without options (the fuzz targets') has no host. */
	ret = vm->opt ? open_host(s, spec) : 0;
	if (ret)
		return ret;
	/* A reader that went away must not kill us: writes then fail. */
	signal(SIGPIPE, SIG_IGN);
	return bus_register(&vm->pio, SERIAL_COM1_PORT, 8, "COM1", &ser_bus_ops, s);
}

/* The input thread, once the machine is made (a terminal goes raw then). */
int serial_start(void *state, struct vm *vm)
{
	struct serial *s = state;
	int ret;

	(void)vm;
	if (s->in_fd < 0)
		return 0;
	if (s->kind == SERIAL_STDIO && isatty(s->in_fd)) {
		ret = tty_make_raw(s);
		if (ret)
			return ret;
	}
	if (pipe(s->stop_pipe) < 0)
		return err_set(-errno, "COM1: pipe: %s", strerror(errno));
	ret = pthread_create(&s->thread, NULL, in_thread, s);
	if (ret)
		return err_set(-ret, "COM1: cannot start its input thread: %s",
			       strerror(ret));
	s->thread_live = true;
	return 0;
}

void serial_stats(void *state, FILE *out)
{
	struct serial *s = state;

	fprintf(out, "vmm:   COM1: %llu bytes out, %llu bytes in, %llu overruns (loopback)\n",
		(unsigned long long)atomic_load(&s->nr_out),
		(unsigned long long)atomic_load(&s->nr_in),
		(unsigned long long)s->uart.overruns);
}

static void stop_thread(struct serial *s)
{
	if (!s->thread_live)
		return;
	pthread_mutex_lock(&s->in_lock);
	s->stop = true;
	pthread_cond_signal(&s->in_cond);
	pthread_mutex_unlock(&s->in_lock);
	if (write(s->stop_pipe[1], "", 1) < 0)
		perror("vmm: COM1: stopping its input");
	pthread_join(s->thread, NULL);
	s->thread_live = false;
}

void serial_exit(void *state, struct vm *vm)
{
	struct serial *s = state;

	(void)vm;
	if (!s)
		return;
	stop_thread(s);
	if (s->olen)
		out_flush(s);
	if (s->raw)
		tty_restore();
	if (s->own_out && s->out_fd >= 0)
		close(s->out_fd);
	if (s->own_in && s->in_fd >= 0)
		close(s->in_fd);
	if (s->stop_pipe[0] >= 0) {
		close(s->stop_pipe[0]);
		close(s->stop_pipe[1]);
	}
	uart_destroy(&s->uart);
	pthread_cond_destroy(&s->in_cond);
	pthread_mutex_destroy(&s->in_lock);
	free(s);
}

/*
 * vmmtest: drives a VMM the way a person at its serial console would, for
 * the guest tests that need more than a guest and a transcript (lab 04's
 * uart-echo, uart-flood and Linux; see guests/README.md). A host program,
 * built with the guests into out/vmmtest.
 *
 *   vmmtest [STEP | CHECK]... -- VMM [ARG]...
 *
 * It runs VMM ARG... with its standard input and output on pipes (its
 * standard error is ours), copies the VMM's output to its own as it
 * comes (unless --quiet), and does the steps in order:
 *
 *   --wait TEXT        read the VMM's output until TEXT has come (C escapes:
 *                      \n \r \t \\ \xHH)
 *   --match REGEX      what the last --wait read (from the end of the wait
 *                      before) must match: POSIX extended, ^ and $ at lines
 *   --send TEXT        write TEXT (C escapes) to the VMM's input
 *   --send-file FILE   write the file to the VMM's input
 *   --close            close the VMM's input: end of file
 *
 * then reads until the VMM has ended. Checks of the whole run:
 *
 *   --fifo             make a named pipe (of one page) and put its path in
 *                      place of @FIFO@ in the VMM's arguments (--serial
 *                      file:@FIFO@, say), and read it; once --fifo-stall-after
 *                      bytes (default 1) have come, read nothing for
 *                      --fifo-stall seconds (default 0): a host slower than
 *                      the guest, which a VMM must wait for rather than
 *                      buffer without end; the stall ends sooner once the
 *                      whole VMM is seen waiting for the fifo twice in a
 *                      row, 20 ms apart: a thread asleep writing to a pipe
 *                      (its wait channel in /proc is pipe_write: the fifo,
 *                      as we keep reading its output) and no thread running
 *                      or runnable (a VMM whose vCPU goes on filling a
 *                      queue for a writer thread that waits is not done)
 *   --max-fifo BYTES   the named pipe carries at most BYTES
 *   --max-rss-growth KIB
 *                      the VMM's peak resident memory grows by at most KIB
 *                      from the stall's start until --max-fifo bytes have
 *                      come (or the VMM's end); transparent huge pages are
 *                      off for it
 *   --pipes            make two named pipes, PATH.in and PATH.out, and put
 *                      PATH in place of @PIPE@ in the VMM's arguments
 *                      (--serial pipe:@PIPE@, as QEMU's -serial pipe:PATH
 *                      takes it): --send writes PATH.in, --wait and
 *                      --match read PATH.out, and that is what we copy to
 *                      our output; the VMM's own output goes to our
 *                      standard error
 *   --pty              the same with one pseudo-terminal in raw mode: its
 *                      device's path in place of @PTY@ (--serial
 *                      pipe:@PTY@, PATH itself both ways when PATH.in and
 *                      PATH.out do not exist)
 *   --limit SECONDS    the longest a wait, or the run after the steps, may
 *                      take (default 300); a step: it holds for the waits
 *                      after it, so a wait that must come soon after the
 *                      one before can fail sooner
 *   --quiet            do not copy the VMM's output
 *   --timing           say on standard error when each wait ended:
 *                      "vmmtest: TEXT after S s" from the VMM's start
 *
 * Exit status: the VMM's (128 + N if signal N ended it), or 10 when a
 * check failed or a wait ran out of time, with one line saying why on
 * standard error (the VMM is killed then).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define FAILED		10
#define MAX_STEPS	64

enum kind { WAIT, MATCH, SEND, SEND_FILE, CLOSE, LIMIT };

struct step {
	enum kind kind;
	const char *arg;
};

static struct {
	struct step step[MAX_STEPS];
	int nr_steps;
	bool fifo, pipes, pty, quiet, timing;
	double fifo_stall;	/* seconds without reading, ... */
	long long stall_after;	/* ... once this many bytes have come */
	long long max_fifo;	/* -1: no check */
	long max_growth;	/* KiB, -1: no check */
	double limit;
} opt = { .stall_after = 1, .max_fifo = -1, .max_growth = -1, .limit = 300 };

static pid_t child = -1;
static double started;		/* when the VMM was started */
static int to_vmm = -1, from_vmm = -1, fifo_fd = -1;
static char fifo_path[64], fifo_dir[32];
static char pipe_in[64], pipe_out[64];
static int com_fd = -1;		/* --pipes: PATH.out, what COM1 sent */
static char *out;		/* everything the VMM wrote */
static size_t out_len, out_cap, mark;	/* mark: where the last wait ended */
static long long fifo_bytes;
static long rss_base = -1;	/* KiB, when the stall starts */
static long rss_peak = -1;	/* KiB, the highest since */
static double rss_next;		/* when to look again */
static double stall_end;	/* no fifo reads before this */
static double stall_look;	/* when to look whether the VMM waits */
static int stall_seen;		/* looks in a row that found it waiting */
static bool vmm_done;		/* its output ended */

static void cleanup(void)
{
	if (fifo_path[0])
		unlink(fifo_path);
	if (pipe_in[0])
		unlink(pipe_in);
	if (pipe_out[0])
		unlink(pipe_out);
	if (fifo_dir[0])
		rmdir(fifo_dir);
}

__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "vmmtest: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	cleanup();
	exit(FAILED);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* C escapes in place: \n \r \t \\ \xHH. */
static size_t unescape(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (*r != '\\' || !r[1]) {
			*w++ = *r++;
			continue;
		}
		r++;
		switch (*r) {
		case 'n': *w++ = '\n'; r++; break;
		case 'r': *w++ = '\r'; r++; break;
		case 't': *w++ = '\t'; r++; break;
		case 'x': {
			char hex[3] = { r[1], r[1] ? r[2] : 0, 0 };

			*w++ = (char)strtol(hex, NULL, 16);
			r += 1 + strlen(hex);
			break;
		}
		default: *w++ = *r++; break;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* Peak resident memory of the VMM so far, from /proc (KiB), or -1. */
static long vm_hwm(void)
{
	char path[64], line[128];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)child);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The first line of /proc/<child>/task/<tid>/<what>, or "". */
static void task_file(const char *tid, const char *what, char *buf, int size)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%.16s/%s", (int)child,
		 tid, what);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, size, f))
		buf[0] = '\0';
	fclose(f);
}

/*
 * Whether the VMM waits for the fifo now: one of its threads asleep in
 * the kernel's pipe_write ("pipe_write", "anon_pipe_write": the names
 * differ between kernels) and none running or runnable (state R). A
 * kernel that does not name wait channels (wchan "0") never says yes.
 */
static bool vmm_waits_for_fifo(void)
{
	char path[64], buf[512];
	bool writer = false, running = false;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)child);
	d = opendir(path);
	if (!d)
		return false;
	while ((e = readdir(d))) {
		const char *state;

		if (e->d_name[0] == '.')
			continue;
		task_file(e->d_name, "stat", buf, sizeof(buf));
		state = strrchr(buf, ')');	/* "tid (comm) S ..." */
		if (!state || state[1] != ' ' || state[2] == 'R') {
			running = true;
			break;
		}
		task_file(e->d_name, "wchan", buf, sizeof(buf));
		if (strstr(buf, "pipe_write"))
			writer = true;
	}
	closedir(d);
	return writer && !running;
}

static void append(const char *buf, size_t n)
{
	if (out_len + n + 1 > out_cap) {
		out_cap = (out_len + n + 1) * 2;
		out = realloc(out, out_cap);
		if (!out)
			fail("out of memory");
	}
	memcpy(out + out_len, buf, n);
	out_len += n;
	out[out_len] = '\0';
	if (!opt.quiet) {
		fwrite(buf, 1, n, stdout);
		fflush(stdout);
	}
}

/*
 * At most `budget` bytes of the fifo, what there is now: how many. We
 * hold it open for writing too, so it never reads as ended; the VMM's
 * end is the end of its standard output.
 */
static long fifo_drain(long budget)
{
	char buf[65536];
	ssize_t n;

	if (budget > (long)sizeof(buf))
		budget = sizeof(buf);
	if (now() < stall_end) {
		if (now() < stall_look)
			return 0;
		stall_look = now() + 0.02;
		stall_seen = vmm_waits_for_fifo() ? stall_seen + 1 : 0;
		if (stall_seen < 2)
			return 0;
		stall_end = now();	/* it waits for us: enough */
	}
	if (rss_base < 0 && budget > opt.stall_after - fifo_bytes)
		budget = (long)(opt.stall_after - fifo_bytes);
	n = read(fifo_fd, buf, (size_t)budget);
	if (n <= 0)
		return 0;
	fifo_bytes += n;
	if (rss_base < 0 && fifo_bytes == opt.stall_after) {
		rss_base = rss_peak = vm_hwm();
		stall_end = now() + opt.fifo_stall;
	}
	return n;
}

/*
 * Read what there is (the VMM's output, the fifo) for up to `wait`
 * seconds; with a fifo, look at it every millisecond.
 */
static void pump(double wait)
{
	struct pollfd p[2] = {
		{ .fd = from_vmm, .events = POLLIN },
		{ .fd = com_fd, .events = POLLIN },
	};
	int ms = fifo_fd >= 0 ? 1 : (int)(wait * 1000) + 1;
	char buf[4096];
	ssize_t n;

	if (vmm_done)
		p[0].fd = -1;
	if (poll(p, 2, ms) > 0 && (p[0].revents & (POLLIN | POLLHUP))) {
		n = read(from_vmm, buf, sizeof(buf));
		if (n > 0 && com_fd >= 0)
			fwrite(buf, 1, (size_t)n, stderr);
		else if (n > 0)
			append(buf, (size_t)n);
		else if (n == 0 || errno != EINTR)
			vmm_done = true;
	}
	if (com_fd >= 0)
		while ((n = read(com_fd, buf, sizeof(buf))) > 0)
			append(buf, (size_t)n);
	if (fifo_fd >= 0)
		while (fifo_drain(65536) > 0)
			;
	/*
	 * The peak from /proc while the VMM lives: wait4's ru_maxrss would
	 * also count what the forked copy of this program held before exec.
	 */
	if (rss_base >= 0 && !vmm_done && now() >= rss_next &&
	    (opt.max_fifo < 0 || fifo_bytes < opt.max_fifo)) {
		long hwm = vm_hwm();

		if (hwm > rss_peak)
			rss_peak = hwm;
		rss_next = now() + 0.02;
	}
}

static void do_wait(const char *text)
{
	double end = now() + opt.limit;
	char *found;

	while (!(found = strstr(out + mark, text))) {
		if (vmm_done)
			fail("the VMM's output ended before \"%s\"", text);
		if (now() > end)
			fail("waited %.0f s for \"%s\"", opt.limit, text);
		pump(0.05);
	}
	/* What this wait read, for --match: up to the end of its text. */
	mark = (size_t)(found - out) + strlen(text);
	if (opt.timing)
		fprintf(stderr, "vmmtest: \"%s\" after %.3f s\n", text,
			now() - started);
}

static void do_match(const char *re, size_t from, size_t to)
{
	char *text = strndup(out + from, to - from);
	regex_t r;
	int rc;

	if (!text)
		fail("out of memory");
	rc = regcomp(&r, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
	if (rc)
		fail("bad --match pattern /%s/", re);
	rc = regexec(&r, text, 0, NULL, 0);
	regfree(&r);
	free(text);
	if (rc)
		fail("no line matches /%s/ in what the VMM wrote", re);
}

static void send_bytes(const char *buf, size_t n)
{
	size_t done = 0;
	ssize_t w;

	while (done < n) {
		w = write(to_vmm, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			fail("cannot write to the VMM's input: %s", strerror(errno));
		done += (size_t)w;
	}
}

static void send_file(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		fail("cannot open %s: %s", path, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		send_bytes(buf, (size_t)n);
	close(fd);
}

static void run_steps(void)
{
	size_t from = 0;
	int i;

	for (i = 0; i < opt.nr_steps; i++) {
		struct step *s = &opt.step[i];

		switch (s->kind) {
		case WAIT:
			from = mark;
			do_wait(s->arg);
			break;
		case MATCH:
			do_match(s->arg, from, mark);
			break;
		case SEND:
			send_bytes(s->arg, strlen(s->arg));
			break;
		case SEND_FILE:
			send_file(s->arg);
			break;
		case CLOSE:
			close(to_vmm);
			to_vmm = -1;
			break;
		case LIMIT:
			opt.limit = atof(s->arg);
			break;
		}
	}
}

static void add_step(enum kind kind, char *arg)
{
	if (opt.nr_steps == MAX_STEPS)
		fail("more than %d steps", MAX_STEPS);
	if (arg && (kind == WAIT || kind == SEND))
		unescape(arg);
	opt.step[opt.nr_steps++] = (struct step){ kind, arg };
}

static void usage(void)
{
	fprintf(stderr, "usage: vmmtest [--wait TEXT] [--match REGEX] [--send TEXT] "
		"[--send-file FILE] [--close] [--fifo] [--pipes] [--pty] [--fifo-stall S] [--fifo-stall-after N] [--max-fifo N] "
		"[--max-rss-growth KIB] [--limit S] [--quiet] [--timing] -- VMM [ARG]...\n");
	exit(2);
}

static int parse(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *o = argv[i];
		char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--close"))
			add_step(CLOSE, NULL);
		else if (!strcmp(o, "--fifo"))
			opt.fifo = true;
		else if (!strcmp(o, "--pipes"))
			opt.pipes = true;
		else if (!strcmp(o, "--pty"))
			opt.pty = true;
		else if (!strcmp(o, "--quiet"))
			opt.quiet = true;
		else if (!strcmp(o, "--timing"))
			opt.timing = true;
		else if (!v)
			usage();
		else if (!strcmp(o, "--wait"))
			add_step(WAIT, v), i++;
		else if (!strcmp(o, "--match"))
			add_step(MATCH, v), i++;
		else if (!strcmp(o, "--send"))
			add_step(SEND, v), i++;
		else if (!strcmp(o, "--send-file"))
			add_step(SEND_FILE, v), i++;
		else if (!strcmp(o, "--fifo-stall"))
			opt.fifo_stall = atof(v), i++;
		else if (!strcmp(o, "--fifo-stall-after"))
			opt.stall_after = atoll(v), i++;
		else if (!strcmp(o, "--max-fifo"))
			opt.max_fifo = atoll(v), i++;
		else if (!strcmp(o, "--max-rss-growth"))
			opt.max_growth = atol(v), i++;
		else if (!strcmp(o, "--limit") && atof(v) > 0)
			add_step(LIMIT, v), i++;
		else
			usage();
	}
	if (i + 1 >= argc || opt.fifo_stall < 0 || opt.stall_after < 1)
		usage();
	return i + 1;
}

/* @FIFO@ in the VMM's arguments becomes the named pipe's path. */
static void make_fifo(char **argv)
{
	char *p;
	int i;

	strcpy(fifo_dir, "/tmp/vmmtest.XXXXXX");
	if (!mkdtemp(fifo_dir))
		fail("mkdtemp: %s", strerror(errno));
	snprintf(fifo_path, sizeof(fifo_path), "%s/serial", fifo_dir);
	if (mkfifo(fifo_path, 0600) < 0)
		fail("mkfifo: %s", strerror(errno));
	/* Read and write: neither we nor the VMM wait for the other end. */
	fifo_fd = open(fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fifo_fd < 0)
		fail("cannot open the named pipe: %s", strerror(errno));
	fcntl(fifo_fd, F_SETPIPE_SZ, 4096);
	for (i = 0; argv[i]; i++) {
		p = strstr(argv[i], "@FIFO@");
		if (p && asprintf(&argv[i], "%.*s%s%s", (int)(p - argv[i]),
				  argv[i], fifo_path, p + 6) < 0)
			fail("out of memory");
	}
}

/*
 * @PIPE@ in the VMM's arguments becomes PATH, whose PATH.in and
 * PATH.out we make. Both are held open read-write here, so neither end
 * waits for the other to open, and PATH.out never reads as ended.
 */
static void make_pipes(char **argv)
{
	char base[40], *p;
	int i;

	strcpy(fifo_dir, "/tmp/vmmtest.XXXXXX");
	if (!mkdtemp(fifo_dir))
		fail("mkdtemp: %s", strerror(errno));
	snprintf(base, sizeof(base), "%s/com1", fifo_dir);
	snprintf(pipe_in, sizeof(pipe_in), "%s.in", base);
	snprintf(pipe_out, sizeof(pipe_out), "%s.out", base);
	if (mkfifo(pipe_in, 0600) < 0 || mkfifo(pipe_out, 0600) < 0)
		fail("mkfifo: %s", strerror(errno));
	com_fd = open(pipe_out, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	to_vmm = open(pipe_in, O_RDWR | O_CLOEXEC);
	if (com_fd < 0 || to_vmm < 0)
		fail("cannot open the named pipes: %s", strerror(errno));
	for (i = 0; argv[i]; i++) {
		p = strstr(argv[i], "@PIPE@");
		if (p && asprintf(&argv[i], "%.*s%s%s", (int)(p - argv[i]),
				  argv[i], base, p + 6) < 0)
			fail("out of memory");
	}
}

/*
 * @PTY@ in the VMM's arguments becomes the path of a pseudo-terminal's
 * device, in raw mode (no echo, no line editing, bytes as they are); we
 * hold its other end, written by --send and read like PATH.out.
 */
static void make_pty(char **argv)
{
	struct termios t;
	const char *name;
	char *p;
	int fd, i;

	fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 || !(name = ptsname(fd)))
		fail("cannot make a pseudo-terminal: %s", strerror(errno));
	if (tcgetattr(fd, &t) < 0)
		fail("tcgetattr: %s", strerror(errno));
	cfmakeraw(&t);
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		fail("tcsetattr: %s", strerror(errno));
	to_vmm = fd;
	com_fd = dup(fd);
	if (com_fd < 0 || fcntl(com_fd, F_SETFL, O_NONBLOCK) < 0)
		fail("dup: %s", strerror(errno));
	for (i = 0; argv[i]; i++) {
		p = strstr(argv[i], "@PTY@");
		if (p && asprintf(&argv[i], "%.*s%s%s", (int)(p - argv[i]),
				  argv[i], name, p + 5) < 0)
			fail("out of memory");
	}
}

static void start(char **argv)
{
	int in[2], outp[2];

	if (pipe(in) < 0 || pipe(outp) < 0)
		fail("pipe: %s", strerror(errno));
	started = now();
	child = fork();
	if (child < 0)
		fail("fork: %s", strerror(errno));
	if (child == 0) {
		/*
		 * No transparent huge pages: one would put 2 MiB in the
		 * VMM's resident memory at a single touch, whenever it came.
		 */
		if (opt.max_growth >= 0)
			prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
		dup2(in[0], 0);
		dup2(outp[1], 1);
		close(in[0]);
		close(in[1]);
		close(outp[0]);
		close(outp[1]);
		execv(argv[0], argv);
		fprintf(stderr, "vmmtest: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	if (to_vmm < 0)
		to_vmm = in[1];
	else
		close(in[1]);	/* --pipes: the VMM's stdin is at its end */
	from_vmm = outp[0];
}

/* The run after the steps: to the end of its output, then its status. */
static int finish(void)
{
	double end = now() + opt.limit;
	int status;

	while (!vmm_done) {
		if (now() > end)
			fail("the VMM did not end within %.0f s", opt.limit);
		pump(0.05);
	}
	while (fifo_fd >= 0 && fifo_drain(65536) > 0)
		;
	if (com_fd >= 0)
		pump(0);
	if (waitpid(child, &status, 0) < 0)
		fail("waitpid: %s", strerror(errno));
	child = -1;
	if (opt.max_fifo >= 0 && fifo_bytes > opt.max_fifo)
		fail("%lld bytes came through the named pipe, more than %lld",
		     fifo_bytes, opt.max_fifo);
	if (opt.max_growth >= 0 && rss_base >= 0 &&
	    rss_peak - rss_base > opt.max_growth)
		fail("the VMM's peak memory grew by %ld KiB while it wrote (%ld to %ld), more than %ld",
		     rss_peak - rss_base, rss_base, rss_peak, opt.max_growth);
	if (opt.max_growth >= 0 && rss_base < 0)
		fail("fewer than %lld bytes came through the named pipe: the VMM's memory was not measured",
		     opt.stall_after);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	int first = parse(argc, argv);

	out = calloc(1, 1);
	out_cap = 1;
	signal(SIGPIPE, SIG_IGN);
	if (opt.fifo + opt.pipes + opt.pty > 1)
		usage();
	if (opt.fifo)
		make_fifo(argv + first);
	if (opt.pipes)
		make_pipes(argv + first);
	if (opt.pty)
		make_pty(argv + first);
	start(argv + first);
	run_steps();
	if (to_vmm >= 0)
		close(to_vmm);
	first = finish();
	cleanup();
	return first;
}

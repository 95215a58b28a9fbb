/*
 * jobrun - run one grading job inside the lab machine and report it.
 *
 * The lab machine's init (grading/labvm/init) calls "jobrun /jobs/N" once
 * per job. The folder holds "argv" and "env" (NUL-terminated strings) and
 * "limits" ("<time limit in ms> <output cap in bytes>"), written by
 * grading/runners/qemu.py. jobrun starts the job in /repo in a session of
 * its own, keeps stdout and stderr apart, stops the job at the time limit
 * or when stdout+stderr exceed the cap, kills whatever it left running, and
 * prints one record on its standard output (the results serial port):
 *
 *	=result N
 *	status exit <n> | status signal <n> | status none
 *	seconds <s.mmm>
 *	stall <ms>
 *	reason <one line, empty when jobrun did not step in>
 *	stdout <length> <base64>
 *	stderr <length> <base64>
 *	=end N
 *
 * While the job runs, jobrun prints "=alive N" on the same port every
 * ALIVE_MS: the host takes a silent port for a machine that stopped
 * (grading/runners/qemu.py) without waiting for the job's time limit.
 * "stall" is the most that one of jobrun's waits (poll(2), at most
 * ALIVE_MS) overslept while the job ran: a lab machine whose timers
 * stood still for a while, so that a job waiting for one may have failed
 * for that alone (the grader runs such a job again).
 *
 * jobrun is a child subreaper, so everything the job forks, daemons
 * included, stays its descendant and can be found and killed afterwards.
 *
 * "jobrun --rtc-tick", called once by init before the first job, makes
 * the CMOS clock interrupt 16 times a second (see rtc_tick()).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PF_KTHREAD	0x00200000	/* task flag of kernel threads */
#define DRAIN_MS	200		/* output still read after the job exits */
#define KILL_TRIES	200		/* 10 ms apart */
#define KILL_GRACE_MS	5000		/* a job not gone this long after SIGKILL */
#define ALIVE_MS	1000		/* "=alive N" this often while a job runs */
#define RTC_RS		0x0C		/* rtc_tick()'s rate: 65536 >> RS = 16 Hz */

struct buf {
	char *data;
	size_t len;
};

struct job {
	const char *dir;
	const char *number;
	char **argv;
	char **envp;
	long timeout_ms;
	size_t cap;
};

struct outcome {
	int status;		/* exit status, or -1 */
	int signal;		/* the signal that ended it, or 0 */
	long ms;
	long stall_ms;		/* the longest a wait overslept */
	char reason[512];
	struct buf out, err;
	size_t seen;		/* bytes read on both pipes, kept or not */
};

static void die(const char *what)
{
	fprintf(stderr, "jobrun: %s: %s\n", what, strerror(errno));
	exit(2);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static struct buf read_file(const char *dir, const char *name)
{
	char path[4096];
	struct buf b = { NULL, 0 };
	size_t size = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	for (;;) {
		if (b.len + 4096 + 1 > size) {
			size = (size + 4096 + 1) * 2;
			b.data = realloc(b.data, size);
			if (!b.data)
				die("realloc");
		}
		n = read(fd, b.data + b.len, size - b.len - 1);
		if (n < 0)
			die(path);
		if (n == 0)
			break;
		b.len += n;
	}
	b.data[b.len] = '\0';
	close(fd);
	return b;
}

/* Split a run of NUL-terminated strings into a NULL-terminated vector. */
static char **split_nul(struct buf b)
{
	size_t count = 0, i, k = 0;
	char **v;

	for (i = 0; i < b.len; i++)
		count += b.data[i] == '\0';
	v = calloc(count + 1, sizeof(*v));
	if (!v)
		die("calloc");
	for (i = 0; i < b.len; i += strlen(b.data + i) + 1)
		v[k++] = b.data + i;
	return v;
}

static void load_job(struct job *job, const char *dir)
{
	struct buf limits;
	unsigned long cap;
	const char *slash = strrchr(dir, '/');

	job->dir = dir;
	job->number = slash ? slash + 1 : dir;
	job->argv = split_nul(read_file(dir, "argv"));
	job->envp = split_nul(read_file(dir, "env"));
	limits = read_file(dir, "limits");
	if (sscanf(limits.data, "%ld %lu", &job->timeout_ms, &cap) != 2 ||
	    !job->argv[0]) {
		fprintf(stderr, "jobrun: %s: bad job folder\n", dir);
		exit(2);
	}
	job->cap = cap;
}

/* Sizes as the host runner words them (grading/runners/host.py). */
static void format_bytes(char *s, size_t size, size_t n)
{
	if (n && n % (1024 * 1024) == 0)
		snprintf(s, size, "%zu MiB", n / (1024 * 1024));
	else if (n && n % 1024 == 0)
		snprintf(s, size, "%zu KiB", n / 1024);
	else
		snprintf(s, size, "%zu bytes", n);
}

static void append(struct outcome *o, struct buf *b, const char *data,
		   size_t n, size_t cap)
{
	size_t room = o->seen < cap ? cap - o->seen : 0;
	size_t keep = n < room ? n : room;

	o->seen += n;
	if (!keep)
		return;
	b->data = realloc(b->data, b->len + keep);
	if (!b->data)
		die("realloc");
	memcpy(b->data + b->len, data, keep);
	b->len += keep;
}

/* Read what is there; returns 0 at end of file. */
static int drain(int fd, struct outcome *o, struct buf *b, size_t cap)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	append(o, b, chunk, n, cap);
	return n > 0;
}

struct proc {
	int pid;
	char comm[32];
};

/* The processes now alive, other than us, init and kernel threads. */
static int list_others(struct proc *procs, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0, self = getpid();

	if (!d)
		die("/proc");
	while ((e = readdir(d))) {
		char path[64], line[1024], *p, state;
		int pid, ppid;
		unsigned long flags;
		FILE *f;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = atoi(e->d_name);
		if (pid == 1 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		p = fgets(line, sizeof(line), f);
		fclose(f);
		/* comm may hold spaces and parentheses: parse after the last ')'. */
		if (!p || !(p = strrchr(line, ')')))
			continue;
		if (sscanf(p + 2, "%c %d %*d %*d %*d %*d %lu",
			   &state, &ppid, &flags) != 3)
			continue;
		if ((flags & PF_KTHREAD) || state == 'Z' || n == max)
			continue;
		procs[n].pid = pid;
		snprintf(procs[n].comm, sizeof(procs[n].comm), "%.*s",
			 (int)(p - strchr(line, '(') - 1), strchr(line, '(') + 1);
		n++;
	}
	closedir(d);
	return n;
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Kill everything the job left; returns how many were found first. */
static int kill_leftovers(char *names, size_t size)
{
	struct proc procs[64];
	int n, i, tries, found;
	size_t used = 0;

	reap();
	found = list_others(procs, 64);
	names[0] = '\0';
	for (i = 0; i < found && used + 40 < size; i++)
		used += snprintf(names + used, size - used, "%s%s[%d]",
				 i ? " " : "", procs[i].comm, procs[i].pid);
	for (tries = 0; tries < KILL_TRIES; tries++) {
		n = list_others(procs, 64);
		if (!n)
			break;
		for (i = 0; i < n; i++)
			kill(procs[i].pid, SIGKILL);
		usleep(10000);
		reap();
	}
	return found;
}

static int start(struct job *job, int out[2], int err[2], int *pidfd)
{
	int report[2], devnull, e;
	pid_t pid;
	ssize_t n;

	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
	    pipe2(report, O_CLOEXEC))
		die("pipe2");
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		setsid();
		if (dup2(devnull, 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err[1], 2) < 0 || chdir("/repo")) {
			e = errno;
		} else {
			execvpe(job->argv[0], job->argv, job->envp);
			e = errno;
		}
		if (write(report[1], &e, sizeof(e)) != sizeof(e))
			_exit(126);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	close(report[1]);
	close(devnull);
	/* The report pipe closes on a successful exec, or carries errno. */
	n = read(report[0], &e, sizeof(e));
	close(report[0]);
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		errno = e;
		return -1;
	}
	*pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (*pidfd < 0)
		die("pidfd_open");
	return pid;
}

static void finish_status(struct outcome *o, int wstatus)
{
	if (WIFEXITED(wstatus))
		o->status = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		o->signal = WTERMSIG(wstatus);
}

/*
 * The job's process was sent SIGKILL KILL_GRACE_MS ago and is still there:
 * stuck in the kernel (an uninterruptible sleep in KVM, say). Say where in
 * the reason, each thread's state and wait channel, and put the kernel's
 * stacks of its threads and of every blocked task on the console (the boot's
 * console log), so that the host hears of it instead of waiting for a
 * result that never comes.
 */
static void unkillable(pid_t pid, struct outcome *o)
{
	char path[96], line[256], *p;
	size_t used = strlen(o->reason);
	struct dirent *e;
	FILE *con, *f;
	DIR *d;
	int fd;

	used += snprintf(o->reason + used, sizeof(o->reason) - used,
			 "; still there %d s after SIGKILL:", KILL_GRACE_MS / 1000);
	if (used >= sizeof(o->reason))
		used = sizeof(o->reason) - 1;
	con = fopen("/dev/console", "we");
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		char state = '?', wchan[64] = "?";
		int tid;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		tid = atoi(e->d_name);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, tid);
		f = fopen(path, "re");
		if (f && fgets(line, sizeof(line), f) && (p = strrchr(line, ')')))
			state = p[2];
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", (int)pid, tid);
		f = fopen(path, "re");
		if (f && !fgets(wchan, sizeof(wchan), f))
			strcpy(wchan, "?");
		if (f)
			fclose(f);
		wchan[strcspn(wchan, "\n")] = '\0';
		used += snprintf(o->reason + used, sizeof(o->reason) - used,
				 " %d %c %s", tid, state, wchan);
		if (used >= sizeof(o->reason))
			used = sizeof(o->reason) - 1;
		if (!con)
			continue;
		fprintf(con, "jobrun: task %d state %c wchan %s\n", tid, state, wchan);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", (int)pid, tid);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			fprintf(con, "jobrun:   %s", line);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	if (con)
		fclose(con);
	/* SysRq w: every task in uninterruptible sleep, to the console. */
	fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = write(fd, "w", 1);

		(void)n;
		close(fd);
	}
}

static void alive(const struct job *job)
{
	printf("=alive %s\n", job->number);
	if (fflush(stdout))
		die("stdout");
}

static void run(struct job *job, struct outcome *o)
{
	int out[2], err[2], pidfd = -1, wstatus, exited = 0, stopped = 0, left;
	long t0, deadline, drain_end = 0, killed = 0, beat;
	char names[400];
	struct pollfd fds[3];
	pid_t pid;

	t0 = now_ms();
	pid = start(job, out, err, &pidfd);
	if (pid < 0) {
		snprintf(o->reason, sizeof(o->reason), "could not run %s: %s",
			 job->argv[0], strerror(errno));
		close(out[0]);
		close(err[0]);
		return;
	}
	deadline = t0 + job->timeout_ms;
	beat = t0;
	fds[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
	fds[2] = (struct pollfd){ .fd = pidfd, .events = POLLIN };

	while (fds[0].fd >= 0 || fds[1].fd >= 0 || !exited) {
		long now = now_ms(), wait, late;
		int i;

		if (exited && now >= drain_end)
			break;
		wait = exited ? drain_end - now : deadline - now;
		if (!exited && !stopped && wait <= 0) {
			snprintf(o->reason, sizeof(o->reason),
				 "timed out after %gs", job->timeout_ms / 1000.0);
			kill(-pid, SIGKILL);
			stopped = 1;
			killed = now;
		}
		if (stopped && !exited && now - killed >= KILL_GRACE_MS) {
			unkillable(pid, o);
			o->ms = now - t0;
			break;
		}
		if (stopped && !exited)
			wait = 1000;
		if (now - beat >= ALIVE_MS) {
			alive(job);
			beat = now;
		}
		if (wait > beat + ALIVE_MS - now)
			wait = beat + ALIVE_MS - now;
		if (wait < 0)
			wait = 0;
		if (poll(fds, 3, (int)wait) < 0 && errno != EINTR)
			die("poll");
		/* Back later than asked, whatever woke it: stood still. */
		late = now_ms() - now - wait;
		if (late > o->stall_ms)
			o->stall_ms = late;
		for (i = 0; i < 2; i++) {
			struct buf *b = i ? &o->err : &o->out;

			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			if (!drain(fds[i].fd, o, b, job->cap)) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
		}
		if (!stopped && o->seen > job->cap) {
			char cap[32];

			format_bytes(cap, sizeof(cap), job->cap);
			snprintf(o->reason, sizeof(o->reason),
				 "floods output (more than %s)", cap);
			kill(-pid, SIGKILL);
			stopped = 1;
			killed = now;
			for (i = 0; i < 2; i++)
				if (fds[i].fd >= 0) {
					close(fds[i].fd);
					fds[i].fd = -1;
				}
		}
		if (!exited && fds[2].revents) {
			if (waitpid(pid, &wstatus, 0) != pid)
				die("waitpid");
			exited = 1;
			o->ms = now_ms() - t0;
			finish_status(o, wstatus);
			fds[2].fd = -1;
			close(pidfd);
			drain_end = now_ms() + DRAIN_MS;
		}
	}
	if (fds[0].fd >= 0)
		close(fds[0].fd);
	if (fds[1].fd >= 0)
		close(fds[1].fd);
	/* After a time limit or a flood the reason is already said. */
	left = kill_leftovers(names, sizeof(names));
	if (left && !stopped)
		snprintf(o->reason, sizeof(o->reason),
			 "left %d process%s behind: %s",
			 left, left == 1 ? "" : "es", names);
}

static void put_base64(FILE *f, const struct buf *b)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)b->data;
	size_t i;

	for (i = 0; i + 2 < b->len; i += 3) {
		unsigned long v = p[i] << 16 | p[i + 1] << 8 | p[i + 2];

		fputc(digits[v >> 18], f);
		fputc(digits[v >> 12 & 63], f);
		fputc(digits[v >> 6 & 63], f);
		fputc(digits[v & 63], f);
	}
	if (b->len - i == 1) {
		fputc(digits[p[i] >> 2], f);
		fputc(digits[(p[i] & 3) << 4], f);
		fputs("==", f);
	} else if (b->len - i == 2) {
		fputc(digits[p[i] >> 2], f);
		fputc(digits[(p[i] & 3) << 4 | p[i + 1] >> 4], f);
		fputc(digits[(p[i + 1] & 15) << 2], f);
		fputc('=', f);
	}
}

static void report(const struct job *job, const struct outcome *o)
{
	char *c;

	printf("=result %s\n", job->number);
	if (o->status >= 0)
		printf("status exit %d\n", o->status);
	else if (o->signal)
		printf("status signal %d\n", o->signal);
	else
		printf("status none\n");
	printf("seconds %ld.%03ld\n", o->ms / 1000, o->ms % 1000);
	printf("stall %ld\n", o->stall_ms);
	for (c = (char *)o->reason; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	printf("reason %s\n", o->reason);
	printf("stdout %zu ", o->out.len);
	put_base64(stdout, &o->out);
	printf("\nstderr %zu ", o->err.len);
	put_base64(stdout, &o->err);
	printf("\n=end %s\n", job->number);
	if (fflush(stdout))
		die("stdout");
	if (isatty(1))
		tcdrain(1);
}

/*
 * Why the lab machine needs a clock that ticks on its own, under TCG:
 * QEMU's x86 emulation (seen in 7.2 and 10.0) clears a bit of the vCPU's
 * pending-interrupt word at every #VMEXIT with a plain read-modify-write,
 * while QEMU's main thread may be setting another bit of it at that moment
 * to announce an interrupt (the local APIC timer's, for one). That bit is
 * then lost: the vector waits in the local APIC's IRR, the CPU is never
 * told, and the kernel gets no more timer ticks. A busy vCPU of a nested
 * guest (many exits) keeps the machine's only CPU, so nothing else runs;
 * the machine stands still until some other interrupt comes in, because
 * each new one makes QEMU look at the whole IRR again.
 *
 * The MC146818's periodic interrupt is such a one, and QEMU raises it on
 * time whatever the kernel does. Register A's rate bits RS3-0 = 1100 give
 * 16 Hz from the 32.768 kHz time base (the divider bits DV2-0 = 010 are
 * kept); register B's bit 6 (PIE) enables it. The kernel's rtc-cmos
 * driver owns IRQ 8, reads register C on each interrupt and ignores a
 * periodic flag nobody asked it for. A lost tick then costs at most 1/16 s.
 * The runner asks for this only under TCG, with a machine without HPET
 * (whose legacy mode would take IRQ 8 away from the clock).
 */
static unsigned char cmos_read(unsigned char reg)
{
	outb(reg, 0x70);
	return inb(0x71);
}

static void cmos_write(unsigned char reg, unsigned char val)
{
	outb(reg, 0x70);
	outb(val, 0x71);
}

static int rtc_tick(void)
{
	unsigned char a, b;

	if (ioperm(0x70, 2, 1)) {
		perror("jobrun: ioperm 0x70");
		return 1;
	}
	a = cmos_read(0x0A);
	b = cmos_read(0x0B);
	cmos_write(0x0A, (unsigned char)((a & 0xF0) | RTC_RS));
	cmos_write(0x0B, b | 0x40);
	printf("jobrun: CMOS clock ticks at %d Hz (register A %02x -> %02x, "
	       "B %02x -> %02x)\n", 65536 >> RTC_RS, a, cmos_read(0x0A), b,
	       cmos_read(0x0B));
	return 0;
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	struct outcome o = { .status = -1 };
	struct job job;

	if (argc != 2) {
		fprintf(stderr, "usage: jobrun JOB-FOLDER | jobrun --rtc-tick\n");
		return 2;
	}
	/* It kills every process but init and itself: never on a real host. */
	if (getppid() != 1 || access("/lib/labvm/jobrun", X_OK)) {
		fprintf(stderr, "jobrun: runs only as a child of the lab machine's init\n");
		return 2;
	}
	if (!strcmp(argv[1], "--rtc-tick"))
		return rtc_tick();
	if (isatty(1)) {
		struct termios t;

		if (tcgetattr(1, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(1, TCSANOW, &t);
		}
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	load_job(&job, argv[1]);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		die("PR_SET_CHILD_SUBREAPER");
	run(&job, &o);
	report(&job, &o);
	return 0;
}

/*
 * uffd.c - demand population of guest RAM with userfaultfd.
 *
 * With EPT (book §2.5.2) a guest-physical page need not exist until the
 * guest touches it: the first access is an EPT violation, and the
 * hypervisor finds memory for it then. KVM does the same with our RAM:
 * when the guest first touches a page, KVM looks up the page behind the
 * host address of its memslot, and the host kernel allocates it. With
 * userfaultfd the VMM takes over that last step. RAM above the
 * --demand-above boundary is registered with UFFDIO_REGISTER_MODE_MISSING,
 * so a first touch of one of its pages - by KVM on the guest's behalf, or
 * by the VMM itself - puts the toucher to sleep and sends us a message.
 * Our fault thread answers it with a page of zeros: UFFDIO_ZEROPAGE for a
 * read (the shared zero page, no memory used yet), UFFDIO_COPY for a
 * write (a fresh page), and the toucher goes on.
 *
 * Faults taken in the kernel (KVM's accesses) are reported only to a
 * privileged userfaultfd: root, access to /dev/userfaultfd (Linux 6.1),
 * or the sysctl vm.unprivileged_userfaultfd = 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "core/err.h"
#include "core/options.h"
#include "core/vm.h"
#include "mem/uffd.h"

#define UFFD_PAGE		4096ULL

/* A userfaultfd that also sees faults taken in the kernel, or -errno. */
static int uffd_create(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	int e = errno;

	if (fd >= 0)
		return fd;
#ifdef USERFAULTFD_IOC_NEW
	{
		/* Linux 6.1: /dev/userfaultfd, whose file mode is the permission. */
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);

		if (dev >= 0) {
			fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
			e = errno;
			close(dev);
			if (fd >= 0)
				return fd;
		}
	}
#endif
	return -e;
}

int uffd_open(struct uffd *u, uint64_t boundary)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd;

	memset(u, 0, sizeof(*u));
	u->fd = u->stop_fd = -1;
	u->boundary = boundary;
	fd = uffd_create();
	if (fd < 0)
		return err_set(fd,
			       "--demand-above needs userfaultfd for KVM's own accesses, which this process may not use (%s): run as root, give it read-write access to /dev/userfaultfd, or set sysctl vm.unprivileged_userfaultfd=1",
			       strerror(-fd));
	u->fd = fd;
	if (ioctl(fd, UFFDIO_API, &api) < 0)
		return err_set(-errno, "userfaultfd: UFFDIO_API: %s", strerror(errno));
	u->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (u->stop_fd < 0)
		return err_set(-errno, "eventfd: %s", strerror(errno));
	u->zeros = aligned_alloc(UFFD_PAGE, UFFD_PAGE);
	if (!u->zeros)
		return err_set(-ENOMEM, "no memory for the userfaultfd thread");
	memset(u->zeros, 0, UFFD_PAGE);
	return 0;
}

/* Hand the part of RAM region r at or above the boundary to userfaultfd. */
int uffd_add_region(struct uffd *u, const struct mem_region *r)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	uint64_t start = r->gpa, end = r->gpa + r->size;
	uint64_t need = (1ULL << _UFFDIO_COPY) | (1ULL << _UFFDIO_ZEROPAGE);

	if (r->e820_type != E820_RAM || end <= u->boundary)
		return 0;
	if (start < u->boundary)
		start = u->boundary;
	reg.range.start = (uintptr_t)(r->hva + (start - r->gpa));
	reg.range.len = end - start;
	if (ioctl(u->fd, UFFDIO_REGISTER, &reg) < 0)
		return err_set(-errno, "userfaultfd: cannot register %s at 0x%llx: %s",
			       r->name, (unsigned long long)start, strerror(errno));
	if ((reg.ioctls & need) != need)
		return err_set(-ENOTSUP, "userfaultfd: no UFFDIO_COPY/ZEROPAGE for %s",
			       r->name);
	return 0;
}

/*
 * Fill the missing page at `addr`. EEXIST: someone filled it meanwhile.
 * Any other failure would leave the toucher asleep for ever, so the
 * page's range is unregistered and the kernel fills it as usual.
 */
static void uffd_resolve(struct uffd *u, uint64_t addr, bool write)
{
	uint64_t page = addr & ~(UFFD_PAGE - 1);
	struct uffdio_range range = { .start = page, .len = UFFD_PAGE };
	int ret;

	if (write) {
		struct uffdio_copy copy = {
			.dst = page, .src = (uintptr_t)u->zeros, .len = UFFD_PAGE,
		};

		ret = ioctl(u->fd, UFFDIO_COPY, &copy);
	} else {
		struct uffdio_zeropage zp = { .range = range };

		ret = ioctl(u->fd, UFFDIO_ZEROPAGE, &zp);
	}
	if (ret == 0) {
		if (write)
			u->copied_pages++;
		else
			u->zero_pages++;
		return;
	}
	if (errno == EEXIST)
		return;
	if (!u->failed)
		fprintf(stderr, "vmm: userfaultfd: cannot fill the page at host 0x%llx (%s); the kernel fills it (logged once)\n",
			(unsigned long long)page, strerror(errno));
	u->failed++;
	ioctl(u->fd, UFFDIO_UNREGISTER, &range);
	ioctl(u->fd, UFFDIO_WAKE, &range);
}

static void *uffd_thread(void *arg)
{
	struct uffd *u = arg;
	struct pollfd pfd[2] = {
		{ .fd = u->fd, .events = POLLIN },
		{ .fd = u->stop_fd, .events = POLLIN },
	};
	struct uffd_msg msg;
	ssize_t n;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & (POLLERR | POLLHUP))
			break;
		n = read(u->fd, &msg, sizeof(msg));
		if (n != sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		uffd_resolve(u, msg.arg.pagefault.address,
			     msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE);
	}
	return NULL;
}

static int uffd_run(struct uffd *u)
{
	int ret = pthread_create(&u->thread, NULL, uffd_thread, u);

	if (ret)
		return err_set(-ret, "cannot start the userfaultfd thread: %s",
			       strerror(ret));
	u->running = true;
	return 0;
}

void uffd_stop(struct uffd *u)
{
	uint64_t one = 1;

	if (!u->running)
		return;
	if (write(u->stop_fd, &one, sizeof(one)) != sizeof(one))
		pthread_cancel(u->thread);	/* poll() is a cancellation point */
	pthread_join(u->thread, NULL);
	u->running = false;
}

void uffd_close(struct uffd *u)
{
	uffd_stop(u);
	if (u->fd >= 0)
		close(u->fd);
	if (u->stop_fd >= 0)
		close(u->stop_fd);
	free(u->zeros);
	u->fd = u->stop_fd = -1;
	u->zeros = NULL;
}

/*
 * The machine's table (src/core/machine.c): with --demand-above, RAM
 * above the boundary starts empty. The thread starts last, once the
 * loader, the BIOS and the boot state have written what they write.
 */
int uffd_init(struct vm *vm, void **state)
{
	struct uffd *u = calloc(1, sizeof(*u));

	(void)vm;
	if (!u)
		return err_set(-ENOMEM, "no memory for demand population");
	*state = u;
	u->fd = u->stop_fd = -1;
	return 0;
}

int uffd_start(void *state, struct vm *vm)
{
	struct uffd *u = state;
	unsigned int i;
	int ret;

	if (!vm->opt || !vm->opt->demand)
		return 0;
	ret = uffd_open(u, vm->opt->demand_above);
	if (ret)
		return ret;
	vm->uffd = u;
	for (i = 0; i < vm->mem.nr; i++) {
		ret = uffd_add_region(u, &vm->mem.r[i]);
		if (ret)
			return ret;
	}
	return uffd_run(u);
}

/* Lab 02's first line of --stats about memory; the thread stops first. */
void uffd_stats(void *state, FILE *out)
{
	struct uffd *u = state;

	if (u->fd < 0)
		return;
	uffd_stop(u);		/* its counters are final from here */
	fprintf(out,
		"vmm:   demand faults (userfaultfd) %8llu: %llu read first (zero page), %llu written first (copied)%s\n",
		(unsigned long long)(u->zero_pages + u->copied_pages),
		(unsigned long long)u->zero_pages,
		(unsigned long long)u->copied_pages,
		u->failed ? ", some left to the kernel" : "");
}

/* The fault thread may be filling pages: it stops before they go. */
void uffd_exit(void *state, struct vm *vm)
{
	uffd_close(state);
	free(state);
	vm->uffd = NULL;
}

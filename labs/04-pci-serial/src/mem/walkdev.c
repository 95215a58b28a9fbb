/*
 * walkdev.c - the page-walk device (walkdev.h): for each probe of a
 * batch, three answers to "where does this guest-virtual address go?"
 * (book §2.1.3-2.1.4, §2.5).
 *
 *  1. Our page walker (pagewalk.c), on the vCPU's CR0, CR3, CR4 and EFER,
 *     for the probe's access, and once more as a supervisor read.
 *  2. KVM's walker, through KVM_TRANSLATE. It walks for the vCPU's
 *     current mode but checks no rights: "valid" means that a supervisor
 *     read would work (KVM always reports writeable = 1, usermode = 0),
 *     so it is compared with our supervisor read. The rights our walker
 *     finds are checked by the guest itself, which makes the access and
 *     catches the #PF, and by the unit tests.
 *  3. The two-dimensional walk (ept.c) over an EPT built here for the
 *     memslots. Its result must be the memslot's host address for the
 *     GPA: a user-space VMM cannot see host-physical addresses, so that
 *     host virtual address is our "HPA". With --trace, run as root, the
 *     real host page frame is shown too (/proc/self/pagemap).
 *
 * Nothing here runs unless a guest writes to the port: the EPT is built
 * at the first request and again only when the memory map has changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/vm.h"
#include "core/warn.h"
#include "mem/pagewalk.h"
#include "mem/walkdev.h"

#define SZ_4K		(1ULL << 12)
#define SZ_2M		(1ULL << 21)

/* Past this many tables (16 MiB), the EPT uses 2 MiB pages where it can. */
#define WALKDEV_EPT_4K_TABLES	4096

/* Guest-physical reads for our walker: memslots only, like the CPU's. */
static int walkdev_read_gpa(void *opaque, uint64_t gpa, unsigned int size,
			    uint64_t *value)
{
	struct vm *vm = opaque;
	void *p = memmap_hva(&vm->mem, gpa, size);

	if (!p)
		return -1;
	memcpy(value, p, size);
	return 0;
}

/*
 * What the guest's CPUID says about paging: MAXPHYADDR (leaf 0x80000008,
 * EAX[7:0]) and 1 GiB pages (leaf 0x80000001, EDX bit 26). KVM's walker
 * goes by the same table.
 */
static void walkdev_cpuid(struct walkdev *wd, struct vcpu *vcpu)
{
	struct kvm_cpuid_entry2 e;
	unsigned int m;

	if (wd->cpuid_read)
		return;
	wd->cpuid_read = true;
	wd->maxphyaddr = 36;	/* the SDM's value when the leaf is missing */
	wd->no_gbpages = true;
	if (vcpu_cpuid_entry(vcpu, 0x80000008, &e) == 0) {
		m = e.eax & 0xff;
		if (m >= 32 && m <= 52)
			wd->maxphyaddr = m;
	}
	if (vcpu_cpuid_entry(vcpu, 0x80000001, &e) == 0)
		wd->no_gbpages = !(e.edx & (1u << 26));
}

/*
 * The paging state of the vCPU. In PAE mode the CPU walks from the PDPTE
 * registers it loaded at MOV CR3: KVM gives us its copy (KVM_GET_SREGS2)
 * where it can; otherwise we read the PDPT as it is now.
 */
static int walkdev_cpu(struct walkdev *wd, struct vcpu *vcpu,
		       struct pagewalk_cpu *cpu, uint64_t *pdpte)
{
	struct vm *vm = wd->vm;
	struct kvm_sregs2 s2;
	struct kvm_sregs s;
	void *p;

	if (!vcpu)
		return -ENODEV;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	memset(cpu, 0, sizeof(*cpu));
	cpu->cr0 = s.cr0;
	cpu->cr3 = s.cr3;
	cpu->cr4 = s.cr4;
	cpu->efer = s.efer;
	cpu->mode = pagewalk_mode(s.cr0, s.cr4, s.efer);
	walkdev_cpuid(wd, vcpu);
	cpu->maxphyaddr = wd->maxphyaddr;
	cpu->no_gbpages = wd->no_gbpages;
	if (cpu->mode != PAGING_PAE)
		return 0;
	memset(&s2, 0, sizeof(s2));
	if (ioctl(vcpu->fd, KVM_GET_SREGS2, &s2) == 0 &&
	    (s2.flags & KVM_SREGS2_FLAGS_PDPTRS_VALID)) {
		memcpy(pdpte, s2.pdptrs, 4 * sizeof(uint64_t));
		cpu->pdpte = pdpte;
		return 0;
	}
	p = memmap_hva(&vm->mem, cpu->cr3 & 0xffffffe0ULL, 32);
	if (p) {
		memcpy(pdpte, p, 4 * sizeof(uint64_t));
		cpu->pdpte = pdpte;
	}
	return 0;
}

/* The EPT for the memory map as it is now; rebuilt when it changed. */
int walkdev_ept_sync(struct walkdev *wd)
{
	const struct memmap *mm = &wd->vm->mem;
	struct ept_region r[EPT_MAX_REGIONS];
	unsigned int i, n = 0, tables;
	uint64_t max_page = SZ_4K;
	int ret;

	for (i = 0; i < mm->nr && n < EPT_MAX_REGIONS; i++) {
		const struct mem_region *m = &mm->r[i];

		if (!m->hva || !m->size)
			continue;
		r[n++] = (struct ept_region){
			.gpa = m->gpa,
			.size = m->size,
			.hpa = (uint64_t)(uintptr_t)m->hva,
			.perms = (m->flags & KVM_MEM_READONLY) ?
				 EPT_R | EPT_X : EPT_RWX,
		};
	}
	if (wd->ept_ready && n == wd->nr_built &&
	    !memcmp(r, wd->built, n * sizeof(r[0])))
		return 0;

	/*
	 * 4 KiB pages, as KVM uses for memory the host backs with 4 KiB
	 * pages; only a large guest gets 2 MiB ones, to keep the tables small.
	 */
	wd->ept_ready = false;
	ept_free(&wd->ept);
	tables = ept_tables_needed(r, n, max_page);
	if (tables > WALKDEV_EPT_4K_TABLES)
		max_page = SZ_2M;
	ret = ept_init(&wd->ept, tables);
	if (!ret)
		ret = ept_build(&wd->ept, r, n, max_page);
	if (ret) {
		if (!wd->ept_warned)
			fprintf(stderr, "vmm: walkdev: no EPT, so no 2-D walks: %s\n",
				err_msg());
		wd->ept_warned = true;
		ept_free(&wd->ept);
		return ret;
	}
	memcpy(wd->built, r, n * sizeof(r[0]));
	wd->nr_built = n;
	wd->ept_max_page = max_page;
	wd->ept_ready = true;
	return 0;
}

/* What the 2-D walk must give, from our walk and the memslot table. */
static bool walkdev_2d_agrees(struct walkdev *wd, const struct walkdev_probe *p,
			      int rc, const struct pagewalk_result *res,
			      int out, const struct ept_2d_result *r2)
{
	const struct memmap *mm = &wd->vm->mem;
	const struct mem_region *m;
	uint64_t gpa;
	int i;

	if (rc == -EFAULT)
		return out == EPT2D_PAGE_FAULT &&
		       r2->guest.error_code == res->error_code;
	if (rc == -ERANGE)
		return out == EPT2D_NOT_CANONICAL;
	if (rc)
		return false;
	/* KVM's GPA when it has one: HPA = memslot(KVM_TRANSLATE(gva)). */
	gpa = (p->flags & WALK_KVM_VALID) ? p->kvm_gpa : res->gpa;
	i = memmap_find(mm, gpa, 1);
	m = i >= 0 ? &mm->r[i] : NULL;
	if (!m || !m->hva ||
	    ((p->access & PW_WRITE) && (m->flags & KVM_MEM_READONLY)))
		return out == EPT2D_VIOLATION;
	return out == EPT2D_OK &&
	       r2->hpa == (uint64_t)(uintptr_t)(m->hva + (gpa - m->gpa));
}

/* The host page frame behind a host virtual address (root only). */
static void walkdev_trace_pfn(uint64_t hva)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || pread(fd, &e, 8, (off_t)(hva / SZ_4K * 8)) != 8)
		fprintf(stderr, ", host physical: pagemap unreadable");
	else if (!(e & (1ULL << 63)))
		fprintf(stderr, ", host page not present");
	else if (!(e & ((1ULL << 55) - 1)))
		fprintf(stderr, ", host physical: hidden (needs root)");
	else
		fprintf(stderr, ", host physical 0x%llx",
			(unsigned long long)((e & ((1ULL << 55) - 1)) * SZ_4K +
					     hva % SZ_4K));
	if (fd >= 0)
		close(fd);
}

static void walkdev_probe(struct walkdev *wd, struct vcpu *vcpu,
			  const struct pagewalk_cpu *cpu, struct walkdev_probe *p)
{
	struct kvm_translation tr = { .linear_address = p->gva };
	struct pagewalk_result res, rd;
	struct ept_2d_result r2;
	int rc, rc_rd, out;

	p->flags = 0;
	p->gpa = p->kvm_gpa = 0;
	p->error_code = 0;
	p->ept_qual = 0;
	p->page_shift = p->refs = 0;

	rc = pagewalk(cpu, p->gva, p->access, walkdev_read_gpa, wd->vm, &res);
	if (rc == 0) {
		p->flags |= WALK_OK;
		p->gpa = res.gpa;
		if (cpu->mode != PAGING_NONE)
			p->page_shift = (uint8_t)__builtin_ctzll(res.page_size);
	} else if (rc == -EFAULT) {
		p->flags |= WALK_PF;
		p->error_code = res.error_code;
	} else if (rc == -ERANGE) {
		p->flags |= WALK_GP;
	} else {
		p->flags |= WALK_ERROR;
		return;
	}

	/* excerpt: walkdev-translate */
	/* KVM_TRANSLATE against our supervisor read of the same address. */
	rc_rd = pagewalk(cpu, p->gva, PW_READ, walkdev_read_gpa, wd->vm, &rd);
	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) == 0) {
		if (tr.valid) {
			p->flags |= WALK_KVM_VALID;
			p->kvm_gpa = tr.physical_address;
		}
		if (tr.valid ? rc_rd == 0 && rd.gpa == tr.physical_address :
			       rc_rd != 0)
			p->flags |= WALK_KVM_AGREES;
	}
	/* end excerpt: walkdev-translate */

	if (!wd->ept_ready) {
		p->flags |= WALK_EPT_NONE;
		return;
	}
	out = ept_walk2d(&wd->ept, cpu, p->gva, p->access, &r2);
	p->refs = r2.refs > 255 ? 255 : (uint8_t)r2.refs;
	if (out == EPT2D_VIOLATION) {
		p->flags |= WALK_EPT_VIOLATION;
		p->ept_qual = (uint16_t)r2.qual;
	} else if (out == EPT2D_MISCONFIG) {
		p->flags |= WALK_EPT_MISCONFIG;
	}
	if (walkdev_2d_agrees(wd, p, rc, &res, out, &r2))
		p->flags |= WALK_EPT_AGREES;

	if (vcpu->trace) {
		fprintf(stderr,
			"vmm: walkdev: gva 0x%llx access %u: flags 0x%x gpa 0x%llx, 2-D walk %u refs",
			(unsigned long long)p->gva, p->access, p->flags,
			(unsigned long long)p->gpa, r2.refs);
		if (out == EPT2D_OK) {
			fprintf(stderr, ", host virtual 0x%llx",
				(unsigned long long)r2.hpa);
			walkdev_trace_pfn(r2.hpa);
		}
		fputc('\n', stderr);
	}
}

/* A batch at gpa, from vcpu (whose paging the probes go by). */
void walkdev_request(struct walkdev *wd, struct vcpu *vcpu, uint64_t gpa)
{
	struct vm *vm = wd->vm;
	struct walkdev_batch *b = memmap_hva_rw(&vm->mem, gpa, sizeof(*b));
	struct walkdev_probe *probe;
	struct pagewalk_cpu cpu;
	uint64_t pdpte[4];
	uint32_t i, count;
	int ret;

	if (!b) {
		warn_once(&wd->warned, "walkdev",
			  "batch at GPA 0x%llx is not in writable guest memory",
			  (unsigned long long)gpa);
		return;
	}
	count = b->count;
	if (count > WALKDEV_MAX_PROBES) {
		warn_once(&wd->warned, "walkdev", "batch of %u probes refused",
			  count);
		b->status = WALKDEV_TOO_MANY;
		return;
	}
	probe = memmap_hva_rw(&vm->mem, gpa + sizeof(*b),
			      (uint64_t)count * sizeof(*probe));
	if (!probe) {
		warn_once(&wd->warned, "walkdev",
			  "probes at GPA 0x%llx run outside writable guest memory",
			  (unsigned long long)(gpa + sizeof(*b)));
		return;
	}
	ret = walkdev_cpu(wd, vcpu, &cpu, pdpte);
	if (ret) {
		warn_once(&wd->warned, "walkdev",
			  "cannot read the vCPU's registers (errno %d)", -ret);
		for (i = 0; i < count; i++)
			probe[i].flags = WALK_ERROR;
		b->status = WALKDEV_DONE;
		return;
	}
	walkdev_ept_sync(wd);
	for (i = 0; i < count; i++)
		walkdev_probe(wd, vcpu, &cpu, &probe[i]);
	b->status = WALKDEV_DONE;
	wd->batches++;
	wd->probes += count;
}

static uint64_t walkdev_read(struct vcpu *vcpu, void *opaque, uint64_t offset,
			     unsigned int size)
{
	(void)vcpu;
	(void)opaque;
	return offset == 0 && size == 4 ? WALKDEV_MAGIC : bus_all_ones(size);
}

static void walkdev_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			  unsigned int size, uint64_t value)
{
	struct walkdev *wd = opaque;

	if (offset != 0 || size != 4) {
		warn_once(&wd->warned, "walkdev",
			  "%u-byte write ignored: use 4-byte OUTs", size);
		return;
	}
	walkdev_request(wd, vcpu, value);
}

/* Lab 03: vCPUs on several threads: one batch at a time. */
static pthread_mutex_t walkdev_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct bus_ops walkdev_ops = {
	.read = walkdev_read,
	.write = walkdev_write,
	.lock = &walkdev_lock,
};

int walkdev_init(struct vm *vm, void **state)
{
	struct walkdev *wd = calloc(1, sizeof(*wd));

	if (!wd)
		return err_set(-ENOMEM, "no memory for the walk device");
	*state = wd;
	wd->vm = vm;
	return bus_register(&vm->pio, WALKDEV_PORT, WALKDEV_PORT_LEN, "walkdev",
			    &walkdev_ops, wd);
}

void walkdev_exit(void *state, struct vm *vm)
{
	struct walkdev *wd = state;

	(void)vm;
	ept_free(&wd->ept);
	free(wd);
}

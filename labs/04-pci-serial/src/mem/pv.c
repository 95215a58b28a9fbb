/*
 * pv.c - the paravirtual platform (see pv.h): the guest's ELF note, its
 * pseudo-physical memory and start state, the hypercall port, and what
 * KVM must be told when the shadow changes (book §2.3-2.4).
 *
 * The shadow tables sit in a memslot of their own, above everything the
 * memory map uses, where no guest frame is. KVM does not see our writes
 * to them: on a KVM that itself shadows guest page tables (no EPT/NPT,
 * or a software KVM) its copies of our tables stay as they were. So when
 * a present shadow entry loses rights or moves, we delete and re-add that
 * memslot, which makes KVM drop every copy of a table in it (and flush
 * the TLB). On hardware with EPT/NPT it only costs the flush.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* <elf.h>'s segment flag PF_W; here PF_W is the #PF error code bit. */
#undef PF_W

#include "core/err.h"
#include "core/vm.h"
#include "mem/memmap.h"
#include "mem/pv.h"

#define PAGE_SIZE	4096ULL
#define SZ_2M		(2ULL << 20)
#define PV_POOL_SLOT	MEMMAP_MAX_REGIONS	/* the memory map uses slots below */
#define PV_START_PAGES	4	/* start info, PML4, PDPT, page directory */

enum {
	PV_WARN_WIDTH = 1 << 0,
	PV_WARN_NR = 1 << 1,
	PV_WARN_FRAME = 1 << 2,
	PV_WARN_CR3 = 1 << 3,
};

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) / align * align;
}

/* The 4-byte paging mode of a "vmmlab" note among the notes at p. */
static int pv_find_note(const uint8_t *p, uint64_t size, unsigned int *mode)
{
	static const char name[] = PV_NOTE_NAME;
	uint64_t off = 0;

	while (size - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t desc, next;

		memcpy(&nh, p + off, sizeof(nh));
		desc = off + sizeof(nh) + round_up(nh.n_namesz, 4);
		next = desc + round_up(nh.n_descsz, 4);
		if (desc > size || next > size)
			return err_set(-EINVAL, "truncated ELF note");
		if (nh.n_namesz == sizeof(name) &&
		    memcmp(p + off + sizeof(nh), name, sizeof(name)) == 0 &&
		    nh.n_type == PV_NOTE_PAGING) {
			uint32_t m;

			if (nh.n_descsz != 4)
				return err_set(-EINVAL, "the vmmlab paging note has %u bytes, not 4",
					       nh.n_descsz);
			memcpy(&m, p + desc, 4);
			if (m != PV_PAGING_SHADOW && m != PV_PAGING_DIRECT)
				return err_set(-EINVAL, "unknown paging mode %u in the vmmlab note",
					       m);
			*mode = m;
			return 1;
		}
		off = next;
	}
	return 0;
}

/* Where the PT_LOAD segments are: they must be at virtual = physical. */
static int pv_image_range(struct pv *pv, const uint8_t *image,
			  const Elf64_Ehdr *eh)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned int i;

	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, image + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_vaddr != ph.p_paddr)
			return err_set(-EINVAL,
				       "a paravirtual guest must be linked at virtual = physical addresses (segment %u: 0x%llx at 0x%llx)",
				       i, (unsigned long long)ph.p_vaddr,
				       (unsigned long long)ph.p_paddr);
		if (ph.p_paddr < lo)
			lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > hi)
			hi = ph.p_paddr + ph.p_memsz;
	}
	if (hi == 0)
		return err_set(-EINVAL, "ELF has no loadable segment");
	pv->image_start = lo & ~(PAGE_SIZE - 1);
	pv->image_end = round_up(hi, PAGE_SIZE);
	return 0;
}

/*
 * Is the (already loaded, so well-formed) guest image paravirtual? 0: no;
 * 1: yes, and *pv describes it; <0: a bad note, or a guest that does not
 * fit in ram_size bytes of RAM.
 */
int pv_probe(struct pv *pv, const uint8_t *image, size_t len,
	     uint64_t ram_size)
{
	const Elf64_Ehdr *eh = (const void *)image;
	unsigned int i, mode = 0;
	uint64_t need;
	int ret = 0;

	memset(pv, 0, sizeof(*pv));
	pv->shadow.root = SHADOW_NONE;
	if (len < sizeof(*eh) || memcmp(image, ELFMAG, SELFMAG) ||
	    image[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return 0;
	for (i = 0; i < eh->e_phnum && ret == 0; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, image + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE)
			continue;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return err_set(-EINVAL, "truncated ELF: note segment %u extends past the end of the file",
				       i);
		ret = pv_find_note(image + ph.p_offset, ph.p_filesz, &mode);
	}
	if (ret <= 0)
		return ret;
	ret = pv_image_range(pv, image, eh);
	if (ret)
		return ret;
	pv->mode = mode;
	pv->nr_pages = ram_size > MEMMAP_HIGH ? (ram_size - MEMMAP_HIGH) / SZ_2M * 512 : 0;
	if (pv->nr_pages > PV_MAX_PAGES)
		pv->nr_pages = PV_MAX_PAGES;
	need = pv->image_end / PAGE_SIZE + PV_START_PAGES;
	if (need > pv->nr_pages)
		return err_set(-E2BIG,
			       "a paravirtual guest gets RAM above 1 MiB in whole 2 MiB pages: it needs %llu pages with its start-up pages, --mem gives %llu",
			       (unsigned long long)need,
			       (unsigned long long)pv->nr_pages);
	pv->start_info = pv->image_end;
	pv->pt_base = pv->start_info + PAGE_SIZE;
	return 1;
}

/*
 * The start info and the initial page tables, in the guest's frames
 * right after its image: virtual = pseudo-physical over all its memory,
 * with 2 MiB pages, present and writable, A and D clear.
 */
int pv_build_start(const struct pv *pv, uint8_t *ram, uint64_t ram_size)
{
	uint64_t si = pv->start_info / PAGE_SIZE, j;
	uint64_t *f[PV_START_PAGES];
	struct pv_start_info info = {
		.magic = PV_START_MAGIC,
		.mode = pv->mode,
		.nr_pages = pv->nr_pages,
		.pt_base = pv->pt_base,
		.first_free = si + PV_START_PAGES,
		.hc_port = pv->mode == PV_PAGING_SHADOW ? PV_PORT : 0,
	};
	unsigned int i;

	for (i = 0; i < PV_START_PAGES; i++) {
		f[i] = (uint64_t *)p2m_frame(&pv->p2m, ram, ram_size, si + i);
		if (!f[i])
			return err_set(-EINVAL, "guest frame 0x%llx has no memory",
				       (unsigned long long)(si + i));
		memset(f[i], 0, PAGE_SIZE);
	}
	memcpy(f[0], &info, sizeof(info));
	f[1][0] = (si + 2) * PAGE_SIZE | PW_PTE_P | PW_PTE_RW;
	f[2][0] = (si + 3) * PAGE_SIZE | PW_PTE_P | PW_PTE_RW;
	for (j = 0; j < pv->nr_pages / 512; j++)
		f[3][j] = j * SZ_2M | PW_PTE_P | PW_PTE_RW | PW_PTE_PS;
	return 0;
}

/* The guest's MAXPHYADDR, from the CPUID table the vCPU got. */
static unsigned int pv_maxphyaddr(struct vcpu *vcpu)
{
	struct kvm_cpuid_entry2 e;

	if (vcpu_cpuid_entry(vcpu, 0x80000008, &e) == 0 && (e.eax & 0xff))
		return e.eax & 0xff;
	return 36;
}

/* The shadow pool's memslot, `size` bytes of it (0 deletes it). */
static int pv_pool_slot(struct pv *pv, uint64_t size)
{
	struct mem_region r = {
		.gpa = pv->pool_gpa,
		.size = size,
		.slot = PV_POOL_SLOT,
		.name = "the shadow tables",
		.hva = pv->pool,
	};

	return memmap_set_slot(&r, pv->vm->vm_fd);
}

/* Make KVM forget its copies of our tables: delete the slot, add it back. */
static int pv_kvm_flush(struct pv *pv)
{
	int ret = pv_pool_slot(pv, 0);

	if (!ret)
		ret = pv_pool_slot(pv, pv->pool_size);
	pv->shadow.st.flushes++;
	pv->shadow.need_flush = false;
	return ret;
}

static int pv_set_cr3(struct pv *pv, struct vcpu *vcpu, uint64_t cr3)
{
	struct kvm_sregs sregs;
	int ret = vcpu_get_sregs(vcpu, &sregs);

	if (ret)
		return ret;
	sregs.cr3 = cr3;
	ret = vcpu_set_sregs(vcpu, &sregs);
	if (!ret)
		pv->shadow.root_moved = false;
	return ret;
}

/* A bad request from the guest: said once, then refused in silence. */
__attribute__((format(printf, 3, 4)))
static void pv_warn(struct pv *pv, unsigned int what, const char *fmt, ...)
{
	va_list ap;

	if (pv->warned & what)
		return;
	pv->warned |= what;
	fflush(stdout);
	fprintf(stderr, "vmm: paravirtual guest: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (logged once)\n");
}

/* PV_HC_PAGE_FAULT: the guest forwards a #PF. */
static int pv_page_fault(struct pv *pv, struct kvm_regs *regs)
{
	uint32_t error = (uint32_t)regs->rsi & (PF_P | PF_W | PF_U | PF_RSVD | PF_I);
	uint32_t guest_error = 0;
	int ret = shadow_page_fault(&pv->shadow, regs->rdi, error, &guest_error);

	if (ret == SHADOW_FIXED) {
		if (regs->rdi == pv->last_cr2 && error == pv->last_error &&
		    ++pv->repeats >= PV_FAULT_REPEAT)
			return err_set(-ELOOP,
				       "the shadow fault at 0x%llx (error code 0x%x) came back %u times: the shadow entry is not being fixed",
				       (unsigned long long)regs->rdi, error,
				       pv->repeats);
		if (regs->rdi != pv->last_cr2 || error != pv->last_error)
			pv->repeats = 0;
		pv->last_cr2 = regs->rdi;
		pv->last_error = error;
		regs->rax = PV_OK;
		return 0;
	}
	pv->repeats = 0;
	if (ret == SHADOW_TRUE_FAULT) {
		regs->rax = PV_TRUE_FAULT;
		regs->rsi = guest_error;
		return 0;
	}
	if (ret == -ENXIO) {
		pv_warn(pv, PV_WARN_FRAME,
			"its tables map 0x%llx to a frame it does not have (%llu frames)",
			(unsigned long long)regs->rdi,
			(unsigned long long)pv->nr_pages);
		regs->rax = PV_EFAULT;
		return 0;
	}
	if (ret == -ERANGE) {
		regs->rax = PV_EINVAL;
		return 0;
	}
	return ret;
}

/*
 * One hypercall, on the guest's registers (RAX and RSI are the results).
 * Errors the guest caused are results in RAX; a negative return is a
 * failure of the VMM that ends the run.
 */
int pv_hypercall(struct pv *pv, uint32_t nr, struct kvm_regs *regs)
{
	int ret;

	pv->hypercalls++;
	switch (nr) {
	case PV_HC_PAGE_FAULT:
		return pv_page_fault(pv, regs);
	case PV_HC_LOAD_CR3:
		ret = shadow_load_cr3(&pv->shadow, regs->rdi);
		break;
	case PV_HC_INVLPG:
		ret = shadow_invlpg(&pv->shadow, regs->rdi);
		break;
	default:
		pv_warn(pv, PV_WARN_NR, "unknown hypercall %u", nr);
		regs->rax = PV_ENOSYS;
		return 0;
	}
	pv->repeats = 0;
	switch (ret) {
	case 0:
		regs->rax = PV_OK;
		return 0;
	case -EINVAL:
		pv_warn(pv, PV_WARN_CR3, "bad CR3 0x%llx (it has %llu frames)",
			(unsigned long long)regs->rdi,
			(unsigned long long)pv->nr_pages);
		regs->rax = PV_EINVAL;
		return 0;
	case -EFAULT:
	case -ENXIO:
		regs->rax = PV_EFAULT;
		return 0;
	}
	return ret;
}

/* A write to the hypercall port: the hypercall number. */
static void pv_port_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			  unsigned int size, uint64_t value)
{
	struct pv *pv = opaque;
	struct vm *vm = pv->vm;
	struct kvm_regs regs;
	int ret;

	if (offset != 0 || size != 4 || !vcpu) {
		pv_warn(pv, PV_WARN_WIDTH, "a %u-byte write at hypercall port offset %llu%s is ignored",
			size, (unsigned long long)offset,
			vcpu ? "" : " without a vCPU");
		return;
	}
	ret = vcpu_get_regs(vcpu, &regs);
	if (ret)
		goto fail;
	ret = pv_hypercall(pv, (uint32_t)value, &regs);
	if (ret) {
		fflush(stdout);
		fprintf(stderr, "vmm: shadow paging: %s\n", err_msg());
		vm_stop(vm, VMM_EXIT_GUEST_CRASH);
		return;
	}
	ret = vcpu_set_regs(vcpu, &regs);
	if (ret)
		goto fail;
	if (pv->shadow.need_flush)
		ret = pv_kvm_flush(pv);
	if (!ret && pv->shadow.root_moved)
		ret = pv_set_cr3(pv, vcpu, shadow_root_gpa(&pv->shadow));
	if (!ret)
		return;
fail:
	fflush(stdout);
	fprintf(stderr, "vmm: %s\n", err_msg());
	vm_stop(vm, VMM_EXIT_HOST);
}

static uint64_t pv_port_read(struct vcpu *vcpu, void *opaque, uint64_t offset,
			     unsigned int size)
{
	(void)vcpu;
	(void)opaque;
	if (offset != 0 || size != 4)
		return bus_all_ones(size);
	return PV_PORT_MAGIC;
}

/* Lab 03: vCPUs on several threads: one hypercall at a time (the shadow tables are the VM's). */
static pthread_mutex_t pv_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct bus_ops pv_port_ops = {
	.read = pv_port_read,
	.write = pv_port_write,
	.lock = &pv_lock,
};

/* The shadow pool: its own memory and memslot, above the memory map. */
static int pv_shadow_start(struct pv *pv, struct vm *vm)
{
	struct shadow_config cfg;
	unsigned int maxphy = pv_maxphyaddr(&vm->vcpus[0]);
	int ret;

	pv->pool_size = PV_POOL_PAGES * PAGE_SIZE;
	pv->pool_gpa = round_up(memmap_top(&vm->mem), SZ_2M);
	if (maxphy < 64 && pv->pool_gpa + pv->pool_size > (1ULL << maxphy))
		return err_set(-ERANGE,
			       "the shadow tables at 0x%llx would lie above the guest's %u-bit physical addresses",
			       (unsigned long long)pv->pool_gpa, maxphy);
	pv->pool = mmap(NULL, pv->pool_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pv->pool == MAP_FAILED) {
		pv->pool = NULL;
		return err_set(-errno, "cannot allocate the shadow tables: %s",
			       strerror(errno));
	}
	ret = pv_pool_slot(pv, pv->pool_size);
	if (ret)
		return ret;
	cfg = (struct shadow_config){
		.ram = vm->ram,
		.ram_size = vm->ram_size,
		.pool = pv->pool,
		.pool_gpa = pv->pool_gpa,
		.pool_pages = PV_POOL_PAGES,
		.p2m = &pv->p2m,
		.pin_start = pv->image_start,
		.pin_end = pv->start_info + PAGE_SIZE,
	};
	ret = shadow_init(&pv->shadow, &cfg);
	if (ret)
		return ret;
	pv->shadow_on = true;
	err_clear();
	ret = shadow_load_cr3(&pv->shadow, pv->pt_base);
	if (ret) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err_msg());
		return err_set(ret, "cannot shadow the guest's initial page tables: %s", why);
	}
	pv->shadow.need_flush = false;
	pv->shadow.root_moved = false;
	return bus_register(&vm->pio, PV_PORT, 4, "hypercall", &pv_port_ops, pv);
}

/*
 * The machine's start hook, once the vCPUs are set up: give a
 * paravirtual guest its memory and start state (see pv.h). Nothing to
 * do for other guests.
 */
int pv_start(void *state, struct vm *vm)
{
	struct pv *pv = state;
	uint64_t image_pfn = pv->image_start / PAGE_SIZE;
	bool shadow = pv->mode == PV_PAGING_SHADOW;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct vcpu *vcpu;
	int ret;

	if (!pv->mode)
		return 0;
	pv->vm = vm;
	vcpu = &vm->vcpus[0];
	ret = p2m_init(&pv->p2m, pv->nr_pages, shadow ? PV_MFN_BASE : 0,
		       shadow ? PV_P2M_SEED : 0);
	if (!ret && shadow)
		ret = p2m_relocate(&pv->p2m, vm->ram, vm->ram_size, image_pfn,
				   pv->image_end / PAGE_SIZE);
	if (!ret)
		ret = pv_build_start(pv, vm->ram, vm->ram_size);
	if (!ret && shadow)
		ret = pv_shadow_start(pv, vm);
	if (ret)
		return ret;

	/* The boot processor starts it; a paravirtual guest has no other. */
	ret = vcpu_get_sregs(vcpu, &sregs);
	if (ret)
		return ret;
	sregs.cr0 |= PW_CR0_WP;
	sregs.efer |= PW_EFER_NXE;
	sregs.cr3 = shadow ? shadow_root_gpa(&pv->shadow) : pv->pt_base;
	ret = vcpu_set_sregs(vcpu, &sregs);
	if (!ret)
		ret = vcpu_get_regs(vcpu, &regs);
	if (ret)
		return ret;
	regs.rdi = pv->start_info;
	return vcpu_set_regs(vcpu, &regs);
}

void pv_stats(void *state, FILE *out)
{
	const struct pv *pv = state;
	const struct shadow_stats *st = &pv->shadow.st;

	if (!pv->mode)
		return;
	if (!pv->shadow_on) {
		fprintf(out, "vmm:   paging: the guest's own tables in CR3 (%llu pseudo-physical pages, identity P2M)\n",
			(unsigned long long)pv->nr_pages);
		return;
	}
	fprintf(out, "vmm:   shadow paging: %llu hypercalls, %llu pseudo-physical pages, scrambled P2M\n",
		(unsigned long long)pv->hypercalls,
		(unsigned long long)pv->nr_pages);
	fprintf(out, "vmm:   shadow faults filled       %8llu (%llu spurious)\n",
		(unsigned long long)st->filled,
		(unsigned long long)st->spurious);
	fprintf(out, "vmm:   faults reflected to guest  %8llu\n",
		(unsigned long long)st->reflected);
	fprintf(out, "vmm:   write-protect faults       %8llu (page tables made writable)\n",
		(unsigned long long)st->wp_faults);
	fprintf(out, "vmm:   re-syncs                   %8llu (%llu shadow entries dropped)\n",
		(unsigned long long)st->resyncs,
		(unsigned long long)st->zapped);
	fprintf(out, "vmm:   shadow cache (CR3 loads)   %8llu hits, %llu misses\n",
		(unsigned long long)st->cache_hits,
		(unsigned long long)st->cache_misses);
	fprintf(out, "vmm:   shadow pool                %8u of %u pages, %llu resets\n",
		pv->shadow.nr_used, pv->shadow.cfg.pool_pages,
		(unsigned long long)st->resets);
	fprintf(out, "vmm:   KVM flushes                %8llu (pinned entries prefilled: %llu)\n",
		(unsigned long long)st->flushes,
		(unsigned long long)st->prefilled);
}

void pv_free(struct pv *pv)
{
	if (pv->shadow_on)
		shadow_free(&pv->shadow);
	p2m_free(&pv->p2m);
	if (pv->pool)
		munmap(pv->pool, pv->pool_size);
	pv->pool = NULL;
	pv->shadow_on = false;
}

/*
 * The machine's table (src/core/machine.c): is the guest paravirtual?
 * A bad note, or a guest that cannot fit, is the guest file's problem.
 */
int pv_init(struct vm *vm, void **state)
{
	struct pv *pv = calloc(1, sizeof(*pv));
	const struct boot_info *bi = vm->boot;

	if (!pv)
		return err_set(-ENOMEM, "no memory for the paravirtual platform");
	*state = pv;
	if (!bi || !bi->image)
		return 0;
	return pv_probe(pv, bi->image, bi->image_len, vm->ram_size) < 0 ?
	       -ENOEXEC : 0;
}

void pv_exit(void *state, struct vm *vm)
{
	(void)vm;
	pv_free(state);
	free(state);
}

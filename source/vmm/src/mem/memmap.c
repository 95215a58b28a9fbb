/* @@ file 02 */
/*
 * memmap.c - the memory map of the guest: several memslots with the
 * holes of a PC, kept in one table that is also the E820 map (book
 * §2.2; §2.2.4 for E820, §2.2.5 for the virtual DIMM).
 *
 * --mem bytes of RAM are laid out the way a PC chipset does it:
 *
 *   0x0       - 0x9efff    RAM, conventional memory      E820 1
 *   0x9f000   - 0x9ffff    RAM kept by the BIOS (EBDA)   E820 2
 *   0xa0000   - 0xeffff    hole: VGA window, option ROMs (no memslot)
 *   0xf0000   - 0xfffff    BIOS ROM, read-only memslot   E820 2
 *   1 MiB     - min(--mem, 3 GiB)   RAM                  E820 1
 *   3 GiB     - 4 GiB      PCI/MMIO hole (the test device) (no memslot)
 *   4 GiB     - 4 GiB + (--mem - 3 GiB)  the rest of RAM E820 1
 *   then, from the next GiB boundary, 1 GiB where DIMMs are hot-plugged.
 *
 * As on a PC, the RAM that would sit in the two holes is not lost: what
 * does not fit below 3 GiB is moved above 4 GiB. The VMM keeps all of it
 * in one host mapping of --mem bytes, in which guest-physical address A
 * below the PCI hole is at offset A, and address 4 GiB + B at offset
 * 3 GiB + B. The bytes at the offsets of the legacy hole (0xa0000-0xeffff)
 * are simply never mapped into the guest.
/* @@ 03 */
 *
 * Lab 03: vCPUs on several threads look regions up while one of them may
 * add a DIMM or change a region's flags: memmap_lock, a reader-writer
 * lock, guards the table (a region, once added, never moves).
/* @@ end */
 */
#include <errno.h>
/* @@ 03 */
#include <pthread.h>
/* @@ end */
/* @@ 04 */
#include <stdint.h>
/* @@ end */
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "core/err.h"
#include "mem/memmap.h"
/* @@ 03 */

static pthread_rwlock_t memmap_lock = PTHREAD_RWLOCK_INITIALIZER;
/* @@ end */

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) / align * align;
}

static struct mem_region *memmap_push(struct memmap *mm, uint64_t gpa,
				      uint64_t size, uint32_t type,
				      enum mem_kind kind, const char *name)
{
	struct mem_region *r = &mm->r[mm->nr];

	*r = (struct mem_region){
		.gpa = gpa, .size = size, .e820_type = type, .kind = kind,
		.name = name, .slot = mm->nr, .host_off = gpa,
	};
	mm->nr++;
	return r;
}

/*
 * Lay out --mem bytes (see the top of this file). Only computes the
 * table: memmap_alloc() gives it host memory, memmap_install() memslots.
 */
int memmap_build(struct memmap *mm, uint64_t mem)
{
	uint64_t below = mem < MEMMAP_PCI_HOLE ? mem : MEMMAP_PCI_HOLE;
	struct mem_region *r;

	memset(mm, 0, sizeof(*mm));
	if (mem < MEMMAP_MEM_MIN || mem > MEMMAP_MEM_MAX || mem % 4096)
		return err_set(-EINVAL,
			       "guest RAM of %llu bytes: must be a multiple of 4 KiB from 1 MiB to %llu GiB",
			       (unsigned long long)mem,
			       (unsigned long long)(MEMMAP_MEM_MAX >> 30));
	mm->mem = mem;

	memmap_push(mm, 0, MEMMAP_EBDA, E820_RAM, MEM_RAM, "conventional RAM");
	memmap_push(mm, MEMMAP_EBDA, MEMMAP_EBDA_SIZE, E820_RESERVED,
		    MEM_EBDA, "EBDA");
	r = memmap_push(mm, MEMMAP_BIOS, MEMMAP_BIOS_SIZE, E820_RESERVED,
			MEM_ROM, "BIOS ROM");
	r->flags = KVM_MEM_READONLY;
	if (below > MEMMAP_HIGH)
		memmap_push(mm, MEMMAP_HIGH, below - MEMMAP_HIGH, E820_RAM,
			    MEM_RAM, "RAM");
	if (mem > MEMMAP_PCI_HOLE) {
		r = memmap_push(mm, MEMMAP_4G, mem - MEMMAP_PCI_HOLE, E820_RAM,
				MEM_RAM, "RAM above 4 GiB");
		r->host_off = MEMMAP_PCI_HOLE;
	}

	/* DIMMs go above everything: from 4 GiB, or the GiB after RAM's end. */
	mm->dimm_base = round_up(memmap_ram_top(mm), 1ULL << 30);
	if (mm->dimm_base < MEMMAP_4G)
		mm->dimm_base = MEMMAP_4G;
	mm->dimm_next = mm->dimm_base;
	mm->dimm_end = mm->dimm_base + MEMMAP_DIMM_AREA;
	return 0;
}
/* @@ 04 */

/*
 * Lab 04: guest RAM that KVM can map 2 MiB at a time. KVM gives a guest
 * page a 2 MiB entry in its EPT or NPT tables only where the host backs
 * it with a huge page and the memslot's host address has the same offset
 * within 2 MiB as its guest-physical address; otherwise every 4 KiB the
 * guest touches costs KVM a fault of its own, inside KVM_RUN (and a
 * nested one is slow: a kernel that decompresses itself into 30 MiB
 * touches thousands). mmap() only promises 4 KiB alignment, so we map
 * 2 MiB more and give back the ends; MADV_HUGEPAGE asks for transparent
 * huge pages where the host's policy is "madvise", Debian's default.
 * QEMU does both for its guest RAM. Every offset of the layout above is
 * a multiple of 2 MiB, so each RAM memslot keeps the alignment.
 */
static void *ram_map(uint64_t size)
{
	uint8_t *p, *start;
	uint64_t lead;

	p = mmap(NULL, size + MEMMAP_HUGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return MAP_FAILED;
	start = (uint8_t *)round_up((uintptr_t)p, MEMMAP_HUGE);
	lead = (uint64_t)(start - p);
	if (lead)
		munmap(p, lead);
	munmap(start + size, MEMMAP_HUGE - lead);
	/* Advice only: without huge pages the RAM is the same, in 4 KiB. */
	madvise(start, size, MADV_HUGEPAGE);
	return start;
}
/* @@ end */

/* One mapping for all of --mem; NORESERVE: untouched pages cost nothing. */
int memmap_alloc(struct memmap *mm)
{
	unsigned int i;
	/* @@ ..03 */
	void *p = mmap(NULL, mm->mem, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	/* @@ else */
	void *p = ram_map(mm->mem);
	/* @@ end */

	if (p == MAP_FAILED)
		return err_set(-errno, "cannot allocate %llu bytes of guest RAM: %s",
			       (unsigned long long)mm->mem, strerror(errno));
	mm->base = p;
	for (i = 0; i < mm->nr; i++)
		if (mm->r[i].kind != MEM_DIMM)
			mm->r[i].hva = mm->base + mm->r[i].host_off;
	return 0;
}

void memmap_free(struct memmap *mm)
{
	unsigned int i;

	for (i = 0; i < mm->nr; i++)
		if (mm->r[i].kind == MEM_DIMM && mm->r[i].hva)
			munmap(mm->r[i].hva, mm->r[i].size);
	if (mm->base)
		munmap(mm->base, mm->mem);
	mm->base = NULL;
	mm->nr = 0;
}

int memmap_set_slot(const struct mem_region *r, int vm_fd)
{
	struct kvm_userspace_memory_region region = {
		.slot = r->slot,
		.flags = r->flags,
		.guest_phys_addr = r->gpa,
		.memory_size = r->size,
		.userspace_addr = (uintptr_t)r->hva,
	};

	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return err_set(-errno,
			       "KVM_SET_USER_MEMORY_REGION (slot %u, %s at 0x%llx): %s",
			       r->slot, r->name, (unsigned long long)r->gpa,
			       strerror(errno));
	return 0;
}

int memmap_install(struct memmap *mm, int vm_fd)
{
	unsigned int i;
	int ret;

	for (i = 0; i < mm->nr; i++) {
		ret = memmap_set_slot(&mm->r[i], vm_fd);
		if (ret)
			return ret;
	}
	return 0;
}

/* Change a memslot's flags (KVM allows it for dirty logging only). */
/* @@ ..02 */
int memmap_set_flags(struct memmap *mm, unsigned int index, int vm_fd,
		     uint32_t flags)
/* @@ else */
static int memmap_set_flags_locked(struct memmap *mm, unsigned int index,
				   int vm_fd, uint32_t flags)
/* @@ end */
{
	struct mem_region *r;
	uint32_t old;
	int ret;

	if (index >= mm->nr)
		return err_set(-EINVAL, "no memory region %u", index);
	r = &mm->r[index];
	old = r->flags;
	r->flags = flags;
	ret = memmap_set_slot(r, vm_fd);
	if (ret)
		r->flags = old;
	return ret;
}
/* @@ 03 */

int memmap_set_flags(struct memmap *mm, unsigned int index, int vm_fd,
		     uint32_t flags)
{
	int ret;

	pthread_rwlock_wrlock(&memmap_lock);
	ret = memmap_set_flags_locked(mm, index, vm_fd, flags);
	pthread_rwlock_unlock(&memmap_lock);
	return ret;
}
/* @@ end */

/* The index of the region holding all of [gpa, gpa + len), or -1. */
int memmap_find(const struct memmap *mm, uint64_t gpa, uint64_t len)
{
	unsigned int i;
	/* @@ 03 */
	int found = -1;
	/* @@ end */

	/* @@ ..02 */
	for (i = 0; i < mm->nr; i++) {
		const struct mem_region *r = &mm->r[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size &&
		    len <= r->size - (gpa - r->gpa))
			return (int)i;
	}
	return -1;
	/* @@ else */
	pthread_rwlock_rdlock(&memmap_lock);
	for (i = 0; i < mm->nr && found < 0; i++) {
		const struct mem_region *r = &mm->r[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size &&
		    len <= r->size - (gpa - r->gpa))
			found = (int)i;
	}
	pthread_rwlock_unlock(&memmap_lock);
	return found;
	/* @@ end */
}

/* The VMM's view of guest memory [gpa, gpa + len), or NULL. */
void *memmap_hva(const struct memmap *mm, uint64_t gpa, uint64_t len)
{
	int i = memmap_find(mm, gpa, len);

	if (i < 0 || !mm->r[i].hva)
		return NULL;
	return mm->r[i].hva + (gpa - mm->r[i].gpa);
}

/*
 * The same, for the VMM to write on the guest's behalf: NULL also when the
 * region is read-only to the guest (the ROM), so that a device the guest
 * points at memory cannot change what the guest itself cannot.
 */
void *memmap_hva_rw(const struct memmap *mm, uint64_t gpa, uint64_t len)
{
	int i = memmap_find(mm, gpa, len);

	if (i < 0 || !mm->r[i].hva || (mm->r[i].flags & KVM_MEM_READONLY))
		return NULL;
	return mm->r[i].hva + (gpa - mm->r[i].gpa);
}

/* E820 entry `index`: the table is the map, one entry per region. */
int memmap_e820_entry(const struct memmap *mm, unsigned int index,
		      struct e820_entry *e)
{
	if (index >= mm->nr)
		return -ENOENT;
	e->addr = mm->r[index].gpa;
	e->size = mm->r[index].size;
	e->type = mm->r[index].e820_type;
	return 0;
}

/* The end of RAM below the PCI hole: what the loader and multiboot see. */
uint64_t memmap_low_top(const struct memmap *mm)
{
	return mm->mem < MEMMAP_PCI_HOLE ? mm->mem : MEMMAP_PCI_HOLE;
}

/* The end of `mem` bytes of RAM in guest-physical addresses. */
uint64_t memmap_ram_end(uint64_t mem)
{
	if (mem > MEMMAP_PCI_HOLE)
		return MEMMAP_4G + (mem - MEMMAP_PCI_HOLE);
	return mem;
}

uint64_t memmap_ram_top(const struct memmap *mm)
{
	return memmap_ram_end(mm->mem);
}

/* Everything a guest may address: the identity map covers up to here. */
uint64_t memmap_top(const struct memmap *mm)
{
	return mm->dimm_end;
}

/*
 * Hot-plug a DIMM of `size` bytes (a multiple of 1 MiB) at the next free
 * address of the DIMM area: new host memory, a new memslot (when vm_fd
 * is a VM) and a new E820 entry. Returns the new region's index, or
 * -EINVAL (bad size), -ENOSPC (no room) or another -errno.
 */
/* @@ ..02 */
int memmap_add_dimm(struct memmap *mm, int vm_fd, uint64_t size)
/* @@ else */
static int memmap_add_dimm_locked(struct memmap *mm, int vm_fd, uint64_t size)
/* @@ end */
{
	struct mem_region *r;
	void *p;
	int ret;

	if (size == 0 || size % (1ULL << 20))
		return err_set(-EINVAL, "a DIMM is a whole number of MiB, not %llu bytes",
			       (unsigned long long)size);
	if (size > mm->dimm_end - mm->dimm_next)
		return err_set(-ENOSPC,
			       "no room for a DIMM of %llu MiB: %llu MiB left in the DIMM area",
			       (unsigned long long)(size >> 20),
			       (unsigned long long)((mm->dimm_end - mm->dimm_next) >> 20));
	if (mm->nr_dimms == MEMMAP_DIMM_MAX || mm->nr == MEMMAP_MAX_REGIONS)
		return err_set(-ENOSPC, "no room for another DIMM: %u are plugged in",
			       mm->nr_dimms);

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return err_set(-errno, "cannot allocate a DIMM of %llu MiB: %s",
			       (unsigned long long)(size >> 20), strerror(errno));

	/* The DIMM area is above everything else: the table stays sorted. */
	r = memmap_push(mm, mm->dimm_next, size, E820_RAM, MEM_DIMM, "DIMM");
	r->hva = p;
	r->host_off = 0;
	if (vm_fd >= 0) {
		ret = memmap_set_slot(r, vm_fd);
		if (ret) {
			mm->nr--;
			munmap(p, size);
			return ret;
		}
	}
	mm->dimm_next += size;
	mm->nr_dimms++;
	return (int)(mm->nr - 1);
}
/* @@ 03 */

int memmap_add_dimm(struct memmap *mm, int vm_fd, uint64_t size)
{
	int ret;

	pthread_rwlock_wrlock(&memmap_lock);
	ret = memmap_add_dimm_locked(mm, vm_fd, size);
	pthread_rwlock_unlock(&memmap_lock);
	return ret;
}
/* @@ end */

static const char *e820_type_name(uint32_t type)
{
	return type == E820_RAM ? "usable" : "reserved";
}

void memmap_print(const struct memmap *mm, FILE *out)
{
	unsigned int i;

	for (i = 0; i < mm->nr; i++) {
		const struct mem_region *r = &mm->r[i];

		fprintf(out, "vmm: memslot %u: 0x%09llx-0x%09llx %-8s %s%s\n",
			r->slot, (unsigned long long)r->gpa,
			(unsigned long long)(r->gpa + r->size - 1),
			e820_type_name(r->e820_type), r->name,
			r->flags & KVM_MEM_READONLY ? " (read-only)" : "");
	}
}

/*
 * dirtylog.c - the dirty-log device: KVM's dirty-page log, reported to
 * the guest that made the pages dirty (background: book §2.5.2, EPT
 * violations; the book does not cover dirty logging itself).
 *
 * A memslot created or changed with KVM_MEM_LOG_DIRTY_PAGES has a bitmap
 * in KVM, one bit per page, set when the guest writes the page: KVM
 * write-protects the slot's pages in the EPT (or the shadow page table)
 * and records each first write. KVM_GET_DIRTY_LOG copies the bitmap out,
 * clears it and write-protects the pages again. Live migration loops on
 * exactly that: copy the dirty pages, ask again, until few are left.
 *
 * The guest chooses a region (BASE, PAGES), starts logging, writes what
 * it likes and asks for a REPORT: the VMM fetches the log of the
 * region's memslot and lets the guest read the dirty pages of the region
 * back through DATA, so that the transcript shows what KVM saw. Writes
 * by the VMM itself (say, an E820 entry) are not in the log: they do
 * not go through KVM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/vm.h"
#include "core/warn.h"
#include "mem/dirtylog.h"

/*
 * The pages set in `bitmap` (bit n: page n of the slot, 64 to a word)
 * among the `pages` starting at page `first`, as indices from `first`,
 * in increasing order. Returns how many were written to `out`.
 */
uint32_t dirtylog_collect(const uint64_t *bitmap, uint64_t first,
			  uint32_t pages, uint32_t *out)
{
	uint32_t i, n = 0;

	for (i = 0; i < pages; i++) {
		uint64_t page = first + i;

		if (bitmap[page / 64] & (1ULL << (page % 64)))
			out[n++] = i;
	}
	return n;
}

static void dirtylog_stop(struct dirtylog *dl)
{
	struct memmap *mm = &dl->vm->mem;
	struct mem_region *r;

	if (dl->region < 0)
		return;
	r = &mm->r[dl->region];
	if (memmap_set_flags(mm, (unsigned int)dl->region, dl->vm->vm_fd,
			     r->flags & ~KVM_MEM_LOG_DIRTY_PAGES) < 0)
		fprintf(stderr, "vmm: dirtylog: %s\n", err_msg());
	free(dl->bitmap);
	dl->bitmap = NULL;
	dl->region = -1;
}

static uint32_t dirtylog_start(struct dirtylog *dl)
{
	struct memmap *mm = &dl->vm->mem;
	uint64_t gpa = (uint64_t)dl->base << 12;
	uint64_t len = (uint64_t)dl->pages << 12;
	struct mem_region *r;
	uint64_t words;
	int i;

	dirtylog_stop(dl);
	dl->nr_dirty = dl->next = 0;
	if (dl->pages == 0 || dl->pages > DIRTYLOG_MAX_PAGES)
		return DIRTYLOG_ERR_REGION;
	i = memmap_find(mm, gpa, len);
	if (i < 0 || (mm->r[i].flags & KVM_MEM_READONLY))
		return DIRTYLOG_ERR_REGION;
	r = &mm->r[i];

	words = ((r->size >> 12) + 63) / 64;
	dl->bitmap = calloc(words, sizeof(uint64_t));
	if (!dl->bitmap) {
		fprintf(stderr, "vmm: dirtylog: no memory for a dirty bitmap\n");
		return DIRTYLOG_ERR_HOST;
	}
	/* A newly logged slot starts with a clean log. */
	if (memmap_set_flags(mm, (unsigned int)i, dl->vm->vm_fd,
			     r->flags | KVM_MEM_LOG_DIRTY_PAGES) < 0) {
		fprintf(stderr, "vmm: dirtylog: %s\n", err_msg());
		free(dl->bitmap);
		dl->bitmap = NULL;
		return DIRTYLOG_ERR_HOST;
	}
	dl->region = i;
	dl->first = (gpa - r->gpa) >> 12;
	dl->count = dl->pages;
	return DIRTYLOG_OK;
}

static uint32_t dirtylog_report(struct dirtylog *dl)
{
	struct kvm_dirty_log log = { 0 };

	dl->nr_dirty = dl->next = 0;
	if (dl->region < 0)
		return DIRTYLOG_ERR_CMD;
	log.slot = dl->vm->mem.r[dl->region].slot;
	log.dirty_bitmap = dl->bitmap;
	if (ioctl(dl->vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0) {
		fprintf(stderr, "vmm: dirtylog: KVM_GET_DIRTY_LOG: %s\n",
			strerror(errno));
		return DIRTYLOG_ERR_HOST;
	}
	dl->nr_dirty = dirtylog_collect(dl->bitmap, dl->first, dl->count,
					dl->dirty);
	dl->reports++;
	dl->reported += dl->nr_dirty;
	return DIRTYLOG_OK;
}

void dirtylog_command(struct dirtylog *dl, uint32_t cmd)
{
	switch (cmd) {
	case DIRTYLOG_START:
		dl->status = dirtylog_start(dl);
		break;
	case DIRTYLOG_REPORT:
		dl->status = dirtylog_report(dl);
		break;
	case DIRTYLOG_STOP:
		dl->status = dl->region < 0 ? DIRTYLOG_ERR_CMD : DIRTYLOG_OK;
		dirtylog_stop(dl);
		break;
	default:
		dl->status = DIRTYLOG_ERR_CMD;
	}
}

static uint64_t dirtylog_read(struct vcpu *vcpu, void *opaque,
			      uint64_t offset, unsigned int size)
{
	struct dirtylog *dl = opaque;

	(void)vcpu;
	if (warn_reg32_bad(&dl->warned, "dirtylog", "read", offset, size))
		return bus_all_ones(size);
	switch (offset) {
	case DIRTYLOG_BASE:
		return dl->base;
	case DIRTYLOG_PAGES:
		return dl->pages;
	case DIRTYLOG_CMD:
		return dl->status;
	default:
		if (dl->next < dl->nr_dirty)
			return dl->dirty[dl->next++];
		return DIRTYLOG_END;
	}
}

static void dirtylog_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			   unsigned int size, uint64_t value)
{
	struct dirtylog *dl = opaque;

	(void)vcpu;
	if (warn_reg32_bad(&dl->warned, "dirtylog", "write", offset, size))
		return;
	switch (offset) {
	case DIRTYLOG_BASE:
		dl->base = (uint32_t)value;
		break;
	case DIRTYLOG_PAGES:
		dl->pages = (uint32_t)value;
		break;
	case DIRTYLOG_CMD:
		dirtylog_command(dl, (uint32_t)value);
		break;
	default:
		warn_once(&dl->warned, "dirtylog",
			  "bad %u-byte write to DATA, a read-only register, at offset 0x%llx ignored",
			  size, (unsigned long long)offset);
	}
}

/* Lab 03: vCPUs on several threads: one request at a time. */
static pthread_mutex_t dirtylog_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct bus_ops dirtylog_ops = {
	.read = dirtylog_read,
	.write = dirtylog_write,
	.lock = &dirtylog_lock,
};

int dirtylog_init(struct vm *vm, void **state)
{
	struct dirtylog *dl = calloc(1, sizeof(*dl));

	if (!dl)
		return err_set(-ENOMEM, "no memory for the dirty-log device");
	*state = dl;
	dl->vm = vm;
	dl->region = -1;
	return bus_register(&vm->pio, DIRTYLOG_PORT, DIRTYLOG_PORT_LEN,
			    "dirtylog", &dirtylog_ops, dl);
}

void dirtylog_stats(void *state, FILE *out)
{
	const struct dirtylog *dl = state;

	fprintf(out, "vmm:   dirty pages reported       %8llu in %llu reports\n",
		(unsigned long long)dl->reported,
		(unsigned long long)dl->reports);
}

void dirtylog_exit(void *state, struct vm *vm)
{
	struct dirtylog *dl = state;

	(void)vm;
	free(dl->bitmap);
	free(dl);
}

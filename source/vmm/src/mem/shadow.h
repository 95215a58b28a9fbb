/* @@ file 02 */
/*
 * shadow.h - shadow page tables for a paravirtual guest (book §2.3-2.4:
 * 影子页表, "swapping CR3" §2.4.1 and the shadow page fault §2.4.2).
 *
 * The guest keeps its own 4-level page tables in its pseudo-physical
 * memory, but the CPU never sees them: CR3 points at tables the VMM
 * builds from the guest's, mapping guest-virtual addresses straight to
 * machine frames. The design is KVM's:
 *
 *   - one shadow page per guest page table (keyed by its guest frame and
 *     level) and one more for each piece of a guest large page ("direct"
 *     shadow pages): a guest table that two address spaces share is
 *     shadowed once, and the root, keyed by the guest's CR3, is the
 *     shadow cache of §2.4.1;
 *   - shadow pages are filled on demand, one entry per shadow fault;
 *   - every guest frame that holds a guest page table is mapped read-only
 *     in the shadow. The first write to it faults, and the VMM lets the
 *     guest write ("unsync", out of sync) until the guest's next CR3 load
 *     or INVLPG, when every out-of-sync table is compared with a snapshot,
 *     changed entries are dropped from the shadow and the table is
 *     write-protected again;
 *   - accessed and dirty bits go to the guest's entries as the CPU would
 *     set them; a page the guest has not written yet (D = 0) is mapped
 *     read-only so that its first write faults and sets D.
 *
 * The shadow tables live in a pool of machine frames that the guest has
 * no P2M entry for, so it can never map them.
 */
#ifndef VMM_SHADOW_H
#define VMM_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/p2m.h"
#include "mem/pagewalk.h"

#define SHADOW_NONE		UINT32_MAX
#define SHADOW_HASH_SIZE	1024
#define SHADOW_MIN_POOL		8

/* What shadow_page_fault() found. */
enum shadow_fault {
	SHADOW_FIXED,		/* a shadow fault: the entry is filled, retry */
	SHADOW_TRUE_FAULT,	/* the guest's own tables refuse the access */
};

struct shadow_page {
	uint64_t gfn;		/* the guest table it shadows; direct: first frame */
	uint8_t level;		/* 4: PML4 ... 1: page table */
	bool direct;		/* a piece of a guest large page: no guest table */
	bool dirty;		/* direct: the large page's D bit when it was linked */
	uint32_t hash_next;	/* the next page in its hash chain */
};

/* Where a guest frame is mapped in the shadow: the reverse map. */
struct shadow_rmap {
	uint32_t page;		/* the shadow page (a pool index) */
	uint16_t index;		/* the entry in it */
	uint32_t next;		/* the next mapping of the same frame */
};

struct shadow_stats {
	uint64_t filled;	/* shadow faults: entries filled, the guest retried */
	uint64_t reflected;	/* true faults, given back to the guest */
	uint64_t wp_faults;	/* writes to write-protected guest page tables */
	uint64_t resyncs;	/* out-of-sync guest tables re-synced */
	uint64_t zapped;	/* shadow entries those re-syncs dropped */
	uint64_t cache_hits;	/* CR3 loads that found their shadow */
	uint64_t cache_misses;	/* CR3 loads that built a new root */
	uint64_t prefilled;	/* entries filled for the pinned range */
	uint64_t resets;	/* the pool was full: every shadow dropped */
	uint64_t flushes;	/* times KVM was told to drop its copies */
	uint64_t spurious;	/* faults on entries that were already right */
};

struct shadow_config {
	uint8_t *ram;		/* machine memory holding the guest's frames */
	uint64_t ram_size;	/* (machine frame n at ram + n * 4096) */
	uint8_t *pool;		/* the shadow tables: pool page i at pool + i * 4096 */
	uint64_t pool_gpa;	/* ...and at machine address pool_gpa + i * 4096 */
	uint32_t pool_pages;
	const struct p2m *p2m;
	uint64_t pin_start;	/* [pin_start, pin_end): guest-virtual pages that */
	uint64_t pin_end;	/* every shadow maps before the guest runs on it */
};

struct shadow {
	struct shadow_config cfg;
	struct pagewalk_cpu cpu;	/* the guest's paging: cpu.cr3 = its CR3 */
	struct shadow_page *pages;	/* one per pool page */
	uint64_t *snap;			/* what each guest table held when synced */
	uint32_t nr_used;		/* pool pages handed out */
	uint32_t hash[SHADOW_HASH_SIZE];
	uint32_t root;			/* the current root page, or SHADOW_NONE */
	/* Per guest frame. */
	uint16_t *pt_count;		/* shadow pages that shadow it */
	bool *oos;			/* it is a table, out of sync (writable) */
	uint32_t *oos_list;
	uint64_t nr_oos;
	uint32_t *rmap_head;		/* its mappings: an index into rmap, or NONE */
	struct shadow_rmap *rmap;
	uint32_t rmap_cap, rmap_used, rmap_free;
	uint64_t nr_changes;		/* shadow entries written so far */
	/* Set for the caller, which tells KVM and clears them. */
	bool need_flush;		/* a present shadow entry lost rights or moved */
	bool root_moved;		/* the root's machine address changed */
	struct shadow_stats st;
};

int shadow_init(struct shadow *s, const struct shadow_config *cfg);
void shadow_free(struct shadow *s);
int shadow_load_cr3(struct shadow *s, uint64_t guest_cr3);
int shadow_invlpg(struct shadow *s, uint64_t gva);
/*
 * shadow_page_fault() - a #PF the guest took on the shadow tables and
 * forwarded: the hardware's error code `error_code` (SDM 4.7) at gva.
 *	It walks the guest's own tables (pagewalk() on s->cpu, through the
 *	P2M) for the access the error code describes:
 *	- they refuse it, a true fault: SHADOW_TRUE_FAULT, with
 *	  *guest_error_code the error code the guest's tables give, for the
 *	  guest's own #PF handler; counted in st.reflected;
 *	- they allow it, a shadow fault: the shadow is made to agree
 *	  (shadow_fix() in shadow.c) and the guest retries the access:
 *	  SHADOW_FIXED, counted in st.filled. If that changed no shadow
 *	  entry (s->nr_changes counts the entries written), the shadow was
 *	  right already and something holds a stale copy of it (the TLB,
 *	  or a KVM that shadows our tables): st.spurious, s->need_flush.
 *	  A pool too full for one walk is reset (shadow_reset(): every
 *	  shadow dropped) and the fix made again.
 *	Errors: -EINVAL before the first CR3 load; -EIO when the error code
 *	has RSVD (the VMM's own tables are wrong); -ENXIO when the guest's
 *	tables name a frame it does not have; -ERANGE for a non-canonical
 *	gva (walk_error() turns pagewalk()'s errors into these); -ENOSPC
 *	when the pool cannot hold one walk even when empty
 *	(pool_too_small() says so).
 */
int shadow_page_fault(struct shadow *s, uint64_t gva, uint32_t error_code,
		      uint32_t *guest_error_code);
uint64_t shadow_root_gpa(const struct shadow *s);
void shadow_resync_all(struct shadow *s);

/* For the fault handler and the re-sync (exercise 2.shadow). */
int shadow_write_guest(struct shadow *s, uint64_t gpa, uint64_t value);
int shadow_set_leaf(struct shadow *s, uint32_t page, unsigned int index,
		    uint64_t pfn, uint64_t spte);
void shadow_zap(struct shadow *s, uint32_t page, unsigned int index);
bool shadow_frame_protected(const struct shadow *s, uint64_t pfn);
void shadow_unsync(struct shadow *s, uint64_t pfn);

#endif

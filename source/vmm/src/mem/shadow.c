/* @@ file 02 */
/*
 * shadow.c - shadow page tables for a paravirtual guest: the shadow
 * fault, write protection and re-sync of guest page tables, accessed and
 * dirty bits, and the shadow cache keyed by the guest's CR3 (book
 * §2.3-2.4, in particular §2.4.1 "swapping CR3" and §2.4.2 "the shadow
 * page fault"; Intel SDM vol. 3, ch. 4 for every bit).
 *
 * shadow.h gives the design. Terms used below: a guest frame (pfn) is
 * pseudo-physical, a machine frame (mfn) is a KVM guest-physical frame;
 * "sp" is a shadow page, one page of the pool; "gpte" a guest entry,
 * "spte" a shadow entry.
 *
 * The guest's tables are read with pagewalk(), through the P2M. The
 * shadow is filled top down along the walk: at each level the shadow
 * entry must link to the shadow page of the table the guest entry points
 * to, with the guest entry's R/W, U/S and XD bits, so that the CPU
 * combines the same rights the guest's tables give; the last level maps
 * the machine frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "mem/shadow.h"

/* Unused until the shadow fault (exercise 2.shadow) calls it. */
#define __maybe_unused	__attribute__((unused))

#define PAGE_SIZE	4096ULL
#define NR_ENTRIES	512
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_A		(1ULL << 5)	/* accessed (SDM 4.8) */
#define PTE_D		(1ULL << 6)	/* dirty, in a leaf */
#define PTE_PS		(1ULL << 7)
#define PTE_XD		(1ULL << 63)
#define PTE_ADDR	0x000ffffffffff000ULL
/* Bits the CPU (or a KVM that shadows our tables) sets in our entries. */
#define SPTE_CPU_BITS	(PTE_A | PTE_D)
/* CR3 without PCIDs: address bits, PWT (3) and PCD (4). */
#define CR3_ADDR	0x000ffffffffff000ULL
#define CR3_FLAGS	0x18ULL

static uint64_t *sp_table(const struct shadow *s, uint32_t page)
{
	return (uint64_t *)(s->cfg.pool + (uint64_t)page * PAGE_SIZE);
}

static uint64_t sp_gpa(const struct shadow *s, uint32_t page)
{
	return s->cfg.pool_gpa + (uint64_t)page * PAGE_SIZE;
}

static uint64_t *sp_snap(const struct shadow *s, uint32_t page)
{
	return s->snap + (uint64_t)page * NR_ENTRIES;
}

uint64_t shadow_root_gpa(const struct shadow *s)
{
	return s->root == SHADOW_NONE ? 0 : sp_gpa(s, s->root);
}

/* ---- guest memory, through the P2M ---- */

/* The machine memory of guest frame pfn, or NULL when it has none. */
static uint8_t *guest_frame(const struct shadow *s, uint64_t pfn)
{
	return p2m_frame(s->cfg.p2m, s->cfg.ram, s->cfg.ram_size, pfn);
}

/* pagewalk()'s reader: an entry at a pseudo-physical address. */
static int shadow_read_guest(void *opaque, uint64_t gpa, unsigned int size,
			     uint64_t *value)
{
	const struct shadow *s = opaque;
	uint8_t *frame = guest_frame(s, gpa / PAGE_SIZE);

	if (!frame || gpa % PAGE_SIZE + size > PAGE_SIZE)
		return -1;
	*value = 0;
	memcpy(value, frame + gpa % PAGE_SIZE, size);
	return 0;
}

/* Write an 8-byte guest entry at pseudo-physical address gpa. */
int shadow_write_guest(struct shadow *s, uint64_t gpa, uint64_t value)
{
	uint8_t *frame = guest_frame(s, gpa / PAGE_SIZE);

	if (!frame || gpa % 8)
		return -EFAULT;
	memcpy(frame + gpa % PAGE_SIZE, &value, 8);
	return 0;
}

/* ---- the reverse map: where each guest frame is mapped ---- */

static int rmap_add(struct shadow *s, uint64_t pfn, uint32_t page,
		    unsigned int index)
{
	struct shadow_rmap *r;
	uint32_t n = s->rmap_free;

	if (n == SHADOW_NONE) {
		if (s->rmap_used == s->rmap_cap) {
			uint32_t cap = s->rmap_cap ? 2 * s->rmap_cap : 1024;

			r = realloc(s->rmap, (size_t)cap * sizeof(*r));
			if (!r)
				return err_set(-ENOMEM, "no memory for the shadow's reverse map");
			s->rmap = r;
			s->rmap_cap = cap;
		}
		n = s->rmap_used++;
	} else {
		s->rmap_free = s->rmap[n].next;
	}
	s->rmap[n] = (struct shadow_rmap){
		.page = page, .index = (uint16_t)index, .next = s->rmap_head[pfn],
	};
	s->rmap_head[pfn] = n;
	return 0;
}

static void rmap_del(struct shadow *s, uint64_t pfn, uint32_t page,
		     unsigned int index)
{
	uint32_t *link = &s->rmap_head[pfn];

	while (*link != SHADOW_NONE) {
		struct shadow_rmap *r = &s->rmap[*link];

		if (r->page == page && r->index == index) {
			uint32_t n = *link;

			*link = r->next;
			r->next = s->rmap_free;
			s->rmap_free = n;
			return;
		}
		link = &r->next;
	}
}

/* ---- shadow entries ---- */

/*
 * A shadow entry loses nothing when only R/W is added. Any other change
 * to a present entry - rights taken away, another frame, another table -
 * leaves stale copies in the TLB and, on a KVM that itself shadows our
 * tables (no EPT/NPT), in KVM's own shadow: the caller must flush them.
 */
static void spte_set(struct shadow *s, uint32_t page, unsigned int index,
		     uint64_t new)
{
	uint64_t *e = &sp_table(s, page)[index];
	uint64_t old = *e & ~SPTE_CPU_BITS;

	if (old == new)
		return;
	if ((old & PTE_P) && (old | PTE_RW) != new)
		s->need_flush = true;
	*e = new;
	s->nr_changes++;
}

/* Drop a shadow entry (and its reverse mapping, for a leaf). */
void shadow_zap(struct shadow *s, uint32_t page, unsigned int index)
{
	uint64_t *e = &sp_table(s, page)[index];

	if (!(*e & PTE_P))
		return;
	if (s->pages[page].level == 1)
		rmap_del(s, p2m_pfn(s->cfg.p2m, (*e & PTE_ADDR) / PAGE_SIZE),
			 page, index);
	*e = 0;
	s->need_flush = true;
	s->nr_changes++;
	s->st.zapped++;
}

/* Set a last-level shadow entry mapping guest frame pfn. */
int shadow_set_leaf(struct shadow *s, uint32_t page, unsigned int index,
		    uint64_t pfn, uint64_t spte)
{
	uint64_t old = sp_table(s, page)[index];
	uint64_t old_pfn = P2M_NONE;
	int ret;

	if (old & PTE_P)
		old_pfn = p2m_pfn(s->cfg.p2m, (old & PTE_ADDR) / PAGE_SIZE);
	if (old_pfn != pfn) {
		ret = rmap_add(s, pfn, page, index);
		if (ret)
			return ret;
		if (old_pfn != P2M_NONE)
			rmap_del(s, old_pfn, page, index);
	}
	spte_set(s, page, index, spte);
	return 0;
}

/* Take R/W away from every shadow mapping of guest frame pfn. */
static void write_protect(struct shadow *s, uint64_t pfn)
{
	uint32_t n;

	for (n = s->rmap_head[pfn]; n != SHADOW_NONE; n = s->rmap[n].next) {
		uint64_t *e = &sp_table(s, s->rmap[n].page)[s->rmap[n].index];

		if (*e & PTE_RW) {
			*e &= ~PTE_RW;
			s->need_flush = true;
		}
	}
}

/* Is guest frame pfn a page table that the shadow must see every write to? */
bool shadow_frame_protected(const struct shadow *s, uint64_t pfn)
{
	return s->pt_count[pfn] > 0 && !s->oos[pfn];
}

/* Let the guest write table pfn until its next CR3 load or INVLPG. */
void shadow_unsync(struct shadow *s, uint64_t pfn)
{
	if (s->oos[pfn])
		return;
	s->oos[pfn] = true;
	s->oos_list[s->nr_oos++] = (uint32_t)pfn;
	s->st.wp_faults++;
}

/* ---- shadow pages: the pool and the hash ---- */

static unsigned int sp_hash(uint64_t gfn, unsigned int level)
{
	return (unsigned int)(((gfn * 4 + level) * 0x9e3779b97f4a7c15ULL) >> 54) %
	       SHADOW_HASH_SIZE;
}

static uint32_t sp_find(const struct shadow *s, uint64_t gfn,
			unsigned int level, bool direct, bool dirty)
{
	uint32_t i;

	for (i = s->hash[sp_hash(gfn, level)]; i != SHADOW_NONE;
	     i = s->pages[i].hash_next) {
		const struct shadow_page *sp = &s->pages[i];

		if (sp->gfn == gfn && sp->level == level &&
		    sp->direct == direct && sp->dirty == dirty)
			return i;
	}
	return SHADOW_NONE;
}

static uint32_t sp_new(struct shadow *s, uint64_t gfn, unsigned int level,
		       bool direct, bool dirty)
{
	unsigned int h = sp_hash(gfn, level);
	uint32_t i;

	if (s->nr_used == s->cfg.pool_pages)
		return SHADOW_NONE;
	i = s->nr_used++;
	memset(sp_table(s, i), 0, PAGE_SIZE);
	s->pages[i] = (struct shadow_page){
		.gfn = gfn, .level = (uint8_t)level, .direct = direct,
		.dirty = dirty, .hash_next = s->hash[h],
	};
	s->hash[h] = i;
	return i;
}

/*
 * The shadow page of guest table gfn at `level`, made if there is none:
 * it starts empty, with a snapshot of the guest table, and from now on
 * the guest's table is write-protected in the shadow. SHADOW_NONE with
 * *err = -ENOSPC when the pool is full, -ENXIO when gfn is not the
 * guest's.
 */
static uint32_t sp_get(struct shadow *s, uint64_t gfn, unsigned int level,
		       int *err)
{
	uint32_t i = sp_find(s, gfn, level, false, false);
	uint8_t *table = guest_frame(s, gfn);

	if (i != SHADOW_NONE)
		return i;
	if (!table) {
		*err = -ENXIO;
		return SHADOW_NONE;
	}
	i = sp_new(s, gfn, level, false, false);
	if (i == SHADOW_NONE) {
		*err = -ENOSPC;
		return SHADOW_NONE;
	}
	memcpy(sp_snap(s, i), table, PAGE_SIZE);
	if (s->pt_count[gfn]++ == 0 && !s->oos[gfn])
		write_protect(s, gfn);
	return i;
}

/*
 * A direct shadow page: the 4 KiB (level 1) or 2 MiB (level 2) pieces of
 * a guest large page starting at guest frame `first`. The P2M scatters
 * the frames, so the shadow cannot use a large page itself. `dirty` is
 * the large page's D bit: a clean one gets its own, read-only pieces.
 */
static uint32_t sp_get_direct(struct shadow *s, uint64_t first,
			      unsigned int level, bool dirty, int *err)
{
	uint32_t i = sp_find(s, first, level, true, dirty);

	if (i != SHADOW_NONE)
		return i;
	i = sp_new(s, first, level, true, dirty);
	if (i == SHADOW_NONE)
		*err = -ENOSPC;
	return i;
}

/* An entry linking to shadow page `child`, with the guest entry's rights. */
static uint64_t spte_link(const struct shadow *s, uint32_t child, uint64_t gpte)
{
	return sp_gpa(s, child) | PTE_P | (gpte & (PTE_RW | PTE_US)) |
	       (gpte & PTE_XD);
}

/* pagewalk() failed, but not with a #PF: say why. */
static int walk_error(uint64_t gva, int ret)
{
	if (ret == -EIO)
		return -ENXIO;	/* a guest table outside the guest's memory */
	if (ret == -ERANGE)
		return ret;	/* a non-canonical address */
	return err_set(ret, "pagewalk() of 0x%llx failed: %s",
		       (unsigned long long)gva, strerror(-ret));
}

/* The access a #PF error code describes (SDM 4.7), for pagewalk(). */
static __maybe_unused unsigned int pf_access(uint32_t error_code)
{
	unsigned int access = PW_READ;

	if (error_code & PF_W)
		access = PW_WRITE;
	else if (error_code & PF_I)
		access = PW_FETCH;
	if (error_code & PF_U)
		access |= PW_USER;
	return access;
}

/* Defined below the exercise, used by it. */
static int fill_large(struct shadow *s, uint32_t page, unsigned int index,
		      unsigned int level, uint64_t gva, unsigned int access,
		      const struct pagewalk_result *w);
static int shadow_reset(struct shadow *s);
static int pool_too_small(const struct shadow *s);

/* ---- the exercise: the shadow fault ---- */

/* EXERCISE 2.shadow: The shadow fault, write protection and re-sync.
 *
 * The guest forwards every #PF to the VMM (shadow_page_fault(), whose
 * contract is in shadow.h). The design the rest of this file keeps is
 * in shadow.h; what follows is the part that makes it work.
 *
 * shadow_fix() - the guest's own tables allow `access` at gva, as the
 * walk w (pagewalk() of the guest's tables, pseudo-physical) found;
 * make the guest's entries and the shadow agree with that.
 *	Afterwards: the guest's entries of the walk hold what the CPU would
 *	  have set in them for the access (SDM 4.8), in guest memory
 *	  (shadow_write_guest(), only where that changes them) and in w;
 *	  the shadow, from s->root down, translates gva as those entries
 *	  do: at each level an entry with the guest entry's rights
 *	  (spte_link()) that leads to the shadow page of the guest's next
 *	  table (sp_get()), a guest large page mapped through fill_large(),
 *	  a 4 KiB page through fill_leaf(); and each guest table's snapshot
 *	  (sp_snap()) holds, at the index the shadow now follows, the guest
 *	  entry it was made from (what a re-sync compares with).
 *	Returns 0, or a negative errno: sp_get()'s or fill_large()'s
 *	  (-ENOSPC for a full pool), fill_leaf()'s.
 *
 * fill_leaf() - set last-level entry `index` of shadow page `page` to
 * map guest frame pfn (through the P2M: p2m_mfn(); a frame the guest does
 * not have, P2M_NONE, is -ENXIO), with shadow_set_leaf(). The entry is
 * present, with U/S and XD as `rights` (a guest entry) has them, and is
 * writable only when all of these hold: rights has R/W; the page is
 * dirty (`dirty`: a clean page stays read-only so that its first write
 * faults and sets D); and pfn is not a guest page table the shadow
 * write-protects (shadow_frame_protected()) - unless `access` is the
 * guest writing that table: then the table goes out of sync
 * (shadow_unsync()) and the entry is writable after all.
 *
 * resync_frame() - guest frame pfn is a page table that was out of sync.
 * Make every shadow page of it (at any level, sp_find(s, pfn, level,
 * false, false)) agree with it again: no shadow entry may keep a
 * translation or a link that the guest's entry no longer gives, wherever
 * the guest's entry differs from the snapshot; then the snapshot is the
 * guest's table. Then the table is in sync: s->oos[pfn] false, counted in
 * s->st.resyncs, and write-protected again (write_protect()) if it still
 * has shadow pages (s->pt_count[pfn]).
 *
 * Read: Intel SDM vol. 3A, 4.5 (4-level paging), 4.8 "Accessed and Dirty
 * Flags", 4.10.4 "Invalidation of TLBs" (why a guest's change is seen
 * only after INVLPG or a CR3 load); shadow.h for the design and the
 * structures; book chapter 2, "Shadow page tables".
 *
 * Tests: unit.shadow guest.shadow guest.hostile-pv
 * Stub: static int fill_leaf(struct shadow *s, uint32_t page, unsigned int index,
 * 		     uint64_t pfn, uint64_t rights, bool dirty,
 * 		     unsigned int access)
 * {
 * 	(void)s; (void)page; (void)index; (void)pfn;
 * 	(void)rights; (void)dirty; (void)access;
 * 	return err_set(-ENOSYS, "fill_leaf() is not written yet (exercise 2.shadow)");
 * }
 *
 * static void resync_frame(struct shadow *s, uint64_t pfn)
 * {
 * 	s->oos[pfn] = false;
 * }
 *
 * static int shadow_fix(struct shadow *s, uint64_t gva, unsigned int access,
 * 		      struct pagewalk_result *w)
 * {
 * 	(void)s; (void)gva; (void)access; (void)w;
 * 	return err_set(-ENOSYS, "shadow_fix() is not written yet (exercise 2.shadow)");
 * }
 *
 * int shadow_page_fault(struct shadow *s, uint64_t gva, uint32_t error_code,
 * 		      uint32_t *guest_error_code)
 * {
 * 	(void)s; (void)gva; (void)error_code; (void)guest_error_code;
 * 	return err_set(-ENOSYS, "shadow_page_fault() is not written yet (exercise 2.shadow)");
 * }
 */
static void set_accessed_dirty(struct shadow *s, struct pagewalk_result *w,
			       unsigned int access)
{
	int i;

	for (i = 0; i < w->levels; i++) {
		uint64_t e = w->entry[i] | PTE_A;

		if (i == w->levels - 1 && (access & PW_WRITE))
			e |= PTE_D;
		if (e != w->entry[i]) {
			shadow_write_guest(s, w->entry_gpa[i], e);
			w->entry[i] = e;
		}
	}
}

static int fill_leaf(struct shadow *s, uint32_t page, unsigned int index,
		     uint64_t pfn, uint64_t rights, bool dirty,
		     unsigned int access)
{
	uint64_t mfn = p2m_mfn(s->cfg.p2m, pfn);
	bool writable = (rights & PTE_RW) && dirty;
	uint64_t spte;

	if (mfn == P2M_NONE)
		return -ENXIO;
	if (writable && shadow_frame_protected(s, pfn)) {
		if (access & PW_WRITE)
			shadow_unsync(s, pfn);
		else
			writable = false;
	}
	spte = mfn * PAGE_SIZE | PTE_P | (rights & (PTE_US | PTE_XD));
	if (writable)
		spte |= PTE_RW;
	return shadow_set_leaf(s, page, index, pfn, spte);
}

static void resync_frame(struct shadow *s, uint64_t pfn)
{
	const uint64_t *guest = (const uint64_t *)guest_frame(s, pfn);
	unsigned int level, i;
	uint32_t page;

	for (level = 1; level <= 4; level++) {
		page = sp_find(s, pfn, level, false, false);
		if (page == SHADOW_NONE)
			continue;
		for (i = 0; i < NR_ENTRIES; i++) {
			if (guest[i] == sp_snap(s, page)[i])
				continue;
			shadow_zap(s, page, i);
			sp_snap(s, page)[i] = guest[i];
		}
	}
	s->oos[pfn] = false;
	s->st.resyncs++;
	if (s->pt_count[pfn])
		write_protect(s, pfn);
}
/*
 * The guest's tables allow `access` at gva (the walk w): make the guest's
 * entries what the CPU would make them, then the shadow, from the root
 * down, agree with them.
 */
static int shadow_fix(struct shadow *s, uint64_t gva, unsigned int access,
		      struct pagewalk_result *w)
{
	uint32_t page = s->root, child;
	unsigned int level = 4, index;
	int i, err = 0;

	set_accessed_dirty(s, w, access);
	for (i = 0; i < w->levels; i++, level--) {
		uint64_t gpte = w->entry[i];

		index = (gva >> (12 + 9 * (level - 1))) & 511;
		/* The shadow follows this value of the guest entry now. */
		sp_snap(s, page)[index] = gpte;
		if (level == 1)
			return fill_leaf(s, page, index, (gpte & PTE_ADDR) / PAGE_SIZE,
					 gpte, gpte & PTE_D, access);
		if (gpte & PTE_PS)
			return fill_large(s, page, index, level, gva, access, w);
		child = sp_get(s, (gpte & PTE_ADDR) / PAGE_SIZE, level - 1, &err);
		if (child == SHADOW_NONE)
			return err;
		spte_set(s, page, index, spte_link(s, child, gpte));
		page = child;
	}
	return -EINVAL;		/* pagewalk() always ends at a leaf */
}

/*
 * A #PF the guest forwarded: hardware error code `error_code` at gva.
 * SHADOW_FIXED when it was a shadow fault (the entry is now filled and
 * the guest retries); SHADOW_TRUE_FAULT with *guest_error_code when the
 * guest's own tables refuse the access. -ENXIO when they map a frame the
 * guest does not have; -ERANGE for a non-canonical gva; -ENOSPC when the
 * pool cannot hold one walk.
 */
int shadow_page_fault(struct shadow *s, uint64_t gva, uint32_t error_code,
		      uint32_t *guest_error_code)
{
	unsigned int access = pf_access(error_code);
	struct pagewalk_result w;
	uint64_t changes = s->nr_changes;
	int ret;

	if (s->root == SHADOW_NONE)
		return -EINVAL;
	if (error_code & PF_RSVD)
		return err_set(-EIO, "the CPU found reserved bits in the shadow tables at 0x%llx",
			       (unsigned long long)gva);
	ret = pagewalk(&s->cpu, gva, access, shadow_read_guest, s, &w);
	if (ret == -EFAULT) {
		*guest_error_code = w.error_code;
		s->st.reflected++;
		return SHADOW_TRUE_FAULT;
	}
	if (ret)
		return walk_error(gva, ret);
	ret = shadow_fix(s, gva, access, &w);
	if (ret == -ENOSPC) {
		ret = shadow_reset(s);
		if (!ret)
			ret = shadow_fix(s, gva, access, &w);
		if (ret == -ENOSPC)
			return pool_too_small(s);
	}
	if (ret)
		return ret;
	s->st.filled++;
	/* Our tables were right already: someone holds a stale copy. */
	if (s->nr_changes == changes) {
		s->st.spurious++;
		s->need_flush = true;
	}
	return SHADOW_FIXED;
}
/* END EXERCISE 2.shadow */

/* ---- filling the shadow along a walk ---- */

/*
 * The guest large page of the walk w, entered at shadow page `page`,
 * entry `index`, at `level` (3: 1 GiB, 2: 2 MiB): link direct shadow
 * pages down to the 4 KiB piece that gva is in, and map it.
 */
static __maybe_unused int fill_large(struct shadow *s, uint32_t page, unsigned int index,
		      unsigned int level, uint64_t gva, unsigned int access,
		      const struct pagewalk_result *w)
{
	uint64_t gpte = w->entry[w->levels - 1];
	uint64_t first = (w->gpa & ~(w->page_size - 1)) / PAGE_SIZE;
	bool dirty = gpte & PTE_D;
	uint32_t child;
	int err = 0;

	child = sp_get_direct(s, first, level - 1, dirty, &err);
	if (child == SHADOW_NONE)
		return err;		/* -ENOSPC: the pool is full */
	spte_set(s, page, index, spte_link(s, child, gpte));
	for (level--; level > 1; level--) {
		uint32_t next;

		index = (gva >> (12 + 9 * (level - 1))) & 511;
		first = s->pages[child].gfn + ((uint64_t)index << (9 * (level - 1)));
		next = sp_get_direct(s, first, level - 1, dirty, &err);
		if (next == SHADOW_NONE)
			return err;
		spte_set(s, child, index, sp_gpa(s, next) | PTE_P | PTE_RW | PTE_US);
		child = next;
	}
	index = (gva >> 12) & 511;
	return fill_leaf(s, child, index, s->pages[child].gfn + index,
			 PTE_RW | PTE_US, dirty, access);
}

/*
 * Map one page of the pinned range: as a write where the guest's tables
 * allow one (the CPU writes the stack when it delivers an exception),
 * else as a read. -EFAULT if the guest does not map it at all.
 */
static int prefault(struct shadow *s, uint64_t gva)
{
	struct pagewalk_result w;
	unsigned int access = PW_WRITE;
	int ret;

	ret = pagewalk(&s->cpu, gva, access, shadow_read_guest, s, &w);
	if (ret == -EFAULT && (w.error_code & PF_P)) {
		access = PW_READ;
		ret = pagewalk(&s->cpu, gva, access, shadow_read_guest, s, &w);
	}
	if (ret && ret != -EFAULT)
		return walk_error(gva, ret);
	if (ret)
		return ret;
	ret = shadow_fix(s, gva, access, &w);
	if (!ret)
		s->st.prefilled++;
	return ret;
}

/*
 * The guest takes its page faults through its own IDT, handler and
 * stack: if any of those were missing from the shadow, the fault would
 * fault again (#DF, then a triple fault). So the pinned range - the
 * guest's image - is mapped in every shadow before the guest runs on it.
 */
static int prefault_pinned(struct shadow *s)
{
	uint64_t va;
	int ret;

	for (va = s->cfg.pin_start; va < s->cfg.pin_end; va += PAGE_SIZE) {
		ret = prefault(s, va);
		if (ret == -EFAULT)
			return err_set(ret, "the tables at CR3 0x%llx do not map the guest's image at 0x%llx",
				       (unsigned long long)s->cpu.cr3,
				       (unsigned long long)va);
		if (ret == -ENXIO)
			return err_set(ret, "the tables at CR3 0x%llx map 0x%llx to a frame the guest does not have",
				       (unsigned long long)s->cpu.cr3,
				       (unsigned long long)va);
		if (ret)
			return ret;
	}
	return 0;
}

/* -ENOSPC even after a reset: the pool is too small for this guest. */
static int pool_too_small(const struct shadow *s)
{
	return err_set(-ENOSPC, "a shadow pool of %u pages cannot hold the shadow of one walk and the pinned range",
		       s->cfg.pool_pages);
}

/*
 * The pool is full: forget every shadow page (the guest's tables are
 * the truth, and a shadow can be rebuilt from them at any time), then
 * build the current root again.
 */
static int shadow_reset(struct shadow *s)
{
	uint64_t n = s->cfg.p2m->nr_pages;
	int err = 0;

	s->nr_used = 0;
	memset(s->hash, 0xff, sizeof(s->hash));
	memset(s->pt_count, 0, n * sizeof(*s->pt_count));
	memset(s->oos, 0, n * sizeof(*s->oos));
	memset(s->rmap_head, 0xff, n * sizeof(*s->rmap_head));
	s->nr_oos = 0;
	s->rmap_used = 0;
	s->rmap_free = SHADOW_NONE;
	s->need_flush = true;
	s->root_moved = true;
	s->st.resets++;
	s->root = sp_get(s, s->cpu.cr3 / PAGE_SIZE, 4, &err);
	if (s->root != SHADOW_NONE)
		err = prefault_pinned(s);
	if (err == -ENOSPC)
		return pool_too_small(s);
	return err;
}

/* Re-sync every out-of-sync guest table (the order does not matter). */
void shadow_resync_all(struct shadow *s)
{
	uint64_t i;

	for (i = 0; i < s->nr_oos; i++)
		resync_frame(s, s->oos_list[i]);
	s->nr_oos = 0;
}

/*
 * The new CR3 could not be shadowed (error `why`): the guest stays on
 * its old one, whose root must map the pinned range again before the
 * guest runs on it. The re-sync before the failure may have dropped
 * pinned entries the guest changed, and a pool reset dropped the old
 * root itself: without this the guest would run on CR3 = 0, or take
 * its next exception through a missing handler (#DF). Returns `why`,
 * or what made the old root fail too.
 */
static int load_cr3_undo(struct shadow *s, uint32_t old_root, uint64_t old_cr3,
			 uint64_t resets, int why)
{
	int ret;

	s->cpu.cr3 = old_cr3;
	if (old_root == SHADOW_NONE) {		/* the first CR3: none to keep */
		s->root = SHADOW_NONE;
		return why;
	}
	if (s->st.resets == resets) {
		s->root = old_root;
		ret = prefault_pinned(s);
		if (ret == -ENOSPC)
			ret = shadow_reset(s);
	} else {
		ret = shadow_reset(s);		/* the old root, built again */
	}
	return ret ? ret : why;
}

/*
 * The guest loads CR3 (§2.4.1): every out-of-sync table is re-synced,
 * then the shadow of the new address space comes from the cache, or a
 * new root is made. -EINVAL for a CR3 outside the guest's memory,
 * -EFAULT when the new tables do not map the pinned range: the guest
 * then stays on its old CR3 (load_cr3_undo()).
 */
int shadow_load_cr3(struct shadow *s, uint64_t guest_cr3)
{
	uint64_t gfn = (guest_cr3 & CR3_ADDR) / PAGE_SIZE;
	uint32_t old_root = s->root, root;
	uint64_t old_cr3 = s->cpu.cr3, resets = s->st.resets;
	int ret, err = 0;

	if ((guest_cr3 & ~(CR3_ADDR | CR3_FLAGS)) ||
	    gfn >= s->cfg.p2m->nr_pages)
		return err_set(-EINVAL, "CR3 0x%llx: reserved bits, or outside the guest's %llu frames",
			       (unsigned long long)guest_cr3,
			       (unsigned long long)s->cfg.p2m->nr_pages);
	shadow_resync_all(s);
	root = sp_find(s, gfn, 4, false, false);
	if (root != SHADOW_NONE) {
		s->st.cache_hits++;
	} else {
		s->st.cache_misses++;
		root = sp_get(s, gfn, 4, &err);
	}
	s->cpu.cr3 = gfn * PAGE_SIZE;
	if (root == SHADOW_NONE) {
		ret = err == -ENOSPC ? shadow_reset(s) : err;
	} else {
		s->root = root;
		ret = prefault_pinned(s);
		if (ret == -ENOSPC)
			ret = shadow_reset(s);
	}
	if (ret)
		return load_cr3_undo(s, old_root, old_cr3, resets, ret);
	if (s->root != old_root)
		s->root_moved = true;
	return 0;
}

/*
 * INVLPG: the guest changed a mapping. Only an out-of-sync table can
 * differ from its shadow, so re-syncing them is enough, whatever gva.
 */
int shadow_invlpg(struct shadow *s, uint64_t gva)
{
	uint64_t zapped = s->st.zapped;
	int ret = 0;

	(void)gva;
	shadow_resync_all(s);
	/* If the guest moved its own image, map it again before it faults. */
	if (s->st.zapped != zapped && s->root != SHADOW_NONE) {
		ret = prefault_pinned(s);
		if (ret == -ENOSPC)
			ret = shadow_reset(s);
	}
	return ret;
}

int shadow_init(struct shadow *s, const struct shadow_config *cfg)
{
	uint64_t n = cfg->p2m->nr_pages;

	memset(s, 0, sizeof(*s));
	if (cfg->pool_pages < SHADOW_MIN_POOL)
		return err_set(-EINVAL, "a shadow pool of %u pages is too small (at least %u)",
			       cfg->pool_pages, SHADOW_MIN_POOL);
	if (cfg->pin_start % PAGE_SIZE || cfg->pin_end < cfg->pin_start)
		return err_set(-EINVAL, "bad pinned range 0x%llx-0x%llx",
			       (unsigned long long)cfg->pin_start,
			       (unsigned long long)cfg->pin_end);
	s->cfg = *cfg;
	s->root = SHADOW_NONE;
	s->rmap_free = SHADOW_NONE;
	memset(s->hash, 0xff, sizeof(s->hash));
	/* The guest's paging: 4-level, supervisor writes obey R/W, XD. */
	s->cpu.mode = PAGING_4LEVEL;
	s->cpu.cr0 = PW_CR0_PG | PW_CR0_WP | 1;
	s->cpu.cr4 = PW_CR4_PAE;
	s->cpu.efer = PW_EFER_LME | PW_EFER_LMA | PW_EFER_NXE;
	s->pages = calloc(cfg->pool_pages, sizeof(*s->pages));
	s->snap = calloc(cfg->pool_pages, PAGE_SIZE);
	s->pt_count = calloc(n, sizeof(*s->pt_count));
	s->oos = calloc(n, sizeof(*s->oos));
	s->oos_list = calloc(n, sizeof(*s->oos_list));
	s->rmap_head = malloc(n * sizeof(*s->rmap_head));
	if (!s->pages || !s->snap || !s->pt_count || !s->oos || !s->oos_list ||
	    !s->rmap_head) {
		shadow_free(s);
		return err_set(-ENOMEM, "no memory for the shadow page tables");
	}
	memset(s->rmap_head, 0xff, n * sizeof(*s->rmap_head));
	return 0;
}

void shadow_free(struct shadow *s)
{
	free(s->pages);
	free(s->snap);
	free(s->pt_count);
	free(s->oos);
	free(s->oos_list);
	free(s->rmap_head);
	free(s->rmap);
	memset(s, 0, sizeof(*s));
	s->root = SHADOW_NONE;
}

/*
 * ept.c - Extended Page Tables: the tables, the EPT walk, and the
 * two-dimensional walk (book §2.5; Intel SDM vol. 3C, 28.3).
 *
 * With EPT the CPU translates twice. The guest's page tables take a
 * guest-virtual address to a guest-physical one, and every guest-physical
 * address the CPU touches on the way, each guest paging-structure entry
 * as well as the final one, goes through the EPT to a host-physical
 * address. A TLB miss on 4-level guest paging over a 4-level EPT costs
 * 4 guest entries x (4 EPT entries + the entry itself) + 4 EPT entries
 * for the final address = 24 memory references, against 4 without
 * virtualization: that is what ept_walk2d() counts.
 *
 * The layout is Intel's (28.3.2): a 4-level tree of 512 8-byte entries
 * per 4 KiB table, indexed by GPA bits 47:39, 38:30, 29:21 and 20:12.
 * Bits 2:0 of an entry are read, write and execute; an entry with all
 * three clear is not present. A PDPTE or PDE with bit 7 set maps a 1 GiB
 * or 2 MiB page; a leaf carries the memory type in bits 5:3. We map every
 * memslot write-back, and give upper-level entries all rights so that the
 * leaf alone decides, as KVM does.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/err.h"
#include "mem/ept.h"

#define TABLE_SIZE	4096ULL
#define SZ_4K		(1ULL << 12)
#define SZ_2M		(1ULL << 21)
#define SZ_1G		(1ULL << 30)

/*
 * Our HPAs are host virtual addresses (up to 47 bits wide), so the model
 * takes the architectural limit, 52, as MAXPHYADDR: address bits 51:12.
 */
#define EPT_ADDR_MASK	0x000ffffffffff000ULL
#define EPT_MAX_TABLES	(1u << 20)		/* 4 GiB of tables */

int ept_init(struct ept *ept, unsigned int max_tables)
{
	void *p;

	memset(ept, 0, sizeof(*ept));
	if (max_tables == 0 || max_tables > EPT_MAX_TABLES)
		return err_set(-EINVAL, "EPT: %u tables is not a usable size",
			       max_tables);
	/* Reserved, not committed: only the tables we fill cost memory. */
	p = mmap(NULL, (size_t)max_tables * TABLE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return err_set(-errno, "EPT: cannot reserve room for %u tables: %s",
			       max_tables, strerror(errno));
	ept->tables = p;
	ept->max_tables = max_tables;
	ept->nr_tables = 1;		/* the PML4, zeroed by mmap */
	ept->eptp = (uint64_t)(uintptr_t)p | EPTP_WALK_4 | EPTP_MT_WB;
	return 0;
}

void ept_free(struct ept *ept)
{
	if (ept->tables)
		munmap(ept->tables, (size_t)ept->max_tables * TABLE_SIZE);
	memset(ept, 0, sizeof(*ept));
}

/*
 * An upper bound on the tables ept_build() needs for the regions: per
 * region, one PDPT per 512 GiB, one PD per GiB and one page table per
 * 2 MiB (4 KiB pages are always possible, large ones may not be), plus
 * the partial tables at both ends.
 */
unsigned int ept_tables_needed(const struct ept_region *r, unsigned int n,
			       uint64_t max_page)
{
	uint64_t total = 1;
	unsigned int i;

	(void)max_page;		/* the bound holds for any page size */
	for (i = 0; i < n; i++)
		total += (r[i].size >> 39) + (r[i].size >> 30) +
			 (r[i].size >> 21) + 6;
	return total > EPT_MAX_TABLES ? EPT_MAX_TABLES : (unsigned int)total;
}

/* A zeroed table, or NULL when the reserved room is used up. */
uint64_t *ept_table_alloc(struct ept *ept)
{
	uint64_t *t;

	if (!ept->tables || ept->nr_tables >= ept->max_tables)
		return NULL;
	t = (uint64_t *)(ept->tables + ept->nr_tables * TABLE_SIZE);
	memset(t, 0, TABLE_SIZE);
	ept->nr_tables++;
	return t;
}

/* The table at host address hpa, if it is one of ours. */
uint64_t *ept_table(const struct ept *ept, uint64_t hpa)
{
	uint64_t base = (uint64_t)(uintptr_t)ept->tables;

	if (!ept->tables || hpa < base || hpa % TABLE_SIZE ||
	    (hpa - base) / TABLE_SIZE >= ept->nr_tables)
		return NULL;
	return (uint64_t *)(uintptr_t)hpa;
}

/* Host memory at [hpa, hpa + len), if a region of the EPT holds it all. */
void *ept_host(const struct ept *ept, uint64_t hpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < ept->nr_regions; i++) {
		const struct ept_region *r = &ept->region[i];

		if (hpa >= r->hpa && len <= r->size &&
		    hpa - r->hpa <= r->size - len)
			return (void *)(uintptr_t)hpa;
	}
	return NULL;
}

/*
 * An entry that is present but malformed is an EPT misconfiguration
 * (28.3.3.1): writable without being readable, a reserved bit set (bits
 * 7:3 of a non-leaf entry, the low frame bits of a large page), or a leaf
 * with memory type 2, 3 or 7. We model a CPU that allows execute-only
 * pages (IA32_VMX_EPT_VPID_CAP bit 0, true of every CPU with EPT today).
 */
static int ept_misconfigured(unsigned int level, uint64_t e)
{
	int leaf = level == 1 || (level <= 3 && (e & EPT_PS));
	uint64_t mt = (e & EPT_MT_MASK) >> EPT_MT_SHIFT;

	if ((e & (EPT_R | EPT_W)) == EPT_W)
		return 1;
	if (!leaf)
		return (e & 0xf8) != 0;
	if (level == 3 && (e & 0x3ffff000ULL))
		return 1;
	if (level == 2 && (e & 0x1ff000ULL))
		return 1;
	return mt == 2 || mt == 3 || mt == 7;
}

static uint64_t ept_access_qual(unsigned int access)
{
	if (access & PW_WRITE)
		return EPT_QUAL_WRITE;
	if (access & PW_FETCH)
		return EPT_QUAL_FETCH;
	return EPT_QUAL_READ;
}

int ept_walk(const struct ept *ept, uint64_t gpa, unsigned int access,
	     struct ept_walk_result *res)
{
	uint64_t need = (access & PW_WRITE) ? EPT_W :
			(access & PW_FETCH) ? EPT_X : EPT_R;
	uint64_t rights = EPT_RWX, e = 0, *table;
	unsigned int level, shift = 12;

	memset(res, 0, sizeof(*res));
	res->level = 4;
	if (gpa >> EPT_GPA_BITS) {
		/* Wider than the EPT translates: no entry applies. */
		res->qual = ept_access_qual(access);
		return -EFAULT;
	}
	table = ept_table(ept, ept->eptp & EPT_ADDR_MASK);
	for (level = 4; level >= 1; level--) {
		if (!table)
			return -EIO;
		shift = 12 + 9 * (level - 1);
		e = table[(gpa >> shift) & 511];
		res->entry[res->refs++] = e;
		res->level = level;
		rights &= e;
		if (!(e & EPT_RWX))
			break;			/* not present */
		if (ept_misconfigured(level, e))
			return -EINVAL;
		if (level == 1 || (e & EPT_PS))
			break;
		table = ept_table(ept, e & EPT_ADDR_MASK);
	}
	if (!(rights & need)) {
		/* Bits 5:3 say what the entries walked did allow. */
		res->qual = ept_access_qual(access) | (rights & EPT_RWX) << 3;
		return -EFAULT;
	}
	res->page_size = 1ULL << shift;
	res->hpa = (e & EPT_ADDR_MASK & ~(res->page_size - 1)) |
		   (gpa & (res->page_size - 1));
	return 0;
}

/* EXERCISE 2.ept: Building the EPT; the two-dimensional walk.
 *
 * ept_map() - map [gpa, gpa + size) to [hpa, hpa + size) in ept, with
 * the rights perms.
 *	In: gpa, hpa, size: multiples of 4 KiB, size > 0, the whole range
 *	  below 2^EPT_GPA_BITS; perms: EPT_R, EPT_W, EPT_X, at least one,
 *	  never write without read; max_page: the largest page allowed.
 *	Out: EPT entries in Intel's format (SDM vol. 3C, "EPT Translation
 *	  Mechanism"): each piece of the range mapped by the largest page -
 *	  1 GiB, 2 MiB or 4 KiB - that is at most max_page, to which both
 *	  its GPA and its HPA are aligned, and that fits in what is left; a
 *	  leaf holds the HPA, perms, the write-back memory type in bits 5:3
 *	  (EPT_MT_WB) and, for a large page, EPT_PS; an entry that points
 *	  to a table holds its address and all three rights, so that the
 *	  leaf alone decides (as KVM does). Missing tables come from
 *	  ept_table_alloc(); ept_table() turns an entry's address back into
 *	  a table; the PML4 is the table at ept->eptp's address bits.
 *	Returns 0; -EINVAL for arguments outside the above, with
 *	  err_set(-EINVAL, "EPT: cannot map 0x%llx bytes at GPA 0x%llx to
 *	  0x%llx", size, gpa, hpa);
 *	  -EEXIST when part of the range is mapped already (in a large
 *	  page, say); -ENOSPC when no table can be allocated.
 *
 * ept_build() - the EPT of a machine's memory: start again from an
 * empty PML4 (the tables in use zeroed, only the PML4 kept), map each of
 * the n regions r[] with its own perms and pages of at most max_page,
 * and keep the regions in ept->region[] (at most EPT_MAX_REGIONS, else
 * -E2BIG, with err_set(-E2BIG, "EPT: %u regions, at most %u", n,
 * EPT_MAX_REGIONS)), where ept_host() finds host memory through them.
 * Returns 0 or the first error.
 *
 * ept_walk2d() - the CPU's two-dimensional walk of gva for `access`
 * (ept.h): the guest's own walk (pagewalk() with cpu), every guest
 * paging-structure entry read through the EPT - its GPA translated by
 * ept_walk() for a read, then the entry read from host memory
 * (ept_host()) - and last the EPT walk of the final GPA for the access.
 *	Out, in *res (zeroed first): the outcome (also the return value);
 *	  res->guest, the guest's walk; res->refs, every memory reference,
 *	  EPT entries and guest entries alike, res->guest_refs the guest
 *	  entries among them; for EPT2D_OK, res->hpa. An EPT walk that
 *	  fails stops everything: EPT2D_VIOLATION (res->qual: ept_walk()'s
 *	  qualification with EPT_QUAL_GLA_VALID, and EPT_QUAL_GLA_FINAL
 *	  when it was the final GPA) or EPT2D_MISCONFIG, with the GPA and
 *	  the EPT level it stopped at. A #PF of the guest's walk is
 *	  EPT2D_PAGE_FAULT, a non-canonical gva EPT2D_NOT_CANONICAL.
 *	Returns a negative errno when the walk cannot be made: -EINVAL
 *	  for a bad access; -EIO for a guest entry whose host memory no
 *	  region holds, or an EPT entry that points at no table of ours
 *	  (ept_walk()'s -EIO).
 *
 * Read: Intel SDM vol. 3C, chapter "VMX Support for Address
 * Translation": "The Extended Page Table Mechanism (EPT)" (the entry
 * formats, translation, misconfigurations, violations and their exit
 * qualification); book chapter 2, "EPT and the two-dimensional walk".
 *
 * Tests: unit.ept unit.walk2d unit.walkdev guest.pagewalk
 *	guest.pagewalk-legacy
 * Stub: int ept_map(struct ept *ept, uint64_t gpa, uint64_t hpa, uint64_t size,
 *	    uint64_t perms, uint64_t max_page)
 * {
 *	(void)ept; (void)gpa; (void)hpa; (void)size; (void)perms;
 *	(void)max_page;
 *	return err_set(-ENOSYS, "ept_map() is not written yet (exercise 2.ept)");
 * }
 *
 * int ept_build(struct ept *ept, const struct ept_region *r, unsigned int n,
 *	      uint64_t max_page)
 * {
 *	(void)ept; (void)r; (void)n; (void)max_page;
 *	return err_set(-ENOSYS, "ept_build() is not written yet (exercise 2.ept)");
 * }
 *
 * int ept_walk2d(const struct ept *ept, const struct pagewalk_cpu *cpu,
 *	       uint64_t gva, unsigned int access, struct ept_2d_result *res)
 * {
 *	(void)ept; (void)cpu; (void)gva; (void)access;
 *	memset(res, 0, sizeof(*res));
 *	return -ENOSYS;
 * }
 */

/* The largest page for the next piece of a mapping. */
static uint64_t ept_page_size(uint64_t gpa, uint64_t hpa, uint64_t left,
			      uint64_t max_page)
{
	uint64_t page;

	for (page = SZ_1G; page > SZ_4K; page >>= 9)
		if (page <= max_page && !((gpa | hpa) & (page - 1)) &&
		    left >= page)
			return page;
	return SZ_4K;
}

/* Install one leaf of `page` bytes, making the tables above it. */
static int ept_set(struct ept *ept, uint64_t gpa, uint64_t hpa,
		   uint64_t page, uint64_t perms)
{
	uint64_t *table = ept_table(ept, ept->eptp & EPT_ADDR_MASK);
	uint64_t *slot, *next;
	unsigned int level, shift;

	for (level = 4; level >= 1 && table; level--) {
		shift = 12 + 9 * (level - 1);
		slot = &table[(gpa >> shift) & 511];
		if ((1ULL << shift) == page) {
			if (*slot & EPT_RWX)
				break;
			*slot = hpa | perms | EPT_MT_WB << EPT_MT_SHIFT |
				(level > 1 ? EPT_PS : 0);
			return 0;
		}
		if (!(*slot & EPT_RWX)) {
			next = ept_table_alloc(ept);
			if (!next)
				return err_set(-ENOSPC,
					       "EPT: no room for another table (%u in use)",
					       ept->nr_tables);
			*slot = (uint64_t)(uintptr_t)next | EPT_RWX;
		} else if (*slot & EPT_PS) {
			break;			/* inside a large page */
		}
		table = ept_table(ept, *slot & EPT_ADDR_MASK);
	}
	return err_set(-EEXIST, "EPT: GPA 0x%llx is already mapped",
		       (unsigned long long)gpa);
}

int ept_map(struct ept *ept, uint64_t gpa, uint64_t hpa, uint64_t size,
	    uint64_t perms, uint64_t max_page)
{
	uint64_t page;
	int ret;

	if ((gpa | hpa | size) % SZ_4K || size == 0 ||
	    gpa >= (1ULL << EPT_GPA_BITS) ||
	    size > (1ULL << EPT_GPA_BITS) - gpa)
		return err_set(-EINVAL,
			       "EPT: cannot map 0x%llx bytes at GPA 0x%llx to 0x%llx",
			       (unsigned long long)size, (unsigned long long)gpa,
			       (unsigned long long)hpa);
	if (!perms || (perms & ~EPT_RWX) || (perms & (EPT_R | EPT_W)) == EPT_W)
		return err_set(-EINVAL, "EPT: bad rights 0x%llx",
			       (unsigned long long)perms);
	while (size) {
		page = ept_page_size(gpa, hpa, size, max_page);
		ret = ept_set(ept, gpa, hpa, page, perms);
		if (ret)
			return ret;
		gpa += page;
		hpa += page;
		size -= page;
	}
	return 0;
}

int ept_build(struct ept *ept, const struct ept_region *r, unsigned int n,
	      uint64_t max_page)
{
	unsigned int i;
	int ret;

	if (n > EPT_MAX_REGIONS)
		return err_set(-E2BIG, "EPT: %u regions, at most %u", n,
			       EPT_MAX_REGIONS);
	memset(ept->tables, 0, (size_t)ept->nr_tables * TABLE_SIZE);
	ept->nr_tables = 1;
	ept->nr_regions = 0;
	for (i = 0; i < n; i++) {
		ret = ept_map(ept, r[i].gpa, r[i].hpa, r[i].size, r[i].perms,
			      max_page);
		if (ret)
			return ret;
		ept->region[ept->nr_regions++] = r[i];
	}
	return 0;
}

/* What the read callback of the guest's walk needs. */
struct walk2d {
	const struct ept *ept;
	struct ept_2d_result *res;
	int failed;			/* an EPT outcome, or 0 */
};

/* One guest paging-structure entry: its GPA through the EPT, then the read. */
static int walk2d_read(void *opaque, uint64_t gpa, unsigned int size,
		       uint64_t *value)
{
	struct walk2d *w = opaque;
	struct ept_2d_result *res = w->res;
	struct ept_walk_result er;
	void *p;
	int ret;

	ret = ept_walk(w->ept, gpa, PW_READ, &er);
	res->refs += er.refs;
	if (ret) {
		res->ept_gpa = gpa;
		res->ept_level = er.level;
		if (ret == -EFAULT) {
			w->failed = EPT2D_VIOLATION;
			res->qual = er.qual | EPT_QUAL_GLA_VALID;
		} else if (ret == -EINVAL) {
			w->failed = EPT2D_MISCONFIG;
		}
		return -1;
	}
	p = ept_host(w->ept, er.hpa, size);
	if (!p)
		return -1;
	memcpy(value, p, size);
	res->refs++;
	res->guest_refs++;
	return 0;
}

int ept_walk2d(const struct ept *ept, const struct pagewalk_cpu *cpu,
	       uint64_t gva, unsigned int access, struct ept_2d_result *res)
{
	struct walk2d w = { .ept = ept, .res = res };
	struct ept_walk_result er;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = pagewalk(cpu, gva, access, walk2d_read, &w, &res->guest);
	if (ret == -EFAULT)
		return res->outcome = EPT2D_PAGE_FAULT;
	if (ret == -ERANGE)
		return res->outcome = EPT2D_NOT_CANONICAL;
	if (ret == -EIO && w.failed)
		return res->outcome = w.failed;
	if (ret)
		return ret;

	ret = ept_walk(ept, res->guest.gpa, access, &er);
	res->refs += er.refs;
	if (ret) {
		res->ept_gpa = res->guest.gpa;
		res->ept_level = er.level;
		if (ret == -EINVAL)
			return res->outcome = EPT2D_MISCONFIG;
		if (ret != -EFAULT)
			return ret;
		res->qual = er.qual | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_FINAL;
		return res->outcome = EPT2D_VIOLATION;
	}
	res->hpa = er.hpa;
	return res->outcome = EPT2D_OK;
}
/* END EXERCISE 2.ept */

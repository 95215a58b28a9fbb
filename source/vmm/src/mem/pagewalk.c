/* @@ file 02 */
/*
 * pagewalk.c - the page walker: a guest-virtual address, an access and
 * the vCPU's control registers in; the guest-physical address, or the
 * page fault the CPU would raise for that access, out (book §2.1.3-2.1.4;
 * Intel SDM vol. 3, ch. 4).
 *
 * The four formats share one rhythm: read an entry; stop with a fault if
 * it is not present (P = 0) or sets a reserved bit; fold its R/W, U/S and
 * XD bits into the rights; then either go down to the table it points
 * to or, at a leaf, form the address. Rights are checked once, after the
 * walk, against the combined bits of every entry used (SDM 4.6): that is
 * why a not-present entry low in the walk wins over a read-only one
 * above it.
 */
#include <errno.h>
#include <string.h>

#include "mem/pagewalk.h"

/* The walk's helpers: unused until the walks (exercise 2.walker) call them. */
#define __maybe_unused	__attribute__((unused))

#define SZ_4K		(1ULL << 12)
#define SZ_2M		(1ULL << 21)
#define SZ_4M		(1ULL << 22)
#define SZ_1G		(1ULL << 30)

/* One walk in progress. */
struct walk {
	const struct pagewalk_cpu *cpu;
	unsigned int access;
	pagewalk_read_fn read;
	void *opaque;
	struct pagewalk_result *res;
	unsigned int maxphy;	/* MAXPHYADDR */
	bool nxe;		/* bit 63 is XD (PAE and 4-level with EFER.NXE) */
};

/* The mask of bits hi..lo; empty when hi < lo. */
static uint64_t bits(unsigned int hi, unsigned int lo)
{
	if (hi < lo)
		return 0;
	return (~0ULL >> (63 - hi)) & ~((1ULL << lo) - 1);
}

enum paging_mode pagewalk_mode(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	if (!(cr0 & PW_CR0_PG))
		return PAGING_NONE;
	if (!(cr4 & PW_CR4_PAE))
		return PAGING_32;
	/* With PG and PAE set, EFER.LME makes it IA-32e mode (LMA = 1). */
	if (!(efer & (PW_EFER_LME | PW_EFER_LMA)))
		return PAGING_PAE;
	/* There CR4.LA57 means a fifth level, which we do not walk. */
	return (cr4 & PW_CR4_LA57) ? PAGING_5LEVEL : PAGING_4LEVEL;
}

/* Read one entry and remember where it was and what it held. */
static __maybe_unused int pw_entry(struct walk *w, uint64_t gpa, unsigned int size,
		    uint64_t *e)
{
	struct pagewalk_result *res = w->res;

	*e = 0;
	if (w->read(w->opaque, gpa, size, e) < 0)
		return -EIO;
	if (size == 4)
		*e &= 0xffffffffULL;
	if (res->levels < 4) {
		res->entry_gpa[res->levels] = gpa;
		res->entry[res->levels] = *e;
	}
	res->levels++;
	return 0;
}

/*
 * The fault, with the error code built from the cause (0, PF_P or
 * PF_P | PF_RSVD) and the access. I/D is reported only where the CPU can
 * refuse a fetch: with SMEP, or with XD (PAE or 4-level paging and NXE).
 */
static __maybe_unused int pw_fault(struct walk *w, uint32_t cause)
{
	const struct pagewalk_cpu *cpu = w->cpu;
	uint32_t ec = cause;

	if (w->access & PW_WRITE)
		ec |= PF_W;
	if (w->access & PW_USER)
		ec |= PF_U;
	if ((w->access & PW_FETCH) &&
	    ((cpu->cr4 & PW_CR4_SMEP) ||
	     (cpu->mode != PAGING_32 && (cpu->efer & PW_EFER_NXE))))
		ec |= PF_I;
	w->res->error_code = ec;
	return -EFAULT;
}

/* Fold an entry's rights into the walk: all must allow, any XD forbids. */
static __maybe_unused void pw_rights_add(struct walk *w, uint64_t e)
{
	struct pagewalk_result *res = w->res;

	res->writable = res->writable && (e & PW_PTE_RW);
	res->user = res->user && (e & PW_PTE_US);
	if (w->nxe && (e & PW_PTE_XD))
		res->nx = true;
}

/* A leaf: the page frame from the entry, the offset from the address. */
static __maybe_unused void pw_leaf(struct walk *w, uint64_t frame, uint64_t size,
		    uint64_t gva)
{
	w->res->gpa = (frame & ~(size - 1)) | (gva & (size - 1));
	w->res->page_size = size;
}

/* The address bits of an entry or of CR3: MAXPHYADDR-1 down to 12. */
static __maybe_unused uint64_t addr_mask(const struct walk *w)
{
	return bits(w->maxphy - 1, 12);
}

/*
 * The bits of an entry at `level` (4: PML4E, 3: PDPTE, 2: PDE, 1: PTE)
 * that must be 0 (SDM 4.3, tables 4-8 to 4-11, 4-15 to 4-20): address
 * bits at or above MAXPHYADDR, bit 63 unless it is XD, PS in a PML4E (and
 * in a PDPTE on a CPU without 1 GiB pages), and the low bits of a large
 * page's frame. In 32-bit paging only a
 * 4 MiB PDE has any (PSE-36 gives it address bits 39:32 in bits 20:13).
 */
static __maybe_unused uint64_t pw_rsvd(const struct walk *w, unsigned int level, uint64_t e)
{
	bool large = level >= 2 && (e & PW_PTE_PS);
	unsigned int pse36;
	uint64_t r;

	switch (w->cpu->mode) {
	case PAGING_32:
		if (level != 2 || !large || !(w->cpu->cr4 & PW_CR4_PSE))
			return 0;
		pse36 = (w->maxphy < 40 ? w->maxphy : 40) - 32;
		return bits(21, 13 + pse36);
	case PAGING_PAE:
		if (level == 3)		/* a PDPTE: no R/W, U/S, PS or XD */
			return bits(63, w->maxphy) | bits(8, 5) | bits(2, 1);
		r = bits(62, w->maxphy);
		break;
	default:
		r = bits(51, w->maxphy);
		if (level == 4 || (level == 3 && w->cpu->no_gbpages))
			r |= PW_PTE_PS;
		else if (level == 3 && large)
			r |= bits(29, 13);
		break;
	}
	if (level == 2 && large)
		r |= bits(20, 13);
	if (!w->nxe)
		r |= PW_PTE_XD;
	return r;
}

/* EXERCISE 2.walker: The page walk, in every format the MMU has.
 *
 * walk_32(), walk_pae(), walk_4level() - translate gva as the MMU does,
 * with 32-bit, PAE and 4-level paging, for the access w->access.
 *	In: w: the vCPU's paging registers (w->cpu: CR3, CR0.WP, CR4.PSE,
 *	  CR4.SMEP, EFER.NXE, MAXPHYADDR, whether 1 GiB pages exist; for
 *	  PAE maybe the four PDPTE registers, w->cpu->pdpte), the access
 *	  (PW_WRITE or PW_FETCH or a read, maybe PW_USER), and the result
 *	  to fill, w->res, which pagewalk() has zeroed with every right
 *	  granted; gva, the linear address.
 *	Out, on success: 0, the frame and page size given to pw_leaf()
 *	  (4 KiB, 4 MiB, 2 MiB or 1 GiB); every entry used read with
 *	  pw_entry(), which records it in w->res, in order (PAE's PDPTE,
 *	  when it comes from the registers, recorded as if read); the
 *	  rights of every entry folded in with pw_rights_add().
 *	Out, on a page fault: the -EFAULT of pw_fault(), with the cause the
 *	  SDM gives: an entry not present (0), a reserved bit set in an
 *	  entry (PF_P | PF_RSVD; pw_rsvd() knows the reserved bits of every
 *	  entry), or an access the combined rights refuse (PF_P): a user
 *	  access to a supervisor page, a user write to a read-only page, a
 *	  supervisor write to one when CR0.WP is set, a fetch from an
 *	  execute-disable page, a supervisor fetch from a user page when
 *	  CR4.SMEP is set. Entries are checked as they are read, so the
 *	  first problem on the way down is the one reported; the rights
 *	  only once the walk has reached its leaf.
 *	Other errors: -ERANGE, in 4-level paging, for an address that is
 *	  not canonical (bits 63:47 not all equal: #GP, not #PF); whatever
 *	  pw_entry() returns when an entry cannot be read.
 *	Formats: 32-bit paging takes bits 31:0 of gva, 4-byte entries, and
 *	  a 4 MiB page where CR4.PSE is set and the PDE has PS (PSE-36:
 *	  frame bits 39:32 are PDE bits 20:13). PAE takes bits 31:0, a
 *	  PDPTE from w->cpu->pdpte when it is set, else from memory at CR3
 *	  (32-byte aligned), then 8-byte entries; 2 MiB pages. 4-level
 *	  paging: a PML4 at CR3, 8-byte entries, 1 GiB and 2 MiB pages.
 *
 * Read: Intel SDM vol. 3A, chapter 4 "Paging": 4.3 (32-bit paging), 4.4
 * (PAE paging; 4.4.1, the PDPTE registers), 4.5 (4-level paging), 4.6
 * "Access Rights", 4.7 "Page-Fault Exceptions" (the error code), and
 * the tables of each level's entry format.
 *
 * Tests: unit.pagewalk unit.walk2d unit.shadow guest.pagewalk
 *	guest.pagewalk-legacy guest.shadow guest.hostile-mem guest.hostile-pv
 * Stub: static int walk_32(struct walk *w, uint64_t gva)
 * {
 *	(void)w;
 *	(void)gva;
 *	return -ENOSYS;
 * }
 *
 * static int walk_pae(struct walk *w, uint64_t gva)
 * {
 *	(void)w;
 *	(void)gva;
 *	return -ENOSYS;
 * }
 *
 * static int walk_4level(struct walk *w, uint64_t gva)
 * {
 *	(void)w;
 *	(void)gva;
 *	return -ENOSYS;
 * }
 */
static int pw_rights(struct walk *w)
{
	const struct pagewalk_result *res = w->res;
	bool user = w->access & PW_USER;

	if (user && !res->user)
		return pw_fault(w, PF_P);
	if ((w->access & PW_WRITE) && !res->writable &&
	    (user || (w->cpu->cr0 & PW_CR0_WP)))
		return pw_fault(w, PF_P);
	if (w->access & PW_FETCH) {
		if (res->nx)
			return pw_fault(w, PF_P);
		if (!user && res->user && (w->cpu->cr4 & PW_CR4_SMEP))
			return pw_fault(w, PF_P);
	}
	return 0;
}

static int walk_4level(struct walk *w, uint64_t gva)
{
	uint64_t table = w->cpu->cr3 & addr_mask(w);
	uint64_t e, top = (uint64_t)((int64_t)(gva << 16) >> 16);
	unsigned int level, shift;
	int ret;

	if (top != gva)
		return -ERANGE;
	for (level = 4; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		ret = pw_entry(w, table + ((gva >> shift) & 511) * 8, 8, &e);
		if (ret)
			return ret;
		if (!(e & PW_PTE_P))
			return pw_fault(w, 0);
		if (e & pw_rsvd(w, level, e))
			return pw_fault(w, PF_P | PF_RSVD);
		pw_rights_add(w, e);
		if (level == 1 || (level <= 3 && (e & PW_PTE_PS))) {
			pw_leaf(w, e & addr_mask(w), 1ULL << shift, gva);
			return pw_rights(w);
		}
		table = e & addr_mask(w);
	}
	return -EINVAL;		/* not reached: level 1 is always a leaf */
}

/*
 * One entry of a 32-bit or PAE walk: read it, refuse it if not present or
 * if it sets a reserved bit, and fold its rights in.
 */
static int pw_step(struct walk *w, uint64_t gpa, unsigned int size,
		   unsigned int level, uint64_t *e)
{
	int ret = pw_entry(w, gpa, size, e);

	if (ret < 0)
		return ret;
	if ((*e & PW_PTE_P) == 0)
		return pw_fault(w, 0);
	if ((*e & pw_rsvd(w, level, *e)) != 0)
		return pw_fault(w, PF_P | PF_RSVD);
	pw_rights_add(w, *e);
	return 0;
}

/* 32-bit paging (SDM 4.3): 4-byte entries, a page directory and tables. */
static int walk_32(struct walk *w, uint64_t gva)
{
	const struct pagewalk_cpu *cpu = w->cpu;
	uint64_t pde, pte, frame;
	int ret;

	gva &= 0xffffffffULL;
	ret = pw_step(w, (cpu->cr3 & 0xfffff000ULL) + (gva >> 22) * 4, 4, 2,
		      &pde);
	if (ret)
		return ret;
	if ((pde & PW_PTE_PS) && (cpu->cr4 & PW_CR4_PSE)) {
		/* A 4 MiB page; PSE-36 keeps address bits 39:32 in bits 20:13. */
		frame = (pde & 0xffc00000ULL) | ((pde >> 13) & 0xff) << 32;
		pw_leaf(w, frame, SZ_4M, gva);
		return pw_rights(w);
	}
	ret = pw_step(w, (pde & 0xfffff000ULL) + ((gva >> 12) & 1023) * 4, 4,
		      1, &pte);
	if (ret)
		return ret;
	pw_leaf(w, pte & 0xfffff000ULL, SZ_4K, gva);
	return pw_rights(w);
}

/*
 * PAE paging (SDM 4.4): four PDPTEs, then 8-byte PDEs and PTEs. The CPU
 * reads the PDPTEs when CR3 is loaded and keeps them in registers (4.4.1);
 * a PDPTE with a reserved bit set makes that MOV to CR3 raise #GP, so a
 * real walk never meets one: we report it as a reserved-bit #PF.
 */
static int walk_pae(struct walk *w, uint64_t gva)
{
	const struct pagewalk_cpu *cpu = w->cpu;
	struct pagewalk_result *res = w->res;
	uint64_t at, pdpte, pde, pte;
	unsigned int i;
	int ret;

	gva &= 0xffffffffULL;
	i = gva >> 30;
	at = (cpu->cr3 & 0xffffffe0ULL) + i * 8;
	if (cpu->pdpte) {
		pdpte = cpu->pdpte[i];
		res->entry_gpa[0] = at;
		res->entry[0] = pdpte;
		res->levels = 1;
	} else {
		ret = pw_entry(w, at, 8, &pdpte);
		if (ret)
			return ret;
	}
	if (!(pdpte & PW_PTE_P))
		return pw_fault(w, 0);
	if (pdpte & pw_rsvd(w, 3, pdpte))
		return pw_fault(w, PF_P | PF_RSVD);

	ret = pw_step(w, (pdpte & addr_mask(w)) + ((gva >> 21) & 511) * 8, 8,
		      2, &pde);
	if (ret)
		return ret;
	if (pde & PW_PTE_PS) {
		pw_leaf(w, pde & addr_mask(w), SZ_2M, gva);
		return pw_rights(w);
	}
	ret = pw_step(w, (pde & addr_mask(w)) + ((gva >> 12) & 511) * 8, 8,
		      1, &pte);
	if (ret)
		return ret;
	pw_leaf(w, pte & addr_mask(w), SZ_4K, gva);
	return pw_rights(w);
}
/* END EXERCISE 2.walker */

int pagewalk(const struct pagewalk_cpu *cpu, uint64_t gva, unsigned int access,
	     pagewalk_read_fn read, void *opaque, struct pagewalk_result *res)
{
	struct walk w = {
		.cpu = cpu,
		.access = access,
		.read = read,
		.opaque = opaque,
		.res = res,
	};

	memset(res, 0, sizeof(*res));
	if (access & ~(PW_WRITE | PW_FETCH | PW_USER))
		return -EINVAL;
	if ((access & PW_WRITE) && (access & PW_FETCH))
		return -EINVAL;
	if (cpu->maxphyaddr && (cpu->maxphyaddr < 32 || cpu->maxphyaddr > 52))
		return -EINVAL;
	w.maxphy = cpu->maxphyaddr ? cpu->maxphyaddr : 52;
	w.nxe = cpu->mode != PAGING_32 && (cpu->efer & PW_EFER_NXE);
	res->writable = true;
	res->user = true;

	switch (cpu->mode) {
	case PAGING_NONE:
		/* Linear is physical; addresses are 32 bits wide without paging. */
		res->gpa = gva & 0xffffffffULL;
		res->page_size = SZ_4K;
		return 0;
	case PAGING_32:
		return walk_32(&w, gva);
	case PAGING_PAE:
		return walk_pae(&w, gva);
	case PAGING_4LEVEL:
		return walk_4level(&w, gva);
	case PAGING_5LEVEL:
		return -EOPNOTSUPP;
	}
	return -EINVAL;
}

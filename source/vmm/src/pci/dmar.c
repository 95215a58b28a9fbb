/* @@ file 04 */
/*
 * dmar.c - VT-d DMA remapping (legacy mode) and interrupt remapping as a
 * model (book §4.3; Intel VT-d specification). See dmar.h.
 */
#include <string.h>

#include "pci/dmar.h"

enum { W_NOT_INTERRUPT };

static uint64_t addr_mask(const struct dmar *d)
{
	return ((1ull << d->haw) - 1) & ~0xFFFull;
}

/* Bits haw..51 of an entry's address field: reserved. */
static uint64_t above_haw(const struct dmar *d)
{
	return ((1ull << 52) - 1) & ~((1ull << d->haw) - 1);
}

static bool read16(struct dmar *d, uint64_t gpa, uint64_t e[2])
{
	if (!d->ops.read || d->ops.read(d->opaque, gpa, e, 16) < 0)
		return false;
	return true;
}

static bool read8(struct dmar *d, uint64_t gpa, uint64_t *e)
{
	if (!d->ops.read || d->ops.read(d->opaque, gpa, e, 8) < 0)
		return false;
	return true;
}

void dmar_init(struct dmar *d, const struct dmar_ops *ops, void *opaque,
	       unsigned int haw)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->ops = *ops;
	d->opaque = opaque;
	d->haw = haw < 32 ? 32 : haw > 52 ? 52 : haw;
}

void dmar_destroy(struct dmar *d)
{
	pthread_mutex_destroy(&d->lock);
}

int dmar_set_root(struct dmar *d, uint64_t rtaddr, bool enable)
{
	if (rtaddr & DMAR_RTADDR_RTT)
		return -1;
	pthread_mutex_lock(&d->lock);
	d->rtaddr = rtaddr & ~0xFFFull;
	d->te = enable;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void dmar_set_irta(struct dmar *d, uint64_t irta, bool enable, bool cfis)
{
	pthread_mutex_lock(&d->lock);
	d->irta = irta;
	d->ire = enable;
	d->cfis = cfis;
	pthread_mutex_unlock(&d->lock);
}

/* EXERCISE 4.dmar: The DMA-remapping walk, legacy mode.
 *
 * translate_locked(d, sid, iova, write, x): where a DMA by requester
 * `sid` (bus << 8 | devfn) at `iova` goes, a write or a read, as a
 * VT-d unit in legacy mode answers it (Intel VT-d specification, ch. 3
 * "Legacy Mode Address Translation", "Second-Level Translation", and
 * the access rights and large pages there; ch. 9 "Root Entry",
 * "Context Entry", "Second-Level Paging Entries" for every field and
 * reserved bit; ch. 7 / appendix "Non-Recoverable Fault Reasons" for
 * the numbers). dmar.h says which capabilities this unit reports; the
 * struct dmar fields are d->te, d->rtaddr and d->haw, and every table
 * is read through d->ops.read (read8() and read16() below do that).
 *
 * Returns DMAR_OK with *x filled, or the fault reason; x arrives
 * zeroed. On success: x->addr the address the DMA goes to,
 * x->page_size the size of the page or large page that maps it,
 * x->read and x->write the effective rights there (for every access
 * the mapping would allow, not only this one). Whenever the context
 * entry was read and has no reserved bit set, x->did and x->fpd are
 * its domain and FPD bit, also when a later step faults.
 *
 *   translation off (!d->te): every address maps to itself, a 4 KiB
 *     page, read and write, domain 0;
 *   the root table (d->rtaddr, an address above the host address
 *     width d->haw cannot be read) and the context table it points
 *     to, one entry per bus and per devfn, give the context: a table
 *     that cannot be read is ROOT_ACCESS or CTX_ACCESS, an entry not
 *     present ROOT_NOT_PRESENT or CTX_NOT_PRESENT, a reserved bit
 *     set (the spec's, and address bits at or above d->haw)
 *     ROOT_RSVD or CTX_RSVD;
 *   the context's TT: 00b and 01b translate through the second-level
 *     tables, 10b passes through (identity, 4 KiB, read and write,
 *     for an iova below 2^haw: ADDR_BEYOND_AGAW above), 11b is
 *     CTX_INVALID; AW must be 39 bits (3 levels) or 48 (4 levels),
 *     else CTX_INVALID; an iova at or above 2^AW is ADDR_BEYOND_AGAW;
 *   the walk: an entry that cannot be read is PTE_ACCESS; an entry
 *     with R = W = 0 is not present, a fault of the access's kind
 *     (WRITE for a write, READ for a read), whatever its other bits;
 *     in a present entry a reserved bit is PTE_RSVD (address bits
 *     haw..51; TM in a leaf, as this unit has no device-TLB; PS in a
 *     4th-level entry; a large page's address bits below its size);
 *     bits the spec says are ignored are ignored; the rights are the
 *     AND of R and W over every level, and the access needs its own
 *     (else WRITE or READ).
 *
 * Tests: unit.dmar
 * Stub: static enum dmar_fault translate_locked(struct dmar *d, uint16_t sid,
 * 					uint64_t iova, bool write,
 * 					struct dmar_xlate *x)
 * {
 * 	(void)d;
 * 	(void)sid;
 * 	(void)iova;
 * 	(void)write;
 * 	(void)x;
 * 	(void)read8;
 * 	(void)above_haw;
 * 	return DMAR_FR_TT_BLOCKED;
 * }
 */
/* Root entry -> context entry; the context's two qwords in ctx. */
static enum dmar_fault context(struct dmar *d, uint16_t sid, uint64_t ctx[2])
{
	uint64_t root[2];

	if ((d->rtaddr & ~addr_mask(d) & ~0xFFFull) ||
	    !read16(d, d->rtaddr + 16ull * (sid >> 8), root))
		return DMAR_FR_ROOT_ACCESS;
	if (!(root[0] & DMAR_P))
		return DMAR_FR_ROOT_NOT_PRESENT;
	if ((root[0] & 0xFFEull) || (root[0] & ~addr_mask(d) & ~0xFFFull) ||
	    root[1])
		return DMAR_FR_ROOT_RSVD;
	if (!read16(d, (root[0] & addr_mask(d)) + 16ull * (sid & 0xFF), ctx))
		return DMAR_FR_CTX_ACCESS;
	if (!(ctx[0] & DMAR_P))
		return DMAR_FR_CTX_NOT_PRESENT;
	/* Low: 11:4 reserved, address above HAW. High: 7, 63:24. */
	if ((ctx[0] & 0xFF0ull) || (ctx[0] & ~addr_mask(d) & ~0xFFFull) ||
	    (ctx[1] & 0x80ull) || (ctx[1] >> 24))
		return DMAR_FR_CTX_RSVD;
	return DMAR_OK;
}

static enum dmar_fault perm_fault(bool write)
{
	return write ? DMAR_FR_WRITE : DMAR_FR_READ;
}

/* The second-level walk from `table`, `levels` deep. */
static enum dmar_fault walk(struct dmar *d, uint64_t table, int levels,
			    uint64_t iova, bool write, struct dmar_xlate *x)
{
	bool r = true, w = true;
	int level;

	for (level = levels; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (unsigned int)(level - 1);
		uint64_t e, size = 1ull << shift;
		bool leaf;

		if (!read8(d, table + 8 * ((iova >> shift) & 0x1FF), &e))
			return DMAR_FR_PTE_ACCESS;
		if (!(e & (DMAR_SL_R | DMAR_SL_W)))
			return perm_fault(write);	/* not present */
		leaf = level == 1 || (e & DMAR_SL_PS);
		/* TM (62) is reserved without device-TLBs (ECAP.DT = 0). */
		if ((e & above_haw(d)) || (leaf && (e & DMAR_SL_TM)) ||
		    (level == 4 && (e & DMAR_SL_PS)) ||
		    (leaf && level > 1 && (e & (size - 1) & ~0xFFFull)))
			return DMAR_FR_PTE_RSVD;
		r = r && (e & DMAR_SL_R);
		w = w && (e & DMAR_SL_W);
		if (!leaf) {
			table = e & addr_mask(d);
			continue;
		}
		if (write ? !w : !r)
			return perm_fault(write);
		x->addr = (e & addr_mask(d) & ~(size - 1)) | (iova & (size - 1));
		x->page_size = size;
		x->read = r;
		x->write = w;
		return DMAR_OK;
	}
	return DMAR_FR_PTE_ACCESS;	/* not reached */
}

static enum dmar_fault translate_locked(struct dmar *d, uint16_t sid,
					uint64_t iova, bool write,
					struct dmar_xlate *x)
{
	uint64_t ctx[2];
	enum dmar_fault f;
	unsigned int tt, aw;

	if (!d->te) {
		*x = (struct dmar_xlate){ iova, 4096, true, true, 0, false };
		return DMAR_OK;
	}
	f = context(d, sid, ctx);
	if (f)
		return f;
	x->fpd = ctx[0] & DMAR_CTX_FPD;
	x->did = (uint16_t)(ctx[1] >> DMAR_CTX_DID_SHIFT);
	tt = (ctx[0] >> DMAR_CTX_TT_SHIFT) & 3;
	aw = ctx[1] & 7;
	if (tt == 3)
		return DMAR_FR_CTX_INVALID;
	if (tt == DMAR_CTX_TT_PASSTHROUGH) {
		if (iova >> d->haw)
			return DMAR_FR_ADDR_BEYOND_AGAW;
		x->addr = iova;
		x->page_size = 4096;
		x->read = x->write = true;
		return DMAR_OK;
	}
	if (aw != DMAR_CTX_AW_39 && aw != DMAR_CTX_AW_48)
		return DMAR_FR_CTX_INVALID;
	if (iova >> (aw == DMAR_CTX_AW_39 ? 39 : 48))
		return DMAR_FR_ADDR_BEYOND_AGAW;
	return walk(d, ctx[0] & addr_mask(d), aw == DMAR_CTX_AW_39 ? 3 : 4,
		    iova, write, x);
}
/* END EXERCISE 4.dmar */

enum dmar_fault dmar_translate(struct dmar *d, uint16_t sid, uint64_t iova,
			       bool write, struct dmar_xlate *x)
{
	enum dmar_fault f;

	memset(x, 0, sizeof(*x));
	pthread_mutex_lock(&d->lock);
	f = translate_locked(d, sid, iova, write, x);
	pthread_mutex_unlock(&d->lock);
	return f;
}

/* ---- interrupt remapping ---- */

static void compat_decode(uint64_t addr, uint32_t data, struct dmar_irq *irq)
{
	irq->vector = (uint8_t)data;
	irq->delivery = (data >> 8) & 7;
	irq->level = data & (1u << 15);
	irq->dest = (addr >> 12) & 0xFF;
	irq->redir_hint = addr & (1u << 3);
	irq->dest_logical = addr & (1u << 2);
}

static bool sid_ok(uint16_t sid, uint64_t hi)
{
	static const uint16_t sq_mask[4] = { 0xFFFF, 0xFFFB, 0xFFF9, 0xFFF8 };
	uint16_t want = (uint16_t)hi;
	unsigned int sq = (hi >> 16) & 3, svt = (hi >> 18) & 3;

	if (svt == 1)
		return (sid & sq_mask[sq]) == (want & sq_mask[sq]);
	if (svt == 2)
		return (sid >> 8) >= (want >> 8) && (sid >> 8) <= (want & 0xFF);
	return true;
}

static int irte_check(const struct dmar *d, const uint64_t e[2])
{
	unsigned int dlm = (e[0] >> 5) & 7;
	bool eime = d->irta & DMAR_IRTA_EIME;

	if (!(e[0] & DMAR_P))
		return DMAR_FR_IR_NOT_PRESENT;
	/* 14:12 and 31:24 reserved; IM (15) = posted: not supported. */
	if ((e[0] & 0xFF00F000ull) || dlm == 3 || dlm == 6 ||
	    (e[1] >> 20) || ((e[1] >> 18) & 3) == 3)
		return DMAR_FR_IR_IRTE_RSVD;
	/* xAPIC: the destination is bits 47:40 only. */
	if (!eime && (e[0] & 0xFFFF00FF00000000ull))
		return DMAR_FR_IR_IRTE_RSVD;
	return DMAR_OK;
}

static int remap_locked(struct dmar *d, uint16_t sid, uint64_t addr,
			uint32_t data, struct dmar_irq *irq)
{
	uint64_t e[2], index, entries;
	int f;

	if ((addr >> 20) != 0xFEE) {
		irqwarn_once(d->ops.warn, d->opaque, &d->warned,
			     W_NOT_INTERRUPT, "dmar", "interrupt remapping "
			     "given a write outside 0xFEExxxxx");
		return -1;
	}
	if (!(addr & (1u << 4))) {		/* compatibility format */
		if (d->ire && (!d->cfis || (d->irta & DMAR_IRTA_EIME)))
			return DMAR_FR_IR_COMPAT_BLOCKED;
		compat_decode(addr, data, irq);
		return DMAR_OK;
	}
	/* Remappable format with remapping off: bit 4 is reserved then. */
	if (!d->ire || (data >> 16))
		return DMAR_FR_IR_REQ_RSVD;
	index = ((addr >> 5) & 0x7FFF) | ((addr >> 2) & 1) << 15;
	if (addr & (1u << 3))			/* SHV: + subhandle */
		index += data & 0xFFFF;
	entries = 1ull << ((d->irta & 0xF) + 1);
	if (index >= entries)
		return DMAR_FR_IR_INDEX;
	if ((d->irta & ~addr_mask(d) & ~0xFFFull) ||
	    !read16(d, (d->irta & addr_mask(d)) + 16 * index, e))
		return DMAR_FR_IR_TABLE_ACCESS;
	irq->fpd = e[0] & (1u << 1);
	f = irte_check(d, e);
	if (f)
		return f;
	if (!sid_ok(sid, e[1]))
		return DMAR_FR_IR_SID;
	irq->dest_logical = e[0] & (1u << 2);
	irq->redir_hint = e[0] & (1u << 3);
	irq->level = e[0] & (1u << 4);
	irq->delivery = (e[0] >> 5) & 7;
	irq->vector = (uint8_t)(e[0] >> 16);
	irq->dest = (d->irta & DMAR_IRTA_EIME) ? (uint32_t)(e[0] >> 32)
					       : (uint32_t)(e[0] >> 40) & 0xFF;
	return DMAR_OK;
}

int dmar_remap_msi(struct dmar *d, uint16_t sid, uint64_t addr,
		   uint32_t data, struct dmar_irq *irq)
{
	int f;

	memset(irq, 0, sizeof(*irq));
	pthread_mutex_lock(&d->lock);
	f = remap_locked(d, sid, addr, data, irq);
	pthread_mutex_unlock(&d->lock);
	return f;
}

void dmar_irq_to_msi(const struct dmar_irq *irq, uint64_t *addr,
		     uint32_t *data)
{
	*addr = 0xFEE00000u | (irq->dest & 0xFF) << 12 |
		(irq->redir_hint ? 1u << 3 : 0) |
		(irq->dest_logical ? 1u << 2 : 0);
	*data = irq->vector | (uint32_t)irq->delivery << 8 |
		(irq->level ? 3u << 14 : 0);
}

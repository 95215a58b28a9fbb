/* @@ file 04 */
/*
 * pci.c - PCI bus 0: configuration mechanism #1, ECAM, type 0 headers,
 * BARs, INTx routing, MSI and MSI-X (book §4.2; PCI Local Bus
 * Specification 3.0, §3.2.2.3.2, §6.1-6.2, §6.8). See pci.h for the
 * API and the lock rule.
 */
#include <stdlib.h>
#include <string.h>

#include "core/le.h"
#include "pci/pci.h"

enum {
	W_MAP,		/* the owner refused a BAR placement */
	W_MME,		/* MSI multiple message enable > capable */
	W_MSIX_SIZE,	/* MSI-X table access not dword/qword */
	W_ECAM,		/* ECAM access outside the window */
};

static void warn(struct pci_bus *b, unsigned int bit, const char *fmt,
		 unsigned int a, unsigned int c)
{
	irqwarn_once(b->ops.warn, b->opaque, &b->warned, bit, "pci", fmt,
		     a, c);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int bar_check(const struct pci_desc *d, int i)
{
	const struct pci_bar_desc *bd = &d->bar[i];

	switch (bd->type) {
	case PCI_BAR_NONE:
		return 0;
	case PCI_BAR_IO:
		return is_pow2(bd->size) && bd->size >= 4 && bd->size <= 256 &&
		       !bd->prefetchable ? 0 : -1;
	case PCI_BAR_MEM32:
		return is_pow2(bd->size) && bd->size >= 16 &&
		       bd->size <= (1ull << 31) ? 0 : -1;
	case PCI_BAR_MEM64:
		return is_pow2(bd->size) && bd->size >= 16 &&
		       bd->size <= (1ull << 40) && i < PCI_NUM_BARS - 1 &&
		       d->bar[i + 1].type == PCI_BAR_NONE ? 0 : -1;
	}
	return -1;
}

static void set_wmask32(struct pci_func *f, unsigned int reg, uint32_t m)
{
	put32(&f->wmask[reg], m);
}

static void bar_setup(struct pci_func *f, const struct pci_desc *d, int i);

static unsigned int msi_cap_len(const struct pci_desc *d)
{
	unsigned int len = d->msi_64bit ? 14 : 10;

	if (d->msi_maskbit)
		len = d->msi_64bit ? 24 : 20;
	return (len + 3) & ~3u;
}

static unsigned int msi_data_off(const struct pci_func *f)
{
	return f->msi_cap + ((get16(&f->cfg[f->msi_cap + 2]) &
			      PCI_MSI_FLAGS_64BIT) ? 12 : 8);
}

static unsigned int msi_mask_off(const struct pci_func *f)
{
	return msi_data_off(f) + 4;
}

static int msi_setup(struct pci_func *f, const struct pci_desc *d,
		     unsigned int at)
{
	unsigned int log2v = 0;
	uint16_t ctrl;

	while ((1u << log2v) < d->msi_vectors)
		log2v++;
	if ((1u << log2v) != d->msi_vectors || log2v > 5)
		return -1;
	f->msi_cap = (uint8_t)at;
	f->msi_vectors = d->msi_vectors;
	f->cfg[at] = PCI_CAP_ID_MSI;
	ctrl = (uint16_t)(log2v << 1);
	if (d->msi_64bit)
		ctrl |= PCI_MSI_FLAGS_64BIT;
	if (d->msi_maskbit)
		ctrl |= PCI_MSI_FLAGS_MASKBIT;
	put16(&f->cfg[at + 2], ctrl);
	put16(&f->wmask[at + 2], PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	set_wmask32(f, at + 4, 0xFFFFFFFCu);
	if (d->msi_64bit)
		set_wmask32(f, at + 8, 0xFFFFFFFFu);
	put16(&f->wmask[msi_data_off(f)], 0xFFFF);
	if (d->msi_maskbit)
		set_wmask32(f, msi_mask_off(f),
			    d->msi_vectors == 32 ? 0xFFFFFFFFu :
			    (1u << d->msi_vectors) - 1);
	return 0;
}

/* The table and PBA must lie in memory BARs, without overlapping. */
static int msix_check(const struct pci_desc *d)
{
	uint64_t tlen = 16ull * d->msix_vectors;
	uint64_t plen = 8ull * ((d->msix_vectors + 63) / 64);
	const struct pci_bar_desc *tb, *pb;

	if (d->msix_vectors > PCI_MSIX_MAX || d->msix_table_bar >= 6 ||
	    d->msix_pba_bar >= 6 || (d->msix_table_off & 7) ||
	    (d->msix_pba_off & 7))
		return -1;
	tb = &d->bar[d->msix_table_bar];
	pb = &d->bar[d->msix_pba_bar];
	if ((tb->type != PCI_BAR_MEM32 && tb->type != PCI_BAR_MEM64) ||
	    (pb->type != PCI_BAR_MEM32 && pb->type != PCI_BAR_MEM64))
		return -1;
	if (d->msix_table_off + tlen > tb->size ||
	    d->msix_pba_off + plen > pb->size)
		return -1;
	if (d->msix_table_bar == d->msix_pba_bar &&
	    d->msix_table_off < d->msix_pba_off + plen &&
	    d->msix_pba_off < d->msix_table_off + tlen)
		return -1;
	return 0;
}

static int msix_setup(struct pci_func *f, const struct pci_desc *d,
		      unsigned int at)
{
	unsigned int i;

	if (msix_check(d))
		return -1;
	f->msix = calloc(d->msix_vectors, sizeof(*f->msix));
	f->msix_pba = calloc((d->msix_vectors + 31) / 32, sizeof(uint32_t));
	if (!f->msix || !f->msix_pba)
		return -1;
	for (i = 0; i < d->msix_vectors; i++)
		f->msix[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	f->msix_cap = (uint8_t)at;
	f->msix_vectors = d->msix_vectors;
	f->cfg[at] = PCI_CAP_ID_MSIX;
	put16(&f->cfg[at + 2], (uint16_t)(d->msix_vectors - 1));
	f->wmask[at + 3] = 0xC0;	/* enable, function mask */
	put32(&f->cfg[at + 4], d->msix_table_off | d->msix_table_bar);
	put32(&f->cfg[at + 8], d->msix_pba_off | d->msix_pba_bar);
	return 0;
}

static int caps_setup(struct pci_func *f, const struct pci_desc *d)
{
	unsigned int at = 0x40, prev = PCI_CAPABILITY_LIST;

	if (d->msi_vectors) {
		if (msi_setup(f, d, at))
			return -1;
		f->cfg[prev] = (uint8_t)at;
		prev = at + 1;
		at += msi_cap_len(d);
	}
	if (d->msix_vectors) {
		if (msix_setup(f, d, at))
			return -1;
		f->cfg[prev] = (uint8_t)at;
		at += 12;
	}
	if (at > 0x40)
		put16(&f->cfg[PCI_STATUS],
		      get16(&f->cfg[PCI_STATUS]) | PCI_STATUS_CAP_LIST);
	return 0;
}

int pci_func_init(struct pci_func *f, const struct pci_desc *d, void *dev)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->dev = dev;
	f->cfg_size = d->pcie ? 4096 : 256;
	for (i = 0; i < PCI_NUM_BARS; i++)
		if (bar_check(d, i))
			return -1;
	if (d->int_pin > 4)
		return -1;
	put16(&f->cfg[PCI_VENDOR_ID], d->vendor);
	put16(&f->cfg[PCI_DEVICE_ID], d->device);
	put16(&f->wmask[PCI_COMMAND], PCI_CMD_WRITABLE);
	put16(&f->cfg[PCI_STATUS], d->status & ~PCI_STATUS_W1C);
	put16(&f->w1c[PCI_STATUS], PCI_STATUS_W1C);
	f->cfg[PCI_REVISION_ID] = d->revision;
	f->cfg[PCI_CLASS_PROG] = (uint8_t)d->class_code;
	put16(&f->cfg[PCI_CLASS_PROG + 1], (uint16_t)(d->class_code >> 8));
	f->wmask[PCI_CACHE_LINE_SIZE] = 0xFF;
	f->wmask[PCI_LATENCY_TIMER] = 0xFF;
	for (i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].type != PCI_BAR_NONE)
			bar_setup(f, d, i);
	put16(&f->cfg[PCI_SUBSYSTEM_VENDOR_ID], d->subsys_vendor);
	put16(&f->cfg[PCI_SUBSYSTEM_ID], d->subsys_id);
	f->cfg[PCI_INTERRUPT_LINE] = 0xFF;
	f->wmask[PCI_INTERRUPT_LINE] = 0xFF;
	f->cfg[PCI_INTERRUPT_PIN] = d->int_pin;
	if (caps_setup(f, d)) {
		pci_func_destroy(f);
		return -1;
	}
	return 0;
}

void pci_func_destroy(struct pci_func *f)
{
	free(f->msix);
	free(f->msix_pba);
	f->msix = NULL;
	f->msix_pba = NULL;
	f->msix_vectors = 0;
}

/* ---- interrupts (bus lock held) ---- */

/* The PIIX3's slots: pin p of device d on link (d + p - 2) mod 4. */
static int swizzle(uint8_t devfn, uint8_t pin)
{
	if (pin < 1 || pin > 4)
		return -1;
	return ((devfn >> 3) + pin + 2) % 4;
}

static uint16_t cmd_of(const struct pci_func *f)
{
	return get16(&f->cfg[PCI_COMMAND]);
}

static bool msi_on(const struct pci_func *f)
{
	return f->msi_cap &&
	       (get16(&f->cfg[f->msi_cap + 2]) & PCI_MSI_FLAGS_ENABLE);
}

static bool msix_on(const struct pci_func *f)
{
	return f->msix_cap &&
	       (get16(&f->cfg[f->msix_cap + 2]) & PCI_MSIX_FLAGS_ENABLE);
}

/* A GSI's level is the OR of the links routed to it: tell on a change. */
static void gsi_update(struct pci_bus *b, unsigned int gsi)
{
	unsigned int p;
	bool up = false;

	for (p = 0; p < 4; p++)
		if (b->pirq_gsi[p] == gsi && b->pirq_count[p])
			up = true;
	if (gsi >= 32) {
		if (b->ops.intx)
			b->ops.intx(b->opaque, gsi, up);
		return;
	}
	if (up == !!(b->gsi_up & (1u << gsi)))
		return;
	b->gsi_up ^= 1u << gsi;
	if (b->ops.intx)
		b->ops.intx(b->opaque, gsi, up);
}

/*
 * The line the bus sees: the device's pin, unless INTx disable is set
 * or MSI/MSI-X is on (§6.8: a function with MSI enabled must not use
 * INTx). The status bit follows the pin whatever the command says.
 */
static void intx_update(struct pci_bus *b, struct pci_func *f)
{
	bool want = f->irq_level && f->bus && !msi_on(f) && !msix_on(f) &&
		    !(cmd_of(f) & PCI_CMD_INTX_DISABLE);
	int p = swizzle(f->devfn, f->cfg[PCI_INTERRUPT_PIN]);
	uint16_t st = get16(&f->cfg[PCI_STATUS]);

	st = f->irq_level ? st | PCI_STATUS_INTERRUPT
			  : st & ~PCI_STATUS_INTERRUPT;
	put16(&f->cfg[PCI_STATUS], st);
	if (p < 0 || want == f->intx_asserted)
		return;
	f->intx_asserted = want;
	if (want)
		b->pirq_count[p]++;
	else
		b->pirq_count[p]--;
	gsi_update(b, b->pirq_gsi[p]);
}

static unsigned int msi_enabled_count(struct pci_bus *b, struct pci_func *f)
{
	uint16_t ctrl = get16(&f->cfg[f->msi_cap + 2]);
	unsigned int mmc = (ctrl & PCI_MSI_FLAGS_QMASK) >> 1;
	unsigned int mme = (ctrl & PCI_MSI_FLAGS_QSIZE) >> 4;

	if (mme > mmc) {
		warn(b, W_MME, "%02x: MSI enables 2^%u vectors, capable of "
		     "fewer: using the capable count", f->devfn, mme);
		mme = mmc;
	}
	return 1u << mme;
}

static void msi_send(struct pci_bus *b, struct pci_func *f, unsigned int v,
		     unsigned int count)
{
	unsigned int c = f->msi_cap;
	uint64_t addr = get32(&f->cfg[c + 4]);
	uint32_t data = get16(&f->cfg[msi_data_off(f)]);

	if (get16(&f->cfg[c + 2]) & PCI_MSI_FLAGS_64BIT)
		addr |= (uint64_t)get32(&f->cfg[c + 8]) << 32;
	data = (data & ~(count - 1)) | v;
	if (b->ops.msi)
		b->ops.msi(b->opaque, addr, data);
}

static bool msi_masked(const struct pci_func *f, unsigned int v)
{
	if (!(get16(&f->cfg[f->msi_cap + 2]) & PCI_MSI_FLAGS_MASKBIT))
		return false;
	return get32(&f->cfg[msi_mask_off(f)]) & (1u << v);
}

static void msi_pending_sync(struct pci_func *f)
{
	if (get16(&f->cfg[f->msi_cap + 2]) & PCI_MSI_FLAGS_MASKBIT)
		put32(&f->cfg[msi_mask_off(f) + 4], f->msi_pending);
}

static void msi_flush(struct pci_bus *b, struct pci_func *f)
{
	unsigned int v, count;

	if (!f->msi_cap || !msi_on(f) || !f->msi_pending)
		return;
	count = msi_enabled_count(b, f);
	for (v = 0; v < 32; v++) {
		if (!(f->msi_pending & (1u << v)) || msi_masked(f, v))
			continue;
		f->msi_pending &= ~(1u << v);
		if (v < count)
			msi_send(b, f, v, count);
	}
	msi_pending_sync(f);
}

static bool msix_fmask(const struct pci_func *f)
{
	return get16(&f->cfg[f->msix_cap + 2]) & PCI_MSIX_FLAGS_MASKALL;
}

static void msix_send(struct pci_bus *b, struct pci_func *f, unsigned int v)
{
	const struct pci_msix_entry *e = &f->msix[v];

	if (b->ops.msi)
		b->ops.msi(b->opaque, (uint64_t)e->addr_hi << 32 | e->addr_lo,
			   e->data);
}

static void msix_flush(struct pci_bus *b, struct pci_func *f)
{
	unsigned int w, v;

	if (!f->msix_cap || !msix_on(f) || msix_fmask(f))
		return;
	for (w = 0; w < (f->msix_vectors + 31) / 32; w++) {
		if (!f->msix_pba[w])
			continue;
		for (v = w * 32; v < w * 32 + 32 && v < f->msix_vectors; v++) {
			uint32_t bit = 1u << (v % 32);

			if (!(f->msix_pba[w] & bit) ||
			    (f->msix[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT))
				continue;
			f->msix_pba[w] &= ~bit;
			msix_send(b, f, v);
		}
	}
}

/* ---- BAR decode (bus lock held) ---- */

static bool bar_target(const struct pci_func *f, int i, uint64_t *addr)
{
	const struct pci_bar_desc *bd = &f->bar[i];
	const uint8_t *p = &f->cfg[PCI_BAR0 + 4 * i];
	uint16_t cmd = cmd_of(f);
	uint64_t a;

	switch (bd->type) {
	case PCI_BAR_IO:
		if (!(cmd & PCI_CMD_IO))
			return false;
		a = get32(p) & ~3u;
		if (a + bd->size - 1 > 0xFFFF)
			return false;
		break;
	case PCI_BAR_MEM32:
		if (!(cmd & PCI_CMD_MEMORY))
			return false;
		a = get32(p) & ~0xFu;
		break;
	case PCI_BAR_MEM64:
		if (!(cmd & PCI_CMD_MEMORY))
			return false;
		a = (uint64_t)get32(p + 4) << 32 | (get32(p) & ~0xFu);
		if (a + bd->size - 1 < a)
			return false;
		break;
	default:
		return false;
	}
	/* Address 0 is "not assigned", as firmware and Linux read it. */
	if (!a)
		return false;
	*addr = a;
	return true;
}

/* Unmaps first, then maps: two BARs that trade places never collide. */
static void bars_update(struct pci_bus *b, struct pci_func *f)
{
	uint64_t a[PCI_NUM_BARS];
	bool want[PCI_NUM_BARS];
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		a[i] = 0;
		want[i] = f->bus && bar_target(f, i, &a[i]);
		if (f->bar_mapped[i] && (!want[i] || a[i] != f->bar_addr[i])) {
			f->bar_mapped[i] = false;
			if (b->ops.unmap)
				b->ops.unmap(b->opaque, f, i, f->bar[i].type,
					     f->bar_addr[i], f->bar[i].size);
		}
	}
	for (i = 0; i < PCI_NUM_BARS; i++) {
		if (!want[i] || f->bar_mapped[i])
			continue;
		if (b->ops.map && b->ops.map(b->opaque, f, i, f->bar[i].type,
					     a[i], f->bar[i].size)) {
			warn(b, W_MAP, "%02x: BAR%u placement refused by the "
			     "machine (overlap?): left unmapped", f->devfn,
			     (unsigned int)i);
			continue;
		}
		f->bar_mapped[i] = true;
		f->bar_addr[i] = a[i];
	}
}

/* Everything a configuration write may have changed. */
static void after_write(struct pci_bus *b, struct pci_func *f)
{
	bars_update(b, f);
	intx_update(b, f);
	msi_flush(b, f);
	msix_flush(b, f);
}

/* ---- configuration space (bus lock held) ---- */

static struct pci_func *lookup(struct pci_bus *b, uint8_t bus, uint8_t devfn)
{
	if (bus != 0)
		return NULL;
	return devfn ? b->fn[devfn] : &b->host;
}

static uint32_t cfg_read_locked(struct pci_func *f, unsigned int reg,
				unsigned int size)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < size; i++) {
		uint8_t byte = 0xFF;

		if (f && reg + i < f->cfg_size)
			byte = f->cfg[reg + i];
		v |= (uint32_t)byte << (8 * i);
	}
	return v;
}

/* EXERCISE 4.bars: Configuration writes, and what makes a BAR sizable.
 *
 * Every configuration write of the bus (mechanism #1 at every width and
 * offset, ECAM) ends in cfg_write_locked(b, f, reg, size, val): `size`
 * bytes (1 to 4) of `val`, its least significant byte to register
 * `reg`, the next to reg + 1 and so on, to function f (NULL: nothing
 * there). And bar_setup(f, d, i), called by pci_func_init() for each
 * BAR i that d->bar[i] describes (its size a power of two in the
 * bounds bar_check() enforces), makes that BAR what the guest sees.
 * PCI Local Bus Specification 3.0: 6.1 (configuration space, the read-
 * only and reserved registers), 6.2.2 and 6.2.3 (Command, Status: which
 * bits software may write, and "write 1 to clear"), 6.2.5.1 (Base
 * Address Registers: the type bits, prefetchable, how software sizes a
 * BAR). guests/README.md, "Configuration registers", has this
 * platform's choices.
 *
 * Each function holds three arrays of bytes (struct pci_func, pci.h):
 * cfg[], the registers; wmask[], a 1 for each bit a configuration
 * write may change; w1c[], a 1 for each bit that a write of 1 clears
 * and a write of 0 leaves alone. pci_func_init() fills them for every
 * register but the BARs.
 *
 * cfg_write_locked():
 *   changes only the bits wmask[] allows and w1c[] clears, byte by
 *     byte; a byte past the 256 bytes of the conventional space is
 *     dropped (no extended capabilities), as is a write to NULL;
 *   after the write, brings every effect of the new values about with
 *     after_write(b, f) (BAR moves, INTx, pending MSIs) and, when the
 *     command register changed, tells the owner with
 *     b->ops.command(b->opaque, f, old, new) (when the owner set it).
 *
 * bar_setup(), for BAR i in register PCI_BAR0 + 4 * i:
 *   cfg[] holds its value at reset: the read-only type bits, every
 *     address bit 0. I/O: bit 0 set (PCI_BAR_IO_FLAG). Memory: bits
 *     2:1 00b for a 32-bit BAR, 10b (PCI_BAR_MEM64_FLAG) for a 64-bit
 *     one, bit 3 (PCI_BAR_PREFETCH_FLAG) when d says prefetchable;
 *   wmask[] lets a write change the address bits at and above the
 *     BAR's size and nothing else, so that writing all ones and reading
 *     back gives the size. An I/O BAR decodes 16 bits of port address
 *     (x86), its bits 31:16 stay 0. A 64-bit BAR takes registers i and
 *     i + 1, the upper one holding address bits 63:32;
 *   f->bar[i] = d->bar[i], what the owner's map and unmap are told.
 *
 * Tests: unit.pci unit.edu guest.lspci guest.ecam guest.bar-move
 *   guest.edu.user
 *   guest.edu.split guest.edu.kernel guest.pci-hostile.user
 *   guest.pci-hostile.split guest.pci-hostile.kernel guest.edu-range
 *   guest.linux.user guest.linux.split guest.linux.kernel
 * Stub: static void bar_setup(struct pci_func *f, const struct pci_desc *d,
 * 		      int i)
 * {
 * 	(void)f;
 * 	(void)d;
 * 	(void)i;
 * }
 *
 * static void cfg_write_locked(struct pci_bus *b, struct pci_func *f,
 * 			     unsigned int reg, unsigned int size, uint32_t val)
 * {
 * 	(void)b;
 * 	(void)f;
 * 	(void)reg;
 * 	(void)size;
 * 	(void)val;
 * }
 */
static void bar_setup(struct pci_func *f, const struct pci_desc *d, int i)
{
	const struct pci_bar_desc *bd = &d->bar[i];
	unsigned int reg = PCI_BAR0 + 4 * (unsigned int)i;
	uint64_t m = ~(bd->size - 1);
	uint32_t flags = bd->prefetchable ? PCI_BAR_PREFETCH_FLAG : 0;

	switch (bd->type) {
	case PCI_BAR_IO:
		/* x86 ports are 16 bits: bits 31-16 hardwired to zero. */
		put32(&f->cfg[reg], PCI_BAR_IO_FLAG);
		set_wmask32(f, reg, (uint32_t)m & 0xFFFCu);
		break;
	case PCI_BAR_MEM32:
		put32(&f->cfg[reg], flags);
		set_wmask32(f, reg, (uint32_t)m & ~0xFu);
		break;
	case PCI_BAR_MEM64:
		put32(&f->cfg[reg], flags | PCI_BAR_MEM64_FLAG);
		set_wmask32(f, reg, (uint32_t)m & ~0xFu);
		set_wmask32(f, reg + 4, (uint32_t)(m >> 32));
		break;
	case PCI_BAR_NONE:
		break;
	}
	f->bar[i] = *bd;
}

/* excerpt: pci-cfg-write */
static void cfg_write_locked(struct pci_bus *b, struct pci_func *f,
			     unsigned int reg, unsigned int size, uint32_t val)
{
	unsigned int i;
	uint16_t old_cmd;

	if (!f)
		return;
	old_cmd = cmd_of(f);
	for (i = 0; i < size; i++) {
		unsigned int r = reg + i;
		uint8_t v = (uint8_t)(val >> (8 * i));

		if (r >= 256)	/* no extended capabilities: read-only */
			continue;
		f->cfg[r] = (uint8_t)((f->cfg[r] & ~f->wmask[r]) |
				      (v & f->wmask[r]));
		f->cfg[r] &= (uint8_t)~(v & f->w1c[r]);
	}
	after_write(b, f);
	if (cmd_of(f) != old_cmd && b->ops.command)
		b->ops.command(b->opaque, f, old_cmd, cmd_of(f));
}
/* end excerpt: pci-cfg-write */
/* END EXERCISE 4.bars */

uint32_t pci_cfg_read(struct pci_bus *b, uint8_t bus, uint8_t devfn,
		      uint16_t reg, unsigned int size)
{
	uint32_t v;

	pthread_mutex_lock(&b->lock);
	v = cfg_read_locked(lookup(b, bus, devfn), reg & 0xFFF, size);
	pthread_mutex_unlock(&b->lock);
	return v;
}

void pci_cfg_write(struct pci_bus *b, uint8_t bus, uint8_t devfn,
		   uint16_t reg, unsigned int size, uint32_t val)
{
	pthread_mutex_lock(&b->lock);
	cfg_write_locked(b, lookup(b, bus, devfn), reg & 0xFFF, size, val);
	pthread_mutex_unlock(&b->lock);
}

static uint32_t ones(unsigned int size)
{
	return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

/*
 * Mechanism #1 (PCI 3.0 §3.2.2.3.2): only a dword access to 0xCF8 is
 * CONFIG_ADDRESS; any other access there is an ordinary I/O cycle that
 * nothing on our bus claims (a PC chipset keeps 0xCF9 for its reset
 * control register: the owner handles it before calling here). Bits
 * 30-24 and 1-0 of CONFIG_ADDRESS are reserved and read as 0.
 */
uint32_t pci_io_read(struct pci_bus *b, uint16_t port, unsigned int size)
{
	uint32_t v = 0;
	unsigned int i, n;
	struct pci_func *f;

	if (size != 1 && size != 2 && size != 4)
		return 0xFFFFFFFFu;
	pthread_mutex_lock(&b->lock);
	if (port == PCI_CONFIG_ADDRESS && size == 4) {
		v = b->cf8;
	} else if (port >= PCI_CONFIG_DATA && port <= PCI_CONFIG_DATA + 3 &&
		   (b->cf8 & PCI_CF8_ENABLE)) {
		n = PCI_CONFIG_DATA + 4 - port;
		n = n < size ? n : size;
		f = lookup(b, (uint8_t)(b->cf8 >> 16), (uint8_t)(b->cf8 >> 8));
		v = cfg_read_locked(f, (b->cf8 & 0xFC) + (port & 3), n);
		for (i = n; i < size; i++)	/* past 0xCFF: nobody */
			v |= 0xFFu << (8 * i);
	} else {
		v = ones(size);
	}
	pthread_mutex_unlock(&b->lock);
	return v & ones(size);
}

void pci_io_write(struct pci_bus *b, uint16_t port, unsigned int size,
		  uint32_t val)
{
	unsigned int n;
	struct pci_func *f;

	if (size != 1 && size != 2 && size != 4)
		return;
	pthread_mutex_lock(&b->lock);
	if (port == PCI_CONFIG_ADDRESS && size == 4) {
		b->cf8 = val & 0x80FFFFFCu;
	} else if (port >= PCI_CONFIG_DATA && port <= PCI_CONFIG_DATA + 3 &&
		   (b->cf8 & PCI_CF8_ENABLE)) {
		n = PCI_CONFIG_DATA + 4 - port;
		n = n < size ? n : size;
		f = lookup(b, (uint8_t)(b->cf8 >> 16), (uint8_t)(b->cf8 >> 8));
		cfg_write_locked(b, f, (b->cf8 & 0xFC) + (port & 3), n, val);
	}
	pthread_mutex_unlock(&b->lock);
}

/* An ECAM access may straddle two functions' 4 KiB: each part to its own. */
uint32_t pci_ecam_read(struct pci_bus *b, uint64_t offset, unsigned int size)
{
	uint32_t v = 0;
	unsigned int done = 0;

	if (size != 1 && size != 2 && size != 4)
		return 0xFFFFFFFFu;
	pthread_mutex_lock(&b->lock);
	while (done < size) {
		uint64_t off = offset + done;
		unsigned int reg = off & 0xFFF;
		unsigned int n = size - done;
		struct pci_func *f = NULL;

		if (n > 0x1000 - reg)
			n = 0x1000 - reg;
		if (off < b->ecam_size)
			f = lookup(b, (uint8_t)(off >> 20), (uint8_t)(off >> 12));
		else
			warn(b, W_ECAM, "ECAM read at %#x+%u past the window",
			     (unsigned int)off, size);
		v |= cfg_read_locked(f, reg, n) << (8 * done);
		done += n;
	}
	pthread_mutex_unlock(&b->lock);
	return v;
}

void pci_ecam_write(struct pci_bus *b, uint64_t offset, unsigned int size,
		    uint32_t val)
{
	unsigned int done = 0;

	if (size != 1 && size != 2 && size != 4)
		return;
	pthread_mutex_lock(&b->lock);
	while (done < size) {
		uint64_t off = offset + done;
		unsigned int reg = off & 0xFFF;
		unsigned int n = size - done;

		if (n > 0x1000 - reg)
			n = 0x1000 - reg;
		if (off < b->ecam_size)
			cfg_write_locked(b, lookup(b, (uint8_t)(off >> 20),
						   (uint8_t)(off >> 12)),
					 reg, n, val >> (8 * done));
		done += n;
	}
	pthread_mutex_unlock(&b->lock);
}

/* ---- the bus ---- */

void pci_bus_init(struct pci_bus *b, const struct pci_bus_ops *ops,
		  void *opaque, const struct pci_desc *host)
{
	unsigned int i;

	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->ops = *ops;
	b->opaque = opaque;
	b->ecam_size = 256ull << 20;
	for (i = 0; i < 4; i++)
		b->pirq_gsi[i] = 16 + i;
	pci_func_init(&b->host, host, NULL);
	b->host.bus = b;
}

void pci_bus_destroy(struct pci_bus *b)
{
	pci_func_destroy(&b->host);
	pthread_mutex_destroy(&b->lock);
}

static void line_update(struct pci_bus *b, struct pci_func *f)
{
	int p = swizzle(f->devfn, f->cfg[PCI_INTERRUPT_PIN]);

	f->cfg[PCI_INTERRUPT_LINE] = p < 0 || b->pirq_gsi[p] > 254 ? 0xFF :
				     (uint8_t)b->pirq_gsi[p];
}

/* Before the guest runs: asserted lines are not moved. */
void pci_bus_set_pirq(struct pci_bus *b, const unsigned int gsi[4])
{
	unsigned int i;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < 4; i++)
		b->pirq_gsi[i] = gsi[i];
	for (i = 1; i < PCI_MAX_DEVFN; i++)
		if (b->fn[i])
			line_update(b, b->fn[i]);
	pthread_mutex_unlock(&b->lock);
}

static void multifunction_update(struct pci_bus *b, uint8_t dev)
{
	struct pci_func *f0 = b->fn[PCI_DEVFN(dev, 0)];
	bool multi = false;
	unsigned int fn;

	if (!f0)
		return;
	for (fn = 1; fn < 8; fn++)
		multi |= b->fn[PCI_DEVFN(dev, fn)] != NULL;
	f0->cfg[PCI_HEADER_TYPE] = multi ? 0x80 : 0x00;
}

int pci_intx_gsi(struct pci_bus *b, uint8_t devfn, uint8_t pin,
		 uint8_t *mp_irq)
{
	int p = swizzle(devfn, pin);
	int gsi;

	if (p < 0)
		return -1;
	pthread_mutex_lock(&b->lock);
	gsi = (int)b->pirq_gsi[p];
	pthread_mutex_unlock(&b->lock);
	if (mp_irq)
		*mp_irq = (uint8_t)((devfn >> 3) << 2 | (pin - 1));
	return gsi;
}

int pci_bus_add(struct pci_bus *b, uint8_t devfn, struct pci_func *f)
{
	pthread_mutex_lock(&b->lock);
	/* Function 0 must exist before its siblings (§6.2.1). */
	if (devfn == 0 || b->fn[devfn] || f->bus ||
	    ((devfn & 7) && !b->fn[devfn & ~7])) {
		pthread_mutex_unlock(&b->lock);
		return -1;
	}
	f->bus = b;
	f->devfn = devfn;
	b->fn[devfn] = f;
	line_update(b, f);
	multifunction_update(b, devfn >> 3);
	after_write(b, f);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

void pci_bus_remove(struct pci_bus *b, struct pci_func *f)
{
	pthread_mutex_lock(&b->lock);
	if (f->bus == b && b->fn[f->devfn] == f) {
		/* Siblings go first: function 0 stays while they are there. */
		f->bus = NULL;
		bars_update(b, f);
		intx_update(b, f);
		b->fn[f->devfn] = NULL;
		multifunction_update(b, f->devfn >> 3);
	}
	pthread_mutex_unlock(&b->lock);
}

/* ---- device side ---- */

void pci_set_irq(struct pci_func *f, int level)
{
	struct pci_bus *b = f->bus;

	if (!b) {
		f->irq_level = level != 0;
		return;
	}
	pthread_mutex_lock(&b->lock);
	f->irq_level = level != 0;
	intx_update(b, f);
	pthread_mutex_unlock(&b->lock);
}

#define DEV_QUERY(name, expr)						\
bool name(struct pci_func *f)						\
{									\
	bool r;								\
									\
	if (!f->bus)							\
		return false;						\
	pthread_mutex_lock(&f->bus->lock);				\
	r = (expr);							\
	pthread_mutex_unlock(&f->bus->lock);				\
	return r;							\
}

DEV_QUERY(pci_bus_master, cmd_of(f) & PCI_CMD_MASTER)
DEV_QUERY(pci_msi_enabled, msi_on(f))
DEV_QUERY(pci_msix_enabled, msix_on(f))

int pci_msi_notify(struct pci_func *f, unsigned int v)
{
	struct pci_bus *b = f->bus;
	unsigned int count;
	int r = -1;

	if (!b || !f->msi_cap)
		return -1;
	pthread_mutex_lock(&b->lock);
	if (!msi_on(f))
		goto out;
	count = msi_enabled_count(b, f);
	if (v >= count)
		goto out;
	if (msi_masked(f, v)) {
		f->msi_pending |= 1u << v;
		msi_pending_sync(f);
		r = 0;
	} else {
		msi_send(b, f, v, count);
		r = 1;
	}
out:
	pthread_mutex_unlock(&b->lock);
	return r;
}

int pci_msix_notify(struct pci_func *f, unsigned int v)
{
	struct pci_bus *b = f->bus;
	int r = -1;

	if (!b || !f->msix_cap)
		return -1;
	pthread_mutex_lock(&b->lock);
	if (!msix_on(f) || v >= f->msix_vectors)
		goto out;
	if (msix_fmask(f) || (f->msix[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT)) {
		f->msix_pba[v / 32] |= 1u << (v % 32);
		r = 0;
	} else {
		msix_send(b, f, v);
		r = 1;
	}
out:
	pthread_mutex_unlock(&b->lock);
	return r;
}

static uint32_t msix_table_read(struct pci_func *f, uint64_t off)
{
	const struct pci_msix_entry *e = &f->msix[off / 16];

	switch (off % 16) {
	case 0:
		return e->addr_lo;
	case 4:
		return e->addr_hi;
	case 8:
		return e->data;
	default:
		return e->ctrl;
	}
}

static void msix_table_write(struct pci_func *f, uint64_t off, uint32_t v)
{
	struct pci_msix_entry *e = &f->msix[off / 16];

	switch (off % 16) {
	case 0:
		e->addr_lo = v & ~3u;	/* dword aligned (§6.8.2.4) */
		break;
	case 4:
		e->addr_hi = v;
		break;
	case 8:
		e->data = v;
		break;
	default:
		e->ctrl = v & PCI_MSIX_ENTRY_CTRL_MASKBIT;	/* 31:1 reserved */
		break;
	}
}

static bool msix_region(struct pci_func *f, int bar, uint64_t offset,
			unsigned int size, bool *table, uint64_t *rel)
{
	uint32_t t = get32(&f->cfg[f->msix_cap + 4]);
	uint32_t p = get32(&f->cfg[f->msix_cap + 8]);
	uint64_t tlen = 16ull * f->msix_vectors;
	uint64_t plen = 8ull * ((f->msix_vectors + 63) / 64);

	if ((int)(t & 7) == bar && offset >= (t & ~7u) &&
	    offset + size <= (t & ~7u) + tlen) {
		*table = true;
		*rel = offset - (t & ~7u);
		return true;
	}
	if ((int)(p & 7) == bar && offset >= (p & ~7u) &&
	    offset + size <= (p & ~7u) + plen) {
		*table = false;
		*rel = offset - (p & ~7u);
		return true;
	}
	/* A straddling access touches the table: claim and refuse it. */
	if (((int)(t & 7) == bar && offset < (t & ~7u) + tlen &&
	     offset + size > (t & ~7u)) ||
	    ((int)(p & 7) == bar && offset < (p & ~7u) + plen &&
	     offset + size > (p & ~7u))) {
		*rel = UINT64_MAX;
		return true;
	}
	return false;
}

static uint32_t pba_read32(struct pci_func *f, uint64_t rel)
{
	uint64_t w = rel / 4;

	return w < (f->msix_vectors + 31) / 32 ? f->msix_pba[w] : 0;
}

bool pci_msix_mmio(struct pci_func *f, int bar, uint64_t offset,
		   unsigned int size, uint64_t *val, bool write)
{
	struct pci_bus *b = f->bus;
	uint64_t rel;
	bool table;
	unsigned int i;

	if (!b || !f->msix_cap)
		return false;
	pthread_mutex_lock(&b->lock);
	if (!msix_region(f, bar, offset, size, &table, &rel)) {
		pthread_mutex_unlock(&b->lock);
		return false;
	}
	if (rel == UINT64_MAX || (size != 4 && size != 8) || rel % size) {
		warn(b, W_MSIX_SIZE, "%02x: MSI-X access of %u bytes: only aligned "
		     "dwords and qwords", f->devfn, size);
		if (!write)
			*val = size >= 8 ? UINT64_MAX : ones(size);
		pthread_mutex_unlock(&b->lock);
		return true;
	}
	for (i = 0; i < size / 4; i++) {
		uint64_t r = rel + 4 * i;
		uint32_t part = (uint32_t)(*val >> (32 * i));

		if (!write) {
			part = table ? msix_table_read(f, r) : pba_read32(f, r);
			if (i == 0)
				*val = 0;
			*val |= (uint64_t)part << (32 * i);
		} else if (table) {
			msix_table_write(f, r, part);
		}		/* PBA: read-only */
	}
	if (write)
		msix_flush(b, f);
	pthread_mutex_unlock(&b->lock);
	return true;
}

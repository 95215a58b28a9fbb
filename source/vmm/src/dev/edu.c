/* @@ file 04 */
/*
 * edu.c - the QEMU-compatible teaching device (book §4.2-4.3; QEMU's
 * docs/specs/edu.rst). See edu.h for timing, DMA checks and locking.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/vm.h"
#include "dev/edu.h"
#include "irq/irqchip.h"
#include "pci/pcibus.h"

enum { W_DMA_RANGE, W_DMA_MASK, W_DMA_MASTER, W_DMA_MEM };

static const struct pci_desc edu_desc = {
	.vendor = EDU_VENDOR, .device = EDU_DEVICE,
	.revision = EDU_REVISION,
	/* QEMU gives PCI_CLASS_OTHERS (0xff) as the 16-bit class id: base
	 * class 0x00, subclass 0xff ("Unclassified device [00ff]"). */
	.class_code = 0x00FF00,
	.subsys_vendor = 0x1AF4, .subsys_id = 0x1100,
	.int_pin = 1,
	.bar = { [0] = { PCI_BAR_MEM32, EDU_BAR_SIZE, false } },
	.msi_vectors = 1, .msi_64bit = true,
};

static void warn(struct edu *e, unsigned int bit, const char *msg)
{
	irqwarn_once(e->ops.warn, e->opaque, &e->warned, bit, "edu", "%s",
		     msg);
}

static uint64_t now(struct edu *e)
{
	return e->ops.now_ns ? e->ops.now_ns(e->opaque) : 0;
}

static void raise_irq(struct edu *e, uint32_t val)
{
	e->irq_status |= val;
	if (!e->irq_status)
		return;
	/* As QEMU: every raise is a message when MSI is on. */
	if (pci_msi_enabled(&e->pci))
		pci_msi_notify(&e->pci, 0);
	else
		pci_set_irq(&e->pci, 1);
}

static void lower_irq(struct edu *e, uint32_t val)
{
	e->irq_status &= ~val;
	if (!e->irq_status)
		pci_set_irq(&e->pci, 0);
}

static void fact_done(struct edu *e)
{
	uint32_t n = e->fact, r = 1;

	/*
	 * 32-bit arithmetic, as QEMU: it wraps. Once the product is 0 it
	 * stays 0, and that comes within 64 factors (every second one is
	 * even, and 32 factors of 2 make 2^32): so the guest's n, up to
	 * 2^32 - 1, never costs four billion multiplications here.
	 */
	while (n > 1 && r)
		r *= n--;
	e->fact = r;
	e->status &= ~EDU_STATUS_COMPUTING;
	if (e->status & EDU_STATUS_IRQFACT)
		raise_irq(e, EDU_IRQ_FACT);
}

/* The buffer side: [addr, addr+cnt) inside [0x40000, 0x41000). */
static bool buf_range(uint64_t addr, uint64_t cnt, uint32_t *off)
{
	if (cnt > EDU_BUF_SIZE || addr < EDU_BUF_ADDR ||
	    addr - EDU_BUF_ADDR > EDU_BUF_SIZE - cnt)
		return false;
	*off = (uint32_t)(addr - EDU_BUF_ADDR);
	return true;
}

static uint64_t bus_addr(struct edu *e, uint64_t a)
{
	if (a & ~e->cfg.dma_mask)
		warn(e, W_DMA_MASK, "DMA address above the device's mask: "
		     "clamped (as QEMU)");
	return a & e->cfg.dma_mask;
}

static void dma_transfer(struct edu *e)
{
	bool to_ram = e->dma_cmd & EDU_DMA_TO_RAM;
	uint64_t cnt = e->dma_cnt;
	uint32_t off;
	int rc;

	if (!buf_range(to_ram ? e->dma_src : e->dma_dst, cnt, &off)) {
		warn(e, W_DMA_RANGE, "DMA outside the 4 KiB buffer at "
		     "0x40000: not done");
		return;
	}
	if (!cnt)
		return;
	if (!pci_bus_master(&e->pci)) {
		warn(e, W_DMA_MASTER, "DMA with bus mastering off: not done");
		return;
	}
	if (to_ram)
		rc = e->ops.dma_write ?
		     e->ops.dma_write(e->opaque, bus_addr(e, e->dma_dst),
				      e->buf + off, cnt) : -1;
	else
		rc = e->ops.dma_read ?
		     e->ops.dma_read(e->opaque, bus_addr(e, e->dma_src),
				     e->buf + off, cnt) : -1;
	if (rc < 0)
		warn(e, W_DMA_MEM, "DMA to or from guest memory that is not "
		     "RAM (or crosses a memslot): not done");
}

static void dma_done(struct edu *e)
{
	dma_transfer(e);
	e->dma_cmd &= ~(uint64_t)EDU_DMA_RUN;
	if (e->dma_cmd & EDU_DMA_IRQ)
		raise_irq(e, EDU_IRQ_DMA);
}

static void arm(struct edu *e)
{
	uint64_t d = UINT64_MAX;

	if (e->status & EDU_STATUS_COMPUTING)
		d = e->fact_due;
	if ((e->dma_cmd & EDU_DMA_RUN) && e->dma_due < d)
		d = e->dma_due;
	if (d != UINT64_MAX && e->ops.deadline)
		e->ops.deadline(e->opaque, d);
}

static void tick(struct edu *e)
{
	uint64_t t = now(e);

	if ((e->status & EDU_STATUS_COMPUTING) && t >= e->fact_due)
		fact_done(e);
	if ((e->dma_cmd & EDU_DMA_RUN) && t >= e->dma_due)
		dma_done(e);
}

static bool size_ok(uint64_t offset, unsigned int size)
{
	return offset < 0x80 ? size == 4 : size == 4 || size == 8;
}

uint64_t edu_mmio_read(struct edu *e, uint64_t offset, unsigned int size)
{
	uint64_t v = UINT64_MAX;

	if (!size_ok(offset, size))
		return size >= 8 ? v : (1ull << (8 * size)) - 1;
	pthread_mutex_lock(&e->lock);
	tick(e);
	switch (offset) {
	case EDU_REG_ID:
		v = EDU_ID;
		break;
	case EDU_REG_LIVE:
		v = e->live;
		break;
	case EDU_REG_FACT:
		v = e->fact;
		break;
	case EDU_REG_STATUS:
		v = e->status;
		break;
	case EDU_REG_IRQ_STATUS:
		v = e->irq_status;
		break;
	case EDU_REG_DMA_SRC:
		v = e->dma_src;
		break;
	case EDU_REG_DMA_DST:
		v = e->dma_dst;
		break;
	case EDU_REG_DMA_CNT:
		v = e->dma_cnt;
		break;
	case EDU_REG_DMA_CMD:
		v = e->dma_cmd;
		break;
	}
	pthread_mutex_unlock(&e->lock);
	return size == 4 ? (uint32_t)v : v;
}

static void write_locked(struct edu *e, uint64_t offset, uint64_t val)
{
	bool running = e->dma_cmd & EDU_DMA_RUN;

	switch (offset) {
	case EDU_REG_LIVE:
		e->live = ~(uint32_t)val;
		break;
	case EDU_REG_FACT:
		if (e->status & EDU_STATUS_COMPUTING)
			break;		/* as QEMU: ignored while busy */
		e->fact = (uint32_t)val;
		e->status |= EDU_STATUS_COMPUTING;
		e->fact_due = now(e) + e->cfg.fact_delay_ns;
		break;
	case EDU_REG_STATUS:
		/* Only bit 7 is writable; bit 0 is the device's. */
		e->status = (e->status & ~EDU_STATUS_IRQFACT) |
			    ((uint32_t)val & EDU_STATUS_IRQFACT);
		break;
	case EDU_REG_IRQ_RAISE:
		raise_irq(e, (uint32_t)val);
		break;
	case EDU_REG_IRQ_ACK:
		lower_irq(e, (uint32_t)val);
		break;
	case EDU_REG_DMA_SRC:
		if (!running)
			e->dma_src = val;
		break;
	case EDU_REG_DMA_DST:
		if (!running)
			e->dma_dst = val;
		break;
	case EDU_REG_DMA_CNT:
		if (!running)
			e->dma_cnt = val;
		break;
	case EDU_REG_DMA_CMD:
		/* As QEMU: only a write with RUN, and not while running. */
		if (running || !(val & EDU_DMA_RUN))
			break;
		e->dma_cmd = val;
		e->dma_due = now(e) + e->cfg.dma_delay_ns;
		break;
	}
}

void edu_mmio_write(struct edu *e, uint64_t offset, unsigned int size,
		    uint64_t val)
{
	if (!size_ok(offset, size))
		return;
	if (size == 4)
		val = (uint32_t)val;
	pthread_mutex_lock(&e->lock);
	tick(e);
	write_locked(e, offset, val);
	arm(e);
	pthread_mutex_unlock(&e->lock);
}

void edu_service(struct edu *e)
{
	pthread_mutex_lock(&e->lock);
	tick(e);
	arm(e);
	pthread_mutex_unlock(&e->lock);
}

int edu_init(struct edu *e, const struct edu_ops *ops, void *opaque,
	     const struct edu_config *cfg)
{
	memset(e, 0, sizeof(*e));
	if (pci_func_init(&e->pci, &edu_desc, e))
		return -1;
	pthread_mutex_init(&e->lock, NULL);
	e->ops = *ops;
	e->opaque = opaque;
	if (cfg)
		e->cfg = *cfg;
	if (!e->cfg.dma_mask)
		e->cfg.dma_mask = (1ull << 28) - 1;
	return 0;
}

void edu_destroy(struct edu *e)
{
	pci_func_destroy(&e->pci);
	pthread_mutex_destroy(&e->lock);
}

/* ---- the device in the machine ---- */

#define EDU_DEVFN	PCI_DEVFN(2, 0)

enum { W_DEV_NOT_MEMORY };

static void dev_dma_warn(struct edu_dev *d, size_t missed)
{
	if (missed)
		irqwarn_once(irqchip_warn, NULL, &d->warned, W_DEV_NOT_MEMORY,
			     "edu", "a DMA reached bytes that are not memory: "
			     "they read all ones, writes to them go nowhere");
}

static int dev_dma_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct edu_dev *d = opaque;

	dev_dma_warn(d, pcibus_dma_read(d->vm, gpa, buf, len));
	return 0;
}

static int dev_dma_write(void *opaque, uint64_t gpa, const void *buf,
			 size_t len)
{
	struct edu_dev *d = opaque;

	dev_dma_warn(d, pcibus_dma_write(d->vm, gpa, buf, len));
	return 0;
}

static uint64_t dev_now(void *opaque)
{
	(void)opaque;
	return timers_now_ns();
}

static void dev_deadline(void *opaque, uint64_t ns)
{
	struct edu_dev *d = opaque;

	timers_set(&d->vm->irq->timers, d->timer, ns);
}

static void dev_fire(void *opaque)
{
	struct edu_dev *d = opaque;

	edu_service(&d->edu);
}

static uint64_t dev_bar_read(struct vcpu *vcpu, void *opaque, int bar,
			     uint64_t offset, unsigned int size)
{
	struct edu_dev *d = opaque;

	(void)vcpu;
	(void)bar;
	return edu_mmio_read(&d->edu, offset, size);
}

static void dev_bar_write(struct vcpu *vcpu, void *opaque, int bar,
			  uint64_t offset, unsigned int size, uint64_t value)
{
	struct edu_dev *d = opaque;

	(void)vcpu;
	(void)bar;
	edu_mmio_write(&d->edu, offset, size, value);
}

static const struct edu_ops dev_ops = {
	.dma_read = dev_dma_read, .dma_write = dev_dma_write,
	.now_ns = dev_now, .deadline = dev_deadline, .warn = irqchip_warn,
};

static const struct pcibus_bar_ops dev_bar_ops = {
	.read = dev_bar_read, .write = dev_bar_write,
};

int edu_dev_init(struct vm *vm, void **state)
{
	struct edu_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return err_set(-ENOMEM, "no memory for the edu device");
	*state = d;
	d->vm = vm;
	if (edu_init(&d->edu, &dev_ops, d, NULL))
		return err_set(-EINVAL, "the edu device's PCI function");
	d->timer = timers_add(&vm->irq->timers, dev_fire, d);
	if (d->timer < 0)
		return err_set(-ENOSPC, "no timer left for the edu device");
	return pcibus_add(vm->pci, EDU_DEVFN, &d->edu.pci, &dev_bar_ops, d);
}

void edu_dev_exit(void *state, struct vm *vm)
{
	struct edu_dev *d = state;

	if (!d)
		return;
	if (vm->pci && d->edu.pci.bus)
		pci_bus_remove(&vm->pci->bus, &d->edu.pci);
	edu_destroy(&d->edu);
	free(d);
}

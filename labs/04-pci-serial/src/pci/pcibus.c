/*
 * pcibus.c - the PCI bus in the machine (pcibus.h; book §4.2).
 *
 * The functions are QEMU's `-machine pc` ones, so that a guest sees the
 * same bus on both (guests/README.md, "Lab 04"): the i440FX host bridge,
 * the PIIX3's ISA bridge and IDE, the PIIX4's power management, and
 * pci-testdev; the edu device plugs in from dev/edu.c. The chipset's
 * functions are configuration space only: behind them our VMM has no
 * device, or has it elsewhere (the 8259As, the PIT, the RTC and COM1 are
 * ISA devices on the port bus).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/coalesce.h"
#include "core/err.h"
#include "core/vm.h"
#include "irq/irqchip.h"
#include "mem/memmap.h"
#include "pci/pcibus.h"

#define PCIBUS_SUBSYS_VENDOR	0x1AF4	/* what QEMU gives every function */
#define PCIBUS_SUBSYS_ID	0x1100
#define PIIX3_PIRQ_ROUTE	0x60	/* PIRQ A-D route registers of 00:01.0 */

/* The i440FX host bridge, 00:00.0. */
static const struct pci_desc host_bridge = {
	.vendor = 0x8086, .device = 0x1237, .revision = 0x02,
	.class_code = 0x060000,
	.subsys_vendor = PCIBUS_SUBSYS_VENDOR, .subsys_id = PCIBUS_SUBSYS_ID,
};

/*
 * The other functions of QEMU's pc, with their read-only status bits
 * (DEVSEL timing, fast back-to-back) as QEMU has them.
 */
static const struct {
	uint8_t devfn;
	struct pci_desc d;
} chipset[] = {
	{ PCI_DEVFN(1, 0), {		/* PIIX3 ISA bridge */
		.vendor = 0x8086, .device = 0x7000, .class_code = 0x060100,
		.status = 0x0200,
		.subsys_vendor = PCIBUS_SUBSYS_VENDOR,
		.subsys_id = PCIBUS_SUBSYS_ID } },
	{ PCI_DEVFN(1, 1), {		/* PIIX3 IDE, legacy mode */
		.vendor = 0x8086, .device = 0x7010, .class_code = 0x010180,
		.status = 0x0280,
		.subsys_vendor = PCIBUS_SUBSYS_VENDOR,
		.subsys_id = PCIBUS_SUBSYS_ID,
		.bar = { [4] = { PCI_BAR_IO, 16, false } } } },
	{ PCI_DEVFN(1, 3), {		/* PIIX4 power management */
		.vendor = 0x8086, .device = 0x7113, .revision = 0x03,
		.class_code = 0x068000, .status = 0x0280, .int_pin = 1,
		.subsys_vendor = PCIBUS_SUBSYS_VENDOR,
		.subsys_id = PCIBUS_SUBSYS_ID } },
	{ PCI_DEVFN(3, 0), {		/* QEMU's pci-testdev, membar=2G */
		.vendor = 0x1B36, .device = 0x0005, .class_code = 0x00FF00,
		.subsys_vendor = PCIBUS_SUBSYS_VENDOR,
		.subsys_id = PCIBUS_SUBSYS_ID,
		.bar = {
			[0] = { PCI_BAR_MEM32, 4096, false },
			[1] = { PCI_BAR_IO, 256, false },
			[2] = { PCI_BAR_MEM64, 2ULL << 30, true },
		} } },
};

/* QEMU's firmware routes PIRQ links A-D to ISA IRQs 10, 10, 11, 11. */
static const unsigned int pirq_irq[4] = { 10, 10, 11, 11 };

/* ---- guest memory, for bus masters ---- */

/* Bytes from gpa to the end of its region of the map, or 0 if none. */
static uint64_t dma_run(struct vm *vm, uint64_t gpa, uint64_t len,
			bool write, uint8_t **hva)
{
	const struct memmap *mm = &vm->mem;
	int i = memmap_find(mm, gpa, 1);
	uint64_t n;

	if (i < 0 || !mm->r[i].hva)
		return 0;
	if (write && (mm->r[i].flags & KVM_MEM_READONLY))
		return 0;
	n = mm->r[i].gpa + mm->r[i].size - gpa;
	*hva = mm->r[i].hva + (gpa - mm->r[i].gpa);
	return n < len ? n : len;
}

/* One access of `len` bytes, region by region; the bytes that missed. */
static size_t dma_access(struct vm *vm, uint64_t gpa, uint8_t *buf,
			 size_t len, bool write)
{
	size_t done = 0, missed = 0;
	uint8_t *hva = NULL;
	uint64_t n;

	while (done < len) {
		n = dma_run(vm, gpa + done, len - done, write, &hva);
		if (!n) {
			if (!write)
				buf[done] = 0xFF;
			done++;
			missed++;
			continue;
		}
		if (write)
			memcpy(hva, buf + done, n);
		else
			memcpy(buf + done, hva, n);
		done += n;
	}
	if (vm->pci)
		atomic_fetch_add(&vm->pci->nr_dma, len - missed);
	return missed;
}

size_t pcibus_dma_read(struct vm *vm, uint64_t gpa, void *buf, size_t len)
{
	return dma_access(vm, gpa, buf, len, false);
}

size_t pcibus_dma_write(struct vm *vm, uint64_t gpa, const void *buf,
			size_t len)
{
	return dma_access(vm, gpa, (uint8_t *)buf, len, true);
}

/* ---- the BARs on the VMM's buses ---- */

static uint64_t bar_read(struct vcpu *vcpu, void *opaque, uint64_t offset,
			 unsigned int size)
{
	struct pcibus_bar *b = opaque;
	uint64_t v = 0;

	/* An MSI-X table or PBA in this BAR answers first (pci.h). */
	if (pci_msix_mmio(b->fn->f, b->index, offset, size, &v, false))
		return v;
	return b->fn->ops->read(vcpu, b->fn->opaque, b->index, offset, size);
}

static void bar_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
		      unsigned int size, uint64_t value)
{
	struct pcibus_bar *b = opaque;

	if (pci_msix_mmio(b->fn->f, b->index, offset, size, &value, true))
		return;
	b->fn->ops->write(vcpu, b->fn->opaque, b->index, offset, size, value);
}

static const struct bus_ops bar_bus_ops = {
	.read = bar_read, .write = bar_write,
};

static struct pcibus_fn *fn_of(struct pcibus *pb, struct pci_func *f)
{
	unsigned int i;

	for (i = 0; i < pb->nr_fn; i++)
		if (pb->fn[i].f == f)
			return &pb->fn[i];
	return NULL;
}

static struct bus *bar_bus(struct pcibus *pb, enum pci_bar_type type)
{
	return type == PCI_BAR_IO ? &pb->bars_pio : &pb->bars_mmio;
}

/*
 * The guest put BAR `bar` at [addr, addr + size) with its decode on:
 * its handlers go there. A BAR over another BAR is refused (which of two
 * overlapping BARs answers is not defined); one over the platform's own
 * devices or RAM is registered and answers only where they do not.
 */
/* excerpt: pcibus-bar-map */
static int bar_map(void *opaque, struct pci_func *f, int bar,
		   enum pci_bar_type type, uint64_t addr, uint64_t size)
{
	struct pcibus *pb = opaque;
	struct pcibus_fn *fn = fn_of(pb, f);

	if (!fn || !fn->ops)
		return 0;		/* nothing behind this function's BARs */
	return bus_register(bar_bus(pb, type), addr, size, fn->bar[bar].name,
			    &bar_bus_ops, &fn->bar[bar]) ? -1 : 0;
}
/* end excerpt: pcibus-bar-map */

static void bar_unmap(void *opaque, struct pci_func *f, int bar,
		      enum pci_bar_type type, uint64_t addr, uint64_t size)
{
	struct pcibus *pb = opaque;
	struct pcibus_fn *fn = fn_of(pb, f);

	(void)addr;
	(void)size;
	if (fn && fn->ops)
		bus_unregister(bar_bus(pb, type), &fn->bar[bar], fn->bar[bar].name);
}

/* ---- interrupts: INTx on the ISA IRQs, MSI on the APIC bus ---- */

static void bus_intx(void *opaque, unsigned int irq, int level)
{
	struct pcibus *pb = opaque;

	irqchip_set_line(pb->vm->irq, IRQ_SRC_PCI, irq, level);
}

static void bus_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct pcibus *pb = opaque;

	irqchip_send_msi(pb->vm->irq, addr, data);
}

static const struct pci_bus_ops pcibus_ops = {
	.map = bar_map, .unmap = bar_unmap, .intx = bus_intx, .msi = bus_msi,
	.warn = irqchip_warn,
};

/* ---- configuration space on the port bus and in the ECAM window ---- */

static uint64_t cfg_port_read(struct vcpu *vcpu, void *opaque,
			      uint64_t offset, unsigned int size)
{
	struct pcibus *pb = opaque;

	(void)vcpu;
	atomic_fetch_add(&pb->nr_cfg, 1);
	return pci_io_read(&pb->bus, (uint16_t)(PCI_CONFIG_ADDRESS + offset),
			   size);
}

static void cfg_port_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			   unsigned int size, uint64_t value)
{
	struct pcibus *pb = opaque;

	(void)vcpu;
	atomic_fetch_add(&pb->nr_cfg, 1);
	pci_io_write(&pb->bus, (uint16_t)(PCI_CONFIG_ADDRESS + offset), size,
		     (uint32_t)value);
}

static uint64_t ecam_read(struct vcpu *vcpu, void *opaque, uint64_t offset,
			  unsigned int size)
{
	struct pcibus *pb = opaque;

	(void)vcpu;
	atomic_fetch_add(&pb->nr_cfg, 1);
	return pci_ecam_read(&pb->bus, offset, size);
}

static void ecam_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
		       unsigned int size, uint64_t value)
{
	struct pcibus *pb = opaque;

	(void)vcpu;
	atomic_fetch_add(&pb->nr_cfg, 1);
	pci_ecam_write(&pb->bus, offset, size, (uint32_t)value);
}

static const struct bus_ops cfg_port_ops = {
	.read = cfg_port_read, .write = cfg_port_write,
};
static const struct bus_ops ecam_ops = {
	.read = ecam_read, .write = ecam_write,
};

/* ---- the functions ---- */

int pcibus_add(struct pcibus *pb, uint8_t devfn, struct pci_func *f,
	       const struct pcibus_bar_ops *ops, void *opaque)
{
	struct pcibus_fn *fn;
	int i;

	if (pb->nr_fn == PCIBUS_MAX_FUNCS)
		return err_set(-ENOSPC, "the PCI bus has room for %d functions",
			       PCIBUS_MAX_FUNCS);
	fn = &pb->fn[pb->nr_fn];
	*fn = (struct pcibus_fn){ .f = f, .ops = ops, .opaque = opaque };
	for (i = 0; i < PCI_NUM_BARS; i++) {
		fn->bar[i] = (struct pcibus_bar){ .fn = fn, .index = i };
		snprintf(fn->bar[i].name, sizeof(fn->bar[i].name),
			 "%02x:%02x.%x BAR%d", 0, devfn >> 3, devfn & 7, i);
	}
	pb->nr_fn++;
	if (pci_bus_add(&pb->bus, devfn, f)) {
		pb->nr_fn--;
		return err_set(-EEXIST, "PCI %02x:%02x.%x is taken", 0,
			       devfn >> 3, devfn & 7);
	}
	return 0;
}

/*
 * The chipset: the PIIX3's route registers hold QEMU's firmware's
 * choices, read-only; the PM function's pin is its SCI, IRQ 9.
 */
static int pcibus_chipset(struct pcibus *pb)
{
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(chipset) / sizeof(chipset[0]); i++) {
		if (pci_func_init(&pb->chipset[i], &chipset[i].d, NULL))
			return err_set(-EINVAL, "PCI function %02x: bad description",
				       chipset[i].devfn);
		if (chipset[i].devfn == PCI_DEVFN(1, 0))
			memcpy(&pb->chipset[i].cfg[PIIX3_PIRQ_ROUTE],
			       (const uint8_t[]){ 10, 10, 11, 11 }, 4);
		ret = pcibus_add(pb, chipset[i].devfn, &pb->chipset[i], NULL,
				 NULL);
		if (ret)
			return ret;
	}
	pci_cfg_write(&pb->bus, 0, PCI_DEVFN(1, 3), PCI_INTERRUPT_LINE, 1,
		      PCIBUS_ISA_IRQ_PM);
	return 0;
}

static int pcibus_claim(struct pcibus *pb, struct vm *vm)
{
	int ret;

	bus_set_under(&vm->pio, &pb->bars_pio);
	bus_set_under(&vm->mmio, &pb->bars_mmio);
	ret = bus_register(&vm->pio, PCI_CONFIG_ADDRESS, 8, "PCI configuration",
			   &cfg_port_ops, pb);
	if (!ret)
		ret = bus_register(&vm->mmio, PCIBUS_ECAM_BASE, PCIBUS_ECAM_SIZE,
				   "PCI ECAM", &ecam_ops, pb);
	return ret;
}

int pcibus_init(struct vm *vm, void **state)
{
	struct pcibus *pb = calloc(1, sizeof(*pb));
	int ret;

	if (!pb)
		return err_set(-ENOMEM, "no memory for the PCI bus");
	*state = pb;
	pb->vm = vm;
	bus_init(&pb->bars_pio, "PCI I/O BAR");
	bus_init(&pb->bars_mmio, "PCI memory BAR");
	pci_bus_init(&pb->bus, &pcibus_ops, pb, &host_bridge);
	pci_bus_set_pirq(&pb->bus, pirq_irq);
	vm->pci = pb;
	ret = pcibus_chipset(pb);
	return ret ? ret : pcibus_claim(pb, vm);
}

/*
 * After KVM_CREATE_VM: writes to CONFIG_ADDRESS (0xCF8-0xCFB) queued by
 * KVM rather than exits of their own (src/core/coalesce.c), as QEMU's pc
 * has them; the access to 0xCFC-0xCFF that follows is the exit.
 */
int pcibus_kvm(void *state, struct vm *vm)
{
	(void)state;
	return coalesce_pio(vm, PCI_CONFIG_ADDRESS, 4);
}

/* ---- what firmware does before the guest runs ---- */

struct bar_alloc {
	uint64_t io, mem32, mem64;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Place one BAR, as firmware would: naturally aligned, in its window. */
static void assign_bar(struct pcibus *pb, struct pci_func *f, int i,
		       struct bar_alloc *a, uint16_t *cmd)
{
	const struct pci_bar_desc *bd = &f->bar[i];
	uint16_t reg = (uint16_t)(PCI_BAR0 + 4 * i);
	uint64_t *next, addr;

	if (bd->type == PCI_BAR_IO)
		next = &a->io;
	else if (bd->type == PCI_BAR_MEM64 && bd->prefetchable)
		next = &a->mem64;
	else
		next = &a->mem32;
	addr = align_up(*next, bd->size);
	*next = addr + bd->size;
	*cmd |= bd->type == PCI_BAR_IO ? PCI_CMD_IO : PCI_CMD_MEMORY;
	pci_cfg_write(&pb->bus, 0, f->devfn, reg, 4, (uint32_t)addr);
	if (bd->type == PCI_BAR_MEM64)
		pci_cfg_write(&pb->bus, 0, f->devfn, reg + 4, 4,
			      (uint32_t)(addr >> 32));
}

/* The function at devfn, or NULL. */
static struct pci_func *func_at(struct pcibus *pb, unsigned int devfn)
{
	unsigned int n;

	for (n = 0; n < pb->nr_fn; n++)
		if (pb->fn[n].f->devfn == devfn)
			return pb->fn[n].f;
	return NULL;
}

/*
 * Every BAR of every function, in the bus's order, then the decode of
 * the spaces each function uses turned on; and the ELCR says level for
 * the IRQs the links reach.
 */
int pcibus_start(void *state, struct vm *vm)
{
	struct pcibus *pb = state;
	struct bar_alloc a = { PCIBUS_IO_BASE, PCIBUS_MEM32_BASE,
			       PCIBUS_MEM64_BASE };
	unsigned int devfn, i;
	struct pci_func *f;
	uint16_t cmd;

	for (devfn = 0; devfn < PCI_MAX_DEVFN; devfn++) {
		f = func_at(pb, devfn);
		if (!f)
			continue;
		cmd = 0;
		for (i = 0; i < PCI_NUM_BARS; i++)
			if (f->bar[i].type != PCI_BAR_NONE)
				assign_bar(pb, f, (int)i, &a, &cmd);
		if (cmd)
			pci_cfg_write(&pb->bus, 0, f->devfn, PCI_COMMAND, 2, cmd);
	}
	return irqchip_set_elcr(vm->irq, PCIBUS_LINK_IRQS);
}

/* The bus's functions with a pin, ordered as the bus is. */
unsigned int pcibus_intx_sources(struct pcibus *pb, struct pcibus_intx *out,
				 unsigned int max)
{
	unsigned int devfn, n = 0;
	uint32_t id;
	uint8_t pin;

	for (devfn = 0; devfn < PCI_MAX_DEVFN && n < max; devfn++) {
		id = pci_cfg_read(&pb->bus, 0, (uint8_t)devfn, PCI_VENDOR_ID, 4);
		if (id == 0xFFFFFFFF)
			continue;
		pin = (uint8_t)pci_cfg_read(&pb->bus, 0, (uint8_t)devfn,
					    PCI_INTERRUPT_PIN, 1);
		if (pin < 1 || pin > 4)
			continue;
		out[n++] = (struct pcibus_intx){
			.dev = (uint8_t)(devfn >> 3), .pin = pin,
			.irq = (uint8_t)pci_cfg_read(&pb->bus, 0, (uint8_t)devfn,
						     PCI_INTERRUPT_LINE, 1),
		};
	}
	return n;
}

void pcibus_stats(void *state, FILE *out)
{
	struct pcibus *pb = state;

	fprintf(out, "vmm:   PCI: %llu configuration accesses, %llu bytes moved by bus masters\n",
		(unsigned long long)atomic_load(&pb->nr_cfg),
		(unsigned long long)atomic_load(&pb->nr_dma));
	fprintf(out, "vmm:   PCI: %llu writes to 0xCF8-0xCFB queued by KVM, without an exit\n",
		(unsigned long long)atomic_load(&pb->vm->nr_coalesced));
}

void pcibus_exit(void *state, struct vm *vm)
{
	struct pcibus *pb = state;
	unsigned int i;

	if (!pb)
		return;
	for (i = 0; i < sizeof(chipset) / sizeof(chipset[0]); i++)
		pci_func_destroy(&pb->chipset[i]);
	pci_bus_destroy(&pb->bus);
	bus_set_under(&vm->pio, NULL);
	bus_set_under(&vm->mmio, NULL);
	bus_free(&pb->bars_pio);
	bus_free(&pb->bars_mmio);
	if (vm->pci == pb)
		vm->pci = NULL;
	free(pb);
}

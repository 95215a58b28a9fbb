/* @@ file 03 */
/*
 * mptable.c - the MP table in the BIOS ROM (mptable.h; book §1.4; Intel
 * MultiProcessor Specification 1.4, 4.1-4.3).
 *
 * Firmware tells an operating system about the processors and the
 * interrupt wiring in tables; before ACPI, in these. A floating pointer
 * on a 16-byte boundary in the BIOS ROM, which the guest finds by
 * searching for "_MP_", points at a configuration table: a header, then
 * one entry per processor, bus, I/O APIC and interrupt source, sorted by
 * type. Every byte of each sums to zero.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/vm.h"
#include "cpu/mptable.h"
#include "irq/irqchip.h"
#include "mem/memmap.h"
/* @@ 04 */
#include "pci/pcibus.h"
/* @@ end */

#define MP_FLOATING_LEN		16
#define MP_HEADER_LEN		44
#define MP_CPU_LEN		20
#define MP_ENTRY_LEN		8
#define MP_CPU_EN		0x01
#define MP_CPU_BP		0x02
#define MP_ALL_LAPICS		0xff
#define MP_ISA_IRQS		16
#define MP_CASCADE_IRQ		2
/* @@ 04 */
#define MP_BUS_PCI		1	/* the PCI bus's ID, after the ISA bus */
#define MP_PCI_FLAGS		0x000D	/* level triggered, active high */
/* @@ end */

/* A little-endian writer over the table, which stops at its end. */
struct mp_out {
	uint8_t *p, *end;
	uint16_t entries;	/* entries written */
};

static void put8(struct mp_out *o, uint8_t v)
{
	if (o->p < o->end)
		*o->p = v;
	o->p++;
}

static void put16(struct mp_out *o, uint16_t v)
{
	put8(o, (uint8_t)v);
	put8(o, (uint8_t)(v >> 8));
}

static void put32(struct mp_out *o, uint32_t v)
{
	put16(o, (uint16_t)v);
	put16(o, (uint16_t)(v >> 16));
}

static void puts_n(struct mp_out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put8(o, (uint8_t)s[i]);
}

/* The byte that makes `len` bytes sum to zero (the spec's checksums). */
static uint8_t mp_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* 4.3.1: a processor entry, from CPUID leaf 1. */
static void mp_cpu(struct mp_out *o, const struct mptable_info *mi,
		   unsigned int id)
{
	o->entries++;
	put8(o, MP_PROCESSOR);
	put8(o, (uint8_t)id);
	put8(o, MPTABLE_LAPIC_VERSION);
	put8(o, MP_CPU_EN | (id == 0 ? MP_CPU_BP : 0));
	put32(o, mi->cpu_signature);
	put32(o, mi->cpu_features);
	put32(o, 0);
	put32(o, 0);
}

/* 4.3.4 and 4.3.5: an I/O or a local interrupt assignment. */
static void mp_intr(struct mp_out *o, uint8_t type, uint8_t kind,
		    uint8_t src_irq, uint8_t dest, uint8_t pin)
{
	o->entries++;
	put8(o, type);
	put8(o, kind);
	put16(o, 0);		/* polarity and trigger conform to the bus */
	put8(o, 0);		/* source bus: the ISA bus, ID 0 */
	put8(o, src_irq);
	put8(o, dest);
	put8(o, pin);
}
/* @@ 04 */

/*
 * Lab 04: the PCI bus's entries (4.3.2, and appendix D.3 for a PCI
 * source IRQ: the device in bits 6:2, the pin in 1:0).
 */
static void mp_pci_bus(struct mp_out *o)
{
	o->entries++;
	put8(o, MP_BUS);
	put8(o, MP_BUS_PCI);
	puts_n(o, "PCI   ", 6);
}

static void mp_pci_intr(struct mp_out *o, const struct mptable_pci_irq *p,
			uint8_t ioapic_id)
{
	o->entries++;
	put8(o, MP_IOINTR);
	put8(o, MP_INT);
	put16(o, MP_PCI_FLAGS);
	put8(o, MP_BUS_PCI);
	put8(o, (uint8_t)(p->dev << 2 | (p->pin - 1)));
	put8(o, ioapic_id);
	put8(o, p->irq);
}
/* @@ end */

/* The entries, in the order of their types (4.3). */
static void mp_entries(struct mp_out *o, const struct mptable_info *mi)
{
	unsigned int i;

	for (i = 0; i < mi->nr_cpus; i++)
		mp_cpu(o, mi, i);
	o->entries++;
	put8(o, MP_BUS);
	put8(o, 0);
	puts_n(o, "ISA   ", 6);
	/* @@ 04 */
	if (mi->nr_pci)
		mp_pci_bus(o);
	/* @@ end */
	o->entries++;
	put8(o, MP_IOAPIC);
	put8(o, mi->ioapic_id);
	put8(o, MPTABLE_IOAPIC_VERSION);
	put8(o, 0x01);		/* EN */
	put32(o, mi->ioapic_addr);
	/* The 8259A's INTR on pin 0, then each ISA IRQ (IRQ 0 on pin 2). */
	mp_intr(o, MP_IOINTR, MP_EXTINT, 0, mi->ioapic_id, 0);
	for (i = 0; i < MP_ISA_IRQS; i++)
		/* @@ ..03 */
		if (i != MP_CASCADE_IRQ)
		/* @@ else */
		if (i != MP_CASCADE_IRQ && !(mi->pci_isa_irqs & (1u << i)))
		/* @@ end */
			mp_intr(o, MP_IOINTR, MP_INT, (uint8_t)i, mi->ioapic_id,
				(uint8_t)(i == 0 ? 2 : i));
	/* @@ 04 */
	for (i = 0; i < mi->nr_pci; i++)
		mp_pci_intr(o, &mi->pci[i], mi->ioapic_id);
	/* @@ end */
	mp_intr(o, MP_LINTR, MP_EXTINT, 0, MP_ALL_LAPICS, 0);
	mp_intr(o, MP_LINTR, MP_NMI, 0, MP_ALL_LAPICS, 1);
}

/*
 * The floating pointer at `buf` (guest-physical `gpa`, 16-byte aligned)
 * and the configuration table right after it. Returns the bytes used,
 * or -ENOSPC when they do not fit in `len`.
 */
int mptable_build(uint8_t *buf, size_t len, uint32_t gpa,
		  const struct mptable_info *mi)
{
	uint8_t *cfg = buf + MP_FLOATING_LEN;
	struct mp_out o = { .p = cfg + MP_HEADER_LEN, .end = buf + len };
	uint16_t entries, cfg_len;

	if (len < MP_FLOATING_LEN + MP_HEADER_LEN)
		return -ENOSPC;
	memset(buf, 0, len);
	mp_entries(&o, mi);
	if (o.p > o.end)
		return -ENOSPC;
	entries = o.entries;
	cfg_len = (uint16_t)(o.p - cfg);

	o = (struct mp_out){ .p = cfg, .end = cfg + MP_HEADER_LEN };
	puts_n(&o, "PCMP", 4);
	put16(&o, cfg_len);
	put8(&o, MPTABLE_SPEC_REV);
	put8(&o, 0);		/* the checksum, below */
	puts_n(&o, "VMMLAB  ", 8);
	puts_n(&o, "VMMLAB      ", 12);
	put32(&o, 0);		/* no OEM table */
	put16(&o, 0);
	put16(&o, entries);
	put32(&o, mi->lapic_addr);
	put16(&o, 0);		/* no extended table */
	put8(&o, 0);
	put8(&o, 0);
	cfg[7] = mp_checksum(cfg, cfg_len);

	o = (struct mp_out){ .p = buf, .end = cfg };
	puts_n(&o, "_MP_", 4);
	put32(&o, gpa + MP_FLOATING_LEN);
	put8(&o, 1);		/* 16 bytes */
	put8(&o, MPTABLE_SPEC_REV);
	put8(&o, 0);		/* the checksum, below */
	put8(&o, 0);		/* feature 1: a configuration table follows */
	put8(&o, 0);		/* feature 2: IMCRP clear, virtual wire mode */
	buf[10] = mp_checksum(buf, MP_FLOATING_LEN);
	return MP_FLOATING_LEN + cfg_len;
}

/* The place in the ROM must be free: the BIOS image leaves it zero. */
int mptable_init(struct vm *vm, void **state)
{
	uint8_t *p = memmap_hva(&vm->mem, MPTABLE_GPA, MPTABLE_MAX);
	unsigned int i;

	*state = NULL;
	if (!p)
		return err_set(-EINVAL, "the memory map has no BIOS ROM for the MP table");
	for (i = 0; i < MPTABLE_MAX; i++)
		if (p[i])
			return err_set(-EINVAL, "the BIOS image uses the MP table's place at 0x%x",
				       MPTABLE_GPA);
	return 0;
}

/* @@ 04 */
/* The PCI bus's INTx sources, as the MP table gives them. */
static unsigned int mptable_pci(struct pcibus *pb, struct mptable_pci_irq *out,
				unsigned int max)
{
	struct pcibus_intx src[PCIBUS_MAX_FUNCS];
	unsigned int i, n = pcibus_intx_sources(pb, src, PCIBUS_MAX_FUNCS);

	for (i = 0; i < n && i < max; i++)
		out[i] = (struct mptable_pci_irq){ src[i].dev, src[i].pin,
						   src[i].irq };
	return i;
}

/* @@ end */
/* Once the vCPUs exist: the processor entries carry their CPUID. */
int mptable_start(void *state, struct vm *vm)
{
	struct mptable_info mi = {
		.nr_cpus = vm->nr_vcpus,
		.ioapic_id = IRQCHIP_IOAPIC_ID(vm->nr_vcpus),
		.ioapic_addr = IOAPIC_BASE_DEFAULT,
		.lapic_addr = LAPIC_BASE_DEFAULT,
	};
	uint8_t *p = memmap_hva(&vm->mem, MPTABLE_GPA, MPTABLE_MAX);
	struct kvm_cpuid_entry2 leaf1;
	/* @@ 04 */
	struct mptable_pci_irq pci[PCIBUS_MAX_FUNCS];
	/* @@ end */
	int ret;

	(void)state;
	/* @@ 04 */
	if (vm->pci) {
		mi.nr_pci = mptable_pci(vm->pci, pci, PCIBUS_MAX_FUNCS);
		mi.pci = pci;
		mi.pci_isa_irqs = PCIBUS_LINK_IRQS;
	}
	/* @@ end */
	ret = vcpu_cpuid_entry(&vm->vcpus[0], 1, &leaf1);
	if (ret)
		return err_set(ret, "the MP table: no CPUID leaf 1: %s",
			       strerror(-ret));
	mi.cpu_signature = leaf1.eax;
	mi.cpu_features = leaf1.edx;
	ret = mptable_build(p, MPTABLE_MAX, MPTABLE_GPA, &mi);
	return ret < 0 ? err_set(ret, "the MP table does not fit in %d bytes",
				 MPTABLE_MAX) : 0;
}

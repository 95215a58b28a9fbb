/* @@ file 03 */
/*
 * mptable.h - the Intel MultiProcessor Specification's tables (version
 * 1.4, chapter 4), by which a guest finds its processors, its I/O APIC
 * and how the ISA interrupts reach them (book §1.4). The layout is in
 * guests/README.md, "Lab 03: interrupts".
 */
#ifndef VMM_MPTABLE_H
#define VMM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

struct vm;

#define MPTABLE_GPA		0xf8000U	/* in the BIOS ROM (4.1) */
#define MPTABLE_MAX		512		/* bytes kept for it there */
#define MPTABLE_SPEC_REV	4		/* version 1.4 */
#define MPTABLE_LAPIC_VERSION	0x14		/* the xAPIC's, ours and KVM's */
#define MPTABLE_IOAPIC_VERSION	0x11		/* the 82093AA's, ours and KVM's */

/* Entry types (4.3) and the interrupt types of entries 3 and 4 (4.3.4). */
enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_IOINTR, MP_LINTR };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

/* @@ 04 */
/* Lab 04: a PCI function's INTx pin and the I/O APIC pin it reaches. */
struct mptable_pci_irq {
	uint8_t dev, pin, irq;		/* pin 1-4 is INTA-INTD */
};

/* @@ end */
struct mptable_info {
	unsigned int nr_cpus;		/* APIC IDs 0..nr_cpus-1, 0 the BSP */
	uint32_t cpu_signature;		/* CPUID leaf 1 EAX */
	uint32_t cpu_features;		/* CPUID leaf 1 EDX */
	uint8_t ioapic_id;
	uint32_t ioapic_addr;
	uint32_t lapic_addr;
	/* @@ 04 */
	const struct mptable_pci_irq *pci;	/* the PCI bus's INTx, if any */
	unsigned int nr_pci;
	uint16_t pci_isa_irqs;		/* ISA IRQs the PCI links take */
	/* @@ end */
};

int mptable_build(uint8_t *buf, size_t len, uint32_t gpa,
		  const struct mptable_info *mi);
int mptable_init(struct vm *vm, void **state);
int mptable_start(void *state, struct vm *vm);

#endif

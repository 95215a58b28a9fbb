/*
 * pcibus.h - the PCI bus in the machine (book §4.2): the bus of pci.c on
 * the ports 0xCF8-0xCFF and the ECAM window, the functions QEMU's pc
 * machine has (guests/README.md, "Lab 04"), the BARs' handlers on the
 * VMM's buses, INTx and MSI into lab 03's interrupt controllers, and a
 * bus master's reads and writes of guest memory.
 *
 * A device plugs in with pcibus_add(): its function, and the handlers of
 * its BARs, which pcibus.c registers where the guest puts each BAR and
 * takes away when it moves or its decode is turned off. The BARs live on
 * buses of their own, under the VMM's port and MMIO buses (bus.h,
 * bus_set_under()): the platform's devices, RAM and the ECAM window take
 * precedence over a BAR placed on them.
 *
 * Locking: the PCI bus's lock (pci.h) guards the configuration space;
 * the map and unmap callbacks take the BAR buses' locks inside it, and
 * intx and msi go on into the interrupt controllers (src/irq/irqchip.h).
 * The rest of struct pcibus is written by init and start only.
 */
#ifndef VMM_PCIBUS_H
#define VMM_PCIBUS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/bus.h"
#include "pci/pci.h"

#define PCIBUS_ECAM_BASE	0xE0000000ULL	/* 256 MiB: buses 0-255 */
#define PCIBUS_ECAM_SIZE	0x10000000ULL
#define PCIBUS_IO_BASE		0xC000u		/* firmware's I/O BARs from here */
#define PCIBUS_MEM32_BASE	0xC0000000ULL	/* 32-bit memory BARs */
#define PCIBUS_MEM64_BASE	0x4000000000ULL	/* 64-bit prefetchable: 256 GiB */
#define PCIBUS_ISA_IRQ_PM	9		/* the PIIX4 PM function's SCI */
#define PCIBUS_LINK_IRQS	((1u << 10) | (1u << 11))	/* the links' IRQs */
#define PCIBUS_MAX_FUNCS	16

struct vm;
struct vcpu;

/* A device's BAR handlers: `bar` is the BAR's number, offset from its base. */
struct pcibus_bar_ops {
	uint64_t (*read)(struct vcpu *vcpu, void *opaque, int bar,
			 uint64_t offset, unsigned int size);
	void (*write)(struct vcpu *vcpu, void *opaque, int bar,
		      uint64_t offset, unsigned int size, uint64_t value);
};

struct pcibus_fn;

/* One BAR's region on a BAR bus: (this, name) names it there. */
struct pcibus_bar {
	struct pcibus_fn *fn;
	int index;
	char name[24];			/* "00:02.0 BAR0" */
};

/* A function on the bus and who answers its BARs (NULL ops: nobody). */
struct pcibus_fn {
	struct pci_func *f;
	const struct pcibus_bar_ops *ops;
	void *opaque;
	struct pcibus_bar bar[PCI_NUM_BARS];
};

/* An INTx source for the MP table: a function's pin and the IRQ it reaches. */
struct pcibus_intx {
	uint8_t dev, pin, irq;
};

struct pcibus {
	struct vm *vm;
	struct pci_bus bus;
	struct bus bars_pio;		/* under vm->pio */
	struct bus bars_mmio;		/* under vm->mmio */
	struct pcibus_fn fn[PCIBUS_MAX_FUNCS];
	unsigned int nr_fn;
	struct pci_func chipset[4];	/* 00:01.0, 01.1, 01.3; 03.0 */
	atomic_ullong nr_cfg;		/* configuration accesses */
	atomic_ullong nr_dma;		/* bus-master bytes moved */
	uint32_t warned;
};

int pcibus_init(struct vm *vm, void **state);
int pcibus_kvm(void *state, struct vm *vm);
int pcibus_start(void *state, struct vm *vm);
void pcibus_stats(void *state, FILE *out);
void pcibus_exit(void *state, struct vm *vm);

/* A device's function at devfn, and its BAR handlers (ops may be NULL). */
int pcibus_add(struct pcibus *pb, uint8_t devfn, struct pci_func *f,
	       const struct pcibus_bar_ops *ops, void *opaque);

/* The INTx sources of bus 0, for the MP table: how many there are. */
unsigned int pcibus_intx_sources(struct pcibus *pb, struct pcibus_intx *out,
				 unsigned int max);

/*
 * A bus master's access to guest memory at [gpa, gpa + len): each byte
 * that is memory is read or written (the ROM is read, never written), a
 * byte that is not reads all ones and is not written. Returns the bytes
 * that were not memory.
 */
size_t pcibus_dma_read(struct vm *vm, uint64_t gpa, void *buf, size_t len);
size_t pcibus_dma_write(struct vm *vm, uint64_t gpa, const void *buf,
			size_t len);

#endif

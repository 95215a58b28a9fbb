/*
 * pci.h - a PCI bus 0: configuration mechanism #1 (0xCF8/0xCFC-0xCFF) and
 * ECAM, type 0 configuration headers with per-byte write masks and
 * write-1-to-clear bits, BARs, INTx routed as the PIIX3 routes it, MSI
 * and MSI-X (book §4.2; PCI Local Bus Specification 3.0 §3.2.2.3.2 and
 * §6: "Configuration Space", "Base Addresses", "Message Signaled
 * Interrupts"; PCI Express Base for ECAM). The platform it is part of
 * is in guests/README.md, "Lab 04".
 *
 * A function embeds a struct pci_func, fills a struct pci_desc, calls
 * pci_func_init() and pci_bus_add(). The bus owns every configuration
 * byte; the device asks it (pci_set_irq, pci_msi_notify, pci_bus_master)
 * and the owner (src/pci/pcibus.c) is told of decode changes through
 * map/unmap.
 *
 * Locking: struct pci_bus has one mutex; it guards the bus and every
 * struct pci_func on it. Every public function here takes it. A device
 * calls pci_set_irq/pci_msi_notify/pci_msix_notify/pci_bus_master WITH
 * its own lock held, so the order is: device -> PCI bus -> the owner's
 * callbacks (GSI router -> I/O APIC/PIC -> local APIC). The callbacks
 * map, unmap, command, intx, msi and warn run WITH the bus lock held:
 * they must not call back into the bus or into any device on it
 * (map/unmap only move handlers on the VMM's buses; intx/msi go to the
 * interrupt models).
 * The bus never calls a device.
 */
#ifndef VMM_PCI_H
#define VMM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "irq/irqwarn.h"

#define PCI_CONFIG_ADDRESS	0xCF8
#define PCI_CONFIG_DATA		0xCFC
#define PCI_CF8_ENABLE		0x80000000u

/* Configuration header (type 0). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_CACHE_LINE_SIZE	0x0C
#define PCI_LATENCY_TIMER	0x0D
#define PCI_HEADER_TYPE		0x0E
#define PCI_BIST		0x0F
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2C
#define PCI_SUBSYSTEM_ID	0x2E
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3C
#define PCI_INTERRUPT_PIN	0x3D

#define PCI_CMD_IO		0x0001
#define PCI_CMD_MEMORY		0x0002
#define PCI_CMD_MASTER		0x0004
#define PCI_CMD_PARITY		0x0040
#define PCI_CMD_SERR		0x0100
#define PCI_CMD_INTX_DISABLE	0x0400
/* The command bits a function keeps (QEMU's mask, 0x0507); the others read 0. */
#define PCI_CMD_WRITABLE	(PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER | \
				 PCI_CMD_SERR | PCI_CMD_INTX_DISABLE)

#define PCI_STATUS_INTERRUPT	0x0008
#define PCI_STATUS_CAP_LIST	0x0010
#define PCI_STATUS_W1C		0xF900	/* bits 8, 11-15 */

#define PCI_BAR_IO_FLAG		0x1
#define PCI_BAR_MEM64_FLAG	0x4
#define PCI_BAR_PREFETCH_FLAG	0x8

#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_MSIX		0x11

#define PCI_MSI_FLAGS_ENABLE	0x0001
#define PCI_MSI_FLAGS_QMASK	0x000E	/* multiple message capable */
#define PCI_MSI_FLAGS_QSIZE	0x0070	/* multiple message enable */
#define PCI_MSI_FLAGS_64BIT	0x0080
#define PCI_MSI_FLAGS_MASKBIT	0x0100

#define PCI_MSIX_FLAGS_QSIZE	0x07FF
#define PCI_MSIX_FLAGS_MASKALL	0x4000
#define PCI_MSIX_FLAGS_ENABLE	0x8000
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1

#define PCI_NUM_BARS		6
#define PCI_DEVFN(dev, fn)	((uint8_t)(((dev) << 3) | (fn)))
#define PCI_MAX_DEVFN		256
#define PCI_MSIX_MAX		2048

enum pci_bar_type {
	PCI_BAR_NONE = 0,
	PCI_BAR_IO,		/* 4..256 bytes, 16-bit port space */
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,		/* takes this BAR and the next */
};

struct pci_bar_desc {
	enum pci_bar_type type;
	uint64_t size;		/* power of two; MEM >= 16, IO 4..256 */
	bool prefetchable;	/* memory only */
};

/* What a function is; everything here is read-only to the guest. */
struct pci_desc {
	uint16_t vendor, device;
	uint8_t revision;
	uint32_t class_code;		/* base << 16 | sub << 8 | prog-if */
	uint16_t status;		/* read-only status bits (DEVSEL timing...) */
	uint16_t subsys_vendor, subsys_id;
	uint8_t int_pin;		/* 0 none, 1-4 INTA-INTD */
	struct pci_bar_desc bar[PCI_NUM_BARS];
	/* MSI: msi_vectors 0 (none), 1, 2, 4, 8, 16 or 32. */
	unsigned int msi_vectors;
	bool msi_64bit, msi_maskbit;
	/* MSI-X: msix_vectors 0 (none) or 1-2048, table and PBA in BARs. */
	unsigned int msix_vectors;
	uint8_t msix_table_bar, msix_pba_bar;
	uint32_t msix_table_off, msix_pba_off;	/* 8-byte aligned */
	bool pcie;			/* 4 KiB configuration space */
};

struct pci_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct pci_bus;

struct pci_func {
	struct pci_bus *bus;		/* set by pci_bus_add */
	uint8_t devfn;
	unsigned int cfg_size;		/* 256 or 4096 */
	uint8_t cfg[4096];
	uint8_t wmask[256];		/* writable bits */
	uint8_t w1c[256];		/* write-1-to-clear bits */
	struct pci_bar_desc bar[PCI_NUM_BARS];
	bool bar_mapped[PCI_NUM_BARS];
	uint64_t bar_addr[PCI_NUM_BARS];	/* where it is mapped */
	uint8_t msi_cap, msix_cap;	/* offsets, 0 if absent */
	unsigned int msi_vectors;
	uint32_t msi_pending;		/* masked vectors that fired */
	unsigned int msix_vectors;
	struct pci_msix_entry *msix;
	uint32_t *msix_pba;
	int irq_level;			/* the device's INTx pin */
	bool intx_asserted;		/* as seen by the bus */
	void *dev;			/* the device, for the owner */
};

struct pci_bus_ops {
	/*
	 * BAR `bar` of `f` now decodes [addr, addr+size) in I/O
	 * (PCI_BAR_IO) or memory space. Return 0, or -1 to refuse (an
	 * overlap with RAM or another BAR): the BAR then stays unmapped
	 * until the guest writes it or its command register again.
	 */
	int (*map)(void *opaque, struct pci_func *f, int bar,
		   enum pci_bar_type type, uint64_t addr, uint64_t size);
	void (*unmap)(void *opaque, struct pci_func *f, int bar,
		      enum pci_bar_type type, uint64_t addr, uint64_t size);
	/* The OR of the INTx lines routed to `gsi` changed (several
	 * PIRQ links may share a GSI: this is their OR too). */
	void (*intx)(void *opaque, unsigned int gsi, int level);
	/* The command register changed (optional): bus master, INTx
	 * disable... The decode bits' effects come through map/unmap. */
	void (*command)(void *opaque, struct pci_func *f, uint16_t old_cmd,
			uint16_t new_cmd);
	/* A memory write of `data` (32 bits) at `addr`: an MSI. */
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);
	irqwarn_fn *warn;
};

struct pci_bus {
	pthread_mutex_t lock;
	uint32_t cf8;
	uint64_t ecam_size;		/* bytes of the ECAM window */
	struct pci_func host;		/* 00:00.0 */
	struct pci_func *fn[PCI_MAX_DEVFN];
	unsigned int pirq_gsi[4];	/* PIRQ A-D */
	unsigned int pirq_count[4];	/* functions asserting each */
	uint32_t gsi_up;		/* GSIs < 32 the bus drives high */
	struct pci_bus_ops ops;
	void *opaque;
	uint32_t warned;
};

/*
 * The bus with its host bridge `host` at 00:00.0; PIRQ A-D to GSI 16-19
 * until pci_bus_set_pirq(); an ECAM window of 256 MiB (buses 0-255, only
 * bus 0 populated).
 */
void pci_bus_init(struct pci_bus *b, const struct pci_bus_ops *ops,
		  void *opaque, const struct pci_desc *host);
void pci_bus_destroy(struct pci_bus *b);
/* Route PIRQ A-D (the swizzle's output 0-3) to these GSIs, and rewrite
 * the interrupt line registers to match; before the guest runs. */
void pci_bus_set_pirq(struct pci_bus *b, const unsigned int gsi[4]);

/*
 * Build f's configuration space from d. Returns 0, or -1 (and f is
 * unusable) for a description the hardware could not have: a BAR size
 * that is not a power of two or out of range, a 64-bit BAR in slot 5,
 * MSI-X tables outside their BAR or overlapping, capabilities that do
 * not fit. `dev` is the owner's pointer, kept in f->dev.
 */
int pci_func_init(struct pci_func *f, const struct pci_desc *d, void *dev);
void pci_func_destroy(struct pci_func *f);

/*
 * Put f at devfn on bus 0 (not 0, the host bridge): 0 or -1 if taken.
 * Sets the interrupt line register to the GSI its pin swizzles to (as
 * firmware would; 0xFF if it has no pin) and the multi-function bit of
 * function 0 when a function > 0 shares its device number.
 */
int pci_bus_add(struct pci_bus *b, uint8_t devfn, struct pci_func *f);
/* Take f off the bus: unmaps its BARs, drops its INTx. */
void pci_bus_remove(struct pci_bus *b, struct pci_func *f);

/*
 * The routing: on bus 0, INTx pin p (1-4) of device d reaches PIRQ link
 * (d + p - 2) mod 4, as the PIIX3 wires its slots. Returns the link's
 * GSI, or -1 for no pin. `mp_irq` (if not NULL) gets the MP table's
 * source bus IRQ for the entry, dev << 2 | (pin - 1).
 */
int pci_intx_gsi(struct pci_bus *b, uint8_t devfn, uint8_t pin,
		 uint8_t *mp_irq);

/* Ports 0xCF8-0xCFF, size 1, 2 or 4 (the data port's bytes past 0xCFF
 * read as all ones and are dropped on write). */
uint32_t pci_io_read(struct pci_bus *b, uint16_t port, unsigned int size);
void pci_io_write(struct pci_bus *b, uint16_t port, unsigned int size,
		  uint32_t val);

/* ECAM: `offset` into the window = bus << 20 | dev << 15 | fn << 12 | reg,
 * size 1, 2 or 4. */
uint32_t pci_ecam_read(struct pci_bus *b, uint64_t offset, unsigned int size);
void pci_ecam_write(struct pci_bus *b, uint64_t offset, unsigned int size,
		    uint32_t val);

/* Configuration access by bus/devfn/register, as either path does. */
uint32_t pci_cfg_read(struct pci_bus *b, uint8_t bus, uint8_t devfn,
		      uint16_t reg, unsigned int size);
void pci_cfg_write(struct pci_bus *b, uint8_t bus, uint8_t devfn,
		   uint16_t reg, unsigned int size, uint32_t val);

/* Device side (see the lock rule above). */
void pci_set_irq(struct pci_func *f, int level);
bool pci_bus_master(struct pci_func *f);
bool pci_msi_enabled(struct pci_func *f);
bool pci_msix_enabled(struct pci_func *f);
/*
 * Signal MSI vector `v` (below the enabled count) or MSI-X entry `v`.
 * Returns 1 if sent, 0 if held pending (masked), -1 if not enabled or
 * out of range.
 */
int pci_msi_notify(struct pci_func *f, unsigned int v);
int pci_msix_notify(struct pci_func *f, unsigned int v);

/*
 * The MSI-X table and PBA inside a BAR: if [offset, offset+size) of BAR
 * `bar` is the table or PBA, do the access (read into *val, or write
 * *val) and return true; false means the device's own register. The
 * owner calls this first for every access to a BAR of a function that
 * has MSI-X. Dword and aligned qword accesses only (others: reads all
 * ones, writes dropped, warned once).
 */
bool pci_msix_mmio(struct pci_func *f, int bar, uint64_t offset,
		   unsigned int size, uint64_t *val, bool write);

#endif

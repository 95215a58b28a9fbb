/*
 * PCI configuration space for the lab 04 guests (PCI Local Bus
 * Specification 3.0, chapter 6; PCI Express Base Specification, 7.2.2 for
 * the memory-mapped window). Configuration mechanism #1 (3.2.2.3.2): a
 * 4-byte write of the enable bit, bus, device, function and dword offset
 * to CONFIG_ADDRESS at 0xCF8, then an access of 1, 2 or 4 bytes at
 * CONFIG_DATA, 0xCFC + (offset & 3). ECAM: bus << 20 | device << 15 |
 * function << 12 | offset from the window's base. Book section 4.2.
 */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <stdint.h>

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_CONFIG_ENABLE	0x80000000u

/* The platform's ECAM window for bus 0 (guests/README.md, lab 04). */
#ifndef PCI_ECAM_BASE
#define PCI_ECAM_BASE		0xe0000000u
#endif

/* A function's address: bus << 8 | device << 3 | function. */
#define PCI_BDF(bus, dev, fn)	((bus) << 8 | (dev) << 3 | (fn))
#define PCI_BUS(bdf)		((bdf) >> 8 & 0xff)
#define PCI_DEV(bdf)		((bdf) >> 3 & 0x1f)
#define PCI_FN(bdf)		((bdf) & 7)

/* The type 0 header (6.1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION		0x08
#define PCI_CLASS_PROG		0x09	/* then subclass 0x0a, class 0x0b */
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYS_VENDOR	0x2c
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAP_PTR		0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_CMD_IO		(1u << 0)
#define PCI_CMD_MEMORY		(1u << 1)
#define PCI_CMD_MASTER		(1u << 2)
#define PCI_CMD_INTX_DISABLE	(1u << 10)
#define PCI_STATUS_INTX		(1u << 3)	/* interrupt status, RO */
#define PCI_STATUS_CAP_LIST	(1u << 4)
#define PCI_HEADER_MULTI	0x80

/* BAR low bits (6.2.5.1). */
#define PCI_BAR_IO		0x1
#define PCI_BAR_MEM_TYPE	0x6	/* 0: 32-bit, 4: 64-bit */
#define PCI_BAR_MEM_64		0x4
#define PCI_BAR_PREFETCH	0x8

/* Capability IDs (PCI Code and ID Assignment Specification). */
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_MSIX		0x11
/* The MSI capability (6.8.1): control, address (64-bit: +8 upper), data. */
#define PCI_MSI_CONTROL		0x02
#define PCI_MSI_ADDR_LO		0x04
#define PCI_MSI_ADDR_HI		0x08
#define PCI_MSI_CTRL_ENABLE	(1u << 0)
#define PCI_MSI_CTRL_64BIT	(1u << 7)
#define PCI_MSI_CTRL_MASKBIT	(1u << 8)

uint32_t pci_read32(unsigned int bdf, unsigned int off);
uint16_t pci_read16(unsigned int bdf, unsigned int off);
uint8_t pci_read8(unsigned int bdf, unsigned int off);
void pci_write32(unsigned int bdf, unsigned int off, uint32_t v);
void pci_write16(unsigned int bdf, unsigned int off, uint16_t v);
void pci_write8(unsigned int bdf, unsigned int off, uint8_t v);

/* The same through the ECAM window at `base`, 1, 2 or 4 bytes. */
static inline volatile void *pci_ecam(uint32_t base, unsigned int bdf,
				      unsigned int off)
{
	return (volatile void *)(base + ((uint32_t)bdf << 12) + off);
}

/* The first function with these IDs on bus 0, or -1. */
int pci_find(uint16_t vendor, uint16_t device);

/*
 * What BAR `i` decodes, found by the all-ones write (6.2.5.1): decode off
 * in the command register, the old value saved, all ones written, the
 * size read back, the old value and the command register restored. A
 * 64-bit BAR takes BAR i and i + 1.
 */
struct pci_bar {
	int io;			/* an I/O BAR */
	int is64;		/* a 64-bit memory BAR */
	int prefetch;
	uint64_t size;		/* 0: not implemented */
	uint64_t addr;		/* what it held (firmware's, or ours) */
};
void pci_bar_probe(unsigned int bdf, unsigned int i, struct pci_bar *bar);

/* The offset of the first capability with this ID, or 0. */
unsigned int pci_find_cap(unsigned int bdf, unsigned int id);

#endif

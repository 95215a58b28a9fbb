/*
 * PCI configuration mechanism #1 and the helpers built on it (see pci.h).
 * Book section 4.2.
 */
#include "io.h"
#include "pci.h"

static void pci_select(unsigned int bdf, unsigned int off)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | (uint32_t)bdf << 8 | (off & 0xfc));
}

uint32_t pci_read32(unsigned int bdf, unsigned int off)
{
	pci_select(bdf, off);
	return inl(PCI_CONFIG_DATA);
}

uint16_t pci_read16(unsigned int bdf, unsigned int off)
{
	pci_select(bdf, off);
	return inw(PCI_CONFIG_DATA + (off & 2));
}

uint8_t pci_read8(unsigned int bdf, unsigned int off)
{
	pci_select(bdf, off);
	return inb(PCI_CONFIG_DATA + (off & 3));
}

void pci_write32(unsigned int bdf, unsigned int off, uint32_t v)
{
	pci_select(bdf, off);
	outl(PCI_CONFIG_DATA, v);
}

void pci_write16(unsigned int bdf, unsigned int off, uint16_t v)
{
	pci_select(bdf, off);
	outw(PCI_CONFIG_DATA + (off & 2), v);
}

void pci_write8(unsigned int bdf, unsigned int off, uint8_t v)
{
	pci_select(bdf, off);
	outb(PCI_CONFIG_DATA + (off & 3), v);
}

int pci_find(uint16_t vendor, uint16_t device)
{
	uint32_t want = (uint32_t)device << 16 | vendor;
	unsigned int bdf;

	for (bdf = 0; bdf < 256; bdf++)
		if (pci_read32(bdf, PCI_VENDOR_ID) == want)
			return bdf;
	return -1;
}

static uint64_t bar_size(uint64_t mask)
{
	return mask ? mask & -mask : 0;	/* the lowest writable address bit */
}

void pci_bar_probe(unsigned int bdf, unsigned int i, struct pci_bar *bar)
{
	unsigned int off = PCI_BAR0 + 4 * i;
	uint16_t cmd = pci_read16(bdf, PCI_COMMAND);
	uint32_t old = pci_read32(bdf, off), lo, old_hi = 0, hi = 0;
	uint64_t mask;

	pci_write16(bdf, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
	pci_write32(bdf, off, 0xffffffff);
	lo = pci_read32(bdf, off);
	pci_write32(bdf, off, old);
	bar->io = old & PCI_BAR_IO;
	bar->is64 = !bar->io && (old & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64 && i < 5;
	bar->prefetch = !bar->io && (old & PCI_BAR_PREFETCH);
	if (bar->is64) {
		old_hi = pci_read32(bdf, off + 4);
		pci_write32(bdf, off + 4, 0xffffffff);
		hi = pci_read32(bdf, off + 4);
		pci_write32(bdf, off + 4, old_hi);
	}
	pci_write16(bdf, PCI_COMMAND, cmd);
	if (bar->io) {
		/* Bits 31:16 of an I/O BAR may be hardwired to 0 (6.2.5.1). */
		mask = (lo | 0xffff0000u) & ~3u;
		bar->size = lo ? bar_size(mask) : 0;
		bar->addr = old & ~3u;
		return;
	}
	mask = (uint64_t)hi << 32 | (lo & ~0xfu);
	if (!bar->is64)
		mask |= 0xffffffff00000000ull;
	bar->size = (lo & ~0xfu) || hi ? bar_size(mask) : 0;
	bar->addr = (uint64_t)old_hi << 32 | (old & ~0xfu);
}

unsigned int pci_find_cap(unsigned int bdf, unsigned int id)
{
	unsigned int off, n;

	if (!(pci_read16(bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = pci_read8(bdf, PCI_CAP_PTR) & 0xfc;
	for (n = 0; off >= 0x40 && n < 48; n++) {
		if (pci_read8(bdf, off) == id)
			return off;
		off = pci_read8(bdf, off + 1) & 0xfc;
	}
	return 0;
}

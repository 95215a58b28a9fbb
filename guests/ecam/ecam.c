/*
 * ecam: the memory-mapped configuration window (book section 4.2; PCI
 * Express Base Specification, 7.2.2): function (bus, dev, fn)'s 4 KiB of
 * configuration space at PCI_ECAM_BASE + (bus << 20 | dev << 15 | fn <<
 * 12). The same registers as configuration mechanism #1:
 *  - every function mechanism #1 finds on bus 0 reads the same 256 bytes
 *    through the window, by dwords, and by words and bytes at every
 *    offset of its first 64 bytes;
 *  - a function that does not exist, and a bus that does not, read all
 *    ones;
 *  - writes through either reach the same register: the edu device's
 *    interrupt line (read/write) and BAR0's size (all ones written
 *    through the window, read back by mechanism #1).
 * Our platform's window is at 0xE0000000 (guests/README.md, lab 04); QEMU's
 * -machine pc has none, so ecam-q35, built with PCI_ECAM_BASE=0xB0000000,
 * checks this transcript on -machine q35, whose window is there.
 */
#include "check.h"
#include "console.h"
#include "edu.h"
#include "pci.h"
#include "platform.h"

void guest_main(void);

static uint32_t e32(unsigned int bdf, unsigned int off)
{
	return *(volatile uint32_t *)pci_ecam(PCI_ECAM_BASE, bdf, off);
}

static uint16_t e16(unsigned int bdf, unsigned int off)
{
	return *(volatile uint16_t *)pci_ecam(PCI_ECAM_BASE, bdf, off);
}

static uint8_t e8(unsigned int bdf, unsigned int off)
{
	return *(volatile uint8_t *)pci_ecam(PCI_ECAM_BASE, bdf, off);
}

/* Registers that differ between the two mechanisms, in one function. */
static unsigned int compare(unsigned int bdf)
{
	unsigned int off, bad = 0;

	for (off = 0; off < 256; off += 4)
		bad += e32(bdf, off) != pci_read32(bdf, off);
	for (off = 0; off < 64; off += 2)
		bad += e16(bdf, off) != pci_read16(bdf, off);
	for (off = 0; off < 64; off++)
		bad += e8(bdf, off) != pci_read8(bdf, off);
	return bad;
}

static void reads(void)
{
	unsigned int dev, fn, bdf, bad = 0, found = 0;

	for (dev = 0; dev < 32; dev++)
		for (fn = 0; fn < 8; fn++) {
			bdf = PCI_BDF(0, dev, fn);
			if (pci_read16(bdf, PCI_VENDOR_ID) == 0xffff)
				continue;
			found++;
			bad += compare(bdf);
		}
	check(found > 0, 1, 1, "functions found by mechanism #1");
	check(bad, 0, 4, "registers that read differently through the window");
}

static void writes(void)
{
	int edu = edu_setup(EDU_BAR);

	if (!check(edu >= 0, 1, 1, "the edu device"))
		return;
	*(volatile uint8_t *)pci_ecam(PCI_ECAM_BASE, edu, PCI_INTERRUPT_LINE) = 0x5a;
	check(pci_read8(edu, PCI_INTERRUPT_LINE), 0x5a, 2, "interrupt line written by the window");
	pci_write8(edu, PCI_INTERRUPT_LINE, 0xa5);
	check(e8(edu, PCI_INTERRUPT_LINE), 0xa5, 2, "interrupt line written by mechanism #1");
	pci_write16(edu, PCI_COMMAND, 0);
	*(volatile uint32_t *)pci_ecam(PCI_ECAM_BASE, edu, PCI_BAR0) = 0xffffffff;
	check(pci_read32(edu, PCI_BAR0), 0xfff00000, 8, "BAR0 after all ones by the window");
	pci_write32(edu, PCI_BAR0, EDU_BAR);
	check(e32(edu, PCI_BAR0), EDU_BAR, 8, "BAR0 written by mechanism #1");
}

void guest_main(void)
{
	con_puts("ecam: bus 0 through the memory-mapped window and mechanism #1\n");
	if (e32(0, PCI_VENDOR_ID) != pci_read32(0, PCI_VENDOR_ID)) {
		con_puts("ecam: no configuration window at PCI_ECAM_BASE\n");
		vm_exit(200);
	}
	reads();
	check(e32(PCI_BDF(0, 31, 7), 0), 0xffffffff, 8, "00:1f.7 through the window");
	check(e32(PCI_BDF(1, 0, 0), 0), 0xffffffff, 8, "01:00.0 through the window");
	writes();
	vm_exit(check_done("ecam"));
}

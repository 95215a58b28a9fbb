/*
 * lspci: bus 0 enumerated through configuration mechanism #1 (book section
 * 4.2; PCI Local Bus Specification 3.0, 3.2.2.3.2 and chapter 6). For
 * every function: its IDs, revision, class code, header type and
 * interrupt pin; the size and kind of every BAR, found by writing all
 * ones and reading back (6.2.5.1), the BAR and the command register
 * restored afterwards; the capability list (6.7). Nothing firmware
 * chooses is printed (BAR addresses, the interrupt line, the command
 * register), so the transcript is the same on every platform with the
 * same devices (guests/README.md, lab 04, lists ours). Then the checks
 * that mechanism #1 itself must pass: CONFIG_ADDRESS reads back, an
 * access with the enable bit clear or to a missing function reads all
 * ones, and 1- and 2-byte reads at 0xCFC-0xCFF give the bytes of the
 * dword.
 */
#include "check.h"
#include "console.h"
#include "io.h"
#include "pci.h"
#include "platform.h"

void guest_main(void);

static const char *cap_name(unsigned int id)
{
	switch (id) {
	case 0x01: return "power management";
	case 0x05: return "MSI";
	case 0x09: return "vendor specific";
	case 0x10: return "PCI Express";
	case 0x11: return "MSI-X";
	}
	return "other";
}

static void show_bars(unsigned int bdf, unsigned int nbars)
{
	struct pci_bar bar;
	unsigned int i;

	for (i = 0; i < nbars; i++) {
		pci_bar_probe(bdf, i, &bar);
		if (!bar.size)
			continue;
		if (bar.io)
			con_printf("  BAR%u I/O, size 0x%llx\n", i, bar.size);
		else
			con_printf("  BAR%u memory, %s%s, size 0x%llx\n", i,
				   bar.is64 ? "64-bit" : "32-bit",
				   bar.prefetch ? ", prefetchable" : "", bar.size);
		if (bar.is64)
			i++;
	}
}

static void show_caps(unsigned int bdf)
{
	unsigned int off, id, n;

	if (!(pci_read16(bdf, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	off = pci_read8(bdf, PCI_CAP_PTR) & 0xfc;
	for (n = 0; off && n < 48; n++) {
		id = pci_read8(bdf, off);
		con_printf("  capability at 0x%02x: %02x (%s), word 0x%04x\n", off, id,
			   cap_name(id), pci_read16(bdf, off + 2));
		off = pci_read8(bdf, off + 1) & 0xfc;
	}
}

static void show_function(unsigned int bdf)
{
	uint32_t class = pci_read32(bdf, PCI_REVISION);
	uint8_t header = pci_read8(bdf, PCI_HEADER_TYPE);
	uint8_t pin = pci_read8(bdf, PCI_INTERRUPT_PIN);

	con_printf("00:%02x.%u %04x:%04x rev %02x class %06x header %02x",
		   PCI_DEV(bdf), PCI_FN(bdf), pci_read16(bdf, PCI_VENDOR_ID),
		   pci_read16(bdf, PCI_DEVICE_ID), class & 0xff, class >> 8, header);
	if (pin >= 1 && pin <= 4)
		con_printf(" pin %c", 'A' + pin - 1);
	con_puts("\n");
	if ((header & 0x7f) == 0)
		show_bars(bdf, 6);
	else if ((header & 0x7f) == 1)
		show_bars(bdf, 2);
	show_caps(bdf);
}

static unsigned int enumerate(void)
{
	unsigned int dev, fn, nfn, found = 0;

	for (dev = 0; dev < 32; dev++) {
		if (pci_read16(PCI_BDF(0, dev, 0), PCI_VENDOR_ID) == 0xffff)
			continue;
		nfn = pci_read8(PCI_BDF(0, dev, 0), PCI_HEADER_TYPE) & PCI_HEADER_MULTI ? 8 : 1;
		for (fn = 0; fn < nfn; fn++) {
			if (pci_read16(PCI_BDF(0, dev, fn), PCI_VENDOR_ID) == 0xffff)
				continue;
			show_function(PCI_BDF(0, dev, fn));
			found++;
		}
	}
	return found;
}

static void mechanism_checks(void)
{
	uint32_t id = pci_read32(0, PCI_VENDOR_ID);
	uint32_t addr = PCI_CONFIG_ENABLE | 0x08;

	con_puts("configuration mechanism #1\n");
	outl(PCI_CONFIG_ADDRESS, addr);
	check(inl(PCI_CONFIG_ADDRESS), addr, 8, "CONFIG_ADDRESS reads back");
	outl(PCI_CONFIG_ADDRESS, 0);
	check(inl(PCI_CONFIG_DATA), 0xffffffff, 8, "CONFIG_DATA with the enable bit clear");
	check(pci_read32(PCI_BDF(0, 31, 7), 0), 0xffffffff, 8, "00:1f.7, no function there");
	check(pci_read32(PCI_BDF(1, 0, 0), 0), 0xffffffff, 8, "01:00.0, no bus 1");
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE);
	check(inb(PCI_CONFIG_DATA + 1), id >> 8 & 0xff, 2, "1 byte at 0xcfd");
	check(inb(PCI_CONFIG_DATA + 3), id >> 24, 2, "1 byte at 0xcff");
	check(inw(PCI_CONFIG_DATA + 2), id >> 16, 4, "2 bytes at 0xcfe");
	check(pci_read16(0, PCI_DEVICE_ID), id >> 16, 4, "the device ID by pci_read16");
}

void guest_main(void)
{
	unsigned int n;

	con_puts("lspci: bus 0 through configuration mechanism #1\n");
	n = enumerate();
	con_printf("%u functions\n", n);
	mechanism_checks();
	vm_exit(check_done("lspci"));
}

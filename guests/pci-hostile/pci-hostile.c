/*
 * pci-hostile: configuration writes and BAR values a careless or hostile
 * guest may use, and what the PCI specification (3.0, chapter 6) and the
 * edu spec (QEMU's docs/specs/edu.rst) guarantee for each (book section
 * 4.2). Only what both our platform and QEMU must do is checked; where
 * the result is left open, that the machine goes on and the devices still
 * work afterwards.
 *  - Read-only registers keep their values: IDs, revision and class,
 *    header type, interrupt pin, capabilities pointer, the MSI
 *    capability's ID, next pointer and 64-bit bit; status bits are read
 *    only or write-1-to-clear; unimplemented BARs and the expansion ROM
 *    BAR read 0 whatever is written; writes to the device-specific space
 *    (0x80-0xff) change none of the header.
 *  - The edu registers refuse accesses of the wrong width (the write
 *    ignored, the read not the register's: all ones on our platform, 0 on
 *    QEMU) and read all ones at offsets the spec does not list.
 *  - BARs over RAM and over the local APIC: RAM and the local APIC still
 *    answer there. Two BARs at the same address: afterwards, apart
 *    again, both devices answer.
 *  - pci-testdev's 64-bit prefetchable BAR2 (2 GiB, larger than the hole
 *    below 4 GiB): sized, placed at 256 GiB, at the top of the 64-bit
 *    space (its end wraps to 0) and over the whole 3-5 GiB range, where
 *    the local APIC and the I/O APIC still answer (edu's BAR0 is then
 *    under it too: which answers there is not defined until BAR2 is off).
 *  - edu DMA from and to guest-physical addresses with no RAM, across the
 *    end of a memslot (the EBDA into the legacy hole), and above the
 *    device's 28-bit DMA mask (the address is masked: edu.rst).
 *  - configuration mechanism #1 with the reserved address bits set, and
 *    accesses to CONFIG_DATA that run past 0xCFF.
 * Runs on QEMU with -device edu -device pci-testdev,membar=2G.
 */
#include "check.h"
#include "console.h"
#include "edu.h"
#include "io.h"
#include "ioapic.h"
#include "lapic.h"
#include "pci.h"
#include "platform.h"

#define TESTDEV_VENDOR	0x1b36
#define TESTDEV_DEVICE	0x0005
#define TESTDEV_BAR0	0xfe900000u
#define RAM_SPOT	0x00200000u	/* 2 MiB: RAM the guest does not use */
#define DMA_POLLS	100000000ul
#define NO_RAM		0x0f000000u	/* 240 MiB: past RAM, below the mask */

static int edu, tdev;
static uint8_t buf[256] __attribute__((aligned(256)));

void guest_main(void);

static uint32_t rd32(uint32_t a)
{
	return *(volatile uint32_t *)a;
}

static void wr32(uint32_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static void read_only(void)
{
	uint32_t id = pci_read32(edu, PCI_VENDOR_ID);
	uint32_t class = pci_read32(edu, PCI_REVISION);
	unsigned int cap = pci_read8(edu, PCI_CAP_PTR), off;
	uint32_t caphdr = pci_read32(edu, cap), nonzero = 0;

	con_puts("read-only configuration registers of the edu device\n");
	pci_write32(edu, PCI_VENDOR_ID, 0);
	check(pci_read32(edu, PCI_VENDOR_ID), id, 8, "  IDs after writing 0");
	pci_write32(edu, PCI_REVISION, 0xffffffff);
	check(pci_read32(edu, PCI_REVISION), class, 8, "  revision and class after all ones");
	pci_write8(edu, PCI_HEADER_TYPE, 0xff);
	check(pci_read8(edu, PCI_HEADER_TYPE), 0, 2, "  header type after 0xff");
	pci_write8(edu, PCI_INTERRUPT_PIN, 4);
	check(pci_read8(edu, PCI_INTERRUPT_PIN), 1, 2, "  interrupt pin after 4");
	pci_write8(edu, PCI_CAP_PTR, 0x80);
	check(pci_read8(edu, PCI_CAP_PTR), cap, 2, "  capabilities pointer after 0x80");
	pci_write16(edu, cap, 0xffff);
	pci_write16(edu, cap + PCI_MSI_CONTROL, 0xffff & ~PCI_MSI_CTRL_ENABLE & ~0x70);
	check(pci_read32(edu, cap), caphdr, 8, "  MSI ID, next, control after all ones");
	pci_write16(edu, PCI_STATUS, 0xffff);
	check(pci_read16(edu, PCI_STATUS), PCI_STATUS_CAP_LIST, 4, "  status after all ones");
	pci_write16(edu, PCI_COMMAND, 0xffff);
	check(pci_read16(edu, PCI_COMMAND) & 0xf800, 0, 4, "  command bits 15:11 after all ones");
	pci_write16(edu, PCI_COMMAND, 0);
	for (off = PCI_BAR0 + 4; off <= PCI_BAR0 + 20; off += 4)
		pci_write32(edu, off, 0xffffffff);
	pci_write32(edu, PCI_ROM_ADDRESS, 0xffffffff);
	for (off = PCI_BAR0 + 4; off <= PCI_BAR0 + 20; off += 4)
		nonzero |= pci_read32(edu, off);
	check(nonzero, 0, 8, "  BAR1-BAR5 after all ones, ORed");
	check(pci_read32(edu, PCI_ROM_ADDRESS), 0, 8, "  expansion ROM BAR after all ones");
	/* Device-specific space: ours ignores writes, QEMU's edu keeps them. */
	for (off = 0x80; off < 0x100; off += 4)
		pci_write32(edu, off, 0xa5a5a5a5);
	check(pci_read32(edu, PCI_VENDOR_ID), id, 8, "  IDs after writes to 0x80-0xff");
	edu_setup(EDU_BAR);
}

static void wrong_widths(void)
{
	con_puts("edu registers: wrong widths, empty offsets\n");
	/* Refused: all ones on our platform, 0 on QEMU; never the register. */
	check(*(volatile uint8_t *)(EDU_BAR + EDU_ID) == 0xed, 0, 1,
	      "  a 1-byte read gives the ID's byte");
	check(*(volatile uint16_t *)(EDU_BAR + EDU_ID) == 0x00ed, 0, 1,
	      "  a 2-byte read gives the ID's half");
	edu_write(EDU_BAR, EDU_LIVENESS, 0x11111111);
	*(volatile uint8_t *)(EDU_BAR + EDU_LIVENESS) = 0;
	*(volatile uint16_t *)(EDU_BAR + EDU_LIVENESS + 2) = 0;
	check(edu_read(EDU_BAR, EDU_LIVENESS), 0xeeeeeeee, 8, "  liveness after 1- and 2-byte writes");
	check(edu_read(EDU_BAR, 0x10), 0xffffffff, 8, "  offset 0x10");
	check(edu_read(EDU_BAR, EDU_DMA_BUF), 0xffffffff, 8, "  offset 0x40000 (the DMA buffer)");
	check(edu_read(EDU_BAR, EDU_BAR_SIZE - 4), 0xffffffff, 8, "  offset 0xffffc");
	edu_write(EDU_BAR, EDU_STATUS, EDU_STATUS_COMPUTING);
	check(edu_read(EDU_BAR, EDU_STATUS), 0, 8, "  status after writing the computing bit");
}

static void overlaps(void)
{
	uint32_t ver = lapic_read(LAPIC_VERSION);

	con_puts("BARs over RAM, over the local APIC, over each other\n");
	wr32(RAM_SPOT, 0x5a5aa5a5);
	pci_write32(edu, PCI_BAR0, RAM_SPOT);
	check(rd32(RAM_SPOT), 0x5a5aa5a5, 8, "  RAM under edu's BAR0");
	wr32(RAM_SPOT + EDU_LIVENESS, 0x01020304);
	check(rd32(RAM_SPOT + EDU_LIVENESS), 0x01020304, 8, "  RAM keeps a write there");
	pci_write32(edu, PCI_BAR0, LAPIC_BASE);
	check(lapic_read(LAPIC_VERSION) == ver, 1, 1, "  local APIC version unchanged under edu's BAR0");
	pci_write32(edu, PCI_BAR0, EDU_BAR);
	pci_write32(tdev, PCI_BAR0, EDU_BAR);
	pci_write16(tdev, PCI_COMMAND, PCI_CMD_MEMORY);
	con_puts("  pci-testdev's BAR0 at edu's address: the VM goes on\n");
	(void)rd32(EDU_BAR);
	pci_write32(tdev, PCI_BAR0, TESTDEV_BAR0);
	check(rd32(EDU_BAR), 0x010000ed, 8, "  apart again: edu's identification");
	pci_write16(tdev, PCI_COMMAND, 0);
}

static void bar64(void)
{
	uint32_t ver = lapic_read(LAPIC_VERSION), ioapic_ver = ioapic_read(IOAPIC_REG_VER);
	struct pci_bar bar;

	con_puts("pci-testdev BAR2: 64-bit, prefetchable\n");
	pci_bar_probe(tdev, 2, &bar);
	check(bar.size, 0x80000000ull, 16, "  size");
	check(bar.is64 && bar.prefetch, 1, 1, "  64-bit and prefetchable");
	pci_write32(tdev, PCI_BAR0 + 8, 0x0000000c);
	pci_write32(tdev, PCI_BAR0 + 12, 0x40);
	pci_write16(tdev, PCI_COMMAND, PCI_CMD_MEMORY);
	check((uint64_t)pci_read32(tdev, PCI_BAR0 + 12) << 32 | pci_read32(tdev, PCI_BAR0 + 8),
	      0x400000000cull, 16, "  at 256 GiB");
	pci_write32(tdev, PCI_BAR0 + 12, 0xffffffff);
	pci_write32(tdev, PCI_BAR0 + 8, 0x80000000);
	check((uint64_t)pci_read32(tdev, PCI_BAR0 + 12) << 32 | pci_read32(tdev, PCI_BAR0 + 8),
	      0xffffffff8000000cull, 16, "  at the top, its end wraps");
	pci_write32(tdev, PCI_BAR0 + 12, 0);
	pci_write32(tdev, PCI_BAR0 + 8, 0xc0000000);
	check(lapic_read(LAPIC_VERSION) == ver, 1, 1, "  over 3-5 GiB: local APIC version unchanged");
	check(ioapic_read(IOAPIC_REG_VER) == ioapic_ver, 1, 1, "  I/O APIC version unchanged");
	pci_write16(tdev, PCI_COMMAND, 0);
	check(rd32(EDU_BAR), 0x010000ed, 8, "  BAR2 off again: edu's identification");
	pci_write32(tdev, PCI_BAR0 + 8, 0);
	pci_write32(tdev, PCI_BAR0 + 12, 0);
}

static void dma(void)
{
	unsigned int i, bad = 0;

	con_puts("edu DMA to and from places with no RAM\n");
	check(edu_dma(EDU_BAR, EDU_DMA_BUF, NO_RAM, 256, EDU_DMA_TO_RAM, DMA_POLLS), 0, 1,
	      "  device -> 0x%08x, done", NO_RAM);
	check(edu_dma(EDU_BAR, NO_RAM, EDU_DMA_BUF, 256, 0, DMA_POLLS), 0, 1,
	      "  0x%08x -> device, done", NO_RAM);
	check(edu_dma(EDU_BAR, EDU_DMA_BUF, 0x9ff80, 256, EDU_DMA_TO_RAM, DMA_POLLS), 0, 1,
	      "  device -> 0x9ff80-0xa007f (EBDA into the hole), done");
	check(edu_dma(EDU_BAR, 0x9ff80, EDU_DMA_BUF, 256, 0, DMA_POLLS), 0, 1,
	      "  0x9ff80-0xa007f -> device, done");
	con_puts("edu DMA above the 28-bit mask\n");
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i ^ 0x3c;
	edu_dma(EDU_BAR, (uint32_t)buf, EDU_DMA_BUF, sizeof(buf), 0, DMA_POLLS);
	__builtin_memset(buf, 0, sizeof(buf));
	check(edu_dma(EDU_BAR, EDU_DMA_BUF, 0xf0000000u | (uint32_t)buf, sizeof(buf),
		      EDU_DMA_TO_RAM, DMA_POLLS), 0, 1, "  device -> 0x%08x, done",
	      0xf0000000u | (uint32_t)buf);
	for (i = 0; i < sizeof(buf); i++)
		bad += buf[i] != (uint8_t)(i ^ 0x3c);
	check(bad, 0, 3, "  bytes not at 0x%08x (the address masked)", (uint32_t)buf);
}

static void mechanism(void)
{
	uint32_t id = pci_read32(0, PCI_VENDOR_ID);

	con_puts("configuration mechanism #1, odd addresses\n");
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | 0x7f000000);
	(void)inl(PCI_CONFIG_DATA);
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | 0xfffffc);
	outl(PCI_CONFIG_DATA, 0xffffffff);
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE);
	(void)inw(PCI_CONFIG_DATA + 3);
	(void)inl(PCI_CONFIG_DATA + 1);
	(void)inl(PCI_CONFIG_DATA + 2);
	check(pci_read32(0, PCI_VENDOR_ID), id, 8, "  host bridge IDs afterwards");
	check(pci_read32(edu, PCI_VENDOR_ID), 0x11e81234, 8, "  edu IDs afterwards");
}

void guest_main(void)
{
	con_puts("pci-hostile\n");
	edu = edu_setup(EDU_BAR);
	tdev = pci_find(TESTDEV_VENDOR, TESTDEV_DEVICE);
	if (edu < 0 || tdev < 0) {
		con_puts("pci-hostile: needs 1234:11e8 and 1b36:0005 on bus 0\n");
		vm_exit(200);
	}
	read_only();
	wrong_widths();
	overlaps();
	bar64();
	dma();
	mechanism();
	vm_exit(check_done("pci-hostile"));
}

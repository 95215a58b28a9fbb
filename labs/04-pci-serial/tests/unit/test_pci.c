/*
 * test_pci.c - the PCI bus against PCI Local Bus 3.0: mechanism #1 at
 * every width (§3.2.2.3.2), ECAM, the header's read-only, read-write and
 * write-1-to-clear bits (§6.2), BAR sizing and placement (§6.2.5),
 * command decode, INTx and the swizzle, the capability list, MSI and
 * MSI-X (§6.8).
 */
#include <string.h>

#include "pci/pci.h"
#include "devunit.h"

struct maprec {
	int map;		/* 1 map, 0 unmap */
	int bar;
	enum pci_bar_type type;
	uint64_t addr, size;
};

static struct rec {
	int nmap;
	struct maprec m[REC_MAX];
	int refuse;		/* map() fails while set */
	int nintx;
	unsigned int intx_gsi[REC_MAX];
	int intx_level[REC_MAX];
	int nmsi;
	uint64_t msi_addr[REC_MAX];
	uint32_t msi_data[REC_MAX];
	int warnings;
	int ncmd;
	uint16_t cmd_old, cmd_new;
	void *cmd_opaque;
	struct pci_func *cmd_f;
} r;

static int r_map(void *o, struct pci_func *f, int bar, enum pci_bar_type t,
		 uint64_t addr, uint64_t size)
{
	(void)o;
	(void)f;
	if (r.refuse)
		return -1;
	if (r.nmap < REC_MAX)
		r.m[r.nmap++] = (struct maprec){ 1, bar, t, addr, size };
	return 0;
}

static void r_unmap(void *o, struct pci_func *f, int bar,
		    enum pci_bar_type t, uint64_t addr, uint64_t size)
{
	(void)o;
	(void)f;
	if (r.nmap < REC_MAX)
		r.m[r.nmap++] = (struct maprec){ 0, bar, t, addr, size };
}

static void r_intx(void *o, unsigned int gsi, int level)
{
	(void)o;
	if (r.nintx < REC_MAX) {
		r.intx_gsi[r.nintx] = gsi;
		r.intx_level[r.nintx++] = level;
	}
}

static void r_msi(void *o, uint64_t addr, uint32_t data)
{
	(void)o;
	if (r.nmsi < REC_MAX) {
		r.msi_addr[r.nmsi] = addr;
		r.msi_data[r.nmsi++] = data;
	}
}

static void r_warn(void *o, const char *dev, const char *msg)
{
	(void)o;
	(void)dev;
	(void)msg;
	r.warnings++;
}

static void r_command(void *o, struct pci_func *f, uint16_t old_cmd,
		      uint16_t new_cmd)
{
	r.cmd_opaque = o;
	r.cmd_f = f;
	r.ncmd++;
	r.cmd_old = old_cmd;
	r.cmd_new = new_cmd;
}

static const struct pci_bus_ops ops = {
	.map = r_map, .unmap = r_unmap, .intx = r_intx, .msi = r_msi,
	.command = r_command, .warn = r_warn,
};

static struct pci_bus bus;
static struct pci_func dev3;	/* 00:03.0, every kind of BAR */

static const struct pci_desc desc3 = {
	.vendor = 0x1234, .device = 0x5678, .revision = 0x42,
	.class_code = 0x0C0330,
	.subsys_vendor = 0x1AF4, .subsys_id = 0x1100,
	.int_pin = 1,
	.bar = {
		[0] = { PCI_BAR_IO, 32, false },
		[1] = { PCI_BAR_MEM32, 1 << 20, false },
		[2] = { PCI_BAR_MEM64, 16 << 10, true },	/* 2 and 3 */
		[4] = { PCI_BAR_MEM32, 4096, true },
	},
	.msi_vectors = 4, .msi_64bit = true, .msi_maskbit = true,
	.msix_vectors = 5, .msix_table_bar = 4, .msix_table_off = 0,
	.msix_pba_bar = 4, .msix_pba_off = 0x800,
};

static void setup(void)
{
	memset(&r, 0, sizeof(r));
	pci_bus_init(&bus, &ops, &bus, &test_host_bridge);
	ck_assert_int_eq(pci_func_init(&dev3, &desc3, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(3, 0), &dev3), 0);
}

static void teardown(void)
{
	pci_bus_remove(&bus, &dev3);
	pci_func_destroy(&dev3);
	pci_bus_destroy(&bus);
}

static uint32_t cf8(uint8_t b, uint8_t d, uint8_t f, uint8_t reg)
{
	return PCI_CF8_ENABLE | (uint32_t)b << 16 | (uint32_t)d << 11 |
	       (uint32_t)f << 8 | reg;
}

/* A dword read through mechanism #1. */
static uint32_t rd(uint8_t d, uint8_t reg)
{
	pci_io_write(&bus, 0xCF8, 4, cf8(0, d, 0, reg & 0xFC));
	return pci_io_read(&bus, 0xCFC, 4);
}

static void wr(uint8_t d, uint8_t reg, uint32_t v)
{
	pci_io_write(&bus, 0xCF8, 4, cf8(0, d, 0, reg & 0xFC));
	pci_io_write(&bus, 0xCFC, 4, v);
}

static uint64_t ecam(uint8_t b, uint8_t d, uint8_t f, uint16_t reg)
{
	return (uint64_t)b << 20 | (uint64_t)d << 15 | (uint64_t)f << 12 | reg;
}

START_TEST(host_bridge)
{
	ck_assert_uint_eq(rd(0, 0x00), 0x12378086u);
	ck_assert_uint_eq(rd(0, 0x08) >> 8, 0x060000);	/* host bridge */
	ck_assert_uint_eq((rd(0, 0x0C) >> 16) & 0x7F, 0);	/* type 0 */
	ck_assert_uint_eq(rd(3, 0x00), 0x56781234);
	ck_assert_uint_eq(rd(3, 0x08), 0x0C033042);
	ck_assert_uint_eq(rd(3, 0x2C), 0x11001AF4);
}
END_TEST

START_TEST(absent_functions_read_all_ones)
{
	ck_assert_uint_eq(rd(4, 0x00), 0xFFFFFFFF);
	pci_io_write(&bus, 0xCF8, 4, cf8(1, 0, 0, 0));	/* bus 1 */
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFC, 4), 0xFFFFFFFF);
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 1, 0));	/* 00:03.1 */
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFC, 2), 0xFFFF);
	/* Writes to nothing go nowhere. */
	pci_io_write(&bus, 0xCFC, 4, 0);
	ck_assert_uint_eq(rd(3, 0x00), 0x56781234);
}
END_TEST

START_TEST(config_address_register)
{
	pci_io_write(&bus, 0xCF8, 4, 0xFFFFFFFF);
	/* 30-24 reserved, 1-0 read as 0 (§3.2.2.3.2). */
	ck_assert_uint_eq(pci_io_read(&bus, 0xCF8, 4), 0x80FFFFFC);
	pci_io_write(&bus, 0xCF8, 4, 0x80001810);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCF8, 4), 0x80001810);
	/* Only a full dword reaches CONFIG_ADDRESS; the rest are I/O
	 * cycles that nothing claims (0xCF9 is the chipset's reset). */
	pci_io_write(&bus, 0xCF8, 1, 0x00);
	pci_io_write(&bus, 0xCF9, 1, 0x06);
	pci_io_write(&bus, 0xCFA, 2, 0x0000);
	pci_io_write(&bus, 0xCFB, 1, 0x00);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCF8, 4), 0x80001810);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCF8, 1), 0xFF);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCF8, 2), 0xFFFF);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFA, 2), 0xFFFF);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFB, 1), 0xFF);
}
END_TEST

START_TEST(data_port_needs_enable)
{
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 0, 0) & ~PCI_CF8_ENABLE);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFC, 4), 0xFFFFFFFF);
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 0, 0x3C) & ~PCI_CF8_ENABLE);
	pci_io_write(&bus, 0xCFC, 1, 0x0B);
	ck_assert_uint_eq(rd(3, 0x3C) & 0xFF, 18);	/* unchanged */
}
END_TEST

START_TEST(data_port_every_width)
{
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 0, 0x00));
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFC, 1), 0x34);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFD, 1), 0x12);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFE, 1), 0x78);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFF, 1), 0x56);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFC, 2), 0x1234);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFE, 2), 0x5678);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFD, 2), 0x7812);
	/* Widths that run past 0xCFF: those bytes belong to 0xD00+. */
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFF, 2), 0xFF56);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFD, 4), 0xFF567812);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFE, 4), 0xFFFF5678);
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFF, 4), 0xFFFFFF56);
}
END_TEST

START_TEST(data_port_writes_stay_in_their_dword)
{
	/* 0x44: MSI address low (31:2 writable), 0x48: upper (all). */
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 0, 0x44));
	pci_io_write(&bus, 0xCFE, 4, 0xA1B2C3D4);
	ck_assert_uint_eq(rd(3, 0x44), 0xC3D40000);
	ck_assert_uint_eq(rd(3, 0x48), 0);	/* not spilled */
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 0, 0x44));
	pci_io_write(&bus, 0xCFF, 2, 0x5566);
	ck_assert_uint_eq(rd(3, 0x44), 0x66D40000);
	ck_assert_uint_eq(rd(3, 0x48), 0);
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 0, 0x44));
	pci_io_write(&bus, 0xCFD, 1, 0xEF);
	pci_io_write(&bus, 0xCFC, 1, 0xFF);	/* bits 1:0 read-only */
	ck_assert_uint_eq(rd(3, 0x44), 0x66D4EFFC);
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 0, 0x48));
	pci_io_write(&bus, 0xCFD, 2, 0xBEEF);
	ck_assert_uint_eq(rd(3, 0x48), 0x00BEEF00);
}
END_TEST

START_TEST(ecam_same_space)
{
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 3, 0, 0), 4),
			  0x56781234);
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 3, 0, 2), 2), 0x5678);
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 3, 0, 0x3D), 1), 1);
	pci_ecam_write(&bus, ecam(0, 3, 0, 0x3C), 1, 0x0A);
	ck_assert_uint_eq(rd(3, 0x3C) & 0xFF, 0x0A);
	wr(3, 0x48, 0x12345678);
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 3, 0, 0x49), 2), 0x3456);
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 0, 0, 0), 4),
			  0x12378086u);
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 5, 0, 0), 4),
			  0xFFFFFFFF);
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(7, 3, 0, 0), 4),
			  0xFFFFFFFF);
	/* A conventional function has no space past 0xFF. */
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 3, 0, 0x100), 4),
			  0xFFFFFFFF);
	/* Past a smaller window nothing answers. */
	bus.ecam_size = 1 << 20;
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(1, 0, 0, 0), 4),
			  0xFFFFFFFF);
}
END_TEST

START_TEST(ecam_pcie_function)
{
	static const struct pci_desc d = {
		.vendor = 0x1B36, .device = 0x0001, .pcie = true,
	};
	static struct pci_func f;

	ck_assert_int_eq(pci_func_init(&f, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(6, 0), &f), 0);
	/* No extended capability: a zero header at 0x100, read-only. */
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 6, 0, 0x100), 4), 0);
	pci_ecam_write(&bus, ecam(0, 6, 0, 0x100), 4, 0xFFFFFFFF);
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 6, 0, 0xFFC), 4), 0);
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 6, 0, 0x100), 4), 0);
	pci_bus_remove(&bus, &f);
	pci_func_destroy(&f);
}
END_TEST

START_TEST(header_write_masks)
{
	int i;

	for (i = 0; i < 0x40; i += 4) {
		if (i >= 0x10 && i < 0x28)
			continue;	/* BARs: below */
		wr(3, (uint8_t)i, 0xFFFFFFFF);
	}
	ck_assert_uint_eq(rd(3, 0x00), 0x56781234);
	/* Command: I/O, memory, master, SERR#, INTx disable (0x0507). */
	ck_assert_uint_eq(rd(3, 0x04) & 0xFFFF, 0x0507);
	ck_assert_uint_eq(rd(3, 0x08), 0x0C033042);
	/* Cache line, latency RW; header type, BIST read-only. */
	ck_assert_uint_eq(rd(3, 0x0C), 0x0000FFFF);
	ck_assert_uint_eq(rd(3, 0x28), 0);
	ck_assert_uint_eq(rd(3, 0x2C), 0x11001AF4);
	ck_assert_uint_eq(rd(3, 0x30), 0);	/* no expansion ROM */
	ck_assert_uint_eq(rd(3, 0x34), 0x40);
	/* Line RW, pin RO, min_gnt/max_lat 0. */
	ck_assert_uint_eq(rd(3, 0x3C), 0x000001FF);
	wr(3, 0x04, 0);
	ck_assert_uint_eq(rd(3, 0x04) & 0xFFFF, 0);
}
END_TEST

START_TEST(status_write_one_to_clear)
{
	/* The device reports errors: every W1C bit set. */
	dev3.cfg[PCI_STATUS + 1] |= 0xF9;
	ck_assert_uint_eq(rd(3, 0x04) >> 16, 0xF910);
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 0, 0x04));
	pci_io_write(&bus, 0xCFE, 2, 0x0000);	/* zeros clear nothing */
	ck_assert_uint_eq(rd(3, 0x04) >> 16, 0xF910);
	pci_io_write(&bus, 0xCFE, 2, 0x2100);	/* bits 13 and 8 */
	ck_assert_uint_eq(rd(3, 0x04) >> 16, 0xD810);
	/* Ones on read-only bits (cap list, interrupt) change nothing. */
	pci_io_write(&bus, 0xCFF, 1, 0x00);
	pci_io_write(&bus, 0xCFE, 1, 0xFF);
	ck_assert_uint_eq(rd(3, 0x04) >> 16, 0xD810);
	/* A dword write to command also writes status: 1s clear. */
	wr(3, 0x04, 0xFFFF0000);
	ck_assert_uint_eq(rd(3, 0x04), 0x00100000);
}
END_TEST

START_TEST(status_read_only_bits)
{
	/* DEVSEL medium and fast back-to-back, as the PIIX3's IDE has
	 * them: read-only, whatever is written; W1C bits in the
	 * description are not taken as set. */
	static const struct pci_desc d = {
		.vendor = 0x8086, .device = 0x7010, .status = 0xF280,
	};
	static struct pci_func f;

	ck_assert_int_eq(pci_func_init(&f, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(6, 0), &f), 0);
	ck_assert_uint_eq(rd(6, 0x04) >> 16, 0x0280);
	wr(6, 0x04, 0xFFFF0000);
	ck_assert_uint_eq(rd(6, 0x04) >> 16, 0x0280);
	wr(6, 0x04, 0x00000000);
	ck_assert_uint_eq(rd(6, 0x04) >> 16, 0x0280);
	pci_bus_remove(&bus, &f);
	pci_func_destroy(&f);
}
END_TEST

static uint32_t size_bar(int i)
{
	uint8_t reg = (uint8_t)(0x10 + 4 * i);
	uint32_t old = rd(3, reg), v;

	wr(3, reg, 0xFFFFFFFF);
	v = rd(3, reg);
	wr(3, reg, old);
	return v;
}

START_TEST(bar_sizing)
{
	/* I/O 32 bytes: bit 0 set, 31:16 hardwired to 0 on 16-bit ports. */
	ck_assert_uint_eq(size_bar(0), 0x0000FFE1);
	ck_assert_uint_eq(size_bar(1), 0xFFF00000);	/* 1 MiB, 32-bit */
	/* 64-bit prefetchable 16 KiB: type 10b, prefetch, upper half. */
	ck_assert_uint_eq(size_bar(2), 0xFFFFC00C);
	ck_assert_uint_eq(size_bar(3), 0xFFFFFFFF);
	ck_assert_uint_eq(size_bar(4), 0xFFFFF008);
	ck_assert_uint_eq(size_bar(5), 0);	/* unimplemented */
	/* Size alignment: the low address bits are read-only zero. */
	wr(3, 0x14, 0x12345678);
	ck_assert_uint_eq(rd(3, 0x14), 0x12300000);
	wr(3, 0x10, 0x0000C0DF);
	ck_assert_uint_eq(rd(3, 0x10), 0x0000C0C1);
	wr(3, 0x10, 0xFFFFC0DF);
	ck_assert_uint_eq(rd(3, 0x10), 0x0000C0C1);
}
END_TEST

START_TEST(bar_sizing_large_64bit)
{
	static const struct pci_desc d = {
		.vendor = 1, .device = 2,
		.bar = { [0] = { PCI_BAR_MEM64, 8ull << 30, true } },
	};
	static struct pci_func f;

	ck_assert_int_eq(pci_func_init(&f, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(7, 0), &f), 0);
	wr(7, 0x10, 0xFFFFFFFF);
	wr(7, 0x14, 0xFFFFFFFF);
	/* 8 GiB: no address bit in the low half, 33 and up in the high. */
	ck_assert_uint_eq(rd(7, 0x10), 0x0000000C);
	ck_assert_uint_eq(rd(7, 0x14), 0xFFFFFFFE);
	pci_bus_remove(&bus, &f);
	pci_func_destroy(&f);
}
END_TEST

/* The smallest BARs of each kind, whose lowest address bit is right
 * above the flags (PCI 3.0, 6.2.5.1: I/O 4 bytes, memory 16), and a
 * PCIe function's extended space, which has nothing writable. */
START_TEST(smallest_bars_and_extended_space)
{
	static const struct pci_desc d = {
		.vendor = 1, .device = 3, .pcie = true,
		.bar = {
			[0] = { PCI_BAR_IO, 4, false },
			[1] = { PCI_BAR_MEM32, 16, false },
			[2] = { PCI_BAR_MEM64, 16, false },
		},
	};
	static struct pci_func f;
	unsigned int reg;

	ck_assert_int_eq(pci_func_init(&f, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(7, 0), &f), 0);
	for (reg = 0x10; reg < 0x20; reg += 4)
		wr(7, (uint8_t)reg, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(7, 0x10), 0x0000FFFD);
	ck_assert_uint_eq(rd(7, 0x14), 0xFFFFFFF0);
	ck_assert_uint_eq(rd(7, 0x18), 0xFFFFFFF4);
	ck_assert_uint_eq(rd(7, 0x1C), 0xFFFFFFFF);
	for (reg = 0x100; reg < 0x1000; reg += 4)
		pci_ecam_write(&bus, ecam(0, 7, 0, (uint16_t)reg), 4,
			       0xFFFFFFFF);
	for (reg = 0x100; reg < 0x1000; reg += 4)
		ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 7, 0,
						(uint16_t)reg), 4), 0);
	pci_bus_remove(&bus, &f);
	pci_func_destroy(&f);
}
END_TEST

START_TEST(bar_decode_map_unmap)
{
	wr(3, 0x14, 0xE0000000);
	wr(3, 0x10, 0xC000);
	ck_assert_int_eq(r.nmap, 0);	/* decode off */
	wr(3, 0x04, PCI_CMD_MEMORY);
	ck_assert_int_eq(r.nmap, 1);
	ck_assert_int_eq(r.m[0].map, 1);
	ck_assert_int_eq(r.m[0].bar, 1);
	ck_assert_int_eq(r.m[0].type, PCI_BAR_MEM32);
	ck_assert_uint_eq(r.m[0].addr, 0xE0000000);
	ck_assert_uint_eq(r.m[0].size, 1 << 20);
	/* Moving it moves the handler. */
	wr(3, 0x14, 0xE0100000);
	ck_assert_int_eq(r.nmap, 3);
	ck_assert_int_eq(r.m[1].map, 0);
	ck_assert_uint_eq(r.m[1].addr, 0xE0000000);
	ck_assert_int_eq(r.m[2].map, 1);
	ck_assert_uint_eq(r.m[2].addr, 0xE0100000);
	/* Writing the same value changes nothing. */
	wr(3, 0x14, 0xE0100000);
	ck_assert_int_eq(r.nmap, 3);
	/* I/O decode adds the I/O BAR; memory off removes the other. */
	wr(3, 0x04, PCI_CMD_IO);
	ck_assert_int_eq(r.nmap, 5);
	ck_assert_int_eq(r.m[3].map, 0);
	ck_assert_int_eq(r.m[3].bar, 1);
	ck_assert_int_eq(r.m[4].map, 1);
	ck_assert_int_eq(r.m[4].type, PCI_BAR_IO);
	ck_assert_uint_eq(r.m[4].addr, 0xC000);
	ck_assert_uint_eq(r.m[4].size, 32);
	/* Address 0 is unassigned: not decoded. */
	wr(3, 0x10, 0);
	ck_assert_int_eq(r.nmap, 6);
	ck_assert_int_eq(r.m[5].map, 0);
}
END_TEST

START_TEST(command_changes_reported)
{
	ck_assert_int_eq(pci_bus_master(&dev3), 0);
	wr(3, 0x04, PCI_CMD_MASTER);
	ck_assert_int_eq(r.ncmd, 1);
	ck_assert_uint_eq(r.cmd_old, 0);
	ck_assert_uint_eq(r.cmd_new, PCI_CMD_MASTER);
	ck_assert_ptr_eq(r.cmd_f, &dev3);
	ck_assert_ptr_eq(r.cmd_opaque, &bus);		/* setup()'s opaque */
	ck_assert_int_eq(pci_bus_master(&dev3), 1);
	wr(3, 0x04, PCI_CMD_MASTER);		/* no change, no call */
	wr(3, 0x3C, 0x0B);
	ck_assert_int_eq(r.ncmd, 1);
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 0, 0x04));
	pci_io_write(&bus, 0xCFD, 1, PCI_CMD_INTX_DISABLE >> 8);
	ck_assert_int_eq(r.ncmd, 2);
	ck_assert_uint_eq(r.cmd_new, PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
	ck_assert_int_eq(pci_bus_master(&dev3), 1);
}
END_TEST

START_TEST(bar_64bit_placement)
{
	wr(3, 0x18, 0x0000000C | 0x80000000);
	wr(3, 0x1C, 0x00000001);
	wr(3, 0x04, PCI_CMD_MEMORY);
	ck_assert_uint_eq(dev3.bar_mapped[2], 1);
	ck_assert_uint_eq(dev3.bar_addr[2], 0x180000000ull);
	ck_assert_int_eq(r.m[r.nmap - 1].type, PCI_BAR_MEM64);
	ck_assert_uint_eq(r.m[r.nmap - 1].size, 16 << 10);
	wr(3, 0x1C, 0x00000002);
	ck_assert_uint_eq(r.m[r.nmap - 1].addr, 0x280000000ull);
	ck_assert_int_eq(r.m[r.nmap - 2].map, 0);
	ck_assert_uint_eq(r.m[r.nmap - 2].addr, 0x180000000ull);
	ck_assert_uint_eq(dev3.bar_mapped[3], 0);	/* the upper half */
}
END_TEST

START_TEST(bar_refused_placement)
{
	wr(3, 0x14, 0x00100000);		/* over RAM, say */
	r.refuse = 1;
	wr(3, 0x04, PCI_CMD_MEMORY);
	ck_assert_int_eq(r.nmap, 0);
	ck_assert_int_eq(r.warnings, 1);
	ck_assert_uint_eq(rd(3, 0x14), 0x00100000);	/* register kept */
	r.refuse = 0;
	wr(3, 0x14, 0xE0000000);
	ck_assert_int_eq(r.nmap, 1);
	ck_assert_uint_eq(r.m[0].addr, 0xE0000000);
	/* Removing the function unmaps it. */
	pci_bus_remove(&bus, &dev3);
	ck_assert_int_eq(r.m[1].map, 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(3, 0), &dev3), 0);
}
END_TEST

START_TEST(intx_swizzle_and_line)
{
	uint8_t mp;
	static const struct pci_desc d = { .vendor = 1, .int_pin = 2 };
	static struct pci_func f;

	/* The PIIX3's slots: 00:03.0 INTA on link (3 + 1 - 2) mod 4 = C. */
	ck_assert_uint_eq(rd(3, 0x3C) & 0xFF, 18);
	ck_assert_int_eq(pci_intx_gsi(&bus, PCI_DEVFN(3, 0), 1, &mp), 18);
	ck_assert_uint_eq(mp, 3 << 2 | 0);
	ck_assert_int_eq(pci_intx_gsi(&bus, PCI_DEVFN(4, 0), 2, &mp), 16);
	ck_assert_uint_eq(mp, 4 << 2 | 1);
	ck_assert_int_eq(pci_intx_gsi(&bus, PCI_DEVFN(5, 0), 4, NULL), 19);
	ck_assert_int_eq(pci_intx_gsi(&bus, PCI_DEVFN(1, 0), 1, NULL), 16);
	ck_assert_int_eq(pci_intx_gsi(&bus, PCI_DEVFN(2, 0), 1, NULL), 17);
	ck_assert_int_eq(pci_intx_gsi(&bus, PCI_DEVFN(5, 0), 0, NULL), -1);
	ck_assert_int_eq(pci_intx_gsi(&bus, PCI_DEVFN(5, 0), 5, NULL), -1);
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(4, 0), &f), 0);
	ck_assert_uint_eq(rd(4, 0x3C), 0x0210);		/* INTB, GSI 16 */
	pci_bus_remove(&bus, &f);
	/* The owner's routing: QEMU's firmware puts links A-D on 10, 10, 11, 11. */
	pci_bus_set_pirq(&bus, (const unsigned int[4]){ 10, 10, 11, 11 });
	ck_assert_int_eq(pci_intx_gsi(&bus, PCI_DEVFN(3, 0), 1, NULL), 11);
	ck_assert_int_eq(pci_intx_gsi(&bus, PCI_DEVFN(2, 0), 1, NULL), 10);
	ck_assert_uint_eq(rd(3, 0x3C) & 0xFF, 11);
}
END_TEST

START_TEST(intx_links_share_a_gsi)
{
	static const struct pci_desc d = { .vendor = 1, .int_pin = 1 };
	static struct pci_func f1, f2;

	/* 00:01.0 INTA on link A, 00:02.0 INTA on link B: both GSI 10. */
	pci_bus_set_pirq(&bus, (const unsigned int[4]){ 10, 10, 11, 11 });
	ck_assert_int_eq(pci_func_init(&f1, &d, NULL), 0);
	ck_assert_int_eq(pci_func_init(&f2, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(1, 0), &f1), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(2, 0), &f2), 0);
	pci_set_irq(&f1, 1);
	ck_assert_int_eq(r.nintx, 1);
	ck_assert_uint_eq(r.intx_gsi[0], 10);
	ck_assert_int_eq(r.intx_level[0], 1);
	pci_set_irq(&f2, 1);
	ck_assert_int_eq(r.nintx, 1);		/* already high */
	pci_set_irq(&f1, 0);
	ck_assert_int_eq(r.nintx, 1);		/* link B still holds GSI 10 */
	pci_set_irq(&dev3, 1);			/* link C: GSI 11 */
	ck_assert_int_eq(r.nintx, 2);
	ck_assert_uint_eq(r.intx_gsi[1], 11);
	pci_set_irq(&f2, 0);
	ck_assert_int_eq(r.nintx, 3);
	ck_assert_uint_eq(r.intx_gsi[2], 10);
	ck_assert_int_eq(r.intx_level[2], 0);
	pci_bus_remove(&bus, &f2);
	pci_bus_remove(&bus, &f1);
	pci_func_destroy(&f1);
	pci_func_destroy(&f2);
}
END_TEST

START_TEST(intx_assert_disable_status)
{
	pci_set_irq(&dev3, 1);
	ck_assert_int_eq(r.nintx, 1);
	ck_assert_uint_eq(r.intx_gsi[0], 18);
	ck_assert_int_eq(r.intx_level[0], 1);
	ck_assert_uint_eq(rd(3, 0x04) & (PCI_STATUS_INTERRUPT << 16),
			  PCI_STATUS_INTERRUPT << 16);
	/* INTx disable drops the line; the status bit still shows it. */
	wr(3, 0x04, PCI_CMD_INTX_DISABLE);
	ck_assert_int_eq(r.nintx, 2);
	ck_assert_int_eq(r.intx_level[1], 0);
	ck_assert_uint_eq(rd(3, 0x04) >> 16 & PCI_STATUS_INTERRUPT,
			  PCI_STATUS_INTERRUPT);
	pci_set_irq(&dev3, 0);
	ck_assert_int_eq(r.nintx, 2);
	ck_assert_uint_eq(rd(3, 0x04) >> 16 & PCI_STATUS_INTERRUPT, 0);
	pci_set_irq(&dev3, 1);
	ck_assert_int_eq(r.nintx, 2);
	wr(3, 0x04, 0);
	ck_assert_int_eq(r.nintx, 3);
	ck_assert_int_eq(r.intx_level[2], 1);
	pci_set_irq(&dev3, 1);			/* no second edge */
	ck_assert_int_eq(r.nintx, 3);
}
END_TEST

START_TEST(intx_shared_line)
{
	static const struct pci_desc d = { .vendor = 1, .int_pin = 1 };
	static struct pci_func f;

	/* 00:07.0 INTA: (7 + 1 - 2) mod 4 = 2: the same link as 00:03.0. */
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(7, 0), &f), 0);
	pci_set_irq(&dev3, 1);
	pci_set_irq(&f, 1);
	ck_assert_int_eq(r.nintx, 1);
	pci_set_irq(&dev3, 0);
	ck_assert_int_eq(r.nintx, 1);		/* f still holds it */
	pci_set_irq(&f, 0);
	ck_assert_int_eq(r.nintx, 2);
	ck_assert_int_eq(r.intx_level[1], 0);
	pci_set_irq(&f, 1);
	pci_bus_remove(&bus, &f);		/* leaving drops its share */
	ck_assert_int_eq(r.nintx, 4);
	ck_assert_int_eq(r.intx_level[3], 0);
	pci_func_destroy(&f);
}
END_TEST

START_TEST(capability_list)
{
	uint8_t p = rd(3, 0x34) & 0xFF;
	uint8_t ids[4];
	int n = 0;

	ck_assert_uint_eq(rd(3, 0x04) >> 16 & PCI_STATUS_CAP_LIST,
			  PCI_STATUS_CAP_LIST);
	while (p && n < 4) {
		ck_assert_uint_eq(p & 3, 0);
		ck_assert_uint_ge(p, 0x40);
		ids[n++] = rd(3, p) >> (8 * (p & 3)) & 0xFF;
		p = pci_cfg_read(&bus, 0, PCI_DEVFN(3, 0), p + 1, 1);
	}
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(ids[0], PCI_CAP_ID_MSI);
	ck_assert_uint_eq(ids[1], PCI_CAP_ID_MSIX);
	/* The host bridge has none. */
	ck_assert_uint_eq(rd(0, 0x04) >> 16 & PCI_STATUS_CAP_LIST, 0);
	ck_assert_uint_eq(rd(0, 0x34), 0);
}
END_TEST

START_TEST(msi_control_register)
{
	/* 4 vectors capable (010b), 64-bit, per-vector masking. */
	ck_assert_uint_eq(rd(3, 0x40) >> 16, 0x0184);
	wr(3, 0x40, 0xFFFF0000);
	/* Only enable (0) and multiple message enable (6:4) are writable. */
	ck_assert_uint_eq(rd(3, 0x40) >> 16, 0x01F5);
	ck_assert_uint_eq(rd(3, 0x40) & 0xFFFF, 0x5805);
	/* Mask bits exist for the 4 capable vectors only; pending RO. */
	wr(3, 0x50, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(3, 0x50), 0xF);
	wr(3, 0x54, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(3, 0x54), 0);
	ck_assert_uint_eq(rd(3, 0x4C), 0);
	wr(3, 0x4C, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(3, 0x4C), 0xFFFF);	/* 16-bit data */
}
END_TEST

static void msi_program(uint32_t ctrl, uint64_t addr, uint16_t data)
{
	wr(3, 0x44, (uint32_t)addr);
	wr(3, 0x48, (uint32_t)(addr >> 32));
	wr(3, 0x4C, data);
	wr(3, 0x40, ctrl << 16);
}

START_TEST(msi_delivery_multiple_messages)
{
	ck_assert_int_eq(pci_msi_notify(&dev3, 0), -1);	/* disabled */
	ck_assert_int_eq(r.nmsi, 0);
	msi_program(0x0021, 0xFEE01000, 0x4020);	/* enable, 4 vectors */
	ck_assert_int_eq(pci_msi_enabled(&dev3), 1);
	ck_assert_int_eq(pci_msi_notify(&dev3, 2), 1);
	ck_assert_int_eq(r.nmsi, 1);
	ck_assert_uint_eq(r.msi_addr[0], 0xFEE01000);
	ck_assert_uint_eq(r.msi_data[0], 0x4022);
	ck_assert_int_eq(pci_msi_notify(&dev3, 4), -1);
	/* Two vectors enabled: the low bit is the vector. */
	msi_program(0x0011, 0x1FEE00000ull, 0x0033);
	ck_assert_int_eq(pci_msi_notify(&dev3, 1), 1);
	ck_assert_uint_eq(r.msi_addr[1], 0x1FEE00000ull);
	ck_assert_uint_eq(r.msi_data[1], 0x0033);
	ck_assert_int_eq(pci_msi_notify(&dev3, 0), 1);
	ck_assert_uint_eq(r.msi_data[2], 0x0032);
	ck_assert_int_eq(pci_msi_notify(&dev3, 2), -1);
	/* MSI enabled: INTx is not used. */
	pci_set_irq(&dev3, 1);
	ck_assert_int_eq(r.nintx, 0);
	wr(3, 0x40, 0);
	ck_assert_int_eq(r.nintx, 1);
}
END_TEST

START_TEST(msi_enable_beyond_capable)
{
	msi_program(0x0051, 0xFEE00000, 0x0040);	/* 32 asked, 4 able */
	ck_assert_int_eq(pci_msi_notify(&dev3, 3), 1);
	ck_assert_uint_eq(r.msi_data[0], 0x0043);
	ck_assert_int_eq(pci_msi_notify(&dev3, 4), -1);
	ck_assert_int_eq(r.warnings, 1);
}
END_TEST

START_TEST(msi_mask_and_pending)
{
	msi_program(0x0021, 0xFEE00000, 0x0050);
	wr(3, 0x50, 0x4);			/* mask vector 2 */
	ck_assert_int_eq(pci_msi_notify(&dev3, 2), 0);
	ck_assert_int_eq(r.nmsi, 0);
	ck_assert_uint_eq(rd(3, 0x54), 0x4);	/* pending */
	ck_assert_int_eq(pci_msi_notify(&dev3, 1), 1);
	wr(3, 0x50, 0x0);			/* unmask: delivered now */
	ck_assert_int_eq(r.nmsi, 2);
	ck_assert_uint_eq(r.msi_data[1], 0x0052);
	ck_assert_uint_eq(rd(3, 0x54), 0);
	wr(3, 0x50, 0x0);
	ck_assert_int_eq(r.nmsi, 2);		/* once */
	/* Vectors 0 and 3 too, held together, sent in order. */
	wr(3, 0x50, 0x9);
	ck_assert_int_eq(pci_msi_notify(&dev3, 3), 0);
	ck_assert_int_eq(pci_msi_notify(&dev3, 0), 0);
	ck_assert_uint_eq(rd(3, 0x54), 0x9);
	wr(3, 0x50, 0x8);
	ck_assert_int_eq(r.nmsi, 3);
	ck_assert_uint_eq(r.msi_data[2], 0x0050);
	ck_assert_uint_eq(rd(3, 0x54), 0x8);
	wr(3, 0x50, 0x0);
	ck_assert_int_eq(r.nmsi, 4);
	ck_assert_uint_eq(r.msi_data[3], 0x0053);
}
END_TEST

START_TEST(msi_32bit_layout)
{
	static const struct pci_desc d = {
		.vendor = 1, .msi_vectors = 1,
	};
	static struct pci_func f;

	ck_assert_int_eq(pci_func_init(&f, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(8, 0), &f), 0);
	ck_assert_uint_eq(rd(8, 0x40), 0x00000005);	/* 1 vector, 32-bit */
	wr(8, 0x44, 0xFEE0F00F);
	wr(8, 0x48, 0xFFFF0041);
	ck_assert_uint_eq(rd(8, 0x44), 0xFEE0F00C);
	ck_assert_uint_eq(rd(8, 0x48), 0x0041);
	wr(8, 0x40, 0x00710000);		/* MME is RW even if 1 able */
	ck_assert_int_eq(pci_msi_notify(&f, 0), 1);
	ck_assert_uint_eq(r.msi_addr[0], 0xFEE0F00C);
	ck_assert_uint_eq(r.msi_data[0], 0x0041);
	pci_bus_remove(&bus, &f);
	pci_func_destroy(&f);
}
END_TEST

static uint64_t tbl_rd(uint64_t off, unsigned int size)
{
	uint64_t v = 0;

	ck_assert(pci_msix_mmio(&dev3, 4, off, size, &v, false));
	return v;
}

static void tbl_wr(uint64_t off, unsigned int size, uint64_t v)
{
	ck_assert(pci_msix_mmio(&dev3, 4, off, size, &v, true));
}

START_TEST(msix_capability_and_table)
{
	uint64_t v = 0;

	/* Table size N-1 = 4; BIR 4 at 0; PBA BIR 4 at 0x800. */
	ck_assert_uint_eq(rd(3, 0x58), 0x00040011);
	ck_assert_uint_eq(rd(3, 0x5C), 0x00000004);
	ck_assert_uint_eq(rd(3, 0x60), 0x00000804);
	wr(3, 0x58, 0xFFFFFFFF);
	ck_assert_uint_eq(rd(3, 0x58), 0xC0040011);
	wr(3, 0x5C, 0);
	ck_assert_uint_eq(rd(3, 0x5C), 4);
	/* Entries start masked. */
	ck_assert_uint_eq(tbl_rd(0x0C, 4), 1);
	ck_assert_uint_eq(tbl_rd(0x4C, 4), 1);
	tbl_wr(0x10, 8, 0x00000001FEE0200Full);
	ck_assert_uint_eq(tbl_rd(0x10, 4), 0xFEE0200C);
	ck_assert_uint_eq(tbl_rd(0x14, 4), 1);
	tbl_wr(0x1C, 4, 0xFFFFFFFF);		/* 31:1 reserved */
	ck_assert_uint_eq(tbl_rd(0x1C, 4), 1);
	/* Not the table: the device's own register. */
	ck_assert(!pci_msix_mmio(&dev3, 4, 0x50, 4, &v, false));
	ck_assert(!pci_msix_mmio(&dev3, 1, 0x00, 4, &v, false));
	ck_assert(!pci_msix_mmio(&dev3, 4, 0x808, 4, &v, false));
	/* Bad widths are claimed and refused. */
	ck_assert_uint_eq(tbl_rd(0x00, 2), 0xFFFF);
	ck_assert_uint_eq(tbl_rd(0x02, 4), 0xFFFFFFFF);
	ck_assert_uint_eq(tbl_rd(0x04, 8), UINT64_MAX);
	ck_assert_int_eq(r.warnings, 1);
}
END_TEST

START_TEST(msix_mask_pending_function_mask)
{
	ck_assert_int_eq(pci_msix_notify(&dev3, 1), -1);	/* disabled */
	wr(3, 0x58, 0x80000000);			/* enable */
	ck_assert_int_eq(pci_msix_enabled(&dev3), 1);
	tbl_wr(0x10, 4, 0xFEE00000);
	tbl_wr(0x14, 4, 0);
	tbl_wr(0x18, 4, 0x0061);
	ck_assert_int_eq(pci_msix_notify(&dev3, 1), 0);	/* masked */
	ck_assert_uint_eq(tbl_rd(0x800, 8), 0x2);	/* pending bit */
	tbl_wr(0x800, 8, 0);				/* PBA read-only */
	ck_assert_uint_eq(tbl_rd(0x800, 4), 0x2);
	tbl_wr(0x1C, 4, 0);				/* unmask: sent */
	ck_assert_int_eq(r.nmsi, 1);
	ck_assert_uint_eq(r.msi_addr[0], 0xFEE00000);
	ck_assert_uint_eq(r.msi_data[0], 0x0061);
	ck_assert_uint_eq(tbl_rd(0x800, 4), 0);
	ck_assert_int_eq(pci_msix_notify(&dev3, 1), 1);
	ck_assert_int_eq(r.nmsi, 2);
	/* Function mask holds every vector. */
	wr(3, 0x58, 0xC0000000);
	ck_assert_int_eq(pci_msix_notify(&dev3, 1), 0);
	ck_assert_int_eq(r.nmsi, 2);
	ck_assert_uint_eq(tbl_rd(0x800, 4), 0x2);
	wr(3, 0x58, 0x80000000);
	ck_assert_int_eq(r.nmsi, 3);
	ck_assert_uint_eq(tbl_rd(0x800, 4), 0);
	ck_assert_int_eq(pci_msix_notify(&dev3, 5), -1);
	/* MSI-X on: no INTx. */
	pci_set_irq(&dev3, 1);
	ck_assert_int_eq(r.nintx, 0);
}
END_TEST

START_TEST(msix_many_vectors)
{
	/* 40 vectors: the PBA's second dword; the table at 0x100. */
	static const struct pci_desc d = {
		.vendor = 1,
		.bar = { [0] = { PCI_BAR_MEM32, 4096, false } },
		.msix_vectors = 40, .msix_table_bar = 0,
		.msix_table_off = 0x100, .msix_pba_bar = 0,
		.msix_pba_off = 0x800,
	};
	static struct pci_func f;
	uint64_t v;

	ck_assert_int_eq(pci_func_init(&f, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(9, 0), &f), 0);
	ck_assert_uint_eq(rd(9, 0x40), 0x00270011);
	wr(9, 0x40, 0x80000000);
	v = 0xFEE00000;
	ck_assert(pci_msix_mmio(&f, 0, 0x100 + 16 * 35, 4, &v, true));
	v = 0x77;
	ck_assert(pci_msix_mmio(&f, 0, 0x100 + 16 * 35 + 8, 4, &v, true));
	/* Entry 3 (bit 3 of the PBA's first dword) unmasked, idle. */
	v = 0x33;
	ck_assert(pci_msix_mmio(&f, 0, 0x100 + 16 * 3 + 8, 4, &v, true));
	v = 0;
	ck_assert(pci_msix_mmio(&f, 0, 0x100 + 16 * 3 + 12, 4, &v, true));
	ck_assert_int_eq(pci_msix_notify(&f, 35), 0);
	ck_assert(pci_msix_mmio(&f, 0, 0x800, 8, &v, false));
	ck_assert_uint_eq(v, 1ull << 35);
	v = 0;
	ck_assert(pci_msix_mmio(&f, 0, 0x100 + 16 * 35 + 12, 4, &v, true));
	ck_assert_int_eq(r.nmsi, 1);
	ck_assert_uint_eq(r.msi_data[0], 0x77);
	ck_assert(pci_msix_mmio(&f, 0, 0x804, 4, &v, false));
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(pci_msix_notify(&f, 40), -1);
	/* An access across the table's start is claimed and refused. */
	ck_assert(pci_msix_mmio(&f, 0, 0xFC, 8, &v, false));
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert(!pci_msix_mmio(&f, 0, 0xF8, 4, &v, false));
	pci_bus_remove(&bus, &f);
	pci_func_destroy(&f);
}
END_TEST

START_TEST(ecam_access_across_functions)
{
	/* The last 2 bytes of absent 00:02.7, the first 2 of 00:03.0. */
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 2, 7, 0xFFE), 4),
			  0x1234FFFF);
	/* A write that runs into 00:03.0's command register. */
	pci_ecam_write(&bus, ecam(0, 3, 0, 0x3E) , 4, 0x00050000 | 0x1234);
	ck_assert_uint_eq(rd(3, 0x40) >> 16 & 1, 0);	/* MSI flags: RO here */
	pci_ecam_write(&bus, ecam(0, 2, 7, 0xFFF), 2, 0x0200);
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 3, 0, 0), 1), 0x34);
	pci_ecam_write(&bus, ecam(0, 3, 0, 0xFFE), 4, 0x0B0B0000);
	ck_assert_uint_eq(pci_ecam_read(&bus, ecam(0, 3, 1, 0), 4),
			  0xFFFFFFFF);
	pci_ecam_write(&bus, ecam(0, 3, 0, 0x3B), 2, 0x0A00);
	ck_assert_uint_eq(rd(3, 0x3C) & 0xFF, 0x0A);
}
END_TEST

START_TEST(func_init_rejects_impossible)
{
	struct pci_desc d = { .vendor = 1 };
	static struct pci_func f;

	d.bar[0] = (struct pci_bar_desc){ PCI_BAR_MEM32, 3000, false };
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), -1);
	d.bar[0] = (struct pci_bar_desc){ PCI_BAR_IO, 512, false };
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), -1);
	d.bar[0] = (struct pci_bar_desc){ PCI_BAR_MEM32, 8, false };
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), -1);
	d.bar[0] = (struct pci_bar_desc){ 0 };
	d.bar[5] = (struct pci_bar_desc){ PCI_BAR_MEM64, 4096, false };
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), -1);
	d.bar[5] = (struct pci_bar_desc){ PCI_BAR_MEM32, 4096, false };
	d.msix_vectors = 300;		/* 4800 bytes of table */
	d.msix_table_bar = 5;
	d.msix_pba_bar = 5;
	d.msix_pba_off = 0x800;
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), -1);
	d.msix_vectors = 64;		/* table 0-0x3FF, PBA at 0x200 */
	d.msix_pba_off = 0x200;
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), -1);
	d.msix_pba_off = 0x400;
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), 0);
	pci_func_destroy(&f);
	d.msix_vectors = 0;
	d.msi_vectors = 3;
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), -1);
}
END_TEST

START_TEST(multifunction)
{
	static const struct pci_desc d = { .vendor = 9 };
	static struct pci_func f1, g1;

	ck_assert_int_eq(pci_func_init(&f1, &d, NULL), 0);
	ck_assert_int_eq(pci_func_init(&g1, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(9, 1), &g1), -1);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(3, 0), &f1), -1);
	ck_assert_int_eq(pci_bus_add(&bus, 0, &f1), -1);
	ck_assert_uint_eq(rd(3, 0x0C) >> 16 & 0xFF, 0x00);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(3, 1), &f1), 0);
	ck_assert_uint_eq(rd(3, 0x0C) >> 16 & 0xFF, 0x80);
	pci_io_write(&bus, 0xCF8, 4, cf8(0, 3, 1, 0));
	ck_assert_uint_eq(pci_io_read(&bus, 0xCFC, 4), 9);
	pci_bus_remove(&bus, &f1);
	ck_assert_uint_eq(rd(3, 0x0C) >> 16 & 0xFF, 0x00);
}
END_TEST

Suite *pci_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *t = tcase_create("pci");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, data_port_writes_stay_in_their_dword);
	tcase_add_test(t, ecam_same_space);
	tcase_add_test(t, header_write_masks);
	tcase_add_test(t, status_write_one_to_clear);
	tcase_add_test(t, bar_sizing);
	tcase_add_test(t, bar_sizing_large_64bit);
	tcase_add_test(t, bar_decode_map_unmap);
	tcase_add_test(t, command_changes_reported);
	tcase_add_test(t, smallest_bars_and_extended_space);
	tcase_add_test(t, bar_64bit_placement);
	tcase_add_test(t, bar_refused_placement);
	tcase_add_test(t, intx_assert_disable_status);
	tcase_add_test(t, msi_control_register);
	tcase_add_test(t, msi_delivery_multiple_messages);
	tcase_add_test(t, msi_enable_beyond_capable);
	tcase_add_test(t, msi_mask_and_pending);
	tcase_add_test(t, msi_32bit_layout);
	tcase_add_test(t, msix_capability_and_table);
	tcase_add_test(t, msix_mask_pending_function_mask);
	tcase_add_test(t, msix_many_vectors);
	tcase_add_test(t, ecam_access_across_functions);
	suite_add_tcase(s, t);
	return s;
}

/* What a stubbed configuration write cannot break (reads, routing, the
 * layout pci_func_init() builds): not exercise 4.bars's, a suite of its
 * own. */
Suite *pci_bus_suite(void)
{
	Suite *s = suite_create("pci-bus");
	TCase *t = tcase_create("pci-bus");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, host_bridge);
	tcase_add_test(t, absent_functions_read_all_ones);
	tcase_add_test(t, config_address_register);
	tcase_add_test(t, data_port_needs_enable);
	tcase_add_test(t, data_port_every_width);
	tcase_add_test(t, ecam_pcie_function);
	tcase_add_test(t, status_read_only_bits);
	tcase_add_test(t, intx_swizzle_and_line);
	tcase_add_test(t, intx_links_share_a_gsi);
	tcase_add_test(t, intx_shared_line);
	tcase_add_test(t, capability_list);
	tcase_add_test(t, func_init_rejects_impossible);
	tcase_add_test(t, multifunction);
	suite_add_tcase(s, t);
	return s;
}

/*
 * test_edu.c - the edu device against QEMU's docs/specs/edu.rst and what
 * QEMU's implementation does where the text is silent (edu.h): PCI
 * identity, identification, liveness, factorial (busy bit, wrap,
 * interrupt), raise/ack/status on INTx and MSI, and the DMA engine with
 * every guest-supplied address and length checked.
 */
#include <string.h>

#include "dev/edu.h"
#include "devunit.h"

#define RAM_SIZE (1u << 20)

static struct rec {
	uint64_t now, deadline;
	int nintx, intx_level;
	int nmsi;
	uint64_t msi_addr;
	uint32_t msi_data;
	int warnings;
	int dma_calls;
} r;

static uint8_t ram[RAM_SIZE];
static struct pci_bus bus;
static struct edu e;

static void b_intx(void *o, unsigned int gsi, int level)
{
	(void)o;
	(void)gsi;
	r.nintx++;
	r.intx_level = level;
}

static void b_msi(void *o, uint64_t addr, uint32_t data)
{
	(void)o;
	r.nmsi++;
	r.msi_addr = addr;
	r.msi_data = data;
}

static void r_warn(void *o, const char *d, const char *m)
{
	(void)o;
	(void)d;
	(void)m;
	r.warnings++;
}

static const struct pci_bus_ops bops = {
	.intx = b_intx, .msi = b_msi, .warn = r_warn,
};

/* Guest RAM is [0, 1 MiB) in one memslot; nothing else is RAM. */
static bool in_ram(uint64_t gpa, size_t len)
{
	return gpa <= RAM_SIZE && len <= RAM_SIZE - gpa;
}

static int e_dma_read(void *o, uint64_t gpa, void *buf, size_t len)
{
	(void)o;
	r.dma_calls++;
	if (!in_ram(gpa, len))
		return -14;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static int e_dma_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	(void)o;
	r.dma_calls++;
	if (!in_ram(gpa, len))
		return -14;
	memcpy(ram + gpa, buf, len);
	return 0;
}

static uint64_t e_now(void *o)
{
	(void)o;
	return r.now;
}

static void e_deadline(void *o, uint64_t ns)
{
	(void)o;
	r.deadline = ns;
}

static const struct edu_ops eops = {
	.dma_read = e_dma_read, .dma_write = e_dma_write, .now_ns = e_now,
	.deadline = e_deadline, .warn = r_warn,
};

#define DEVFN PCI_DEVFN(4, 0)

static uint32_t cfg(uint16_t reg)
{
	return pci_cfg_read(&bus, 0, DEVFN, reg, 4);
}

static void cfg_w(uint16_t reg, uint32_t v)
{
	pci_cfg_write(&bus, 0, DEVFN, reg, 4, v);
}

static const struct edu_config delays = {
	.fact_delay_ns = 1000, .dma_delay_ns = 100000000,	/* QEMU's */
};

static void setup(void)
{
	memset(&r, 0, sizeof(r));
	memset(ram, 0, sizeof(ram));
	r.now = 5000;
	pci_bus_init(&bus, &bops, NULL, &test_host_bridge);
	ck_assert_int_eq(edu_init(&e, &eops, NULL, &delays), 0);
	ck_assert_int_eq(pci_bus_add(&bus, DEVFN, &e.pci), 0);
	cfg_w(0x10, 0xFEA00000);
	cfg_w(0x04, PCI_CMD_MEMORY | PCI_CMD_MASTER);
}

static void teardown(void)
{
	pci_bus_remove(&bus, &e.pci);
	edu_destroy(&e);
	pci_bus_destroy(&bus);
}

static uint32_t rd(uint64_t off)
{
	return (uint32_t)edu_mmio_read(&e, off, 4);
}

static void wr(uint64_t off, uint32_t v)
{
	edu_mmio_write(&e, off, 4, v);
}

static void at(uint64_t t)
{
	r.now = t;
	edu_service(&e);
}

START_TEST(pci_identity)
{
	ck_assert_uint_eq(cfg(0x00), 0x11E81234);
	ck_assert_uint_eq(cfg(0x08), 0x00FF0010);	/* class 00ff, rev 10 */
	ck_assert_uint_eq(cfg(0x2C), 0x11001AF4);
	ck_assert_uint_eq(cfg(0x3C) >> 8 & 0xFF, 1);	/* INTA */
	cfg_w(0x10, 0xFFFFFFFF);
	ck_assert_uint_eq(cfg(0x10), 0xFFF00000);	/* 1 MiB, 32-bit */
	ck_assert_uint_eq(cfg(0x14), 0);
	ck_assert_uint_eq(cfg(0x34), 0x40);
	/* One vector, 64-bit, no masking. */
	ck_assert_uint_eq(cfg(0x40), 0x00800005);
}
END_TEST

START_TEST(identification_and_liveness)
{
	ck_assert_uint_eq(rd(EDU_REG_ID), 0x010000ED);
	wr(EDU_REG_ID, 0);
	ck_assert_uint_eq(rd(EDU_REG_ID), 0x010000ED);
	wr(EDU_REG_LIVE, 0x12345678);
	ck_assert_uint_eq(rd(EDU_REG_LIVE), 0xEDCBA987);
	wr(EDU_REG_LIVE, 0);
	ck_assert_uint_eq(rd(EDU_REG_LIVE), 0xFFFFFFFF);
	ck_assert_uint_eq(rd(EDU_REG_STATUS), 0);	/* nothing else moved */
	ck_assert_uint_eq(rd(EDU_REG_FACT), 0);
	/* Below 0x80 only 4-byte accesses count. */
	ck_assert_uint_eq(edu_mmio_read(&e, 0, 2), 0xFFFF);
	ck_assert_uint_eq(edu_mmio_read(&e, 0, 1), 0xFF);
	ck_assert_uint_eq(edu_mmio_read(&e, 0, 8), UINT64_MAX);
	edu_mmio_write(&e, EDU_REG_LIVE, 2, 0);
	edu_mmio_write(&e, EDU_REG_LIVE, 8, 0);
	ck_assert_uint_eq(rd(EDU_REG_LIVE), 0xFFFFFFFF);
	/* Registers that are not there, and write-only ones. */
	ck_assert_uint_eq(rd(0x0C), 0xFFFFFFFF);
	ck_assert_uint_eq(rd(EDU_REG_IRQ_RAISE), 0xFFFFFFFF);
	ck_assert_uint_eq(rd(0xFFFFC), 0xFFFFFFFF);
}
END_TEST

START_TEST(factorial)
{
	wr(EDU_REG_FACT, 5);
	ck_assert_uint_eq(rd(EDU_REG_STATUS) & EDU_STATUS_COMPUTING, 1);
	ck_assert_uint_eq(r.deadline, 5000 + 1000);
	wr(EDU_REG_FACT, 7);			/* busy: ignored */
	r.now = 5999;
	ck_assert_uint_eq(rd(EDU_REG_STATUS), 1);
	at(6000);
	ck_assert_uint_eq(rd(EDU_REG_STATUS), 0);
	ck_assert_uint_eq(rd(EDU_REG_FACT), 120);
	/* Done at the first access after it is due, even unserviced. */
	wr(EDU_REG_FACT, 10);
	r.now += 1000;
	ck_assert_uint_eq(rd(EDU_REG_FACT), 3628800);
	/* A write after the due time sees the old one finished first. */
	wr(EDU_REG_FACT, 3);
	r.now += 1000;
	wr(EDU_REG_FACT, 4);
	at(r.now + 1000);
	ck_assert_uint_eq(rd(EDU_REG_FACT), 24);
	wr(EDU_REG_FACT, 13);			/* 6227020800 mod 2^32 */
	at(r.now + 1000);
	ck_assert_uint_eq(rd(EDU_REG_FACT), 1932053504);
	wr(EDU_REG_FACT, 0);
	at(r.now + 1000);
	ck_assert_uint_eq(rd(EDU_REG_FACT), 1);
	wr(EDU_REG_FACT, 33);			/* 33! has 31 factors of 2 */
	at(r.now + 1000);
	ck_assert_uint_eq(rd(EDU_REG_FACT), 0x80000000);
	wr(EDU_REG_FACT, 34);			/* 32 of them: 0 mod 2^32 */
	at(r.now + 1000);
	ck_assert_uint_eq(rd(EDU_REG_FACT), 0);
	/* The largest n: n! holds 34! as a factor, so it is 0 too. */
	wr(EDU_REG_FACT, 0xFFFFFFFF);
	at(r.now + 1000);
	ck_assert_uint_eq(rd(EDU_REG_FACT), 0);
	ck_assert_int_eq(r.nintx, 0);		/* no interrupt asked */
}
END_TEST

START_TEST(factorial_interrupt)
{
	wr(EDU_REG_STATUS, 0xFF);		/* only bit 7 sticks */
	ck_assert_uint_eq(rd(EDU_REG_STATUS), EDU_STATUS_IRQFACT);
	wr(EDU_REG_FACT, 4);
	ck_assert_uint_eq(rd(EDU_REG_STATUS), 0x81);
	ck_assert_int_eq(r.nintx, 0);
	at(r.now + 1000);
	ck_assert_uint_eq(rd(EDU_REG_FACT), 24);
	ck_assert_int_eq(r.intx_level, 1);
	ck_assert_uint_eq(rd(EDU_REG_IRQ_STATUS), EDU_IRQ_FACT);
	wr(EDU_REG_IRQ_ACK, EDU_IRQ_FACT);
	ck_assert_int_eq(r.intx_level, 0);
	wr(EDU_REG_STATUS, 0);
	ck_assert_uint_eq(rd(EDU_REG_STATUS), 0);
}
END_TEST

START_TEST(raise_ack_intx)
{
	wr(EDU_REG_IRQ_RAISE, 0);		/* nothing to raise */
	ck_assert_int_eq(r.nintx, 0);
	wr(EDU_REG_IRQ_RAISE, 0x5);
	ck_assert_int_eq(r.nintx, 1);
	ck_assert_int_eq(r.intx_level, 1);
	ck_assert_uint_eq(rd(EDU_REG_IRQ_STATUS), 0x5);
	ck_assert_uint_eq(cfg(0x04) >> 16 & PCI_STATUS_INTERRUPT,
			  PCI_STATUS_INTERRUPT);
	wr(EDU_REG_IRQ_STATUS, 0);		/* read-only */
	ck_assert_uint_eq(rd(EDU_REG_IRQ_STATUS), 0x5);
	wr(EDU_REG_IRQ_ACK, 0x1);
	ck_assert_int_eq(r.intx_level, 1);	/* 0x4 still there */
	wr(EDU_REG_IRQ_RAISE, 0x30);
	ck_assert_uint_eq(rd(EDU_REG_IRQ_STATUS), 0x34);
	wr(EDU_REG_IRQ_ACK, 0x34);
	ck_assert_int_eq(r.intx_level, 0);
	ck_assert_uint_eq(rd(EDU_REG_IRQ_STATUS), 0);
	/* Raise and ack touch nothing else. */
	ck_assert_uint_eq(edu_mmio_read(&e, EDU_REG_DMA_SRC, 8), 0);
	ck_assert_uint_eq(rd(EDU_REG_STATUS), 0);
}
END_TEST

START_TEST(raise_msi)
{
	cfg_w(0x44, 0xFEE00000);
	cfg_w(0x48, 0);
	cfg_w(0x4C, 0x0041);
	cfg_w(0x40, 0x00010000);		/* MSI enable */
	wr(EDU_REG_IRQ_RAISE, 0x2);
	ck_assert_int_eq(r.nmsi, 1);
	ck_assert_uint_eq(r.msi_addr, 0xFEE00000);
	ck_assert_uint_eq(r.msi_data, 0x41);
	ck_assert_int_eq(r.nintx, 0);
	/* Each raise is a message, as on QEMU; status keeps the OR. */
	wr(EDU_REG_IRQ_RAISE, 0x2);
	ck_assert_int_eq(r.nmsi, 2);
	ck_assert_uint_eq(rd(EDU_REG_IRQ_STATUS), 0x2);
	wr(EDU_REG_IRQ_ACK, 0x2);
	ck_assert_int_eq(r.nmsi, 2);
	ck_assert_int_eq(r.nintx, 0);
}
END_TEST

static void dma(uint64_t src, uint64_t dst, uint64_t cnt, uint32_t cmd)
{
	edu_mmio_write(&e, EDU_REG_DMA_SRC, 8, src);
	edu_mmio_write(&e, EDU_REG_DMA_DST, 8, dst);
	edu_mmio_write(&e, EDU_REG_DMA_CNT, 8, cnt);
	wr(EDU_REG_DMA_CMD, cmd);
}

START_TEST(dma_round_trip)
{
	int i;

	for (i = 0; i < 100; i++)
		ram[0x1000 + i] = (uint8_t)(i * 7 + 1);
	dma(0x1000, EDU_BUF_ADDR, 100, EDU_DMA_RUN);
	ck_assert_uint_eq(rd(EDU_REG_DMA_CMD), 1);
	ck_assert_uint_eq(r.deadline, r.now + 100000000);
	/* Registers are frozen while it runs. */
	edu_mmio_write(&e, EDU_REG_DMA_SRC, 8, 0x9999);
	wr(EDU_REG_DMA_CMD, 0x7);
	ck_assert_uint_eq(edu_mmio_read(&e, EDU_REG_DMA_SRC, 8), 0x1000);
	ck_assert_uint_eq(rd(EDU_REG_DMA_CMD), 1);
	at(r.now + 100000000);
	ck_assert_uint_eq(rd(EDU_REG_DMA_CMD), 0);
	ck_assert_mem_eq(e.buf, ram + 0x1000, 100);
	/* And back, to addr + 100, with the DMA interrupt. */
	dma(EDU_BUF_ADDR, 0x1000 + 100, 100,
	    EDU_DMA_RUN | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
	at(r.now + 100000000);
	ck_assert_mem_eq(ram + 0x1064, ram + 0x1000, 100);
	ck_assert_uint_eq(rd(EDU_REG_IRQ_STATUS), EDU_IRQ_DMA);
	ck_assert_int_eq(r.intx_level, 1);
	ck_assert_uint_eq(rd(EDU_REG_DMA_CMD), 0x6);
	/* From the middle of the buffer to RAM. */
	dma(EDU_BUF_ADDR + 10, 0x5000, 20, EDU_DMA_RUN | EDU_DMA_TO_RAM);
	at(r.now + 100000000);
	ck_assert_mem_eq(ram + 0x5000, e.buf + 10, 20);
	ck_assert_mem_eq(ram + 0x5000, ram + 0x100A, 20);
	/* The last byte of the buffer, from its end. */
	ram[0x3000] = 0xAB;
	dma(0x3000, EDU_BUF_ADDR + EDU_BUF_SIZE - 1, 1, EDU_DMA_RUN);
	at(r.now + 100000000);
	ck_assert_uint_eq(e.buf[EDU_BUF_SIZE - 1], 0xAB);
	ck_assert_int_eq(r.warnings, 0);
}
END_TEST

START_TEST(dma_registers_widths)
{
	edu_mmio_write(&e, EDU_REG_DMA_SRC, 8, 0x100001000ull);
	ck_assert_uint_eq(edu_mmio_read(&e, EDU_REG_DMA_SRC, 8),
			  0x100001000ull);
	ck_assert_uint_eq(rd(EDU_REG_DMA_SRC), 0x00001000);
	ck_assert_uint_eq(rd(EDU_REG_DMA_SRC + 4), 0xFFFFFFFF);
	ck_assert_uint_eq(edu_mmio_read(&e, EDU_REG_DMA_SRC, 4), 0x1000);
	/* Each register on its own. */
	edu_mmio_write(&e, EDU_REG_DMA_CNT, 8, 0x333);
	edu_mmio_write(&e, EDU_REG_DMA_DST, 8, 0x2222);
	ck_assert_uint_eq(edu_mmio_read(&e, EDU_REG_DMA_SRC, 8),
			  0x100001000ull);
	ck_assert_uint_eq(edu_mmio_read(&e, EDU_REG_DMA_DST, 8), 0x2222);
	ck_assert_uint_eq(edu_mmio_read(&e, EDU_REG_DMA_CNT, 8), 0x333);
	wr(EDU_REG_DMA_SRC, 0x2000);		/* 32-bit write: upper 0 */
	ck_assert_uint_eq(edu_mmio_read(&e, EDU_REG_DMA_SRC, 8), 0x2000);
	wr(EDU_REG_DMA_SRC + 4, 0x1);		/* not a register */
	ck_assert_uint_eq(edu_mmio_read(&e, EDU_REG_DMA_SRC, 8), 0x2000);
	edu_mmio_write(&e, EDU_REG_DMA_SRC, 2, 0x3000);
	ck_assert_uint_eq(edu_mmio_read(&e, EDU_REG_DMA_SRC, 2), 0xFFFF);
	/* A command without RUN is not written. */
	wr(EDU_REG_DMA_CMD, EDU_DMA_IRQ);
	ck_assert_uint_eq(rd(EDU_REG_DMA_CMD), 0);
}
END_TEST

static void refused(uint64_t src, uint64_t dst, uint64_t cnt, uint32_t cmd)
{
	uint8_t before[EDU_BUF_SIZE];

	memcpy(before, e.buf, sizeof(before));
	dma(src, dst, cnt, cmd | EDU_DMA_RUN | EDU_DMA_IRQ);
	at(r.now + 100000000);
	ck_assert_uint_eq(rd(EDU_REG_DMA_CMD) & EDU_DMA_RUN, 0);
	ck_assert_uint_eq(rd(EDU_REG_IRQ_STATUS) & EDU_IRQ_DMA, EDU_IRQ_DMA);
	wr(EDU_REG_IRQ_ACK, EDU_IRQ_DMA);
	ck_assert_mem_eq(before, e.buf, sizeof(before));
}

START_TEST(dma_hostile_ranges)
{
	memset(ram, 0x5A, RAM_SIZE);
	/* Outside the device buffer: before, past its end, overflowing. */
	refused(0x1000, EDU_BUF_ADDR - 1, 16, 0);
	refused(0x1000, EDU_BUF_ADDR + 0xF00, 0x101, 0);
	refused(0x1000, EDU_BUF_ADDR, EDU_BUF_SIZE + 1, 0);
	refused(0x1000, EDU_BUF_ADDR + 16, UINT64_MAX - 15, 0);
	refused(0x1000, UINT64_MAX, 2, 0);
	refused(EDU_BUF_ADDR + 4000, 0x1000, 200, EDU_DMA_TO_RAM);
	ck_assert_int_eq(r.dma_calls, 0);
	/* Guest memory that is not RAM: the owner refuses it whole. */
	refused(RAM_SIZE - 8, EDU_BUF_ADDR, 16, 0);
	ck_assert_int_eq(r.dma_calls, 1);
	refused(EDU_BUF_ADDR, RAM_SIZE - 8, 16, EDU_DMA_TO_RAM);
	ck_assert_uint_eq(ram[RAM_SIZE - 8], 0x5A);
	ck_assert_int_eq(r.warnings, 2);	/* once per kind */
}
END_TEST

START_TEST(dma_needs_bus_master)
{
	ram[0x10] = 0x77;
	cfg_w(0x04, PCI_CMD_MEMORY);
	refused(0x10, EDU_BUF_ADDR, 1, 0);
	ck_assert_int_eq(r.dma_calls, 0);
	cfg_w(0x04, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	dma(0x10, EDU_BUF_ADDR, 1, EDU_DMA_RUN);
	at(r.now + 100000000);
	ck_assert_uint_eq(e.buf[0], 0x77);
}
END_TEST

START_TEST(dma_mask_clamps)
{
	ram[0x1000] = 0x42;
	/* 28-bit device: 0x10001000 reaches 0x1000, as on QEMU. */
	dma(0x10001000, EDU_BUF_ADDR, 1, EDU_DMA_RUN);
	at(r.now + 100000000);
	ck_assert_uint_eq(e.buf[0], 0x42);
	ck_assert_int_eq(r.warnings, 1);
	dma(0x1000, EDU_BUF_ADDR + 1, 0, EDU_DMA_RUN);	/* empty */
	at(r.now + 100000000);
	ck_assert_int_eq(r.dma_calls, 1);
	/* Below 2^28 nothing is clamped: 0x08001000 is not RAM here. */
	dma(0x08001000, EDU_BUF_ADDR, 1, EDU_DMA_RUN);
	at(r.now + 100000000);
	ck_assert_int_eq(r.dma_calls, 2);
	ck_assert_int_eq(r.warnings, 2);	/* the refusal */
}
END_TEST

Suite *edu_suite(void)
{
	Suite *s = suite_create("edu");
	TCase *t = tcase_create("edu");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, pci_identity);
	tcase_add_test(t, identification_and_liveness);
	tcase_add_test(t, factorial);
	tcase_add_test(t, factorial_interrupt);
	tcase_add_test(t, raise_ack_intx);
	tcase_add_test(t, raise_msi);
	tcase_add_test(t, dma_round_trip);
	tcase_add_test(t, dma_registers_widths);
	tcase_add_test(t, dma_hostile_ranges);
	tcase_add_test(t, dma_needs_bus_master);
	tcase_add_test(t, dma_mask_clamps);
	suite_add_tcase(s, t);
	return s;
}

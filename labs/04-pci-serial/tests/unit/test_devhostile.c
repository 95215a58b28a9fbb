/*
 * test_hostile.c - a guest (or a file) doing nonsense: long runs of
 * random accesses at random widths and offsets to every model, random
 * tables for the remapping walker, mutated bzImage headers. Each model
 * must keep answering and keep its invariants; `make asan` runs this
 * under AddressSanitizer and UBSan. Deterministic: fixed seeds.
 */
#include <errno.h>
#include <string.h>

#include "cpu/bzimage.h"
#include "pci/dmar.h"
#include "dev/edu.h"
#include "pci/pci.h"
#include "dev/rtc.h"
#include "dev/uart.h"
#include "devunit.h"

#define ROUNDS 50000

static uint64_t now;
static int level_changes;

static uint64_t h_now(void *o)
{
	(void)o;
	return now;
}

static int h_map(void *o, struct pci_func *f, int bar, enum pci_bar_type t,
		 uint64_t addr, uint64_t size)
{
	(void)o;
	(void)f;
	(void)bar;
	/* The owner's checks: a BAR must lie in its space. */
	ck_assert_uint_ne(size, 0);
	ck_assert_uint_ge(addr + size - 1, addr);
	if (t == PCI_BAR_IO)
		ck_assert_uint_le(addr + size - 1, 0xFFFF);
	return (addr & 0xF0000000) == 0 ? -1 : 0;	/* "RAM" below */
}

static void h_intx(void *o, unsigned int gsi, int level)
{
	(void)o;
	ck_assert_uint_ge(gsi, 16);
	ck_assert_uint_le(gsi, 19);
	(void)level;
	level_changes++;
}

static void h_msi(void *o, uint64_t a, uint32_t d)
{
	(void)o;
	(void)a;
	(void)d;
}

static const unsigned int sizes[] = { 1, 2, 4, 8, 3, 0 };

START_TEST(pci_random_config)
{
	static const struct pci_bus_ops ops = {
		.map = h_map, .intx = h_intx, .msi = h_msi,
	};
	static const struct pci_desc d = {
		.vendor = 1, .device = 2, .int_pin = 3,
		.bar = {
			[0] = { PCI_BAR_IO, 256, false },
			[1] = { PCI_BAR_MEM64, 1ull << 32, true },
			[3] = { PCI_BAR_MEM32, 8192, false },
		},
		.msi_vectors = 32, .msi_64bit = true, .msi_maskbit = true,
		.msix_vectors = 97, .msix_table_bar = 3,
		.msix_pba_bar = 3, .msix_pba_off = 0x1000,
	};
	static struct pci_bus b;
	static struct pci_func f, g;
	uint64_t s = 0x1234567;
	int i, j;

	pci_bus_init(&b, &ops, NULL, &test_host_bridge);
	ck_assert_int_eq(pci_func_init(&f, &d, NULL), 0);
	ck_assert_int_eq(pci_func_init(&g, &d, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&b, PCI_DEVFN(2, 0), &f), 0);
	ck_assert_int_eq(pci_bus_add(&b, PCI_DEVFN(2, 3), &g), 0);
	for (i = 0; i < ROUNDS; i++) {
		uint32_t r = xrnd(&s), v = xrnd(&s);
		unsigned int sz = sizes[r % 6];
		uint64_t x = v;

		switch ((r >> 3) % 8) {
		case 0:
			pci_io_write(&b, 0xCF8, 4, (v & 0x800010FF) | 0x1000 |
				     (r & 0x300));
			break;
		case 1:
			pci_io_write(&b, (uint16_t)(0xCF8 + (v & 7)), sz,
				     xrnd(&s));
			break;
		case 2:
			pci_io_read(&b, (uint16_t)(0xCF8 + (v & 7)), sz);
			break;
		case 3:
			pci_ecam_write(&b, (uint64_t)(v & 0x1FFFFF) |
				       (uint64_t)(r & 1) << 28, sz, xrnd(&s));
			break;
		case 4:
			pci_ecam_read(&b, v & 0x1FFFFF, sz);
			break;
		case 5:
			pci_set_irq(v & 1 ? &f : &g, (int)(r >> 8) & 1);
			break;
		case 6:
			pci_msi_notify(&f, v % 40);
			pci_msix_notify(&g, v % 120);
			break;
		default:
			pci_msix_mmio(&f, (int)(v % 7), xrnd(&s) % 9000, sz, &x,
				      r & 0x100);
			break;
		}
		/* Invariants: read-only identity, BAR decode rules. */
		ck_assert_uint_eq(pci_cfg_read(&b, 0, PCI_DEVFN(2, 0), 0, 4),
				  0x00020001);
		for (j = 0; j < PCI_NUM_BARS; j++)
			if (f.bar_mapped[j])
				ck_assert(f.bar[j].type != PCI_BAR_NONE);
	}
	pci_bus_remove(&b, &g);
	pci_bus_remove(&b, &f);
	ck_assert_uint_eq(b.pirq_count[0] + b.pirq_count[1] +
			  b.pirq_count[2] + b.pirq_count[3], 0);
	pci_func_destroy(&f);
	pci_func_destroy(&g);
	pci_bus_destroy(&b);
}
END_TEST

static bool tx_ok(void *o, uint8_t b)
{
	(void)b;
	return (*(uint64_t *)o)++ % 3 != 0;	/* the host sometimes full */
}

static void count_irq(void *o, int level)
{
	(void)o;
	(void)level;
	level_changes++;
}

START_TEST(uart_random)
{
	uint64_t s = 0xABCDEF, tx = 0;
	struct uart_ops ops = {
		.irq = count_irq, .tx = tx_ok, .now_ns = h_now,
	};
	static struct uart u;
	uint8_t buf[40];
	int i;

	now = 0;
	uart_init(&u, &ops, &tx);
	for (i = 0; i < ROUNDS; i++) {
		uint32_t r = xrnd(&s);

		now += r % 200000;
		switch (r % 5) {
		case 0:
			uart_write(&u, (r >> 8) % 9, (uint8_t)(r >> 16));
			break;
		case 1:
			uart_read(&u, (r >> 8) % 9);
			break;
		case 2:
			memset(buf, (int)r, sizeof(buf));
			ck_assert_uint_le(uart_rx_push(&u, buf,
						       (r >> 8) % 40), 16);
			break;
		case 3:
			uart_tx_kick(&u);
			break;
		default:
			uart_service(&u);
			break;
		}
		ck_assert_uint_le(u.rx_count, 16);
		ck_assert_uint_le(u.tx_count, 16);
		ck_assert_uint_lt(u.rx_head, 16);
	}
	uart_destroy(&u);
}
END_TEST

static uint8_t small_ram[4096];

static int ram_rd(void *o, uint64_t gpa, void *buf, size_t len)
{
	(void)o;
	if (gpa > sizeof(small_ram) || len > sizeof(small_ram) - gpa)
		return -14;
	memcpy(buf, small_ram + gpa, len);
	return 0;
}

static int ram_wr(void *o, uint64_t gpa, const void *buf, size_t len)
{
	(void)o;
	if (gpa > sizeof(small_ram) || len > sizeof(small_ram) - gpa)
		return -14;
	memcpy(small_ram + gpa, buf, len);
	return 0;
}

START_TEST(edu_random)
{
	static const struct pci_bus_ops bops = {
		.map = h_map, .intx = h_intx, .msi = h_msi,
	};
	static const struct edu_ops eops = {
		.dma_read = ram_rd, .dma_write = ram_wr, .now_ns = h_now,
	};
	static struct pci_bus b;
	static struct edu e;
	uint64_t s = 0x600DF00D;
	int i;

	now = 0;
	pci_bus_init(&b, &bops, NULL, &test_host_bridge);
	ck_assert_int_eq(edu_init(&e, &eops, NULL, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&b, PCI_DEVFN(4, 0), &e.pci), 0);
	pci_cfg_write(&b, 0, PCI_DEVFN(4, 0), 4, 2, 0x6);
	for (i = 0; i < ROUNDS; i++) {
		uint32_t r = xrnd(&s);
		uint64_t off = r & 4 ? (r >> 8) & 0xFF : (r >> 8) & 0xFFFFF;
		uint64_t v = (uint64_t)xrnd(&s) << 32 | xrnd(&s);

		/* Mostly near the buffer, sometimes anywhere. */
		if (r & 0x10)
			v = 0x40000 + (v & 0x1FFF) - 0x800;
		now += r & 0xFFFF;
		if (r & 1)
			edu_mmio_write(&e, off, sizes[(r >> 1) % 6], v);
		else
			edu_mmio_read(&e, off, sizes[(r >> 1) % 6]);
		if ((r & 0x3F) == 0)
			edu_service(&e);
		if ((r & 0x3FF) == 0)
			pci_cfg_write(&b, 0, PCI_DEVFN(4, 0), 0x40, 4,
				      xrnd(&s));
	}
	pci_bus_remove(&b, &e.pci);
	edu_destroy(&e);
	pci_bus_destroy(&b);
}
END_TEST

START_TEST(rtc_random)
{
	struct rtc_ops ops = { .irq = count_irq, .now_ns = h_now };
	static struct rtc c;
	uint64_t s = 0xC0FFEE;
	int i;

	now = 1000;
	rtc_init(&c, &ops, NULL, 1700000000);
	for (i = 0; i < ROUNDS; i++) {
		uint32_t r = xrnd(&s);

		now += (r & 0x80) ? (uint64_t)r * 1000 : r % 5000;
		if (r & 1)
			rtc_io_write(&c, 0x70 + ((r >> 1) & 1),
				     (uint8_t)(r >> 8));
		else
			rtc_io_read(&c, 0x70 + ((r >> 1) & 1));
		if ((r & 0xF0) == 0)
			rtc_service(&c);
	}
	rtc_destroy(&c);
}
END_TEST

static uint8_t dmem[64 * 1024];

static int dmem_rd(void *o, uint64_t gpa, void *buf, size_t len)
{
	(void)o;
	if (gpa > sizeof(dmem) || len > sizeof(dmem) - gpa)
		return -14;
	memcpy(buf, dmem + gpa, len);
	return 0;
}

START_TEST(dmar_random_tables)
{
	static const struct dmar_ops ops = { .read = dmem_rd };
	static struct dmar d;
	uint64_t s = 0xD3A4;
	struct dmar_xlate x;
	struct dmar_irq irq;
	size_t i;
	int n;

	dmar_init(&d, &ops, NULL, 48);
	for (n = 0; n < 200; n++) {
		/* Random memory where the tables point into it often. */
		for (i = 0; i < sizeof(dmem); i += 4) {
			uint32_t v = xrnd(&s);

			if ((v & 3) == 0)
				v = (v & 0xF000) | 0x3 | (v & 0x80);
			memcpy(dmem + i, &v, 4);
		}
		dmar_set_root(&d, (xrnd(&s) & 0xF000), true);
		dmar_set_irta(&d, (xrnd(&s) & 0xF000) | (n & 0xF) |
			      (uint64_t)(n & 0x10) << 7, true, n & 1);
		for (i = 0; i < 200; i++) {
			uint64_t iova = (uint64_t)xrnd(&s) << 20 ^ xrnd(&s);
			int f = dmar_translate(&d, (uint16_t)xrnd(&s), iova,
					       i & 1, &x);

			ck_assert(f == 0 || (f >= 1 && f <= 0xD));
			if (!f)
				ck_assert(x.page_size == 4096 ||
					  x.page_size == 2u << 20 ||
					  x.page_size == 1u << 30);
			f = dmar_remap_msi(&d, (uint16_t)xrnd(&s),
					   0xFEE00000 | (xrnd(&s) & 0xFFFFF),
					   xrnd(&s), &irq);
			ck_assert(f == 0 || (f >= 0x20 && f <= 0x26));
		}
	}
	dmar_destroy(&d);
}
END_TEST

START_TEST(bzimage_mutated_headers)
{
	static uint8_t img[8192];
	static const struct bzimage_e820 map[] = {
		{ 0, 0x9FC00, 1 }, { 0x100000, 255u << 20, 1 },
	};
	struct bzimage_config cfg = {
		.cmdline = "console=ttyS0", .initrd_size = 1 << 20,
		.e820 = map, .e820_n = 2,
	};
	struct bzimage_info bi;
	struct bzimage_plan p;
	static uint8_t zp[BP_SIZE];
	uint64_t s = 0xB2;
	char err[200];
	int n, i, rc;

	for (n = 0; n < 20000; n++) {
		memset(img, 0, sizeof(img));
		img[0x1F1] = 1;
		img[0x1FE] = 0x55;
		img[0x1FF] = 0xAA;
		img[0x201] = 0x6A;
		memcpy(img + 0x202, "HdrS", 4);
		img[0x206] = 0x0F;
		img[0x207] = 0x02;
		img[0x211] = 1;
		img[0x236] = 1;
		/* Then clobber a few header bytes. */
		for (i = 0; i < 6; i++)
			img[0x1F1 + xrnd(&s) % 0xA0] = (uint8_t)xrnd(&s);
		rc = bzimage_parse(img, 600 + xrnd(&s) % 7000, &bi, err,
				   sizeof(err));
		if (rc) {
			ck_assert(rc == -EINVAL || rc == -ENOEXEC);
			ck_assert_ptr_null(strchr(err, '\n'));
			continue;
		}
		rc = bzimage_plan(&bi, &cfg, &p, err, sizeof(err));
		if (rc) {
			ck_assert(rc == -ENOMEM || rc == -E2BIG);
			continue;
		}
		ck_assert(p.initrd_addr >= p.kernel_addr + p.kernel_mem ||
			  p.initrd_addr + p.initrd_size <= p.kernel_addr);
		ck_assert_uint_le(p.initrd_addr + p.initrd_size - 1,
				  bi.initrd_addr_max);
		ck_assert_int_eq(bzimage_boot_params(img, sizeof(img), &bi,
						     &cfg, &p, zp, err,
						     sizeof(err)), 0);
	}
}
END_TEST

Suite *dev_hostile_suite(void)
{
	Suite *s = suite_create("dev-hostile");
	TCase *t = tcase_create("hostile");

	tcase_set_timeout(t, 120);
	tcase_set_tags(t, "hostile");
	tcase_add_test(t, pci_random_config);
	tcase_add_test(t, uart_random);
	tcase_add_test(t, edu_random);
	tcase_add_test(t, rtc_random);
	tcase_add_test(t, dmar_random_tables);
	tcase_add_test(t, bzimage_mutated_headers);
	suite_add_tcase(s, t);
	return s;
}

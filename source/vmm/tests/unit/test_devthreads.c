/* @@ file 04 */
/*
 * test_threads.c - every model driven from several threads at once, as
 * the VMM's vCPU threads and its I/O thread will: guest accesses on some,
 * host input, deadlines and configuration on others. The owner's
 * interrupt sink takes its own lock, standing for the GSI router, so the
 * lock order of the headers (device -> PCI bus -> router) is exercised.
 * `make tsan` runs this suite under ThreadSanitizer, which reports races
 * and lock-order inversions.
 */
#include <pthread.h>
#include <string.h>

#include "pci/dmar.h"
#include "dev/edu.h"
#include "pci/pci.h"
#include "dev/rtc.h"
#include "dev/uart.h"
#include "devunit.h"

#define ITER 20000

/* The router stand-in: a lock and counters. */
static pthread_mutex_t router = PTHREAD_MUTEX_INITIALIZER;
static long raised, msis;
static uint64_t clock_ns;
static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t t_now(void *o)
{
	uint64_t v;

	(void)o;
	pthread_mutex_lock(&clock_lock);
	v = clock_ns += 997;
	pthread_mutex_unlock(&clock_lock);
	return v;
}

static void t_level(void *o, int level)
{
	(void)o;
	pthread_mutex_lock(&router);
	raised += level;
	pthread_mutex_unlock(&router);
}

static void t_intx(void *o, unsigned int gsi, int level)
{
	(void)gsi;
	t_level(o, level);
}

static void t_msi(void *o, uint64_t a, uint32_t d)
{
	(void)o;
	(void)a;
	(void)d;
	pthread_mutex_lock(&router);
	msis++;
	pthread_mutex_unlock(&router);
}

static int t_map(void *o, struct pci_func *f, int bar, enum pci_bar_type t,
		 uint64_t addr, uint64_t size)
{
	(void)o;
	(void)f;
	(void)bar;
	(void)t;
	(void)addr;
	(void)size;
	return 0;
}

static uint8_t ram[8192];
static pthread_mutex_t ram_lock = PTHREAD_MUTEX_INITIALIZER;

static int t_rd(void *o, uint64_t gpa, void *buf, size_t len)
{
	(void)o;
	if (gpa > sizeof(ram) || len > sizeof(ram) - gpa)
		return -14;
	pthread_mutex_lock(&ram_lock);
	memcpy(buf, ram + gpa, len);
	pthread_mutex_unlock(&ram_lock);
	return 0;
}

static int t_wr(void *o, uint64_t gpa, const void *buf, size_t len)
{
	(void)o;
	if (gpa > sizeof(ram) || len > sizeof(ram) - gpa)
		return -14;
	pthread_mutex_lock(&ram_lock);
	memcpy(ram + gpa, buf, len);
	pthread_mutex_unlock(&ram_lock);
	return 0;
}

static struct pci_bus bus;
static struct edu edu;
static struct pci_func other;

static void *edu_guest(void *arg)
{
	uint64_t s = (uintptr_t)arg;
	int i;

	for (i = 0; i < ITER; i++) {
		uint32_t r = xrnd(&s);

		switch (r % 6) {
		case 0:
			edu_mmio_write(&edu, EDU_REG_IRQ_RAISE, 4, r >> 8);
			break;
		case 1:
			edu_mmio_write(&edu, EDU_REG_IRQ_ACK, 4, r >> 8);
			break;
		case 2:
			edu_mmio_write(&edu, EDU_REG_DMA_SRC, 8, 0x100);
			edu_mmio_write(&edu, EDU_REG_DMA_DST, 8, 0x40000);
			edu_mmio_write(&edu, EDU_REG_DMA_CNT, 8, 64);
			edu_mmio_write(&edu, EDU_REG_DMA_CMD, 4, 5);
			break;
		case 3:
			edu_mmio_write(&edu, EDU_REG_FACT, 4, r % 12);
			edu_mmio_write(&edu, EDU_REG_STATUS, 4, 0x80);
			break;
		case 4:
			edu_service(&edu);
			break;
		default:
			edu_mmio_read(&edu, EDU_REG_IRQ_STATUS, 4);
			break;
		}
	}
	return NULL;
}

static void *pci_config(void *arg)
{
	uint64_t s = (uintptr_t)arg;
	int i;

	for (i = 0; i < ITER; i++) {
		uint32_t r = xrnd(&s);

		switch (r % 4) {
		case 0:
			pci_cfg_write(&bus, 0, PCI_DEVFN(4, 0), 0x40, 4,
				      r & 0x10000);	/* MSI on/off */
			break;
		case 1:
			pci_cfg_write(&bus, 0, PCI_DEVFN(4, 0), 0x04, 2,
				      r & 0x406 ? 0x406 : 0x002);
			break;
		case 2:
			pci_io_write(&bus, 0xCF8, 4, 0x80002010);
			pci_io_write(&bus, 0xCFC, 4, 0xE0000000 |
				     (r & 0x0FF00000));
			break;
		default:
			pci_set_irq(&other, r & 1);
			break;
		}
	}
	return NULL;
}

START_TEST(pci_and_edu)
{
	static const struct pci_bus_ops bops = {
		.map = t_map, .intx = t_intx, .msi = t_msi,
	};
	static const struct edu_ops eops = {
		.dma_read = t_rd, .dma_write = t_wr, .now_ns = t_now,
	};
	static const struct pci_desc od = { .vendor = 7, .int_pin = 1 };
	pthread_t a, b, c;

	pci_bus_init(&bus, &bops, NULL, &test_host_bridge);
	ck_assert_int_eq(edu_init(&edu, &eops, NULL, NULL), 0);
	ck_assert_int_eq(pci_func_init(&other, &od, NULL), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(4, 0), &edu.pci), 0);
	ck_assert_int_eq(pci_bus_add(&bus, PCI_DEVFN(8, 0), &other), 0);
	pci_cfg_write(&bus, 0, PCI_DEVFN(4, 0), 0x44, 4, 0xFEE00000);
	pthread_create(&a, NULL, edu_guest, (void *)1);
	pthread_create(&b, NULL, edu_guest, (void *)2);
	pthread_create(&c, NULL, pci_config, (void *)3);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(c, NULL);
	pci_bus_remove(&bus, &other);
	pci_bus_remove(&bus, &edu.pci);
	ck_assert_uint_eq(bus.pirq_count[0] + bus.pirq_count[1] +
			  bus.pirq_count[2] + bus.pirq_count[3], 0);
	pci_func_destroy(&other);
	edu_destroy(&edu);
	pci_bus_destroy(&bus);
}
END_TEST

static struct uart u;
static long tx_count;

static bool t_tx(void *o, uint8_t b)
{
	(void)o;
	(void)b;
	pthread_mutex_lock(&router);
	tx_count++;
	pthread_mutex_unlock(&router);
	return true;
}

static void *uart_guest(void *arg)
{
	uint64_t s = (uintptr_t)arg;
	long got = 0;
	int i;

	(void)s;
	for (i = 0; i < ITER; i++) {
		if (uart_read(&u, UART_LSR) & UART_LSR_DR) {
			uart_read(&u, UART_RBR);
			got++;
		}
		uart_read(&u, UART_IIR);
		uart_write(&u, UART_THR, 'x');
	}
	return (void *)got;
}

static void *uart_host(void *arg)
{
	const uint8_t msg[8] = "abcdefgh";
	long sent = 0;
	int i;

	(void)arg;
	for (i = 0; i < ITER; i++) {
		sent += (long)uart_rx_push(&u, msg, sizeof(msg));
		uart_service(&u);
		uart_tx_kick(&u);
	}
	return (void *)sent;
}

START_TEST(uart_guest_and_host)
{
	const struct uart_ops ops = {
		.irq = t_level, .tx = t_tx, .now_ns = t_now,
	};
	pthread_t g, h;
	void *got, *sent;
	long left = 0;

	uart_init(&u, &ops, NULL);
	/* Set up before the host speaks: a FIFO reset drops what is in it. */
	uart_write(&u, UART_FCR, 0xC1);
	uart_write(&u, UART_IER, 0x0F);
	uart_write(&u, UART_MCR, UART_MCR_OUT2);
	pthread_create(&g, NULL, uart_guest, (void *)1);
	pthread_create(&h, NULL, uart_host, NULL);
	pthread_join(g, &got);
	pthread_join(h, &sent);
	while (uart_read(&u, UART_LSR) & UART_LSR_DR) {
		uart_read(&u, UART_RBR);
		left++;
	}
	/* Every byte the UART took reached the guest: none lost. */
	ck_assert_int_eq((long)got + left, (long)sent);
	ck_assert_int_eq(tx_count, ITER);
	uart_destroy(&u);
}
END_TEST

static struct rtc rtc;
static struct dmar dmar;

static void *rtc_guest(void *arg)
{
	int i;

	(void)arg;
	rtc_io_write(&rtc, 0x70, RTC_REG_B);
	rtc_io_write(&rtc, 0x71, RTC_B_24H | RTC_B_UIE | RTC_B_PIE);
	for (i = 0; i < ITER; i++) {
		rtc_io_write(&rtc, 0x70, (uint8_t)(i % 14));
		rtc_io_read(&rtc, 0x71);
	}
	return NULL;
}

static void *rtc_owner(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < ITER; i++) {
		rtc_service(&rtc);
		rtc_time(&rtc);
	}
	return NULL;
}

static void *dmar_user(void *arg)
{
	struct dmar_xlate x;
	struct dmar_irq irq;
	int i;

	(void)arg;
	for (i = 0; i < ITER; i++) {
		dmar_translate(&dmar, 0x18, (uint64_t)i << 12, i & 1, &x);
		dmar_remap_msi(&dmar, 0x18, 0xFEE00010, 0, &irq);
		if ((i & 0xFF) == 0)
			dmar_set_root(&dmar, (uint64_t)(i & 0x1000), i & 1);
	}
	return NULL;
}

START_TEST(rtc_and_dmar)
{
	const struct rtc_ops rops = { .irq = t_level, .now_ns = t_now };
	const struct dmar_ops dops = { .read = t_rd };
	pthread_t a, b, c, d;

	rtc_init(&rtc, &rops, NULL, 1700000000);
	dmar_init(&dmar, &dops, NULL, 39);
	dmar_set_irta(&dmar, 0x1000, true, true);
	pthread_create(&a, NULL, rtc_guest, NULL);
	pthread_create(&b, NULL, rtc_owner, NULL);
	pthread_create(&c, NULL, dmar_user, NULL);
	pthread_create(&d, NULL, dmar_user, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(c, NULL);
	pthread_join(d, NULL);
	rtc_destroy(&rtc);
	dmar_destroy(&dmar);
}
END_TEST

Suite *dev_threads_suite(void)
{
	Suite *s = suite_create("dev-threads");
	TCase *t = tcase_create("threads");

	tcase_set_timeout(t, 300);
	tcase_set_tags(t, "hostile");
	tcase_add_test(t, pci_and_edu);
	tcase_add_test(t, uart_guest_and_host);
	tcase_add_test(t, rtc_and_dmar);
	suite_add_tcase(s, t);
	return s;
}

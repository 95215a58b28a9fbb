/* @@ file 04 */
/*
 * test_coalesce.c - writes KVM queues instead of exiting (KVM's API
 * document, KVM_REGISTER_COALESCED_MMIO, KVM_CAP_COALESCED_PIO): the
 * zone asked for 0xCF8-0xCFB is a port zone of 4 bytes; the ring, in the
 * page of kvm_run's mapping that KVM_CAP_COALESCED_MMIO names, is
 * replayed oldest first through the bus each write was meant for, from
 * `first` up to `last` and around the end of the ring, and `first` is
 * given back; with no ring, nothing is touched.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "core/coalesce.h"
#include "pci/pci.h"
#include "unit.h"

#define FAKE_KVM_FD	1001
#define FAKE_VM_FD	1002

static struct fake_vm f;
static uint8_t *pages;		/* kvm_run and the ring's page after it */
static size_t page;
static struct recorder ports, mem;
static int have_pio;
static struct kvm_coalesced_mmio_zone zones[2];
static unsigned int nr_zones;

static int fake_kvm(int fd, unsigned long request, void *arg)
{
	if (request == KVM_CHECK_EXTENSION) {
		ck_assert_int_eq(fd, FAKE_KVM_FD);
		if ((uintptr_t)arg == KVM_CAP_COALESCED_PIO)
			return have_pio;
		if ((uintptr_t)arg == KVM_CAP_COALESCED_MMIO)
			return 1;	/* the ring is kvm_run's second page */
		return 0;
	}
	ck_assert_uint_eq(request, KVM_REGISTER_COALESCED_MMIO);
	ck_assert_int_eq(fd, FAKE_VM_FD);
	ck_assert_uint_lt(nr_zones, 2);
	memcpy(&zones[nr_zones++], arg, sizeof(zones[0]));
	return 0;
}

static void setup(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	fake_vm_init(&f);
	pages = aligned_alloc(page, 2 * page);
	ck_assert_ptr_nonnull(pages);
	memset(pages, 0, 2 * page);
	f.cpu->run = (struct kvm_run *)pages;
	f.cpu->run_size = 2 * page;
	memset(&ports, 0, sizeof(ports));
	memset(&mem, 0, sizeof(mem));
	ck_assert_int_eq(bus_register(&f.vm.pio, PCI_CONFIG_ADDRESS, 8, "cfg",
				      &recorder_ops, &ports), 0);
	ck_assert_int_eq(bus_register(&f.vm.mmio, 0xfeb00000, 0x1000, "mem",
				      &recorder_ops, &mem), 0);
	nr_zones = 0;
}

static void teardown(void)
{
	fake_vm_free(&f);
	free(pages);
}

static struct kvm_coalesced_mmio_ring *ring(void)
{
	return (struct kvm_coalesced_mmio_ring *)(pages + page);
}

static uint32_t ring_max(void)
{
	return (uint32_t)((page - sizeof(struct kvm_coalesced_mmio_ring)) /
			  sizeof(struct kvm_coalesced_mmio));
}

static void queue(uint32_t at, uint64_t addr, uint32_t len, int pio,
		  uint64_t v)
{
	struct kvm_coalesced_mmio *e = &ring()->coalesced_mmio[at];

	e->phys_addr = addr;
	e->len = len;
	e->pio = (uint32_t)pio;
	memcpy(e->data, &v, sizeof(e->data));
}

START_TEST(zone_is_config_address)
{
	f.vm.kvm_fd = FAKE_KVM_FD;
	f.vm.vm_fd = FAKE_VM_FD;
	unit_ioctl_hook = fake_kvm;
	have_pio = 0;
	ck_assert_int_eq(coalesce_pio(&f.vm, PCI_CONFIG_ADDRESS, 4), 0);
	ck_assert_uint_eq(nr_zones, 0);
	ck_assert_uint_eq(f.vm.coalesced_page, 0);
	have_pio = 1;
	ck_assert_int_eq(coalesce_pio(&f.vm, PCI_CONFIG_ADDRESS, 4), 0);
	unit_ioctl_hook = NULL;
	f.vm.kvm_fd = f.vm.vm_fd = -1;
	ck_assert_uint_eq(nr_zones, 1);
	ck_assert_uint_eq(zones[0].addr, 0xcf8);
	ck_assert_uint_eq(zones[0].size, 4);
	ck_assert_uint_eq(zones[0].pio, 1);
	ck_assert_uint_eq(f.vm.coalesced_page, 1);
}
END_TEST

START_TEST(replayed_in_order)
{
	f.vm.coalesced_page = 1;
	queue(0, 0xcf8, 4, 1, 0x80001810);
	queue(1, 0xcfb, 1, 1, 0x01);
	queue(2, 0xfeb00008, 2, 0, 0xbeef);
	queue(3, 0xcf8, 4, 1, 0x80000000);
	ring()->first = 0;
	ring()->last = 4;
	coalesce_drain(f.cpu);
	ck_assert_uint_eq(ring()->first, 4);
	ck_assert_int_eq(ports.n, 3);
	ck_assert_int_eq(ports.a[0].write, 1);
	ck_assert_uint_eq(ports.a[0].offset, 0);
	ck_assert_uint_eq(ports.a[0].size, 4);
	ck_assert_uint_eq(ports.a[0].value, 0x80001810);
	ck_assert_uint_eq(ports.a[1].offset, 3);
	ck_assert_uint_eq(ports.a[1].size, 1);
	ck_assert_uint_eq(ports.a[1].value, 0x01);
	ck_assert_uint_eq(ports.a[2].value, 0x80000000);
	ck_assert_int_eq(mem.n, 1);
	ck_assert_uint_eq(mem.a[0].offset, 8);
	ck_assert_uint_eq(mem.a[0].size, 2);
	ck_assert_uint_eq(mem.a[0].value, 0xbeef);
	ck_assert_uint_eq(f.vm.nr_coalesced, 4);
	/* Nothing new: nothing replayed again. */
	coalesce_drain(f.cpu);
	ck_assert_int_eq(ports.n, 3);
}
END_TEST

START_TEST(around_the_end)
{
	uint32_t max = ring_max();

	f.vm.coalesced_page = 1;
	queue(max - 1, 0xcf8, 4, 1, 0x80000004);
	queue(0, 0xcf8, 4, 1, 0x80000008);
	queue(1, 0xcf8, 0, 1, 0);		/* no such write: skipped */
	ring()->first = max - 1;
	ring()->last = 2;
	coalesce_drain(f.cpu);
	ck_assert_uint_eq(ring()->first, 2);
	ck_assert_int_eq(ports.n, 2);
	ck_assert_uint_eq(ports.a[0].value, 0x80000004);
	ck_assert_uint_eq(ports.a[1].value, 0x80000008);
}
END_TEST

START_TEST(no_ring_no_replay)
{
	queue(0, 0xcf8, 4, 1, 0x80000000);
	ring()->first = 0;
	ring()->last = 1;
	coalesce_drain(f.cpu);		/* coalesced_page 0: KVM queues nothing */
	ck_assert_uint_eq(ring()->first, 0);
	/* A ring page past the end of the mapping is not read either. */
	f.vm.coalesced_page = 2;
	coalesce_drain(f.cpu);
	ck_assert_uint_eq(ring()->first, 0);
	ck_assert_int_eq(ports.n, 0);
}
END_TEST

Suite *coalesce_suite(void)
{
	Suite *s = suite_create("coalesce");
	TCase *t = tcase_create("coalesce");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, zone_is_config_address);
	tcase_add_test(t, replayed_in_order);
	tcase_add_test(t, around_the_end);
	tcase_add_test(t, no_ring_no_replay);
	suite_add_tcase(s, t);
	return s;
}

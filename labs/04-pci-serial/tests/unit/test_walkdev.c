/*
 * test_walkdev.c - the walk device (src/mem/walkdev.h) on a VM with no KVM
 * behind it: its port, the batches it refuses (a hostile guest's), and
 * the EPT it builds for the memory map of lab 02 (guests/README.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/dimm.h"
#include "mem/walkdev.h"
#include "unit.h"

static struct fake_vm f;
static struct walkdev *wd;

static void setup(void)
{
	fake_vm_init_ram(&f, 32ULL << 20);
	wd = fake_dev(&f, walkdev_init);
}

static void teardown(void)
{
	walkdev_exit(wd, &f.vm);
	fake_vm_free(&f);
}

static struct walkdev_batch *batch_at(uint64_t gpa)
{
	struct walkdev_batch *b = memmap_hva(&f.vm.mem, gpa, sizeof(*b));

	ck_assert_ptr_nonnull(b);
	return b;
}

START_TEST(port)
{
	ck_assert_uint_eq(bus_read(&f.vm.pio, NULL, WALKDEV_PORT, 4), WALKDEV_MAGIC);
	ck_assert_uint_eq(bus_read(&f.vm.pio, NULL, WALKDEV_PORT, 1), 0xff);
	ck_assert_uint_eq(bus_read(&f.vm.pio, NULL, WALKDEV_PORT + 2, 2), 0xffff);
	ck_assert_uint_eq(sizeof(struct walkdev_probe), 40);
	ck_assert_uint_eq(sizeof(struct walkdev_batch), 8);
}
END_TEST

START_TEST(refused_batches)
{
	struct walkdev_batch *b = batch_at(0x200000);
	struct walkdev_batch *end;

	/* Too many probes: refused with a status, nothing else touched. */
	b->count = WALKDEV_MAX_PROBES + 1;
	b->status = 0;
	b->probe[0].flags = 0x1234;
	bus_write(&f.vm.pio, NULL, WALKDEV_PORT, 4, 0x200000);
	ck_assert_uint_eq(b->status, WALKDEV_TOO_MANY);
	ck_assert_uint_eq(b->probe[0].flags, 0x1234);
	/* A 1- or 2-byte write is not a request. */
	b->count = 1;
	b->status = 0;
	bus_write(&f.vm.pio, NULL, WALKDEV_PORT, 2, 0x200000);
	bus_write(&f.vm.pio, NULL, WALKDEV_PORT, 1, 0x200000);
	ck_assert_uint_eq(b->status, 0);
	/* A batch in the legacy hole, or past the end of RAM: ignored. */
	bus_write(&f.vm.pio, NULL, WALKDEV_PORT, 4, 0xb8000);
	bus_write(&f.vm.pio, NULL, WALKDEV_PORT, 4, 0xfffffff8);
	/* Probes that run past the end of RAM: ignored too. */
	end = batch_at((32 << 20) - 48);
	end->count = 2;
	end->status = 0;
	bus_write(&f.vm.pio, NULL, WALKDEV_PORT, 4, (32 << 20) - 48);
	ck_assert_uint_eq(end->status, 0);
	/* A batch in the BIOS ROM: the guest cannot write there, nor can it
	 * have the device write there for it. */
	end = batch_at(0xf0000);
	end->count = 1;
	end->status = 0x55;
	end->probe[0].flags = 0x1234;
	bus_write(&f.vm.pio, NULL, WALKDEV_PORT, 4, 0xf0000);
	ck_assert_uint_eq(end->status, 0x55);
	ck_assert_uint_eq(end->probe[0].flags, 0x1234);
	ck_assert_uint_eq(wd->batches, 0);
}
END_TEST

START_TEST(no_vcpu)
{
	struct walkdev_batch *b = batch_at(0x200000);

	/* Without a vCPU to ask, every probe is answered WALK_ERROR. */
	b->count = 2;
	b->status = 0;
	b->probe[0].gva = 0x1000;
	b->probe[1].gva = 0x2000;
	bus_write(&f.vm.pio, NULL, WALKDEV_PORT, 4, 0x200000);
	ck_assert_uint_eq(b->status, WALKDEV_DONE);
	ck_assert_uint_eq(b->probe[0].flags, WALK_ERROR);
	ck_assert_uint_eq(b->probe[1].flags, WALK_ERROR);
}
END_TEST

START_TEST(ept_for_memmap)
{
	struct ept_walk_result w;
	struct dimm *d;
	uint64_t *hva;

	ck_assert_int_eq(walkdev_ept_sync(wd), 0);
	ck_assert(wd->ept_ready);
	ck_assert_uint_eq(wd->ept_max_page, 4096);
	/* RAM, EBDA, ROM, RAM: PML4, PDPT, PD and 16 page tables. */
	ck_assert_uint_eq(wd->nr_built, 4);
	ck_assert_uint_eq(wd->ept.nr_tables, 3 + 16);
	hva = memmap_hva(&f.vm.mem, 0x123000, 8);
	ck_assert_int_eq(ept_walk(&wd->ept, 0x123456, PW_WRITE, &w), 0);
	ck_assert_uint_eq(w.hpa, (uint64_t)(uintptr_t)hva + 0x456);
	/* The BIOS ROM is a read-only memslot: no write in the EPT either. */
	ck_assert_int_eq(ept_walk(&wd->ept, 0xffff0, PW_FETCH, &w), 0);
	ck_assert_int_eq(ept_walk(&wd->ept, 0xffff0, PW_WRITE, &w), -EFAULT);
	/* The legacy hole and the PCI hole have no memslot. */
	ck_assert_int_eq(ept_walk(&wd->ept, 0xb8000, PW_READ, &w), -EFAULT);
	ck_assert_int_eq(ept_walk(&wd->ept, 0xfeb00000, PW_READ, &w), -EFAULT);
	/* Unchanged map: the same EPT. A new DIMM: rebuilt, and mapped. */
	ck_assert_int_eq(walkdev_ept_sync(wd), 0);
	ck_assert_uint_eq(wd->ept.nr_tables, 3 + 16);
	d = fake_dev(&f, dimm_init);
	dimm_request(d, 2);
	ck_assert_uint_eq(d->status, DIMM_OK);
	ck_assert_int_eq(walkdev_ept_sync(wd), 0);
	ck_assert_uint_eq(wd->nr_built, 5);
	ck_assert_int_eq(ept_walk(&wd->ept, d->addr + 0x1000, PW_WRITE, &w), 0);
	ck_assert_uint_eq(w.hpa, (uint64_t)(uintptr_t)
			  memmap_hva(&f.vm.mem, d->addr + 0x1000, 1));
	free(d);
}
END_TEST

Suite *walkdev_suite(void)
{
	Suite *s = suite_create("walkdev");
	TCase *tc = tcase_create("walkdev");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, port);
	tcase_add_test(tc, refused_batches);
	tcase_add_test(tc, no_vcpu);
	tcase_add_test(tc, ept_for_memmap);
	suite_add_tcase(s, tc);
	return s;
}

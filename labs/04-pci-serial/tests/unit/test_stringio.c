/*
 * test_stringio.c - REP INS/OUTS: one IO exit, many elements.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/run.h"
#include "dev/testdev.h"
#include "unit.h"

static struct fake_vm f;
static struct recorder rec;

static void setup(void)
{
	fake_vm_init(&f);
	memset(&rec, 0, sizeof(rec));
	ck_assert_int_eq(bus_register(&f.vm.pio, 0x3f8, 8, "rec", &recorder_ops, &rec), 0);
}

static void teardown(void)
{
	fake_vm_free(&f);
}

static uint8_t *io_exit(int out, uint16_t port, uint8_t size, uint32_t count,
			uint64_t offset)
{
	return fake_io_exit(&f, out, port, size, count, offset);
}

START_TEST(outsb_every_byte_in_order)
{
	uint8_t *data = io_exit(1, 0x3f8, 1, 5, sizeof(struct kvm_run));
	int i;

	memcpy(data, "hello", 5);
	ck_assert_int_eq(vcpu_handle_io(f.cpu), 0);
	ck_assert_int_eq(rec.n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(rec.a[i].write, 1);
		ck_assert_uint_eq(rec.a[i].size, 1);
		ck_assert_uint_eq(rec.a[i].value, (uint8_t)"hello"[i]);
	}
}
END_TEST

START_TEST(insw_fills_each_element)
{
	void *td = fake_dev(&f, testdev_init);
	uint16_t *data;
	int i;

	data = (uint16_t *)io_exit(0, TESTDEV_PORT + TESTDEV_SEQ, 2, 8,
				   sizeof(struct kvm_run));
	memset(data, 0, 16);
	ck_assert_int_eq(vcpu_handle_io(f.cpu), 0);
	/* SEQ counts 0, 1, 2, ... one per read. */
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(data[i], i);
	free(td);
}
END_TEST

START_TEST(outsd_widths)
{
	uint32_t *data = (uint32_t *)io_exit(1, 0x3fc, 4, 3, sizeof(struct kvm_run));

	data[0] = 0x11111111;
	data[1] = 0x22222222;
	data[2] = 0x33333333;
	ck_assert_int_eq(vcpu_handle_io(f.cpu), 0);
	ck_assert_int_eq(rec.n, 3);
	ck_assert_uint_eq(rec.a[2].offset, 4);
	ck_assert_uint_eq(rec.a[2].size, 4);
	ck_assert_uint_eq(rec.a[2].value, 0x33333333);
}
END_TEST

START_TEST(data_outside_page_refused)
{
	/* count * size runs past the end of the kvm_run mapping. */
	io_exit(1, 0x3f8, 4, 1000, sizeof(struct kvm_run));
	ck_assert_int_eq(vcpu_handle_io(f.cpu), -EINVAL);
	io_exit(1, 0x3f8, 1, 1, 8192);
	ck_assert_int_eq(vcpu_handle_io(f.cpu), -EINVAL);
	/* Not even a pointer is formed from it (UBSan: pointer overflow). */
	io_exit(1, 0x3f8, 1, 1, UINT64_MAX);
	ck_assert_int_eq(vcpu_handle_io(f.cpu), -EINVAL);
	ck_assert_int_eq(rec.n, 0);
}
END_TEST

/*
 * Data inside struct kvm_run itself: each IN element would overwrite the
 * exit's own fields, io.size say, before the next one is read. KVM puts
 * the data after the struct, so nothing else is accepted (the exit fuzz
 * target found an IN whose first element set io.size to 255).
 */
START_TEST(data_over_kvm_run_refused)
{
	io_exit(0, 0x3f8, 1, 2, offsetof(struct kvm_run, io));
	ck_assert_int_eq(vcpu_handle_io(f.cpu), -EINVAL);
	io_exit(1, 0x3f8, 1, 1, sizeof(struct kvm_run) - 1);
	ck_assert_int_eq(vcpu_handle_io(f.cpu), -EINVAL);
	ck_assert_int_eq(rec.n, 0);
}
END_TEST

Suite *stringio_suite(void)
{
	Suite *s = suite_create("stringio");
	TCase *tc = tcase_create("stringio");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, outsb_every_byte_in_order);
	tcase_add_test(tc, insw_fills_each_element);
	tcase_add_test(tc, outsd_widths);
	tcase_add_test(tc, data_outside_page_refused);
	tcase_add_test(tc, data_over_kvm_run_refused);
	suite_add_tcase(s, tc);
	return s;
}

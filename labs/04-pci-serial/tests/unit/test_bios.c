/*
 * test_bios.c - the VMM's side of the BIOS: the ROM copied to 0xF0000,
 * the IVT pointing into it (F000:offset, from the ROM's vector table, as
 * src/mem/bios/bios.asm lays it out), the BIOS data area (EBDA segment and
 * conventional memory size, IBM PC/AT layout), INT 15h functions other
 * than E820h refused the way a PC BIOS refuses them, and bad ROM images.
 * Lab 04: the empty BIOS area below the ROM, 0xC0000-0xEFFFF, a
 * read-only memslot of all ones that the E820 map does not list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include <sys/mman.h>

#include "mem/bios.h"
#include "mem/e820.h"
#include "unit.h"

static struct fake_vm f;

static void setup(void)
{
	fake_vm_init_ram(&f, 32ULL << 20);
}

static void teardown(void)
{
	fake_vm_free(&f);
}

static uint16_t word(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, memmap_hva(&f.vm.mem, gpa, 2), 2);
	return v;
}

static size_t image_len(void)
{
	return (size_t)(bios_image_end - bios_image);
}

START_TEST(rom_ivt_bda)
{
	unsigned int v;

	ck_assert_uint_eq(image_len(), 0x10000);
	ck_assert_int_eq(bios_setup(&f.vm.mem, bios_image, image_len()), 0);
	ck_assert_mem_eq(memmap_hva(&f.vm.mem, 0xf0000, 0x10000), bios_image, 0x10000);
	for (v = 0; v < 256; v++)
		ck_assert_uint_eq(word(4 * v + 2), 0xf000);
	/* INT 15h's handler starts with OUT 0xEA, AL (E6 EA). */
	ck_assert_uint_eq(word(0xf0000 + word(4 * 0x15)), 0xeae6);
	/* INT 12h's with PUSH DS (1E); a vector with no handler: IRET (CF). */
	ck_assert_uint_eq(*(uint8_t *)memmap_hva(&f.vm.mem, 0xf0000 + word(4 * 0x12), 1), 0x1e);
	ck_assert_uint_eq(*(uint8_t *)memmap_hva(&f.vm.mem, 0xf0000 + word(4 * 0x10), 1), 0xcf);
	ck_assert_uint_eq(word(4 * 0x10), word(4 * 0x13));
	/* The BDA: EBDA at segment 0x9F00, 636 KiB below it; the EBDA says its size. */
	ck_assert_uint_eq(word(0x40e), 0x9f00);
	ck_assert_uint_eq(word(0x413), 636);
	ck_assert_uint_eq(*(uint8_t *)memmap_hva(&f.vm.mem, 0x9f000, 1), 4);	/* KiB */
}
END_TEST

START_TEST(bad_images)
{
	uint8_t *img = malloc(0x10000);

	ck_assert_ptr_nonnull(img);
	memcpy(img, bios_image, 0x10000);
	ck_assert_int_eq(bios_setup(&f.vm.mem, img, 0x8000), -EINVAL);
	img[0] = 'X';
	ck_assert_int_eq(bios_setup(&f.vm.mem, img, 0x10000), -EINVAL);
	img[0] = bios_image[0];
	img[14] = 0xff;			/* vector table at 0xffxx: runs off the end */
	img[15] = 0xff;
	ck_assert_int_eq(bios_setup(&f.vm.mem, img, 0x10000), -EINVAL);
	free(img);
}
END_TEST

START_TEST(other_int15_functions_unsupported)
{
	struct bios b = { .vm = &f.vm };
	struct kvm_regs regs = { .rax = 0x1234e801, .rbx = 7, .rflags = 0x2 };
	struct kvm_sregs sregs = { 0 };

	ck_assert_int_eq(bios_int15(&b, &f.vm.mem, &regs, &sregs), -ENOSYS);
	ck_assert_uint_eq(regs.rflags, 0x3);
	ck_assert_uint_eq(regs.rax, 0x123486 << 8 | 0x01);
	ck_assert_uint_eq(regs.rbx, 7);
	regs.rax = 0x8800;		/* AH = 88h: no longer answered either */
	ck_assert_int_eq(bios_int15(&b, &f.vm.mem, &regs, &sregs), -ENOSYS);
	ck_assert_uint_eq(regs.rax, 0x8600);
	ck_assert_uint_eq(b.calls, 2);
}
END_TEST

/* The devices on the buses: a ROM write is ignored, the port is claimed. */
START_TEST(rom_write_ignored)
{
	struct bios *b = fake_dev(&f, bios_init);
	uint8_t before[8];

	memcpy(before, memmap_hva(&f.vm.mem, 0xf0100, 8), 8);
	bus_write(&f.vm.mmio, NULL, 0xf0100, 8, 0x1122334455667788ULL);
	ck_assert_mem_eq(memmap_hva(&f.vm.mem, 0xf0100, 8), before, 8);
	ck_assert_uint_eq(bus_read(&f.vm.mmio, NULL, 0xf0000, 1), 'V');
	ck_assert_uint_eq(f.vm.mmio.unclaimed, 0);
	/* An access that no vCPU made: a hypercall needs one, so it is ignored. */
	bus_write(&f.vm.pio, NULL, BIOS_HCALL_PORT, 1, 0x20);
	ck_assert(!vm_stopped(&f.vm));
	ck_assert_uint_eq(b->calls, 0);
	/* A vCPU with no KVM behind it: its registers cannot be read. */
	bus_write(&f.vm.pio, f.cpu, BIOS_HCALL_PORT, 1, 0x20);
	ck_assert(vm_stopped(&f.vm));
	ck_assert_int_eq(vm_exit_status(&f.vm), VMM_EXIT_HOST);
	ck_assert_uint_eq(f.vm.pio.unclaimed, 0);
	free(b);
}
END_TEST

#define FAKE_VM_FD	1000

static struct kvm_userspace_memory_region slots[4];
static unsigned int nr_slots;

static int record_slots(int fd, unsigned long request, void *arg)
{
	ck_assert_int_eq(fd, FAKE_VM_FD);
	ck_assert_uint_eq(request, KVM_SET_USER_MEMORY_REGION);
	ck_assert_uint_lt(nr_slots, 4);
	memcpy(&slots[nr_slots++], arg, sizeof(slots[0]));
	return 0;
}

/*
 * On a PC, 0xC0000-0xDFFFF holds the option ROMs and 0xE0000-0xEFFFF the
 * lower half of a 128 KiB BIOS; with none there, a read gives all ones.
 * Ours: one read-only memslot (KVM_MEM_READONLY: reads from memory, writes
 * exit) from 0xC0000 up to the ROM at 0xF0000, every byte 0xFF, in a slot
 * that no entry of the memory map uses; the E820 map is unchanged (four
 * entries for 32 MiB, none of them there: a guest may not use it as RAM);
 * on the MMIO bus, writes are ignored and reads are all ones.
 */
START_TEST(empty_bios_area)
{
	struct bios *b;
	struct e820_entry e;
	const uint8_t *p;
	unsigned int i;
	uint64_t a;

	b = fake_dev(&f, bios_init);
	f.vm.vm_fd = FAKE_VM_FD;
	nr_slots = 0;
	unit_ioctl_hook = record_slots;
	ck_assert_int_eq(bios_kvm(b, &f.vm), 0);
	unit_ioctl_hook = NULL;
	f.vm.vm_fd = -1;

	ck_assert_uint_eq(nr_slots, 1);
	ck_assert_uint_eq(slots[0].guest_phys_addr, 0xc0000);
	ck_assert_uint_eq(slots[0].memory_size, 0x30000);
	ck_assert_uint_eq(slots[0].flags, KVM_MEM_READONLY);
	for (i = 0; i < f.vm.mem.nr; i++)
		ck_assert_uint_ne(slots[0].slot, f.vm.mem.r[i].slot);
	/* Past the table's slots, and not the paravirtual guests' pool's
	 * (mem/pv.c, MEMMAP_MAX_REGIONS): KVM would move or delete it. */
	ck_assert_uint_gt(slots[0].slot, MEMMAP_MAX_REGIONS);
	p = (const uint8_t *)(uintptr_t)slots[0].userspace_addr;
	ck_assert_ptr_nonnull(p);
	for (a = 0; a < 0x30000; a++)
		ck_assert_uint_eq(p[a], 0xff);

	ck_assert_uint_eq(f.vm.mem.nr, 4);
	for (i = 0; memmap_e820_entry(&f.vm.mem, i, &e) == 0; i++)
		ck_assert(e.addr + e.size <= 0xc0000 || e.addr >= 0xf0000);
	ck_assert_ptr_null(memmap_hva(&f.vm.mem, 0xc0000, 1));

	bus_write(&f.vm.mmio, f.cpu, 0xd0000, 4, 0x12345678);
	bus_write(&f.vm.mmio, f.cpu, 0xeffff, 1, 0);
	ck_assert_uint_eq(bus_read(&f.vm.mmio, f.cpu, 0xc0000, 4), 0xffffffffu);
	ck_assert_uint_eq(bus_read(&f.vm.mmio, f.cpu, 0xefff8, 8), ~0ULL);
	ck_assert_uint_eq(f.vm.mmio.unclaimed, 0);
	ck_assert_uint_eq(p[0x10000], 0xff);
	/* The VGA window below stays a hole. */
	bus_read(&f.vm.mmio, f.cpu, 0xbfffc, 4);
	ck_assert_uint_eq(f.vm.mmio.unclaimed, 1);
	/* The device's exit hook gives the area back: msync() finds no
	 * mapping there any more. */
	bios_exit(b, &f.vm);
	errno = 0;
	ck_assert_int_eq(msync((void *)p, BIOS_AREA_SIZE, MS_ASYNC), -1);
	ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

Suite *bios_suite(void)
{
	Suite *s = suite_create("bios");
	TCase *tc = tcase_create("bios");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rom_ivt_bda);
	tcase_add_test(tc, bad_images);
	tcase_add_test(tc, other_int15_functions_unsupported);
	tcase_add_test(tc, rom_write_ignored);
	tcase_add_test(tc, empty_bios_area);
	suite_add_tcase(s, tc);
	return s;
}

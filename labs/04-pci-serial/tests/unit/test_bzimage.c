/*
 * test_bzimage.c - the boot protocol loader against boot.rst's field
 * table, on small synthetic bzImages with chosen header fields, and on a
 * real kernel when one is at hand ($BZIMAGE, build/linux/bzImage from
 * `make linux`, the lab machine's kernel in build/labvm/, /boot/vmlinuz-*;
 * skipped, and said so, otherwise).
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/bzimage.h"
#include "devunit.h"

#define IMG_MAX (64 * 1024)

static uint8_t img[IMG_MAX];
static size_t img_len;
static char err[256];

static void p16(size_t off, uint16_t v)
{
	img[off] = (uint8_t)v;
	img[off + 1] = (uint8_t)(v >> 8);
}

static void p32(size_t off, uint32_t v)
{
	p16(off, (uint16_t)v);
	p16(off + 2, (uint16_t)(v >> 16));
}

static void p64(size_t off, uint64_t v)
{
	p32(off, (uint32_t)v);
	p32(off + 4, (uint32_t)(v >> 32));
}

static uint16_t g16(const uint8_t *b, size_t off)
{
	return (uint16_t)(b[off] | b[off + 1] << 8);
}

static uint32_t g32(const uint8_t *b, size_t off)
{
	return g16(b, off) | (uint32_t)g16(b, off + 2) << 16;
}

static uint64_t g64(const uint8_t *b, size_t off)
{
	return g32(b, off) | (uint64_t)g32(b, off + 4) << 32;
}

/*
 * A bzImage like Debian's: protocol 2.15, 2 setup sectors + the boot
 * sector, relocatable, 2 MiB alignment, pref_address 16 MiB, init_size
 * 32 MiB, cmdline_size 2047, initrd_addr_max 0x7FFFFFFF, 64-bit entry;
 * `kernel` bytes of protected-mode kernel, each byte its offset mod 251.
 */
static void make_image(size_t kernel)
{
	size_t i, setup = 3 * 512;

	memset(img, 0xEE, sizeof(img));	/* junk everywhere not set */
	img[BZ_SETUP_SECTS] = 2;
	p16(BZ_BOOT_FLAG, 0xAA55);
	img[BZ_JUMP] = 0xEB;
	img[BZ_JUMP + 1] = 0x6A;		/* header ends at 0x26C */
	p32(BZ_HEADER, BZ_MAGIC);
	p16(BZ_VERSION, 0x020F);
	img[BZ_TYPE_OF_LOADER] = 0;
	img[BZ_LOADFLAGS] = BZ_LOADED_HIGH | BZ_CAN_USE_HEAP;
	p32(BZ_CODE32_START, 0x100000);
	p32(BZ_RAMDISK_IMAGE, 0);
	p32(BZ_RAMDISK_SIZE, 0);
	p32(BZ_CMD_LINE_PTR, 0);
	p32(BZ_INITRD_ADDR_MAX, 0x7FFFFFFF);
	p32(BZ_KERNEL_ALIGNMENT, 0x200000);
	img[BZ_RELOCATABLE] = 1;
	img[BZ_RELOCATABLE + 1] = 21;
	p16(BZ_XLOADFLAGS, BZ_XLF_KERNEL_64 | BZ_XLF_ABOVE_4G);
	p32(BZ_CMDLINE_SIZE, 2047);
	p64(BZ_SETUP_DATA, 0);
	p64(BZ_PREF_ADDRESS, 0x1000000);
	p32(BZ_INIT_SIZE, 32u << 20);
	for (i = 0; i < kernel; i++)
		img[setup + i] = (uint8_t)(i % 251);
	img_len = setup + kernel;
}

static struct bzimage_info bi;

static int parse(void)
{
	err[0] = 0;
	return bzimage_parse(img, img_len, &bi, err, sizeof(err));
}

START_TEST(parse_fields)
{
	make_image(4096);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(bi.version, 0x020F);
	ck_assert_uint_eq(bi.setup_sects, 2);
	ck_assert_uint_eq(bi.kernel_offset, 1536);
	ck_assert_uint_eq(bi.kernel_size, 4096);
	ck_assert_uint_eq(bi.hdr_end, 0x26C);
	ck_assert(bi.relocatable);
	ck_assert_uint_eq(bi.kernel_alignment, 0x200000);
	ck_assert_uint_eq(bi.pref_address, 0x1000000);
	ck_assert_uint_eq(bi.init_size, 32u << 20);
	ck_assert_uint_eq(bi.cmdline_size, 2047);
	ck_assert_uint_eq(bi.initrd_addr_max, 0x7FFFFFFF);
	/* setup_sects 0 means 4. */
	make_image(8192);
	img[BZ_SETUP_SECTS] = 0;
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(bi.setup_sects, 4);
	ck_assert_uint_eq(bi.kernel_offset, 2560);
	ck_assert_uint_eq(bi.kernel_size, 1536 + 8192 - 2560);
}
END_TEST

START_TEST(not_a_bzimage)
{
	make_image(4096);
	p32(BZ_HEADER, 0x53726449);
	ck_assert_int_eq(parse(), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "not a bzImage"));
	make_image(4096);
	p16(BZ_BOOT_FLAG, 0x55AA);
	ck_assert_int_eq(parse(), -ENOEXEC);
	make_image(4096);
	img_len = 0x205;			/* cut inside the magic */
	ck_assert_int_eq(parse(), -ENOEXEC);
	img_len = 0x207;			/* inside the version */
	ck_assert_int_eq(parse(), -EINVAL);
	img_len = 0x206;			/* right after the magic */
	ck_assert_int_eq(parse(), -EINVAL);
	ck_assert_int_eq(bzimage_parse(img, 0, &bi, err, sizeof(err)),
			 -ENOEXEC);
	make_image(4096);
	img[BZ_LOADFLAGS] = 0;			/* zImage */
	ck_assert_int_eq(parse(), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "zImage"));
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(protocol_too_old)
{
	make_image(4096);
	p16(BZ_VERSION, 0x020B);
	ck_assert_int_eq(parse(), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "2.11 is too old"));
	p16(BZ_VERSION, 0x0206);
	ck_assert_int_eq(parse(), -ENOEXEC);
	p16(BZ_VERSION, 0x020C);
	ck_assert_int_eq(parse(), 0);
}
END_TEST

START_TEST(no_64bit_entry)
{
	make_image(4096);
	p16(BZ_XLOADFLAGS, BZ_XLF_ABOVE_4G);
	ck_assert_int_eq(parse(), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "64-bit entry"));
}
END_TEST

START_TEST(hostile_header_lengths)
{
	make_image(4096);
	img[BZ_SETUP_SECTS] = 255;		/* 128 KiB of setup */
	ck_assert_int_eq(parse(), -EINVAL);
	make_image(0);				/* setup and nothing else */
	ck_assert_int_eq(parse(), -EINVAL);
	make_image(4096);
	img[BZ_JUMP + 1] = 0x50;		/* header ends at 0x252 */
	ck_assert_int_eq(parse(), -EINVAL);
	make_image(4096);
	img[BZ_JUMP + 1] = 0x62;		/* ends right after init_size */
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(bi.hdr_end, 0x264);
	make_image(4096);
	img[BZ_JUMP + 1] = 0xFF;		/* clamped to boot_params' */
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(bi.hdr_end, BZ_HDR_MAX_END);
	img_len = 0x280;			/* header past the end */
	ck_assert_int_eq(parse(), -EINVAL);
	make_image(4096);
	p32(BZ_KERNEL_ALIGNMENT, 0x300000);
	ck_assert_int_eq(parse(), -EINVAL);
	p32(BZ_KERNEL_ALIGNMENT, 0);
	ck_assert_int_eq(parse(), -EINVAL);
}
END_TEST

/* A PC memory map: low RAM, the BIOS hole, RAM from 1 MiB to `top`. */
static struct bzimage_e820 map[6];
static struct bzimage_config cfg;
static struct bzimage_plan plan;

static void pc_map(uint64_t top)
{
	map[0] = (struct bzimage_e820){ 0, 0x9FC00, E820_RAM };
	map[1] = (struct bzimage_e820){ 0xF0000, 0x10000, 2 };
	map[2] = (struct bzimage_e820){ 0x100000, top - 0x100000, E820_RAM };
	memset(&cfg, 0, sizeof(cfg));
	cfg.e820 = map;
	cfg.e820_n = 3;
	cfg.cmdline = "console=ttyS0";
}

static int plan_it(void)
{
	err[0] = 0;
	ck_assert_int_eq(parse(), 0);
	return bzimage_plan(&bi, &cfg, &plan, err, sizeof(err));
}

START_TEST(plan_kernel_and_initrd_high)
{
	make_image(4096);
	pc_map(256u << 20);
	cfg.initrd_size = 5u << 20;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.kernel_addr, 0x1000000);	/* pref_address */
	ck_assert_uint_eq(plan.kernel_mem, 32u << 20);
	ck_assert_uint_eq(plan.entry, 0x1000200);
	ck_assert_uint_eq(plan.initrd_addr, (256u - 5) << 20);
	ck_assert_uint_eq(plan.cmdline_len, 13);
	/* An odd size: page aligned, its end at most the RAM top. */
	cfg.initrd_size = 12345;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, ((256u << 20) - 12345) & ~0xFFFu);
	ck_assert_uint_le(plan.initrd_addr + 12345, 256u << 20);
}
END_TEST

START_TEST(plan_initrd_addr_max)
{
	make_image(4096);
	pc_map(2048u << 20);
	p32(BZ_INITRD_ADDR_MAX, 0x37FFFFFF);	/* protocol <= 2.02's */
	cfg.initrd_size = 0x100000;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, 0x37F00000);
	/* The last byte may sit exactly on initrd_addr_max. */
	ck_assert_uint_eq(plan.initrd_addr + plan.initrd_size - 1,
			  0x37FFFFFF);
	/* Above 4 GiB only if asked and the kernel allows it. */
	map[3] = (struct bzimage_e820){ 1ull << 32, 2ull << 30, E820_RAM };
	cfg.e820_n = 4;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, 0x37F00000);
	cfg.initrd_above_4g = true;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, (6ull << 30) - 0x100000);
	p16(BZ_XLOADFLAGS, BZ_XLF_KERNEL_64);
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, 0x37F00000);
}
END_TEST

START_TEST(plan_initrd_beside_kernel)
{
	make_image(4096);
	pc_map(64u << 20);
	p32(BZ_INIT_SIZE, 40u << 20);		/* kernel 16-56 MiB */
	cfg.initrd_size = 10u << 20;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.kernel_addr, 16u << 20);
	ck_assert_uint_eq(plan.initrd_addr, 6u << 20);	/* below it */
	cfg.initrd_size = 20u << 20;		/* fits neither side */
	ck_assert_int_eq(plan_it(), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(err, "initrd"));
	/* Right above the kernel, exactly. */
	cfg.initrd_size = 8u << 20;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, 56u << 20);
}
END_TEST

START_TEST(plan_kernel_placement)
{
	make_image(4096);
	p32(BZ_INIT_SIZE, 8u << 20);
	pc_map(24u << 20);			/* 16 + 8: just fits */
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.kernel_addr, 16u << 20);
	pc_map(20u << 20);			/* 16 + 8 > 20: relocate */
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.kernel_addr, 2u << 20);	/* aligned */
	img[BZ_RELOCATABLE] = 0;
	ck_assert_int_eq(plan_it(), -ENOMEM);
	img[BZ_RELOCATABLE] = 1;
	/* RAM above 1 MiB in two pieces: the first too small, the second
	 * starting at 4 MiB, where the kernel goes (aligned, in it). */
	map[2] = (struct bzimage_e820){ 0x100000, 2u << 20, E820_RAM };
	map[3] = (struct bzimage_e820){ 4u << 20, 16u << 20, E820_RAM };
	cfg.e820_n = 4;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.kernel_addr, 4u << 20);
	map[3].addr = 5u << 20;			/* aligned up to 6 MiB */
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.kernel_addr, 6u << 20);
	/* RAM only above 4 GiB: the kernel needs the identity map. */
	map[2] = (struct bzimage_e820){ 1ull << 32, 1ull << 30, E820_RAM };
	cfg.e820_n = 3;
	ck_assert_int_eq(plan_it(), -ENOMEM);
	map[2] = (struct bzimage_e820){ (4ull << 30) - (8u << 20), 8u << 20,
					E820_RAM };
	ck_assert_int_eq(plan_it(), 0);		/* ends at 4 GiB exactly */
	ck_assert_uint_eq(plan.kernel_addr + plan.kernel_mem, 1ull << 32);
	p32(BZ_INIT_SIZE, 64u << 20);		/* larger than memory */
	pc_map(32u << 20);
	ck_assert_int_eq(plan_it(), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(err, "larger than the RAM"));
	/* init_size smaller than the file: the file's size counts. */
	make_image(40000);
	p32(BZ_INIT_SIZE, 4096);
	pc_map(64u << 20);
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.kernel_mem, 40000);
}
END_TEST

START_TEST(plan_command_line_and_map)
{
	make_image(4096);
	pc_map(64u << 20);
	p32(BZ_CMDLINE_SIZE, 13);
	ck_assert_int_eq(plan_it(), 0);		/* exactly cmdline_size */
	p32(BZ_CMDLINE_SIZE, 12);
	ck_assert_int_eq(plan_it(), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err, "command line"));
	p32(BZ_CMDLINE_SIZE, 0xFFFFFFFF);	/* hostile: our room caps */
	{
		static char longline[BZ_CMDLINE_MAX + 10];

		memset(longline, 'a', sizeof(longline) - 1);
		cfg.cmdline = longline;
		ck_assert_int_eq(plan_it(), -E2BIG);
		cfg.cmdline = NULL;
		ck_assert_int_eq(plan_it(), 0);
		ck_assert_uint_eq(plan.cmdline_len, 0);
	}
	cfg.e820_n = 129;
	ck_assert_int_eq(plan_it(), -E2BIG);
	cfg.e820_n = 3;
	map[0] = (struct bzimage_e820){ 0x400, 0x9F800, E820_RAM };
	ck_assert_int_eq(plan_it(), 0);
	map[0].addr = 0x600;			/* no RAM at 0x500 */
	ck_assert_int_eq(plan_it(), -ENOMEM);
	map[0].addr = 0x1000;
	ck_assert_int_eq(plan_it(), -ENOMEM);
	map[0] = (struct bzimage_e820){ UINT64_MAX - 10, 20, E820_RAM };
	ck_assert_int_eq(plan_it(), -EINVAL);
}
END_TEST

static uint8_t zp[BP_SIZE];

START_TEST(boot_params_fields)
{
	unsigned int i;

	make_image(4096);
	pc_map(256u << 20);
	cfg.initrd_size = 5u << 20;
	ck_assert_int_eq(plan_it(), 0);
	memset(zp, 0xAA, sizeof(zp));		/* what was there before */
	ck_assert_int_eq(bzimage_boot_params(img, img_len, &bi, &cfg, &plan,
					     zp, err, sizeof(err)), 0);
	for (i = 0x0CC; i < 0x1E8; i++)
		ck_assert_uint_eq(zp[i], 0);
	for (i = 0x2D0 + 3 * 20; i < BP_SIZE; i++)
		ck_assert_uint_eq(zp[i], 0);
	/* The setup header, copied. */
	ck_assert_uint_eq(zp[BZ_SETUP_SECTS], 2);
	ck_assert_uint_eq(g16(zp, BZ_BOOT_FLAG), 0xAA55);
	ck_assert_uint_eq(g32(zp, BZ_HEADER), BZ_MAGIC);
	ck_assert_uint_eq(g16(zp, BZ_VERSION), 0x020F);
	ck_assert_uint_eq(g32(zp, BZ_KERNEL_ALIGNMENT), 0x200000);
	ck_assert_uint_eq(g64(zp, BZ_PREF_ADDRESS), 0x1000000);
	ck_assert_uint_eq(g32(zp, BZ_INIT_SIZE), 32u << 20);
	ck_assert_uint_eq(g32(zp, BZ_CMDLINE_SIZE), 2047);
	/* Past the header's end (0x26C), nothing of the file. */
	for (i = 0x26C; i < 0x290; i++)
		ck_assert_uint_eq(zp[i], 0);
	for (i = 0; i < BZ_SETUP_SECTS; i++)
		if (i < BP_E820_ENTRIES || i > BP_E820_ENTRIES)
			ck_assert_uint_eq(zp[i], 0);
	/* The loader's fields. */
	ck_assert_uint_eq(g16(zp, BZ_VID_MODE), 0xFFFF);
	ck_assert_uint_eq(zp[BZ_TYPE_OF_LOADER], 0xFF);
	ck_assert_uint_eq(zp[BZ_LOADFLAGS], BZ_LOADED_HIGH);
	ck_assert_uint_eq(g32(zp, BZ_CMD_LINE_PTR), BZ_CMDLINE_ADDR);
	ck_assert_uint_eq(g32(zp, BP_EXT_CMD_LINE_PTR), 0);
	ck_assert_uint_eq(g32(zp, BZ_RAMDISK_IMAGE), (256u - 5) << 20);
	ck_assert_uint_eq(g32(zp, BZ_RAMDISK_SIZE), 5u << 20);
	ck_assert_uint_eq(g32(zp, BP_EXT_RAMDISK_IMAGE), 0);
	ck_assert_uint_eq(g32(zp, BP_EXT_RAMDISK_SIZE), 0);
	ck_assert_uint_eq(g64(zp, BZ_SETUP_DATA), 0);
	/* The E820 table: 20-byte entries at 0x2D0. */
	ck_assert_uint_eq(zp[BP_E820_ENTRIES], 3);
	ck_assert_uint_eq(g64(zp, 0x2D0), 0);
	ck_assert_uint_eq(g64(zp, 0x2D8), 0x9FC00);
	ck_assert_uint_eq(g32(zp, 0x2E0), 1);
	ck_assert_uint_eq(g64(zp, 0x2E4), 0xF0000);
	ck_assert_uint_eq(g32(zp, 0x2F4), 2);
	ck_assert_uint_eq(g64(zp, 0x2F8), 0x100000);
	ck_assert_uint_eq(g64(zp, 0x300), (256u << 20) - 0x100000);
	ck_assert_uint_eq(g32(zp, 0x308), 1);
	ck_assert_uint_eq(g64(zp, 0x30C), 0);
	/* A map boot_params cannot hold is refused here too. */
	cfg.e820_n = 129;
	ck_assert_int_eq(bzimage_boot_params(img, img_len, &bi, &cfg, &plan,
					     zp, err, sizeof(err)), -E2BIG);
}
END_TEST

START_TEST(boot_params_high_initrd)
{
	make_image(4096);
	pc_map(1024u << 20);
	map[3] = (struct bzimage_e820){ 1ull << 32, 1ull << 30, E820_RAM };
	cfg.e820_n = 4;
	cfg.initrd_above_4g = true;
	cfg.initrd_size = 0x100000;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_int_eq(bzimage_boot_params(img, img_len, &bi, &cfg, &plan,
					     zp, err, sizeof(err)), 0);
	ck_assert_uint_eq(plan.initrd_addr, 0x13FF00000ull);
	ck_assert_uint_eq(g32(zp, BZ_RAMDISK_IMAGE), 0x3FF00000);
	ck_assert_uint_eq(g32(zp, BP_EXT_RAMDISK_IMAGE), 1);
}
END_TEST

/* The initrd's place at the edges of boot.rst's rules: the last byte on
 * initrd_addr_max, an E820 entry that it fills exactly or that is too
 * small, entries in any order, reserved memory, 1 MiB. */
START_TEST(initrd_placement_edges)
{
	make_image(4096);
	p32(BZ_INIT_SIZE, 8u << 20);			/* kernel 16-24 MiB */
	/* initrd_addr_max one below a page's end: the page above it would
	 * put the last byte one past it. */
	pc_map(2048u << 20);
	p32(BZ_INITRD_ADDR_MAX, 0x37FFFFFE);
	cfg.initrd_size = 0x1000;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, 0x37FFE000);
	map[2].size = 0x38000000 - 0x100000;		/* RAM to max + 2 */
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, 0x37FFE000);
	/* RAM that ends exactly at initrd_addr_max: the last byte of RAM
	 * is initrd_addr_max - 1. */
	p32(BZ_INITRD_ADDR_MAX, 0x37FFFFFF);
	map[2].size = 0x37FFFFFF - 0x100000;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, 0x37FFE000);
	/* The highest entry first and the kernel's last, a reserved entry
	 * higher still, junk after the last entry: the highest RAM wins. */
	p32(BZ_INITRD_ADDR_MAX, 0x7FFFFFFF);
	cfg.initrd_size = 1u << 20;
	map[0] = (struct bzimage_e820){ 0x40000000, 1u << 20, E820_RAM };
	map[1] = (struct bzimage_e820){ 0, 0x9FC00, E820_RAM };
	map[2] = (struct bzimage_e820){ 0x60000000, 16u << 20, 2 };
	map[3] = (struct bzimage_e820){ 0x100000, 63u << 20, E820_RAM };
	map[4] = (struct bzimage_e820){ 0x70000000, 16u << 20, E820_RAM };
	cfg.e820_n = 4;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.kernel_addr, 16u << 20);
	ck_assert_uint_eq(plan.initrd_addr, 0x40000000);	/* fills it */
	/* An entry smaller than the initrd is no place for it. */
	map[0].size = 0x800;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, 63u << 20);
	/* 1 MiB itself is allowed: RAM 1-2 MiB and 16-24 MiB only. */
	map[0] = (struct bzimage_e820){ 0, 0x9FC00, E820_RAM };
	map[1] = (struct bzimage_e820){ 0x100000, 1u << 20, E820_RAM };
	map[2] = (struct bzimage_e820){ 16u << 20, 8u << 20, E820_RAM };
	cfg.e820_n = 3;
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, 0x100000);
	/* A smaller entry at 1 MiB: its top; then no room anywhere. */
	map[1].size = (1u << 20) - 0x1000;
	cfg.initrd_size = 0x2000;
	map[0] = (struct bzimage_e820){ 0, 0x9FC00, E820_RAM };
	map[2] = (struct bzimage_e820){ 16u << 20, 8u << 20, E820_RAM };
	ck_assert_int_eq(plan_it(), 0);
	ck_assert_uint_eq(plan.initrd_addr, (2u << 20) - 0x1000 - 0x2000);
	cfg.initrd_size = 2u << 20;
	ck_assert_int_eq(plan_it(), -ENOMEM);
}
END_TEST

/* bzimage_boot_params() on plans and headers bzimage_plan() does not
 * make: addresses and sizes above 4 GiB in every ext_ field, a header
 * that ends at the file's end or at boot_params' own, and one past
 * either; the file's setup_data and code32_start are not kept. */
START_TEST(boot_params_edges)
{
	struct bzimage_plan hp;
	unsigned int i;

	make_image(4096);
	p64(BZ_SETUP_DATA, 0x12345678);			/* junk in the file */
	pc_map(256u << 20);
	map[3] = (struct bzimage_e820){ 0x5555, 0x6666, 7 };	/* not in it */
	ck_assert_int_eq(parse(), 0);
	memset(&hp, 0, sizeof(hp));
	hp.kernel_addr = 0x2000000;
	hp.cmdline_addr = 0x123456000ull;
	hp.initrd_addr = 0x280000000ull;
	hp.initrd_size = 0x100001000ull;
	ck_assert_int_eq(bzimage_boot_params(img, img_len, &bi, &cfg, &hp, zp,
					     err, sizeof(err)), 0);
	ck_assert_uint_eq(g32(zp, BZ_CODE32_START), 0x2000000);
	ck_assert_uint_eq(g32(zp, BZ_CMD_LINE_PTR), 0x23456000);
	ck_assert_uint_eq(g32(zp, BP_EXT_CMD_LINE_PTR), 1);
	ck_assert_uint_eq(g32(zp, BZ_RAMDISK_IMAGE), 0x80000000);
	ck_assert_uint_eq(g32(zp, BP_EXT_RAMDISK_IMAGE), 2);
	ck_assert_uint_eq(g32(zp, BZ_RAMDISK_SIZE), 0x1000);
	ck_assert_uint_eq(g32(zp, BP_EXT_RAMDISK_SIZE), 1);
	ck_assert_uint_eq(g64(zp, BZ_SETUP_DATA), 0);
	ck_assert_uint_eq(zp[BP_E820_ENTRIES], 3);
	for (i = 0x2D0 + 3 * 20; i < BP_SIZE; i++)
		ck_assert_uint_eq(zp[i], 0);
	/* The header up to boot_params' end, 0x290. */
	img[BZ_JUMP + 1] = 0x8E;
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(bi.hdr_end, BZ_HDR_MAX_END);
	ck_assert_int_eq(bzimage_boot_params(img, img_len, &bi, &cfg, &hp, zp,
					     err, sizeof(err)), 0);
	ck_assert_uint_eq(zp[BZ_HDR_MAX_END - 1], 0xEE);
	/* A file that ends where its header does. */
	ck_assert_int_eq(bzimage_boot_params(img, BZ_HDR_MAX_END, &bi, &cfg,
					     &hp, zp, err, sizeof(err)), 0);
	ck_assert_uint_eq(zp[BZ_HDR_MAX_END - 1], 0xEE);
	/* One byte short of it, or a header past boot_params' end. */
	err[0] = 0;
	ck_assert_int_eq(bzimage_boot_params(img, BZ_HDR_MAX_END - 1, &bi,
					     &cfg, &hp, zp, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_ne(err, "");
	bi.hdr_end = BZ_HDR_MAX_END + 1;
	ck_assert_int_eq(bzimage_boot_params(img, img_len, &bi, &cfg, &hp, zp,
					     err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(entry_state)
{
	struct bzimage_regs r;
	static uint8_t pt[BZ_PT_PAGES * 4096];
	uint8_t gdt[32];
	unsigned int i;

	make_image(4096);
	pc_map(256u << 20);
	ck_assert_int_eq(plan_it(), 0);
	bzimage_entry_regs(&plan, &r);
	ck_assert_uint_eq(r.rip, 0x1000200);
	ck_assert_uint_eq(r.rsi, BZ_ZERO_PAGE_ADDR);
	ck_assert_uint_eq(r.rflags & 0x200, 0);		/* IF clear */
	ck_assert_uint_eq(r.cr0 & 0x80000001, 0x80000001);	/* PG, PE */
	ck_assert_uint_eq(r.cr4 & 0x20, 0x20);			/* PAE */
	ck_assert_uint_eq(r.efer & 0x500, 0x500);		/* LME, LMA */
	ck_assert_uint_eq(r.cr3, BZ_PML4_ADDR);
	ck_assert_uint_eq(r.cs.selector, 0x10);
	ck_assert(r.cs.l && !r.cs.db && r.cs.present && r.cs.s);
	ck_assert_uint_eq(r.cs.g, 1);
	ck_assert_uint_eq(r.cs.s, 1);
	ck_assert_uint_eq(r.cs.dpl, 0);
	ck_assert_uint_eq(r.cs.base, 0);
	ck_assert_uint_eq(r.ds.db, 1);
	ck_assert_uint_eq(r.ds.g, 1);
	ck_assert_uint_eq(r.ds.present, 1);
	ck_assert_uint_eq(r.cs.type & 0x8, 0x8);		/* code */
	ck_assert_uint_eq(r.ds.selector, 0x18);
	ck_assert_uint_eq(r.ss.selector, 0x18);
	ck_assert_uint_eq(r.ds.type & 0xA, 0x2);		/* data, RW */
	ck_assert_uint_eq(r.ds.base, 0);
	ck_assert_uint_eq(r.ds.limit, 0xFFFFFFFF);
	/* The GDT the selectors name. */
	memset(gdt, 0xFF, sizeof(gdt));
	bzimage_gdt(gdt);
	for (i = 0; i < 16; i++)
		ck_assert_uint_eq(gdt[i], 0);		/* null, unused */
	ck_assert_uint_eq(r.gdt_base, BZ_GDT_ADDR);
	ck_assert_uint_eq(r.gdt_limit, 31);
	ck_assert_uint_eq(g64(gdt, 0), 0);
	ck_assert_uint_eq(g64(gdt, 0x10) >> 40 & 0xFF, 0x9B);	/* P, code */
	ck_assert_uint_eq(g64(gdt, 0x10) >> 53 & 1, 1);	/* L */
	ck_assert_uint_eq(g64(gdt, 0x18) >> 40 & 0xFF, 0x93);	/* P, data */
	/* Identity map: 2 MiB pages over the first 4 GiB. */
	bzimage_page_tables(pt);
	ck_assert_uint_eq(g64(pt, 0), BZ_PML4_ADDR + 0x1000 + 3);
	ck_assert_uint_eq(g64(pt, 8), 0);
	ck_assert_uint_eq(g64(pt, 0x1000), BZ_PML4_ADDR + 0x2000 + 3);
	ck_assert_uint_eq(g64(pt, 0x1018), BZ_PML4_ADDR + 0x5000 + 3);
	ck_assert_uint_eq(g64(pt, 0x1020), 0);
	ck_assert_uint_eq(g64(pt, 0x2000), 0x83);
	ck_assert_uint_eq(g64(pt, 0x2008), 0x200083);
	ck_assert_uint_eq(g64(pt, 0x5FF8), 0xFFE00083ull);
}
END_TEST

/* Guest memory for bzimage_load: 64 MiB, nothing above. */
#define GMEM (64u << 20)
static uint8_t *gmem;

static int g_write(void *o, uint64_t gpa, const void *buf, size_t len)
{
	(void)o;
	if (gpa > GMEM || len > GMEM - gpa)
		return -14;
	memcpy(gmem + gpa, buf, len);
	return 0;
}

START_TEST(load_into_memory)
{
	static const struct bzimage_mem_ops mem = { .write = g_write };
	struct bzimage_regs r;
	uint8_t initrd[5000];
	size_t i;

	gmem = calloc(1, GMEM);
	ck_assert_ptr_nonnull(gmem);
	for (i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 3);
	make_image(20000);
	p32(BZ_INIT_SIZE, 8u << 20);
	pc_map(GMEM);
	cfg.initrd_size = sizeof(initrd);
	ck_assert_int_eq(bzimage_load(img, img_len, initrd, &cfg, &mem, NULL,
				      &plan, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(plan.kernel_addr, 16u << 20);
	ck_assert_mem_eq(gmem + plan.kernel_addr, img + 1536, 20000);
	ck_assert_str_eq((char *)gmem + BZ_CMDLINE_ADDR, "console=ttyS0");
	ck_assert_uint_eq(plan.initrd_addr, (GMEM - sizeof(initrd)) & ~0xFFFu);
	ck_assert_mem_eq(gmem + plan.initrd_addr, initrd, sizeof(initrd));
	ck_assert_uint_eq(gmem[BZ_ZERO_PAGE_ADDR + BZ_TYPE_OF_LOADER], 0xFF);
	ck_assert_uint_eq(g64(gmem, BZ_PML4_ADDR), BZ_PML4_ADDR + 0x1003);
	ck_assert_uint_eq(g64(gmem, BZ_GDT_ADDR + 0x10),
			  0x00AF9B000000FFFFull);
	ck_assert_uint_eq(r.rip, plan.kernel_addr + 0x200);
	/* Initrd size without data, and a bad file, load nothing. */
	ck_assert_int_eq(bzimage_load(img, img_len, NULL, &cfg, &mem, NULL,
				      &plan, &r, err, sizeof(err)), -EINVAL);
	img[BZ_HEADER] = 0;
	ck_assert_int_eq(bzimage_load(img, img_len, initrd, &cfg, &mem, NULL,
				      &plan, &r, err, sizeof(err)), -ENOEXEC);
	free(gmem);
}
END_TEST

/* ---- a real kernel, when there is one ---- */

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		b = malloc((size_t)n);
		if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
			free(b);
			b = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return b;
}

static char *find_kernel(void)
{
	static const char *pats[] = {
		"build/linux/bzImage", "../../build/linux/bzImage",
		"build/labvm/kernel/vmlinuz*", "../../build/labvm/kernel/vmlinuz*",
		"/boot/vmlinuz-*",
	};
	const char *env = getenv("BZIMAGE");
	char *found = NULL;
	unsigned int i;
	glob_t g;

	if (env && *env)
		return strdup(env);
	for (i = 0; i < sizeof(pats) / sizeof(pats[0]) && !found; i++) {
		if (glob(pats[i], 0, NULL, &g) == 0 && g.gl_pathc)
			found = strdup(g.gl_pathv[0]);
		globfree(&g);
	}
	return found;
}

START_TEST(real_kernel_header)
{
	char *path = find_kernel();
	uint8_t *k;
	size_t len = 0;

	if (!path) {
		/* The synthetic image like Debian's stands in for it. */
		fprintf(stderr, "bzimage: real_kernel_header: no kernel (set "
			"BZIMAGE=path): the synthetic image instead\n");
		make_image(4096);
		path = strdup("(synthetic)");
		k = malloc(img_len);
		ck_assert_ptr_nonnull(k);
		memcpy(k, img, img_len);
		len = img_len;
	} else {
		k = slurp(path, &len);
	}
	ck_assert_msg(k != NULL, "cannot read %s", path);
	ck_assert_msg(bzimage_parse(k, len, &bi, err, sizeof(err)) == 0,
		      "%s: %s", path, err);
	/* What the loader read is what the file's bytes say. */
	ck_assert_uint_eq(bi.version, g16(k, BZ_VERSION));
	ck_assert_uint_ge(bi.version, BZ_MIN_VERSION);
	ck_assert_uint_eq(bi.setup_sects, k[BZ_SETUP_SECTS] ?
			  k[BZ_SETUP_SECTS] : 4u);
	ck_assert_uint_eq(bi.kernel_offset + bi.kernel_size, len);
	ck_assert_uint_eq(bi.xloadflags & BZ_XLF_KERNEL_64, BZ_XLF_KERNEL_64);
	ck_assert_uint_eq(bi.pref_address, g64(k, BZ_PREF_ADDRESS));
	ck_assert_uint_ge(bi.init_size, bi.kernel_size);
	/* It plans into a 512 MiB PC. */
	make_image(0);
	pc_map(512u << 20);
	cfg.initrd_size = 1u << 20;
	ck_assert_msg(bzimage_plan(&bi, &cfg, &plan, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(plan.entry, plan.kernel_addr + 0x200);
	ck_assert_uint_eq(plan.kernel_addr % (bi.relocatable ?
					      bi.kernel_alignment : 1), 0);
	ck_assert_uint_le(plan.initrd_addr + plan.initrd_size - 1,
			  bi.initrd_addr_max);
	ck_assert(plan.initrd_addr >= plan.kernel_addr + plan.kernel_mem ||
		  plan.initrd_addr + plan.initrd_size <= plan.kernel_addr);
	fprintf(stderr, "bzimage: %s: protocol %u.%02u, %zu bytes of kernel, "
		"init_size %u KiB\n", path, bi.version >> 8,
		bi.version & 0xFF, bi.kernel_size, bi.init_size >> 10);
	free(k);
	free(path);
}
END_TEST

Suite *bzimage_suite(void)
{
	Suite *s = suite_create("bzimage");
	TCase *t = tcase_create("bzimage");

	tcase_add_test(t, plan_kernel_and_initrd_high);
	tcase_add_test(t, plan_initrd_addr_max);
	tcase_add_test(t, plan_initrd_beside_kernel);
	tcase_add_test(t, boot_params_fields);
	tcase_add_test(t, boot_params_high_initrd);
	tcase_add_test(t, initrd_placement_edges);
	tcase_add_test(t, boot_params_edges);
	tcase_add_test(t, load_into_memory);
	tcase_add_test(t, real_kernel_header);
	suite_add_tcase(s, t);
	return s;
}

/* The header checks, the kernel's place, the command line and the entry
 * state: not exercise 4.bootparams's, so a suite of their own. */
Suite *bzimage_kernel_suite(void)
{
	Suite *s = suite_create("bzimage-kernel");
	TCase *t = tcase_create("bzimage-kernel");

	tcase_add_test(t, parse_fields);
	tcase_add_test(t, not_a_bzimage);
	tcase_add_test(t, protocol_too_old);
	tcase_add_test(t, no_64bit_entry);
	tcase_add_test(t, hostile_header_lengths);
	tcase_add_test(t, plan_kernel_placement);
	tcase_add_test(t, plan_command_line_and_map);
	tcase_add_test(t, entry_state);
	suite_add_tcase(s, t);
	return s;
}

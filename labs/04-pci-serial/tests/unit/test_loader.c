/*
 * test_loader.c - guest images, good and bad. Every malformed file must
 * give a negative errno and a message that names the problem; none may
 * crash or write outside guest RAM.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "cpu/boot.h"
#include "cpu/loader.h"
#include "unit.h"

#define RAM (4u << 20)

static uint8_t *ram;
static struct boot_info bi;

static void setup(void)
{
	ram = calloc(1, RAM);
	ck_assert_ptr_nonnull(ram);
	err_clear();
}

static void teardown(void)
{
	free(ram);
}

/* An ELF64 image with one PT_LOAD segment carrying `code`. */
struct elf64_img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint8_t code[16];
};

static void elf64(struct elf64_img *img, uint64_t paddr, uint64_t memsz)
{
	memset(img, 0, sizeof(*img));
	memcpy(img->eh.e_ident, ELFMAG, SELFMAG);
	img->eh.e_ident[EI_CLASS] = ELFCLASS64;
	img->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img->eh.e_ident[EI_VERSION] = EV_CURRENT;
	img->eh.e_type = ET_EXEC;
	img->eh.e_machine = EM_X86_64;
	img->eh.e_version = EV_CURRENT;
	img->eh.e_entry = paddr + 4;
	img->eh.e_phoff = offsetof(struct elf64_img, ph);
	img->eh.e_ehsize = sizeof(Elf64_Ehdr);
	img->eh.e_phentsize = sizeof(Elf64_Phdr);
	img->eh.e_phnum = 1;
	img->ph.p_type = PT_LOAD;
	img->ph.p_offset = offsetof(struct elf64_img, code);
	img->ph.p_paddr = img->ph.p_vaddr = paddr;
	img->ph.p_filesz = sizeof(img->code);
	img->ph.p_memsz = memsz;
	memset(img->code, 0x90, sizeof(img->code));
}

/* A multiboot ELF32: ELF header, one program header, multiboot header, code. */
struct mb_img {
	Elf32_Ehdr eh;
	Elf32_Phdr ph;
	uint32_t mb[3];
	uint8_t code[16];
};

static void mb32(struct mb_img *img, uint32_t flags)
{
	memset(img, 0, sizeof(*img));
	memcpy(img->eh.e_ident, ELFMAG, SELFMAG);
	img->eh.e_ident[EI_CLASS] = ELFCLASS32;
	img->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img->eh.e_ident[EI_VERSION] = EV_CURRENT;
	img->eh.e_type = ET_EXEC;
	img->eh.e_machine = EM_386;
	img->eh.e_version = EV_CURRENT;
	img->eh.e_entry = 0x100000;
	img->eh.e_phoff = offsetof(struct mb_img, ph);
	img->eh.e_ehsize = sizeof(Elf32_Ehdr);
	img->eh.e_phentsize = sizeof(Elf32_Phdr);
	img->eh.e_phnum = 1;
	img->ph.p_type = PT_LOAD;
	img->ph.p_offset = offsetof(struct mb_img, code);
	img->ph.p_paddr = 0x100000;
	img->ph.p_filesz = sizeof(img->code);
	img->ph.p_memsz = 0x2000;
	img->mb[0] = 0x1badb002;
	img->mb[1] = flags;
	img->mb[2] = -(0x1badb002 + flags);
	memset(img->code, 0xf4, sizeof(img->code));
}

static void expect_error(const void *img, size_t len, int err, const char *words)
{
	ck_assert_int_eq(loader_load(ram, RAM, img, len, &bi), err);
	ck_assert_msg(strstr(err_msg(), words), "message '%s' lacks '%s'",
		      err_msg(), words);
}

START_TEST(good_elf64)
{
	struct elf64_img img;

	elf64(&img, 0x200000, 0x1000);
	memset(ram + 0x200000, 0xee, 0x1000);	/* the bss must be zeroed */
	ck_assert_int_eq(loader_load(ram, RAM, (void *)&img, sizeof(img), &bi), 0);
	ck_assert_int_eq(bi.format, GUEST_ELF64);
	ck_assert_uint_eq(bi.entry, 0x200004);
	ck_assert_uint_eq(ram[0x200000], 0x90);
	ck_assert_uint_eq(ram[0x20000f], 0x90);
	ck_assert_uint_eq(ram[0x200010], 0);
	ck_assert_uint_eq(ram[0x200fff], 0);
}
END_TEST

START_TEST(good_multiboot)
{
	struct mb_img img;
	uint32_t info[3];

	mb32(&img, 1u << 1);
	ck_assert_int_eq(loader_load(ram, RAM, (void *)&img, sizeof(img), &bi), 0);
	ck_assert_int_eq(bi.format, GUEST_MULTIBOOT);
	ck_assert_uint_eq(bi.entry, 0x100000);
	ck_assert_uint_eq(bi.mb_info, 0x9000);
	ck_assert_uint_eq(ram[0x100000], 0xf4);
	/* Multiboot 0.6.96, 3.3: flags bit 0, mem_lower and mem_upper in KiB. */
	memcpy(info, ram + 0x9000, sizeof(info));
	ck_assert_uint_eq(info[0] & 1, 1);
	ck_assert_uint_eq(info[1], 636);	/* below the EBDA at 0x9f000 */
	ck_assert_uint_eq(info[2], (RAM - 0x100000) / 1024);
}
END_TEST

START_TEST(good_flat)
{
	static const uint8_t code[] = { 0xb0, 0x41, 0xe6, 0xe9, 0xf4 };

	ck_assert_int_eq(loader_load(ram, RAM, code, sizeof(code), &bi), 0);
	ck_assert_int_eq(bi.format, GUEST_FLAT);
	ck_assert_uint_eq(bi.entry, 0x7c00);
	ck_assert_mem_eq(ram + 0x7c00, code, sizeof(code));
}
END_TEST

START_TEST(flat_too_big_for_real_mode)
{
	size_t len = 0x9f000 - 0x7c00 + 1;	/* up to the EBDA */
	uint8_t *big = calloc(1, len);

	expect_error(big, len, -E2BIG, "at most");
	ck_assert_int_eq(loader_load(ram, RAM, big, len - 1, &bi), 0);
	free(big);
}
END_TEST

START_TEST(truncated_elf)
{
	struct elf64_img img;

	elf64(&img, 0x200000, 0x1000);
	expect_error(&img, 10, -EINVAL, "truncated");
	expect_error(&img, sizeof(Elf64_Ehdr) - 1, -EINVAL, "truncated");
	/* Headers fine, program header cut off. */
	expect_error(&img, sizeof(Elf64_Ehdr) + 8, -EINVAL, "truncated");
	/* Segment bytes cut off. */
	expect_error(&img, sizeof(img) - 1, -EINVAL, "truncated");
	/* A program header table offset far past the end. */
	img.eh.e_phoff = 1ULL << 40;
	expect_error(&img, sizeof(img), -EINVAL, "truncated");
}
END_TEST

START_TEST(segment_checks)
{
	struct elf64_img img;

	elf64(&img, 0x7c00, 0x100);
	expect_error(&img, sizeof(img), -EINVAL, "below 1 MiB");
	elf64(&img, 0x200000, RAM);		/* a bss bigger than RAM */
	expect_error(&img, sizeof(img), -E2BIG, "does not fit in guest RAM");
	elf64(&img, ~0ULL - 4, 0x100);		/* wraps around */
	expect_error(&img, sizeof(img), -E2BIG, "does not fit");
	elf64(&img, 0x200000, 4);		/* filesz > memsz */
	expect_error(&img, sizeof(img), -EINVAL, "more file bytes");
	elf64(&img, 0x200000, 0x100);
	img.ph.p_type = PT_NOTE;
	expect_error(&img, sizeof(img), -EINVAL, "no loadable segment");
	elf64(&img, 0x200000, 0x100);
	img.eh.e_phnum = 0;
	expect_error(&img, sizeof(img), -EINVAL, "no program headers");
}
END_TEST

START_TEST(unknown_formats)
{
	struct elf64_img img;
	struct mb_img mb;

	elf64(&img, 0x200000, 0x100);
	img.eh.e_machine = EM_AARCH64;
	expect_error(&img, sizeof(img), -EINVAL, "unknown format");
	elf64(&img, 0x200000, 0x100);
	img.eh.e_ident[EI_CLASS] = 7;
	expect_error(&img, sizeof(img), -EINVAL, "unknown format");
	elf64(&img, 0x200000, 0x100);
	img.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	expect_error(&img, sizeof(img), -EINVAL, "unknown format");

	mb32(&mb, 0);
	mb.mb[0] = 0;				/* no multiboot header */
	expect_error(&mb, sizeof(mb), -EINVAL, "no multiboot header");
	mb32(&mb, 0);
	mb.mb[2] += 1;				/* bad checksum */
	expect_error(&mb, sizeof(mb), -EINVAL, "no multiboot header");
	mb32(&mb, 1u << 2);			/* asks for a video mode */
	expect_error(&mb, sizeof(mb), -EINVAL, "flags 0x4");
}
END_TEST

/*
 * Multiboot 0.6.96, 3.1.1: the header "must be contained completely
 * within the first 8192 bytes of the OS image, and must be longword
 * (32-bit) aligned". Its 12 bytes (magic, flags, checksum) may start at
 * 8180 at the latest; at 8184 or 8188 they run past the first 8 KiB.
 */
START_TEST(multiboot_header_in_first_8k)
{
	static uint8_t file[16384];
	static const size_t at[] = { 8180, 8184, 8188, 8192 };
	struct mb_img img;
	unsigned int i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		mb32(&img, 0);
		memcpy(file + at[i], img.mb, sizeof(img.mb));
		memset(img.mb, 0, sizeof(img.mb));	/* not where mb32() put it */
		memset(file, 0, at[i]);
		memcpy(file, &img, sizeof(img));
		if (at[i] == 8180) {
			ck_assert_int_eq(loader_load(ram, RAM, file, sizeof(file), &bi), 0);
			ck_assert_int_eq(bi.format, GUEST_MULTIBOOT);
		} else {
			expect_error(file, sizeof(file), -EINVAL, "no multiboot header");
		}
		memset(file, 0, sizeof(file));
	}
}
END_TEST

/*
 * Random damage to good images: whatever the bytes say, the loader must
 * return 0 or a negative errno with a message, and never touch memory
 * outside guest RAM (the ASan build, `make asan`, checks that part).
 */
START_TEST(random_damage)
{
	struct elf64_img e64;
	struct mb_img mb;
	uint32_t x = 12345;
	int i, j;

	for (i = 0; i < 20000; i++) {
		uint8_t *img = (i & 1) ? (uint8_t *)&e64 : (uint8_t *)&mb;
		size_t len = (i & 1) ? sizeof(e64) : sizeof(mb);
		int ret;

		elf64(&e64, 0x200000, 0x1000);
		mb32(&mb, 1u << 1);
		for (j = 0; j < 1 + i % 4; j++) {
			x = x * 1103515245 + 12345;	/* a fixed LCG: repeatable */
			img[(x >> 8) % len] = (uint8_t)(x >> 16);
		}
		err_clear();
		ret = loader_load(ram, RAM, img, len - (x >> 24) % 8, &bi);
		ck_assert_int_le(ret, 0);
		if (ret < 0)
			ck_assert_str_ne(err_msg(), "unknown error");
	}
}
END_TEST

static char tmpdir[64];

static void file_setup(void)
{
	setup();
	strcpy(tmpdir, "/tmp/vmmlab-loader-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void file_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	teardown();
}

static const char *write_file(const char *name, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	while (len--)
		fputc(0x90, f);
	fclose(f);
	return path;
}

START_TEST(file_errors)
{
	uint8_t *img = NULL;
	size_t len = 0;
	char missing[128];

	snprintf(missing, sizeof(missing), "%s/missing.bin", tmpdir);
	ck_assert_int_eq(loader_read_file(missing, RAM, &img, &len), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err_msg(), "No such file"));
	ck_assert_int_eq(loader_read_file(tmpdir, RAM, &img, &len), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_msg(), "not a regular file"));
	ck_assert_int_eq(loader_read_file(write_file("empty", 0), RAM, &img, &len), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err_msg(), "is empty"));
	ck_assert_int_eq(loader_read_file(write_file("big", 8193), 8192, &img, &len), -EFBIG);
	ck_assert_ptr_nonnull(strstr(err_msg(), "larger than guest RAM"));
	ck_assert_ptr_null(img);
	ck_assert_int_eq(loader_read_file(write_file("ok", 100), RAM, &img, &len), 0);
	ck_assert_uint_eq(len, 100);
	ck_assert_uint_eq(img[99], 0x90);
	free(img);
}
END_TEST

Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("images");
	TCase *tf = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, good_elf64);
	tcase_add_test(tc, good_multiboot);
	tcase_add_test(tc, good_flat);
	tcase_add_test(tc, flat_too_big_for_real_mode);
	tcase_add_test(tc, truncated_elf);
	tcase_add_test(tc, segment_checks);
	tcase_add_test(tc, unknown_formats);
	tcase_add_test(tc, multiboot_header_in_first_8k);
	tcase_add_test(tc, random_damage);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, file_setup, file_teardown);
	tcase_add_test(tf, file_errors);
	suite_add_tcase(s, tf);
	return s;
}

/*
 * loader.c - guest image formats (book §1.5.5).
 *
 * The guest file is hostile input like everything else the guest
 * controls: every offset and size in an ELF or multiboot header is
 * checked against the file and against guest RAM before it is used, and
 * a bad one is a one-line error, never a crash.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "cpu/boot.h"
#include "cpu/loader.h"

#define MB_MAGIC		0x1badb002U
#define MB_BOOT_MAGIC		0x2badb002U
#define MB_SEARCH		8192
#define MB_FLAG_PAGE_ALIGN	(1U << 0)
#define MB_FLAG_MEMINFO		(1U << 1)
#define MB_FLAG_AOUT_KLUDGE	(1U << 16)
#define MB_INFO_MEM		(1U << 0)

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t entry_addr;
};

const char *loader_format_name(enum guest_format format)
{
	switch (format) {
	case GUEST_FLAT:
		return "flat binary (real mode)";
	case GUEST_MULTIBOOT:
		return "multiboot ELF32 (protected mode)";
	case GUEST_ELF64:
		return "ELF64 (long mode)";
	/* @@ 04 */
	case GUEST_BZIMAGE:
		return "bzImage (Linux, 64-bit entry)";
	/* @@ end */
	}
	return "?";
}

int loader_read_file(const char *path, uint64_t limit, uint8_t **image,
		     size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(-errno, "cannot open guest '%s': %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = err_set(-errno, "cannot stat guest '%s': %s", path,
			      strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = err_set(-EINVAL, "guest '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_size == 0) {
		ret = err_set(-EINVAL, "guest '%s' is empty", path);
		goto out;
	}
	if ((uint64_t)st.st_size > limit) {
		ret = err_set(-EFBIG,
			      "guest '%s' is %lld bytes, larger than guest RAM (%llu bytes)",
			      path, (long long)st.st_size,
			      (unsigned long long)limit);
		goto out;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		ret = err_set(-ENOMEM, "no memory to read guest '%s'", path);
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = err_set(n < 0 ? -errno : -EIO,
				      "cannot read guest '%s': %s", path,
				      n < 0 ? strerror(errno) : "file shrank");
			free(buf);
			goto out;
		}
		done += n;
	}
	*image = buf;
	*len = done;
out:
	close(fd);
	return ret;
}

/* Is [gpa, gpa + size) inside RAM and at or above the VMM's first MiB? */
static int loader_check_range(uint64_t gpa, uint64_t size, uint64_t ram_size,
			      const char *what, int index)
{
	if (gpa < BOOT_ELF_MIN)
		return err_set(-EINVAL,
			       "%s %d at 0x%llx is below 1 MiB, which the VMM reserves",
			       what, index, (unsigned long long)gpa);
	if (gpa + size < gpa || gpa + size > ram_size)
		return err_set(-E2BIG,
			       "%s %d (0x%llx bytes at 0x%llx) does not fit in guest RAM (%llu bytes)",
			       what, index, (unsigned long long)size,
			       (unsigned long long)gpa,
			       (unsigned long long)ram_size);
	return 0;
}

static int loader_flat(uint8_t *ram, uint64_t ram_size, const uint8_t *image,
		       size_t len, struct boot_info *bi)
{
	uint64_t room = BOOT_LOW_END - BOOT_FLAT_LOAD;

	if (ram_size < BOOT_LOW_END)
		room = ram_size > BOOT_FLAT_LOAD ? ram_size - BOOT_FLAT_LOAD : 0;
	if (len > room)
		return err_set(-E2BIG,
			       "flat binary is %zu bytes; at most %llu fit at 0x7c00 in real mode",
			       len, (unsigned long long)room);
	memcpy(ram + BOOT_FLAT_LOAD, image, len);
	bi->format = GUEST_FLAT;
	bi->entry = BOOT_FLAT_LOAD;
	return 0;
}

/*
 * Load the PT_LOAD segments of a checked ELF header. The 32- and 64-bit
 * program headers differ only in field widths, so both are read into
 * the 64-bit form first.
 */
static int loader_elf_segments(uint8_t *ram, uint64_t ram_size,
			       const uint8_t *image, size_t len, int is64,
			       uint64_t phoff, unsigned int phnum)
{
	size_t phsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	unsigned int i, loaded = 0;

	if (phnum == 0)
		return err_set(-EINVAL, "ELF has no program headers");
	if (phoff > len || (uint64_t)phnum * phsize > len - phoff)
		return err_set(-EINVAL,
			       "truncated ELF: program headers end past the end of the file");
	for (i = 0; i < phnum; i++) {
		const uint8_t *p = image + phoff + (uint64_t)i * phsize;
		Elf64_Phdr ph;
		int ret;

		if (is64) {
			memcpy(&ph, p, sizeof(ph));
		} else {
			Elf32_Phdr ph32;

			memcpy(&ph32, p, sizeof(ph32));
			ph = (Elf64_Phdr){
				.p_type = ph32.p_type, .p_offset = ph32.p_offset,
				.p_paddr = ph32.p_paddr, .p_filesz = ph32.p_filesz,
				.p_memsz = ph32.p_memsz,
			};
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return err_set(-EINVAL,
				       "bad ELF: segment %u has more file bytes than memory bytes",
				       i);
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return err_set(-EINVAL,
				       "truncated ELF: segment %u extends past the end of the file",
				       i);
		ret = loader_check_range(ph.p_paddr, ph.p_memsz, ram_size,
					 "ELF segment", i);
		if (ret)
			return ret;
		memcpy(ram + ph.p_paddr, image + ph.p_offset, ph.p_filesz);
		memset(ram + ph.p_paddr + ph.p_filesz, 0,
		       ph.p_memsz - ph.p_filesz);
		loaded++;
	}
	if (!loaded)
		return err_set(-EINVAL, "ELF has no loadable segment");
	return 0;
}

/*
 * The multiboot header: 4-byte aligned, checksummed, and all of its 12
 * bytes in the first 8 KiB (multiboot 0.6.96, 3.1.1).
 */
static const struct mb_header *loader_find_mb(const uint8_t *image, size_t len,
					      size_t *offset)
{
	size_t off;

	for (off = 0; off + 12 <= len && off + 12 <= MB_SEARCH; off += 4) {
		const struct mb_header *h = (const void *)(image + off);
		uint32_t magic, flags, sum;

		memcpy(&magic, &h->magic, 4);
		memcpy(&flags, &h->flags, 4);
		memcpy(&sum, &h->checksum, 4);
		if (magic == MB_MAGIC && (uint32_t)(magic + flags + sum) == 0) {
			*offset = off;
			return h;
		}
	}
	return NULL;
}

/* Multiboot's "a.out kludge": the header itself says where to load. */
static int loader_mb_kludge(uint8_t *ram, uint64_t ram_size,
			    const uint8_t *image, size_t len,
			    const struct mb_header *h, size_t hoff,
			    struct boot_info *bi)
{
	uint64_t file_off, load_end, bss_end, size;
	int ret;

	if (hoff + sizeof(*h) > len)
		return err_set(-EINVAL, "truncated multiboot header");
	if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > hoff)
		return err_set(-EINVAL, "bad multiboot header: load_addr after header_addr");
	file_off = hoff - (h->header_addr - h->load_addr);
	load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + (len - file_off);
	if (load_end < h->load_addr || load_end - h->load_addr > len - file_off)
		return err_set(-EINVAL, "truncated multiboot image: load_end_addr past the end of the file");
	size = load_end - h->load_addr;
	bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (bss_end < load_end)
		return err_set(-EINVAL, "bad multiboot header: bss_end_addr before load_end_addr");
	ret = loader_check_range(h->load_addr, bss_end - h->load_addr, ram_size,
				 "multiboot image", 0);
	if (ret)
		return ret;
	memcpy(ram + h->load_addr, image + file_off, size);
	memset(ram + load_end, 0, bss_end - load_end);
	bi->entry = h->entry_addr;
	return 0;
}

/* The information a multiboot kernel finds at EBX: here, just memory. */
static void loader_mb_info(uint8_t *ram, uint64_t ram_size)
{
	uint64_t top = ram_size < (4ULL << 30) ? ram_size : (4ULL << 30);
	uint32_t info[3] = {
		MB_INFO_MEM,
		(uint32_t)((ram_size < BOOT_LOW_END ? ram_size : BOOT_LOW_END) >> 10),
		(uint32_t)((top - BOOT_ELF_MIN) >> 10),
	};

	memset(ram + BOOT_MB_INFO, 0, 120);	/* the v1 structure's size */
	memcpy(ram + BOOT_MB_INFO, info, sizeof(info));
}

static int loader_multiboot(uint8_t *ram, uint64_t ram_size,
			    const uint8_t *image, size_t len,
			    struct boot_info *bi)
{
	const Elf32_Ehdr *eh = (const void *)image;
	const struct mb_header *mb;
	size_t hoff;
	uint32_t flags;
	int ret;

	mb = loader_find_mb(image, len, &hoff);
	if (!mb)
		return err_set(-EINVAL,
			       "ELF32 guest has no multiboot header in its first 8 KiB");
	memcpy(&flags, &mb->flags, 4);
	/* Bits 0-15 are requirements: refuse the ones we cannot honour. */
	if (flags & 0xffffU & ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO))
		return err_set(-EINVAL,
			       "multiboot header asks for flags 0x%x; only memory information (bit 1) is supported",
			       flags & 0xffffU);
	if (ram_size < BOOT_ELF_MIN)
		return err_set(-EINVAL, "guest RAM below 1 MiB cannot hold a multiboot kernel");
	if (flags & MB_FLAG_AOUT_KLUDGE) {
		struct mb_header h = { 0 };

		if (hoff + sizeof(h) > len)
			return err_set(-EINVAL, "truncated multiboot header");
		memcpy(&h, mb, sizeof(h));
		ret = loader_mb_kludge(ram, ram_size, image, len, &h, hoff, bi);
	} else {
		ret = loader_elf_segments(ram, ram_size, image, len, 0,
					  eh->e_phoff, eh->e_phnum);
		bi->entry = eh->e_entry;
	}
	if (ret)
		return ret;
	loader_mb_info(ram, ram_size);
	bi->format = GUEST_MULTIBOOT;
	bi->mb_info = BOOT_MB_INFO;
	return 0;
}

static int loader_elf(uint8_t *ram, uint64_t ram_size, const uint8_t *image,
		      size_t len, struct boot_info *bi)
{
	const unsigned char *id = image;
	int ret;

	if (len < EI_NIDENT)
		return err_set(-EINVAL, "truncated ELF: %zu bytes", len);
	if (id[EI_DATA] != ELFDATA2LSB)
		return err_set(-EINVAL, "unknown format: big-endian ELF");
	if (id[EI_CLASS] == ELFCLASS32) {
		const Elf32_Ehdr *eh = (const void *)image;

		if (len < sizeof(*eh))
			return err_set(-EINVAL, "truncated ELF: header is cut short");
		if (eh->e_machine != EM_386)
			return err_set(-EINVAL,
				       "unknown format: ELF32 for machine %u, not i386",
				       eh->e_machine);
		if (eh->e_phentsize != sizeof(Elf32_Phdr))
			return err_set(-EINVAL, "bad ELF: program header size %u",
				       eh->e_phentsize);
		return loader_multiboot(ram, ram_size, image, len, bi);
	}
	if (id[EI_CLASS] == ELFCLASS64) {
		const Elf64_Ehdr *eh = (const void *)image;

		if (len < sizeof(*eh))
			return err_set(-EINVAL, "truncated ELF: header is cut short");
		if (eh->e_machine != EM_X86_64)
			return err_set(-EINVAL,
				       "unknown format: ELF64 for machine %u, not x86-64",
				       eh->e_machine);
		if (eh->e_phentsize != sizeof(Elf64_Phdr))
			return err_set(-EINVAL, "bad ELF: program header size %u",
				       eh->e_phentsize);
		ret = loader_elf_segments(ram, ram_size, image, len, 1,
					  eh->e_phoff, eh->e_phnum);
		if (ret)
			return ret;
		bi->format = GUEST_ELF64;
		bi->entry = eh->e_entry;
		return 0;
	}
	return err_set(-EINVAL, "unknown format: ELF class %u", id[EI_CLASS]);
}

int loader_load(uint8_t *ram, uint64_t ram_size, const uint8_t *image,
		size_t len, struct boot_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	if (len == 0)
		return err_set(-EINVAL, "guest image is empty");
	if (len >= 4 && memcmp(image, ELFMAG, SELFMAG) == 0)
		return loader_elf(ram, ram_size, image, len, bi);
	return loader_flat(ram, ram_size, image, len, bi);
}

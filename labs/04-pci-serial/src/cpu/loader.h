/*
 * loader.h - putting a guest image into guest RAM (book §1.5.5).
 *
 * Three formats: a flat real-mode binary, a multiboot v1 ELF32 kernel,
 * and an ELF64 entered directly in long mode. The formats and load
 * addresses are in guests/README.md, "How guests are loaded".
 */
#ifndef VMM_LOADER_H
#define VMM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/bzimage.h"

/* Files larger than this are refused before they are read. */
#define LOADER_MAX_FILE		(1ULL << 30)

enum guest_format {
	GUEST_FLAT,
	GUEST_MULTIBOOT,
	GUEST_ELF64,
	GUEST_BZIMAGE,			/* lab 04: Linux, from --kernel */
};

struct boot_info {
	enum guest_format format;
	uint64_t entry;
	uint64_t mb_info;		/* multiboot: GPA of the information */
	const uint8_t *image;		/* the file, while the devices are made */
	size_t image_len;
	struct bzimage_regs linux_regs;	/* GUEST_BZIMAGE: the entry state */
};

int loader_read_file(const char *path, uint64_t limit, uint8_t **image,
		     size_t *len);
int loader_load(uint8_t *ram, uint64_t ram_size, const uint8_t *image,
		size_t len, struct boot_info *bi);
const char *loader_format_name(enum guest_format format);

#endif

/*
 * bios.h - the VMM's side of the BIOS: the ROM image, the interrupt
 * vector table, the BIOS data area, and the hypercall port through which
 * the BIOS asks the VMM to answer INT 15h (book §2.2.3-2.2.4).
 */
#ifndef VMM_BIOS_H
#define VMM_BIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "mem/memmap.h"

struct vm;

#define BIOS_HCALL_PORT		0xea	/* src/mem/bios/bios.asm: BIOS_HCALL_PORT */
#define BIOS_SEG		0xf000	/* the ROM as a real-mode segment */
#define BIOS_MAGIC		"VMMLAB BIOS"	/* the ROM's first 12 bytes, NUL included */
#define BIOS_VECTORS_OFF	14	/* header word: offset of the vector table */

/* The interrupt vector table and the BIOS data area (IBM PC/AT layout). */
#define BIOS_IVT		0x0ULL	/* 256 far pointers, offset then segment */
#define BIOS_BDA		0x400ULL
#define BDA_EBDA_SEG		0x0e	/* word: segment of the EBDA */
#define BDA_BASE_MEM_KB		0x13	/* word: conventional memory in KiB */

/*
 * Lab 04: the rest of the BIOS area, below the ROM: where a PC has its
 * option ROMs (0xC0000-0xDFFFF) and the lower half of a 128 KiB system
 * BIOS (0xE0000-0xEFFFF). We have no option ROM, so it holds an empty
 * ROM: all ones, what a bus with nothing on it reads, in a read-only
 * memslot of its own, past every slot of the memory map's table.
 */
#define BIOS_AREA		0xc0000ULL
#define BIOS_AREA_SIZE		(MEMMAP_BIOS - BIOS_AREA)
#define BIOS_AREA_SLOT		(MEMMAP_MAX_REGIONS + 1)	/* after the pv pool's (mem/pv.c) */

struct bios {
	struct vm *vm;
	uint64_t calls;		/* INT 15h calls the VMM answered */
	bool warned_call;	/* a refused E820 buffer has been logged */
	bool warned_rom;	/* a write to the ROM has been logged */
	bool warned_area;	/* a write to the empty BIOS area has been logged */
	uint8_t *area;		/* its BIOS_AREA_SIZE bytes, all ones */
};

extern const uint8_t bios_image[];
extern const uint8_t bios_image_end[];

int bios_setup(struct memmap *mm, const uint8_t *image, size_t len);
int bios_int15(struct bios *b, const struct memmap *mm,
	       struct kvm_regs *regs, const struct kvm_sregs *sregs);
int bios_init(struct vm *vm, void **state);
int bios_kvm(void *state, struct vm *vm);
void bios_exit(void *state, struct vm *vm);

#endif

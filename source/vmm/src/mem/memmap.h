/* @@ file 02 */
/*
 * memmap.h - the guest's physical memory: the memory map of a PC, kept
 * as one table that is at once the list of KVM memslots and the E820
 * map the BIOS hands out (book §2.2, "memory virtualization: providing
 * memory to the guest"; §2.2.3-2.2.5).
 *
 * Each entry is a range of guest-physical addresses with an E820 type
 * and the memslot that backs it. The layout for a given --mem is in
 * guests/README.md, "Lab 02: the memory map".
 */
#ifndef VMM_MEMMAP_H
#define VMM_MEMMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* E820 address range types (ACPI spec, "Address Range Types"). */
#define E820_RAM		1
#define E820_RESERVED		2

/* The fixed part of the map (guest-physical addresses). */
#define MEMMAP_EBDA		0x9f000ULL	/* conventional memory ends here */
#define MEMMAP_EBDA_SIZE	0x1000ULL
#define MEMMAP_LEGACY_HOLE	0xa0000ULL	/* VGA window, option ROMs */
#define MEMMAP_BIOS		0xf0000ULL	/* the BIOS ROM, read-only */
#define MEMMAP_BIOS_SIZE	0x10000ULL
#define MEMMAP_HIGH		0x100000ULL	/* RAM from 1 MiB */
#define MEMMAP_PCI_HOLE		0xc0000000ULL	/* 3 GiB: PCI/MMIO up to 4 GiB */
#define MEMMAP_4G		0x100000000ULL	/* the rest of RAM from here */
#define MEMMAP_DIMM_AREA	(1ULL << 30)	/* hot-plug room above RAM */
#define MEMMAP_DIMM_MAX		8		/* DIMMs that can be added */

/* --mem: at least the first MiB, at most this much (and the host's RAM). */
#define MEMMAP_MEM_MIN		MEMMAP_HIGH
#define MEMMAP_MEM_MAX		(64ULL << 30)

#define MEMMAP_MAX_REGIONS	16
/* @@ 04 */
#define MEMMAP_HUGE		(2ULL << 20)	/* a huge page of KVM's EPT/NPT */
/* @@ end */

enum mem_kind {
	MEM_RAM,		/* ordinary RAM, part of --mem */
	MEM_EBDA,		/* RAM that the BIOS keeps for itself */
	MEM_ROM,		/* the BIOS: a read-only memslot */
	MEM_DIMM,		/* RAM added at run time (§2.2.5) */
};

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint32_t e820_type;	/* E820_RAM or E820_RESERVED */
	uint32_t slot;		/* its KVM memslot */
	uint32_t flags;		/* KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES */
	enum mem_kind kind;
	const char *name;
	uint8_t *hva;		/* where the VMM sees its bytes */
	uint64_t host_off;	/* offset in the main mapping (not for DIMMs) */
};

struct memmap {
	struct mem_region r[MEMMAP_MAX_REGIONS];
	unsigned int nr;	/* sorted by gpa; index = E820 entry number */
	uint64_t mem;		/* --mem: RAM below the hole plus above 4 GiB */
	uint8_t *base;		/* the main mapping, mem bytes: GPA 0 up to the
				 * PCI hole, then the RAM above 4 GiB */
	uint64_t dimm_base;	/* where hot-plugged DIMMs go */
	uint64_t dimm_next;
	uint64_t dimm_end;
	unsigned int nr_dimms;
};

/* One entry as INT 15h E820 returns it: 20 bytes, little-endian. */
struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

int memmap_build(struct memmap *mm, uint64_t mem);
int memmap_alloc(struct memmap *mm);
void memmap_free(struct memmap *mm);
int memmap_set_slot(const struct mem_region *r, int vm_fd);
int memmap_install(struct memmap *mm, int vm_fd);
int memmap_set_flags(struct memmap *mm, unsigned int index, int vm_fd,
		     uint32_t flags);

int memmap_find(const struct memmap *mm, uint64_t gpa, uint64_t len);
void *memmap_hva(const struct memmap *mm, uint64_t gpa, uint64_t len);
void *memmap_hva_rw(const struct memmap *mm, uint64_t gpa, uint64_t len);
int memmap_e820_entry(const struct memmap *mm, unsigned int index,
		      struct e820_entry *e);

uint64_t memmap_ram_end(uint64_t mem);
uint64_t memmap_low_top(const struct memmap *mm);
uint64_t memmap_ram_top(const struct memmap *mm);
uint64_t memmap_top(const struct memmap *mm);

int memmap_add_dimm(struct memmap *mm, int vm_fd, uint64_t size);
void memmap_print(const struct memmap *mm, FILE *out);

#endif

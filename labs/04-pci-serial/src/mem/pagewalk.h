/*
 * pagewalk.h - a software page walker: guest-virtual to guest-physical,
 * the way the MMU does it (book §2.1; Intel SDM vol. 3, ch. 4).
 *
 * The walker reads page-table entries through a callback, so the same
 * code walks the guest's tables in guest RAM, the tables of a unit test
 * in a plain buffer, or a paravirtual guest's tables through its P2M.
 */
#ifndef VMM_PAGEWALK_H
#define VMM_PAGEWALK_H

#include <stdbool.h>
#include <stdint.h>

enum paging_mode {
	PAGING_NONE,		/* real mode or protected mode, CR0.PG = 0 */
	PAGING_32,		/* 2-level, 4 KiB and (CR4.PSE) 4 MiB pages */
	PAGING_PAE,		/* 3-level, 4 KiB and 2 MiB pages */
	PAGING_4LEVEL,		/* long mode: 4 KiB, 2 MiB and 1 GiB pages */
	PAGING_5LEVEL,		/* long mode with CR4.LA57: not modelled */
};

/* What the access is: combine one of READ/WRITE/FETCH with USER. */
#define PW_READ		0
#define PW_WRITE	(1u << 0)
#define PW_FETCH	(1u << 1)
#define PW_USER		(1u << 2)

/* Page-fault error code bits (SDM vol. 3, 4.7). */
#define PF_P		(1u << 0)
#define PF_W		(1u << 1)
#define PF_U		(1u << 2)
#define PF_RSVD		(1u << 3)
#define PF_I		(1u << 4)

/* The control-register and EFER bits that decide a walk (SDM vol. 3, 2.5). */
#define PW_CR0_WP	(1ULL << 16)	/* supervisor writes obey R/W */
#define PW_CR0_PG	(1ULL << 31)
#define PW_CR4_PSE	(1ULL << 4)	/* 4 MiB pages in 32-bit paging */
#define PW_CR4_PAE	(1ULL << 5)
#define PW_CR4_SMEP	(1ULL << 20)	/* no supervisor fetch from user pages */
#define PW_CR4_LA57	(1ULL << 12)	/* 5-level paging in IA-32e mode */
#define PW_EFER_LME	(1ULL << 8)
#define PW_EFER_LMA	(1ULL << 10)
#define PW_EFER_NXE	(1ULL << 11)	/* bit 63 of an entry is XD, not reserved */

/* Paging-structure entry bits (SDM vol. 3, 4.3-4.5). */
#define PW_PTE_P	(1ULL << 0)
#define PW_PTE_RW	(1ULL << 1)
#define PW_PTE_US	(1ULL << 2)
#define PW_PTE_PS	(1ULL << 7)
#define PW_PTE_XD	(1ULL << 63)

struct pagewalk_cpu {
	enum paging_mode mode;
	uint64_t cr0, cr3, cr4, efer;
	/* CPUID 0x80000008 EAX[7:0]; 0 means 52, the architectural limit. */
	unsigned int maxphyaddr;
	/* CPUID 0x80000001 EDX bit 26 clear: PS is reserved in a PDPTE. */
	bool no_gbpages;
	/*
	 * PAE only: the four PDPTE registers the CPU loaded at MOV CR3, or
	 * NULL to read the PDPTEs from memory at CR3 like any other entry.
	 */
	const uint64_t *pdpte;
};

/* Reads the 4- or 8-byte entry at guest-physical address gpa; 0 or -1. */
typedef int (*pagewalk_read_fn)(void *opaque, uint64_t gpa, unsigned int size,
				uint64_t *value);

struct pagewalk_result {
	uint64_t gpa;			/* the translation, when ok */
	uint64_t page_size;		/* 4 KiB, 4 MiB, 2 MiB or 1 GiB */
	int levels;			/* entries read */
	uint64_t entry_gpa[4];		/* where each entry was */
	uint64_t entry[4];		/* and what it held */
	bool writable, user, nx;	/* the combined rights */
	uint32_t error_code;		/* PF_* when the walk faults */
};

enum paging_mode pagewalk_mode(uint64_t cr0, uint64_t cr4, uint64_t efer);

/*
 * 0 and *res filled on success; -EFAULT with res->error_code on a fault
 * (the #PF the CPU would raise). Other errors, which are not a #PF:
 * -ERANGE for a non-canonical address in 4-level paging (the CPU raises
 * #GP or #SS), -EIO when the read callback fails (a table outside guest
 * memory), -EINVAL for a bad access (WRITE with FETCH, unknown bits).
 *
 * Without paging the translation is the identity (res->levels = 0,
 * res->page_size = 4 KiB, every right granted). Not modelled: SMAP,
 * protection keys, accessed and dirty bits (the walker never writes to
 * the tables), and 5-level paging, which is refused: -EOPNOTSUPP, no
 * entry read.
 */
int pagewalk(const struct pagewalk_cpu *cpu, uint64_t gva, unsigned int access,
	     pagewalk_read_fn read, void *opaque, struct pagewalk_result *res);

#endif

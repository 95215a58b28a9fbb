/*
 * ept.h - Extended Page Tables (book §2.5; Intel SDM vol. 3C, 28.3 "The
 * Extended Page Table Mechanism"): tables in Intel's exact format that
 * map guest-physical to host-physical addresses, built by the VMM for
 * the memslots; the EPT walk; and the two-dimensional walk GVA -> GPA ->
 * HPA that a CPU with EPT does on a TLB miss, counting its memory
 * references.
 *
 * A user-space VMM cannot see host-physical addresses, so "HPA" here is
 * the host virtual address that backs a memslot, the address KVM itself
 * starts from when it fills the real EPT (KVM_SET_USER_MEMORY_REGION's
 * userspace_addr). Our tables are a model: the hardware runs on KVM's.
 */
#ifndef VMM_EPT_H
#define VMM_EPT_H

#include <stdint.h>

#include "mem/pagewalk.h"

/* EPT paging-structure entry bits (SDM vol. 3C, 28.3.2). */
#define EPT_R			(1ULL << 0)
#define EPT_W			(1ULL << 1)
#define EPT_X			(1ULL << 2)
#define EPT_RWX			(EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT		3		/* bits 5:3 of a leaf: memory type */
#define EPT_MT_MASK		(7ULL << EPT_MT_SHIFT)
#define EPT_IPAT		(1ULL << 6)	/* ignore the guest's PAT */
#define EPT_PS			(1ULL << 7)	/* 1 GiB (PDPTE) or 2 MiB (PDE) page */
#define EPT_A			(1ULL << 8)
#define EPT_D			(1ULL << 9)

/* Memory types (SDM vol. 3A, 11.3): what a leaf and the EPTP may say. */
#define EPT_MT_UC		0
#define EPT_MT_WC		1
#define EPT_MT_WT		4
#define EPT_MT_WP		5
#define EPT_MT_WB		6

/* The EPT pointer (SDM vol. 3C, 24.6.11). */
#define EPTP_MT_WB		EPT_MT_WB	/* bits 2:0: paging structures' type */
#define EPTP_WALK_4		(3ULL << 3)	/* bits 5:3: walk length - 1 */
#define EPTP_AD			(1ULL << 6)	/* accessed/dirty flags (not used) */

/* Exit qualification of an EPT violation (SDM vol. 3C, 27.2.1). */
#define EPT_QUAL_READ		(1ULL << 0)	/* the access was a data read */
#define EPT_QUAL_WRITE		(1ULL << 1)	/* a data write */
#define EPT_QUAL_FETCH		(1ULL << 2)	/* an instruction fetch */
#define EPT_QUAL_READABLE	(1ULL << 3)	/* AND of bit 0 of the entries */
#define EPT_QUAL_WRITABLE	(1ULL << 4)	/* AND of bit 1 */
#define EPT_QUAL_EXECUTABLE	(1ULL << 5)	/* AND of bit 2 */
#define EPT_QUAL_GLA_VALID	(1ULL << 7)	/* a linear address was translated */
#define EPT_QUAL_GLA_FINAL	(1ULL << 8)	/* 1: the final GPA; 0: a guest
						 * paging-structure entry */

#define EPT_GPA_BITS		48	/* what a 4-level EPT translates */
#define EPT_MAX_REGIONS		32

/* A range of guest-physical memory and what backs it. */
struct ept_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t hpa;		/* the host address of its first byte */
	uint64_t perms;		/* EPT_R | EPT_W | EPT_X */
};

struct ept {
	uint8_t *tables;		/* room for max_tables 4 KiB tables */
	unsigned int nr_tables, max_tables;
	uint64_t eptp;			/* WB, 4-level, the PML4's address */
	struct ept_region region[EPT_MAX_REGIONS];	/* what ept_build() mapped */
	unsigned int nr_regions;
};

struct ept_walk_result {
	uint64_t hpa;
	uint64_t page_size;		/* 4 KiB, 2 MiB or 1 GiB */
	unsigned int level;		/* 4: PML4E ... 1: PTE; where the walk ended */
	unsigned int refs;		/* EPT entries read */
	uint64_t entry[4];		/* what they held, top first */
	uint64_t qual;			/* on a violation: exit qualification bits 5:0 */
};

/* Outcomes of ept_walk2d(). */
enum ept2d_outcome {
	EPT2D_OK,			/* GVA -> GPA -> HPA */
	EPT2D_PAGE_FAULT,		/* the guest's walk faults: res->guest.error_code */
	EPT2D_NOT_CANONICAL,		/* #GP, no walk at all */
	EPT2D_VIOLATION,		/* an EPT walk found no access: VM exit */
	EPT2D_MISCONFIG,		/* an EPT entry is malformed: VM exit */
};

struct ept_2d_result {
	enum ept2d_outcome outcome;
	struct pagewalk_result guest;	/* the guest's own walk */
	uint64_t hpa;			/* the translation, when EPT2D_OK */
	unsigned int refs;		/* memory references, EPT and guest */
	unsigned int guest_refs;	/* guest paging-structure entries read */
	uint64_t ept_gpa;		/* on an EPT exit: the GPA being translated */
	unsigned int ept_level;		/* ...the EPT level the walk stopped at */
	uint64_t qual;			/* ...and the exit qualification (violation) */
};

int ept_init(struct ept *ept, unsigned int max_tables);
void ept_free(struct ept *ept);
unsigned int ept_tables_needed(const struct ept_region *r, unsigned int n,
			       uint64_t max_page);
uint64_t *ept_table_alloc(struct ept *ept);
uint64_t *ept_table(const struct ept *ept, uint64_t hpa);
void *ept_host(const struct ept *ept, uint64_t hpa, uint64_t len);

/* Map [gpa, gpa + size) to [hpa, ...) with pages of at most max_page. */
int ept_map(struct ept *ept, uint64_t gpa, uint64_t hpa, uint64_t size,
	    uint64_t perms, uint64_t max_page);
/* A fresh EPT for the regions (ept_init() first). */
int ept_build(struct ept *ept, const struct ept_region *r, unsigned int n,
	      uint64_t max_page);

/*
 * Translate gpa for an access (PW_READ, PW_WRITE or PW_FETCH; PW_USER is
 * ignored): 0; -EFAULT for an EPT violation (res->qual); -EINVAL for an
 * EPT misconfiguration; -EIO for a table address that is not one of ours.
 */
int ept_walk(const struct ept *ept, uint64_t gpa, unsigned int access,
	     struct ept_walk_result *res);

/*
 * The two-dimensional walk: the guest's walk of gva (cpu, as for
 * pagewalk()), every guest paging-structure entry read through the EPT,
 * then the EPT walk of the final GPA. Returns the outcome (>= 0), or a
 * negative errno when the walk could not be done (bad access, a guest
 * table in no region of the EPT that is still mapped by it).
 */
int ept_walk2d(const struct ept *ept, const struct pagewalk_cpu *cpu,
	       uint64_t gva, unsigned int access, struct ept_2d_result *res);

#endif

/*
 * walkdev.h - the page-walk device: the guest asks the VMM to translate
 * addresses, and the VMM answers with its own page walker, KVM's
 * (KVM_TRANSLATE), and the two-dimensional walk over its EPT, side by
 * side (book §2.1.3-2.1.4 and §2.5).
 *
 * Port WALKDEV_PORT, 4-byte accesses: a write of a guest-physical address
 * hands the VMM a batch of probes there (struct walkdev_batch); every
 * answer is filled in before the OUT instruction completes. A read
 * returns WALKDEV_MAGIC. The layout is guest ABI (guests/pagewalk/).
 */
#ifndef VMM_WALKDEV_H
#define VMM_WALKDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/ept.h"

#define WALKDEV_PORT		0x540
#define WALKDEV_PORT_LEN	4
#define WALKDEV_MAGIC		0x4b4c4157	/* "WALK" */
#define WALKDEV_MAX_PROBES	64

/* One probe, 40 bytes, little-endian. */
struct walkdev_probe {
	uint64_t gva;		/* in */
	uint32_t access;	/* in: PW_WRITE or PW_FETCH, maybe PW_USER */
	uint32_t flags;		/* out: WALK_* */
	uint64_t gpa;		/* out: our walker's translation (WALK_OK) */
	uint64_t kvm_gpa;	/* out: KVM_TRANSLATE's (WALK_KVM_VALID) */
	uint32_t error_code;	/* out: our walker's #PF error code (WALK_PF) */
	uint16_t ept_qual;	/* out: the EPT violation's exit qualification */
	uint8_t page_shift;	/* out: log2 of the page size; 0 without paging */
	uint8_t refs;		/* out: memory references of the 2-D walk */
} __attribute__((packed));

struct walkdev_batch {
	uint32_t count;		/* in: number of probes */
	uint32_t status;	/* out: WALKDEV_DONE or WALKDEV_TOO_MANY */
	struct walkdev_probe probe[];
} __attribute__((packed));

#define WALKDEV_DONE		1
#define WALKDEV_TOO_MANY	2	/* count > WALKDEV_MAX_PROBES: nothing done */

/* flags: what our walker says, for the probe's access... */
#define WALK_OK			(1u << 0)	/* a translation: gpa, page_shift */
#define WALK_PF			(1u << 1)	/* a #PF: error_code */
#define WALK_GP			(1u << 2)	/* not canonical: #GP */
#define WALK_ERROR		(1u << 3)	/* no walk: bad access bits, or a
						 * table outside guest memory */
/* ...what KVM_TRANSLATE says (a supervisor read: it checks no rights)... */
#define WALK_KVM_VALID		(1u << 4)	/* it found a translation: kvm_gpa */
#define WALK_KVM_AGREES		(1u << 5)	/* our supervisor-read walk agrees */
/* ...and the 2-D walk, checked against our walk and the memslots. */
#define WALK_EPT_VIOLATION	(1u << 6)	/* ended in an EPT violation */
#define WALK_EPT_MISCONFIG	(1u << 7)	/* ended in an EPT misconfiguration */
#define WALK_EPT_AGREES		(1u << 8)	/* same fault, or the memslot's
						 * host address for the GPA */
#define WALK_EPT_NONE		(1u << 9)	/* no EPT: it could not be built */

struct vcpu;
struct vm;

struct walkdev {
	struct vm *vm;
	struct ept ept;
	bool ept_ready;
	bool ept_warned;		/* "no EPT" has been said */
	uint64_t ept_max_page;		/* 4 KiB, or 2 MiB for a large guest */
	struct ept_region built[EPT_MAX_REGIONS];	/* the EPT's memslots */
	unsigned int nr_built;
	bool cpuid_read;		/* the two below are known */
	unsigned int maxphyaddr;	/* the guest's CPUID: MAXPHYADDR */
	bool no_gbpages;		/* ...and no 1 GiB pages */
	uint64_t batches, probes;
	bool warned;			/* a bad request has been logged */
};

int walkdev_init(struct vm *vm, void **state);
void walkdev_request(struct walkdev *wd, struct vcpu *vcpu, uint64_t gpa);
int walkdev_ept_sync(struct walkdev *wd);
void walkdev_exit(void *state, struct vm *vm);

#endif

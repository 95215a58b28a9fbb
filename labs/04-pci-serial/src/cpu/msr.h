/*
 * msr.h - an MSR handled in user space (book §1.3.3).
 */
#ifndef VMM_MSR_H
#define VMM_MSR_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_VMMLAB_SCRATCH	0x564d0000U
#define MSR_VMMLAB_INITIAL	0x000062616c6d6d76ULL	/* "vmmlab" */
#define MSR_VMMLAB_RESERVED	(1ULL << 63)
#define MSR_IA32_APIC_BASE	0x1bU	/* lab 03: the local APIC's base */

struct msr_state {
	uint64_t scratch;
};

void msr_init(struct msr_state *ms);
int msr_filter_install(int vm_fd, bool apic_base);
int msr_read(struct msr_state *ms, uint32_t index, uint64_t *value);
int msr_write(struct msr_state *ms, uint32_t index, uint64_t value);

#endif

/*
 * stats.h - what --stats counts for each vCPU: its exits by reason, and
 * where the time went (book §1.2: an exit is the price of virtualizing).
 */
#ifndef VMM_STATS_H
#define VMM_STATS_H

#include <stdint.h>
#include <stdio.h>

#define STATS_MAX_REASON	64

struct stats {
	uint64_t exits[STATS_MAX_REASON];	/* by KVM_EXIT_* reason */
	uint64_t ns_guest;			/* inside KVM_RUN */
	uint64_t ns_total;			/* the whole run loop */
};

struct vm;

uint64_t stats_now_ns(void);
void stats_print(const struct vm *vm, FILE *out);

#endif

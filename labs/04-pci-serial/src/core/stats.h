/*
 * stats.h - what --stats counts for each vCPU: its exits by reason, and
 * where the time went (book §1.2: an exit is the price of virtualizing).
 */
#ifndef VMM_STATS_H
#define VMM_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define STATS_MAX_REASON	64

struct stats {
	uint64_t exits[STATS_MAX_REASON];	/* by KVM_EXIT_* reason */
	uint64_t ns_guest;			/* inside KVM_RUN */
	uint64_t ns_total;			/* the whole run loop */
	/* Lab 03: interrupts (src/irq/inject.c, src/core/kick.c). */
	uint64_t injected;			/* KVM_INTERRUPT */
	uint64_t extint;			/* ... of them from the 8259A */
	uint64_t nmis;				/* KVM_NMI */
	uint64_t windows;			/* request_interrupt_window set */
	uint64_t halts;				/* HLT that parked the vCPU */
	uint64_t probes;			/* idle probes answered */
	atomic_ullong kicks;			/* signals sent to it */
};

struct vm;

uint64_t stats_now_ns(void);
void stats_print(const struct vm *vm, FILE *out);

#endif

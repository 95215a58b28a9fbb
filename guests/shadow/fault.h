/*
 * Exceptions for the shadow guest: our own GDT and IDT, and a #PF
 * handler that, in shadow mode, first asks the VMM whether the fault is
 * a shadow fault (then it simply returns and the access is retried) and
 * otherwise handles it as a true fault: demand paging in the lazy range,
 * or the expected fault of a probe. Handlers return with POPFQ + RET, not
 * IRETQ (see stubs.asm).
 */
#ifndef SHADOW_FAULT_H
#define SHADOW_FAULT_H

#include <stdint.h>

#define FAULT_EXIT_CODE	127	/* status 255: an unexpected exception */

/* The stack fault.asm builds: registers, vector, error code, CPU frame. */
struct fault_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* What the last probe saw. */
struct probe {
	int faulted;
	uint64_t cr2;
	uint32_t error;
};

/* Every #PF taken, and those that were true faults. */
extern volatile uint64_t nr_faults;
extern volatile uint64_t nr_true_faults;
extern struct probe last_probe;

void fault_init(uint16_t hc_port);	/* hc_port 0: no hypercalls */
/* A true not-present fault in [start, end) calls map(page) and retries. */
void fault_set_lazy(uint64_t start, uint64_t end, void (*map)(uint64_t page));

/* One access each; a fault is recorded in last_probe and skipped. */
uint64_t probe_read(uint64_t va);
void probe_write(uint64_t va, uint64_t value);
void probe_exec(uint64_t va);
void probe_start(uint64_t exec_va);	/* clears last_probe */
void probe_end(void);			/* no exec probe any more */

#endif

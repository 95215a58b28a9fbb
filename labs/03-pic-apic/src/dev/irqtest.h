/*
 * irqtest.h - the interrupt test device: lines a guest drives itself and
 * an MSI it sends on demand, and a watchdog for a guest that waits for
 * an interrupt (guests/README.md, "Lab 03: interrupts"; its lines are
 * laid out as QEMU's pc-testdev's).
 */
#ifndef VMM_IRQTEST_H
#define VMM_IRQTEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

#define IRQTEST_LINES_PORT	0x2000	/* + n: line n, 0-23 */
#define IRQTEST_LINES		24
#define IRQTEST_MSI_PORT	0x510
#define IRQTEST_MSI_LEN		0x10
#define IRQTEST_MSI_ADDR	0x0	/* offsets in the MSI block */
#define IRQTEST_MSI_DATA	0x4
#define IRQTEST_ID		0xc
#define IRQTEST_ID_VALUE	0x54515249U	/* "IRQT" */
#define IRQTEST_WATCHDOG_PORT	0x2018	/* 4 bytes: ms, 0 disarms */
#define IRQTEST_WATCHDOG_CODE	126	/* as if written to the exit device */

/* Lines 0 (the PIT's) and 2 (the cascade) are not the device's. */
#define IRQTEST_NOT_OURS	((1u << 0) | (1u << 2))

enum irqtest_warn { IRQTEST_W_LINE, IRQTEST_W_MSI, IRQTEST_W_ADDR,
		   IRQTEST_W_WATCHDOG };

struct irqtest {
	struct vm *vm;
	pthread_mutex_t lock;		/* guards the fields below */
	uint32_t msi_addr;
	uint32_t msi_data;
	uint32_t watchdog_ms;		/* armed for this long, 0: not armed */
	int watchdog_timer;		/* its id in the irqchip's timers */
	uint32_t warned;		/* enum irqtest_warn bits */
};

int irqtest_init(struct vm *vm, void **state);
void irqtest_exit(void *state, struct vm *vm);

#endif

/*
 * pit.h - the Intel 8254 programmable interval timer at ports 0x40-0x43,
 * with channel 2's gate and output on port 0x61 as the PC (PIIX) wires
 * them (book §3.2.2, the PC's timer on IRQ 0; Intel 8254 datasheet,
 * "Operational description", modes 0-5, "Read-back command").
 *
 * Time comes from the owner: now_ns() at init, counted at 1.193182 MHz,
 * so a test chooses every instant. The model owns no thread or timer: it
 * tells the owner through deadline() when channel 0's output next rises,
 * and the owner calls pit_service() at (or after) that time. A late call
 * is fine: the edges passed meanwhile are folded into one, so the owner
 * may clamp how soon it wakes (a guest can program a period of 2 clocks).
 *
 * Locking: struct pit has one mutex, taken by every public function here.
 * All callbacks (irq0, deadline, warn) are called WITH it held. irq0 may
 * go on to the GSI router (lock order PIT -> GSI router -> PIC or I/O
 * APIC -> local APIC); deadline and warn must not call any interrupt
 * model.
 */
#ifndef VMM_PIT_H
#define VMM_PIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "irq/irqwarn.h"

#define PIT_HZ		1193182u
#define PIT_PORT_CH0	0x40
#define PIT_PORT_CTRL	0x43
#define PIT_PORT_61	0x61	/* PIIX NMI status and control */
#define PIT_NO_DEADLINE	UINT64_MAX

struct pit_chan {
	uint8_t ctrl;		/* the control word, as written */
	uint8_t mode;		/* 0-5 (6 and 7 fold onto 2 and 3) */
	uint8_t rw;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	uint32_t cr;		/* count register: last count written (1..65536) */
	uint32_t n;		/* the count the counting element runs with */
	bool cr_valid;		/* a whole count was written since the control word */
	bool armed;		/* counting element loaded (or, modes 1/5, armed) */
	bool running;		/* modes 1/5: triggered by a gate edge */
	bool held;		/* mode 0: first byte of two written, counting off */
	uint64_t t0;		/* tick at which the current count began */
	uint64_t frozen;	/* ticks counted when the gate fell */
	bool gate;
	bool pending;		/* modes 2/3: a new count waits for the reload */
	uint64_t reload_at;	/* ... at this tick */
	uint8_t wlsb;		/* LSB written, MSB awaited */
	bool wflip;
	bool rflip;		/* LSB read, MSB next */
	bool count_latched, status_latched;
	uint16_t latch;
	uint8_t status;
};

struct pit_ops {
	uint64_t (*now_ns)(void *opaque);
	/* Channel 0's OUT, i.e. IRQ 0, changed to `level` (lock held). */
	void (*irq0)(void *opaque, int level);
	/* Wake pit_service() at `ns` (PIT_NO_DEADLINE: never). */
	void (*deadline)(void *opaque, uint64_t ns);
	irqwarn_fn *warn;
};

struct pit {
	pthread_mutex_t lock;
	struct pit_chan ch[3];
	uint8_t port61;		/* bits 3-0 as written */
	uint64_t acc;		/* channel 0: edges counted up to this tick */
	int out0;		/* channel 0: level last reported */
	uint64_t deadline;	/* last reported */
	struct pit_ops ops;
	void *opaque;
	uint32_t warned;
};

void pit_init(struct pit *p, const struct pit_ops *ops, void *opaque);
void pit_destroy(struct pit *p);
void pit_reset(struct pit *p);

/* Port I/O, one byte: 0x40-0x43 and 0x61. */
uint8_t pit_read(struct pit *p, uint16_t port);
void pit_write(struct pit *p, uint16_t port, uint8_t val);

/* The owner's timer fired: report channel 0's edges, re-arm. */
void pit_service(struct pit *p);

/* The time of channel 0's next rising edge, or PIT_NO_DEADLINE. */
uint64_t pit_next_deadline(struct pit *p);

/* Conversions at 1.193182 MHz: floor for ticks, ceil for their time. */
uint64_t pit_ns_to_ticks(uint64_t ns);
uint64_t pit_ticks_to_ns(uint64_t ticks);

#endif

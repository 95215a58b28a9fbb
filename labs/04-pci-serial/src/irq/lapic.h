/*
 * lapic.h - a local APIC in xAPIC mode: the 4 KiB register page at
 * 0xFEE00000, IRR/ISR/TMR, TPR/PPR/APR, EOI, the LVT, the timer, the ICR
 * and the error status register (book §3.3; SDM vol. 3, "Advanced
 * Programmable Interrupt Controller (APIC)", xAPIC parts only: x2APIC is
 * neither advertised nor accepted).
 *
 * Time comes from the owner (now_ns at init; the timer counts a bus
 * clock of `bus_hz`). The model owns no thread: deadline() says when the
 * owner must call lapic_timer_service(). Expiries passed meanwhile fold
 * into one interrupt, so the owner may clamp how soon it wakes (a guest
 * can program a period of one bus clock).
 *
 * Locking: struct lapic has one mutex, taken by every public function
 * here. notify, deadline, event and warn are called WITH it held: they
 * must only record and kick (they may not call any interrupt model).
 * send (an IPI from the ICR) and eoi (the EOI broadcast for a level
 * vector) are called AFTER the lock is dropped, so that they may take
 * other local APICs' locks or the I/O APIC's. The local APIC is the last
 * lock of the order PIT -> GSI router -> PIC or I/O APIC -> local APIC.
 */
#ifndef VMM_LAPIC_H
#define VMM_LAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "irq/apicbus.h"
#include "irq/irqwarn.h"

#define LAPIC_BASE_DEFAULT	0xFEE00000u
#define LAPIC_VERSION		0x00050014u	/* version 0x14, LVT entries 0-5 */
#define LAPIC_NO_DEADLINE	UINT64_MAX

/* Register offsets in the page. */
enum {
	LAPIC_ID = 0x020, LAPIC_VER = 0x030, LAPIC_TPR = 0x080,
	LAPIC_APR = 0x090, LAPIC_PPR = 0x0A0, LAPIC_EOI = 0x0B0,
	LAPIC_RRD = 0x0C0, LAPIC_LDR = 0x0D0, LAPIC_DFR = 0x0E0,
	LAPIC_SVR = 0x0F0, LAPIC_ISR = 0x100, LAPIC_TMR = 0x180,
	LAPIC_IRR = 0x200, LAPIC_ESR = 0x280, LAPIC_ICR_LO = 0x300,
	LAPIC_ICR_HI = 0x310, LAPIC_LVT_TIMER = 0x320,
	LAPIC_LVT_THERMAL = 0x330, LAPIC_LVT_PERF = 0x340,
	LAPIC_LVT_LINT0 = 0x350, LAPIC_LVT_LINT1 = 0x360,
	LAPIC_LVT_ERROR = 0x370, LAPIC_TIMER_INIT = 0x380,
	LAPIC_TIMER_CUR = 0x390, LAPIC_TIMER_DIV = 0x3E0,
};

/* ESR bits (SDM "Error Handling"). */
#define LAPIC_ESR_SEND_ILLEGAL	0x20
#define LAPIC_ESR_RECV_ILLEGAL	0x40
#define LAPIC_ESR_ILLEGAL_REG	0x80

#define LAPIC_LVT_MASKED	0x10000u
#define LAPIC_SVR_ENABLE	0x100u
#define LAPIC_SVR_NO_FOCUS	0x200u

#define LAPIC_BASE_BSP		0x100u
#define LAPIC_BASE_X2APIC	0x400u
#define LAPIC_BASE_EN		0x800u

/* What lapic_pending/lapic_ack return besides a vector. */
#define LAPIC_NONE	(-1)
#define LAPIC_EXTINT	(-2)	/* take the vector from pic_inta() */

enum lapic_event {
	LAPIC_EV_INIT,		/* INIT received: the vCPU waits for SIPI */
	LAPIC_EV_SIPI,		/* start-up IPI: vector = start page */
};

enum lapic_lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1,
		 LVT_ERROR, LVT_N };

struct lapic_ops {
	uint64_t (*now_ns)(void *opaque);
	/* lock held: something may be deliverable now, kick the vCPU */
	void (*notify)(void *opaque);
	/* lock held: call lapic_timer_service at ns (or never) */
	void (*deadline)(void *opaque, uint64_t ns);
	/* lock held: INIT or SIPI for the vCPU layer */
	void (*event)(void *opaque, enum lapic_event ev, uint8_t vector);
	irqwarn_fn *warn;
	/* lock dropped: an IPI to deliver (apic_bus_deliver) */
	void (*send)(void *opaque, const struct apic_irq *irq);
	/* lock dropped: EOI of a level-triggered vector (ioapic_eoi) */
	void (*eoi)(void *opaque, uint8_t vector);
};

struct lapic {
	pthread_mutex_t lock;
	int index;		/* bus index, for the shorthands */
	uint8_t reset_id;	/* APIC ID at power-up */
	bool bsp;
	uint64_t base;		/* IA32_APIC_BASE */
	uint32_t id, tpr, ldr, dfr, svr, esr, esr_pending, icr_lo, icr_hi;
	uint32_t lvt[LVT_N];
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t tmr_initial, tmr_divide;
	bool tmr_running;
	uint64_t tmr_t0;	/* bus tick the count (tmr_base) started at */
	uint32_t tmr_base;
	uint64_t tmr_fired;	/* expiries reported in this run */
	uint64_t deadline;
	uint64_t bus_hz;
	int lint[2];
	bool nmi_pending, extint_msg;
	struct lapic_ops ops;
	void *opaque;
	uint32_t warned;
};

/*
 * bus_hz is the timer's input clock (0: 1 GHz, as KVM's). A BSP comes out
 * of reset with LINT0 in ExtINT mode and unmasked, as a BIOS leaves it
 * (virtual wire) and as KVM's in-kernel local APIC presets it by default
 * (KVM_X86_QUIRK_LINT0_REENABLED): our guests have no BIOS, and the
 * 8259A must reach the BSP alike in the user and kernel irqchip modes.
 */
void lapic_init(struct lapic *l, int index, uint8_t apic_id, bool bsp,
		uint64_t bus_hz, const struct lapic_ops *ops, void *opaque);
void lapic_destroy(struct lapic *l);
void lapic_reset(struct lapic *l);

/* MMIO at `offset` in the page: 4-byte aligned writes; 1/2/4-byte reads. */
uint32_t lapic_read(struct lapic *l, uint64_t offset, unsigned int size);
void lapic_write(struct lapic *l, uint64_t offset, unsigned int size,
		 uint32_t val);

/* IA32_APIC_BASE: 0, or -1 for reserved bits or x2APIC (#GP). */
int lapic_set_base(struct lapic *l, uint64_t val);
uint64_t lapic_get_base(struct lapic *l);

/* CR8 is TPR[7:4]: get before KVM_RUN, set from kvm_run after it. */
uint8_t lapic_get_cr8(struct lapic *l);
void lapic_set_cr8(struct lapic *l, uint8_t cr8);

/* A message from the APIC bus; true if accepted (I/O APIC remote IRR). */
bool lapic_accept(struct lapic *l, const struct apic_irq *irq);
/* The LINT0/LINT1 pins (LINT0: the 8259A's INT). */
void lapic_set_lint(struct lapic *l, unsigned int pin, int level);

/*
 * What the vCPU can take: a vector above PPR, LAPIC_EXTINT (ExtINT
 * first, as the 8259A's requests bypass the priority) or LAPIC_NONE.
 * lapic_ack takes it (IRR -> ISR); asked when nothing is deliverable it
 * returns the spurious vector, which needs no EOI.
 */
int lapic_pending(struct lapic *l);
int lapic_ack(struct lapic *l);
bool lapic_take_nmi(struct lapic *l);
bool lapic_nmi_pending(struct lapic *l);

/* The owner's timer fired. */
void lapic_timer_service(struct lapic *l);

/* For the APIC bus (one lock at a time). */
bool lapic_match(struct lapic *l, const struct apic_irq *irq, bool self);
uint8_t lapic_apr(struct lapic *l);
bool lapic_is_focus(struct lapic *l, uint8_t vector);

#endif

/*
 * irqunit.h - fixtures shared by the interrupt models' unit tests: a
 * clock the test sets, recorders for every callback, and one small
 * interrupt system (PIC, PIT, I/O APIC, N local APICs on an APIC bus,
 * the GSI router) wired as src/irq/irqchip.c wires it, without the VMM
 * around it.
 */
#ifndef IRQUNIT_H
#define IRQUNIT_H

#include "irq/apicbus.h"
#include "irq/ioapic.h"
#include "irq/irq.h"
#include "irq/lapic.h"
#include "irq/msi.h"
#include "irq/pic.h"
#include "irq/pit.h"
#include "unit.h"

#define IRQ_REC_MAX 64

struct lapic_rec {
	int events, ev_kind[IRQ_REC_MAX], ev_vec[IRQ_REC_MAX];
	int eois, eoi_vec[IRQ_REC_MAX];
	uint64_t deadline;
	int notifies;
};

struct irqm {
	uint64_t now;			/* ns */
	int warnings;
	struct pic pic;
	int intr, intr_changes;
	bool pic_to_lint0;		/* INT drives CPU 0's LINT0 */
	struct pit pit;
	int irq0_n, irq0[IRQ_REC_MAX];
	uint64_t pit_deadline;
	struct ioapic io;
	int delivered_n;
	struct apic_irq delivered[IRQ_REC_MAX];
	bool io_to_bus;			/* else record and accept as 1 */
	int io_accept;			/* what the recorder answers */
	struct apic_bus bus;
	unsigned int ncpu;
	struct lapic cpu[APIC_BUS_MAX];
	struct lapic_rec rec[APIC_BUS_MAX];
	struct irq_router router;
	int route_n, route_kind[IRQ_REC_MAX], route_pin[IRQ_REC_MAX],
	    route_level[IRQ_REC_MAX];
};

/* Build the machine with `ncpu` local APICs (APIC ID = index). */
struct irqm *irqm_new(unsigned int ncpu);
void irqm_free(struct irqm *m);

/* The clock, in PIT ticks (exact) or in ns. */
void irqm_at_pit_tick(struct irqm *m, uint64_t tick);

/* PIC shortcuts: the PC's initialisation (vector bases 0x20 and 0x28). */
void irqm_pic_init(struct pic *p, uint8_t icw4);
uint8_t irqm_pic_irr(struct pic *p, uint16_t cmd);
uint8_t irqm_pic_isr(struct pic *p, uint16_t cmd);

/* LAPIC shortcuts. */
void irqm_lapic_enable(struct lapic *l);
bool irqm_irr_has(struct lapic *l, uint8_t v);
bool irqm_isr_has(struct lapic *l, uint8_t v);
bool irqm_tmr_has(struct lapic *l, uint8_t v);
uint32_t irqm_esr(struct lapic *l);	/* write, then read */


#endif

/*
 * apicbus.h - the APIC bus (book §3.3-3.4): one interrupt message, as
 * the local APIC's ICR, an I/O APIC redirection entry or an MSI
 * address/data pair describe it, and its delivery to the local APICs
 * that it names (SDM vol. 3, "Advanced Programmable Interrupt Controller
 * (APIC)": "Determining IPI Destination", "Lowest Priority Delivery
 * Mode"; xAPIC, 8-bit destinations).
 *
 * Locking: the bus itself has no lock: its table of local APICs is
 * filled before any vCPU runs and never changes. apic_bus_deliver() takes
 * the lock of one local APIC at a time (never two), so it may be called
 * with a PIC or I/O APIC lock held, never with a local APIC lock held.
 */
#ifndef VMM_APICBUS_H
#define VMM_APICBUS_H

#include <stdint.h>

#define APIC_BUS_MAX	8

/* Delivery modes (ICR, redirection entry and MSI data bits 10-8). */
enum apic_dm {
	APIC_DM_FIXED	= 0,
	APIC_DM_LOWEST	= 1,
	APIC_DM_SMI	= 2,
	APIC_DM_NMI	= 4,
	APIC_DM_INIT	= 5,
	APIC_DM_SIPI	= 6,
	APIC_DM_EXTINT	= 7,
};

/* Destination shorthands (ICR bits 19-18). */
enum apic_sh {
	APIC_SH_NONE	= 0,
	APIC_SH_SELF	= 1,
	APIC_SH_ALL	= 2,
	APIC_SH_OTHERS	= 3,
};

#define APIC_SRC_NONE	(-1)	/* from an I/O APIC or an MSI */

struct apic_irq {
	uint8_t vector;
	uint8_t dm;		/* enum apic_dm */
	uint8_t logical;	/* destination mode: 0 physical, 1 logical */
	uint8_t level;		/* level-triggered */
	uint8_t assert;		/* ICR/MSI level bit: 0 only for INIT de-assert */
	uint8_t shorthand;	/* enum apic_sh */
	uint8_t dest;		/* 8-bit APIC ID or logical destination */
	int source;		/* bus index of the sending local APIC */
};

struct lapic;

struct apic_bus {
	struct lapic *cpu[APIC_BUS_MAX];
	unsigned int n;
};

void apic_bus_init(struct apic_bus *b);
/* Attach a local APIC; its bus index is the order of attachment. */
int apic_bus_add(struct apic_bus *b, struct lapic *l);

/*
 * Deliver `irq` to every local APIC it names, or with lowest priority to
 * one of them: the one whose vector is already pending or in service
 * (the focus processor) if focus checking is on, else the lowest
 * arbitration priority, ties going to the lowest bus index. Returns how
 * many local APICs accepted it (0: nobody was named).
 */
int apic_bus_deliver(struct apic_bus *b, const struct apic_irq *irq);

#endif

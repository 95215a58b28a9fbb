/*
 * irq.h - the GSI routing table: which 8259A pin, I/O APIC pin or MSI
 * message each global system interrupt reaches (book §3.3.3, IRQ
 * routing; the PC's defaults as QEMU and real boards wire them: ISA IRQ 0
 * reaches I/O APIC pin 2, ISA IRQ 2 is the 8259A cascade and no source).
 * The table has KVM's shape (KVM_SET_GSI_ROUTING), so the in-kernel
 * irqchip modes can be handed the same routes.
 *
 * Locking: struct irq_router has one mutex, taken by every public
 * function here. The pic, ioapic, msi and warn callbacks are called WITH
 * it held: they go on to the PIC, I/O APIC or APIC bus, which must not
 * call back into the router. Order: PIT -> GSI router -> PIC or I/O APIC
 * -> local APIC.
 */
#ifndef VMM_IRQ_H
#define VMM_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "irq/irqwarn.h"

#define IRQ_ROUTES_MAX	128
#define IRQ_GSI_MAX	1024

/* Values as KVM_IRQ_ROUTING_IRQCHIP/MSI and KVM_IRQCHIP_*. */
enum irq_route_type { IRQ_ROUTE_IRQCHIP = 1, IRQ_ROUTE_MSI = 2 };
enum irq_chip { IRQ_CHIP_PIC_MASTER = 0, IRQ_CHIP_PIC_SLAVE = 1,
		IRQ_CHIP_IOAPIC = 2 };

struct irq_route {
	uint32_t gsi;
	uint32_t type;		/* enum irq_route_type */
	uint32_t chip, pin;	/* IRQCHIP */
	uint64_t addr;		/* MSI */
	uint32_t data;
};

struct irq_ops {
	void (*pic)(void *opaque, unsigned int isa_irq, int level);
	void (*ioapic)(void *opaque, unsigned int pin, int level);
	/* Send an MSI; negative if it was malformed. */
	int (*msi)(void *opaque, uint64_t addr, uint32_t data);
	irqwarn_fn *warn;
};

struct irq_router {
	pthread_mutex_t lock;
	struct irq_route route[IRQ_ROUTES_MAX];
	unsigned int n;
	struct irq_ops ops;
	void *opaque;
	uint32_t warned;
};

/* An empty table. */
void irq_router_init(struct irq_router *r, const struct irq_ops *ops,
		     void *opaque);
void irq_router_destroy(struct irq_router *r);

/*
 * The PC's table: GSI 0-15 to the 8259A pair (pin = GSI, the slave for
 * 8-15) and to the I/O APIC pin of the same number, except GSI 0 (to I/O
 * APIC pin 2) and GSI 2 (the cascade: no route); GSI 16-23 to I/O APIC
 * pins 16-23 only. Replaces the table.
 */
void irq_router_set_defaults(struct irq_router *r);

/* 0, or -1 for a bad route or a full table. */
int irq_route_add(struct irq_router *r, const struct irq_route *rt);
/* Drop every route of `gsi`; how many went. */
int irq_route_del_gsi(struct irq_router *r, uint32_t gsi);

/*
 * Drive `gsi` to `level` on every route it has (an MSI route sends on
 * the rising level only). Returns the routes reached, or -1 if none: a
 * line shared by several devices is OR-ed by its owner before this.
 */
int irq_set_level(struct irq_router *r, uint32_t gsi, int level);
/* An edge source: level 1 then 0. */
int irq_pulse(struct irq_router *r, uint32_t gsi);

struct kvm_irq_routing;
/*
 * Fill kr (room for `max` entries) for KVM_SET_GSI_ROUTING; msi_only
 * keeps the MSI routes alone, as in the split irqchip mode. Returns the
 * number of entries, or -1 if they do not fit.
 */
int irq_fill_kvm_routing(struct irq_router *r, struct kvm_irq_routing *kr,
			 unsigned int max, bool msi_only);

#endif

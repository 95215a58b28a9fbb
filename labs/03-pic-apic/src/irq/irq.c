/*
 * irq.c - the GSI routing table (irq.h; book §3.3.3).
 */
#include <string.h>
#include <linux/kvm.h>

#include "irq/irq.h"
#include "irq/irqlock.h"

enum irq_warn {
	IRQ_W_ROUTE,
	IRQ_W_FULL,
	IRQ_W_MSI,
};

#define CASCADE_PIN 2

static void irq_warn(struct irq_router *r, unsigned int bit, const char *msg)
{
	irqwarn_once(r->ops.warn, r->opaque, &r->warned, bit, "irq", "%s",
		     msg);
}

void irq_router_init(struct irq_router *r, const struct irq_ops *ops,
		     void *opaque)
{
	memset(r, 0, sizeof(*r));
	irq_lock_init(&r->lock);
	r->ops = *ops;
	r->opaque = opaque;
}

void irq_router_destroy(struct irq_router *r)
{
	pthread_mutex_destroy(&r->lock);
}

static bool irq_route_valid(const struct irq_route *rt)
{
	if (rt->gsi >= IRQ_GSI_MAX)
		return false;
	if (rt->type == IRQ_ROUTE_MSI)
		return true;
	if (rt->type != IRQ_ROUTE_IRQCHIP)
		return false;
	switch (rt->chip) {
	case IRQ_CHIP_PIC_MASTER:
		return rt->pin < 8 && rt->pin != CASCADE_PIN;
	case IRQ_CHIP_PIC_SLAVE:
		return rt->pin < 8;
	case IRQ_CHIP_IOAPIC:
		return rt->pin < 24;
	}
	return false;
}

static int irq_route_add_locked(struct irq_router *r,
				const struct irq_route *rt)
{
	if (!irq_route_valid(rt)) {
		irq_warn(r, IRQ_W_ROUTE, "invalid route refused");
		return -1;
	}
	if (r->n >= IRQ_ROUTES_MAX) {
		irq_warn(r, IRQ_W_FULL, "routing table full");
		return -1;
	}
	r->route[r->n++] = *rt;
	return 0;
}

int irq_route_add(struct irq_router *r, const struct irq_route *rt)
{
	int ret;

	irq_lock(&r->lock);
	ret = irq_route_add_locked(r, rt);
	irq_unlock(&r->lock);
	return ret;
}

static void irq_add_chip(struct irq_router *r, uint32_t gsi, uint32_t chip,
			 uint32_t pin)
{
	struct irq_route rt = {
		.gsi = gsi, .type = IRQ_ROUTE_IRQCHIP, .chip = chip, .pin = pin,
	};

	irq_route_add_locked(r, &rt);
}

void irq_router_set_defaults(struct irq_router *r)
{
	uint32_t gsi;

	irq_lock(&r->lock);
	r->n = 0;
	for (gsi = 0; gsi < 24; gsi++) {
		if (gsi == CASCADE_PIN)
			continue;
		if (gsi < 8)
			irq_add_chip(r, gsi, IRQ_CHIP_PIC_MASTER, gsi);
		else if (gsi < 16)
			irq_add_chip(r, gsi, IRQ_CHIP_PIC_SLAVE, gsi - 8);
		irq_add_chip(r, gsi, IRQ_CHIP_IOAPIC, gsi ? gsi : 2);
	}
	irq_unlock(&r->lock);
}

int irq_route_del_gsi(struct irq_router *r, uint32_t gsi)
{
	unsigned int i, j = 0;
	int gone;

	irq_lock(&r->lock);
	for (i = 0; i < r->n; i++)
		if (r->route[i].gsi != gsi)
			r->route[j++] = r->route[i];
	gone = (int)(r->n - j);
	r->n = j;
	irq_unlock(&r->lock);
	return gone;
}

static void irq_route_fire(struct irq_router *r, const struct irq_route *rt,
			   int level)
{
	if (rt->type == IRQ_ROUTE_MSI) {
		if (level && r->ops.msi &&
		    r->ops.msi(r->opaque, rt->addr, rt->data) < 0)
			irq_warn(r, IRQ_W_MSI, "malformed MSI route not delivered");
		return;
	}
	switch (rt->chip) {
	case IRQ_CHIP_PIC_MASTER:
		if (r->ops.pic)
			r->ops.pic(r->opaque, rt->pin, level);
		break;
	case IRQ_CHIP_PIC_SLAVE:
		if (r->ops.pic)
			r->ops.pic(r->opaque, rt->pin + 8, level);
		break;
	default:
		if (r->ops.ioapic)
			r->ops.ioapic(r->opaque, rt->pin, level);
		break;
	}
}

int irq_set_level(struct irq_router *r, uint32_t gsi, int level)
{
	unsigned int i;
	int hit = 0;

	irq_lock(&r->lock);
	for (i = 0; i < r->n; i++) {
		if (r->route[i].gsi != gsi)
			continue;
		irq_route_fire(r, &r->route[i], level != 0);
		hit++;
	}
	irq_unlock(&r->lock);
	return hit ? hit : -1;
}

int irq_pulse(struct irq_router *r, uint32_t gsi)
{
	int hit = irq_set_level(r, gsi, 1);

	irq_set_level(r, gsi, 0);
	return hit;
}

int irq_fill_kvm_routing(struct irq_router *r, struct kvm_irq_routing *kr,
			 unsigned int max, bool msi_only)
{
	struct kvm_irq_routing_entry *e;
	const struct irq_route *rt;
	unsigned int i, n = 0;
	int ret = 0;

	irq_lock(&r->lock);
	for (i = 0; i < r->n; i++) {
		rt = &r->route[i];
		if (msi_only && rt->type != IRQ_ROUTE_MSI)
			continue;
		if (n >= max) {
			ret = -1;
			break;
		}
		e = &kr->entries[n++];
		memset(e, 0, sizeof(*e));
		e->gsi = rt->gsi;
		e->type = rt->type == IRQ_ROUTE_MSI ? KVM_IRQ_ROUTING_MSI :
			  KVM_IRQ_ROUTING_IRQCHIP;
		if (rt->type == IRQ_ROUTE_MSI) {
			e->u.msi.address_lo = (uint32_t)rt->addr;
			e->u.msi.address_hi = (uint32_t)(rt->addr >> 32);
			e->u.msi.data = rt->data;
		} else {
			e->u.irqchip.irqchip = rt->chip;
			e->u.irqchip.pin = rt->pin;
		}
	}
	kr->nr = n;
	kr->flags = 0;
	irq_unlock(&r->lock);
	return ret ? ret : (int)n;
}

/*
 * irqunit.c - the interrupt models' test fixture (irqunit.h): the
 * callbacks of every model, recorded, and wired to the next model.
 */
#include <stdlib.h>
#include <string.h>

#include "irqunit.h"

static uint64_t m_now(void *opaque)
{
	return ((struct irqm *)opaque)->now;
}

static void m_warn(void *opaque, const char *dev, const char *msg)
{
	(void)dev;
	(void)msg;
	((struct irqm *)opaque)->warnings++;
}

static void m_intr(void *opaque, int level)
{
	struct irqm *m = opaque;

	m->intr = level;
	m->intr_changes++;
	if (m->pic_to_lint0)
		lapic_set_lint(&m->cpu[0], 0, level);
}

static void m_irq0(void *opaque, int level)
{
	struct irqm *m = opaque;

	if (m->irq0_n < IRQ_REC_MAX)
		m->irq0[m->irq0_n++] = level;
}

static void m_pit_deadline(void *opaque, uint64_t ns)
{
	((struct irqm *)opaque)->pit_deadline = ns;
}

static int m_io_deliver(void *opaque, const struct apic_irq *irq)
{
	struct irqm *m = opaque;

	if (m->delivered_n < IRQ_REC_MAX)
		m->delivered[m->delivered_n++] = *irq;
	if (m->io_to_bus)
		return apic_bus_deliver(&m->bus, irq);
	return m->io_accept;
}

/* Each local APIC's opaque is its own index into the machine. */
struct cpu_ctx {
	struct irqm *m;
	unsigned int i;
};

static struct cpu_ctx ctx[APIC_BUS_MAX];

static struct lapic_rec *rec_of(void *opaque)
{
	struct cpu_ctx *c = opaque;

	return &c->m->rec[c->i];
}

static uint64_t c_now(void *opaque)
{
	return ((struct cpu_ctx *)opaque)->m->now;
}

static void c_notify(void *opaque)
{
	rec_of(opaque)->notifies++;
}

static void c_deadline(void *opaque, uint64_t ns)
{
	rec_of(opaque)->deadline = ns;
}

static void c_event(void *opaque, enum lapic_event ev, uint8_t vector)
{
	struct lapic_rec *r = rec_of(opaque);

	if (r->events < IRQ_REC_MAX) {
		r->ev_kind[r->events] = ev;
		r->ev_vec[r->events++] = vector;
	}
}

static void c_warn(void *opaque, const char *dev, const char *msg)
{
	m_warn(((struct cpu_ctx *)opaque)->m, dev, msg);
}

static void c_send(void *opaque, const struct apic_irq *irq)
{
	apic_bus_deliver(&((struct cpu_ctx *)opaque)->m->bus, irq);
}

static void c_eoi(void *opaque, uint8_t vector)
{
	struct cpu_ctx *c = opaque;
	struct lapic_rec *r = rec_of(opaque);

	if (r->eois < IRQ_REC_MAX)
		r->eoi_vec[r->eois++] = vector;
	ioapic_eoi(&c->m->io, vector);
}

static void r_record(struct irqm *m, int kind, unsigned int pin, int level)
{
	if (m->route_n < IRQ_REC_MAX) {
		m->route_kind[m->route_n] = kind;
		m->route_pin[m->route_n] = (int)pin;
		m->route_level[m->route_n++] = level;
	}
}

static void r_pic(void *opaque, unsigned int irq, int level)
{
	struct irqm *m = opaque;

	r_record(m, 0, irq, level);
	pic_set_irq(&m->pic, irq, level);
}

static void r_ioapic(void *opaque, unsigned int pin, int level)
{
	struct irqm *m = opaque;

	r_record(m, 1, pin, level);
	ioapic_set_irq(&m->io, pin, level);
}

static int r_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct irqm *m = opaque;
	struct apic_irq irq;

	r_record(m, 2, 0, 1);
	if (msi_decode(addr, data, &irq) != MSI_OK)
		return -1;
	return apic_bus_deliver(&m->bus, &irq);
}

static const struct pic_ops pic_ops = { .intr = m_intr, .warn = m_warn };
static const struct pit_ops pit_ops = {
	.now_ns = m_now, .irq0 = m_irq0, .deadline = m_pit_deadline,
	.warn = m_warn,
};
static const struct ioapic_ops io_ops = {
	.deliver = m_io_deliver, .warn = m_warn,
};
static const struct lapic_ops lapic_ops = {
	.now_ns = c_now, .notify = c_notify, .deadline = c_deadline,
	.event = c_event, .warn = c_warn, .send = c_send, .eoi = c_eoi,
};
static const struct irq_ops irq_ops = {
	.pic = r_pic, .ioapic = r_ioapic, .msi = r_msi, .warn = m_warn,
};

struct irqm *irqm_new(unsigned int ncpu)
{
	struct irqm *m = calloc(1, sizeof(*m));
	unsigned int i;

	ck_assert_ptr_nonnull(m);
	m->now = 1000000;
	m->io_accept = 1;
	m->ncpu = ncpu;
	pic_init(&m->pic, &pic_ops, m);
	pit_init(&m->pit, &pit_ops, m);
	ioapic_init(&m->io, &io_ops, m);
	apic_bus_init(&m->bus);
	for (i = 0; i < ncpu; i++) {
		ctx[i] = (struct cpu_ctx){ m, i };
		lapic_init(&m->cpu[i], (int)i, (uint8_t)i, i == 0, 0,
			   &lapic_ops, &ctx[i]);
		ck_assert_int_eq(apic_bus_add(&m->bus, &m->cpu[i]), (int)i);
	}
	irq_router_init(&m->router, &irq_ops, m);
	return m;
}

void irqm_free(struct irqm *m)
{
	unsigned int i;

	pic_destroy(&m->pic);
	pit_destroy(&m->pit);
	ioapic_destroy(&m->io);
	for (i = 0; i < m->ncpu; i++)
		lapic_destroy(&m->cpu[i]);
	irq_router_destroy(&m->router);
	free(m);
}

void irqm_at_pit_tick(struct irqm *m, uint64_t tick)
{
	m->now = pit_ticks_to_ns(tick);
}

void irqm_pic_init(struct pic *p, uint8_t icw4)
{
	pic_write(p, 0x20, 0x11);
	pic_write(p, 0x21, 0x20);
	pic_write(p, 0x21, 0x04);
	pic_write(p, 0x21, icw4);
	pic_write(p, 0xA0, 0x11);
	pic_write(p, 0xA1, 0x28);
	pic_write(p, 0xA1, 0x02);
	pic_write(p, 0xA1, icw4 & ~0x10);
}

uint8_t irqm_pic_irr(struct pic *p, uint16_t cmd)
{
	pic_write(p, cmd, 0x0A);
	return pic_read(p, cmd);
}

uint8_t irqm_pic_isr(struct pic *p, uint16_t cmd)
{
	pic_write(p, cmd, 0x0B);
	return pic_read(p, cmd);
}

void irqm_lapic_enable(struct lapic *l)
{
	lapic_write(l, LAPIC_SVR, 4, 0x1FF);
}

static bool reg_bit(struct lapic *l, unsigned int base, uint8_t v)
{
	return lapic_read(l, base + 0x10 * (v / 32), 4) & (1u << (v % 32));
}

bool irqm_irr_has(struct lapic *l, uint8_t v)
{
	return reg_bit(l, LAPIC_IRR, v);
}

bool irqm_isr_has(struct lapic *l, uint8_t v)
{
	return reg_bit(l, LAPIC_ISR, v);
}

bool irqm_tmr_has(struct lapic *l, uint8_t v)
{
	return reg_bit(l, LAPIC_TMR, v);
}

uint32_t irqm_esr(struct lapic *l)
{
	lapic_write(l, LAPIC_ESR, 4, 0);
	return lapic_read(l, LAPIC_ESR, 4);
}

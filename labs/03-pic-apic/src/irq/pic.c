/*
 * pic.c - the 8259A master/slave pair (pic.h; book §3.2).
 *
 * Follows the Intel 8259A datasheet: the initialisation sequence
 * (ICW1-ICW4), the operation command words (OCW1-OCW3), the priority
 * resolver with rotation, fully nested and special fully nested mode,
 * special mask mode, poll mode, automatic EOI and the cascade, plus the
 * ELCR of Intel's PIIX south bridge that makes single lines level
 * triggered.
 */
#include <string.h>

#include "irq/pic.h"
#include "irq/irqlock.h"

enum pic_warn {
	PIC_W_IRQ,		/* bad input line number */
	PIC_W_PORT,		/* not one of our ports */
	PIC_W_8080,		/* ICW4 without the 8086 bit */
	PIC_W_ICW3,		/* master names a slave the board lacks */
	PIC_W_CASCADE,		/* slave's ID is not 2 */
	PIC_W_BUF,		/* buffered mode */
};

#define MASTER 0
#define SLAVE 1
#define CASCADE_IR 2

static void pic_warn(struct pic *p, unsigned int bit, const char *msg)
{
	irqwarn_once(p->ops.warn, p->opaque, &p->warned, bit, "pic", "%s",
		     msg);
}

/* Trigger mode: ICW1's LTIM makes every input level triggered. */
static uint8_t chip_level_mask(const struct pic_chip *c)
{
	return (c->icw1 & 0x08) ? 0xFF : c->elcr;
}

/* The master treats IR2 as cascaded when ICW3 says so (cascade mode). */
static bool master_cascades(const struct pic_chip *m)
{
	return !(m->icw1 & 0x02) && (m->icw3 & (1u << CASCADE_IR));
}

/* EXERCISE 3.pic: The 8259A's priority resolver and its EOI commands.
 *
 * chip_pending(): the IR whose request one chip of the pair (`c`; the
 * master when `master`) signals on its INT output now, or -1 for none.
 * chip_ocw2(): what an OCW2 (`val`) written to the chip does: the EOI
 * commands, specific and non-specific, with and without rotation, set
 * priority, and the rotation in automatic EOI mode.
 *
 * The chip's state is struct pic_chip (pic.h): IRR, ISR, IMR, `lowest`
 * (the IR of lowest priority: IR7 after ICW1, then wherever rotation and
 * set priority put it), `smm` (special mask mode), icw4's SFNM bit
 * (special fully nested mode, bit 4), and master_cascades() for the
 * cascade IR of a master. Only what reaches INT counts: masked requests
 * do not.
 *
 * Read: the Intel 8259A datasheet, "Interrupt Sequence", "Fully Nested
 * Mode", "End of Interrupt", "Automatic Rotation", "Specific Rotation",
 * "Special Mask Mode", "Special Fully Nested Mode" and the OCW2 table;
 * book §3.2.5-3.2.7.
 *
 * Tests: unit.pic unit.irq-paths guest.pic-timer.user guest.pic-timer.split
 *	guest.pic-cascade.user guest.pic-cascade.split guest.pic-poll.user
 *	guest.pic-poll.split guest.pic-rotate.user guest.pic-rotate.split
 *	guest.irq-storm.user guest.irq-storm.split
 * Stub: static int chip_pending(const struct pic_chip *c, bool master)
 *	{
 *		(void)c; (void)master;
 *		return -1;
 *	}
 *
 *	static void chip_ocw2(struct pic_chip *c, uint8_t val)
 *	{
 *		(void)c; (void)val;
 *	}
 */
/* The IR of highest priority among `bits`, or -1: rotation starts the scan. */
static int chip_highest(const struct pic_chip *c, uint8_t bits)
{
	unsigned int k, ir;

	for (k = 1; k <= 8; k++) {
		ir = (c->lowest + k) & 7;
		if (bits & (1u << ir))
			return (int)ir;
	}
	return -1;
}

/* 0 is the highest priority, 7 the lowest. */
static unsigned int chip_rank(const struct pic_chip *c, unsigned int ir)
{
	return (ir - c->lowest - 1) & 7;
}

/*
 * The priority resolver: the request INT would signal now, or -1. In
 * fully nested mode a request must beat every level in service; in
 * special mask mode masked in-service levels stop counting; in special
 * fully nested mode the master lets the cascade IR interrupt itself, so
 * a higher slave request can nest inside a lower one.
 */
static int chip_pending(const struct pic_chip *c, bool master)
{
	uint8_t isr = c->isr;
	int irq, cur;

	irq = chip_highest(c, c->irr & ~c->imr);
	if (irq < 0)
		return -1;
	if (c->smm)
		isr &= ~c->imr;
	cur = chip_highest(c, isr);
	if (cur < 0 || chip_rank(c, (unsigned int)irq) <
		       chip_rank(c, (unsigned int)cur))
		return irq;
	if (master && irq == cur && (c->icw4 & 0x10) && irq == CASCADE_IR &&
	    master_cascades(c))
		return irq;
	return -1;
}

/* Non-specific EOI: the highest level in service (not masked ones in SMM). */
static void chip_eoi_nonspecific(struct pic_chip *c, bool rotate)
{
	uint8_t isr = c->smm ? c->isr & ~c->imr : c->isr;
	int ir = chip_highest(c, isr);

	if (ir < 0)
		return;
	c->isr &= ~(1u << ir);
	if (rotate)
		c->lowest = (uint8_t)ir;
}

/* OCW2: R, SL, EOI in bits 7-5, the level L in bits 2-0. */
static void chip_ocw2(struct pic_chip *c, uint8_t val)
{
	unsigned int l = val & 7;

	switch (val >> 5) {
	case 0:	/* rotate in automatic EOI mode (clear) */
		c->rotate_aeoi = false;
		break;
	case 1:	/* non-specific EOI */
		chip_eoi_nonspecific(c, false);
		break;
	case 2:	/* no operation */
		break;
	case 3:	/* specific EOI */
		c->isr &= ~(1u << l);
		break;
	case 4:	/* rotate in automatic EOI mode (set) */
		c->rotate_aeoi = true;
		break;
	case 5:	/* rotate on non-specific EOI */
		chip_eoi_nonspecific(c, true);
		break;
	case 6:	/* set priority: L becomes the lowest */
		c->lowest = (uint8_t)l;
		break;
	case 7:	/* rotate on specific EOI */
		c->isr &= ~(1u << l);
		c->lowest = (uint8_t)l;
		break;
	}
}
/* END EXERCISE 3.pic */

/* An input line changes: edge inputs latch on a rising edge only. */
static void chip_set_line(struct pic_chip *c, unsigned int ir, int level)
{
	uint8_t bit = 1u << ir;

	if (level) {
		if (!(c->line & bit) || (chip_level_mask(c) & bit))
			c->irr |= bit;
		c->line |= bit;
	} else {
		c->line &= ~bit;
		if (chip_level_mask(c) & bit)
			c->irr &= ~bit;
	}
}

/*
 * The slave's INT drives the master's IR2, an input like any other: a
 * rising edge of the slave's INT latches IRR2. The slave drops INT
 * during its own acknowledge (an INTA cycle it answers, or a poll of
 * the slave), so a slave that still asserts INT afterwards (a second
 * request, automatic EOI) presents a new edge: slave_acked() lowers the
 * master's view of the line. A poll of the master alone does not
 * acknowledge the slave, whose INT stays high: no new edge, and IR2 is
 * not requested again.
 */
static void slave_acked(struct pic *p)
{
	p->chip[MASTER].line &= ~(1u << CASCADE_IR);
}

static void pic_update(struct pic *p)
{
	struct pic_chip *m = &p->chip[MASTER];
	int slave_out = chip_pending(&p->chip[SLAVE], false) >= 0;
	int out;

	chip_set_line(m, CASCADE_IR, slave_out);
	out = chip_pending(m, true) >= 0;
	if (out != p->out) {
		p->out = out;
		if (p->ops.intr)
			p->ops.intr(p->opaque, out);
	}
}

/* The first INTA pulse (or a poll read): request into service. */
static void chip_ack(struct pic_chip *c, unsigned int ir)
{
	uint8_t bit = 1u << ir;

	if (!(chip_level_mask(c) & bit))
		c->irr &= ~bit;
	if (c->icw4 & 0x02) {
		/* Automatic EOI: ISR is reset at the end of the cycle. */
		if (c->rotate_aeoi)
			c->lowest = ir;
	} else {
		c->isr |= bit;
	}
}

static void chip_reset(struct pic_chip *c, uint8_t elcr_mask)
{
	memset(c, 0, sizeof(*c));
	c->imr = 0xFF;
	c->lowest = 7;
	c->elcr_mask = elcr_mask;
}

void pic_reset(struct pic *p)
{
	irq_lock(&p->lock);
	chip_reset(&p->chip[MASTER], PIC_ELCR_MASTER_MASK);
	chip_reset(&p->chip[SLAVE], PIC_ELCR_SLAVE_MASK);
	pic_update(p);
	irq_unlock(&p->lock);
}

void pic_init(struct pic *p, const struct pic_ops *ops, void *opaque)
{
	memset(p, 0, sizeof(*p));
	irq_lock_init(&p->lock);
	p->ops = *ops;
	p->opaque = opaque;
	pic_reset(p);
}

void pic_destroy(struct pic *p)
{
	pthread_mutex_destroy(&p->lock);
}

/*
 * ICW1: the datasheet lists what it resets: the edge sense circuit (a
 * line already high needs a new rising edge), IMR, the rotation (IR7
 * lowest), special mask mode, the status read (back to IRR) and, without
 * IC4, every ICW4 function. In-service bits are cleared too, as a chip
 * being re-initialised has nothing in service worth keeping.
 */
static void chip_icw1(struct pic_chip *c, uint8_t val)
{
	c->icw1 = val;
	c->init = PIC_ICW2;
	c->irr &= c->line & chip_level_mask(c);
	c->isr = 0;
	c->imr = 0;
	c->lowest = 7;
	c->smm = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_aeoi = false;
	c->icw3 = 0;
	if (!(val & 0x01))
		c->icw4 = 0;
}

/* OCW3: ESMM/SMM in bits 6-5, P in bit 2, RR/RIS in bits 1-0. */
static void chip_ocw3(struct pic_chip *c, uint8_t val)
{
	if (val & 0x04)
		c->poll = true;
	if (val & 0x02)
		c->read_isr = val & 0x01;
	if (val & 0x40)
		c->smm = (val & 0x20) != 0;
}

static void pic_write_cmd(struct pic_chip *c, uint8_t val)
{
	if (val & 0x10)
		chip_icw1(c, val);
	else if (val & 0x08)
		chip_ocw3(c, val);
	else
		chip_ocw2(c, val);
}

static void pic_icw4(struct pic *p, struct pic_chip *c, uint8_t val)
{
	c->icw4 = val & 0x1F;
	if (!(val & 0x01))
		pic_warn(p, PIC_W_8080, "ICW4 selects MCS-80/85 mode; vectors are given as in 8086 mode");
	if (val & 0x08)
		pic_warn(p, PIC_W_BUF, "ICW4 buffered mode has no effect here");
}

/* ICW3 as the PC wires it: the only slave hangs on IR2 with ID 2. */
static void pic_icw3(struct pic *p, struct pic_chip *c, uint8_t val)
{
	c->icw3 = val;
	if (c == &p->chip[MASTER] && (val & ~(1u << CASCADE_IR)))
		pic_warn(p, PIC_W_ICW3, "ICW3 names slaves on IRs other than 2; the board has none there");
}

static void pic_write_data(struct pic *p, struct pic_chip *c, uint8_t val)
{
	switch (c->init) {
	case PIC_ICW2:
		c->icw2 = val;
		if (!(c->icw1 & 0x02))
			c->init = PIC_ICW3;
		else
			c->init = (c->icw1 & 0x01) ? PIC_ICW4 : PIC_READY;
		break;
	case PIC_ICW3:
		pic_icw3(p, c, val);
		c->init = (c->icw1 & 0x01) ? PIC_ICW4 : PIC_READY;
		break;
	case PIC_ICW4:
		pic_icw4(p, c, val);
		c->init = PIC_READY;
		break;
	case PIC_READY:
		c->imr = val;		/* OCW1 */
		break;
	}
}

/* Changing the trigger mode re-reads the level inputs. */
static void chip_set_elcr(struct pic_chip *c, uint8_t val)
{
	uint8_t lvl;

	c->elcr = val & c->elcr_mask;
	lvl = chip_level_mask(c);
	c->irr = (c->irr & ~lvl) | (c->line & lvl);
}

/*
 * A poll read: the datasheet treats it as an interrupt acknowledge of
 * this chip alone, I (bit 7) set and W2-W0 the level, or bit 7 clear.
 */
static uint8_t chip_poll(struct pic_chip *c, bool master)
{
	int ir = chip_pending(c, master);

	c->poll = false;
	if (ir < 0)
		return 0;
	chip_ack(c, (unsigned int)ir);
	return 0x80 | (uint8_t)ir;
}

static uint8_t pic_read_locked(struct pic *p, uint16_t port)
{
	struct pic_chip *c;
	unsigned int i;

	switch (port) {
	case PIC_ELCR_MASTER:
	case PIC_ELCR_SLAVE:
		return p->chip[port - PIC_ELCR_MASTER].elcr;
	case PIC_MASTER_CMD:
	case PIC_MASTER_DATA:
	case PIC_SLAVE_CMD:
	case PIC_SLAVE_DATA:
		break;
	default:
		pic_warn(p, PIC_W_PORT, "read of a port that is not ours");
		return 0xFF;
	}
	i = port >= PIC_SLAVE_CMD;
	c = &p->chip[i];
	if (c->poll && i == SLAVE)
		slave_acked(p);
	if (c->poll)
		return chip_poll(c, i == MASTER);
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

uint8_t pic_read(struct pic *p, uint16_t port)
{
	uint8_t v;

	irq_lock(&p->lock);
	v = pic_read_locked(p, port);
	pic_update(p);
	irq_unlock(&p->lock);
	return v;
}

static void pic_write_locked(struct pic *p, uint16_t port, uint8_t val)
{
	struct pic_chip *c;

	switch (port) {
	case PIC_ELCR_MASTER:
	case PIC_ELCR_SLAVE:
		chip_set_elcr(&p->chip[port - PIC_ELCR_MASTER], val);
		return;
	case PIC_MASTER_CMD:
	case PIC_MASTER_DATA:
	case PIC_SLAVE_CMD:
	case PIC_SLAVE_DATA:
		break;
	default:
		pic_warn(p, PIC_W_PORT, "write to a port that is not ours");
		return;
	}
	c = &p->chip[port >= PIC_SLAVE_CMD];
	if (port & 1)
		pic_write_data(p, c, val);
	else
		pic_write_cmd(c, val);
}

void pic_write(struct pic *p, uint16_t port, uint8_t val)
{
	irq_lock(&p->lock);
	pic_write_locked(p, port, val);
	pic_update(p);
	irq_unlock(&p->lock);
}

void pic_set_irq(struct pic *p, unsigned int irq, int level)
{
	irq_lock(&p->lock);
	if (irq >= 16 || irq == CASCADE_IR)
		pic_warn(p, PIC_W_IRQ, "input line out of range or the cascade IR2");
	else
		chip_set_line(&p->chip[irq >> 3], irq & 7, level != 0);
	pic_update(p);
	irq_unlock(&p->lock);
}

/*
 * The slave answers the second INTA pulse when the master put its ID on
 * the cascade lines; an ID other than 2 means nobody drives the data bus,
 * which floats to all ones.
 */
static uint8_t pic_inta_slave(struct pic *p)
{
	struct pic_chip *s = &p->chip[SLAVE];
	int ir;

	if (!(s->icw1 & 0x02) && (s->icw3 & 7) != CASCADE_IR) {
		pic_warn(p, PIC_W_CASCADE, "slave ID (ICW3) is not 2: it does not answer INTA");
		return 0xFF;
	}
	ir = chip_pending(s, false);
	if (ir < 0)
		return (s->icw2 & 0xF8) | 7;	/* spurious IRQ 15 */
	chip_ack(s, (unsigned int)ir);
	slave_acked(p);
	return (s->icw2 & 0xF8) | (uint8_t)ir;
}

static uint8_t pic_inta_locked(struct pic *p)
{
	struct pic_chip *m = &p->chip[MASTER];
	int ir = chip_pending(m, true);

	if (ir < 0)
		return (m->icw2 & 0xF8) | 7;	/* spurious IRQ 7 */
	chip_ack(m, (unsigned int)ir);
	if (ir == CASCADE_IR && master_cascades(m))
		return pic_inta_slave(p);
	return (m->icw2 & 0xF8) | (uint8_t)ir;
}

uint8_t pic_inta(struct pic *p)
{
	uint8_t vec;

	irq_lock(&p->lock);
	vec = pic_inta_locked(p);
	pic_update(p);
	irq_unlock(&p->lock);
	return vec;
}

int pic_output(struct pic *p)
{
	int out;

	irq_lock(&p->lock);
	out = p->out;
	irq_unlock(&p->lock);
	return out;
}

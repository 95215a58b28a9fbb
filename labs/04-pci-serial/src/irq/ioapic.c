/*
 * ioapic.c - the 82093AA I/O APIC (ioapic.h; book §3.3.1).
 *
 * Follows the 82093AA datasheet: the indirect registers IOAPICID,
 * IOAPICVER, IOAPICARB and IOREDTBL[0:23]; edge inputs deliver on the
 * rising edge; level inputs deliver while asserted, and the remote IRR
 * bit (set when a local APIC accepted the message) holds further
 * deliveries until the EOI for the vector comes back, after which a
 * line still asserted is delivered again.
 */
#include <string.h>

#include "irq/ioapic.h"
#include "irq/irqlock.h"

enum ioapic_warn {
	IOAPIC_W_ACCESS,
	IOAPIC_W_INDEX,
	IOAPIC_W_RO,
	IOAPIC_W_DM,
	IOAPIC_W_PIN,
};

#define RTE_WRITABLE_LO	0x0001AFFFu	/* vector, mode, dest mode, polarity, trigger, mask */

static void ioapic_warn(struct ioapic *io, unsigned int bit, const char *msg)
{
	irqwarn_once(io->ops.warn, io->opaque, &io->warned, bit, "ioapic",
		     "%s", msg);
}

static bool rte_level(uint64_t rte)
{
	return rte & IOAPIC_RTE_LEVEL;
}

/* EXERCISE 3.ioapic: Redirection: from a pin to a message.
 *
 * ioapic_rte_message(): the interrupt message (apicbus.h) that a
 * redirection entry describes.
 * ioapic_set_irq(): input pin `pin` is now asserted (`level` 1) or not.
 * ioapic_eoi(): a local APIC broadcast the EOI of level-triggered
 * `vector`.
 * ioapic_service_level(): a pin's entry changed (ioapic_rte_write()).
 *
 * Between them, every pin sends its entry's message to io->ops.deliver
 * as the entry says: an edge-triggered pin when it rises (a masked edge
 * is lost), a level-triggered pin while it is asserted, unmasked and its
 * remote IRR is clear. Remote IRR is set when a level message is
 * accepted (deliver() returns how many local APICs took it) and cleared
 * by the EOI of its vector, after which a pin still asserted sends
 * again. An entry with a reserved delivery mode sends nothing (warn
 * once). Levels are logical: the polarity bit is kept for the guest, but
 * 1 is asserted. Locking as ioapic.h says.
 *
 * Read: the Intel 82093AA I/O APIC datasheet, 3.2.4 (IOREDTBL) and its
 * functional description (edge and level interrupts, remote IRR); Intel
 * SDM vol. 3A, 10.8.4 (EOI and the TMR); book §3.3.1.
 *
 * Tests: unit.ioapic unit.irq-paths guest.ioapic-level.user
 *	guest.ioapic-level.split guest.nmi.user guest.nmi.split
 *	guest.irq-nonsense.user guest.irq-nonsense.split
 * Stub: struct apic_irq ioapic_rte_message(uint64_t rte)
 *	{
 *		(void)rte;
 *		return (struct apic_irq){ .source = APIC_SRC_NONE };
 *	}
 *
 *	static void ioapic_service_level(struct ioapic *io, unsigned int pin)
 *	{
 *		(void)io; (void)pin;
 *	}
 *
 *	void ioapic_set_irq(struct ioapic *io, unsigned int pin, int level)
 *	{
 *		(void)io; (void)pin; (void)level;
 *	}
 *
 *	void ioapic_eoi(struct ioapic *io, uint8_t vector)
 *	{
 *		(void)io; (void)vector;
 *	}
 */
/* The message a redirection entry describes. */
struct apic_irq ioapic_rte_message(uint64_t rte)
{
	struct apic_irq irq = {
		.vector = rte & 0xFF,
		.dm = (rte >> 8) & 7,
		.logical = (rte >> 11) & 1,
		.assert = 1,
		.dest = rte >> 56,
		.source = APIC_SRC_NONE,
	};

	/* Only Fixed and Lowest Priority may be level triggered. */
	irq.level = rte_level(rte) && irq.dm <= APIC_DM_LOWEST;
	return irq;
}

/* Send pin's message; a level one accepted sets remote IRR. */
static void ioapic_send(struct ioapic *io, unsigned int pin)
{
	struct apic_irq irq = ioapic_rte_message(io->rte[pin]);
	int n;

	if (irq.dm == 3 || irq.dm == APIC_DM_SIPI) {
		ioapic_warn(io, IOAPIC_W_DM, "redirection entry with a reserved delivery mode not delivered");
		return;
	}
	n = io->ops.deliver(io->opaque, &irq);
	if (irq.level && n > 0)
		io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
}

/* A level pin asserted, unmasked and not waiting for EOI delivers. */
static void ioapic_service_level(struct ioapic *io, unsigned int pin)
{
	uint64_t rte = io->rte[pin];

	if (!rte_level(rte) || (rte & (IOAPIC_RTE_MASKED |
				       IOAPIC_RTE_REMOTE_IRR)))
		return;
	if (io->line & (1u << pin))
		ioapic_send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned int pin, int level)
{
	uint32_t bit;
	bool rose;

	irq_lock(&io->lock);
	if (pin >= IOAPIC_PINS) {
		ioapic_warn(io, IOAPIC_W_PIN, "input pin out of range");
		goto out;
	}
	bit = 1u << pin;
	rose = level && !(io->line & bit);
	if (level)
		io->line |= bit;
	else
		io->line &= ~bit;
	if (rte_level(io->rte[pin]))
		ioapic_service_level(io, pin);
	else if (rose && !(io->rte[pin] & IOAPIC_RTE_MASKED))
		ioapic_send(io, pin);	/* a masked edge is lost */
out:
	irq_unlock(&io->lock);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	unsigned int pin;
	uint64_t rte;

	irq_lock(&io->lock);
	for (pin = 0; pin < IOAPIC_PINS; pin++) {
		rte = io->rte[pin];
		if ((rte & 0xFF) != vector || !rte_level(rte) ||
		    !(rte & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~(uint64_t)IOAPIC_RTE_REMOTE_IRR;
		ioapic_service_level(io, pin);
	}
	irq_unlock(&io->lock);
}
/* END EXERCISE 3.ioapic */

void ioapic_reset(struct ioapic *io)
{
	unsigned int i;

	irq_lock(&io->lock);
	io->regsel = 0;
	io->id = 0;
	for (i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = IOAPIC_RTE_MASKED;
	irq_unlock(&io->lock);
}

void ioapic_init(struct ioapic *io, const struct ioapic_ops *ops,
		 void *opaque)
{
	memset(io, 0, sizeof(*io));
	irq_lock_init(&io->lock);
	io->ops = *ops;
	io->opaque = opaque;
	ioapic_reset(io);
}

void ioapic_destroy(struct ioapic *io)
{
	pthread_mutex_destroy(&io->lock);
}

static uint32_t ioapic_reg_read(struct ioapic *io)
{
	unsigned int r = io->regsel, pin;

	switch (r) {
	case 0x00:
		return io->id;
	case 0x01:
		return IOAPIC_VERSION;
	case 0x02:
		return io->id;	/* arbitration ID follows the ID */
	}
	if (r < 0x10 || r >= 0x10 + 2 * IOAPIC_PINS) {
		ioapic_warn(io, IOAPIC_W_INDEX, "IOREGSEL names no register; reads 0");
		return 0;
	}
	pin = (r - 0x10) / 2;
	return (r & 1) ? (uint32_t)(io->rte[pin] >> 32) : (uint32_t)io->rte[pin];
}

static void ioapic_rte_write(struct ioapic *io, unsigned int r, uint32_t val)
{
	unsigned int pin = (r - 0x10) / 2;
	uint64_t rte = io->rte[pin];

	if (r & 1) {
		rte = (rte & 0xFFFFFFFFull) | (uint64_t)(val & 0xFF000000) << 32;
	} else {
		rte = (rte & ~0xFFFFFFFFull) |
		      (rte & (IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR)) |
		      (val & RTE_WRITABLE_LO);
		/* Remote IRR means nothing for an edge entry. */
		if (!rte_level(rte))
			rte &= ~(uint64_t)IOAPIC_RTE_REMOTE_IRR;
	}
	io->rte[pin] = rte;
	ioapic_service_level(io, pin);
}

static void ioapic_reg_write(struct ioapic *io, uint32_t val)
{
	unsigned int r = io->regsel;

	if (r == 0x00) {
		io->id = val & 0x0F000000;
	} else if (r == 0x01 || r == 0x02) {
		ioapic_warn(io, IOAPIC_W_RO, "write to a read-only register ignored");
	} else if (r < 0x10 || r >= 0x10 + 2 * IOAPIC_PINS) {
		ioapic_warn(io, IOAPIC_W_INDEX, "IOREGSEL names no register; write ignored");
	} else {
		ioapic_rte_write(io, r, val);
	}
}

uint32_t ioapic_read(struct ioapic *io, uint64_t offset, unsigned int size)
{
	uint32_t v = 0;

	irq_lock(&io->lock);
	if (offset == IOAPIC_REGSEL && (size == 1 || size == 2 || size == 4))
		v = io->regsel;
	else if (offset == IOAPIC_WIN && size == 4)
		v = ioapic_reg_read(io);
	else
		ioapic_warn(io, IOAPIC_W_ACCESS, "access other than IOREGSEL or a 4-byte IOWIN; reads 0");
	irq_unlock(&io->lock);
	return v;
}

void ioapic_write(struct ioapic *io, uint64_t offset, unsigned int size,
		  uint32_t val)
{
	irq_lock(&io->lock);
	if (offset == IOAPIC_REGSEL && (size == 1 || size == 2 || size == 4))
		io->regsel = val & 0xFF;
	else if (offset == IOAPIC_WIN && size == 4)
		ioapic_reg_write(io, val);
	else
		ioapic_warn(io, IOAPIC_W_ACCESS, "access other than IOREGSEL or a 4-byte IOWIN; ignored");
	irq_unlock(&io->lock);
}

uint64_t ioapic_rte(struct ioapic *io, unsigned int pin)
{
	uint64_t rte = IOAPIC_RTE_MASKED;

	irq_lock(&io->lock);
	if (pin < IOAPIC_PINS)
		rte = io->rte[pin];
	irq_unlock(&io->lock);
	return rte;
}

/* The ID the board gives it (the MP table's), in IOAPICID bits 27-24. */
void ioapic_set_id(struct ioapic *io, uint8_t id)
{
	irq_lock(&io->lock);
	io->id = (uint32_t)(id & 0x0F) << 24;
	irq_unlock(&io->lock);
}

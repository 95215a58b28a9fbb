/* @@ file 03 */
/*
 * lapic.c - the local APIC, xAPIC mode (lapic.h; book §3.3).
 *
 * Follows the SDM's APIC chapter: "Local APIC Register Address Map",
 * "Task and Processor Priorities" (TPR, PPR, APR), "Interrupt Acceptance
 * for Fixed Interrupts" (IRR, ISR, TMR, EOI), "Local Vector Table",
 * "APIC Timer", "Issuing Interprocessor Interrupts" (ICR and its valid
 * combinations for the xAPIC), "Error Handling" (ESR) and "Spurious
 * Interrupt". The spurious vector is returned by lapic_ack when the
 * interrupt the vCPU was told about has gone (SDM "Spurious Interrupt").
 */
#include <string.h>

#include "irq/lapic.h"
#include "irq/irqlock.h"

/* BSP, EXTD, EN and a base below 2^36 (MAXPHYADDR 36). */
#define LAPIC_BASE_VALID 0xFFFFFFD00ull

enum lapic_warn {
	LAPIC_W_ACCESS,		/* bad width or alignment */
	LAPIC_W_RO,		/* write to a read-only register */
	LAPIC_W_SMI,
	LAPIC_W_DM,		/* reserved delivery mode */
	LAPIC_W_SHORTHAND,	/* invalid shorthand/mode pair */
	LAPIC_W_DISABLED,	/* access while IA32_APIC_BASE.EN = 0 */
	LAPIC_W_BASE,
};

/* Effects that leave the lock: at most one per register write. */
struct lapic_out {
	bool ipi;
	struct apic_irq irq;
	int eoi;		/* vector, or -1 */
};

static const uint32_t lvt_writable[LVT_N] = {
	[LVT_TIMER]	= 0x000300FF,	/* vector, mask, periodic (no TSC deadline) */
	[LVT_THERMAL]	= 0x000107FF,
	[LVT_PERF]	= 0x000107FF,
	[LVT_LINT0]	= 0x0001A7FF,	/* vector, mode, polarity, trigger, mask */
	[LVT_LINT1]	= 0x0001A7FF,
	[LVT_ERROR]	= 0x000100FF,
};

static void lapic_warn(struct lapic *l, unsigned int bit, const char *msg)
{
	irqwarn_once(l->ops.warn, l->opaque, &l->warned, bit, "lapic", "%s",
		     msg);
}

static void lapic_notify(struct lapic *l)
{
	if (l->ops.notify)
		l->ops.notify(l->opaque);
}

static bool hw_enabled(const struct lapic *l)
{
	return l->base & LAPIC_BASE_EN;
}

static bool sw_enabled(const struct lapic *l)
{
	return l->svr & LAPIC_SVR_ENABLE;
}

/* 256-bit registers, eight 32-bit words as in the page. */
static bool vec_test(const uint32_t *r, unsigned int v)
{
	return r[v >> 5] & (1u << (v & 31));
}

static void vec_set(uint32_t *r, unsigned int v)
{
	r[v >> 5] |= 1u << (v & 31);
}

static void vec_clear(uint32_t *r, unsigned int v)
{
	r[v >> 5] &= ~(1u << (v & 31));
}

static int vec_highest(const uint32_t *r)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

/* PPR: TPR if its class is at least the highest in service, else that class. */
static uint32_t lapic_ppr(const struct lapic *l)
{
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;

	return (l->tpr & 0xF0) >= isr_class ? l->tpr : isr_class;
}

/* APR: TPR, or the highest class of TPR, ISR and IRR. */
static uint32_t lapic_apr_locked(const struct lapic *l)
{
	int isrv = vec_highest(l->isr), irrv = vec_highest(l->irr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
	uint32_t irr_class = irrv < 0 ? 0 : (uint32_t)irrv & 0xF0;
	uint32_t m = l->tpr & 0xF0;

	if (m >= isr_class && m >= irr_class)
		return l->tpr;
	if (isr_class > m)
		m = isr_class;
	return irr_class > m ? irr_class : m;
}

/* ---- errors and local interrupts ---- */

static bool lapic_set_irr(struct lapic *l, unsigned int vector, bool level);

/*
 * An error is logged in the internal ESR and, the first time that bit
 * is set since the last ESR write, raises the LVT error interrupt: a
 * guest repeating one error cannot storm itself.
 */
static void lapic_error(struct lapic *l, uint32_t bit)
{
	uint32_t lvt = l->lvt[LVT_ERROR];

	if (l->esr_pending & bit)
		return;
	l->esr_pending |= bit;
	if (!(lvt & LAPIC_LVT_MASKED))
		lapic_set_irr(l, lvt & 0xFF, false);
}

/*
 * Acceptance of a fixed interrupt (SDM "Interrupt Acceptance"). A vector
 * already requested is news to nobody: the owner is told only of a new
 * one, so that a storm of one vector does not become a storm of kicks.
 */
static bool lapic_set_irr(struct lapic *l, unsigned int vector, bool level)
{
	bool news;

	if (vector < 16) {
		lapic_error(l, LAPIC_ESR_RECV_ILLEGAL);
		return false;
	}
	news = !vec_test(l->irr, vector);
	vec_set(l->irr, vector);
	if (level)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
	if (news)
		lapic_notify(l);
	return true;
}

static void lapic_init_reset(struct lapic *l);

/* An LVT entry fires (timer expiry, LINT edge). */
static void lapic_lvt_fire(struct lapic *l, enum lapic_lvt i)
{
	uint32_t lvt = l->lvt[i];
	unsigned int dm = (lvt >> 8) & 7;
	bool level = (lvt >> 15) & 1;

	if (lvt & LAPIC_LVT_MASKED)
		return;
	if (i == LVT_TIMER || i == LVT_ERROR)
		dm = APIC_DM_FIXED;
	switch (dm) {
	case APIC_DM_FIXED:
		if (i != LVT_LINT0 && i != LVT_LINT1)
			level = false;
		if (lapic_set_irr(l, lvt & 0xFF, level) && level)
			l->lvt[i] |= 1u << 14;	/* remote IRR until EOI */
		break;
	case APIC_DM_NMI:
		l->nmi_pending = true;
		lapic_notify(l);
		break;
	case APIC_DM_SMI:
		lapic_warn(l, LAPIC_W_SMI, "SMI is not modelled; ignored");
		break;
	case APIC_DM_INIT:
		lapic_init_reset(l);
		if (l->ops.event)
			l->ops.event(l->opaque, LAPIC_EV_INIT, 0);
		lapic_notify(l);
		break;
	case APIC_DM_EXTINT:
		break;		/* level: read by lapic_extint() */
	default:
		lapic_warn(l, LAPIC_W_DM, "LVT entry with a reserved delivery mode ignored");
		break;
	}
}

/* ---- the timer ---- */

static uint64_t lapic_ticks(const struct lapic *l)
{
	uint64_t ns = l->ops.now_ns(l->opaque);

	return (uint64_t)((unsigned __int128)ns * l->bus_hz / 1000000000u);
}

static uint64_t lapic_ticks_to_ns(const struct lapic *l, uint64_t t)
{
	unsigned __int128 x = (unsigned __int128)t * 1000000000u;

	return (uint64_t)((x + l->bus_hz - 1) / l->bus_hz);
}

/* Divide configuration bits 3, 1, 0: 000 = 2 ... 110 = 128, 111 = 1. */
static uint32_t lapic_divisor(const struct lapic *l)
{
	uint32_t v = (l->tmr_divide & 3) | ((l->tmr_divide >> 1) & 4);

	return v == 7 ? 1 : 2u << v;
}

static bool tmr_periodic(const struct lapic *l)
{
	return (l->lvt[LVT_TIMER] >> 17) & 1;
}

/* Expiries since the count started, up to bus tick t. */
/* Divided clocks counted since the count started (0 if the clock went back). */
static uint64_t tmr_q(const struct lapic *l, uint64_t t)
{
	return t > l->tmr_t0 ? (t - l->tmr_t0) / lapic_divisor(l) : 0;
}

static uint64_t tmr_expiries(const struct lapic *l, uint64_t t)
{
	uint64_t q = tmr_q(l, t);

	if (q < l->tmr_base)
		return 0;
	if (!tmr_periodic(l))
		return 1;
	return 1 + (q - l->tmr_base) / l->tmr_initial;
}

static uint32_t tmr_current(const struct lapic *l, uint64_t t)
{
	uint64_t q;

	if (!l->tmr_running)
		return 0;
	q = tmr_q(l, t);
	if (q < l->tmr_base)
		return (uint32_t)(l->tmr_base - q);
	if (!tmr_periodic(l))
		return 0;
	return (uint32_t)(l->tmr_initial - (q - l->tmr_base) % l->tmr_initial);
}

/* Fire the expiries passed by t (several fold into one interrupt). */
static void tmr_sync(struct lapic *l, uint64_t t)
{
	uint64_t n;

	if (!l->tmr_running)
		return;
	n = tmr_expiries(l, t);
	if (n > l->tmr_fired) {
		l->tmr_fired = n;
		lapic_lvt_fire(l, LVT_TIMER);
	}
	if (n && !tmr_periodic(l))
		l->tmr_running = false;
}

static void tmr_rearm(struct lapic *l)
{
	uint64_t ns = LAPIC_NO_DEADLINE, tick;

	if (l->tmr_running) {
		tick = l->tmr_t0 + (l->tmr_base +
			l->tmr_fired * (uint64_t)l->tmr_initial) *
			lapic_divisor(l);
		ns = lapic_ticks_to_ns(l, tick);
	}
	if (ns == l->deadline)
		return;
	l->deadline = ns;
	if (l->ops.deadline)
		l->ops.deadline(l->opaque, ns);
}

/* Keep the current count, restart counting from it now. */
static void tmr_rebase(struct lapic *l, uint64_t t)
{
	uint32_t cur = tmr_current(l, t);

	if (!l->tmr_running)
		return;
	if (!cur) {
		l->tmr_running = false;
		return;
	}
	l->tmr_t0 = t;
	l->tmr_base = cur;
	l->tmr_fired = 0;
}

static void tmr_start(struct lapic *l, uint32_t count, uint64_t t)
{
	l->tmr_initial = count;
	l->tmr_running = count != 0;	/* writing 0 stops the timer */
	l->tmr_t0 = t;
	l->tmr_base = count;
	l->tmr_fired = 0;
}

/* ---- reset ---- */

static void lapic_regs_reset(struct lapic *l)
{
	unsigned int i;

	l->tpr = l->ldr = 0;
	l->dfr = 0xFFFFFFFF;
	l->svr = 0xFF;
	l->esr = l->esr_pending = 0;
	l->icr_lo = l->icr_hi = 0;
	memset(l->irr, 0, sizeof(l->irr));
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	for (i = 0; i < LVT_N; i++)
		l->lvt[i] = LAPIC_LVT_MASKED;
	if (l->bsp)
		l->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
	l->tmr_initial = l->tmr_divide = 0;
	l->tmr_running = false;
	l->nmi_pending = l->extint_msg = false;
}

/* INIT keeps the APIC ID (SDM "Local APIC State After an INIT Reset"). */
static void lapic_init_reset(struct lapic *l)
{
	lapic_regs_reset(l);
	tmr_rearm(l);
}

void lapic_reset(struct lapic *l)
{
	irq_lock(&l->lock);
	l->base = LAPIC_BASE_DEFAULT | LAPIC_BASE_EN |
		  (l->bsp ? LAPIC_BASE_BSP : 0);
	l->id = (uint32_t)l->reset_id << 24;
	lapic_regs_reset(l);
	l->lint[0] = l->lint[1] = 0;
	tmr_rearm(l);
	irq_unlock(&l->lock);
}

void lapic_init(struct lapic *l, int index, uint8_t apic_id, bool bsp,
		uint64_t bus_hz, const struct lapic_ops *ops, void *opaque)
{
	memset(l, 0, sizeof(*l));
	irq_lock_init(&l->lock);
	l->index = index;
	l->bsp = bsp;
	l->bus_hz = bus_hz ? bus_hz : 1000000000u;
	l->ops = *ops;
	l->opaque = opaque;
	l->deadline = LAPIC_NO_DEADLINE;
	l->reset_id = apic_id;
	lapic_reset(l);
}

void lapic_destroy(struct lapic *l)
{
	pthread_mutex_destroy(&l->lock);
}

/* ---- registers ---- */

static uint32_t lapic_reg_read(struct lapic *l, unsigned int off, uint64_t t)
{
	if (off >= LAPIC_ISR && off < LAPIC_ISR + 0x80)
		return l->isr[(off - LAPIC_ISR) >> 4];
	if (off >= LAPIC_TMR && off < LAPIC_TMR + 0x80)
		return l->tmr[(off - LAPIC_TMR) >> 4];
	if (off >= LAPIC_IRR && off < LAPIC_IRR + 0x80)
		return l->irr[(off - LAPIC_IRR) >> 4];
	if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR)
		return l->lvt[(off - LAPIC_LVT_TIMER) >> 4];
	switch (off) {
	case LAPIC_ID:		return l->id;
	case LAPIC_VER:		return LAPIC_VERSION;
	case LAPIC_TPR:		return l->tpr;
	case LAPIC_APR:		return lapic_apr_locked(l);
	case LAPIC_PPR:		return lapic_ppr(l);
	case LAPIC_EOI:		return 0;
	case LAPIC_RRD:		return 0;
	case LAPIC_LDR:		return l->ldr;
	case LAPIC_DFR:		return l->dfr;
	case LAPIC_SVR:		return l->svr;
	case LAPIC_ESR:		return l->esr;
	case LAPIC_ICR_LO:	return l->icr_lo;
	case LAPIC_ICR_HI:	return l->icr_hi;
	case LAPIC_TIMER_INIT:	return l->tmr_initial;
	case LAPIC_TIMER_CUR:	return tmr_current(l, t);
	case LAPIC_TIMER_DIV:	return l->tmr_divide;
	}
	lapic_error(l, LAPIC_ESR_ILLEGAL_REG);
	return 0;
}

/* EOI: the highest in service ends; a level one is broadcast. */
static void lapic_eoi(struct lapic *l, struct lapic_out *out)
{
	int v = vec_highest(l->isr);
	unsigned int i;

	if (v < 0)
		return;
	vec_clear(l->isr, (unsigned int)v);
	if (!vec_test(l->tmr, (unsigned int)v))
		goto done;
	out->eoi = v;
	for (i = LVT_LINT0; i <= LVT_LINT1; i++)
		if ((l->lvt[i] & 0xFF) == (uint32_t)v)
			l->lvt[i] &= ~(1u << 14);
done:
	lapic_notify(l);
}

/*
 * The ICR's low word sends. Valid combinations are the xAPIC table of
 * the SDM: "self" and "all including self" take Fixed only; level
 * trigger with level 0 (INIT level de-assert included) is ignored and
 * with level 1 is treated as edge; an illegal vector is an ESR send
 * error and is not sent.
 */
static void lapic_icr(struct lapic *l, struct lapic_out *out)
{
	uint32_t lo = l->icr_lo;
	struct apic_irq irq = {
		.vector = lo & 0xFF,
		.dm = (lo >> 8) & 7,
		.logical = (lo >> 11) & 1,
		.assert = (lo >> 14) & 1,
		.shorthand = (lo >> 18) & 3,
		.dest = l->icr_hi >> 24,
		.source = l->index,
	};

	if (irq.dm == 3 || irq.dm == APIC_DM_EXTINT) {
		lapic_warn(l, LAPIC_W_DM, "ICR with a reserved delivery mode ignored");
		return;
	}
	if (((lo >> 15) & 1) && !irq.assert)
		return;
	irq.assert = 1;
	if ((irq.shorthand == APIC_SH_SELF || irq.shorthand == APIC_SH_ALL) &&
	    irq.dm != APIC_DM_FIXED) {
		lapic_warn(l, LAPIC_W_SHORTHAND, "ICR: this shorthand takes the Fixed mode only; ignored");
		return;
	}
	if ((irq.dm == APIC_DM_FIXED || irq.dm == APIC_DM_LOWEST) &&
	    irq.vector < 16) {
		lapic_error(l, LAPIC_ESR_SEND_ILLEGAL);
		return;
	}
	if (irq.dm == APIC_DM_SMI) {
		lapic_warn(l, LAPIC_W_SMI, "SMI is not modelled; ignored");
		return;
	}
	out->ipi = true;
	out->irq = irq;
}

/* SVR: clearing the enable bit masks every LVT entry. */
static void lapic_write_svr(struct lapic *l, uint32_t val)
{
	unsigned int i;

	l->svr = val & 0x3FF;
	if (sw_enabled(l))
		return;
	for (i = 0; i < LVT_N; i++)
		l->lvt[i] |= LAPIC_LVT_MASKED;
}

static void lapic_write_lvt(struct lapic *l, enum lapic_lvt i, uint32_t val,
			    uint64_t t)
{
	uint32_t keep = l->lvt[i] & (1u << 14);	/* remote IRR is read-only */

	if (i == LVT_TIMER)
		tmr_rebase(l, t);	/* a mode change counts from here */
	l->lvt[i] = (val & lvt_writable[i]) | keep;
	if (!sw_enabled(l))
		l->lvt[i] |= LAPIC_LVT_MASKED;
	if (i == LVT_LINT0 || i == LVT_LINT1)
		lapic_notify(l);
}

static bool lapic_is_ro(unsigned int off)
{
	return off == LAPIC_VER || off == LAPIC_APR || off == LAPIC_PPR ||
	       off == LAPIC_RRD || off == LAPIC_TIMER_CUR ||
	       (off >= LAPIC_ISR && off < LAPIC_IRR + 0x80);
}

static void lapic_reg_write(struct lapic *l, unsigned int off, uint32_t val,
			    uint64_t t, struct lapic_out *out)
{
	if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR) {
		lapic_write_lvt(l, (off - LAPIC_LVT_TIMER) >> 4, val, t);
		return;
	}
	if (lapic_is_ro(off)) {
		lapic_warn(l, LAPIC_W_RO, "write to a read-only register ignored");
		return;
	}
	switch (off) {
	case LAPIC_ID:		l->id = val & 0xFF000000; break;
	case LAPIC_TPR:		l->tpr = val & 0xFF; lapic_notify(l); break;
	case LAPIC_EOI:		lapic_eoi(l, out); break;
	case LAPIC_LDR:		l->ldr = val & 0xFF000000; break;
	case LAPIC_DFR:		l->dfr = (val & 0xF0000000) | 0x0FFFFFFF; break;
	case LAPIC_SVR:		lapic_write_svr(l, val); break;
	case LAPIC_ESR:
		/* Write before read: the write shows what was logged. */
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		break;
	case LAPIC_ICR_LO:
		l->icr_lo = val & 0x000CCFFF;	/* delivery status reads 0 */
		lapic_icr(l, out);
		break;
	case LAPIC_ICR_HI:	l->icr_hi = val & 0xFF000000; break;
	case LAPIC_TIMER_INIT:	tmr_start(l, val, t); break;
	case LAPIC_TIMER_DIV:
		tmr_rebase(l, t);
		l->tmr_divide = val & 0xB;
		break;
	default:
		lapic_error(l, LAPIC_ESR_ILLEGAL_REG);
		break;
	}
}

static void lapic_flush(struct lapic *l, const struct lapic_out *out)
{
	if (out->ipi && l->ops.send)
		l->ops.send(l->opaque, &out->irq);
	if (out->eoi >= 0 && l->ops.eoi)
		l->ops.eoi(l->opaque, (uint8_t)out->eoi);
}

/* Lock, bring the timer to now; unlock after re-arming it. */
static uint64_t lapic_enter(struct lapic *l)
{
	uint64_t t;

	irq_lock(&l->lock);
	t = lapic_ticks(l);
	tmr_sync(l, t);
	return t;
}

static void lapic_leave(struct lapic *l)
{
	tmr_rearm(l);
	irq_unlock(&l->lock);
}

uint32_t lapic_read(struct lapic *l, uint64_t offset, unsigned int size)
{
	unsigned int sub = offset & 0xF;
	uint32_t v = 0;
	uint64_t t = lapic_enter(l);

	if (offset >= 0x1000 || (size != 1 && size != 2 && size != 4) ||
	    (sub < 4 && sub + size > 4)) {
		lapic_warn(l, LAPIC_W_ACCESS, "bad read width or alignment; reads 0");
	} else if (!hw_enabled(l)) {
		lapic_warn(l, LAPIC_W_DISABLED, "access while disabled in IA32_APIC_BASE");
	} else if (sub < 4) {
		v = lapic_reg_read(l, (unsigned int)offset & ~0xFu, t);
		v >>= 8 * sub;
		if (size < 4)
			v &= (1u << (8 * size)) - 1;
	}
	lapic_leave(l);
	return v;
}

void lapic_write(struct lapic *l, uint64_t offset, unsigned int size,
		 uint32_t val)
{
	struct lapic_out out = { .eoi = -1 };
	uint64_t t = lapic_enter(l);

	if (offset >= 0x1000 || size != 4 || (offset & 0xF))
		lapic_warn(l, LAPIC_W_ACCESS, "write not 4 bytes at a 16-byte boundary; ignored");
	else if (!hw_enabled(l))
		lapic_warn(l, LAPIC_W_DISABLED, "access while disabled in IA32_APIC_BASE");
	else
		lapic_reg_write(l, (unsigned int)offset, val, t, &out);
	lapic_leave(l);
	lapic_flush(l, &out);
}

/* ---- IA32_APIC_BASE and CR8 ---- */

int lapic_set_base(struct lapic *l, uint64_t val)
{
	int r = 0;

	irq_lock(&l->lock);
	if ((val & ~LAPIC_BASE_VALID) || (val & LAPIC_BASE_X2APIC)) {
		lapic_warn(l, LAPIC_W_BASE, "IA32_APIC_BASE: reserved bits or x2APIC refused");
		r = -1;
	} else {
		/* Disabling loses the state: re-enabled, it is as at power-up. */
		if ((l->base & LAPIC_BASE_EN) && !(val & LAPIC_BASE_EN))
			lapic_init_reset(l);
		l->base = (val & ~(uint64_t)LAPIC_BASE_BSP) |
			  (l->bsp ? LAPIC_BASE_BSP : 0);
		lapic_notify(l);
	}
	irq_unlock(&l->lock);
	return r;
}

uint64_t lapic_get_base(struct lapic *l)
{
	uint64_t v;

	irq_lock(&l->lock);
	v = l->base;
	irq_unlock(&l->lock);
	return v;
}

uint8_t lapic_get_cr8(struct lapic *l)
{
	uint8_t v;

	irq_lock(&l->lock);
	v = (uint8_t)(l->tpr >> 4);
	irq_unlock(&l->lock);
	return v;
}

/*
 * A MOV to CR8 sets TPR[7:4] and clears TPR[3:0]; kvm_run carries CR8
 * back on every exit, so an unchanged CR8 leaves a TPR written through
 * the page (with its low bits) alone.
 */
void lapic_set_cr8(struct lapic *l, uint8_t cr8)
{
	irq_lock(&l->lock);
	if ((cr8 & 0xF) != l->tpr >> 4) {
		l->tpr = (uint32_t)(cr8 & 0xF) << 4;
		lapic_notify(l);
	}
	irq_unlock(&l->lock);
}

/* ---- interrupts in ---- */

static bool lapic_accept_locked(struct lapic *l, const struct apic_irq *irq)
{
	switch (irq->dm) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		/* A software-disabled APIC takes only NMI, SMI, INIT, SIPI. */
		if (!sw_enabled(l))
			return false;
		return lapic_set_irr(l, irq->vector, irq->level);
	case APIC_DM_NMI:
		l->nmi_pending = true;
		break;
	case APIC_DM_SMI:
		lapic_warn(l, LAPIC_W_SMI, "SMI is not modelled; ignored");
		return false;
	case APIC_DM_INIT:
		if (irq->level && !irq->assert)
			return false;
		lapic_init_reset(l);
		if (l->ops.event)
			l->ops.event(l->opaque, LAPIC_EV_INIT, 0);
		break;
	case APIC_DM_SIPI:
		if (l->ops.event)
			l->ops.event(l->opaque, LAPIC_EV_SIPI, irq->vector);
		break;
	case APIC_DM_EXTINT:
		l->extint_msg = true;
		break;
	default:
		lapic_warn(l, LAPIC_W_DM, "message with a reserved delivery mode ignored");
		return false;
	}
	lapic_notify(l);
	return true;
}

bool lapic_accept(struct lapic *l, const struct apic_irq *irq)
{
	bool r = false;

	lapic_enter(l);
	if (hw_enabled(l))
		r = lapic_accept_locked(l, irq);
	lapic_leave(l);
	return r;
}

/*
 * LINT pins. With the APIC disabled in IA32_APIC_BASE the pins are the
 * processor's INTR and NMI; otherwise LINT0/1's LVT entry decides: ExtINT
 * is level (sampled by lapic_pending), the rest fire on a rising edge.
 */
void lapic_set_lint(struct lapic *l, unsigned int pin, int level)
{
	int old;

	lapic_enter(l);
	if (pin > 1) {
		lapic_warn(l, LAPIC_W_ACCESS, "LINT pin out of range");
		goto out;
	}
	old = l->lint[pin];
	l->lint[pin] = level != 0;
	if (old || !level) {
		if (pin == 0)
			lapic_notify(l);
		goto out;
	}
	if (!hw_enabled(l)) {
		if (pin == 1)
			l->nmi_pending = true;
		lapic_notify(l);
	} else {
		lapic_lvt_fire(l, pin ? LVT_LINT1 : LVT_LINT0);
		if (pin == 0)
			lapic_notify(l);
	}
out:
	lapic_leave(l);
}

/* ---- interrupts out to the vCPU ---- */

static bool lapic_extint(const struct lapic *l)
{
	uint32_t lvt0 = l->lvt[LVT_LINT0];

	if (l->extint_msg)
		return true;
	if (!l->lint[0])
		return false;
	if (!hw_enabled(l))
		return true;
	return !(lvt0 & LAPIC_LVT_MASKED) && ((lvt0 >> 8) & 7) == APIC_DM_EXTINT;
}

static int lapic_pending_locked(const struct lapic *l)
{
	int v;

	if (lapic_extint(l))
		return LAPIC_EXTINT;
	if (!hw_enabled(l))
		return LAPIC_NONE;
	v = vec_highest(l->irr);
	if (v >= 0 && ((uint32_t)v & 0xF0) > (lapic_ppr(l) & 0xF0))
		return v;
	return LAPIC_NONE;
}

int lapic_pending(struct lapic *l)
{
	int v;

	lapic_enter(l);
	v = lapic_pending_locked(l);
	lapic_leave(l);
	return v;
}

int lapic_ack(struct lapic *l)
{
	int v;

	lapic_enter(l);
	v = lapic_pending_locked(l);
	if (v == LAPIC_EXTINT) {
		l->extint_msg = false;
	} else if (v >= 0) {
		vec_clear(l->irr, (unsigned int)v);
		vec_set(l->isr, (unsigned int)v);
	} else {
		v = l->svr & 0xFF;	/* spurious: no ISR bit, no EOI */
	}
	lapic_leave(l);
	return v;
}

bool lapic_take_nmi(struct lapic *l)
{
	bool r;

	irq_lock(&l->lock);
	r = l->nmi_pending;
	l->nmi_pending = false;
	irq_unlock(&l->lock);
	return r;
}

bool lapic_nmi_pending(struct lapic *l)
{
	bool r;

	irq_lock(&l->lock);
	r = l->nmi_pending;
	irq_unlock(&l->lock);
	return r;
}

void lapic_timer_service(struct lapic *l)
{
	lapic_enter(l);
	lapic_leave(l);
}

/* ---- for the APIC bus ---- */

/* Logical destination: flat (DFR model 1111) or cluster (0000). */
static bool lapic_match_logical(const struct lapic *l, uint8_t mda)
{
	uint8_t ldr = l->ldr >> 24;

	if (mda == 0xFF)
		return true;
	switch (l->dfr >> 28) {
	case 0xF:
		return (ldr & mda) != 0;
	case 0x0:
		if ((mda >> 4) != 0xF && (mda >> 4) != (ldr >> 4))
			return false;
		return (mda & ldr & 0xF) != 0;
	default:
		return false;
	}
}

bool lapic_match(struct lapic *l, const struct apic_irq *irq, bool self)
{
	bool r;

	irq_lock(&l->lock);
	switch (irq->shorthand) {
	case APIC_SH_SELF:
		r = self;
		break;
	case APIC_SH_ALL:
		r = true;
		break;
	case APIC_SH_OTHERS:
		r = !self;
		break;
	default:
		if (irq->logical)
			r = lapic_match_logical(l, irq->dest);
		else
			r = irq->dest == 0xFF || irq->dest == l->id >> 24;
		break;
	}
	r = r && hw_enabled(l);
	irq_unlock(&l->lock);
	return r;
}

uint8_t lapic_apr(struct lapic *l)
{
	uint8_t v;

	irq_lock(&l->lock);
	v = (uint8_t)lapic_apr_locked(l);
	irq_unlock(&l->lock);
	return v;
}

bool lapic_is_focus(struct lapic *l, uint8_t vector)
{
	bool r;

	irq_lock(&l->lock);
	r = !(l->svr & LAPIC_SVR_NO_FOCUS) &&
	    (vec_test(l->irr, vector) || vec_test(l->isr, vector));
	irq_unlock(&l->lock);
	return r;
}

/*
 * pit.c - the 8254 interval timer (pit.h; book §3.2.2).
 *
 * Follows the Intel 8254 datasheet. Instead of decrementing a counter on
 * every clock, each channel remembers the tick t0 at which its count
 * began and derives OUT and the count from the ticks since then (d): a
 * count is then exact at any instant the owner's clock names. The load
 * cycle (the CLK pulse that moves the count register into the counting
 * element) is folded into the write: a count written at tick t counts
 * from t.
 */
#include <string.h>

#include "irq/pit.h"
#include "irq/irqlock.h"

enum pit_warn {
	PIT_W_PORT,
	PIT_W_BCD,		/* a BCD count with a digit above 9 */
	PIT_W_COUNT1,		/* count 1 in mode 2 or 3 */
};

#define NS_PER_S 1000000000ull

uint64_t pit_ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_HZ / NS_PER_S);
}

uint64_t pit_ticks_to_ns(uint64_t ticks)
{
	unsigned __int128 x = (unsigned __int128)ticks * NS_PER_S;

	return (uint64_t)((x + PIT_HZ - 1) / PIT_HZ);
}

static void pit_warn(struct pit *p, unsigned int bit, const char *msg)
{
	irqwarn_once(p->ops.warn, p->opaque, &p->warned, bit, "pit", "%s",
		     msg);
}

/*
 * The model counts ticks from an epoch 2^32 ticks (an hour) before the
 * owner's clock's zero: a count may begin before the first tick the owner
 * can name (a mode 3 count taken in its low half begins one high half
 * before its reload), and its start must still be a tick.
 */
#define PIT_EPOCH	(1ULL << 32)

static uint64_t pit_now(struct pit *p)
{
	return pit_ns_to_ticks(p->ops.now_ns(p->opaque)) + PIT_EPOCH;
}

/* The counter's modulus: a BCD counter holds four decimal digits. */
static uint32_t chan_mod(const struct pit_chan *c)
{
	return c->bcd ? 10000 : 65536;
}

/* Mode 3 keeps OUT high for the first (N+1)/2 clocks of each period. */
static uint64_t high_half(uint32_t n)
{
	return (n + 1) / 2;
}

/* In modes 0, 2, 3 and 4 a low gate stops the count. */
static bool gate_stops(const struct pit_chan *c)
{
	return c->mode != 1 && c->mode != 5;
}

/* Clocks counted in the current count. */
static uint64_t chan_d(const struct pit_chan *c, uint64_t t)
{
	if (!c->armed)
		return 0;
	if (c->held || (gate_stops(c) && !c->gate))
		return c->frozen;
	if ((c->mode == 1 || c->mode == 5) && !c->running)
		return 0;
	return t > c->t0 ? t - c->t0 : 0;
}

static bool chan_out(const struct pit_chan *c, uint64_t t)
{
	uint64_t d = chan_d(c, t);

	if (!c->armed)
		return c->mode != 0;
	switch (c->mode) {
	case 0:
		return !c->held && d >= c->n;
	case 1:
		return !c->running || d >= c->n;
	case 2:
		return !c->gate || d % c->n != c->n - 1;
	case 3:
		return !c->gate || d % c->n < high_half(c->n);
	case 4:
		return d != c->n;
	default:
		return !c->running || d != c->n;
	}
}

/* Count value (binary) the counting element holds at tick t. */
static uint32_t chan_count(const struct pit_chan *c, uint64_t t)
{
	uint64_t d = chan_d(c, t), p, m = chan_mod(c);
	uint64_t n = c->n, v;

	if (!c->armed || ((c->mode == 1 || c->mode == 5) && !c->running))
		return (uint32_t)(c->cr % m);
	switch (c->mode) {
	case 2:
		v = n - d % n;
		break;
	case 3:
		p = d % n;
		if (p >= high_half(c->n))
			p -= high_half(c->n);
		/* Even counts show N, N-2, ...; odd ones N-1, N-3, ... */
		v = (n & ~1ull) - 2 * p;
		break;
	default:	/* modes 0, 1, 4, 5 count down and wrap */
		v = n % m + m - d % m;
		break;
	}
	return (uint32_t)(v % m);
}

/* Rising edges of OUT in (t0, x]: what IRQ 0 sees (gate high). */
static uint64_t chan_rises_by(const struct pit_chan *c, uint64_t x)
{
	uint64_t d;

	if (!c->armed || c->held || !c->gate)
		return 0;
	d = x > c->t0 ? x - c->t0 : 0;
	switch (c->mode) {
	case 0:
		return d >= c->n;
	case 2:
	case 3:
		return d / c->n;
	case 4:
		return d >= (uint64_t)c->n + 1;
	default:
		return 0;	/* modes 1 and 5 need a gate edge: not on channel 0 */
	}
}

static uint64_t chan_next_rise_now(const struct pit_chan *c, uint64_t x)
{
	uint64_t d;

	if (!c->armed || c->held || !c->gate)
		return UINT64_MAX;
	d = x >= c->t0 ? x - c->t0 : 0;
	switch (c->mode) {
	case 0:
		return d < c->n ? c->t0 + c->n : UINT64_MAX;
	case 2:
	case 3:
		return c->t0 + (d / c->n + 1) * c->n;
	case 4:
		return d < (uint64_t)c->n + 1 ? c->t0 + c->n + 1 : UINT64_MAX;
	default:
		return UINT64_MAX;
	}
}

/*
 * Modes 2 and 3 take a count written while counting at the end of the
 * current period (mode 2) or half-period (mode 3). A new mode 3 count
 * that starts in the low half is given a t0 one high half earlier.
 */
static void chan_apply_pending(struct pit_chan *c)
{
	uint64_t r = c->reload_at;
	bool low = c->mode == 3 && chan_out(c, r - 1);

	c->n = c->cr;
	c->t0 = low ? r - high_half(c->n) : r;
	c->pending = false;
}

static uint64_t chan_next_rise(const struct pit_chan *c, uint64_t x)
{
	uint64_t y = chan_next_rise_now(c, x);
	struct pit_chan nc;

	if (!c->pending || c->reload_at >= y)
		return y;
	nc = *c;
	chan_apply_pending(&nc);
	return chan_next_rise_now(&nc, c->reload_at);
}

static void chan_sync(struct pit_chan *c, uint64_t t)
{
	if (c->pending && t >= c->reload_at)
		chan_apply_pending(c);
}

static void pit_emit(struct pit *p, int level)
{
	p->out0 = level;
	if (p->ops.irq0)
		p->ops.irq0(p->opaque, level);
}

/* Replay channel 0's edges up to t, at most one low-high pair. */
static void pit_ch0_advance(struct pit *p, uint64_t t)
{
	struct pit_chan *c = &p->ch[0];
	uint64_t rises = 0;
	int level;

	if (t < p->acc)
		t = p->acc;
	if (c->pending && c->reload_at <= t) {
		rises += chan_rises_by(c, c->reload_at) -
			 chan_rises_by(c, p->acc);
		chan_apply_pending(c);
		p->acc = c->reload_at;
	}
	rises += chan_rises_by(c, t) - chan_rises_by(c, p->acc);
	p->acc = t;
	if (rises) {
		if (p->out0)
			pit_emit(p, 0);
		pit_emit(p, 1);
	}
	level = chan_out(c, t);
	if (level != p->out0)
		pit_emit(p, level);
}

static void pit_rearm(struct pit *p, uint64_t t)
{
	uint64_t tick = chan_next_rise(&p->ch[0], t);
	uint64_t ns = tick == UINT64_MAX ? PIT_NO_DEADLINE :
		      pit_ticks_to_ns(tick - PIT_EPOCH);

	if (ns == p->deadline)
		return;
	p->deadline = ns;
	if (p->ops.deadline)
		p->ops.deadline(p->opaque, ns);
}

/* Bring every channel to tick t before looking or changing. */
static void pit_sync(struct pit *p, uint64_t t)
{
	pit_ch0_advance(p, t);
	chan_sync(&p->ch[1], t);
	chan_sync(&p->ch[2], t);
}

/* After a change: channel 0's new level and deadline. */
static void pit_settle(struct pit *p, uint64_t t)
{
	pit_ch0_advance(p, t);
	pit_rearm(p, t);
}

static void chan_reset(struct pit_chan *c, bool gate)
{
	memset(c, 0, sizeof(*c));
	c->ctrl = 0x30;		/* LSB then MSB, mode 0, binary */
	c->rw = 3;
	c->gate = gate;
	c->cr = 65536;
	c->n = 65536;
}

void pit_reset(struct pit *p)
{
	uint64_t t;

	irq_lock(&p->lock);
	t = pit_now(p);
	chan_reset(&p->ch[0], true);	/* gates 0 and 1 are tied high */
	chan_reset(&p->ch[1], true);
	chan_reset(&p->ch[2], false);
	p->port61 = 0;
	p->acc = t;
	pit_settle(p, t);
	irq_unlock(&p->lock);
}

void pit_init(struct pit *p, const struct pit_ops *ops, void *opaque)
{
	memset(p, 0, sizeof(*p));
	irq_lock_init(&p->lock);
	p->ops = *ops;
	p->opaque = opaque;
	p->deadline = PIT_NO_DEADLINE;
	pit_reset(p);
}

void pit_destroy(struct pit *p)
{
	pthread_mutex_destroy(&p->lock);
}

/* A written count: BCD digits or binary; 0 is the largest count. */
static uint32_t pit_decode(struct pit *p, const struct pit_chan *c,
			   uint32_t raw)
{
	uint32_t v = 0, w = 1;
	int i;

	if (!c->bcd)
		return raw ? raw : 65536;
	for (i = 0; i < 4; i++, raw >>= 4, w *= 10) {
		if ((raw & 0xF) > 9)
			pit_warn(p, PIT_W_BCD, "BCD count with a digit above 9");
		v += (raw & 0xF) * w;
	}
	return v ? v : 10000;
}

static uint16_t pit_encode(const struct pit_chan *c, uint32_t v)
{
	if (!c->bcd)
		return (uint16_t)v;
	return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 |
			  (v / 10 % 10) << 4 | (v % 10));
}

/* Where the current period (mode 2) or half period (mode 3) ends. */
static uint64_t chan_cycle_end(const struct pit_chan *c, uint64_t t)
{
	uint64_t d = t > c->t0 ? t - c->t0 : 0, start = c->t0 + d - d % c->n;

	if (c->mode == 3 && d % c->n < high_half(c->n))
		return start + high_half(c->n);
	return start + c->n;
}

static void chan_load(struct pit *p, struct pit_chan *c, uint32_t raw,
		      uint64_t t)
{
	c->cr = pit_decode(p, c, raw);
	c->cr_valid = true;
	if ((c->mode == 2 || c->mode == 3) && c->cr == 1)
		pit_warn(p, PIT_W_COUNT1, "count 1 is illegal in modes 2 and 3");
	switch (c->mode) {
	case 1:
	case 5:
		c->armed = true;	/* the next gate edge loads it */
		return;
	case 2:
	case 3:
		if (c->armed && c->gate) {
			c->pending = true;
			c->reload_at = chan_cycle_end(c, t);
			return;
		}
		break;
	}
	c->n = c->cr;
	c->armed = true;
	c->held = false;
	c->pending = false;
	c->t0 = t;
	c->frozen = 0;
}

/* Mode 0: the first byte of a two-byte count stops the count, OUT low. */
static void chan_hold(struct pit_chan *c, uint64_t t)
{
	if (c->mode != 0 || !c->armed || c->held)
		return;
	c->frozen = chan_d(c, t);
	c->held = true;
}

static void chan_write(struct pit *p, struct pit_chan *c, uint8_t val,
		       uint64_t t)
{
	switch (c->rw) {
	case 1:
		chan_load(p, c, val, t);
		break;
	case 2:
		chan_load(p, c, (uint32_t)val << 8, t);
		break;
	default:
		if (!c->wflip) {
			c->wlsb = val;
			c->wflip = true;
			chan_hold(c, t);
		} else {
			c->wflip = false;
			chan_load(p, c, c->wlsb | (uint32_t)val << 8, t);
		}
		break;
	}
}

static uint8_t chan_read(struct pit_chan *c, uint64_t t)
{
	uint16_t v;
	uint8_t b;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	v = c->count_latched ? c->latch : pit_encode(c, chan_count(c, t));
	if (c->rw == 1 || (c->rw == 3 && !c->rflip)) {
		b = v & 0xFF;
		if (c->rw == 3)
			c->rflip = true;
		else
			c->count_latched = false;
		return b;
	}
	c->rflip = false;
	c->count_latched = false;
	return v >> 8;
}

static void chan_latch_count(struct pit_chan *c, uint64_t t)
{
	if (c->count_latched)
		return;	/* the first latch holds until it is read */
	c->latch = pit_encode(c, chan_count(c, t));
	c->count_latched = true;
}

/* Status byte: OUT, NULL COUNT, then the control word's RW, M, BCD. */
static void chan_latch_status(struct pit_chan *c, uint64_t t)
{
	bool null = !c->cr_valid || c->pending ||
		    ((c->mode == 1 || c->mode == 5) && !c->running) ||
		    (c->held);

	if (c->status_latched)
		return;
	c->status = (uint8_t)(chan_out(c, t) << 7 | null << 6 |
			      (c->ctrl & 0x3F));
	c->status_latched = true;
}

static void pit_readback(struct pit *p, uint8_t val, uint64_t t)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (!(val & (2u << i)))
			continue;
		if (!(val & 0x20))
			chan_latch_count(&p->ch[i], t);
		if (!(val & 0x10))
			chan_latch_status(&p->ch[i], t);
	}
}

static void chan_control(struct pit_chan *c, uint8_t val)
{
	c->ctrl = val;
	c->rw = (val >> 4) & 3;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* x10 and x11 are modes 2 and 3 */
	c->bcd = val & 1;
	c->armed = c->running = c->held = c->pending = false;
	c->cr_valid = false;
	c->wflip = c->rflip = false;
	c->count_latched = c->status_latched = false;
}

static void pit_control(struct pit *p, uint8_t val, uint64_t t)
{
	unsigned int sc = val >> 6;

	if (sc == 3)
		pit_readback(p, val, t);
	else if (!(val & 0x30))
		chan_latch_count(&p->ch[sc], t);
	else
		chan_control(&p->ch[sc], val);
}

/* Gate 2 from port 0x61 bit 0. */
static void chan_set_gate(struct pit_chan *c, bool g, uint64_t t)
{
	if (g == c->gate)
		return;
	if (!g) {
		c->frozen = chan_d(c, t);
		c->gate = false;
		c->pending = false;	/* the rising edge reloads from CR */
		return;
	}
	c->gate = true;
	switch (c->mode) {
	case 0:
	case 4:
		c->t0 = t - c->frozen;	/* counting resumes */
		break;
	case 1:
	case 5:
		if (!c->armed)
			break;
		c->n = c->cr;		/* (re)trigger */
		c->t0 = t;
		c->running = true;
		break;
	default:
		if (!c->armed)
			break;
		c->n = c->cr;		/* modes 2, 3: reload */
		c->t0 = t;
		c->pending = false;
		break;
	}
}

/* Port 0x61 bit 4 toggles with each DRAM refresh request, 15.085 us. */
static uint8_t pit_port61(struct pit *p, uint64_t t)
{
	uint64_t ns = p->ops.now_ns(p->opaque);
	uint8_t v = p->port61 & 0x0F;

	if ((ns / 15085) & 1)
		v |= 0x10;
	if (chan_out(&p->ch[2], t))
		v |= 0x20;
	return v;
}

uint8_t pit_read(struct pit *p, uint16_t port)
{
	uint64_t t;
	uint8_t v = 0xFF;

	irq_lock(&p->lock);
	t = pit_now(p);
	pit_sync(p, t);
	if (port >= PIT_PORT_CH0 && port < PIT_PORT_CTRL)
		v = chan_read(&p->ch[port - PIT_PORT_CH0], t);
	else if (port == PIT_PORT_61)
		v = pit_port61(p, t);
	else if (port != PIT_PORT_CTRL)
		pit_warn(p, PIT_W_PORT, "read of a port that is not ours");
	pit_settle(p, t);
	irq_unlock(&p->lock);
	return v;
}

void pit_write(struct pit *p, uint16_t port, uint8_t val)
{
	uint64_t t;

	irq_lock(&p->lock);
	t = pit_now(p);
	pit_sync(p, t);
	if (port >= PIT_PORT_CH0 && port < PIT_PORT_CTRL) {
		chan_write(p, &p->ch[port - PIT_PORT_CH0], val, t);
	} else if (port == PIT_PORT_CTRL) {
		pit_control(p, val, t);
	} else if (port == PIT_PORT_61) {
		p->port61 = val & 0x0F;
		chan_set_gate(&p->ch[2], val & 1, t);
	} else {
		pit_warn(p, PIT_W_PORT, "write to a port that is not ours");
	}
	pit_settle(p, t);
	irq_unlock(&p->lock);
}

void pit_service(struct pit *p)
{
	uint64_t t;

	irq_lock(&p->lock);
	t = pit_now(p);
	pit_sync(p, t);
	pit_settle(p, t);
	irq_unlock(&p->lock);
}

uint64_t pit_next_deadline(struct pit *p)
{
	uint64_t ns;

	irq_lock(&p->lock);
	ns = p->deadline;
	irq_unlock(&p->lock);
	return ns;
}

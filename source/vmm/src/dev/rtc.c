/* @@ file 04 */
/*
 * rtc.c - the MC146818A RTC and CMOS RAM (book §4.1; MC146818A
 * datasheet). See rtc.h for the time model and the lock rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/vm.h"
#include "dev/rtc.h"
#include "irq/irqchip.h"

#define NS	1000000000ull

enum { W_DIVIDER, W_RANGE };

struct tm_fields {
	int64_t year;
	int mon, mday, hour, min, sec, wday;	/* mon 1-12, wday 1 = Sun */
};

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_secs(int64_t t, struct tm_fields *f)
{
	int64_t days = t / 86400, rem = t % 86400;
	int64_t z, era, doe, yoe, doy, mp;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	f->hour = (int)(rem / 3600);
	f->min = (int)(rem / 60 % 60);
	f->sec = (int)(rem % 60);
	f->wday = (int)(((days + 4) % 7 + 7) % 7) + 1;	/* 1970: Thursday */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	f->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	f->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	f->year = yoe + era * 400 + (f->mon <= 2);
}

static bool binary(const struct rtc *r)
{
	return r->cmos[RTC_REG_B] & RTC_B_DM_BINARY;
}

static uint8_t to_reg(const struct rtc *r, int v)
{
	return binary(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static int from_reg(const struct rtc *r, uint8_t v)
{
	return binary(r) ? v : (v >> 4) * 10 + (v & 0xF);
}

static uint8_t hour_to_reg(const struct rtc *r, int h)
{
	int h12;

	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return to_reg(r, h);
	h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(to_reg(r, h12) | (h >= 12 ? 0x80 : 0));
}

static int hour_from_reg(const struct rtc *r, uint8_t v)
{
	int h;

	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return from_reg(r, v);
	h = from_reg(r, v & 0x7F) % 12;
	return (v & 0x80) ? h + 12 : h;
}

static void render(struct rtc *r, int64_t t)
{
	struct tm_fields f;

	civil_from_secs(t, &f);
	r->cmos[RTC_SECONDS] = to_reg(r, f.sec);
	r->cmos[RTC_MINUTES] = to_reg(r, f.min);
	r->cmos[RTC_HOURS] = hour_to_reg(r, f.hour);
	r->cmos[RTC_DAY_OF_WEEK] = to_reg(r, f.wday);
	r->cmos[RTC_DAY_OF_MONTH] = to_reg(r, f.mday);
	r->cmos[RTC_MONTH] = to_reg(r, f.mon);
	r->cmos[RTC_YEAR] = to_reg(r, (int)(f.year % 100));
	r->cmos[RTC_CENTURY] = to_reg(r, (int)(f.year / 100 % 100));
}

static int clampi(struct rtc *r, int v, int lo, int hi)
{
	if (v >= lo && v <= hi)
		return v;
	irqwarn_once(r->ops.warn, r->opaque, &r->warned, W_RANGE, "rtc",
		     "time register written out of range: clamped");
	return v < lo ? lo : hi;
}

/* The registers as the guest wrote them, as seconds since 1970. */
static int64_t decode(struct rtc *r)
{
	const uint8_t *c = r->cmos;
	int64_t year = from_reg(r, c[RTC_CENTURY]) * 100 +
		       clampi(r, from_reg(r, c[RTC_YEAR]), 0, 99);
	int mon = clampi(r, from_reg(r, c[RTC_MONTH]), 1, 12);
	int mday = clampi(r, from_reg(r, c[RTC_DAY_OF_MONTH]), 1, 31);
	int hour = clampi(r, hour_from_reg(r, c[RTC_HOURS]), 0, 23);
	int min = clampi(r, from_reg(r, c[RTC_MINUTES]), 0, 59);
	int sec = clampi(r, from_reg(r, c[RTC_SECONDS]), 0, 59);

	return days_from_civil(year, mon, mday) * 86400 + hour * 3600 +
	       min * 60 + sec;
}

uint64_t rtc_period_ns(unsigned int rs)
{
	rs &= 0xF;
	if (!rs)
		return 0;
	if (rs <= 2)	/* 256 Hz and 128 Hz on the 32.768 kHz base */
		rs += 7;
	/* 2^(rs-1) cycles of 32768 Hz. */
	return ((uint64_t)1 << (rs - 1)) * NS / 32768;
}

static uint64_t now(struct rtc *r)
{
	return r->ops.now_ns ? r->ops.now_ns(r->opaque) : 0;
}

static bool chain_on(const struct rtc *r)
{
	return (r->cmos[RTC_REG_A] & RTC_A_DV_MASK) == RTC_A_DV_32K;
}

static bool alarm_field(uint8_t alarm, uint8_t v)
{
	return (alarm & 0xC0) == 0xC0 || alarm == v;
}

static bool alarm_at(struct rtc *r, int64_t t)
{
	struct tm_fields f;

	civil_from_secs(t, &f);
	return alarm_field(r->cmos[RTC_SECONDS_ALARM], to_reg(r, f.sec)) &&
	       alarm_field(r->cmos[RTC_MINUTES_ALARM], to_reg(r, f.min)) &&
	       alarm_field(r->cmos[RTC_HOURS_ALARM], hour_to_reg(r, f.hour));
}

/* Bring the chip to now: updates (UF, AF) and periodic ticks (PF). */
static void catch_up(struct rtc *r)
{
	uint64_t t = now(r), k, p, j, first;

	if (!chain_on(r))
		return;
	p = rtc_period_ns(r->cmos[RTC_REG_A]);
	if (p && t >= r->per_origin) {
		j = (t - r->per_origin) / p;
		if (j > r->per_done) {
			r->cmos[RTC_REG_C] |= RTC_C_PF;
			r->per_done = j;
		}
	}
	if (!r->running || t < r->base_ns)
		return;
	k = (t - r->base_ns) / NS;
	if (k <= r->k_done)
		return;
	r->cmos[RTC_REG_C] |= RTC_C_UF;
	/* A day of seconds holds every h:m:s an alarm can name. */
	first = k - r->k_done > 86400 ? k - 86400 : r->k_done;
	for (j = first + 1; j <= k; j++)
		if (alarm_at(r, r->base_sec + (int64_t)j)) {
			r->cmos[RTC_REG_C] |= RTC_C_AF;
			break;
		}
	r->k_done = k;
	render(r, r->base_sec + (int64_t)k);
}

static uint8_t irqf(const struct rtc *r)
{
	uint8_t c = r->cmos[RTC_REG_C], b = r->cmos[RTC_REG_B];

	return (c & b & (RTC_C_PF | RTC_C_AF | RTC_C_UF)) ? RTC_C_IRQF : 0;
}

static void update(struct rtc *r)
{
	int level = irqf(r) != 0;
	uint64_t d = UINT64_MAX, p;
	uint8_t b = r->cmos[RTC_REG_B];

	if (level != r->irq_level) {
		r->irq_level = level;
		if (r->ops.irq)
			r->ops.irq(r->opaque, level);
	}
	if (!chain_on(r) || !r->ops.deadline)
		return;
	p = rtc_period_ns(r->cmos[RTC_REG_A]);
	if ((b & RTC_B_PIE) && p)
		d = r->per_origin + (r->per_done + 1) * p;
	if ((b & (RTC_B_UIE | RTC_B_AIE)) && r->running &&
	    r->base_ns + (r->k_done + 1) * NS < d)
		d = r->base_ns + (r->k_done + 1) * NS;
	if (d != UINT64_MAX)
		r->ops.deadline(r->opaque, d);
}

/* Take the registers as the time, keeping the seconds' phase. */
static void rebase(struct rtc *r)
{
	r->base_sec = decode(r);
	r->base_ns += r->k_done * NS;
	r->k_done = 0;
}

static bool uip(struct rtc *r)
{
	uint64_t t = now(r);

	if (!r->running || t < r->base_ns)
		return false;
	return (t - r->base_ns) % NS >= NS - RTC_UIP_NS;
}

static void write_a(struct rtc *r, uint8_t v)
{
	bool was = chain_on(r);
	uint8_t dv = v & RTC_A_DV_MASK;

	uint64_t t = now(r), p;

	r->cmos[RTC_REG_A] = v & 0x7F;
	/* A new rate counts its ticks from here, on the same chain. */
	p = rtc_period_ns(v);
	r->per_done = p && t >= r->per_origin ? (t - r->per_origin) / p : 0;
	if (dv != RTC_A_DV_32K && (dv & 0x60) != 0x60)
		irqwarn_once(r->ops.warn, r->opaque, &r->warned, W_DIVIDER,
			     "rtc", "divider %u: only 010 (32.768 kHz) runs "
			     "the clock", dv >> 4);
	if (was == chain_on(r))
		return;
	if (!was) {
		/* Out of reset: the first update 500 ms later. */
		r->base_sec = decode(r);
		r->base_ns = t >= NS / 2 ? t + NS / 2 - NS : 0;
		r->k_done = 0;
		r->per_origin = t;
		r->per_done = 0;
		r->running = !(r->cmos[RTC_REG_B] & RTC_B_SET);
	} else {
		r->running = false;
	}
}

static void write_b(struct rtc *r, uint8_t v)
{
	uint8_t old = r->cmos[RTC_REG_B];

	if (v & RTC_B_SET)
		v &= ~RTC_B_UIE;	/* SET going high clears UIE */
	r->cmos[RTC_REG_B] = v;
	if ((v & RTC_B_SET) && !(old & RTC_B_SET)) {
		r->running = false;
	} else if (!(v & RTC_B_SET) && (old & RTC_B_SET)) {
		if (chain_on(r)) {
			uint64_t t = now(r);

			/* The chain went on counting: keep its phase. */
			if (t >= r->base_ns)
				r->k_done = (t - r->base_ns) / NS;
			rebase(r);
			r->running = true;
		}
	}
}

static uint8_t data_read(struct rtc *r, uint8_t idx)
{
	uint8_t v;

	switch (idx) {
	case RTC_REG_A:
		return r->cmos[RTC_REG_A] | (uip(r) ? RTC_A_UIP : 0);
	case RTC_REG_C:
		v = r->cmos[RTC_REG_C] | irqf(r);
		r->cmos[RTC_REG_C] = 0;
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return r->cmos[idx];
	}
}

static void data_write(struct rtc *r, uint8_t idx, uint8_t v)
{
	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		r->cmos[idx] = v;
		/* Running: the new value counts on from this second. */
		if (r->running && idx != RTC_DAY_OF_WEEK)
			rebase(r);
		break;
	case RTC_REG_A:
		write_a(r, v);
		break;
	case RTC_REG_B:
		write_b(r, v);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;		/* read-only */
	default:
		r->cmos[idx] = v;
		break;
	}
}

uint8_t rtc_io_read(struct rtc *r, uint16_t port)
{
	uint8_t v = 0xFF;

	if (port != RTC_PORT_DATA)
		return v;
	pthread_mutex_lock(&r->lock);
	catch_up(r);
	v = data_read(r, r->index);
	update(r);
	pthread_mutex_unlock(&r->lock);
	return v;
}

void rtc_io_write(struct rtc *r, uint16_t port, uint8_t val)
{
	pthread_mutex_lock(&r->lock);
	if (port == RTC_PORT_INDEX) {
		r->index = val & 0x7F;
		r->nmi_disabled = val & RTC_NMI_DISABLE;
	} else if (port == RTC_PORT_DATA) {
		catch_up(r);
		data_write(r, r->index, val);
		update(r);
	}
	pthread_mutex_unlock(&r->lock);
}

void rtc_service(struct rtc *r)
{
	pthread_mutex_lock(&r->lock);
	catch_up(r);
	update(r);
	pthread_mutex_unlock(&r->lock);
}

int64_t rtc_time(struct rtc *r)
{
	int64_t t;

	pthread_mutex_lock(&r->lock);
	catch_up(r);
	t = r->running ? r->base_sec + (int64_t)r->k_done : decode(r);
	pthread_mutex_unlock(&r->lock);
	return t;
}

void rtc_cmos_set(struct rtc *r, unsigned int idx, uint8_t val)
{
	if (idx < 0x0E || idx > 0x7F)
		return;
	pthread_mutex_lock(&r->lock);
	r->cmos[idx] = val;
	pthread_mutex_unlock(&r->lock);
}

uint8_t rtc_cmos_get(struct rtc *r, unsigned int idx)
{
	uint8_t v;

	if (idx > 0x7F)
		return 0xFF;
	pthread_mutex_lock(&r->lock);
	v = r->cmos[idx];
	pthread_mutex_unlock(&r->lock);
	return v;
}

static void put16(struct rtc *r, unsigned int lo, uint64_t v)
{
	if (v > 0xFFFF)
		v = 0xFFFF;
	r->cmos[lo] = (uint8_t)v;
	r->cmos[lo + 1] = (uint8_t)(v >> 8);
}

void rtc_cmos_set_memory(struct rtc *r, uint64_t below_4g, uint64_t above_4g)
{
	uint64_t hi = above_4g >> 16;

	pthread_mutex_lock(&r->lock);
	put16(r, 0x15, 640);
	put16(r, 0x17, below_4g > (1u << 20) ? (below_4g - (1u << 20)) >> 10 : 0);
	put16(r, 0x30, below_4g > (1u << 20) ? (below_4g - (1u << 20)) >> 10 : 0);
	put16(r, 0x34, below_4g > (16u << 20) ?
		       (below_4g - (16u << 20)) >> 16 : 0);
	if (hi > 0xFFFFFF)
		hi = 0xFFFFFF;
	r->cmos[0x5B] = (uint8_t)hi;
	r->cmos[0x5C] = (uint8_t)(hi >> 8);
	r->cmos[0x5D] = (uint8_t)(hi >> 16);
	pthread_mutex_unlock(&r->lock);
}

void rtc_init(struct rtc *r, const struct rtc_ops *ops, void *opaque,
	      int64_t start_time)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->ops = *ops;
	r->opaque = opaque;
	r->cmos[RTC_REG_A] = RTC_A_DV_32K | 0x06;
	r->cmos[RTC_REG_B] = RTC_B_24H;
	r->base_sec = start_time;
	r->base_ns = now(r);
	r->per_origin = r->base_ns;
	r->running = true;
	render(r, start_time);
}

void rtc_destroy(struct rtc *r)
{
	pthread_mutex_destroy(&r->lock);
}

/* ---- the clock in the machine ---- */

static void dev_irq(void *opaque, int level)
{
	struct rtc_dev *d = opaque;

	irqchip_set_line(d->vm->irq, IRQ_SRC_RTC, 8, level);
}

static uint64_t dev_now(void *opaque)
{
	(void)opaque;
	return timers_now_ns();
}

static void dev_deadline(void *opaque, uint64_t ns)
{
	struct rtc_dev *d = opaque;

	timers_set(&d->vm->irq->timers, d->timer, ns);
}

static void dev_fire(void *opaque)
{
	struct rtc_dev *d = opaque;

	rtc_service(&d->rtc);
}

/* Byte registers: the bus takes a wider access byte by byte (bus.h). */
static uint8_t dev_read(void *opaque, uint64_t offset)
{
	struct rtc_dev *d = opaque;

	return rtc_io_read(&d->rtc, (uint16_t)(RTC_PORT_INDEX + offset));
}

static void dev_write(void *opaque, uint64_t offset, uint8_t value)
{
	struct rtc_dev *d = opaque;

	rtc_io_write(&d->rtc, (uint16_t)(RTC_PORT_INDEX + offset), value);
}

static const struct rtc_ops dev_ops = {
	.irq = dev_irq, .now_ns = dev_now, .deadline = dev_deadline,
	.warn = irqchip_warn,
};

static const struct bus_ops dev_bus_ops = {
	.read_byte = dev_read, .write_byte = dev_write,
};

int rtc_dev_init(struct vm *vm, void **state)
{
	struct rtc_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return err_set(-ENOMEM, "no memory for the RTC");
	*state = d;
	d->vm = vm;
	d->timer = timers_add(&vm->irq->timers, dev_fire, d);
	if (d->timer < 0)
		return err_set(-ENOSPC, "no timer left for the RTC");
	rtc_init(&d->rtc, &dev_ops, d, (int64_t)time(NULL));
	rtc_cmos_set_memory(&d->rtc, memmap_low_top(&vm->mem),
			    vm->mem.mem - memmap_low_top(&vm->mem));
	return bus_register(&vm->pio, RTC_PORT_INDEX, 2, "RTC", &dev_bus_ops, d);
}

void rtc_dev_exit(void *state, struct vm *vm)
{
	struct rtc_dev *d = state;

	(void)vm;
	if (!d)
		return;
	if (d->timer >= 0)
		rtc_destroy(&d->rtc);
	free(d);
}

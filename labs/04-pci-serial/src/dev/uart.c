/*
 * uart.c - the 16550A UART (book §4.4; PC16550D datasheet). See uart.h
 * for the host side, the time base and the lock rule.
 */
#include <string.h>

#include "dev/uart.h"

enum { W_TXFULL, W_DIVISOR };

static uint64_t now(struct uart *u)
{
	return u->ops.now_ns ? u->ops.now_ns(u->opaque) : 0;
}

static bool fifo_on(const struct uart *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

static unsigned int rx_cap(const struct uart *u)
{
	return fifo_on(u) ? UART_FIFO : 1;
}

static unsigned int trigger(const struct uart *u)
{
	static const unsigned int level[4] = { 1, 4, 8, 14 };

	return level[u->fcr >> 6];
}

static uint64_t char_ns(const struct uart *u)
{
	unsigned int wl = 5 + (u->lcr & 3);
	unsigned int half = 2 * (1 + wl + ((u->lcr >> 3) & 1));
	uint64_t div = (uint64_t)u->dlm << 8 | u->dll;

	if (!div)
		div = 65536;
	/* Stop bits: 1, or 1.5 with 5-bit words, else 2. */
	half += !(u->lcr & 4) ? 2 : (wl == 5 ? 3 : 4);
	return half * div * 16 * 1000000000ull / (2ull * UART_CLOCK_HZ);
}

/* MSR 7:4: the host's lines, or in loopback the MCR outputs. */
static uint8_t lines_now(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(u->mcr & UART_MCR_LOOP))
		return u->modem_in & 0xF0;
	return (uint8_t)((m & UART_MCR_DTR ? UART_MSR_DSR : 0) |
			 (m & UART_MCR_RTS ? UART_MSR_CTS : 0) |
			 (m & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
			 (m & UART_MCR_OUT2 ? UART_MSR_DCD : 0));
}

static void lines_update(struct uart *u)
{
	uint8_t new = lines_now(u), chg = new ^ u->msr_lines;

	if (chg & UART_MSR_CTS)
		u->msr_delta |= UART_MSR_DCTS;
	if (chg & UART_MSR_DSR)
		u->msr_delta |= UART_MSR_DDSR;
	if ((chg & UART_MSR_RI) && !(new & UART_MSR_RI))
		u->msr_delta |= UART_MSR_TERI;	/* trailing edge only */
	if (chg & UART_MSR_DCD)
		u->msr_delta |= UART_MSR_DDCD;
	u->msr_lines = new;
}

/*
 * The character timeout (FIFO mode): bytes wait below the trigger level
 * and nothing came in or went out of the FIFO for four character times.
 */
static void tick(struct uart *u)
{
	if (fifo_on(u) && u->rx_count && !u->timeout_pending &&
	    now(u) - u->rx_activity_ns >= 4 * char_ns(u))
		u->timeout_pending = true;
}

static void arm_deadline(struct uart *u)
{
	if (u->ops.deadline && fifo_on(u) && u->rx_count && !u->timeout_pending)
		u->ops.deadline(u->opaque, u->rx_activity_ns + 4 * char_ns(u));
}

/* excerpt: uart-iir */
static uint8_t iir_now(const struct uart *u)
{
	if ((u->ier & UART_IER_ELSI) && u->lsr_err)
		return UART_IIR_RLS;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count &&
	    (!fifo_on(u) || u->rx_count >= trigger(u)))
		return UART_IIR_RDA;
	if ((u->ier & UART_IER_ERBFI) && u->timeout_pending)
		return UART_IIR_CTI;
	if ((u->ier & UART_IER_ETBEI) && u->thre_pending)
		return UART_IIR_THRE;
	if ((u->ier & UART_IER_EDSSI) && (u->msr_delta & 0x0F))
		return UART_IIR_MSR;
	return UART_IIR_NONE;
}
/* end excerpt: uart-iir */

/*
 * After every change: the IRQ line, the next deadline, and the host
 * told when the receiver has room again for what it was refused (a
 * read, a FIFO reset, the end of loopback).
 */
static void update(struct uart *u)
{
	int level = !(iir_now(u) & UART_IIR_NONE) &&
		    (u->mcr & UART_MCR_OUT2) && !(u->mcr & UART_MCR_LOOP);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->ops.irq)
			u->ops.irq(u->opaque, level);
	}
	arm_deadline(u);
	if (u->host_waiting && !(u->mcr & UART_MCR_LOOP) &&
	    u->rx_count < rx_cap(u)) {
		u->host_waiting = false;
		if (u->ops.rx_ready)
			u->ops.rx_ready(u->opaque);
	}
}

static bool rx_put(struct uart *u, uint8_t b)
{
	if (u->rx_count >= rx_cap(u))
		return false;
	u->rx[(u->rx_head + u->rx_count++) % UART_FIFO] = b;
	u->rx_activity_ns = now(u);
	u->timeout_pending = false;
	return true;
}

/*
 * A character arrived with no room (LSR bit 1 in the datasheet): without
 * FIFOs it takes the RBR's place, destroying the previous character;
 * with them the FIFO is kept and the new character is lost.
 */
static void rx_overrun(struct uart *u, uint8_t b)
{
	u->lsr_err |= UART_LSR_OE;
	u->overruns++;
	if (!fifo_on(u) && u->rx_count) {
		u->rx[u->rx_head] = b;
		u->rx_activity_ns = now(u);
	}
}

static void rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->timeout_pending = false;
}

static void tx_drain(struct uart *u)
{
	bool had = u->tx_count > 0;

	while (u->tx_count) {
		if (!u->ops.tx || !u->ops.tx(u->opaque, u->tx[u->tx_head]))
			return;
		u->tx_head = (u->tx_head + 1) % UART_FIFO;
		u->tx_count--;
	}
	if (had)
		u->thre_pending = true;	/* the THR/FIFO just emptied */
}

static void thr_write(struct uart *u, uint8_t v)
{
	u->thre_pending = false;
	if (u->mcr & UART_MCR_LOOP) {
		/* The transmitter's output is the receiver's input. */
		if (!rx_put(u, v))
			rx_overrun(u, v);
		u->thre_pending = true;
		return;
	}
	if (u->tx_count >= (fifo_on(u) ? UART_FIFO : 1u)) {
		irqwarn_once(u->ops.warn, u->opaque, &u->warned, W_TXFULL,
			     "uart", "THR written with the transmitter full "
			     "(THRE clear): byte dropped");
		return;
	}
	u->tx[(u->tx_head + u->tx_count++) % UART_FIFO] = v;
	tx_drain(u);
}

static uint8_t rbr_read(struct uart *u)
{
	if (u->rx_count) {
		u->rbr_last = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO;
		u->rx_count--;
	}
	u->rx_activity_ns = now(u);
	u->timeout_pending = false;
	return u->rbr_last;
}

static uint8_t lsr_now(const struct uart *u)
{
	uint8_t v = u->lsr_err;

	if (u->rx_count)
		v |= UART_LSR_DR;
	if (!u->tx_count)
		v |= UART_LSR_THRE | UART_LSR_TEMT;
	return v;
}

static void fcr_write(struct uart *u, uint8_t v)
{
	if ((v ^ u->fcr) & UART_FCR_ENABLE) {
		/* Changing mode empties both FIFOs. */
		rx_clear(u);
		u->tx_head = u->tx_count = 0;
	}
	if (!(v & UART_FCR_ENABLE)) {
		u->fcr = 0;	/* other bits are written only with bit 0 */
		return;
	}
	if (v & UART_FCR_RXRST)
		rx_clear(u);
	if ((v & UART_FCR_TXRST) && u->tx_count) {
		u->tx_head = u->tx_count = 0;
		u->thre_pending = true;
	}
	u->fcr = v & (UART_FCR_ENABLE | UART_FCR_DMA | 0xC0);
}

static void ier_write(struct uart *u, uint8_t v)
{
	/* Enabling ETBEI with the THR empty raises THRE at once. */
	if ((v & ~u->ier & UART_IER_ETBEI) && !u->tx_count)
		u->thre_pending = true;
	u->ier = v & 0x0F;
}

uint8_t uart_read(struct uart *u, unsigned int offset)
{
	uint8_t v = 0xFF, iir;

	pthread_mutex_lock(&u->lock);
	tick(u);
	switch (offset) {
	case 0:
		v = (u->lcr & UART_LCR_DLAB) ? u->dll : rbr_read(u);
		break;
	case 1:
		v = (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
		break;
	case 2:
		iir = iir_now(u);
		/* Reading IIR with THRE the source clears it (Table II). */
		if (iir == UART_IIR_THRE)
			u->thre_pending = false;
		v = iir | (fifo_on(u) ? UART_IIR_FIFO : 0);
		break;
	case 3:
		v = u->lcr;
		break;
	case 4:
		v = u->mcr;
		break;
	case 5:
		v = lsr_now(u);
		u->lsr_err = 0;
		break;
	case 6:
		v = u->msr_lines | u->msr_delta;
		u->msr_delta = 0;
		break;
	case 7:
		v = u->scr;
		break;
	}
	update(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

void uart_write(struct uart *u, unsigned int offset, uint8_t val)
{
	pthread_mutex_lock(&u->lock);
	tick(u);
	switch (offset) {
	case 0:
		if (u->lcr & UART_LCR_DLAB)
			u->dll = val;
		else
			thr_write(u, val);
		break;
	case 1:
		if (u->lcr & UART_LCR_DLAB)
			u->dlm = val;
		else
			ier_write(u, val);
		break;
	case 2:
		fcr_write(u, val);
		break;
	case 3:
		u->lcr = val;
		break;
	case 4:
		u->mcr = val & 0x1F;
		lines_update(u);
		break;
	case 7:
		u->scr = val;
		break;
	default:	/* LSR, MSR: factory test, not writable here */
		break;
	}
	update(u);
	pthread_mutex_unlock(&u->lock);
}

size_t uart_rx_push(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t i = 0;

	pthread_mutex_lock(&u->lock);
	tick(u);
	if (!(u->mcr & UART_MCR_LOOP))
		while (i < n && rx_put(u, buf[i]))
			i++;
	if (i < n)
		u->host_waiting = true;
	update(u);
	pthread_mutex_unlock(&u->lock);
	return i;
}

void uart_tx_kick(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	tx_drain(u);
	update(u);
	pthread_mutex_unlock(&u->lock);
}

void uart_service(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	tick(u);
	update(u);
	pthread_mutex_unlock(&u->lock);
}

void uart_set_modem_lines(struct uart *u, uint8_t msr_lines)
{
	pthread_mutex_lock(&u->lock);
	u->modem_in = msr_lines & 0xF0;
	lines_update(u);
	update(u);
	pthread_mutex_unlock(&u->lock);
}

uint64_t uart_char_ns(struct uart *u)
{
	uint64_t v;

	pthread_mutex_lock(&u->lock);
	v = char_ns(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

static void reset_locked(struct uart *u)
{
	u->ier = 0;
	u->fcr = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->lsr_err = 0;
	u->msr_delta = 0;
	u->msr_lines = lines_now(u);
	u->thre_pending = false;
	rx_clear(u);
	u->tx_head = u->tx_count = 0;
	u->rx_activity_ns = now(u);
}

void uart_init(struct uart *u, const struct uart_ops *ops, void *opaque)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->ops = *ops;
	u->opaque = opaque;
	u->modem_in = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	u->dll = 12;		/* 9600 baud; the chip leaves it undefined */
	reset_locked(u);
}

void uart_destroy(struct uart *u)
{
	pthread_mutex_destroy(&u->lock);
}

void uart_reset(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	reset_locked(u);
	update(u);
	pthread_mutex_unlock(&u->lock);
}

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

static void arm_deadline(struct uart *u)
{
	if (u->ops.deadline && fifo_on(u) && u->rx_count && !u->timeout_pending)
		u->ops.deadline(u->opaque, u->rx_activity_ns + 4 * char_ns(u));
}

static void rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->timeout_pending = false;
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

/* EXERCISE 4.iir: The 16550's interrupt identification.
 *
 * Four functions, each called with the UART's lock held.
 *
 * tick(u): the character timeout indication. In FIFO mode (FCR bit 0),
 *   when the receive FIFO holds at least one character and none has
 *   been put into it or read from it for four character times
 *   (char_ns() each, counted from u->rx_activity_ns on now()), set
 *   u->timeout_pending. Never without FIFOs. It runs before every
 *   register access and when the deadline arm_deadline() asked for has
 *   come; it only sets the indication: a new character, a read of RBR
 *   and a receiver FIFO reset clear it (exercise 4.rx, rx_clear()).
 *
 * iir_now(u): IIR's bits 3:0 now, with no side effect: of the causes
 *   that are pending and enabled in IER, the one the datasheet ranks
 *   highest, or UART_IIR_NONE (bit 0 set: nothing pending). The causes,
 *   by their codes in uart.h, and where this model keeps their state:
 *     UART_IIR_MSR, modem status: the delta bits of MSR 3:0 not yet
 *       read (u->msr_delta);
 *     UART_IIR_THRE, transmitter holding register empty:
 *       u->thre_pending;
 *     UART_IIR_RDA, received data available: the receiver (u->rx_count
 *       characters), against the trigger level FCR selects in FIFO
 *       mode;
 *     UART_IIR_RLS, receiver line status: LSR's error bits not yet
 *       read (u->lsr_err);
 *     UART_IIR_CTI, character timeout: u->timeout_pending.
 *   The IRQ line follows it (update()).
 *
 * iir_read(u): the byte the guest reads from IIR, all eight bits as the
 *   datasheet defines them (FIFO mode: FCR bit 0, fifo_on()), and what
 *   that read resets.
 *
 * lsr_read(u): the byte the guest reads from LSR, lsr_now(), and what
 *   that read resets.
 *
 * Read: the PC16550D datasheet: "Interrupt Identification Register"
 * and its table "Interrupt Control Functions" (priorities, sources,
 * what resets each), "FIFO Control Register" (bits 0, 6 and 7), "FIFO
 * Interrupt Mode Operation" (trigger level, timeout), "Line Status
 * Register"; book §4.4.
 *
 * Tests: unit.uart-iir unit.uart guest.uart-loopback
 *	guest.uart-fifo.user guest.uart-fifo.split guest.uart-fifo.kernel
 *	guest.uart-echo.user guest.uart-echo.split guest.uart-echo.kernel
 *	guest.uart-pipe guest.uart-pty guest.linux.user guest.linux.split
 *	guest.linux.kernel
 * Stub: static void tick(struct uart *u)
 * {
 * 	(void)u;
 * }
 *
 * static uint8_t iir_now(const struct uart *u)
 * {
 * 	(void)u;
 * 	return UART_IIR_NONE;
 * }
 *
 * static uint8_t iir_read(struct uart *u)
 * {
 * 	return iir_now(u);
 * }
 *
 * static uint8_t lsr_read(struct uart *u)
 * {
 * 	return lsr_now(u);
 * }
 */
static unsigned int trigger(const struct uart *u)
{
	static const unsigned int level[4] = { 1, 4, 8, 14 };

	return level[u->fcr >> 6];
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

static uint8_t iir_read(struct uart *u)
{
	uint8_t iir = iir_now(u);

	/* Reading IIR with THRE the source clears it. */
	if (iir == UART_IIR_THRE)
		u->thre_pending = false;
	return iir | (fifo_on(u) ? UART_IIR_FIFO : 0);
}

static uint8_t lsr_read(struct uart *u)
{
	uint8_t v = lsr_now(u);

	u->lsr_err = 0;
	return v;
}
/* END EXERCISE 4.iir */

/* EXERCISE 4.rx: The receive path, from the host's bytes to IRQ 4.
 *
 * An open exercise: the receiver and the interrupt line, written from
 * this contract. The rest of the model (uart.h: the host side, the
 * lock rule) calls the five functions below; all but uart_rx_push()
 * are called with the UART's lock held. The receiver is the ring
 * u->rx: u->rx_count characters from index u->rx_head (rx_clear(),
 * lsr_now() and 4.iir read them so); it holds one character (the RBR)
 * without FIFOs, UART_FIFO in FIFO mode (FCR bit 0).
 *
 * uart_rx_push(u, buf, n): the host's side offers n bytes (serial.c's
 *   input thread). Take the lock and, in order, as many as the
 *   receiver has room for; return how many were taken. The host never
 *   overruns the receiver and never blocks: the caller keeps the rest
 *   and offers it again after the owner's rx_ready(). In loopback (MCR
 *   bit 4) the receiver is cut from the line and takes nothing. After
 *   a refusal (fewer than n taken), rx_ready(opaque) is owed: called
 *   once, the first time update() finds the receiver out of loopback
 *   with room (u->host_waiting says one is owed). End with update().
 *
 * rx_put(u, b): one character into the receiver; false, changing
 *   nothing, when it is full. A character that arrives ends a timeout
 *   indication (u->timeout_pending) and starts its four character
 *   times again (u->rx_activity_ns = now()).
 *
 * rx_overrun(u, b): a character arrived (from the loopback) with the
 *   receiver full: LSR's OE is set (u->lsr_err) and u->overruns
 *   counts it; without FIFOs it takes the place of the character in
 *   the RBR, with FIFOs it is lost and the FIFO kept as it was.
 *
 * rbr_read(u): the byte the guest reads from RBR: the oldest character,
 *   taken out of the receiver; when there is none, the last one read
 *   (u->rbr_last) again. Either way a timeout indication ends and its
 *   four character times start again.
 *
 * update(u): after every change. The interrupt line: asserted while
 *   an interrupt is pending (iir_now()) and MCR's OUT2 is set, never in
 *   loopback; the owner's irq(opaque, level) is called only when the
 *   level changes (u->irq_level holds the last one). Then
 *   arm_deadline(), and rx_ready() when it is owed (above).
 *
 * Read: the PC16550D datasheet: "Receiver Buffer Register", "Line
 * Status Register" (bits 0 and 1), "FIFO Interrupt Mode Operation",
 * "Modem Control Register" (bits 3 and 4); uart.h, the host side;
 * book §4.4.2.
 *
 * Tests: unit.uart-rx unit.uart guest.uart-loopback guest.uart-flood
 *	guest.uart-fifo.user guest.uart-fifo.split guest.uart-fifo.kernel
 *	guest.uart-echo.user guest.uart-echo.split guest.uart-echo.kernel
 *	guest.uart-pipe guest.uart-pty guest.linux.user guest.linux.split
 *	guest.linux.kernel
 * Stub: static void update(struct uart *u)
 * {
 * 	arm_deadline(u);
 * }
 *
 * static bool rx_put(struct uart *u, uint8_t b)
 * {
 * 	(void)u; (void)b;
 * 	return false;
 * }
 *
 * static void rx_overrun(struct uart *u, uint8_t b)
 * {
 * 	(void)u; (void)b;
 * }
 *
 * static uint8_t rbr_read(struct uart *u)
 * {
 * 	return u->rbr_last;
 * }
 *
 * size_t uart_rx_push(struct uart *u, const uint8_t *buf, size_t n)
 * {
 * 	(void)u; (void)buf; (void)n;
 * 	return 0;
 * }
 */
static unsigned int rx_cap(const struct uart *u)
{
	return fifo_on(u) ? UART_FIFO : 1;
}

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
/* END EXERCISE 4.rx */

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
	uint8_t v = 0xFF;

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
		v = iir_read(u);
		break;
	case 3:
		v = u->lcr;
		break;
	case 4:
		v = u->mcr;
		break;
	case 5:
		v = lsr_read(u);
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

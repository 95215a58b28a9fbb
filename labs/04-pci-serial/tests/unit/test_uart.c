/*
 * test_uart.c - the 16550A against the PC16550D datasheet: reset values
 * (Table IV), DLAB, every register's writable bits, the FIFOs and their
 * trigger levels, the character timeout (four character times),
 * interrupt priority (Table II) and the THRE interrupt's clear on IIR
 * read, LSR, MSR deltas, loopback wiring, OUT2 gating, and the host
 * side's no-loss rules (uart.h).
 */
#include <string.h>

#include "dev/uart.h"
#include "devunit.h"

static struct rec {
	uint64_t now;
	int irq, irq_changes;
	uint8_t txb[64];
	int ntx;
	bool host_full;
	uint64_t deadline;
	int rx_ready;
	int warnings;
	int unlocked_calls;	/* callbacks made without the UART's lock */
} r;

static struct uart u;

/* uart.h: irq, tx, now_ns, deadline, rx_ready run with the lock held. */
static void r_locked(void)
{
	if (pthread_mutex_trylock(&u.lock) == 0) {
		pthread_mutex_unlock(&u.lock);
		r.unlocked_calls++;
	}
}

static void r_irq(void *o, int level)
{
	(void)o;
	r_locked();
	r.irq = level;
	r.irq_changes++;
}

static bool r_tx(void *o, uint8_t b)
{
	(void)o;
	if (r.host_full || r.ntx >= 64)
		return false;
	r.txb[r.ntx++] = b;
	return true;
}

static uint64_t r_now(void *o)
{
	(void)o;
	return r.now;
}

static void r_deadline(void *o, uint64_t ns)
{
	(void)o;
	r_locked();
	r.deadline = ns;
}

static void r_rx_ready(void *o)
{
	(void)o;
	r_locked();
	r.rx_ready++;
}

static void r_warn(void *o, const char *d, const char *m)
{
	(void)o;
	(void)d;
	(void)m;
	r.warnings++;
}

static const struct uart_ops ops = {
	.irq = r_irq, .tx = r_tx, .now_ns = r_now, .deadline = r_deadline,
	.rx_ready = r_rx_ready, .warn = r_warn,
};

static void setup(void)
{
	memset(&r, 0, sizeof(r));
	r.now = 1000000000;
	uart_init(&u, &ops, NULL);
}

static void teardown(void)
{
	uart_destroy(&u);
}

static uint8_t rd(unsigned int reg)
{
	return uart_read(&u, reg);
}

static void wr(unsigned int reg, uint8_t v)
{
	uart_write(&u, reg, v);
}

static size_t push(const char *s)
{
	return uart_rx_push(&u, (const uint8_t *)s, strlen(s));
}

/* 115200 baud, 8N1: divisor 1, 10 bits. */
static void set_115200_8n1(void)
{
	wr(UART_LCR, 0x83);
	wr(UART_DLL, 1);
	wr(UART_DLM, 0);
	wr(UART_LCR, 0x03);
}

START_TEST(reset_values)
{
	ck_assert_uint_eq(rd(UART_IER), 0x00);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	ck_assert_uint_eq(rd(UART_LCR), 0x00);
	ck_assert_uint_eq(rd(UART_MCR), 0x00);
	ck_assert_uint_eq(rd(UART_LSR), 0x60);
	ck_assert_uint_eq(rd(UART_MSR), 0xB0);	/* DCD, DSR, CTS; no deltas */
	ck_assert_int_eq(r.irq, 0);
	wr(UART_SCR, 0x5A);
	ck_assert_uint_eq(rd(UART_SCR), 0x5A);
}
END_TEST

START_TEST(divisor_latch_and_char_time)
{
	wr(UART_IER, 0x05);
	wr(UART_LCR, 0x80);
	wr(UART_DLL, 0x0C);
	wr(UART_DLM, 0x01);
	ck_assert_uint_eq(rd(UART_DLL), 0x0C);
	ck_assert_uint_eq(rd(UART_DLM), 0x01);
	wr(UART_LCR, 0x03);
	ck_assert_uint_eq(rd(UART_IER), 0x05);	/* IER kept apart */
	ck_assert_int_eq(r.ntx, 0);		/* DLL write is not THR */
	/* 8N1, divisor 12 (9600): 10 bits x 12 x 16 / 1.8432 MHz. */
	wr(UART_LCR, 0x83);
	wr(UART_DLM, 0);
	wr(UART_LCR, 0x03);
	ck_assert_uint_eq(uart_char_ns(&u), 1041666);
	/* 7E1 at divisor 1: 1 + 7 + 1 + 1 = 10 bits. */
	wr(UART_LCR, 0x83);
	wr(UART_DLL, 1);
	wr(UART_LCR, 0x1A);
	ck_assert_uint_eq(uart_char_ns(&u), 86805);
	/* 5 bits, 1.5 stop: 7.5 bits. 8N2: 11 bits. */
	wr(UART_LCR, 0x04);
	ck_assert_uint_eq(uart_char_ns(&u), 65104);
	wr(UART_LCR, 0x07);
	ck_assert_uint_eq(uart_char_ns(&u), 95486);
	/* IER's upper nibble is always 0 on the 16550. */
	wr(UART_IER, 0xFF);
	ck_assert_uint_eq(rd(UART_IER), 0x0F);
	wr(UART_MCR, 0xFF);
	ck_assert_uint_eq(rd(UART_MCR), 0x1F);
	wr(UART_LCR, 0x5B);
	ck_assert_uint_eq(rd(UART_LCR), 0x5B);
}
END_TEST

START_TEST(transmit_to_host)
{
	wr(UART_THR, 'h');
	wr(UART_THR, 'i');
	ck_assert_int_eq(r.ntx, 2);
	ck_assert_mem_eq(r.txb, "hi", 2);
	ck_assert_uint_eq(rd(UART_LSR), 0x60);
}
END_TEST

START_TEST(transmit_backpressure)
{
	int i;

	wr(UART_FCR, 0x01);
	r.host_full = true;
	wr(UART_THR, 'a');
	ck_assert_uint_eq(rd(UART_LSR) & 0x60, 0);	/* THRE, TEMT clear */
	for (i = 1; i < 16; i++)
		wr(UART_THR, (uint8_t)('a' + i));
	ck_assert_int_eq(r.warnings, 0);
	wr(UART_THR, 'X');			/* 17th: the guest overran */
	ck_assert_int_eq(r.warnings, 1);
	r.host_full = false;
	uart_tx_kick(&u);
	ck_assert_int_eq(r.ntx, 16);
	ck_assert_mem_eq(r.txb, "abcdefghijklmnop", 16);
	ck_assert_uint_eq(rd(UART_LSR) & 0x60, 0x60);
	/* Without the FIFO the THR holds one byte. */
	wr(UART_FCR, 0x00);
	r.host_full = true;
	wr(UART_THR, '1');
	wr(UART_THR, '2');
	ck_assert_int_eq(r.warnings, 1);	/* once per kind */
	r.host_full = false;
	uart_tx_kick(&u);
	ck_assert_int_eq(r.ntx, 17);
	ck_assert_uint_eq(r.txb[16], '1');
}
END_TEST

START_TEST(thre_interrupt_rules)
{
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_ETBEI);		/* THR empty: at once */
	ck_assert_int_eq(r.irq, 1);
	ck_assert_uint_eq(rd(UART_IIR), 0x02);
	/* Reading IIR with THRE the source cleared it. */
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	ck_assert_int_eq(r.irq, 0);
	/* Writing THR (sent at once) empties the THR again: THRE. */
	wr(UART_THR, 'x');
	ck_assert_uint_eq(rd(UART_IIR), 0x02);
	/* Re-writing IER with ETBEI already set raises nothing new. */
	wr(UART_IER, UART_IER_ETBEI);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	/* A held byte: no THRE until the host took it. */
	r.host_full = true;
	wr(UART_THR, 'y');
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	r.host_full = false;
	uart_tx_kick(&u);
	ck_assert_uint_eq(rd(UART_IIR), 0x02);
	/* A kick with nothing to send raises nothing. */
	uart_tx_kick(&u);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	/* THR write clears a pending THRE. */
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_ETBEI);		/* THRE pending again */
	r.host_full = true;
	wr(UART_THR, 'z');
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
}
END_TEST

START_TEST(receive_no_fifo)
{
	wr(UART_IER, UART_IER_ERBFI);
	wr(UART_MCR, UART_MCR_OUT2);
	ck_assert_uint_eq(push("abc"), 1);	/* RBR holds one */
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(rd(UART_IIR), 0x04);	/* no FIFO bits */
	ck_assert_int_eq(r.irq, 1);
	ck_assert_uint_eq(rd(UART_RBR), 'a');
	ck_assert_int_eq(r.irq, 0);
	ck_assert_int_eq(r.rx_ready, 1);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	ck_assert_uint_eq(push("bc"), 1);
	ck_assert_uint_eq(rd(UART_RBR), 'b');
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	ck_assert_uint_eq(rd(UART_RBR), 'b');	/* empty: the last again */
}
END_TEST

START_TEST(fifo_holds_16)
{
	const char *s = "0123456789ABCDEFGHIJ";
	int i;

	wr(UART_FCR, 0x01);
	ck_assert_uint_eq(rd(UART_IIR) & 0xC0, 0xC0);
	ck_assert_uint_eq(push(s), 16);
	for (i = 0; i < 16; i++)
		ck_assert_uint_eq(rd(UART_RBR), (uint8_t)s[i]);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	ck_assert_uint_eq(push(s + 16), 4);
	ck_assert_uint_eq(rd(UART_RBR), 'G');
}
END_TEST

static void trigger_case(uint8_t fcr, unsigned int level)
{
	unsigned int i;

	teardown();				/* a fresh UART per level */
	setup();
	wr(UART_IER, UART_IER_ERBFI);
	wr(UART_FCR, fcr);
	for (i = 1; i < level; i++) {
		ck_assert_uint_eq(push("x"), 1);
		ck_assert_uint_eq(rd(UART_IIR), 0xC1);
	}
	ck_assert_uint_eq(push("y"), 1);
	ck_assert_uint_eq(rd(UART_IIR), 0xC4);
	rd(UART_RBR);				/* below the level again */
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);
}

START_TEST(trigger_levels)
{
	trigger_case(0x01, 1);
	trigger_case(0x41, 4);
	trigger_case(0x81, 8);
	trigger_case(0xC1, 14);
}
END_TEST

START_TEST(character_timeout)
{
	uint64_t ct, t0;

	set_115200_8n1();
	ct = uart_char_ns(&u);
	ck_assert_uint_eq(ct, 86805);
	wr(UART_IER, UART_IER_ERBFI);
	wr(UART_FCR, 0x81);			/* trigger 8 */
	t0 = r.now;
	ck_assert_uint_eq(push("ab"), 2);
	ck_assert_uint_eq(r.deadline, t0 + 4 * ct);
	r.now = t0 + 4 * ct - 1;
	uart_service(&u);
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);
	r.now = t0 + 4 * ct;
	uart_service(&u);
	ck_assert_uint_eq(rd(UART_IIR), 0xCC);
	/* Reading RBR clears it and restarts the four character times. */
	ck_assert_uint_eq(rd(UART_RBR), 'a');
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);
	ck_assert_uint_eq(r.deadline, r.now + 4 * ct);
	r.now += 4 * ct;
	ck_assert_uint_eq(rd(UART_IIR), 0xCC);
	ck_assert_uint_eq(rd(UART_RBR), 'b');
	r.now += 100 * ct;			/* empty FIFO: no timeout */
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);
	/* A new byte restarts the timer too. */
	push("c");
	r.now += 3 * ct;
	push("d");
	r.now += 3 * ct;
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);
	r.now += ct;
	ck_assert_uint_eq(rd(UART_IIR), 0xCC);
}
END_TEST

START_TEST(no_timeout_without_fifo)
{
	wr(UART_IER, UART_IER_ERBFI);
	push("a");
	r.now += 1000000000;
	ck_assert_uint_eq(rd(UART_IIR), 0x04);
}
END_TEST

START_TEST(interrupt_priority)
{
	int i;

	set_115200_8n1();
	wr(UART_FCR, 0x01);
	/* In loopback, a 17th byte finds the FIFO full: an overrun. */
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	for (i = 0; i < 17; i++)
		wr(UART_THR, (uint8_t)('a' + i));
	/* Back on the line: MSR shows the host's lines, then DCD and CTS
	 * drop (deltas DCTS, DDSR from the switches, DDCD). */
	wr(UART_MCR, UART_MCR_OUT2);
	uart_set_modem_lines(&u, UART_MSR_DSR);
	wr(UART_IER, 0x0F);			/* + THRE at once */
	ck_assert_int_eq(r.irq, 1);
	ck_assert_uint_eq(rd(UART_IIR), 0xC6);	/* line status first */
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_OE, UART_LSR_OE);
	ck_assert_uint_eq(rd(UART_IIR), 0xC4);	/* then received data */
	for (i = 0; i < 16; i++)
		ck_assert_uint_eq(rd(UART_RBR), 'a' + i);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	ck_assert_uint_eq(rd(UART_IIR), 0xC2);	/* then THRE, cleared */
	ck_assert_uint_eq(rd(UART_IIR), 0xC0);	/* then modem status */
	ck_assert_uint_eq(rd(UART_MSR), 0x2B);	/* DSR; DDCD, DDSR, DCTS */
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);
	ck_assert_int_eq(r.irq, 0);
}
END_TEST

START_TEST(out2_gates_the_irq)
{
	wr(UART_IER, UART_IER_ERBFI);
	push("a");
	ck_assert_uint_eq(rd(UART_IIR), 0x04);
	ck_assert_int_eq(r.irq, 0);
	wr(UART_MCR, UART_MCR_OUT2);
	ck_assert_int_eq(r.irq, 1);
	wr(UART_MCR, 0);
	ck_assert_int_eq(r.irq, 0);
}
END_TEST

START_TEST(host_flow_control_never_overruns)
{
	uint8_t full[16];
	uint64_t ct;
	int i;

	set_115200_8n1();
	ct = uart_char_ns(&u);
	memset(full, 'a', sizeof(full));
	wr(UART_FCR, 0x01);
	wr(UART_IER, UART_IER_ELSI);
	wr(UART_MCR, UART_MCR_OUT2);
	ck_assert_uint_eq(uart_rx_push(&u, full, 16), 16);
	ck_assert_uint_eq(push("Z"), 0);	/* backpressure */
	ck_assert_int_eq(r.rx_ready, 0);
	/* However long the guest leaves it full, the host overruns nothing. */
	r.now += 100 * ct;
	uart_service(&u);
	ck_assert_int_eq(r.irq, 0);
	ck_assert_uint_eq(rd(UART_LSR), 0x61);	/* DR, THRE, TEMT */
	ck_assert_uint_eq(push("Z"), 0);
	ck_assert_int_eq(r.rx_ready, 0);
	/* The guest reads: the owner is told, and its byte goes in. */
	ck_assert_uint_eq(rd(UART_RBR), 'a');
	ck_assert_int_eq(r.rx_ready, 1);
	ck_assert_uint_eq(push("Z"), 1);
	for (i = 0; i < 15; i++)
		ck_assert_uint_eq(rd(UART_RBR), 'a');
	ck_assert_uint_eq(rd(UART_RBR), 'Z');
	ck_assert_uint_eq(u.overruns, 0);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_OE, 0);
	ck_assert_int_eq(r.rx_ready, 1);	/* nothing was refused since */
}
END_TEST

START_TEST(room_again_tells_the_host)
{
	uint8_t full[16];

	memset(full, 'b', sizeof(full));
	wr(UART_FCR, 0x01);
	ck_assert_uint_eq(uart_rx_push(&u, full, 16), 16);
	ck_assert_uint_eq(push("x"), 0);
	/* A receiver FIFO reset makes room: the host may push again. */
	wr(UART_FCR, 0x03);
	ck_assert_int_eq(r.rx_ready, 1);
	ck_assert_uint_eq(push("x"), 1);
	/* In loopback the line is cut: refused, and told at its end. */
	wr(UART_MCR, UART_MCR_LOOP);
	ck_assert_uint_eq(push("y"), 0);
	ck_assert_int_eq(r.rx_ready, 1);
	wr(UART_MCR, 0);
	ck_assert_int_eq(r.rx_ready, 2);
	ck_assert_uint_eq(push("y"), 1);
	ck_assert_uint_eq(rd(UART_RBR), 'x');
	ck_assert_uint_eq(rd(UART_RBR), 'y');
	/* Without FIFOs the receiver holds one byte. */
	wr(UART_FCR, 0x00);
	ck_assert_uint_eq(push("pq"), 1);
	ck_assert_int_eq(r.rx_ready, 2);
	ck_assert_uint_eq(rd(UART_RBR), 'p');
	ck_assert_int_eq(r.rx_ready, 3);
	ck_assert_uint_eq(push("q"), 1);
	ck_assert_uint_eq(rd(UART_RBR), 'q');
}
END_TEST

START_TEST(prompt_reader_sees_no_overrun)
{
	uint8_t full[16];

	memset(full, 'a', sizeof(full));
	wr(UART_FCR, 0x01);
	uart_rx_push(&u, full, 16);
	ck_assert_uint_eq(push("b"), 0);
	r.now += uart_char_ns(&u) - 1;		/* read within a character */
	rd(UART_RBR);
	ck_assert_uint_eq(push("b"), 1);
	r.now += 100 * uart_char_ns(&u);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_OE, 0);
}
END_TEST

START_TEST(fcr_rules)
{
	wr(UART_FCR, 0x01);
	push("abc");
	wr(UART_FCR, 0x03);			/* RX reset */
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	push("abc");
	wr(UART_FCR, 0x00);			/* leaving FIFO mode empties */
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	ck_assert_uint_eq(rd(UART_IIR) & 0xC0, 0);
	/* Bits other than 0 are not written without bit 0. */
	wr(UART_FCR, 0xC0);
	ck_assert_uint_eq(rd(UART_IIR) & 0xC0, 0);
	wr(UART_FCR, 0x01);
	wr(UART_IER, UART_IER_ERBFI);
	push("a");
	ck_assert_uint_eq(rd(UART_IIR), 0xC4);	/* trigger 1, not 14 */
	/* TX reset drops what the host has not taken. */
	r.host_full = true;
	wr(UART_THR, 'q');
	wr(UART_FCR, 0x05);
	r.host_full = false;
	uart_tx_kick(&u);
	ck_assert_int_eq(r.ntx, 0);
	ck_assert_uint_eq(rd(UART_LSR) & 0x60, 0x60);
	/* Emptied by the reset: the THRE interrupt, as any emptying. */
	wr(UART_IER, UART_IER_ETBEI);
	rd(UART_IIR);
	r.host_full = true;
	wr(UART_THR, 'q');
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);
	wr(UART_FCR, 0x05);
	ck_assert_uint_eq(rd(UART_IIR), 0xC2);
}
END_TEST

START_TEST(loopback)
{
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_THR, 'L');
	ck_assert_int_eq(r.ntx, 0);		/* nothing on the line */
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(rd(UART_RBR), 'L');
	ck_assert_uint_eq(push("h"), 0);	/* the line is cut: waits */
	/* Outputs to inputs: DTR-DSR, RTS-CTS, OUT1-RI, OUT2-DCD. */
	ck_assert_uint_eq(rd(UART_MSR), 0x0B);	/* all three fell */
	wr(UART_MCR, UART_MCR_LOOP | 0x0F);
	ck_assert_uint_eq(rd(UART_MSR), 0xFB);
	wr(UART_MCR, UART_MCR_LOOP | 0x0A);	/* Linux's probe */
	ck_assert_uint_eq(rd(UART_MSR) & 0xF0, 0x90);
	ck_assert_uint_eq(rd(UART_MSR) & 0x0F, 0);
	/* RI falling sets TERI; rising does not. */
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	ck_assert_uint_eq(rd(UART_MSR), 0x49);
	wr(UART_MCR, UART_MCR_LOOP);
	ck_assert_uint_eq(rd(UART_MSR), 0x04);
	/* No IRQ in loopback even with OUT2: the pin is forced off. */
	wr(UART_IER, UART_IER_ERBFI);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	wr(UART_THR, 'M');
	ck_assert_uint_eq(rd(UART_IIR), 0x04);
	ck_assert_int_eq(r.irq, 0);
	wr(UART_MCR, UART_MCR_OUT2);
	ck_assert_int_eq(r.irq, 1);
	ck_assert_uint_eq(push("h"), 0);	/* RBR still full */
	ck_assert_uint_eq(rd(UART_RBR), 'M');
	ck_assert_uint_eq(push("h"), 1);
}
END_TEST

START_TEST(loopback_overrun_without_fifo_keeps_newer)
{
	/* LSR bit 1: the previous character in the RBR is destroyed. */
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_THR, '1');
	wr(UART_THR, '2');			/* RBR full: overrun */
	ck_assert_uint_eq(rd(UART_LSR) & 0x03, 0x03);
	ck_assert_uint_eq(u.overruns, 1);
	ck_assert_uint_eq(rd(UART_RBR), '2');
	ck_assert_uint_eq(rd(UART_LSR) & 0x03, 0x00);
}
END_TEST

START_TEST(loopback_overrun_with_fifo_loses_newer)
{
	int i;

	/* With FIFOs the 17th character is overwritten in the shift
	 * register and never reaches the FIFO. */
	wr(UART_FCR, 0x01);
	wr(UART_MCR, UART_MCR_LOOP);
	for (i = 0; i < 17; i++)
		wr(UART_THR, (uint8_t)('A' + i));
	ck_assert_uint_eq(rd(UART_LSR) & 0x03, 0x03);
	for (i = 0; i < 16; i++)
		ck_assert_uint_eq(rd(UART_RBR), 'A' + i);
	ck_assert_uint_eq(rd(UART_LSR) & 0x01, 0x00);
	ck_assert_uint_eq(u.overruns, 1);
}
END_TEST

START_TEST(modem_status_interrupt)
{
	wr(UART_IER, UART_IER_EDSSI);
	wr(UART_MCR, UART_MCR_OUT2);
	ck_assert_int_eq(r.irq, 0);
	uart_set_modem_lines(&u, 0xF0);		/* RI rises */
	ck_assert_uint_eq(rd(UART_IIR), 0x01);	/* TERI: trailing only */
	uart_set_modem_lines(&u, 0x30);		/* DCD, RI fall */
	ck_assert_int_eq(r.irq, 1);
	ck_assert_uint_eq(rd(UART_IIR), 0x00);
	ck_assert_uint_eq(rd(UART_MSR), 0x3C);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	ck_assert_int_eq(r.irq, 0);
	/* Writes to LSR and MSR change nothing. */
	wr(UART_LSR, 0xFF);
	wr(UART_MSR, 0xFF);
	ck_assert_uint_eq(rd(UART_LSR), 0x60);
	ck_assert_uint_eq(rd(UART_MSR), 0x30);
}
END_TEST

START_TEST(master_reset)
{
	wr(UART_LCR, 0x83);
	wr(UART_DLL, 3);
	wr(UART_LCR, 0x03);
	wr(UART_IER, 0x0F);
	wr(UART_FCR, 0xC1);
	wr(UART_MCR, 0x0B);
	wr(UART_SCR, 0x77);
	push("abc");
	uart_reset(&u);
	ck_assert_uint_eq(rd(UART_IER), 0);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	ck_assert_uint_eq(rd(UART_LCR), 0);
	ck_assert_uint_eq(rd(UART_MCR), 0);
	ck_assert_uint_eq(rd(UART_LSR), 0x60);
	ck_assert_uint_eq(rd(UART_SCR), 0x77);
	wr(UART_LCR, 0x80);
	ck_assert_uint_eq(rd(UART_DLL), 3);
}
END_TEST

/* ---- exercise 4.iir: interrupt identification ---- */

START_TEST(iir_fifo_bits)
{
	ck_assert_msg(rd(UART_IIR) == 0x01,
		      "4.iir: IIR without FIFOs, nothing pending, must read 0x01");
	wr(UART_FCR, 0xC1);
	ck_assert_msg(rd(UART_IIR) == 0xC1,
		      "4.iir: IIR in FIFO mode must have bits 7:6 set (0xC1)");
	wr(UART_FCR, 0x41);
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);	/* not FCR's own 7:6 */
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_ETBEI);
	ck_assert_uint_eq(rd(UART_IIR), 0xC2);
	wr(UART_FCR, 0x00);
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_ETBEI);
	ck_assert_msg(rd(UART_IIR) == 0x02,
		      "4.iir: IIR bits 7:6 must be clear without FIFOs");
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
}
END_TEST

/* Table "Interrupt Control Functions": each source needs its IER bit. */
START_TEST(iir_each_cause_needs_its_enable)
{
	set_115200_8n1();
	wr(UART_MCR, UART_MCR_OUT2);
	/* Line status: an overrun, in loopback. */
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	wr(UART_THR, '1');
	wr(UART_THR, '2');
	wr(UART_MCR, UART_MCR_OUT2);
	rd(UART_MSR);				/* the loopback's deltas */
	wr(UART_IER, (uint8_t)~UART_IER_ELSI & 0x0D);
	ck_assert_msg(rd(UART_IIR) == 0x04,
		      "4.iir: an error in LSR without IER's ELSI is no interrupt");
	wr(UART_IER, UART_IER_ELSI);
	ck_assert_uint_eq(rd(UART_IIR), 0x06);
	ck_assert_int_eq(r.irq, 1);
	/* Received data without ERBFI: nothing once LSR was read. */
	rd(UART_LSR);
	ck_assert_msg(rd(UART_IIR) == 0x01,
		      "4.iir: received data without IER's ERBFI is no interrupt");
	ck_assert_int_eq(r.irq, 0);
	wr(UART_IER, UART_IER_ERBFI);
	ck_assert_uint_eq(rd(UART_IIR), 0x04);
	rd(UART_RBR);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	/* Modem status without EDSSI. */
	uart_set_modem_lines(&u, 0);
	wr(UART_IER, UART_IER_ERBFI | UART_IER_ELSI);
	ck_assert_msg(rd(UART_IIR) == 0x01,
		      "4.iir: a modem status change without IER's EDSSI is no interrupt");
	wr(UART_IER, UART_IER_EDSSI);
	ck_assert_uint_eq(rd(UART_IIR), 0x00);
	ck_assert_int_eq(r.irq, 1);
	ck_assert_uint_eq(rd(UART_MSR), 0x0B);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	/* Each delta alone: CTS, DSR, RI's trailing edge, DCD. */
	uart_set_modem_lines(&u, UART_MSR_CTS);
	ck_assert_msg(rd(UART_IIR) == 0x00,
		      "4.iir: DCTS alone is a modem status interrupt");
	ck_assert_uint_eq(rd(UART_MSR), 0x11);
	uart_set_modem_lines(&u, UART_MSR_CTS | UART_MSR_DSR);
	ck_assert_uint_eq(rd(UART_IIR), 0x00);
	ck_assert_uint_eq(rd(UART_MSR), 0x32);
	uart_set_modem_lines(&u, UART_MSR_CTS | UART_MSR_DSR | UART_MSR_RI);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);	/* RI rising: nothing */
	uart_set_modem_lines(&u, UART_MSR_CTS | UART_MSR_DSR);
	ck_assert_uint_eq(rd(UART_IIR), 0x00);
	ck_assert_uint_eq(rd(UART_MSR), 0x34);
	uart_set_modem_lines(&u, 0xB0);
	ck_assert_uint_eq(rd(UART_IIR), 0x00);
	ck_assert_uint_eq(rd(UART_MSR), 0xB8);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
}
END_TEST

START_TEST(iir_read_clears_only_thre)
{
	wr(UART_MCR, UART_MCR_OUT2);
	push("a");
	uart_set_modem_lines(&u, UART_MSR_DSR);	/* DDCD, DCTS */
	wr(UART_IER, 0x0F);
	/* THRE is pending under RDA: reading IIR there must keep it. */
	ck_assert_uint_eq(rd(UART_IIR), 0x04);
	ck_assert_uint_eq(rd(UART_IIR), 0x04);
	ck_assert_uint_eq(rd(UART_RBR), 'a');
	ck_assert_msg(rd(UART_IIR) == 0x02,
		      "4.iir: a read of IIR identifying another source must not clear THRE");
	/* Modem status is cleared by reading MSR, not IIR. */
	ck_assert_uint_eq(rd(UART_IIR), 0x00);
	ck_assert_msg(rd(UART_IIR) == 0x00,
		      "4.iir: reading IIR must not clear the modem status interrupt");
	ck_assert_int_eq(r.irq, 1);
	rd(UART_MSR);
	ck_assert_uint_eq(rd(UART_IIR), 0x01);
	ck_assert_int_eq(r.irq, 0);
}
END_TEST

START_TEST(lsr_read_clears_errors)
{
	wr(UART_IER, UART_IER_ELSI | UART_IER_ERBFI);
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_THR, '1');
	wr(UART_THR, '2');			/* overrun, no FIFO */
	ck_assert_uint_eq(rd(UART_IIR), 0x06);
	ck_assert_msg(rd(UART_IIR) == 0x06,
		      "4.iir: reading IIR must not clear the line status interrupt");
	ck_assert_uint_eq(rd(UART_LSR), 0x63);	/* DR OE THRE TEMT */
	ck_assert_msg(rd(UART_LSR) == 0x61,
		      "4.iir: reading LSR must clear OE and keep DR");
	ck_assert_uint_eq(rd(UART_IIR), 0x04);
}
END_TEST

START_TEST(cti_is_below_rda_above_thre)
{
	uint64_t ct;
	int i;

	set_115200_8n1();
	ct = uart_char_ns(&u);
	wr(UART_FCR, 0x41);			/* trigger 4 */
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_ERBFI | UART_IER_ETBEI);
	ck_assert_uint_eq(rd(UART_IIR), 0xC2);	/* THRE, now cleared */
	wr(UART_IER, UART_IER_ERBFI);
	wr(UART_IER, UART_IER_ERBFI | UART_IER_ETBEI);
	push("ab");
	r.now += 4 * ct;
	ck_assert_msg(rd(UART_IIR) == 0xCC,
		      "4.iir: a character timeout ranks above THR empty");
	ck_assert_uint_eq(rd(UART_IIR), 0xCC);	/* IIR does not clear it */
	wr(UART_IER, UART_IER_ETBEI);
	ck_assert_msg(rd(UART_IIR) == 0xC2,
		      "4.iir: the character timeout needs IER's ERBFI");
	wr(UART_IER, UART_IER_ERBFI | UART_IER_ETBEI);
	push("cd");				/* at the level: RDA */
	r.now += 4 * ct;
	ck_assert_msg(rd(UART_IIR) == 0xC4,
		      "4.iir: received data available ranks above the timeout");
	for (i = 0; i < 4; i++)
		rd(UART_RBR);
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);	/* THRE was read above */
	ck_assert_int_eq(r.irq, 0);
}
END_TEST

/* The timeout counts character times at whatever rate the line runs. */
START_TEST(timeout_at_9600_7e2)
{
	uint64_t ct, t0;

	wr(UART_LCR, 0x80);
	wr(UART_DLL, 12);
	wr(UART_DLM, 0);
	wr(UART_LCR, 0x1E);			/* 7 bits, even parity, 2 stop */
	ct = uart_char_ns(&u);
	ck_assert_uint_eq(ct, 1145833);		/* 11 bits x 12 x 16 / 1.8432 MHz */
	wr(UART_FCR, 0xC1);
	wr(UART_IER, UART_IER_ERBFI);
	t0 = r.now;
	push("z");
	r.now = t0 + 4 * ct - 1;
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);
	r.now = t0 + 4 * ct;
	ck_assert_msg(rd(UART_IIR) == 0xCC,
		      "4.iir: the timeout comes after four character times exactly");
	/* It stays until the FIFO is read, however long that takes. */
	r.now += 1000 * ct;
	ck_assert_uint_eq(rd(UART_IIR), 0xCC);
	ck_assert_uint_eq(rd(UART_RBR), 'z');
	r.now += 1000 * ct;
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);
}
END_TEST

/* ---- exercise 4.rx: the receive path ---- */

START_TEST(rx_in_order_none_twice)
{
	const char *s = "The quick brown fox jumps";	/* 25 bytes */
	size_t taken = 0, n;
	char got[32];
	int i = 0;

	wr(UART_FCR, 0x01);
	while (taken < strlen(s)) {
		n = uart_rx_push(&u, (const uint8_t *)s + taken, strlen(s) - taken);
		ck_assert_msg(n <= 16 && n > 0,
			      "4.rx: the FIFO takes what it has room for");
		taken += n;
		while (rd(UART_LSR) & UART_LSR_DR)
			got[i++] = (char)rd(UART_RBR);
	}
	got[i] = 0;
	ck_assert_msg(!strcmp(got, s),
		      "4.rx: every byte once, in order: got \"%s\"", got);
	ck_assert_uint_eq(rd(UART_LSR) & (UART_LSR_OE | UART_LSR_DR), 0);
}
END_TEST

START_TEST(rx_irq_level_follows_the_fifo)
{
	wr(UART_FCR, 0x41);			/* trigger 4 */
	wr(UART_IER, UART_IER_ERBFI);
	wr(UART_MCR, UART_MCR_OUT2);
	push("abc");
	ck_assert_int_eq(r.irq, 0);
	ck_assert_int_eq(r.irq_changes, 0);
	push("d");
	ck_assert_msg(r.irq == 1, "4.rx: IRQ 4 must rise at the trigger level");
	push("ef");
	ck_assert_msg(r.irq_changes == 1,
		      "4.rx: irq() is called only when the level changes");
	rd(UART_RBR);
	rd(UART_RBR);
	ck_assert_int_eq(r.irq, 1);		/* still 4 */
	rd(UART_RBR);
	ck_assert_msg(r.irq == 0,
		      "4.rx: IRQ 4 must fall when the guest reads below the level");
	ck_assert_int_eq(r.irq_changes, 2);
	/* OUT2 and loopback gate it. */
	push("gh");
	ck_assert_int_eq(r.irq, 1);
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	ck_assert_msg(r.irq == 0, "4.rx: no IRQ in loopback");
	wr(UART_MCR, UART_MCR_OUT2);
	ck_assert_int_eq(r.irq, 1);
	wr(UART_MCR, 0);
	ck_assert_msg(r.irq == 0, "4.rx: no IRQ without OUT2");
	ck_assert_int_eq(r.irq_changes, 6);
	ck_assert_msg(r.unlocked_calls == 0,
		      "4.rx: irq(), deadline() and rx_ready() run with the UART's lock held (uart.h)");
}
END_TEST

START_TEST(rx_restarts_the_timeout)
{
	uint64_t ct, t0;

	set_115200_8n1();
	ct = uart_char_ns(&u);
	wr(UART_FCR, 0xC1);
	wr(UART_IER, UART_IER_ERBFI);
	t0 = r.now;
	push("a");
	ck_assert_uint_eq(r.deadline, t0 + 4 * ct);
	r.now = t0 + 3 * ct;
	push("b");
	ck_assert_msg(r.deadline == t0 + 7 * ct,
		      "4.rx: a character received restarts the four character times");
	r.now = t0 + 7 * ct - 1;
	ck_assert_uint_eq(rd(UART_IIR), 0xC1);
	r.now = t0 + 7 * ct;
	ck_assert_uint_eq(rd(UART_IIR), 0xCC);
	/* A new character ends the indication. */
	push("c");
	ck_assert_msg(rd(UART_IIR) == 0xC1,
		      "4.rx: a character received ends the timeout indication");
	r.now += 2 * ct;
	ck_assert_uint_eq(rd(UART_RBR), 'a');
	ck_assert_msg(r.deadline == r.now + 4 * ct,
		      "4.rx: a read of RBR restarts the four character times");
	/* An empty RBR read also restarts them (and ends nothing else). */
	rd(UART_RBR);
	rd(UART_RBR);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	ck_assert_uint_eq(rd(UART_RBR), 'c');
}
END_TEST

START_TEST(rx_rx_ready_once_per_refusal)
{
	wr(UART_FCR, 0x01);
	ck_assert_uint_eq(push("0123456789abcdefXY"), 16);
	ck_assert_int_eq(r.rx_ready, 0);
	ck_assert_uint_eq(push("XY"), 0);
	rd(UART_RBR);
	ck_assert_msg(r.rx_ready == 1, "4.rx: rx_ready() when room comes back");
	rd(UART_RBR);
	ck_assert_msg(r.rx_ready == 1,
		      "4.rx: rx_ready() once per refusal, not at every read");
	ck_assert_uint_eq(push("XY"), 2);
	rd(UART_RBR);
	ck_assert_int_eq(r.rx_ready, 1);	/* nothing refused since */
	/* A push that fits whole owes nothing. */
	ck_assert_uint_eq(push("Z"), 1);
	rd(UART_RBR);
	ck_assert_int_eq(r.rx_ready, 1);
	ck_assert_msg(r.unlocked_calls == 0,
		      "4.rx: irq(), deadline() and rx_ready() run with the UART's lock held (uart.h)");
}
END_TEST

static Suite *uart_make(const char *name, const TTest **tests,
			unsigned int n)
{
	Suite *s = suite_create(name);
	TCase *t = tcase_create(name);
	unsigned int i;

	tcase_add_checked_fixture(t, setup, teardown);
	for (i = 0; i < n; i++)
		tcase_add_test(t, tests[i]);
	suite_add_tcase(s, t);
	return s;
}

Suite *uart_suite(void)
{
	const TTest *tests[] = {
		reset_values, divisor_latch_and_char_time, transmit_to_host,
		transmit_backpressure, fcr_rules, loopback,
		modem_status_interrupt, master_reset,
	};

	return uart_make("uart", tests, sizeof(tests) / sizeof(tests[0]));
}

/* Exercise 4.iir's checks: each fails with its stub. */
Suite *uart_iir_suite(void)
{
	const TTest *tests[] = {
		thre_interrupt_rules, no_timeout_without_fifo,
		interrupt_priority, character_timeout, iir_fifo_bits,
		iir_each_cause_needs_its_enable, iir_read_clears_only_thre,
		lsr_read_clears_errors, cti_is_below_rda_above_thre,
		timeout_at_9600_7e2, trigger_levels,
	};

	return uart_make("uart-iir", tests, sizeof(tests) / sizeof(tests[0]));
}

/* Exercise 4.rx's checks: each fails with its stub. */
Suite *uart_rx_suite(void)
{
	const TTest *tests[] = {
		receive_no_fifo, fifo_holds_16, out2_gates_the_irq,
		host_flow_control_never_overruns, room_again_tells_the_host,
		prompt_reader_sees_no_overrun,
		loopback_overrun_without_fifo_keeps_newer,
		loopback_overrun_with_fifo_loses_newer, rx_in_order_none_twice,
		rx_irq_level_follows_the_fifo, rx_restarts_the_timeout,
		rx_rx_ready_once_per_refusal,
	};

	return uart_make("uart-rx", tests, sizeof(tests) / sizeof(tests[0]));
}

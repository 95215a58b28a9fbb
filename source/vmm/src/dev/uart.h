/* @@ file 04 */
/*
 * uart.h - the 16550A UART (COM1 at 0x3F8, IRQ 4 on a PC): RBR/THR,
 * DLL/DLM with DLAB, IER, IIR/FCR with the 16-byte FIFOs, LCR, MCR with
 * loopback, LSR, MSR, SCR (book §4.4; TI/National PC16550D datasheet,
 * "Register Description", Table II "Interrupt Control Functions").
 *
 * Time: the character timeout needs "character times": one character is 1 start + 5-8 data + parity + 1/1.5/2 stop
 * bits, each bit 16 cycles of the 1.8432 MHz clock divided by the
 * divisor latch (0 counts as 65536), on the owner's clock now_ns().
 *
 * Host side, no byte lost or duplicated (guests/README.md, "COM1"):
 * - transmit: tx(byte) returns false when the host cannot take it; the
 *   byte stays in the TX FIFO (THRE and TEMT clear) until
 *   uart_tx_kick(). A guest that writes THR anyway loses that byte, as
 *   the datasheet says (warned once).
 * - receive: uart_rx_push() takes what fits (the RBR, or the RX FIFO's
 *   free space) and returns how many; the owner keeps the rest and
 *   pushes it again after rx_ready(). The host is flow-controlled: it
 *   never overruns the receiver (OE comes from loopback only).
 * - a FIFO reset or mode change by the guest (FCR) drops what the RX
 *   FIFO holds, as the chip does: the guest asked for it (Linux does it
 *   when it opens the port).
 * - in loopback the receiver is cut from the line: host bytes wait, and
 *   the guest's own bytes loop back (a loopback byte that finds the FIFO
 *   full is lost with OE: that is the guest's own doing).
 *
 * Interrupt line: the INTRPT output ANDed with MCR OUT2, which a PC uses
 * to gate the IRQ; in loopback the outputs are forced inactive, so no
 * IRQ reaches the PIC while MCR bit 4 is set.
 *
 * Locking: struct uart has one mutex, taken by every public function.
 * irq, tx, now_ns, deadline, rx_ready and warn are called WITH it held:
 * they must not call back into the UART (irq goes on to the GSI router;
 * rx_ready and deadline only record and kick the owner's loop).
 */
#ifndef VMM_UART_H
#define VMM_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irq/irqwarn.h"

#define UART_FIFO	16
#define UART_CLOCK_HZ	1843200u

/* Registers (offset from the base). */
#define UART_RBR	0	/* read, DLAB 0 */
#define UART_THR	0	/* write, DLAB 0 */
#define UART_DLL	0	/* DLAB 1 */
#define UART_IER	1	/* DLAB 0 */
#define UART_DLM	1	/* DLAB 1 */
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define UART_IER_ERBFI	0x01
#define UART_IER_ETBEI	0x02
#define UART_IER_ELSI	0x04
#define UART_IER_EDSSI	0x08

#define UART_IIR_NONE	0x01
#define UART_IIR_RLS	0x06
#define UART_IIR_RDA	0x04
#define UART_IIR_CTI	0x0C
#define UART_IIR_THRE	0x02
#define UART_IIR_MSR	0x00
#define UART_IIR_FIFO	0xC0

#define UART_FCR_ENABLE	0x01
#define UART_FCR_RXRST	0x02
#define UART_FCR_TXRST	0x04
#define UART_FCR_DMA	0x08

#define UART_LCR_DLAB	0x80

#define UART_MCR_DTR	0x01
#define UART_MCR_RTS	0x02
#define UART_MCR_OUT1	0x04
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10

#define UART_LSR_DR	0x01
#define UART_LSR_OE	0x02
#define UART_LSR_PE	0x04
#define UART_LSR_FE	0x08
#define UART_LSR_BI	0x10
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_LSR_FIFOE	0x80

#define UART_MSR_DCTS	0x01
#define UART_MSR_DDSR	0x02
#define UART_MSR_TERI	0x04
#define UART_MSR_DDCD	0x08
#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

struct uart_ops {
	void (*irq)(void *opaque, int level);
	/* Take one byte for the host; false = not now (kept, retried). */
	bool (*tx)(void *opaque, uint8_t byte);
	uint64_t (*now_ns)(void *opaque);
	/* Call uart_service() at or after `ns` (an early or late call is
	 * harmless; a later request replaces an earlier one). */
	void (*deadline)(void *opaque, uint64_t ns);
	/* The RX FIFO has room again after refusing host bytes. */
	void (*rx_ready)(void *opaque);
	irqwarn_fn *warn;
};

struct uart {
	pthread_mutex_t lock;
	uint8_t rx[UART_FIFO], tx[UART_FIFO];
	unsigned int rx_head, rx_count, tx_head, tx_count;
	uint8_t rbr_last;		/* what an empty RBR reads */
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	uint8_t lsr_err;		/* OE (PE/FE/BI never happen) */
	uint8_t msr_delta;		/* bits 3:0 */
	uint8_t modem_in;		/* host lines: CTS DSR RI DCD (7:4) */
	uint8_t msr_lines;		/* what MSR 7:4 show now */
	bool thre_pending;		/* the THRE interrupt */
	bool timeout_pending;		/* the character timeout */
	uint64_t rx_activity_ns;	/* last receive or RBR read */
	bool host_waiting;		/* the host has a byte we refused */
	int irq_level;
	uint64_t overruns;		/* loopback bytes lost with OE */
	struct uart_ops ops;
	void *opaque;
	uint32_t warned;
};

/* Power-on state; the host's modem lines start as DCD, DSR, CTS. */
void uart_init(struct uart *u, const struct uart_ops *ops, void *opaque);
void uart_destroy(struct uart *u);
/* Master reset (MR pin): every register but DLL/DLM/SCR and the FIFOs. */
void uart_reset(struct uart *u);

/* Guest access at `offset` 0-7 from the base (byte accesses). */
uint8_t uart_read(struct uart *u, unsigned int offset);
void uart_write(struct uart *u, unsigned int offset, uint8_t val);

/* Host to guest: how many of `n` bytes were taken (see above). */
size_t uart_rx_push(struct uart *u, const uint8_t *buf, size_t n);
/* The host can take bytes again: drain the TX FIFO. */
void uart_tx_kick(struct uart *u);
/* The deadline passed: the character timeout. */
void uart_service(struct uart *u);
/* The host's modem lines (CTS, DSR, RI, DCD as MSR bits 7:4). */
void uart_set_modem_lines(struct uart *u, uint8_t msr_lines);

/* One character time in ns for the current LCR and divisor. */
uint64_t uart_char_ns(struct uart *u);

#endif

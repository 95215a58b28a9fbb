/*
 * The 16550A UART at COM1 (ports 0x3F8-0x3FF, ISA IRQ 4), register by
 * register as the National Semiconductor PC16550D datasheet describes it.
 * Offsets from the base; DLAB is LCR bit 7. Book section 4.4.
 */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#include <stdint.h>
#include "io.h"

#define UART_BASE	0x3f8
#define UART_IRQ	4

#define UART_RBR	0	/* read, DLAB = 0 */
#define UART_THR	0	/* write, DLAB = 0 */
#define UART_DLL	0	/* DLAB = 1 */
#define UART_IER	1	/* DLAB = 0 */
#define UART_DLM	1	/* DLAB = 1 */
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define UART_IER_RDI	0x01	/* received data available (and timeout) */
#define UART_IER_THRI	0x02	/* transmitter holding register empty */
#define UART_IER_RLSI	0x04	/* receiver line status */
#define UART_IER_MSI	0x08	/* modem status */

/* IIR: bit 0 clear when an interrupt is pending; bits 3:1 which one. */
#define UART_IIR_NONE	0x01
#define UART_IIR_ID	0x0f	/* with bit 0 */
#define UART_IIR_RLS	0x06	/* priority 1 */
#define UART_IIR_RDA	0x04	/* priority 2 */
#define UART_IIR_CTI	0x0c	/* priority 2: character timeout (FIFO mode) */
#define UART_IIR_THRE	0x02	/* priority 3 */
#define UART_IIR_MS	0x00	/* priority 4 */
#define UART_IIR_FIFO	0xc0	/* both set when the FIFOs are enabled */

#define UART_FCR_ENABLE		0x01
#define UART_FCR_CLEAR_RX	0x02
#define UART_FCR_CLEAR_TX	0x04
#define UART_FCR_TRIG_1		0x00
#define UART_FCR_TRIG_4		0x40
#define UART_FCR_TRIG_8		0x80
#define UART_FCR_TRIG_14	0xc0

#define UART_LCR_8N1	0x03
#define UART_LCR_DLAB	0x80

#define UART_MCR_DTR	0x01
#define UART_MCR_RTS	0x02
#define UART_MCR_OUT1	0x04
#define UART_MCR_OUT2	0x08	/* on a PC, connects INTR to the IRQ line */
#define UART_MCR_LOOP	0x10

#define UART_LSR_DR	0x01
#define UART_LSR_OE	0x02
#define UART_LSR_PE	0x04
#define UART_LSR_FE	0x08
#define UART_LSR_BI	0x10
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_LSR_FIFOERR 0x80

#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

/* Divisors of the 1.8432 MHz clock / 16. */
#define UART_DIV_115200	1
#define UART_DIV_9600	12
#define UART_DIV_1200	96

static inline uint8_t uart_in(unsigned int reg)
{
	return inb(UART_BASE + reg);
}

static inline void uart_out(unsigned int reg, uint8_t v)
{
	outb(UART_BASE + reg, v);
}

/*
 * A known state whatever firmware left: 8N1 at the divisor, interrupts
 * off, FIFOs off, MCR = `mcr`, the receiver drained, the line status read
 * (clearing OE and the other error bits).
 */
void uart_init(uint16_t divisor, uint8_t mcr);

/*
 * Poll LSR until all of `bits` are set; returns LSR, or -1 after `polls`.
 * Reading LSR clears its error bits (OE, PE, FE, BI): every value read is
 * ORed into uart_lsr_seen, which a guest clears before it looks.
 */
extern uint8_t uart_lsr_seen;
int uart_wait_lsr(uint8_t bits, unsigned long polls);

/* Poll IIR until its low nibble is `id`; returns IIR, or -1. */
int uart_wait_iir(uint8_t id, unsigned long polls);

/* Send one byte once THR is empty (polled); -1 if it never was. */
int uart_putc(uint8_t c);

#endif

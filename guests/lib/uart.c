/*
 * Polled helpers for the 16550A (see uart.h). Book section 4.4.
 */
#include "uart.h"

#define DRAIN_MAX	64	/* more than both FIFOs hold */
#define PUTC_POLLS	10000000ul

uint8_t uart_lsr_seen;

void uart_init(uint16_t divisor, uint8_t mcr)
{
	int i;

	uart_out(UART_IER, 0);
	uart_out(UART_LCR, UART_LCR_DLAB);
	uart_out(UART_DLL, divisor & 0xff);
	uart_out(UART_DLM, divisor >> 8);
	uart_out(UART_LCR, UART_LCR_8N1);
	uart_out(UART_FCR, UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	uart_out(UART_FCR, 0);
	uart_out(UART_MCR, mcr);
	for (i = 0; i < DRAIN_MAX && (uart_in(UART_LSR) & UART_LSR_DR); i++)
		uart_in(UART_RBR);
	uart_in(UART_LSR);
	uart_in(UART_MSR);
	uart_in(UART_IIR);
}

int uart_wait_lsr(uint8_t bits, unsigned long polls)
{
	unsigned long i;
	uint8_t lsr;

	for (i = 0; i < polls; i++) {
		lsr = uart_in(UART_LSR);
		uart_lsr_seen |= lsr;
		if ((lsr & bits) == bits)
			return lsr;
	}
	return -1;
}

int uart_wait_iir(uint8_t id, unsigned long polls)
{
	unsigned long i;
	uint8_t iir;

	for (i = 0; i < polls; i++) {
		iir = uart_in(UART_IIR);
		if ((iir & UART_IIR_ID) == id)
			return iir;
	}
	return -1;
}

int uart_putc(uint8_t c)
{
	if (uart_wait_lsr(UART_LSR_THRE, PUTC_POLLS) < 0)
		return -1;
	uart_out(UART_THR, c);
	return 0;
}

/*
 * uart-flood: a guest that writes to THR far faster than any line could
 * send (book section 4.4.1; PC16550D datasheet): 4 MiB with REP OUTSB,
 * 4 KiB at a time, never looking at LSR. The datasheet promises nothing
 * for bytes written while the transmitter is full; the platform must go
 * on streaming to the host with bounded memory (our VMM writes what it
 * can and drops the rest, never buffering the flood), and afterwards the
 * UART must work as before: THR empties, and a byte through the loopback
 * comes back.
 * Run with the UART's output on a file or null.
 */
#include "check.h"
#include "console.h"
#include "platform.h"
#include "uart.h"

#ifndef FLOOD
#define FLOOD		(4u << 20)	/* uart-flood-128k: 128 KiB */
#endif
#define CHUNK		4096u
#define POLLS		100000000ul

static uint8_t chunk[CHUNK];

void guest_main(void);

static void outsb(uint16_t port, const void *p, uint32_t n)
{
	asm volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(port) : "memory");
}

void guest_main(void)
{
	unsigned int i, done;

	con_printf("uart-flood: %u KiB to THR by REP OUTSB, LSR never read\n",
		   FLOOD >> 10);
	uart_init(UART_DIV_115200, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	uart_out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	for (i = 0; i < CHUNK; i++)
		chunk[i] = i % 64 == 63 ? '\n' : '0' + i % 10;
	for (done = 0; done < FLOOD; done += CHUNK)
		outsb(UART_BASE + UART_THR, chunk, CHUNK);
	con_printf("written: %u bytes\n", done);
	check(uart_wait_lsr(UART_LSR_THRE | UART_LSR_TEMT, POLLS) >= 0, 1, 1,
	      "THR and the shift register empty afterwards");
	uart_out(UART_MCR, UART_MCR_LOOP);
	uart_out(UART_THR, 0x42);
	/* Polling for a byte that never comes would take minutes: the
	 * watchdog (platform.h; QEMU ignores it) ends the run instead. */
	irqdev_watchdog(IRQ_WAIT_MS);
	check(uart_wait_lsr(UART_LSR_DR, POLLS) >= 0 ? uart_in(UART_RBR) : 0, 0x42, 2,
	      "a byte through the loopback");
	irqdev_watchdog(0);
	uart_out(UART_MCR, 0);
	vm_exit(check_done("uart-flood"));
}

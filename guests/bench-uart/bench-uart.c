/*
 * bench-uart: the workload of lab 04's UART benchmark (book section
 * 4.4.1): BENCH_UART_BYTES bytes sent on COM1, either polled (each byte
 * after LSR shows THR empty: two exits a byte) or, built with
 * -DBENCH_UART_IRQ, sixteen at a time into the transmit FIFO after each
 * THR-empty interrupt (ISA IRQ 4 on I/O APIC pin 4): about 19 exits for
 * 16 bytes. The bytes are lines
 * of 63 letters and a newline, byte i being 'A' + i % 26 (a newline at
 * every 64th), so the host side can check them. The debug console gets
 * only the guest's own count: the exits come from the VMM's --stats.
 * Run with the UART's output on a file (our VMM --serial file:PATH,
 * QEMU -serial file:PATH or null).
 */
#include "console.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "platform.h"
#include "trap.h"
#include "uart.h"

#define BENCH_UART_BYTES	65536u
#define VECTOR			0x64
#define POLLS			100000000ul

static volatile unsigned int sent;

void guest_main(void);

static uint8_t byte(unsigned int i)
{
	return i % 64 == 63 ? '\n' : 'A' + i % 26;
}

#ifdef BENCH_UART_IRQ
static volatile unsigned int empties;

/*
 * The handler only takes note and turns the interrupt off: one that
 * refilled the FIFO itself could be interrupted again between its POPFD
 * and RET (see lib/trap32.asm) by the next THR-empty, on a host that
 * sends at once, and nest without end.
 */
static void handler(struct trap_frame *tf)
{
	(void)tf;
	if ((uart_in(UART_IIR) & UART_IIR_ID) == UART_IIR_THRE) {
		uart_out(UART_IER, 0);
		empties++;
	}
	lapic_eoi();
}

static void send(void)
{
	unsigned int n;

	irq_setup_apic();
	uart_out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	trap_set_handler(VECTOR, handler);
	ioapic_route(UART_IRQ, IOAPIC_DM_FIXED | VECTOR, lapic_id());
	while (sent < BENCH_UART_BYTES) {
		uart_out(UART_IER, UART_IER_THRI);	/* THR empty: at once */
		irq_wait(&empties, empties + 1);
		for (n = 0; n < 16 && sent < BENCH_UART_BYTES; n++, sent++)
			uart_out(UART_THR, byte(sent));
	}
	ioapic_write(IOAPIC_REG_REDIR(UART_IRQ), IOAPIC_MASKED);
}
#else
static void send(void)
{
	while (sent < BENCH_UART_BYTES && uart_putc(byte(sent)) == 0)
		sent++;
}
#endif

void guest_main(void)
{
	uart_init(UART_DIV_115200, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	send();
	uart_wait_lsr(UART_LSR_TEMT, POLLS);
#ifdef BENCH_UART_IRQ
	con_printf("bench-uart: %u bytes sent, 16 per THR-empty interrupt\n", sent);
#else
	con_printf("bench-uart: %u bytes sent, polled\n", sent);
#endif
	vm_exit(sent == BENCH_UART_BYTES ? 0 : 1);
}

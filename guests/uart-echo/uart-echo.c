/*
 * uart-echo: interrupt-driven receive on the 16550A (book sections
 * 4.4.1-4.4.2; PC16550D datasheet). The guest's whole transcript is on
 * COM1, not on the debug console: the test feeds lines on the VMM's
 * standard input (our VMM's --serial stdio, QEMU's -serial stdio) once it
 * has read the "ready" line, and compares what comes back.
 *  - FIFOs on, receive trigger level 8, IER = received data + line status:
 *    a line shorter than the level reaches the guest by the character
 *    timeout interrupt, a longer one by received-data interrupts;
 *  - first the guest leaves its input unread for 100 ms once some has
 *    arrived: host input waits for room in the receiver (the platform's
 *    flow control), so nothing is lost and LSR shows no overrun;
 *  - then each byte is echoed as received, a-z upper-cased, so the output
 *    is the input with its letters in upper case exactly when every byte
 *    arrived once and in order; the handler drains the FIFO into a ring,
 *    the main loop echoes with THRE polling;
 *  - the line "quit" ends it with a summary: lines, bytes, the FNV-1a of
 *    everything received, and whether any line status error was seen.
 * Interrupts: ISA IRQ 4 on I/O APIC pin 4, edge triggered, OUT2 set.
 * Every wait for input arms our VMM's watchdog (QEMU ignores it).
 */
#include "console.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "pit.h"
#include "platform.h"
#include "trap.h"
#include "uart.h"

#define VECTOR		0x64
#define RING		1024	/* a power of two */
#define POLLS		100000000ul
/*
 * The longest wait for input (the watchdog of platform.h ends the run
 * with status 253 after it): the test sends everything at once after
 * the ready line, so a receiver that never delivers fails in seconds
 * instead of at the test's time limit. Longer than IRQ_WAIT_MS: the
 * host's side, not only the VMM, must run meanwhile.
 */
#define HOST_WAIT_MS	5000

static volatile uint8_t ring[RING];
static volatile unsigned int head, tail;	/* written by handler / main */
static volatile unsigned int interrupts;
static volatile uint8_t line_errors;

void guest_main(void);

static void handler(struct trap_frame *tf)
{
	uint8_t lsr;

	(void)tf;
	interrupts++;
	while ((lsr = uart_in(UART_LSR)) & UART_LSR_DR) {
		line_errors |= lsr & (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI);
		if (head - tail < RING)
			ring[head++ % RING] = uart_in(UART_RBR);
		else
			uart_in(UART_RBR);	/* lost: input.txt is shorter than the ring */
	}
	line_errors |= lsr & (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI);
	lapic_eoi();
}

static void uart_puts(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

static void uart_put_dec(unsigned int v)
{
	char d[12];
	int n = 0;

	do
		d[n++] = '0' + v % 10;
	while (v /= 10);
	while (n)
		uart_putc(d[--n]);
}

static void uart_put_hex(uint32_t v)
{
	int i;

	for (i = 28; i >= 0; i -= 4)
		uart_putc("0123456789abcdef"[v >> i & 0xf]);
}

/* Set up without touching the receiver: input may already be there. */
static void setup(void)
{
	uart_out(UART_IER, 0);
	uart_out(UART_LCR, UART_LCR_DLAB);
	uart_out(UART_DLL, UART_DIV_115200);
	uart_out(UART_DLM, 0);
	uart_out(UART_LCR, UART_LCR_8N1);
	uart_out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX |
		 UART_FCR_TRIG_8);
	uart_out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	uart_in(UART_LSR);
	trap_set_handler(VECTOR, handler);
	ioapic_route(UART_IRQ, IOAPIC_DM_FIXED | VECTOR, lapic_id());
}

/* Leave the first input unread for 100 ms. */
static void stall(void)
{
	uint8_t lsr;
	int got;

	irqdev_watchdog(HOST_WAIT_MS);
	got = uart_wait_lsr(UART_LSR_DR, POLLS);
	irqdev_watchdog(0);
	if (got < 0)
		return;
	pit_delay_us(50000);
	pit_delay_us(50000);
	lsr = uart_in(UART_LSR);
	line_errors |= lsr & (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI);
}

void guest_main(void)
{
	static const char quit[] = "quit";
	unsigned int bytes = 0, lines = 0, col = 0, match = 0;
	uint32_t fnv = 0x811c9dc5;
	uint8_t c;

	irq_setup_apic();
	setup();
	uart_puts("uart-echo: ready; each line comes back upper-cased, \"quit\" ends\n");
	stall();
	uart_out(UART_IER, UART_IER_RDI | UART_IER_RLSI);
	for (;;) {
		irq_disable();
		irqdev_watchdog(HOST_WAIT_MS);
		while (head == tail)
			asm volatile("sti; hlt; cli" : : : "memory");
		irq_enable();
		c = ring[tail++ % RING];
		bytes++;
		fnv = (fnv ^ c) * 0x01000193;
		uart_putc(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
		if (c == '\n') {
			lines++;
			if (match == 4 && col == 4)
				break;
			col = match = 0;
			continue;
		}
		if (col < 4 && c == (uint8_t)quit[col])
			match++;
		col++;
	}
	irqdev_watchdog(0);
	uart_out(UART_IER, 0);
	uart_puts("uart-echo: ");
	uart_put_dec(lines);
	uart_puts(" lines, ");
	uart_put_dec(bytes);
	uart_puts(" bytes, FNV-1a 0x");
	uart_put_hex(fnv);
	uart_puts(line_errors ? ", line status errors\n" : ", no line status error\n");
	uart_wait_lsr(UART_LSR_TEMT, POLLS);
	vm_exit(line_errors ? 2 : 0);
}

/*
 * uart-fifo: the 16550A's FIFOs and interrupt identification (book
 * section 4.4; PC16550D datasheet, FCR, IIR and LSR, "FIFO Interrupt
 * Mode Operation"). In loopback mode at 1200 baud, with the interrupt
 * sources read from IIR by polling (on a PC the loopback mode also cuts
 * the INTR output off the IRQ line, so nothing is delivered there):
 *  - FCR bit 0 enables both FIFOs, and IIR bits 7:6 read 11 then; bits 1
 *    and 2 empty them;
 *  - received data available (IIR 0100) appears when the receive FIFO
 *    reaches the trigger level FCR bits 7:6 choose (1, 4, 8, 14 bytes),
 *    not one byte earlier, and goes when it drops below it again;
 *  - the character timeout (IIR 1100): a byte in the FIFO, below the
 *    trigger level, nothing received or read for four character times;
 *    reading RBR clears it;
 *  - the receive FIFO holds 16 bytes in order; a 17th is an overrun (LSR
 *    OE), lost, and the receiver line status interrupt (IIR 0110) until
 *    LSR is read (the guest waits 100 ms on the PIT for the 17th byte to
 *    arrive, since polling LSR would clear OE);
 *  - priorities: line status over received data over THR empty, each
 *    shown in turn as the one before it is cleared; a THR-empty
 *    interrupt is cleared by reading IIR while IIR shows it.
 * Last, out of loopback, the THR-empty interrupt delivered: setting IER
 * bit 1 while THR is empty raises it at once, through I/O APIC pin 4
 * (ISA IRQ 4, edge triggered, MCR OUT2 set as a PC needs), and the
 * handler's IIR read clears it. Nothing is transmitted then.
 * Runs on QEMU with -serial null.
 */
#include "check.h"
#include "console.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "pit.h"
#include "platform.h"
#include "trap.h"
#include "uart.h"

#define POLLS		10000000ul
#define VECTOR		0x64

static volatile unsigned int taken;
static volatile uint8_t iir_in_handler, iir_after;

void guest_main(void);

/* Send one byte through the loopback and wait until it is received. */
static void loop_byte(uint8_t c)
{
	uart_out(UART_THR, c);
	uart_wait_lsr(UART_LSR_TEMT, POLLS);
}

static unsigned int drain(void)
{
	unsigned int n = 0;

	while (n < 64 && (uart_in(UART_LSR) & UART_LSR_DR)) {
		uart_in(UART_RBR);
		n++;
	}
	return n;
}

static void fifo_basics(void)
{
	check(uart_in(UART_IIR), UART_IIR_NONE, 2, "IIR, FIFOs off");
	uart_out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	check(uart_in(UART_IIR), UART_IIR_FIFO | UART_IIR_NONE, 2, "IIR, FIFOs on");
	loop_byte('a');
	loop_byte('b');
	check(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT | UART_LSR_DR, 2,
	      "LSR, two bytes received");
	uart_out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	check(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT, 2, "LSR after FCR clears RX");
}

/* The byte count at which RDA first shows, polled after every byte. */
static void trigger_level(uint8_t fcr_trig, unsigned int level)
{
	unsigned int n, first = 0;
	int iir;

	uart_out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | fcr_trig);
	uart_out(UART_IER, UART_IER_RDI);
	for (n = 1; n <= 16 && !first; n++) {
		loop_byte('0' + n);
		iir = uart_in(UART_IIR) & UART_IIR_ID;
		/* Below the level only the timeout may show, never RDA. */
		if (iir == UART_IIR_RDA)
			first = n;
		else if (iir == UART_IIR_CTI && n >= level)
			first = n;	/* the timeout came first: level reached */
	}
	check(first, level, 2, "trigger level %2u: RDA at byte", level);
	uart_in(UART_RBR);
	iir = uart_in(UART_IIR) & UART_IIR_ID;
	check(iir == UART_IIR_RDA, 0, 1,
	      "  RDA after one byte read");
	uart_out(UART_IER, 0);
	drain();
}

static void timeout(void)
{
	int iir;

	con_puts("character timeout\n");
	uart_out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_TRIG_4);
	uart_out(UART_IER, UART_IER_RDI);
	loop_byte('t');
	/* A UART with no timeout would keep this loop polling for
	 * minutes: the watchdog ends the run after IRQ_WAIT_MS instead. */
	irqdev_watchdog(IRQ_WAIT_MS);
	iir = uart_wait_iir(UART_IIR_CTI, POLLS);
	irqdev_watchdog(0);
	check(iir, UART_IIR_FIFO | UART_IIR_CTI, 2, "  IIR, one byte below the level");
	check(uart_in(UART_RBR), 't', 2, "  RBR");
	check(uart_in(UART_IIR), UART_IIR_FIFO | UART_IIR_NONE, 2, "  IIR after the read");
	uart_out(UART_IER, 0);
}

static void overrun_and_priority(void)
{
	unsigned int n, bad = 0;
	int iir;

	con_puts("17 bytes into the receive FIFO, every interrupt enabled\n");
	uart_out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_TRIG_1);
	for (n = 0; n < 16; n++)
		loop_byte('A' + n);
	/* Not polled on LSR, whose read would clear OE: 12 characters' time. */
	uart_out(UART_THR, 'A' + 16);
	pit_delay_us(50000);
	pit_delay_us(50000);
	uart_out(UART_IER, UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI);
	iir = uart_in(UART_IIR);
	check(iir, UART_IIR_FIFO | UART_IIR_RLS, 2, "  IIR, line status first");
	check(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT | UART_LSR_OE | UART_LSR_DR, 2,
	      "  LSR, overrun");
	iir = uart_in(UART_IIR) & UART_IIR_ID;
	check(iir == UART_IIR_RDA || iir == UART_IIR_CTI, 1, 1,
	      "  IIR, received data (RDA or timeout) next");
	for (n = 0; n < 16; n++)
		if (!(uart_in(UART_LSR) & UART_LSR_DR) || uart_in(UART_RBR) != 'A' + n)
			bad++;
	check(bad, 0, 2, "  the first 16 bytes in order, wrong or missing");
	check(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT, 2, "  LSR, the 17th lost");
	check(uart_in(UART_IIR), UART_IIR_FIFO | UART_IIR_THRE, 2, "  IIR, THR empty last");
	check(uart_in(UART_IIR), UART_IIR_FIFO | UART_IIR_NONE, 2, "  IIR read again");
	uart_out(UART_IER, 0);
}

static void handler(struct trap_frame *tf)
{
	(void)tf;
	iir_in_handler = uart_in(UART_IIR);
	iir_after = uart_in(UART_IIR);
	taken++;
	lapic_eoi();
}

static void thre_interrupt(void)
{
	con_puts("THR empty interrupt delivered (ISA IRQ 4, I/O APIC pin 4)\n");
	uart_out(UART_MCR, UART_MCR_OUT2);
	uart_out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	trap_set_handler(VECTOR, handler);
	ioapic_route(UART_IRQ, IOAPIC_DM_FIXED | VECTOR, lapic_id());
	uart_out(UART_IER, UART_IER_THRI);
	irq_wait(&taken, 1);
	check(taken, 1, 1, "  interrupts");
	check(iir_in_handler, UART_IIR_FIFO | UART_IIR_THRE, 2, "  IIR in the handler");
	check(iir_after, UART_IIR_FIFO | UART_IIR_NONE, 2, "  IIR read again");
	uart_out(UART_IER, 0);
	ioapic_write(IOAPIC_REG_REDIR(UART_IRQ), IOAPIC_MASKED);
}

void guest_main(void)
{
	irq_setup_apic();
	con_puts("uart-fifo: COM1, loopback at 1200 baud, FIFOs on\n");
	uart_init(UART_DIV_1200, UART_MCR_LOOP);
	fifo_basics();
	trigger_level(UART_FCR_TRIG_1, 1);
	trigger_level(UART_FCR_TRIG_4, 4);
	trigger_level(UART_FCR_TRIG_8, 8);
	trigger_level(UART_FCR_TRIG_14, 14);
	timeout();
	overrun_and_priority();
	thre_interrupt();
	uart_out(UART_MCR, 0);
	vm_exit(check_done("uart-fifo"));
}

/*
 * uart-loopback: the 16550A's registers in loopback mode (book section
 * 4.4; PC16550D datasheet, "Registers" and "Loopback"), with the FIFOs
 * off (16450 mode):
 *  - SCR keeps what is written; IER keeps bits 3:0 and reads 0 in 7:4,
 *    MCR bits 4:0 and 0 in 7:5;
 *  - with DLAB = 1, offsets 0 and 1 are the divisor latch (DLL, DLM),
 *    separate from RBR/THR and IER, which DLAB = 0 gives back untouched;
 *  - MCR bit 4 loops the transmitter into the receiver: a byte written to
 *    THR appears in RBR with LSR.DR set, which reading RBR clears; THRE
 *    and TEMT are set once it has gone;
 *  - and the modem control outputs into the modem status inputs: CTS =
 *    RTS, DSR = DTR, RI = OUT1, DCD = OUT2 (MSR bits 4-7; the delta bits
 *    are not checked);
 *  - a second byte received before the first is read is an overrun: LSR
 *    OE, RBR holds the new byte, and reading LSR clears OE.
 * Runs on QEMU with -serial null (QEMU's -nodefaults leaves out COM1).
 * Its waits for a byte arm our VMM's watchdog (QEMU ignores it).
 */
#include "check.h"
#include "console.h"
#include "platform.h"
#include "uart.h"

#define POLLS	10000000ul
/*
 * Each wait below polls LSR up to POLLS times, minutes of exits when
 * the byte never comes: the watchdog (platform.h; QEMU ignores it) ends
 * the run with status 253 after WAIT_MS instead.
 */
#define WAIT_MS	5000

void guest_main(void);

static void registers(void)
{
	uart_out(UART_SCR, 0x5a);
	check(uart_in(UART_SCR), 0x5a, 2, "SCR keeps 0x5a");
	uart_out(UART_SCR, 0xa5);
	check(uart_in(UART_SCR), 0xa5, 2, "SCR keeps 0xa5");
	uart_out(UART_IER, 0xff);
	check(uart_in(UART_IER), 0x0f, 2, "IER after 0xff");
	uart_out(UART_IER, 0);
	uart_out(UART_MCR, 0xff & ~UART_MCR_LOOP);
	check(uart_in(UART_MCR), 0x0f, 2, "MCR after 0xef");
	uart_out(UART_MCR, UART_MCR_LOOP);
	check(uart_in(UART_LCR), UART_LCR_8N1, 2, "LCR");
}

static void divisor_latch(void)
{
	con_puts("divisor latch (DLAB = 1)\n");
	uart_out(UART_IER, 0x05);
	uart_out(UART_LCR, UART_LCR_DLAB | UART_LCR_8N1);
	uart_out(UART_DLL, 0x34);
	uart_out(UART_DLM, 0x12);
	check(uart_in(UART_DLL), 0x34, 2, "  DLL");
	check(uart_in(UART_DLM), 0x12, 2, "  DLM");
	check(uart_in(UART_LCR), UART_LCR_DLAB | UART_LCR_8N1, 2, "  LCR");
	uart_out(UART_LCR, UART_LCR_8N1);
	check(uart_in(UART_IER), 0x05, 2, "  IER after DLAB = 0, untouched");
	uart_out(UART_IER, 0);
	uart_out(UART_LCR, UART_LCR_DLAB | UART_LCR_8N1);
	uart_out(UART_DLL, UART_DIV_115200);
	uart_out(UART_DLM, 0);
	uart_out(UART_LCR, UART_LCR_8N1);
	check(uart_in(UART_IER), 0, 2, "  IER, the divisor written meanwhile");
}

static void modem_lines(void)
{
	static const uint8_t outs[] = { 0, UART_MCR_DTR, UART_MCR_RTS, UART_MCR_OUT1,
					UART_MCR_OUT2, 0x0f, UART_MCR_DTR | UART_MCR_OUT2 };
	unsigned int i;
	uint8_t m, want;

	con_puts("modem lines looped back (MSR bits 7:4)\n");
	for (i = 0; i < sizeof(outs); i++) {
		m = outs[i];
		want = (m & UART_MCR_RTS ? UART_MSR_CTS : 0) |
		       (m & UART_MCR_DTR ? UART_MSR_DSR : 0) |
		       (m & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
		       (m & UART_MCR_OUT2 ? UART_MSR_DCD : 0);
		uart_out(UART_MCR, UART_MCR_LOOP | m);
		check(uart_in(UART_MSR) & 0xf0, want, 2, "  MCR 0x%02x: MSR", UART_MCR_LOOP | m);
	}
	uart_out(UART_MCR, UART_MCR_LOOP);
}

static void bytes(void)
{
	static const char msg[] = "Loop\x00\xff";
	unsigned int i, bad = 0;

	con_puts("bytes looped back\n");
	irqdev_watchdog(WAIT_MS);
	check(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT, 2, "  LSR, idle");
	for (i = 0; i < sizeof(msg) - 1; i++) {
		uart_out(UART_THR, msg[i]);
		if (uart_wait_lsr(UART_LSR_DR | UART_LSR_TEMT, POLLS) < 0 ||
		    uart_in(UART_RBR) != (uint8_t)msg[i])
			bad++;
	}
	check(bad, 0, 1, "  6 bytes each read back from RBR, wrong or missing");
	check(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT, 2, "  LSR, all read");
	con_puts("overrun\n");
	uart_out(UART_THR, 'x');
	uart_wait_lsr(UART_LSR_DR | UART_LSR_TEMT, POLLS);
	uart_lsr_seen = 0;
	uart_out(UART_THR, 'y');
	uart_wait_lsr(UART_LSR_OE | UART_LSR_TEMT, POLLS);
	check(uart_lsr_seen & (UART_LSR_OE | UART_LSR_DR), UART_LSR_OE | UART_LSR_DR, 2,
	      "  LSR, OE and DR");
	check(uart_in(UART_LSR) & UART_LSR_OE, 0, 2, "  LSR read again: OE cleared");
	check(uart_in(UART_RBR), 'y', 2, "  RBR, the second byte");
	check(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT, 2, "  LSR");
	irqdev_watchdog(0);
}

void guest_main(void)
{
	con_puts("uart-loopback: COM1 at 0x3f8, MCR loopback, FIFOs off\n");
	uart_init(UART_DIV_115200, UART_MCR_LOOP);
	registers();
	divisor_latch();
	modem_lines();
	bytes();
	uart_out(UART_MCR, 0);
	vm_exit(check_done("uart-loopback"));
}

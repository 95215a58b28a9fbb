/*
 * rtc: the CMOS real-time clock (book section 4.1; Motorola MC146818A
 * datasheet): index port 0x70, data port 0x71, ISA IRQ 8. Nothing
 * depends on the host's clock or speed:
 *  - register D reads VRT (0x80); register A keeps the divider (010, the
 *    32.768 kHz time base) and the rate select;
 *  - the time read in BCD with the update-in-progress protocol (wait for
 *    UIP = 0, then 244 us are safe) is valid BCD in every field's range,
 *    and a second reading is not earlier;
 *  - with SET the guest writes a time; it runs again when SET clears. In
 *    BCD mode 23:59:58 on Thursday 31 December 2026 is followed, one
 *    update-ended interrupt (UIE, register C UF) after another, by
 *    23:59:59 and 00:00:00 on Friday 1 January 2027; in binary mode
 *    23:59:59 on Monday 28 February 2028 by Tuesday 29 February (a leap
 *    year);
 *  - the periodic interrupt at rate select 10 (64 Hz) gives interrupts
 *    with register C PF and IRQF, and reading C clears them: the guest
 *    counts 16 and then turns PIE off.
 * Interrupts arrive on I/O APIC pin 8, edge triggered (IRQ 8 is ISA);
 * reading C in the handler lets the line go. The PC's century byte
 * (CMOS 0x32) is written with the time, as QEMU needs it for the year.
 */
/* Update-ended interrupts come a second apart (platform.h). */
#define IRQ_WAIT_MS	5000
#include "check.h"
#include "console.h"
#include "ioapic.h"
#include "irq.h"
#include "lapic.h"
#include "platform.h"
#include "trap.h"

#define RTC_INDEX	0x70
#define RTC_DATA	0x71
#define RTC_IRQ		8
#define VECTOR		0x68

enum { SEC = 0, MIN = 2, HOUR = 4, DOW = 6, DAY = 7, MONTH = 8, YEAR = 9,
       REG_A = 0xa, REG_B, REG_C, REG_D, CENTURY = 0x32 };

#define A_UIP		0x80
#define A_DV_32K	0x20
#define B_SET		0x80
#define B_PIE		0x40
#define B_UIE		0x10
#define B_BINARY	0x04
#define B_24H		0x02
#define C_IRQF		0x80
#define C_PF		0x40
#define C_UF		0x10

#define POLLS		10000000ul

static volatile unsigned int taken, periodic_left;
static volatile int periodic_phase;	/* else count update-ended ones */
static volatile uint8_t c_first, c_again;
static volatile uint8_t snap[3][10];	/* time fields read in the handler */

void guest_main(void);

static uint8_t cmos_read(uint8_t reg)
{
	outb(RTC_INDEX, reg);
	return inb(RTC_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(RTC_INDEX, reg);
	outb(RTC_DATA, v);
}

static void read_fields(volatile uint8_t *t)
{
	static const uint8_t regs[] = { SEC, MIN, HOUR, DOW, DAY, MONTH, YEAR };
	unsigned int i;

	for (i = 0; i < sizeof(regs); i++)
		t[regs[i]] = cmos_read(regs[i]);
}

/* Wait for UIP = 0, then read: the datasheet's first method. */
static int read_time(volatile uint8_t *t)
{
	unsigned long i;

	for (i = 0; i < POLLS; i++)
		if (!(cmos_read(REG_A) & A_UIP)) {
			read_fields(t);
			return 0;
		}
	return -1;
}

static unsigned int bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static int valid_bcd(uint8_t v, unsigned int lo, unsigned int hi)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 9 && bcd(v) >= lo && bcd(v) <= hi;
}

static void handler(struct trap_frame *tf)
{
	uint8_t c = cmos_read(REG_C);

	(void)tf;
	if (periodic_phase) {
		/* UF is set every second even with UIE off: not counted. */
		if (c & C_PF && periodic_left) {
			if (!c_first)
				c_first = c;
			if (!--periodic_left)
				cmos_write(REG_B, cmos_read(REG_B) & ~B_PIE);
			taken++;
		}
	} else if (c & C_UF) {
		if (taken < 3)
			read_fields(snap[taken]);
		taken++;
	}
	lapic_eoi();
}

static void bcd_reading(void)
{
	uint8_t t1[10], t2[10];
	unsigned int s1, s2;

	cmos_write(REG_B, B_24H);
	check(read_time(t1), 0, 1, "BCD time read with UIP = 0");
	check(valid_bcd(t1[SEC], 0, 59) && valid_bcd(t1[MIN], 0, 59) &&
	      valid_bcd(t1[HOUR], 0, 23) && valid_bcd(t1[DOW], 1, 7) &&
	      valid_bcd(t1[DAY], 1, 31) && valid_bcd(t1[MONTH], 1, 12) &&
	      valid_bcd(t1[YEAR], 0, 99), 1, 1, "  every field valid BCD in range");
	read_time(t2);
	s1 = bcd(t1[HOUR]) * 3600 + bcd(t1[MIN]) * 60 + bcd(t1[SEC]);
	s2 = bcd(t2[HOUR]) * 3600 + bcd(t2[MIN]) * 60 + bcd(t2[SEC]);
	check(s2 >= s1 || (s1 >= 86398 && s2 <= 1), 1, 1, "  a second reading is not earlier");
}

static void set_time(uint8_t b, const uint8_t *f)
{
	cmos_write(REG_B, B_SET | b);
	cmos_write(SEC, f[0]);
	cmos_write(MIN, f[1]);
	cmos_write(HOUR, f[2]);
	cmos_write(DOW, f[3]);
	cmos_write(DAY, f[4]);
	cmos_write(MONTH, f[5]);
	cmos_write(YEAR, f[6]);
	cmos_write(CENTURY, f[7]);
	cmos_read(REG_C);
	taken = 0;
	cmos_write(REG_B, b | B_UIE);	/* runs again from here */
}

static void show(const char *what, volatile uint8_t *t, int binary)
{
	if (binary)
		con_printf("  %s %02u:%02u:%02u day %u %02u/%02u/%02u\n", what, t[HOUR],
			   t[MIN], t[SEC], t[DOW], t[DAY], t[MONTH], t[YEAR]);
	else
		con_printf("  %s %02x:%02x:%02x day %x %02x/%02x/%02x\n", what, t[HOUR],
			   t[MIN], t[SEC], t[DOW], t[DAY], t[MONTH], t[YEAR]);
}

static void rollover_bcd(void)
{
	static const uint8_t t[] = { 0x58, 0x59, 0x23, 5, 0x31, 0x12, 0x26, 0x20 };

	con_puts("BCD, 24-hour: set 23:59:58 Thursday 31/12/26, update-ended interrupts\n");
	set_time(B_24H, t);
	irq_wait(&taken, 3);
	cmos_write(REG_B, B_24H);
	show("after update 1:", snap[0], 0);
	show("after update 2:", snap[1], 0);
	show("after update 3:", snap[2], 0);
	check(snap[1][SEC] == 0 && snap[1][MIN] == 0 && snap[1][HOUR] == 0 &&
	      snap[1][DAY] == 1 && snap[1][MONTH] == 1 && snap[1][YEAR] == 0x27 &&
	      snap[1][DOW] == 6, 1, 1, "  2027 began on a Friday");
}

static void rollover_binary(void)
{
	static const uint8_t t[] = { 59, 59, 23, 2, 28, 2, 28, 20 };

	con_puts("binary, 24-hour: set 23:59:59 Monday 28/02/28\n");
	set_time(B_BINARY | B_24H, t);
	irq_wait(&taken, 1);
	cmos_write(REG_B, B_BINARY | B_24H);
	show("after update 1:", snap[0], 1);
	check(snap[0][DAY] == 29 && snap[0][MONTH] == 2 && snap[0][DOW] == 3, 1, 1,
	      "  29 February, a Tuesday");
}

static void periodic(void)
{
	con_puts("periodic interrupt, rate select 10 (64 Hz), 16 of them\n");
	cmos_write(REG_B, B_24H);
	cmos_write(REG_A, A_DV_32K | 10);
	check(cmos_read(REG_A) & 0x7f, A_DV_32K | 10, 2, "  register A");
	cmos_read(REG_C);
	taken = 0;
	periodic_left = 16;
	periodic_phase = 1;
	cmos_write(REG_B, B_24H | B_PIE);
	irq_wait(&taken, 16);
	check(periodic_left, 0, 1, "  periodic interrupts left to take");
	check(c_first & (C_IRQF | C_PF), C_IRQF | C_PF, 2, "  register C: IRQF, PF");
	/*
	 * Reading C clears it. Read twice with the rate at 0 (no periodic
	 * flag can be set again between the reads, however slowly the
	 * machine runs) and PIE, AIE, UIE off (no IRQF).
	 */
	cmos_write(REG_A, A_DV_32K);
	cmos_read(REG_C);
	c_again = cmos_read(REG_C);
	check(c_again & (C_IRQF | C_PF), 0, 2, "  register C read again");
	check(cmos_read(REG_B) & B_PIE, 0, 2, "  PIE off");
}

void guest_main(void)
{
	irq_setup_apic();
	trap_set_handler(VECTOR, handler);
	con_puts("rtc: MC146818 at ports 0x70-0x71, IRQ 8\n");
	check(cmos_read(REG_D), 0x80, 2, "register D, VRT");
	cmos_write(REG_A, A_DV_32K);
	check(cmos_read(REG_A) & 0x7f, A_DV_32K, 2, "register A, divider 010, no rate");
	cmos_write(REG_B, B_24H);
	cmos_read(REG_C);
	ioapic_route(RTC_IRQ, IOAPIC_DM_FIXED | VECTOR, lapic_id());
	bcd_reading();
	rollover_bcd();
	rollover_binary();
	periodic();
	ioapic_write(IOAPIC_REG_REDIR(RTC_IRQ), IOAPIC_MASKED);
	vm_exit(check_done("rtc"));
}

/*
 * 8254 helpers for the lab 03 guests (see pit.h). Book section 3.2.
 */
#include "io.h"
#include "pit.h"

#define RW_LOHI		(3u << 4)
#define READ_BACK	0xc0	/* counter select 11 */
#define RB_NO_COUNT	(1u << 5)	/* do not latch the count */
#define DELAY_POLLS	200000

void pit_start(unsigned int ch, unsigned int mode, uint16_t count)
{
	outb(PIT_CONTROL, ch << 6 | RW_LOHI | mode << 1);
	outb(0x40 + ch, (uint8_t)count);
	outb(0x40 + ch, (uint8_t)(count >> 8));
}

uint8_t pit_status(unsigned int ch)
{
	outb(PIT_CONTROL, READ_BACK | RB_NO_COUNT | 2u << ch);
	return inb(0x40 + ch);
}

uint16_t pit_count(unsigned int ch)
{
	uint8_t lo;

	outb(PIT_CONTROL, ch << 6);	/* RW = 00: the latch command */
	lo = inb(0x40 + ch);
	return lo | inb(0x40 + ch) << 8;
}

void pit_delay_us(unsigned int us)
{
	uint32_t ticks = (us < 54000 ? us : 54000) * (PIT_HZ / 1000) / 1000;
	uint8_t b = inb(PORT_B);
	int i;

	if (ticks < 2)
		ticks = 2;
	outb(PORT_B, (b & ~0x02) | 0x01);	/* gate 2 on, speaker off */
	pit_start(2, 0, (uint16_t)ticks);	/* OUT2 rises at terminal count */
	for (i = 0; i < DELAY_POLLS; i++) {
		if (inb(PORT_B) & 0x20)
			break;
		asm volatile("pause");	/* a spin-wait: let another vCPU run */
	}
	outb(PORT_B, b);
}

/*
 * The 8254 programmable interval timer (Intel 8254 datasheet): counters 0
 * and 2 at ports 0x40 and 0x42, the control word at 0x43, counter 2's gate
 * and output at port 0x61 (the PC's "port B"). Its input clock is
 * 1.193182 MHz. Book section 3.2.
 */
#ifndef GUEST_PIT_H
#define GUEST_PIT_H

#include <stdint.h>

#define PIT_HZ		1193182u
#define PIT_CONTROL	0x43
#define PORT_B		0x61	/* bit 0 gate 2, bit 1 speaker, bit 5 OUT2 */

/*
 * Start counter `ch` (0 or 2) in `mode` (0-5) with `count`, binary, low
 * byte then high byte (a count of 0 means 65536).
 */
void pit_start(unsigned int ch, unsigned int mode, uint16_t count);

/*
 * Read-back command, status only (datasheet, "Read-Back Command"): bit 7
 * OUT, bit 6 null count, bits 5:4 read/write format, 3:1 mode, 0 BCD.
 */
uint8_t pit_status(unsigned int ch);

/* Counter latch command, then the latched count, low byte first. */
uint16_t pit_count(unsigned int ch);

/*
 * Busy-wait about `us` microseconds on counter 2 (mode 0, gate through port
 * 0x61, OUT2 read there), as firmware and Linux do. Bounded, so a broken
 * timer makes it return early rather than hang. At most 54 ms.
 */
void pit_delay_us(unsigned int us);

#endif

/*
 * The 8259A pair of the PC (Intel 8259A datasheet): the master at ports
 * 0x20/0x21, the slave at 0xA0/0xA1 on the master's IR2. Initialisation
 * command words ICW1-ICW4, operation command words OCW1 (the mask), OCW2
 * (EOI and rotation) and OCW3 (which register a read returns, poll mode).
 * Book section 3.2.
 */
#ifndef GUEST_PIC_H
#define GUEST_PIC_H

#include <stdint.h>
#include "io.h"

#define PIC_MASTER	0x20	/* command port; data (A0 = 1) is +1 */
#define PIC_SLAVE	0xa0

/* The vectors our guests give the two chips (ICW2). */
#define PIC_MASTER_BASE	0x20
#define PIC_SLAVE_BASE	0x28
#define PIC_CASCADE_IRQ	2

/* OCW2: bits 7:5 are R, SL, EOI; bits 2:0 the level (datasheet, Figure 8). */
#define OCW2_EOI		0x20	/* non-specific EOI */
#define OCW2_SPECIFIC_EOI	0x60	/* | level */
#define OCW2_ROTATE_EOI		0xa0	/* rotate on non-specific EOI */
#define OCW2_SET_PRIORITY	0xc0	/* | level: it becomes the lowest */
#define OCW2_ROTATE_SPECIFIC	0xe0	/* | level: specific EOI + rotate */
/* OCW3: bit 3 set marks it; bit 2 poll; bits 1:0 the read register. */
#define OCW3_READ_IRR		0x0a
#define OCW3_READ_ISR		0x0b
#define OCW3_POLL		0x0c

/*
 * ICW1-ICW4 on both chips: edge triggered, cascaded, vectors base..base+7
 * (master) and slave_base..slave_base+7, slave on IR2, 8086 mode, normal
 * EOI; then every line masked (ICW1 clears the mask register).
 */
void pic_init(uint8_t master_base, uint8_t slave_base);

/*
 * The edge/level control registers (ELCR) at ports 0x4D0 and 0x4D1, a
 * chipset register beside the 8259A (Intel PIIX/ICH): bit n set makes
 * IRQ n level triggered. Firmware sets some for PCI; the guests that drive
 * lines themselves clear them. IRQs 0, 1, 2, 8 and 13 are always edge.
 */
#define ELCR_PORT	0x4d0
void pic_set_elcr(uint16_t elcr);
uint16_t pic_get_elcr(void);

/* OCW1 on both chips: bit n masks IRQ n (8-15 on the slave). */
void pic_set_mask(uint16_t mask);
uint16_t pic_get_mask(void);

/* OCW3 reads, both chips at once: bits 7:0 the master, 15:8 the slave. */
uint16_t pic_irr(void);
uint16_t pic_isr(void);

/* Non-specific EOI for `irq`: to the slave too when irq is 8-15. */
void pic_eoi(unsigned int irq);

/* Any OCW2 (or OCW3) to one chip. */
static inline void pic_command(uint16_t chip, uint8_t ocw)
{
	outb(chip, ocw);
}

/*
 * Poll mode: OCW3 with P = 1, then a read of the same port, which acts as
 * the interrupt acknowledge: bit 7 set if an interrupt was pending, bits
 * 2:0 the highest level, whose ISR bit is now set.
 */
uint8_t pic_poll(uint16_t chip);

#endif

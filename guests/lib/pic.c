/*
 * 8259A helpers for the lab 03 guests (see pic.h). Book section 3.2.
 */
#include "io.h"
#include "pic.h"

#define ICW1_INIT	0x10	/* D4 = 1 marks ICW1 */
#define ICW1_ICW4	0x01	/* IC4: ICW4 follows */
#define ICW4_8086	0x01	/* uPM: 8086/8088 mode */

void pic_init(uint8_t master_base, uint8_t slave_base)
{
	outb(PIC_MASTER, ICW1_INIT | ICW1_ICW4);
	outb(PIC_MASTER + 1, master_base);		/* ICW2 */
	outb(PIC_MASTER + 1, 1u << PIC_CASCADE_IRQ);	/* ICW3: slave on IR2 */
	outb(PIC_MASTER + 1, ICW4_8086);
	outb(PIC_SLAVE, ICW1_INIT | ICW1_ICW4);
	outb(PIC_SLAVE + 1, slave_base);
	outb(PIC_SLAVE + 1, PIC_CASCADE_IRQ);		/* ICW3: its ID */
	outb(PIC_SLAVE + 1, ICW4_8086);
	pic_set_mask(0xffff);
}

void pic_set_mask(uint16_t mask)
{
	outb(PIC_MASTER + 1, (uint8_t)mask);
	outb(PIC_SLAVE + 1, (uint8_t)(mask >> 8));
}

uint16_t pic_get_mask(void)
{
	return inb(PIC_MASTER + 1) | inb(PIC_SLAVE + 1) << 8;
}

void pic_set_elcr(uint16_t elcr)
{
	outb(ELCR_PORT, (uint8_t)elcr);
	outb(ELCR_PORT + 1, (uint8_t)(elcr >> 8));
}

uint16_t pic_get_elcr(void)
{
	return inb(ELCR_PORT) | inb(ELCR_PORT + 1) << 8;
}

static uint16_t read_both(uint8_t ocw3)
{
	outb(PIC_MASTER, ocw3);
	outb(PIC_SLAVE, ocw3);
	return inb(PIC_MASTER) | inb(PIC_SLAVE) << 8;
}

uint16_t pic_irr(void)
{
	return read_both(OCW3_READ_IRR);
}

uint16_t pic_isr(void)
{
	return read_both(OCW3_READ_ISR);
}

void pic_eoi(unsigned int irq)
{
	if (irq >= 8)
		outb(PIC_SLAVE, OCW2_EOI);
	outb(PIC_MASTER, OCW2_EOI);
}

uint8_t pic_poll(uint16_t chip)
{
	outb(chip, OCW3_POLL);
	return inb(chip);
}

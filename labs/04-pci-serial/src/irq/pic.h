/*
 * pic.h - the PC's pair of Intel 8259A programmable interrupt controllers:
 * a master at ports 0x20/0x21 and a slave at 0xA0/0xA1 cascaded on the
 * master's IR2, with PIIX's edge/level control registers (ELCR) at
 * 0x4D0/0x4D1 (book §3.2.1; Intel 8259A datasheet, "Programming the 8259A").
 *
 * Locking: struct pic has one mutex, taken by every public function here.
 * The `intr` and `warn` callbacks are called WITH that lock held; they may
 * take a local APIC's lock (lapic_set_lint) but must not call back into
 * the PIC, the I/O APIC, the PIT or the GSI router. Lock order of the
 * interrupt models: PIT -> GSI router -> PIC or I/O APIC -> local APIC.
 */
#ifndef VMM_PIC_H
#define VMM_PIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "irq/irqwarn.h"

#define PIC_MASTER_CMD	0x20
#define PIC_MASTER_DATA	0x21
#define PIC_SLAVE_CMD	0xA0
#define PIC_SLAVE_DATA	0xA1
#define PIC_ELCR_MASTER	0x4D0
#define PIC_ELCR_SLAVE	0x4D1

/* PIIX: IRQ 0, 1, 2, 8 and 13 are edge only; their ELCR bits read 0. */
#define PIC_ELCR_MASTER_MASK	0xF8
#define PIC_ELCR_SLAVE_MASK	0xDE

/* Where a chip is in the ICW1..ICW4 sequence. */
enum pic_init {
	PIC_READY,	/* initialised: odd-port writes are OCW1 */
	PIC_ICW2,
	PIC_ICW3,
	PIC_ICW4,
};

struct pic_chip {
	uint8_t irr;		/* interrupt request register */
	uint8_t isr;		/* in-service register */
	uint8_t imr;		/* interrupt mask register (OCW1) */
	uint8_t line;		/* the IR input levels, for edge detection */
	uint8_t elcr;		/* 1 = level triggered (PIIX ELCR) */
	uint8_t elcr_mask;	/* the ELCR bits that exist */
	uint8_t icw1, icw2, icw3, icw4;
	uint8_t lowest;		/* the IR with the lowest priority (rotation) */
	enum pic_init init;
	bool read_isr;		/* OCW3 RR/RIS: even-port reads give ISR */
	bool poll;		/* OCW3 P: the next read is a poll */
	bool smm;		/* OCW3 special mask mode */
	bool rotate_aeoi;	/* OCW2 rotate in automatic EOI mode */
};

struct pic_ops {
	/* The master's INT output changed to `level` (lock held). */
	void (*intr)(void *opaque, int level);
	irqwarn_fn *warn;
};

struct pic {
	pthread_mutex_t lock;
	struct pic_chip chip[2];	/* [0] master, [1] slave */
	int out;			/* the master's INT output */
	struct pic_ops ops;
	void *opaque;
	uint32_t warned;
};

void pic_init(struct pic *p, const struct pic_ops *ops, void *opaque);
void pic_destroy(struct pic *p);
/* Power-on: not initialised, all masked, ELCR edge. */
void pic_reset(struct pic *p);

/* Port I/O, one byte: 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1. */
uint8_t pic_read(struct pic *p, uint16_t port);
void pic_write(struct pic *p, uint16_t port, uint8_t val);

/* The level of ISA IRQ `irq` (0-15; 2 is the cascade and is refused). */
void pic_set_irq(struct pic *p, unsigned int irq, int level);

/*
 * The interrupt acknowledge cycle: the vector the pair puts on the bus
 * (what KVM_INTERRUPT injects), with IRR/ISR updated. With no request
 * left it is the spurious IR7 vector of the master (or of the slave if
 * the master's IR2 was taken), with no ISR bit set.
 */
uint8_t pic_inta(struct pic *p);

/* The master's INT output now. */
int pic_output(struct pic *p);

#endif

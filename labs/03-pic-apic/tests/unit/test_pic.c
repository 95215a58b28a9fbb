/*
 * test_pic.c - the 8259A pair against the datasheet: ICW1-ICW4, OCW1-3,
 * the priority resolver, EOI and rotation, automatic EOI, poll, special
 * mask mode, special fully nested mode, the cascade, ELCR and spurious
 * IRQ 7/15. Suite pic needs the resolver and the EOI commands (exercise
 * 3.pic) in every check; pic-regs holds the rest.
 */
#include "irqunit.h"

static struct irqm *m;
static struct pic *p;

static void setup(void)
{
	m = irqm_new(1);
	p = &m->pic;
}

static void teardown(void)
{
	irqm_free(m);
}

/* Initialised for 8086 with vector bases 0x20/0x28, all unmasked. */
static void setup_pc(void)
{
	setup();
	irqm_pic_init(p, 0x01);
}

static void pulse(unsigned int irq)
{
	pic_set_irq(p, irq, 1);
	pic_set_irq(p, irq, 0);
}

START_TEST(icw_cascade_sequence)
{
	irqm_pic_init(p, 0x01);
	ck_assert_uint_eq(pic_read(p, 0x21), 0);	/* ICW1 cleared IMR */
	ck_assert_uint_eq(pic_read(p, 0xA1), 0);
	pulse(1);
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x21);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x02);
	ck_assert_uint_eq(irqm_pic_irr(p, 0x20), 0x00);
	ck_assert_int_eq(m->intr, 0);
	/* Once initialised, odd-port writes are OCW1. */
	pic_write(p, 0x21, 0x5A);
	ck_assert_uint_eq(pic_read(p, 0x21), 0x5A);
}
END_TEST

START_TEST(icw2_low_bits_ignored)
{
	pic_write(p, 0x20, 0x11);
	pic_write(p, 0x21, 0x27);	/* T7-T3 = 0x20; bits 2-0 are the IR */
	pic_write(p, 0x21, 0x04);
	pic_write(p, 0x21, 0x01);
	pulse(3);
	ck_assert_uint_eq(pic_inta(p), 0x23);
}
END_TEST

START_TEST(single_mode_skips_icw3)
{
	/* SNGL=1, IC4=1: ICW1, ICW2, ICW4; the next odd write is OCW1. */
	pic_write(p, 0x20, 0x13);
	pic_write(p, 0x21, 0x40);
	pic_write(p, 0x21, 0x01);
	pic_write(p, 0x21, 0xF0);
	ck_assert_uint_eq(pic_read(p, 0x21), 0xF0);
	pulse(0);
	ck_assert_uint_eq(pic_inta(p), 0x40);
}
END_TEST

START_TEST(no_icw4)
{
	/* IC4=0, SNGL=1: ICW1 and ICW2 only. */
	pic_write(p, 0x20, 0x12);
	pic_write(p, 0x21, 0x30);
	pic_write(p, 0x21, 0xEF);	/* OCW1 already */
	ck_assert_uint_eq(pic_read(p, 0x21), 0xEF);
	/* IC4=0, cascade: ICW1, ICW2, ICW3, then OCW1. */
	pic_write(p, 0x20, 0x10);
	pic_write(p, 0x21, 0x30);
	pic_write(p, 0x21, 0x04);
	pic_write(p, 0x21, 0x7F);
	ck_assert_uint_eq(pic_read(p, 0x21), 0x7F);
}
END_TEST

START_TEST(icw1_without_ic4_clears_icw4)
{
	irqm_pic_init(p, 0x03);			/* AEOI */
	pulse(4);
	ck_assert_uint_eq(pic_inta(p), 0x24);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0);	/* AEOI: no ISR */
	pic_write(p, 0x20, 0x10);		/* no IC4: ICW4 functions = 0 */
	pic_write(p, 0x21, 0x20);
	pic_write(p, 0x21, 0x04);
	pulse(4);
	ck_assert_uint_eq(pic_inta(p), 0x24);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x10);
}
END_TEST

START_TEST(icw1_resets_imr_priority_smm_and_rr)
{
	pic_write(p, 0x21, 0xFF);
	pic_write(p, 0x20, 0xC3);		/* IR3 lowest */
	pic_write(p, 0x20, 0x68);		/* special mask mode */
	pic_write(p, 0x20, 0x0B);		/* read ISR */
	irqm_pic_init(p, 0x01);
	ck_assert_uint_eq(pic_read(p, 0x21), 0);
	pulse(3);
	pulse(5);
	ck_assert_uint_eq(pic_read(p, 0x20), 0x28);	/* IRR is read again */
	pulse(0);
	ck_assert_uint_eq(pic_inta(p), 0x20);		/* IR0 highest again */
	/* SMM off: IR3 is blocked by IR0 in service. */
	ck_assert_int_eq(m->intr, 0);
}
END_TEST

START_TEST(icw1_needs_a_new_edge)
{
	pic_set_irq(p, 5, 1);
	irqm_pic_init(p, 0x01);
	ck_assert_uint_eq(irqm_pic_irr(p, 0x20) & 0x20, 0);
	ck_assert_int_eq(m->intr, 0);
	pic_set_irq(p, 5, 0);
	pic_set_irq(p, 5, 1);
	ck_assert_int_eq(m->intr, 1);
}
END_TEST

START_TEST(icw4_without_icw1_is_ocw1)
{
	pic_write(p, 0x21, 0x01);
	ck_assert_uint_eq(pic_read(p, 0x21), 0x01);
	pulse(0);
	ck_assert_int_eq(m->intr, 0);		/* masked */
}
END_TEST

START_TEST(ocw1_masks_but_keeps_irr)
{
	pic_write(p, 0x21, 0x08);
	pulse(3);
	ck_assert_int_eq(m->intr, 0);
	ck_assert_uint_eq(irqm_pic_irr(p, 0x20), 0x08);
	pic_write(p, 0x21, 0x00);
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x23);
}
END_TEST

START_TEST(slave_masked_by_master_ir2)
{
	pic_write(p, 0x21, 0x04);
	pulse(9);
	ck_assert_int_eq(m->intr, 0);
	pic_write(p, 0x21, 0x00);
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x29);
}
END_TEST

START_TEST(fixed_priority_order)
{
	pulse(5);
	pulse(3);
	pulse(7);
	ck_assert_uint_eq(pic_inta(p), 0x23);
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(pic_inta(p), 0x25);
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(pic_inta(p), 0x27);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x80);
}
END_TEST

/* The level of lowest priority waits behind any level in service. */
START_TEST(lowest_level_waits)
{
	pulse(3);
	ck_assert_uint_eq(pic_inta(p), 0x23);
	pulse(7);				/* IR7: the lowest */
	ck_assert_int_eq(m->intr, 0);
	pic_write(p, 0x20, 0x20);
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x27);
	/* After a rotation IR3 is the lowest: the same with IR3 behind IR4. */
	pic_write(p, 0x20, 0xC3);		/* set priority: IR3 lowest */
	pulse(4);
	ck_assert_uint_eq(pic_inta(p), 0x24);
	pulse(3);
	ck_assert_int_eq(m->intr, 0);
}
END_TEST

/* OCW2 with R = 0, SL = 1, EOI = 0 does nothing at all. */
START_TEST(ocw2_no_operation)
{
	pulse(3);
	ck_assert_uint_eq(pic_inta(p), 0x23);
	pic_write(p, 0x20, 0x43);		/* "no operation", L = 3 */
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x08);
	pulse(5);
	pic_write(p, 0x20, 0x40);		/* nor does it rotate */
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(pic_inta(p), 0x25);
}
END_TEST

START_TEST(fully_nested)
{
	pulse(5);
	ck_assert_uint_eq(pic_inta(p), 0x25);
	ck_assert_int_eq(m->intr, 0);
	pulse(6);				/* lower: waits */
	ck_assert_int_eq(m->intr, 0);
	pulse(3);				/* higher: nests */
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x23);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x28);
	pic_write(p, 0x20, 0x20);		/* ends IR3, the highest */
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x20);
	ck_assert_int_eq(m->intr, 0);		/* IR6 still below IR5 */
	pic_write(p, 0x20, 0x20);
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x26);
}
END_TEST

START_TEST(same_level_does_not_nest)
{
	pulse(4);
	ck_assert_uint_eq(pic_inta(p), 0x24);
	pulse(4);
	ck_assert_int_eq(m->intr, 0);
	pic_write(p, 0x20, 0x20);
	ck_assert_int_eq(m->intr, 1);
}
END_TEST

START_TEST(specific_eoi)
{
	pulse(5);
	pic_inta(p);
	pulse(3);
	pic_inta(p);
	pic_write(p, 0x20, 0x65);		/* specific EOI, L=5 */
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x08);
	pic_write(p, 0x20, 0x62);		/* L=2: not in service, no effect */
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x08);
}
END_TEST

START_TEST(eoi_with_nothing_in_service)
{
	pic_write(p, 0x20, 0x20);
	pic_write(p, 0x20, 0xA0);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0);
	pulse(0);
	pulse(1);
	/* No rotation happened: IR0 still first. */
	ck_assert_uint_eq(pic_inta(p), 0x20);
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(pic_inta(p), 0x21);
	pic_write(p, 0x20, 0x20);
	/* Nor after a set priority: IR3 stays the lowest, IR4 first. */
	pic_write(p, 0x20, 0xC3);
	pic_write(p, 0x20, 0xA0);
	pulse(0);
	pulse(4);
	ck_assert_uint_eq(pic_inta(p), 0x24);
}
END_TEST

/* Priority is a rank: IR0 preempts IR1, the next rank, in service. */
START_TEST(next_rank_nests)
{
	pulse(1);
	ck_assert_uint_eq(pic_inta(p), 0x21);
	pulse(0);
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x20);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x03);
	/* And with IR5 the lowest: IR6 (rank 0) preempts IR7 (rank 1). */
	pic_write(p, 0x20, 0x20);
	pic_write(p, 0x20, 0x20);
	pic_write(p, 0x20, 0xC5);
	pulse(7);
	ck_assert_uint_eq(pic_inta(p), 0x27);
	pulse(6);
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x26);
}
END_TEST

START_TEST(rotate_on_nonspecific_eoi)
{
	pulse(4);
	ck_assert_uint_eq(pic_inta(p), 0x24);
	pic_write(p, 0x20, 0xA0);		/* IR4 becomes the lowest */
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0);
	pulse(4);
	pulse(1);
	pulse(6);
	/* Priorities now 5 6 7 0 1 2 3 4. */
	ck_assert_uint_eq(pic_inta(p), 0x26);
	pic_write(p, 0x20, 0xA0);		/* IR6 lowest: 7 0 1 ... 6 */
	ck_assert_uint_eq(pic_inta(p), 0x21);
	pic_write(p, 0x20, 0xA0);		/* IR1 lowest: 2 3 4 ... 1 */
	ck_assert_uint_eq(pic_inta(p), 0x24);
}
END_TEST

START_TEST(set_priority)
{
	pic_write(p, 0x20, 0xC3);		/* IR3 lowest, IR4 highest */
	pulse(0);
	pulse(3);
	pulse(4);
	ck_assert_uint_eq(pic_inta(p), 0x24);
	/* Nesting follows the rotated order: IR0 is below IR4 now. */
	ck_assert_int_eq(m->intr, 0);
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(pic_inta(p), 0x20);
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(pic_inta(p), 0x23);
	pic_write(p, 0x20, 0x20);
	/* A non-specific EOI ends the highest priority, not the lowest IR. */
	pulse(1);
	ck_assert_uint_eq(pic_inta(p), 0x21);
	pulse(5);
	ck_assert_uint_eq(pic_inta(p), 0x25);	/* 5 is above 1 now */
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x02);
}
END_TEST

START_TEST(rotate_on_specific_eoi)
{
	pulse(6);
	pic_inta(p);
	pulse(2 + 1);
	pic_inta(p);
	pic_write(p, 0x20, 0xE6);		/* end IR6, IR6 lowest */
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x08);
	pic_write(p, 0x20, 0x63);
	pulse(0);
	pulse(7);
	ck_assert_uint_eq(pic_inta(p), 0x27);	/* 7 0 1 ... 6 */
}
END_TEST

START_TEST(auto_eoi)
{
	irqm_pic_init(p, 0x03);
	pulse(5);
	ck_assert_uint_eq(pic_inta(p), 0x25);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0);
	pulse(6);				/* lower, yet nothing in service */
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x26);
}
END_TEST

START_TEST(rotate_in_auto_eoi)
{
	irqm_pic_init(p, 0x03);
	pic_write(p, 0x20, 0x80);		/* set rotate in AEOI */
	pulse(1);
	ck_assert_uint_eq(pic_inta(p), 0x21);	/* IR1 now lowest */
	pulse(0);
	pulse(3);
	ck_assert_uint_eq(pic_inta(p), 0x23);	/* 2 3 ... 0 1 */
	pic_write(p, 0x20, 0x00);		/* clear rotate in AEOI */
	ck_assert_uint_eq(pic_inta(p), 0x20);	/* IR3 lowest now; 0 next */
	pulse(7);
	pulse(1);
	ck_assert_uint_eq(pic_inta(p), 0x27);	/* 4 5 6 7 0 1: IR0 did not rotate */
}
END_TEST

START_TEST(ocw3_read_register)
{
	pulse(3);
	pulse(5);
	pic_inta(p);
	pic_write(p, 0x20, 0x0A);
	ck_assert_uint_eq(pic_read(p, 0x20), 0x20);
	pic_write(p, 0x20, 0x0B);
	ck_assert_uint_eq(pic_read(p, 0x20), 0x08);
	pic_write(p, 0x20, 0x08);		/* RR=0: selection unchanged */
	ck_assert_uint_eq(pic_read(p, 0x20), 0x08);
	ck_assert_uint_eq(pic_read(p, 0x20), 0x08);
	ck_assert_uint_eq(pic_read(p, 0x21), 0x00);	/* odd port: IMR */
}
END_TEST

START_TEST(poll_mode)
{
	pic_write(p, 0x21, 0xFF);
	pulse(6);
	pic_write(p, 0x20, 0x0C);		/* a masked level is not polled */
	ck_assert_uint_eq(pic_read(p, 0x20) & 0x80, 0);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x00);
	pic_write(p, 0x21, 0x00);
	pic_write(p, 0x20, 0x0C);
	ck_assert_uint_eq(pic_read(p, 0x20), 0x86);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x40);
	ck_assert_uint_eq(irqm_pic_irr(p, 0x20), 0x00);
	/* Nothing requesting: I = 0. */
	pic_write(p, 0x20, 0x0C);
	ck_assert_uint_eq(pic_read(p, 0x20) & 0x80, 0);
	/* The poll is for one read only. */
	pulse(1);
	pic_write(p, 0x20, 0x0C);
	ck_assert_uint_eq(pic_read(p, 0x20), 0x81);
	ck_assert_uint_eq(pic_read(p, 0x20), 0x00);	/* IRR again */
}
END_TEST

/*
 * Polling the master gives level 2 for a slave request but does not
 * acknowledge the slave, whose INT stays high: no new edge on IR2, so
 * after both EOIs the next poll of the master gives its own IR3.
 */
START_TEST(poll_cascade)
{
	pulse(10);
	pulse(3);
	pic_write(p, 0x20, 0x0C);
	ck_assert_uint_eq(pic_read(p, 0x20), 0x82);
	pic_write(p, 0xA0, 0x0C);
	ck_assert_uint_eq(pic_read(p, 0xA0), 0x82);
	pic_write(p, 0xA0, 0x20);
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(irqm_pic_irr(p, 0x20), 0x08);
	pic_write(p, 0x20, 0x0C);
	ck_assert_uint_eq(pic_read(p, 0x20), 0x83);
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x00);
	ck_assert_uint_eq(irqm_pic_irr(p, 0x20), 0x00);
	/* A second slave request after the slave's poll: a new edge. */
	pulse(10);
	pulse(11);
	pic_write(p, 0xA0, 0x0C);
	ck_assert_uint_eq(pic_read(p, 0xA0), 0x82);
	ck_assert_uint_eq(irqm_pic_irr(p, 0x20) & 0x04, 0x04);
}
END_TEST

START_TEST(special_mask_mode)
{
	pulse(3);
	ck_assert_uint_eq(pic_inta(p), 0x23);
	pulse(5);
	ck_assert_int_eq(m->intr, 0);		/* below IR3 in service */
	pic_write(p, 0x21, 0x08);		/* mask IR3 */
	ck_assert_int_eq(m->intr, 0);		/* not enough outside SMM */
	pic_write(p, 0x20, 0x68);		/* set SMM */
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x25);
	/* A non-specific EOI skips the masked IS bit in SMM. */
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x08);
	pic_write(p, 0x20, 0x48);		/* reset SMM */
	pulse(6);
	ck_assert_int_eq(m->intr, 0);		/* IR3 blocks again */
	pic_write(p, 0x20, 0x28);		/* ESMM=0: SMM unchanged */
	ck_assert_int_eq(m->intr, 0);
}
END_TEST

START_TEST(cascade)
{
	pulse(10);
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(irqm_pic_irr(p, 0xA0), 0x04);
	ck_assert_uint_eq(pic_inta(p), 0x2A);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x04);
	ck_assert_uint_eq(irqm_pic_isr(p, 0xA0), 0x04);
	pulse(3);				/* lower than IR2: waits */
	ck_assert_int_eq(m->intr, 0);
	pulse(1);				/* higher than IR2: nests */
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x21);
	pic_write(p, 0x20, 0x20);		/* ends IR1 */
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x04);
	pic_write(p, 0x21, 0x08);		/* IR3 out of the way */
	pulse(9);				/* slave-higher, master IR2 busy */
	ck_assert_int_eq(m->intr, 0);
	pic_write(p, 0xA0, 0x20);
	ck_assert_int_eq(m->intr, 0);		/* master ISR2 still set */
	pic_write(p, 0x20, 0x20);
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x29);
}
END_TEST

START_TEST(cascade_slave_priority)
{
	pulse(15);
	pulse(8);
	ck_assert_uint_eq(pic_inta(p), 0x28);
	pic_write(p, 0xA0, 0x20);
	pic_write(p, 0x20, 0x20);
	ck_assert_uint_eq(pic_inta(p), 0x2F);
}
END_TEST

START_TEST(special_fully_nested)
{
	irqm_pic_init(p, 0x11);			/* master SFNM */
	pulse(12);
	ck_assert_uint_eq(pic_inta(p), 0x2C);
	pulse(9);				/* higher on the slave */
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x29);
	ck_assert_uint_eq(irqm_pic_isr(p, 0xA0), 0x12);
	pulse(13);				/* lower on the slave: waits */
	ck_assert_int_eq(m->intr, 0);
	pulse(4);				/* lower on the master: waits */
	ck_assert_int_eq(m->intr, 0);
}
END_TEST

START_TEST(no_sfnm_slave_cannot_nest)
{
	pulse(12);
	ck_assert_uint_eq(pic_inta(p), 0x2C);
	pulse(9);
	ck_assert_int_eq(m->intr, 0);
	/* After both EOIs IRQ 9 goes in. */
	pic_write(p, 0xA0, 0x20);
	pic_write(p, 0x20, 0x20);
	ck_assert_int_eq(m->intr, 1);
	ck_assert_uint_eq(pic_inta(p), 0x29);
}
END_TEST

START_TEST(elcr_masks)
{
	pic_write(p, 0x4D0, 0xFF);
	pic_write(p, 0x4D1, 0xFF);
	ck_assert_uint_eq(pic_read(p, 0x4D0), 0xF8);
	ck_assert_uint_eq(pic_read(p, 0x4D1), 0xDE);
}
END_TEST

START_TEST(elcr_level)
{
	pic_write(p, 0x4D1, 0x08);		/* IRQ 11 level */
	pic_set_irq(p, 11, 1);
	ck_assert_uint_eq(pic_inta(p), 0x2B);
	ck_assert_uint_eq(irqm_pic_irr(p, 0xA0), 0x08);	/* still asserted */
	pic_write(p, 0xA0, 0x20);
	pic_write(p, 0x20, 0x20);
	ck_assert_int_eq(m->intr, 1);		/* asserted again */
	pic_set_irq(p, 11, 0);
	ck_assert_uint_eq(irqm_pic_irr(p, 0xA0), 0x00);
	/* The master's edge-latched IR2 remains: a spurious IRQ 15. */
	ck_assert_uint_eq(pic_inta(p), 0x2F);
	ck_assert_uint_eq(irqm_pic_isr(p, 0xA0), 0x00);
}
END_TEST

START_TEST(edge_needs_rising_edge)
{
	pic_set_irq(p, 5, 1);
	ck_assert_uint_eq(pic_inta(p), 0x25);
	ck_assert_uint_eq(irqm_pic_irr(p, 0x20), 0x00);
	pic_write(p, 0x20, 0x20);
	pic_set_irq(p, 5, 1);			/* still high: no new edge */
	ck_assert_int_eq(m->intr, 0);
	pic_set_irq(p, 5, 0);
	pic_set_irq(p, 5, 1);
	ck_assert_int_eq(m->intr, 1);
}
END_TEST

START_TEST(ltim_all_level)
{
	pic_write(p, 0x20, 0x19);		/* LTIM */
	pic_write(p, 0x21, 0x20);
	pic_write(p, 0x21, 0x04);
	pic_write(p, 0x21, 0x01);
	pic_set_irq(p, 1, 1);			/* IRQ 1: ELCR can't, LTIM can */
	pic_inta(p);
	pic_write(p, 0x20, 0x20);
	ck_assert_int_eq(m->intr, 1);
}
END_TEST

START_TEST(spurious_irq7)
{
	pic_write(p, 0x4D0, 0x20);		/* IRQ 5 level */
	pic_set_irq(p, 5, 1);
	ck_assert_int_eq(m->intr, 1);
	pic_set_irq(p, 5, 0);			/* gone before INTA */
	ck_assert_int_eq(m->intr, 0);
	ck_assert_uint_eq(pic_inta(p), 0x27);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x00);
	/* With no request at all, likewise. */
	ck_assert_uint_eq(pic_inta(p), 0x27);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x00);
}
END_TEST

START_TEST(spurious_irq15)
{
	pic_write(p, 0x4D1, 0x04);		/* IRQ 10 level */
	pic_set_irq(p, 10, 1);
	pic_set_irq(p, 10, 0);			/* master IR2 stays latched */
	ck_assert_uint_eq(pic_inta(p), 0x2F);
	ck_assert_uint_eq(irqm_pic_isr(p, 0x20), 0x04);
	ck_assert_uint_eq(irqm_pic_isr(p, 0xA0), 0x00);
}
END_TEST

START_TEST(int_callback_transitions)
{
	int before = m->intr_changes;

	pulse(3);
	pulse(4);
	ck_assert_int_eq(m->intr_changes - before, 1);
	ck_assert_int_eq(pic_output(p), 1);
	pic_inta(p);
	ck_assert_int_eq(m->intr_changes - before, 2);
	ck_assert_int_eq(pic_output(p), 0);
}
END_TEST

START_TEST(cascade_ir_refused)
{
	int w = m->warnings;

	pic_set_irq(p, 2, 1);
	pic_set_irq(p, 16, 1);
	ck_assert_int_eq(m->intr, 0);
	ck_assert_int_eq(m->warnings - w, 1);	/* said once */
}
END_TEST

START_TEST(power_on_masked)
{
	pulse(1);
	ck_assert_int_eq(m->intr, 0);
	ck_assert_uint_eq(pic_read(p, 0x21), 0xFF);
}
END_TEST

Suite *pic_suite(void)
{
	Suite *s = suite_create("pic");
	TCase *raw = tcase_create("raw");
	TCase *pc = tcase_create("pc");

	tcase_add_checked_fixture(raw, setup, teardown);
	tcase_add_test(raw, icw_cascade_sequence);
	tcase_add_test(raw, icw2_low_bits_ignored);
	tcase_add_test(raw, single_mode_skips_icw3);
	tcase_add_test(raw, icw1_without_ic4_clears_icw4);
	tcase_add_test(raw, icw1_resets_imr_priority_smm_and_rr);
	tcase_add_test(raw, icw1_needs_a_new_edge);
	tcase_add_test(raw, ltim_all_level);
	tcase_add_test(raw, special_fully_nested);
	tcase_add_test(raw, auto_eoi);
	tcase_add_test(raw, rotate_in_auto_eoi);
	suite_add_tcase(s, raw);

	tcase_add_checked_fixture(pc, setup_pc, teardown);
	tcase_add_test(pc, ocw1_masks_but_keeps_irr);
	tcase_add_test(pc, slave_masked_by_master_ir2);
	tcase_add_test(pc, fixed_priority_order);
	tcase_add_test(pc, fully_nested);
	tcase_add_test(pc, lowest_level_waits);
	tcase_add_test(pc, next_rank_nests);
	tcase_add_test(pc, ocw2_no_operation);
	tcase_add_test(pc, same_level_does_not_nest);
	tcase_add_test(pc, specific_eoi);
	tcase_add_test(pc, eoi_with_nothing_in_service);
	tcase_add_test(pc, rotate_on_nonspecific_eoi);
	tcase_add_test(pc, set_priority);
	tcase_add_test(pc, rotate_on_specific_eoi);
	tcase_add_test(pc, ocw3_read_register);
	tcase_add_test(pc, poll_mode);
	tcase_add_test(pc, poll_cascade);
	tcase_add_test(pc, special_mask_mode);
	tcase_add_test(pc, cascade);
	tcase_add_test(pc, cascade_slave_priority);
	tcase_add_test(pc, no_sfnm_slave_cannot_nest);
	tcase_add_test(pc, elcr_level);
	tcase_add_test(pc, edge_needs_rising_edge);
	tcase_add_test(pc, spurious_irq7);
	tcase_add_test(pc, spurious_irq15);
	tcase_add_test(pc, int_callback_transitions);
	suite_add_tcase(s, pc);
	return s;
}

Suite *pic_regs_suite(void)
{
	Suite *s = suite_create("pic-regs");
	TCase *tc = tcase_create("raw");
	TCase *pc = tcase_create("pc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, no_icw4);
	tcase_add_test(tc, icw4_without_icw1_is_ocw1);
	tcase_add_test(tc, power_on_masked);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(pc, setup_pc, teardown);
	tcase_add_test(pc, elcr_masks);
	tcase_add_test(pc, cascade_ir_refused);
	suite_add_tcase(s, pc);
	return s;
}

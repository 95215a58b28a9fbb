/* @@ file 03 */
/*
 * test_irqtest.c - the interrupt test device (src/dev/irqtest.c) on the
 * port bus of a VM with the user-space controllers: its lines reach the
 * 8259A and the I/O APIC as guests/README.md lays them out, its MSI block
 * sends one MSI per write of MSI_DATA, its watchdog ends the run as the
 * guest asked, and everything else is ignored.
 */
#include "dev/irqtest.h"
#include "irq/irqchip.h"
#include "unit.h"

static struct fake_vm f;
static struct irqchip *ic;
static struct irqtest *t;

static void setup(void)
{
	fake_vm_init(&f);
	ic = fake_dev(&f, irqchip_init);
	t = fake_dev(&f, irqtest_init);
}

static void teardown(void)
{
	irqtest_exit(t, &f.vm);
	irqchip_exit(ic, &f.vm);
	fake_vm_free(&f);
}

static void out(uint16_t port, unsigned int size, uint32_t v)
{
	bus_write(&f.vm.pio, f.cpu, port, size, v);
}

static uint64_t in(uint16_t port, unsigned int size)
{
	return bus_read(&f.vm.pio, f.cpu, port, size);
}

/* The 8259A's IRR (read with OCW3 RR) and the I/O APIC's input levels. */
static unsigned int pic_irr16(void)
{
	pic_write(&ic->pic, 0x20, 0x0a);
	pic_write(&ic->pic, 0xa0, 0x0a);
	return pic_read(&ic->pic, 0x20) | pic_read(&ic->pic, 0xa0) << 8;
}

START_TEST(lines)
{
	out(0x2003, 1, 1);
	ck_assert_uint_eq(pic_irr16(), 0x0008);
	ck_assert_uint_eq(ic->line_src[3], IRQ_SRC_IRQTEST);
	out(0x2003, 1, 0);
	ck_assert_uint_eq(ic->line_src[3], 0);
	out(0x200a, 1, 0x80);		/* any value but 0 is high */
	ck_assert_uint_eq(pic_irr16(), 0x0408);	/* IRQ 3's edge stays latched */
	ck_assert_uint_eq(ic->line_src[10], IRQ_SRC_IRQTEST);
	out(0x2017, 1, 1);		/* line 23: an I/O APIC pin only */
	ck_assert_uint_eq(ic->line_src[23], IRQ_SRC_IRQTEST);
	ck_assert_uint_eq(pic_irr16(), 0x0408);
	out(0x2017, 1, 0);
	out(0x200a, 1, 0);
	ck_assert_uint_eq(ic->line_src[10] | ic->line_src[23], 0);
	ck_assert_uint_eq(in(0x2005, 1), 0xff);	/* reads: all ones */
}
END_TEST

START_TEST(lines_not_ours)
{
	out(0x2000, 1, 1);		/* the PIT's line */
	out(0x2002, 1, 1);		/* the cascade */
	out(0x2004, 2, 0x0101);		/* 2 bytes: ignored */
	out(0x2004, 4, 1);
	ck_assert_uint_eq(pic_irr16(), 0);
	ck_assert_uint_eq(ic->line_src[0] | ic->line_src[2] | ic->line_src[4], 0);
	ck_assert_uint_eq(t->warned, 1u << IRQTEST_W_LINE);
}
END_TEST

/* The line is the OR of its sources: the PIT's own line stays the PIT's. */
START_TEST(lines_are_ored)
{
	irqchip_set_line(ic, IRQ_SRC_PIT, 5, 1);
	ck_assert_uint_eq(pic_irr16(), 0x0020);
	out(0x2005, 1, 1);
	out(0x2005, 1, 0);
	ck_assert_uint_eq(ic->line_src[5], IRQ_SRC_PIT);
	ck_assert_uint_eq(atomic_load(&ic->nr_edges), 1);	/* never went low */
	irqchip_set_line(ic, IRQ_SRC_PIT, 5, 0);
	ck_assert_uint_eq(ic->line_src[5], 0);
	ck_assert_uint_eq(atomic_load(&ic->nr_edges), 2);
}
END_TEST

START_TEST(msi_block)
{
	struct lapic *l = &ic->lapic[0];

	lapic_write(l, LAPIC_SVR, 4, 0x1ff);
	ck_assert_uint_eq(in(0x51c, 4), 0x54515249);
	out(0x510, 4, 0xfee00000);
	ck_assert_uint_eq(in(0x510, 4), 0xfee00000);
	out(0x514, 4, 0x4041);		/* fixed, vector 0x41, edge */
	ck_assert_uint_eq(in(0x514, 4), 0x4041);
	ck_assert(lapic_read(l, LAPIC_IRR + 0x20, 4) & (1u << 1));
	ck_assert_uint_eq(atomic_load(&ic->nr_msis), 1);
	/* Outside 0xFEExxxxx: nothing is sent. */
	out(0x510, 4, 0xfed00000);
	out(0x514, 4, 0x4042);
	ck_assert(!(lapic_read(l, LAPIC_IRR + 0x20, 4) & (1u << 2)));
	ck_assert_uint_eq(atomic_load(&ic->nr_msis), 1);
	ck_assert(t->warned & (1u << IRQTEST_W_ADDR));
}
END_TEST

START_TEST(msi_block_bad_accesses)
{
	out(0x510, 4, 0xfee00000);
	out(0x514, 2, 0x4041);		/* not 4 bytes: nothing sent */
	out(0x518, 4, 0x4041);
	out(0x51c, 4, 0);
	ck_assert_uint_eq(atomic_load(&ic->nr_msis), 0);
	ck_assert_uint_eq(in(0x511, 1), 0xff);
	ck_assert_uint_eq(in(0x518, 4), 0xffffffff);
	ck_assert_uint_eq(in(0x51c, 2), 0xffff);
	ck_assert_uint_eq(in(0x510, 4), 0xfee00000);
	ck_assert(t->warned & (1u << IRQTEST_W_MSI));
}
END_TEST

START_TEST(watchdog)
{
	int id = t->watchdog_timer;

	ck_assert_int_ge(id, 0);
	ck_assert_uint_eq(ic->timers.deadline[id], TIMERS_NONE);
	out(0x2018, 4, 5000);
	ck_assert_uint_ne(ic->timers.deadline[id], TIMERS_NONE);
	ck_assert_uint_ge(ic->timers.deadline[id], timers_now_ns() + 4000000000ULL);
	out(0x2018, 4, 0);		/* disarmed: its firing does nothing */
	ck_assert_uint_eq(ic->timers.deadline[id], TIMERS_NONE);
	ic->timers.fire[id](ic->timers.opaque[id]);
	ck_assert(!vm_stopped(&f.vm));
	out(0x2018, 2, 5);		/* not 4 bytes: ignored */
	ck_assert_uint_eq(ic->timers.deadline[id], TIMERS_NONE);
	out(0x2018, 4, 1);
	ic->timers.fire[id](ic->timers.opaque[id]);
	ck_assert(vm_stopped(&f.vm));
	ck_assert_int_eq(vm_exit_status(&f.vm), 126 << 1 | 1);
	ck_assert_uint_eq(ic->timers.deadline[id], TIMERS_NONE);
	ck_assert_uint_eq(in(0x2018, 4), 0xffffffff);
}
END_TEST

Suite *irqtest_suite(void)
{
	Suite *s = suite_create("irqtest");
	TCase *tc = tcase_create("irqtest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lines);
	tcase_add_test(tc, lines_not_ours);
	tcase_add_test(tc, lines_are_ored);
	tcase_add_test(tc, msi_block_bad_accesses);
	tcase_add_test(tc, watchdog);
	suite_add_tcase(s, tc);
	return s;
}

/* The MSI block's message reaches the local APIC (3.msi decodes it). */
Suite *irqtest_msi_suite(void)
{
	Suite *s = suite_create("irqtest-msi");
	TCase *tc = tcase_create("msi");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, msi_block);
	suite_add_tcase(s, tc);
	return s;
}

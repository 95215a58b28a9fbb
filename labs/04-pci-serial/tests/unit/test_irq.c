/*
 * test_irq.c - the GSI routing table: the PC's defaults, MSI routes,
 * refused routes, the KVM_SET_GSI_ROUTING form, and whole paths through
 * the models (PIT -> GSI 0 -> 8259A -> LINT0 -> ExtINT -> INTA; a level
 * GSI through the I/O APIC and back with the EOI).
 */
#include <linux/kvm.h>
#include <stdlib.h>

#include "irqunit.h"

static struct irqm *m;

static void setup(void)
{
	m = irqm_new(2);
	irq_router_set_defaults(&m->router);
}

static void teardown(void)
{
	irqm_free(m);
}

/* The routes `gsi` reached: kind 0 PIC (ISA IRQ), 1 I/O APIC pin. */
static void expect(uint32_t gsi, int pic_irq, int ioapic_pin)
{
	int i, seen_pic = -1, seen_io = -1;

	m->route_n = 0;
	irq_set_level(&m->router, gsi, 1);
	for (i = 0; i < m->route_n; i++) {
		if (m->route_kind[i] == 0)
			seen_pic = m->route_pin[i];
		else if (m->route_kind[i] == 1)
			seen_io = m->route_pin[i];
	}
	ck_assert_msg(seen_pic == pic_irq && seen_io == ioapic_pin,
		      "GSI %u: PIC %d I/O APIC %d", gsi, seen_pic, seen_io);
	irq_set_level(&m->router, gsi, 0);
}

START_TEST(pc_defaults)
{
	unsigned int g;

	expect(0, 0, 2);			/* ISA IRQ 0 -> INTIN2 */
	expect(1, 1, 1);
	ck_assert_int_eq(irq_set_level(&m->router, 2, 1), -1);	/* cascade */
	for (g = 3; g < 16; g++)
		expect(g, (int)g, (int)g);
	for (g = 16; g < 24; g++)
		expect(g, -1, (int)g);
	ck_assert_int_eq(irq_set_level(&m->router, 24, 1), -1);
}
END_TEST

START_TEST(pulse_is_high_then_low)
{
	m->route_n = 0;
	ck_assert_int_eq(irq_pulse(&m->router, 4), 2);
	ck_assert_int_eq(m->route_n, 4);
	ck_assert_int_eq(m->route_level[0], 1);
	ck_assert_int_eq(m->route_level[1], 1);
	ck_assert_int_eq(m->route_level[2], 0);
	ck_assert_int_eq(m->route_level[3], 0);
}
END_TEST

START_TEST(msi_route)
{
	struct irq_route rt = {
		.gsi = 40, .type = IRQ_ROUTE_MSI,
		.addr = 0xFEE01000, .data = 0x00000071,
	};

	irqm_lapic_enable(&m->cpu[1]);
	ck_assert_int_eq(irq_route_add(&m->router, &rt), 0);
	m->route_n = 0;
	irq_set_level(&m->router, 40, 0);	/* falling: nothing sent */
	ck_assert_int_eq(m->route_n, 0);
	irq_set_level(&m->router, 40, 1);
	ck_assert_int_eq(m->route_n, 1);
	ck_assert(irqm_irr_has(&m->cpu[1], 0x71));
	rt.gsi = 41;
	rt.addr = 0xFED00000;			/* malformed: warned */
	ck_assert_int_eq(irq_route_add(&m->router, &rt), 0);
	int w = m->warnings;
	irq_set_level(&m->router, 41, 1);
	ck_assert_int_eq(m->warnings - w, 1);
}
END_TEST

START_TEST(bad_routes)
{
	static const struct irq_route bad[] = {
		{ .gsi = 5, .type = IRQ_ROUTE_IRQCHIP,
		  .chip = IRQ_CHIP_PIC_MASTER, .pin = 2 },
		{ .gsi = 5, .type = IRQ_ROUTE_IRQCHIP,
		  .chip = IRQ_CHIP_PIC_SLAVE, .pin = 8 },
		{ .gsi = 5, .type = IRQ_ROUTE_IRQCHIP,
		  .chip = IRQ_CHIP_IOAPIC, .pin = 24 },
		{ .gsi = 5, .type = IRQ_ROUTE_IRQCHIP, .chip = 3, .pin = 0 },
		{ .gsi = IRQ_GSI_MAX, .type = IRQ_ROUTE_MSI },
		{ .gsi = 5, .type = 7 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(irq_route_add(&m->router, &bad[i]), -1);
}
END_TEST

START_TEST(table_full)
{
	struct irq_route rt = { .gsi = 100, .type = IRQ_ROUTE_MSI,
				.addr = 0xFEE00000, .data = 0x40 };
	unsigned int i, ok = 0;

	for (i = 0; i < IRQ_ROUTES_MAX + 5; i++)
		ok += irq_route_add(&m->router, &rt) == 0;
	ck_assert_uint_eq(ok, IRQ_ROUTES_MAX - 38);
	ck_assert_int_eq(irq_route_del_gsi(&m->router, 100),
			 IRQ_ROUTES_MAX - 38);
	ck_assert_int_eq(irq_route_del_gsi(&m->router, 0), 2);
	ck_assert_int_eq(irq_set_level(&m->router, 0, 1), -1);
}
END_TEST

START_TEST(kvm_routing_form)
{
	size_t sz = sizeof(struct kvm_irq_routing) +
		    64 * sizeof(struct kvm_irq_routing_entry);
	struct kvm_irq_routing *kr = calloc(1, sz);
	struct irq_route rt = { .gsi = 24, .type = IRQ_ROUTE_MSI,
				.addr = 0x00000000FEE02000ull, .data = 0x4051 };
	unsigned int i, pic = 0, io = 0;

	ck_assert_ptr_nonnull(kr);
	ck_assert_int_eq(irq_fill_kvm_routing(&m->router, kr, 64, false), 38);
	ck_assert_uint_eq(kr->nr, 38);
	for (i = 0; i < kr->nr; i++) {
		struct kvm_irq_routing_entry *e = &kr->entries[i];

		ck_assert_uint_eq(e->type, KVM_IRQ_ROUTING_IRQCHIP);
		if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			io++;
			if (e->gsi == 0)
				ck_assert_uint_eq(e->u.irqchip.pin, 2);
			else
				ck_assert_uint_eq(e->u.irqchip.pin, e->gsi);
		} else if (e->u.irqchip.irqchip == KVM_IRQCHIP_PIC_SLAVE) {
			pic++;
			ck_assert_uint_eq(e->u.irqchip.pin, e->gsi - 8);
		} else {
			ck_assert_uint_eq(e->u.irqchip.irqchip,
					  KVM_IRQCHIP_PIC_MASTER);
			pic++;
			ck_assert_uint_eq(e->u.irqchip.pin, e->gsi);
		}
	}
	ck_assert_uint_eq(pic, 15);
	ck_assert_uint_eq(io, 23);
	irq_route_add(&m->router, &rt);
	ck_assert_int_eq(irq_fill_kvm_routing(&m->router, kr, 64, true), 1);
	ck_assert_uint_eq(kr->entries[0].type, KVM_IRQ_ROUTING_MSI);
	ck_assert_uint_eq(kr->entries[0].gsi, 24);
	ck_assert_uint_eq(kr->entries[0].u.msi.address_lo, 0xFEE02000);
	ck_assert_uint_eq(kr->entries[0].u.msi.address_hi, 0);
	ck_assert_uint_eq(kr->entries[0].u.msi.data, 0x4051);
	ck_assert_int_eq(irq_fill_kvm_routing(&m->router, kr, 10, false), -1);
	free(kr);
}
END_TEST

/* PIT channel 0 -> GSI 0 -> IR0 -> INT -> LINT0 (ExtINT) -> INTA. */
static struct irqm *path_m;

static void path_irq0(struct irqm *pm, int level)
{
	irq_set_level(&pm->router, 0, level);
}

START_TEST(pit_to_vcpu_through_pic)
{
	int i, prev = 0;

	path_m = m;
	irqm_pic_init(&m->pic, 0x01);
	ck_assert_int_eq(m->pic.out, 0);
	pit_write(&m->pit, 0x43, 0x34);
	pit_write(&m->pit, 0x40, 100);
	pit_write(&m->pit, 0x40, 0);
	irqm_at_pit_tick(m, pit_ns_to_ticks(m->now) + 200);
	pit_service(&m->pit);
	/* Replay what the PIT said onto GSI 0, as the VMM's irq0 hook. */
	for (i = 0; i < m->irq0_n; i++) {
		if (m->irq0[i] != prev)
			path_irq0(path_m, m->irq0[i]);
		prev = m->irq0[i];
	}
	ck_assert_int_eq(pic_output(&m->pic), 1);
	lapic_set_lint(&m->cpu[0], 0, pic_output(&m->pic));
	ck_assert_int_eq(lapic_ack(&m->cpu[0]), LAPIC_EXTINT);
	ck_assert_uint_eq(pic_inta(&m->pic), 0x20);
	/* The I/O APIC's pin 2 saw the same edge (masked, so nothing). */
	ck_assert_int_eq(m->delivered_n, 0);
}
END_TEST

START_TEST(level_gsi_through_ioapic)
{
	m->io_to_bus = true;
	irqm_lapic_enable(&m->cpu[0]);
	ioapic_write(&m->io, IOAPIC_REGSEL, 4, 0x10 + 2 * 20);
	ioapic_write(&m->io, IOAPIC_WIN, 4, 0x0000A0B0);	/* level, 0xB0 */
	irq_set_level(&m->router, 20, 1);
	ck_assert_int_eq(lapic_ack(&m->cpu[0]), 0xB0);
	irq_set_level(&m->router, 20, 0);	/* the handler quiets the device */
	lapic_write(&m->cpu[0], LAPIC_EOI, 4, 0);
	ck_assert_int_eq(m->rec[0].eoi_vec[0], 0xB0);
	ck_assert_int_eq(lapic_pending(&m->cpu[0]), LAPIC_NONE);
	irq_set_level(&m->router, 20, 1);	/* remote IRR was cleared */
	ck_assert_int_eq(lapic_pending(&m->cpu[0]), 0xB0);
}
END_TEST

Suite *irq_suite(void)
{
	Suite *s = suite_create("irq");
	TCase *tc = tcase_create("gsi");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pc_defaults);
	tcase_add_test(tc, pulse_is_high_then_low);
	tcase_add_test(tc, bad_routes);
	tcase_add_test(tc, table_full);
	tcase_add_test(tc, kvm_routing_form);
	suite_add_tcase(s, tc);
	return s;
}

Suite *irq_paths_suite(void)
{
	Suite *s = suite_create("irq-paths");
	TCase *tc = tcase_create("paths");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, msi_route);
	tcase_add_test(tc, pit_to_vcpu_through_pic);
	tcase_add_test(tc, level_gsi_through_ioapic);
	suite_add_tcase(s, tc);
	return s;
}

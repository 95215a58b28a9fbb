/*
 * test_msi.c - MSI address/data decode against the SDM's "Message
 * Address Register Format" and "Message Data Register Format".
 */
#include "irqunit.h"

START_TEST(fixed_physical_edge)
{
	struct apic_irq irq;

	ck_assert_int_eq(msi_decode(0xFEE03000, 0x00000041, &irq), MSI_OK);
	ck_assert_uint_eq(irq.dest, 3);
	ck_assert_uint_eq(irq.vector, 0x41);
	ck_assert_uint_eq(irq.dm, APIC_DM_FIXED);
	ck_assert_uint_eq(irq.logical, 0);
	ck_assert_uint_eq(irq.level, 0);
	ck_assert_uint_eq(irq.shorthand, APIC_SH_NONE);
	ck_assert_int_eq(irq.source, APIC_SRC_NONE);
	ck_assert_uint_eq(irq.assert, 1);
	ck_assert_int_eq(msi_decode(0xFEEFF000, 0xFF, &irq), MSI_OK);
	ck_assert_uint_eq(irq.dest, 0xFF);
}
END_TEST

START_TEST(logical_redirection_hint)
{
	struct apic_irq irq;

	ck_assert_int_eq(msi_decode(0xFEE0F00C, 0x00000052, &irq), MSI_OK);
	ck_assert_uint_eq(irq.dest, 0x0F);
	ck_assert_uint_eq(irq.logical, 1);
	ck_assert_uint_eq(irq.dm, APIC_DM_LOWEST);	/* RH = 1 */
	ck_assert_int_eq(msi_decode(0xFEE0F000, 0x00000152, &irq), MSI_OK);
	ck_assert_uint_eq(irq.dm, APIC_DM_LOWEST);
	ck_assert_uint_eq(irq.logical, 0);
	/* Address bits 1-0 are don't care. */
	ck_assert_int_eq(msi_decode(0xFEE01003, 0x00000053, &irq), MSI_OK);
	ck_assert_uint_eq(irq.dest, 1);
	ck_assert_uint_eq(irq.logical, 0);
}
END_TEST

START_TEST(level_trigger)
{
	struct apic_irq irq;

	ck_assert_int_eq(msi_decode(0xFEE00000, 0x0000C061, &irq), MSI_OK);
	ck_assert_uint_eq(irq.level, 1);
	ck_assert_int_eq(msi_decode(0xFEE00000, 0x00008061, &irq),
			 MSI_DEASSERT);
	/* Edge: the level bit does not matter. */
	ck_assert_int_eq(msi_decode(0xFEE00000, 0x00000061, &irq), MSI_OK);
	ck_assert_int_eq(msi_decode(0xFEE00000, 0x00004061, &irq), MSI_OK);
	ck_assert_uint_eq(irq.level, 0);
}
END_TEST

START_TEST(delivery_modes)
{
	static const struct { uint32_t data; int r; uint8_t dm; } t[] = {
		{ 0x0000, MSI_OK, APIC_DM_FIXED },
		{ 0x0100, MSI_OK, APIC_DM_LOWEST },
		{ 0x0200, MSI_OK, APIC_DM_SMI },
		{ 0x0300, MSI_ERR_DM, 0 },
		{ 0x0400, MSI_OK, APIC_DM_NMI },
		{ 0x0500, MSI_OK, APIC_DM_INIT },
		{ 0x0600, MSI_ERR_DM, 0 },
		{ 0x0700, MSI_OK, APIC_DM_EXTINT },
	};
	struct apic_irq irq;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(msi_decode(0xFEE00000, t[i].data | 0x30, &irq),
				 t[i].r);
		if (t[i].r == MSI_OK)
			ck_assert_uint_eq(irq.dm, t[i].dm);
	}
}
END_TEST

START_TEST(malformed_address)
{
	struct apic_irq irq;

	ck_assert_int_eq(msi_decode(0xFEE00000, 0x41, &irq), MSI_OK);
	ck_assert_int_eq(msi_decode(0xFEEFFFFC, 0x41, &irq), MSI_OK);
	ck_assert_int_eq(msi_decode(0xFED00000, 0x41, &irq), MSI_ERR_ADDR);
	ck_assert_int_eq(msi_decode(0xFEF00000, 0x41, &irq), MSI_ERR_ADDR);
	ck_assert_int_eq(msi_decode(0x00000000, 0x41, &irq), MSI_ERR_ADDR);
	ck_assert_int_eq(msi_decode(0x1FEE00000ull, 0x41, &irq), MSI_ERR_ADDR);
	ck_assert_str_eq(msi_strerror(MSI_ERR_ADDR), "address outside 0xFEExxxxx");
}
END_TEST

START_TEST(reserved_bits)
{
	ck_assert(!msi_reserved_bits(0xFEEFF00C, 0x0000C7FF));
	ck_assert(msi_reserved_bits(0xFEE00010, 0));
	ck_assert(msi_reserved_bits(0xFEE00800, 0));
	ck_assert(msi_reserved_bits(0xFEE00000, 0x00010000));
	ck_assert(msi_reserved_bits(0xFEE00000, 0x00000800));
	ck_assert(msi_reserved_bits(0xFEE00000, 0x00002000));
}
END_TEST

START_TEST(compose_round_trip)
{
	struct apic_irq in = {
		.vector = 0x77, .dm = APIC_DM_LOWEST, .logical = 1,
		.level = 1, .assert = 1, .dest = 0x0C, .source = -1,
	}, out;
	uint64_t addr;
	uint32_t data;

	msi_compose(&in, &addr, &data);
	ck_assert_uint_eq(addr, 0xFEE0C00C);
	ck_assert_uint_eq(data, 0x0000C177);
	ck_assert_int_eq(msi_decode(addr, data, &out), MSI_OK);
	ck_assert_uint_eq(out.vector, in.vector);
	ck_assert_uint_eq(out.dm, in.dm);
	ck_assert_uint_eq(out.logical, in.logical);
	ck_assert_uint_eq(out.level, in.level);
	ck_assert_uint_eq(out.dest, in.dest);
}
END_TEST

START_TEST(msi_delivered_to_lapic)
{
	struct irqm *m = irqm_new(2);
	struct apic_irq irq;

	irqm_lapic_enable(&m->cpu[1]);
	ck_assert_int_eq(msi_decode(0xFEE01000, 0x00000065, &irq), MSI_OK);
	ck_assert_int_eq(apic_bus_deliver(&m->bus, &irq), 1);
	ck_assert(irqm_irr_has(&m->cpu[1], 0x65));
	irqm_free(m);
}
END_TEST

Suite *msi_suite(void)
{
	Suite *s = suite_create("msi");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, fixed_physical_edge);
	tcase_add_test(tc, logical_redirection_hint);
	tcase_add_test(tc, level_trigger);
	tcase_add_test(tc, delivery_modes);
	tcase_add_test(tc, malformed_address);
	tcase_add_test(tc, compose_round_trip);
	tcase_add_test(tc, msi_delivered_to_lapic);
	suite_add_tcase(s, tc);
	return s;
}

Suite *msi_regs_suite(void)
{
	Suite *s = suite_create("msi-regs");
	TCase *tc = tcase_create("bits");

	tcase_add_test(tc, reserved_bits);
	suite_add_tcase(s, tc);
	return s;
}

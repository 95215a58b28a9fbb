/*
 * test_sipi.c - INIT and the start-up IPI (src/cpu/smp.c, exercise
 * 3.sipi; Intel SDM vol. 3A, 8.4 and 10.6.1): what each does to a
 * processor in each MP state, and the registers a SIPI starts it with.
 */
#include <string.h>

#include "cpu/smp.h"
#include "unit.h"

static const unsigned int states[] = {
	KVM_MP_STATE_RUNNABLE, KVM_MP_STATE_UNINITIALIZED,
	KVM_MP_STATE_INIT_RECEIVED, KVM_MP_STATE_HALTED,
};

/* A power-on state with every byte set, so that any change shows. */
static void poweron(struct kvm_sregs *s, struct kvm_regs *r)
{
	memset(s, 0xa5, sizeof(*s));
	memset(r, 0x5a, sizeof(*r));
}

START_TEST(init_to_an_ap_waits_for_sipi)
{
	struct kvm_sregs s, s0;
	struct kvm_regs r, r0;
	unsigned int i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		poweron(&s, &r);
		s0 = s;
		r0 = r;
		ck_assert_int_eq(smp_next(states[i], false, false, 0x12, &s, &r),
				 SMP_WAIT_SIPI);
		ck_assert(!memcmp(&s, &s0, sizeof(s)));
		ck_assert(!memcmp(&r, &r0, sizeof(r)));
	}
}
END_TEST

START_TEST(init_to_the_bsp_resets_it)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	unsigned int i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		poweron(&s, &r);
		ck_assert_int_eq(smp_next(states[i], true, false, 0, &s, &r),
				 SMP_RESET);
	}
}
END_TEST

static void check_start(uint8_t vector)
{
	struct kvm_sregs s, s0;
	struct kvm_regs r, r0;

	poweron(&s, &r);
	s0 = s;
	r0 = r;
	ck_assert_int_eq(smp_next(KVM_MP_STATE_INIT_RECEIVED, false, true,
				  vector, &s, &r), SMP_START);
	ck_assert_uint_eq(s.cs.selector, (uint16_t)vector << 8);
	ck_assert_uint_eq(s.cs.base, (uint64_t)vector << 12);
	ck_assert_uint_eq(r.rip, 0);
	/* Everything else is the power-on state. */
	s0.cs.selector = s.cs.selector;
	s0.cs.base = s.cs.base;
	r0.rip = r.rip;
	ck_assert(!memcmp(&s, &s0, sizeof(s)));
	ck_assert(!memcmp(&r, &r0, sizeof(r)));
}

START_TEST(sipi_starts_at_the_vector)
{
	check_start(0x08);
	check_start(0x00);
	check_start(0x9f);
	check_start(0xff);
}
END_TEST

START_TEST(sipi_at_any_other_time_is_ignored)
{
	struct kvm_sregs s, s0;
	struct kvm_regs r, r0;
	unsigned int i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (states[i] == KVM_MP_STATE_INIT_RECEIVED)
			continue;
		poweron(&s, &r);
		s0 = s;
		r0 = r;
		ck_assert_int_eq(smp_next(states[i], false, true, 0x08, &s, &r),
				 SMP_IGNORE);
		ck_assert(!memcmp(&s, &s0, sizeof(s)));
		ck_assert(!memcmp(&r, &r0, sizeof(r)));
	}
	poweron(&s, &r);
	ck_assert_int_eq(smp_next(KVM_MP_STATE_RUNNABLE, true, true, 0x08, &s, &r),
			 SMP_IGNORE);
	/* Not a SIPI that does nothing in every state: */
	ck_assert_int_eq(smp_next(KVM_MP_STATE_INIT_RECEIVED, false, true, 0x08,
				  &s, &r), SMP_START);
}
END_TEST

Suite *sipi_suite(void)
{
	Suite *s = suite_create("sipi");
	TCase *tc = tcase_create("sipi");

	tcase_add_test(tc, init_to_an_ap_waits_for_sipi);
	tcase_add_test(tc, init_to_the_bsp_resets_it);
	tcase_add_test(tc, sipi_starts_at_the_vector);
	tcase_add_test(tc, sipi_at_any_other_time_is_ignored);
	suite_add_tcase(s, tc);
	return s;
}

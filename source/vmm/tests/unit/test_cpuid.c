/*
 * test_cpuid.c - the guest's CPUID table, built from a made-up
 * "supported" list so that every rule is visible.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "unit.h"

static struct kvm_cpuid2 *supported(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 5 * sizeof(c->entries[0]));

	ck_assert_ptr_nonnull(c);
	c->nent = 5;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0xd };
	c->entries[1] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 0x1, .edx = 0x2 };
	/* KVM's own hypervisor leaves: "KVMKVMKVM". */
	c->entries[2] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b };
	c->entries[3] = (struct kvm_cpuid_entry2){ .function = 0x40000001, .eax = 0x1234 };
	c->entries[4] = (struct kvm_cpuid_entry2){ .function = 0x80000000, .eax = 0x80000008 };
	return c;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c,
					   uint32_t function, int *count)
{
	const struct kvm_cpuid_entry2 *found = NULL;
	unsigned int i;

	*count = 0;
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == function) {
			found = &c->entries[i];
			(*count)++;
		}
	return found;
}

START_TEST(hypervisor_leaves)
{
	struct kvm_cpuid2 *in = supported(), *out = cpuid_build(in);
	const struct kvm_cpuid_entry2 *e;
	char sig[13] = { 0 };
	int n;

	ck_assert_ptr_nonnull(out);
	e = find(out, 0x40000000, &n);
	ck_assert_int_eq(n, 1);		/* ours replaces KVM's */
	ck_assert_uint_eq(e->eax, 0x40000001);
	memcpy(sig + 0, &e->ebx, 4);
	memcpy(sig + 4, &e->ecx, 4);
	memcpy(sig + 8, &e->edx, 4);
	ck_assert_str_eq(sig, "vmmlabvmmlab");
	e = find(out, 0x40000001, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(e->eax | e->ebx | e->ecx | e->edx, 0);
	free(in);
	free(out);
}
END_TEST

START_TEST(leaf1_hypervisor_bit)
{
	struct kvm_cpuid2 *in = supported(), *out = cpuid_build(in);
	const struct kvm_cpuid_entry2 *e;
	int n;

	e = find(out, 1, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(e->ecx, 0x80000001);	/* bit 31 added, bit 0 kept */
	ck_assert_uint_eq(e->edx, 0x2);
	free(in);
	free(out);
}
END_TEST

START_TEST(other_leaves_kept)
{
	struct kvm_cpuid2 *in = supported(), *out = cpuid_build(in);
	const struct kvm_cpuid_entry2 *e;
	int n;

	ck_assert_uint_eq(out->nent, 5);	/* 5 - KVM's 2 + our 2 */
	e = find(out, 0, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(e->eax, 0xd);
	e = find(out, 0x80000000, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(e->eax, 0x80000008);
	free(in);
	free(out);
}
END_TEST

/*
 * The whole hypervisor range 0x40000000-0x4FFFFFFF is ours (Intel SDM
 * vol. 2A, CPUID: "reserved for hypervisor use"): a supported leaf at its
 * last function goes too, the one just after it stays. Every entry we
 * add has its index, flags and padding zero, and the table is as large
 * as its nent says (glibc's malloc_usable_size()).
 */
START_TEST(range_ends_and_room)
{
	struct kvm_cpuid2 *in = calloc(1, sizeof(*in) + 2 * sizeof(in->entries[0]));
	struct kvm_cpuid2 *out;
	const struct kvm_cpuid_entry2 *e;
	int n;

	ck_assert_ptr_nonnull(in);
	in->nent = 2;
	in->entries[0] = (struct kvm_cpuid_entry2){ .function = 0x4fffffff, .eax = 1 };
	in->entries[1] = (struct kvm_cpuid_entry2){ .function = 0x50000000, .eax = 2 };
	out = cpuid_build(in);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_null(find(out, 0x4fffffff, &n));
	e = find(out, 0x50000000, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(e->eax, 2);
	ck_assert_uint_eq(out->nent, 3);
	ck_assert_uint_ge(malloc_usable_size(out),
			  sizeof(*out) + out->nent * sizeof(out->entries[0]));
	for (e = find(out, 0x40000000, &n); e; e = e->function == 0x40000000 ?
						find(out, 0x40000001, &n) : NULL) {
		ck_assert_uint_eq(e->index | e->flags, 0);
		ck_assert_uint_eq(e->padding[0] | e->padding[1] | e->padding[2], 0);
	}
	free(out);
	/* Nothing to drop: room for every supported leaf and our two. */
	in->entries[0].function = 0x50000001;
	out = cpuid_build(in);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(out->nent, 4);
	ck_assert_uint_ge(malloc_usable_size(out),
			  sizeof(*out) + out->nent * sizeof(out->entries[0]));
	free(in);
	free(out);
}
END_TEST

/*
 * Every field of every entry kept, subleaves (an index with the
 * significant-index flag) included, and leaf 1 changed in ECX bit 31
 * alone; the order of the entries is KVM's business, not checked; the
 * table given is left as it was.
 */
START_TEST(every_field_kept)
{
	struct kvm_cpuid2 *in = calloc(1, sizeof(*in) + 4 * sizeof(in->entries[0]));
	struct kvm_cpuid2 *copy, *out;
	size_t size = sizeof(*in) + 4 * sizeof(in->entries[0]);
	unsigned int i, j, found;

	ck_assert_ptr_nonnull(in);
	in->nent = 4;
	in->entries[0] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x000a0655,
		.ebx = 0x00010800, .ecx = 0x7ffafbff, .edx = 0xbfebfbff };
	in->entries[1] = (struct kvm_cpuid_entry2){ .function = 7, .index = 0,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ebx = 0x029c6fbf };
	in->entries[2] = (struct kvm_cpuid_entry2){ .function = 7, .index = 1,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0x00000400 };
	in->entries[3] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 1,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0xf, .ecx = 0x1900 };
	copy = malloc(size);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, in, size);
	out = cpuid_build(in);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(!memcmp(copy, in, size), "1.cpuid: the table given is left as it was");
	ck_assert_msg(out->nent == 6, "1.cpuid: 4 entries and the VMM's 2 make 6, not %u",
		      out->nent);
	for (i = 0; i < in->nent; i++) {
		struct kvm_cpuid_entry2 want = in->entries[i];

		if (want.function == 1)
			want.ecx |= CPUID_1_ECX_HYPERVISOR;
		for (j = found = 0; j < out->nent; j++)
			if (out->entries[j].function == want.function &&
			    out->entries[j].index == want.index) {
				found++;
				ck_assert_msg(!memcmp(&out->entries[j], &want, sizeof(want)),
					      "1.cpuid: leaf 0x%x index %u: every field as "
					      "supported gives it%s", want.function, want.index,
					      want.function == 1 ? " (and ECX bit 31 set)" : "");
			}
		ck_assert_msg(found == 1, "1.cpuid: leaf 0x%x index %u is in the table %u times",
			      want.function, want.index, found);
	}
	free(copy);
	free(in);
	free(out);
}
END_TEST

Suite *cpuid_suite(void)
{
	Suite *s = suite_create("cpuid");
	TCase *tc = tcase_create("cpuid");

	tcase_add_test(tc, hypervisor_leaves);
	tcase_add_test(tc, leaf1_hypervisor_bit);
	tcase_add_test(tc, other_leaves_kept);
	tcase_add_test(tc, range_ends_and_room);
	tcase_add_test(tc, every_field_kept);
	suite_add_tcase(s, tc);
	return s;
}
/* @@ 04 */

/*
 * Lab 04: KVM's paravirtual leaves beside ours. The expected values are
 * those of Documentation/virt/kvm/x86/cpuid.rst: the signature
 * "KVMKVMKVM\0\0\0" (EBX 0x4b4d564b, ECX 0x564b4d56, EDX 0x4d) with EAX
 * the highest leaf of its range, then the features leaf, whose EAX bits
 * are KVM_FEATURE_CLOCKSOURCE (0), NOP_IO_DELAY (1), CLOCKSOURCE2 (3) and
 * CLOCKSOURCE_STABLE_BIT (24) for what we give. A guest looks for a
 * signature at 0x40000000 and then every 0x100 up to 0x4000FF00 and
 * takes the first it knows (arch/x86/include/asm/cpuid.h,
 * hypervisor_cpuid_base(); KVM does the same with our table).
 */
#define KVM_SIG_EBX	0x4b4d564bU
#define KVM_SIG_ECX	0x564b4d56U
#define KVM_SIG_EDX	0x0000004dU
#define GIVEN		(1U << 0 | 1U << 1 | 1U << 3 | 1U << 24)

/* What KVM_GET_SUPPORTED_CPUID might say: its leaves, features as given. */
static struct kvm_cpuid2 *kvm_supported(uint32_t features, int with_features)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 4 * sizeof(c->entries[0]));

	ck_assert_ptr_nonnull(c);
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 0x1 };
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000000,
		.eax = 0x40000001, .ebx = KVM_SIG_EBX, .ecx = KVM_SIG_ECX, .edx = KVM_SIG_EDX };
	if (with_features)
		c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000001,
			.eax = features, .ebx = 0x5a5a5a5a, .ecx = 0xa5a5a5a5, .edx = 0xffffffff };
	return c;
}

/* The table a vCPU gets: cpuid_build() and then cpuid_add_kvm(). */
static struct kvm_cpuid2 *kvm_table(const struct kvm_cpuid2 *in)
{
	struct kvm_cpuid2 *out = cpuid_build(in);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(cpuid_add_kvm(&out, in), 0);
	ck_assert_uint_ge(malloc_usable_size(out),
			  sizeof(*out) + out->nent * sizeof(out->entries[0]));
	return out;
}

/* The base at which a guest finds a signature, 0 when it finds none. */
static uint32_t scan(const struct kvm_cpuid2 *c, const char *sig)
{
	const struct kvm_cpuid_entry2 *e;
	uint32_t base;
	char name[12];
	int n;

	for (base = 0x40000000; base < 0x40010000; base += 0x100) {
		e = find(c, base, &n);
		if (!e)
			continue;
		memcpy(name + 0, &e->ebx, 4);
		memcpy(name + 4, &e->ecx, 4);
		memcpy(name + 8, &e->edx, 4);
		if (!memcmp(name, sig, 12))
			return base;
	}
	return 0;
}

START_TEST(kvm_leaves_after_ours)
{
	struct kvm_cpuid2 *in = kvm_supported(0xffffffff, 1), *out = kvm_table(in);
	const struct kvm_cpuid_entry2 *e;
	int n;

	ck_assert_uint_eq(out->nent, 5);	/* leaf 1, ours 2, KVM's 2 */
	ck_assert_uint_eq(scan(out, "vmmlabvmmlab"), 0x40000000);
	ck_assert_uint_eq(scan(out, "KVMKVMKVM\0\0\0"), 0x40000100);
	e = find(out, 0x40000000, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(e->eax, 0x40000001);	/* our range is unchanged */
	e = find(out, 0x40000100, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(e->eax, 0x40000101);	/* KVM's range ends at its features */
	ck_assert_uint_eq(e->index | e->flags, 0);
	e = find(out, 0x40000101, &n);
	ck_assert_int_eq(n, 1);
	/* Of every bit KVM could offer, the clock's and no I/O delay. */
	ck_assert_uint_eq(e->eax, GIVEN);
	ck_assert_uint_eq(e->ebx | e->ecx | e->edx, 0);	/* no hints */
	ck_assert_uint_eq(e->index | e->flags, 0);
	ck_assert_uint_eq(e->padding[0] | e->padding[1] | e->padding[2], 0);
	free(in);
	free(out);
}
END_TEST

/* Only what KVM offers, and never what needs its local APIC. */
START_TEST(kvm_features_offered)
{
	static const struct { uint32_t offered, given; } cases[] = {
		{ 0, 0 },
		{ 1U << 3, 1U << 3 },				/* clocksource2 */
		{ 1U << 0 | 1U << 24, 1U << 0 | 1U << 24 },	/* old MSRs, stable */
		{ 1U << 1 | 1U << 6, 1U << 1 },		/* PV EOI stays out */
		{ 1U << 4 | 1U << 5 | 1U << 7 | 1U << 11 | 1U << 13 | 1U << 14, 0 },
		{ 0x01007efb, 0x0100000b },			/* a 6.1 host's offer */
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kvm_cpuid2 *in = kvm_supported(cases[i].offered, 1);
		struct kvm_cpuid2 *out = kvm_table(in);
		const struct kvm_cpuid_entry2 *e;
		int n;

		e = find(out, 0x40000101, &n);
		ck_assert_int_eq(n, 1);
		ck_assert_msg(e->eax == cases[i].given,
			      "KVM offers 0x%08x: the guest is given 0x%08x, not 0x%08x",
			      cases[i].offered, cases[i].given, e->eax);
		free(in);
		free(out);
	}
}
END_TEST

/* A signature without a features leaf: KVM there, with no features. */
START_TEST(kvm_no_features_leaf)
{
	struct kvm_cpuid2 *in = kvm_supported(0, 0), *out = kvm_table(in);
	const struct kvm_cpuid_entry2 *e;
	int n;

	ck_assert_uint_eq(scan(out, "KVMKVMKVM\0\0\0"), 0x40000100);
	e = find(out, 0x40000101, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(e->eax | e->ebx | e->ecx | e->edx, 0);
	free(in);
	free(out);
}
END_TEST

/* No KVM signature in what KVM supports: nothing added, nothing changed. */
START_TEST(kvm_absent)
{
	struct kvm_cpuid2 *in = kvm_supported(GIVEN, 1), *out, *copy;
	size_t size;

	in->entries[1].edx = 0x4c;	/* "KVMKVMKVL": another hypervisor */
	out = cpuid_build(in);
	ck_assert_ptr_nonnull(out);
	size = sizeof(*out) + out->nent * sizeof(out->entries[0]);
	copy = malloc(size);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, out, size);
	ck_assert_int_eq(cpuid_add_kvm(&out, in), 0);
	ck_assert_msg(!memcmp(copy, out, size), "the table is left as it was");
	ck_assert_uint_eq(scan(out, "KVMKVMKVM\0\0\0"), 0);
	in->nent = 1;			/* and no hypervisor leaf at all */
	ck_assert_int_eq(cpuid_add_kvm(&out, in), 0);
	ck_assert_msg(!memcmp(copy, out, size), "the table is left as it was");
	free(copy);
	free(in);
	free(out);
}
END_TEST

Suite *kvm_cpuid_suite(void)
{
	Suite *s = suite_create("kvm-cpuid");
	TCase *tc = tcase_create("kvm-cpuid");

	tcase_add_test(tc, kvm_leaves_after_ours);
	tcase_add_test(tc, kvm_features_offered);
	tcase_add_test(tc, kvm_no_features_leaf);
	tcase_add_test(tc, kvm_absent);
	suite_add_tcase(s, tc);
	return s;
}
/* @@ end */

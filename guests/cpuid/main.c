/*
 * cpuid: the CPUID table the VMM hands to KVM_SET_CPUID2 (guests/README.md,
 * "hypervisor CPUID leaves"): leaf 1 says a hypervisor is present (ECX bit
 * 31), leaf 0x40000000 names the highest hypervisor leaf and the signature
 * "vmmlabvmmlab", leaf 0x40000001 is all zeros. The exit code is the number
 * of the first failed check (0: all passed).
 */
#include "check.h"
#include "console.h"
#include "platform.h"

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

void guest_main(void);

static struct cpuid_regs cpuid(uint32_t leaf)
{
	struct cpuid_regs r;

	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(0));
	return r;
}

/* Print the 4 bytes of `reg` as characters, '.' for unprintable ones. */
static void put_chars(uint32_t reg)
{
	int i;

	for (i = 0; i < 4; i++, reg >>= 8) {
		char c = (char)(reg & 0xff);

		con_putc(c >= 0x20 && c < 0x7f ? c : '.');
	}
}

static int signature_matches(const struct cpuid_regs *r)
{
	const char *want = CPUID_HV_SIGNATURE;
	uint32_t regs[3] = { r->ebx, r->ecx, r->edx };
	int i;

	for (i = 0; i < 12; i++)
		if ((char)(regs[i / 4] >> (8 * (i % 4))) != want[i])
			return 0;
	return 1;
}

void guest_main(void)
{
	struct cpuid_regs r;
	int ok;

	con_puts("cpuid: the VMM's CPUID table\n");

	r = cpuid(1);
	check(r.ecx >> 31, 1, 1, "leaf 0x1 ECX bit 31 (hypervisor present)");

	r = cpuid(CPUID_HV_BASE);
	check(r.eax, CPUID_HV_FEATURES, 8, "leaf 0x40000000 EAX (highest leaf)");
	con_puts("    leaf 0x40000000 EBX ECX EDX as text: \"");
	put_chars(r.ebx);
	put_chars(r.ecx);
	put_chars(r.edx);
	con_puts("\"\n");
	ok = signature_matches(&r);
	check(ok, 1, 1, "signature is \"%s\" (1 = yes)", CPUID_HV_SIGNATURE);

	r = cpuid(CPUID_HV_FEATURES);
	check(r.eax, 0, 8, "leaf 0x40000001 EAX");
	check(r.ebx, 0, 8, "leaf 0x40000001 EBX");
	check(r.ecx, 0, 8, "leaf 0x40000001 ECX");
	check(r.edx, 0, 8, "leaf 0x40000001 EDX");

	vm_exit(check_done("cpuid"));
}

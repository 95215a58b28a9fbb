/*
 * test_vm.c - creating the VM, against a KVM that a test plays itself:
 * the unit-test runner is linked with --wrap=ioctl (Makefile), so every
 * ioctl the VMM makes reaches unit_ioctl_hook when a test sets one. This
 * checks what the VMM asks of KVM, against the KVM API document
 * (Documentation/virt/kvm/api.rst).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/vm.h"
#include "unit.h"

#define FAKE_KVM_FD	1000
#define FAKE_VM_FD	1001

static struct kvm_enable_cap caps[16];
static unsigned int nr_caps;

/* A KVM that has every capability and accepts every request. */
static int fake_kvm(int fd, unsigned long request, void *arg)
{
	switch (request) {
	case KVM_CREATE_VM:
		ck_assert_int_eq(fd, FAKE_KVM_FD);
		return FAKE_VM_FD;
	case KVM_CHECK_EXTENSION:
		return 1;
	case KVM_ENABLE_CAP:
		ck_assert_int_eq(fd, FAKE_VM_FD);
		if (nr_caps < sizeof(caps) / sizeof(caps[0]))
			caps[nr_caps++] = *(struct kvm_enable_cap *)arg;
		return 0;
	case KVM_SET_TSS_ADDR:
	case KVM_SET_USER_MEMORY_REGION:
	case KVM_X86_SET_MSR_FILTER:
		ck_assert_int_eq(fd, FAKE_VM_FD);
		return 0;
	}
	ck_abort_msg("vm_create() made ioctl 0x%lx, which this test does not know",
		     request);
	return -1;
}

/*
 * KVM_CAP_EXIT_ON_EMULATION_FAILURE is turned on by KVM_ENABLE_CAP with
 * args[0] = 1 (the API document, section 7, "Capabilities that can be
 * enabled on VMs"); args[0] = 0 turns it off. With it on, an emulation
 * failure in the guest's user mode exits to the VMM with the
 * instruction's bytes instead of becoming a #UD inside the guest.
 */
START_TEST(exit_on_emulation_failure_is_on)
{
	struct fake_vm f;
	unsigned int i, found = 0;

	fake_vm_init_ram(&f, 2 << 20);
	f.vm.kvm_fd = FAKE_KVM_FD;
	nr_caps = 0;
	unit_ioctl_hook = fake_kvm;
	ck_assert_int_eq(vm_create(&f.vm), 0);
	unit_ioctl_hook = NULL;
	for (i = 0; i < nr_caps; i++) {
		if (caps[i].cap != KVM_CAP_EXIT_ON_EMULATION_FAILURE)
			continue;
		found++;
		ck_assert_msg(caps[i].args[0] == 1,
			      "KVM_ENABLE_CAP(KVM_CAP_EXIT_ON_EMULATION_FAILURE) with "
			      "args[0] = %llu: 1 turns it on, 0 off",
			      (unsigned long long)caps[i].args[0]);
		ck_assert_uint_eq(caps[i].flags, 0);
	}
	ck_assert_msg(found == 1, "KVM_CAP_EXIT_ON_EMULATION_FAILURE enabled %u times", found);
	f.vm.kvm_fd = f.vm.vm_fd = -1;
	fake_vm_free(&f);
}
END_TEST

Suite *vm_suite(void)
{
	Suite *s = suite_create("vm");
	TCase *tc = tcase_create("vm");

	tcase_add_test(tc, exit_on_emulation_failure_is_on);
	suite_add_tcase(s, tc);
	return s;
}

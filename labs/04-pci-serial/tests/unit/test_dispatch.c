/*
 * test_dispatch.c - the exit dispatch, driven by kvm_run pages filled in
 * the way KVM fills them (Documentation/virt/kvm/api.rst, "kvm_run").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/run.h"
#include "cpu/msr.h"
#include "dev/exitdev.h"
#include "unit.h"

static struct fake_vm f;
static struct recorder port_rec, mmio_rec;
static void *ed;

static void setup(void)
{
	fake_vm_init(&f);
	memset(&port_rec, 0, sizeof(port_rec));
	memset(&mmio_rec, 0, sizeof(mmio_rec));
	ck_assert_int_eq(bus_register(&f.vm.pio, 0x3f8, 8, "rec", &recorder_ops, &port_rec), 0);
	ck_assert_int_eq(bus_register(&f.vm.mmio, 0xd0000000, 0x1000, "rec", &recorder_ops, &mmio_rec), 0);
	ed = fake_dev(&f, exitdev_init);
}

static void teardown(void)
{
	free(ed);
	fake_vm_free(&f);
}

/* Let the VM run again after a test stopped it. */
static void restart(void)
{
	atomic_store(&f.vm.status, VM_RUNNING);
}

/* An IO exit of one element, its data right after the kvm_run struct. */
static uint8_t *io_exit(int out, uint16_t port, uint8_t size, uint32_t count)
{
	return fake_io_exit(&f, out, port, size, count, sizeof(struct kvm_run));
}

START_TEST(io_out_reaches_device)
{
	uint8_t *data = io_exit(1, 0x3fa, 2, 1);

	data[0] = 0x34;
	data[1] = 0x12;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert(!vm_stopped(&f.vm));
	ck_assert_int_eq(port_rec.n, 1);
	ck_assert_int_eq(port_rec.a[0].write, 1);
	ck_assert_uint_eq(port_rec.a[0].offset, 2);
	ck_assert_uint_eq(port_rec.a[0].size, 2);
	ck_assert_uint_eq(port_rec.a[0].value, 0x1234);
}
END_TEST

START_TEST(io_in_fills_page)
{
	uint8_t *data = io_exit(0, 0x3f8, 4, 1);

	port_rec.next_read = 0xcafef00d;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_int_eq(port_rec.n, 1);
	ck_assert_int_eq(port_rec.a[0].write, 0);
	ck_assert_uint_eq(port_rec.a[0].size, 4);
	/* Little-endian in the page, as the guest's EAX will hold it. */
	ck_assert_uint_eq(data[0], 0x0d);
	ck_assert_uint_eq(data[3], 0xca);
}
END_TEST

START_TEST(io_unclaimed_in_reads_ones)
{
	uint8_t *data = io_exit(0, 0x80, 2, 1);

	data[0] = data[1] = 0;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_uint_eq(data[0], 0xff);
	ck_assert_uint_eq(data[1], 0xff);
	ck_assert(!vm_stopped(&f.vm));
}
END_TEST

START_TEST(mmio_write_and_read_8)
{
	struct kvm_run *run = f.cpu->run;
	uint64_t v = 0x1122334455667788ULL;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xd0000010;
	run->mmio.len = 8;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, &v, 8);
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_int_eq(mmio_rec.n, 1);
	ck_assert_uint_eq(mmio_rec.a[0].offset, 0x10);
	ck_assert_uint_eq(mmio_rec.a[0].size, 8);
	ck_assert_uint_eq(mmio_rec.a[0].value, v);

	run->mmio.is_write = 0;
	run->mmio.len = 1;
	mmio_rec.next_read = 0x1ab;	/* a 1-byte read keeps the low byte */
	memset(run->mmio.data, 0, 8);
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_uint_eq(run->mmio.data[0], 0xab);
	ck_assert_uint_eq(run->mmio.data[1], 0);
}
END_TEST

/*
 * An access that crosses a page boundary reaches us split in two, the way
 * KVM emulates it: an 8-byte write at 0x...ff9 is a 7-byte exit and then
 * a 1-byte one. Every width from 1 to 8 is an ordinary access, passed on
 * as it came (the hostile-io guest found the VMM stopping on width 7).
 */
START_TEST(mmio_split_access_any_width)
{
	struct kvm_run *run = f.cpu->run;
	const uint8_t bytes[8] = { 1, 2, 3, 4, 5, 6, 7, 0x5a };

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xd0000ff9;
	run->mmio.len = 7;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, bytes, 8);
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert(!vm_stopped(&f.vm));
	ck_assert_int_eq(mmio_rec.n, 1);
	ck_assert_uint_eq(mmio_rec.a[0].offset, 0xff9);
	ck_assert_uint_eq(mmio_rec.a[0].size, 7);
	ck_assert_uint_eq(mmio_rec.a[0].value, 0x07060504030201ULL);

	/* Unclaimed, 3 bytes: those read as ones, the rest is left alone. */
	run->mmio.phys_addr = 0xe0000000;
	run->mmio.len = 3;
	run->mmio.is_write = 0;
	memcpy(run->mmio.data, bytes, 8);
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert(!vm_stopped(&f.vm));
	ck_assert_uint_eq(run->mmio.data[0], 0xff);
	ck_assert_uint_eq(run->mmio.data[2], 0xff);
	ck_assert_uint_eq(run->mmio.data[3], 4);
}
END_TEST

/* Every fragment length a split gives, 3, 5, 6 and 7 among them. */
START_TEST(mmio_every_width_reaches_device)
{
	struct kvm_run *run = f.cpu->run;
	const uint8_t bytes[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	unsigned int len, i;

	run->exit_reason = KVM_EXIT_MMIO;
	for (len = 1; len <= 8; len++) {
		mmio_rec.n = 0;
		run->mmio.phys_addr = 0xd0001000 - len;	/* up to the page's end */
		run->mmio.len = len;
		run->mmio.is_write = 1;
		memcpy(run->mmio.data, bytes, 8);
		ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
		ck_assert_int_eq(mmio_rec.n, 1);
		ck_assert_uint_eq(mmio_rec.a[0].size, len);
		ck_assert_uint_eq(mmio_rec.a[0].value, bus_all_ones(len) &
				  0x8877665544332211ULL);

		/* A read fills exactly len bytes, little-endian. */
		run->mmio.is_write = 0;
		mmio_rec.next_read = 0xa8a7a6a5a4a3a2a1ULL;
		memset(run->mmio.data, 0, 8);
		ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
		ck_assert_uint_eq(mmio_rec.a[1].size, len);
		for (i = 0; i < 8; i++)
			ck_assert_uint_eq(run->mmio.data[i], i < len ? 0xa1 + i : 0);
	}
	ck_assert(!vm_stopped(&f.vm));
}
END_TEST

/* From lab 03 a HLT waits for an interrupt: the VM goes on. */
START_TEST(hlt_stops_with_zero)
{
	f.cpu->run->exit_reason = KVM_EXIT_HLT;
	f.cpu->run->if_flag = 1;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert(!vm_stopped(&f.vm));
	ck_assert_uint_eq(f.cpu->mp, KVM_MP_STATE_HALTED);
	ck_assert(f.cpu->halt_if);
	f.cpu->run->if_flag = 0;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert(!f.cpu->halt_if);
}
END_TEST

/*
 * What a handler writes on stderr (and, with both, on stdout too, in the
 * order the bytes reach the file): the test's stdio goes to a temporary
 * file. Check runs each test in a process of its own.
 */
static FILE *captured;

static void capture(int with_stdout)
{
	captured = tmpfile();
	ck_assert_ptr_nonnull(captured);
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(captured), 2);
	if (with_stdout) {
		dup2(fileno(captured), 1);
		/* As stdout is when it is a file: nothing written until full. */
		setvbuf(stdout, NULL, _IOFBF, 4096);
	}
}

static const char *captured_text(void)
{
	static char buf[8192];
	size_t n;

	fflush(stdout);
	fflush(stderr);
	rewind(captured);
	n = fread(buf, 1, sizeof(buf) - 1, captured);
	buf[n] = 0;
	return buf;
}

START_TEST(shutdown_and_unknown_crash)
{
	f.cpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert(vm_stopped(&f.vm));
	ck_assert_int_eq(vm_exit_status(&f.vm), VMM_EXIT_GUEST_CRASH);

	restart();
	f.cpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	f.cpu->run->fail_entry.hardware_entry_failure_reason = 33;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert(vm_stopped(&f.vm));
	ck_assert_int_eq(vm_exit_status(&f.vm), VMM_EXIT_GUEST_CRASH);

	restart();
	f.cpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	f.cpu->run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	f.cpu->run->internal.ndata = 99;	/* hostile: more than data[] holds */
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert(vm_stopped(&f.vm));
	ck_assert_int_eq(vm_exit_status(&f.vm), VMM_EXIT_GUEST_CRASH);

}
END_TEST

/* The crash reports: which exit, the hardware's reason, the registers. */
START_TEST(crash_reports_name_the_exit)
{
	struct kvm_run *run = f.cpu->run;
	const char *text;

	capture(0);
	run->exit_reason = KVM_EXIT_SHUTDOWN;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	text = captured_text();
	ck_assert_msg(strstr(text, "KVM_EXIT_SHUTDOWN"),
		      "1.dispatch: a triple fault's report names KVM_EXIT_SHUTDOWN: %s", text);
	/* vcpu_dump(): with no vCPU behind the fake, it says so. */
	ck_assert_msg(strstr(text, "registers"),
		      "1.dispatch: the report ends with the registers (vcpu_dump()): %s", text);

	restart();
	capture(0);
	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = 0x80000021;
	run->fail_entry.cpu = 5;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_int_eq(vm_exit_status(&f.vm), VMM_EXIT_GUEST_CRASH);
	text = captured_text();
	ck_assert_msg(strstr(text, "KVM_EXIT_FAIL_ENTRY") && strstr(text, "0x80000021") &&
		      strstr(text, "invalid guest state") && strstr(text, "5"),
		      "1.dispatch: a failed entry's report names KVM_EXIT_FAIL_ENTRY, the "
		      "hardware's reason in hex, what it means and the CPU: %s", text);
	ck_assert_msg(strstr(text, "registers"),
		      "1.dispatch: the report ends with the registers (vcpu_dump()): %s", text);

	restart();
	capture(0);
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_SIMUL_EX;
	run->internal.ndata = 1;
	run->internal.data[0] = 0xabcd;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_int_eq(vm_exit_status(&f.vm), VMM_EXIT_GUEST_CRASH);
	text = captured_text();
	ck_assert_msg(strstr(text, "KVM internal error, suberror 2") && strstr(text, "0xabcd"),
		      "1.dispatch: KVM_EXIT_INTERNAL_ERROR is reported by "
		      "vcpu_report_internal(): %s", text);
	ck_assert_msg(strstr(text, "registers"),
		      "1.dispatch: the report ends with the registers (vcpu_dump()): %s", text);
}
END_TEST

/* A crash is reported once, as a crash: never also as an unhandled exit. */
START_TEST(crash_reported_once)
{
	static const unsigned int reasons[] = {
		KVM_EXIT_SHUTDOWN, KVM_EXIT_FAIL_ENTRY, KVM_EXIT_INTERNAL_ERROR,
	};
	unsigned int i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		const char *text, *dump;

		restart();
		capture(0);
		f.cpu->run->exit_reason = reasons[i];
		ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
		text = captured_text();
		ck_assert_msg(!strstr(text, "unhandled"),
			      "1.dispatch: %s is a crash the VMM handles, not an "
			      "unhandled exit: %s", exit_reason_name(reasons[i]), text);
		dump = strstr(text, "registers");
		ck_assert_msg(dump && !strstr(dump + 1, "registers"),
			      "1.dispatch: %s: the registers once: %s",
			      exit_reason_name(reasons[i]), text);
		ck_assert_int_eq(vm_exit_status(&f.vm), VMM_EXIT_GUEST_CRASH);
	}
}
END_TEST

/*
 * The guest's output first: a crash report must not overtake what the
 * guest printed and the VMM has not flushed yet.
 */
START_TEST(crash_report_after_guest_output)
{
	static const unsigned int reasons[] = {
		KVM_EXIT_SHUTDOWN, KVM_EXIT_FAIL_ENTRY, KVM_EXIT_INTERNAL_ERROR,
	};
	static const char *const said[] = {
		"KVM_EXIT_SHUTDOWN", "KVM_EXIT_FAIL_ENTRY", "KVM internal error",
	};
	unsigned int i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		const char *text, *report;

		restart();
		capture(1);
		fputs("guest said this", stdout);	/* still in the buffer */
		f.cpu->run->exit_reason = reasons[i];
		ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
		text = captured_text();
		report = strstr(text, said[i]);
		ck_assert_msg(report, "1.dispatch: %s is reported as such: %s",
			      exit_reason_name(reasons[i]), text);
		ck_assert_msg(strstr(text, "guest said this") == text,
			      "1.dispatch: exit %s: the report comes after the guest's "
			      "output (flush stdout first): %s",
			      exit_reason_name(reasons[i]), text);
	}
}
END_TEST

/*
 * Any exit the VMM does not handle stops it with its own status. The
 * unhandled-exit path is given (vcpu_unhandled_exit()), and an unwritten
 * dispatch sends every exit there: this is its own suite, unit.unhandled,
 * which the handout passes and which carries no points.
 */
START_TEST(unhandled_exits_stop_with_their_status)
{
	static const unsigned int reasons[] = {
		KVM_EXIT_UNKNOWN, KVM_EXIT_EXCEPTION, KVM_EXIT_HYPERCALL,
		KVM_EXIT_DEBUG,
		KVM_EXIT_NMI, KVM_EXIT_SYSTEM_EVENT, 1000,
	};
	unsigned int i;
	char want[64];

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		const char *text;

		restart();
		capture(0);
		f.cpu->run->exit_reason = reasons[i];
		ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
		ck_assert_msg(vm_stopped(&f.vm) &&
			      vm_exit_status(&f.vm) == VMM_EXIT_UNHANDLED,
			      "1.dispatch: exit reason %u (%s) stops the VM with "
			      "VMM_EXIT_UNHANDLED (vcpu_unhandled_exit()), status %d",
			      reasons[i], exit_reason_name(reasons[i]),
			      vm_exit_status(&f.vm));
		text = captured_text();
		snprintf(want, sizeof(want), "unhandled exit reason %u (%s)",
			 reasons[i], exit_reason_name(reasons[i]));
		ck_assert_msg(strstr(text, want), "1.dispatch: the report says '%s': %s",
			      want, text);
	}
	ck_assert_int_eq(port_rec.n + mmio_rec.n, 0);
}
END_TEST

/* A signal in KVM_RUN: nothing to do, and the VM goes on. */
START_TEST(intr_goes_on)
{
	f.cpu->run->exit_reason = KVM_EXIT_INTR;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_msg(!vm_stopped(&f.vm), "1.dispatch: KVM_EXIT_INTR does not stop the VM");
	ck_assert_int_eq(port_rec.n + mmio_rec.n, 0);
}
END_TEST

START_TEST(exit_device_status)
{
	/* isa-debug-exit: status (v << 1) | 1. */
	uint8_t *data = io_exit(1, 0xf4, 1, 1);

	data[0] = 42;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert(vm_stopped(&f.vm));
	ck_assert_int_eq(vm_exit_status(&f.vm), 85);
}
END_TEST

START_TEST(msr_exits)
{
	struct kvm_run *run = f.cpu->run;

	run->exit_reason = KVM_EXIT_X86_RDMSR;
	run->msr.index = MSR_VMMLAB_SCRATCH;
	run->msr.data = 0;
	run->msr.error = 0;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_uint_eq(run->msr.error, 0);
	ck_assert_uint_eq(run->msr.data, MSR_VMMLAB_INITIAL);

	run->exit_reason = KVM_EXIT_X86_WRMSR;
	run->msr.data = 1ULL << 63;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_uint_eq(run->msr.error, 1);	/* #GP for the guest */
	ck_assert(!vm_stopped(&f.vm));
}
END_TEST

/*
 * The MSR exits against the vCPU's own MSRs: a write is kept and read
 * back, a refused access is error 1 and a good one error 0 whatever the
 * page held before, another index is refused, and a refusal is the
 * guest's business: the VM goes on, the buses see nothing.
 */
START_TEST(msr_exits_use_the_vcpu_msrs)
{
	struct kvm_run *run = f.cpu->run;

	run->exit_reason = KVM_EXIT_X86_WRMSR;
	run->msr.index = MSR_VMMLAB_SCRATCH;
	run->msr.data = 0x0123456789abcdefULL;
	run->msr.error = 1;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_msg(run->msr.error == 0, "1.dispatch: a WRMSR the MSRs accept has error 0");

	run->exit_reason = KVM_EXIT_X86_RDMSR;
	run->msr.data = 0;
	run->msr.error = 1;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_msg(run->msr.error == 0 && run->msr.data == 0x0123456789abcdefULL,
		      "1.dispatch: RDMSR reads what WRMSR wrote (msr_read() on vcpu->msr): "
		      "error %u, data 0x%llx", run->msr.error,
		      (unsigned long long)run->msr.data);

	/* The refused write leaves the value. */
	run->exit_reason = KVM_EXIT_X86_WRMSR;
	run->msr.data = 1ULL << 63;
	run->msr.error = 0;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_uint_eq(run->msr.error, 1);
	run->exit_reason = KVM_EXIT_X86_RDMSR;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_uint_eq(run->msr.data, 0x0123456789abcdefULL);

	/* Another index: refused either way. */
	run->msr.index = MSR_VMMLAB_SCRATCH + 1;
	run->msr.error = 0;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_msg(run->msr.error == 1, "1.dispatch: RDMSR of an MSR the VMM does not have is #GP");
	run->exit_reason = KVM_EXIT_X86_WRMSR;
	run->msr.index = 0x10;
	run->msr.error = 0;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), 0);
	ck_assert_msg(run->msr.error == 1, "1.dispatch: WRMSR of an MSR the VMM does not have is #GP");
	ck_assert(!vm_stopped(&f.vm));
	ck_assert_int_eq(port_rec.n + mmio_rec.n, 0);
}
END_TEST

START_TEST(malformed_exits_refused)
{
	struct kvm_run *run = f.cpu->run;

	io_exit(1, 0x3f8, 3, 1);
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), -EINVAL);
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.len = 16;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), -EINVAL);
	run->mmio.len = 9;	/* more than kvm_run's 8 data bytes */
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), -EINVAL);
	run->mmio.len = 0;
	ck_assert_int_eq(vcpu_handle_exit(f.cpu), -EINVAL);
	ck_assert_int_eq(port_rec.n + mmio_rec.n, 0);
}
END_TEST

Suite *dispatch_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc = tcase_create("dispatch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, io_out_reaches_device);
	tcase_add_test(tc, io_in_fills_page);
	tcase_add_test(tc, io_unclaimed_in_reads_ones);
	tcase_add_test(tc, mmio_write_and_read_8);
	tcase_add_test(tc, mmio_split_access_any_width);
	tcase_add_test(tc, mmio_every_width_reaches_device);
	tcase_add_test(tc, hlt_stops_with_zero);
	tcase_add_test(tc, shutdown_and_unknown_crash);
	tcase_add_test(tc, exit_device_status);
	tcase_add_test(tc, crash_reports_name_the_exit);
	tcase_add_test(tc, crash_report_after_guest_output);
	tcase_add_test(tc, crash_reported_once);
	tcase_add_test(tc, intr_goes_on);
	tcase_add_test(tc, msr_exits);
	tcase_add_test(tc, msr_exits_use_the_vcpu_msrs);
	tcase_add_test(tc, malformed_exits_refused);
	suite_add_tcase(s, tc);
	return s;
}

Suite *unhandled_suite(void)
{
	Suite *s = suite_create("unhandled");
	TCase *tc = tcase_create("unhandled");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unhandled_exits_stop_with_their_status);
	suite_add_tcase(s, tc);
	return s;
}

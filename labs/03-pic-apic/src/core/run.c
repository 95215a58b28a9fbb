/*
 * run.c - the run loop: enter the guest, handle the exit, repeat
 * (book §1.2 and §1.5.6).
 *
 * KVM_RUN returns whenever the guest does something KVM leaves to user
 * space. The reason is in the shared kvm_run page, with the details of
 * the access: which port or address, how wide, which direction, and the
 * data. The handlers below turn that into a bus access, and the next
 * KVM_RUN completes the guest's instruction with whatever we put back
 * into the page.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/err.h"
#include "core/kick.h"
#include "core/run.h"
#include "core/vm.h"
#include "cpu/msr.h"
#include "irq/halt.h"
#include "irq/inject.h"
#include "irq/irqchip.h"

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO",
	[KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG",
	[KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR",
	[KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_NMI] = "NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
	[KVM_EXIT_X86_RDMSR] = "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "X86_WRMSR",
};

const char *exit_reason_name(unsigned int reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) &&
	    exit_names[reason])
		return exit_names[reason];
	return "?";
}

/* Little-endian bytes in the kvm_run page <-> a bus value. */
static uint64_t load_le(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, p, size);
	return v;
}

static void store_le(uint8_t *p, unsigned int size, uint64_t v)
{
	memcpy(p, &v, size);
}

/* One element of an IO exit: one port access of `size` bytes at `data`. */
static void vcpu_io_one(struct vcpu *vcpu, uint8_t *data)
{
	struct kvm_run *run = vcpu->run;
	struct bus *pio = &vcpu->vm->pio;

	if (run->io.direction == KVM_EXIT_IO_OUT)
		bus_write(pio, vcpu, run->io.port, run->io.size,
			  load_le(data, run->io.size));
	else
		store_le(data, run->io.size,
			 bus_read(pio, vcpu, run->io.port, run->io.size));
}

/*
 * IN and OUT, including the string forms (INS/OUTS with REP): KVM hands
 * us `count` elements of `size` bytes, packed at data_offset in the
 * kvm_run page, and the guest's RCX/RSI/RDI are updated by KVM.
 */
int vcpu_handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int size = run->io.size;
	uint64_t bytes = (uint64_t)size * run->io.count;
	uint8_t *data;

	if (size != 1 && size != 2 && size != 4)
		return err_set(-EINVAL, "IO exit with width %u", size);
	/* After the struct, as KVM puts it: an IN must not rewrite the exit. */
	if (run->io.data_offset < sizeof(*run) ||
	    run->io.data_offset > vcpu->run_size ||
	    bytes > vcpu->run_size - run->io.data_offset)
		return err_set(-EINVAL, "IO exit data outside the kvm_run page");
	data = (uint8_t *)run + run->io.data_offset;

	/* EXERCISE 1.stringio: Every element of an IO exit.
	 *
	 * The rest of vcpu_handle_io() - perform the IO exit's accesses.
	 *	In: run->io (port, size, direction, count) and `data`, the
	 *	  count * size bytes KVM put after the kvm_run structure, their
	 *	  bounds already checked above. count is 1 for IN and OUT, and
	 *	  up to the guest's RCX for INS and OUTS with a REP prefix.
	 *	Out: for OUT, every element, in order, written to the port; for
	 *	  IN, every element, in order, read from the port into `data`,
	 *	  where KVM takes it for the guest's memory (INS) or AL, AX or
	 *	  EAX (IN) when the vCPU enters again. vcpu_io_one() does the
	 *	  access of one element.
	 *
	 * Read: the KVM API document (Documentation/virt/kvm/api.rst),
	 * section 5, "The kvm_run structure", KVM_EXIT_IO; Intel SDM vol. 2,
	 * INS and OUTS, and vol. 1, 19.3 "I/O instructions" (string I/O).
	 *
	 * Tests: unit.stringio guest.io-widths guest.hostile-io
	 * Stub: vcpu_io_one(vcpu, data);
	 */
	for (uint32_t i = 0; i < run->io.count; i++)
		vcpu_io_one(vcpu, data + (uint64_t)i * size);
	/* END EXERCISE 1.stringio */
	return 0;
}

int vcpu_handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int len = run->mmio.len;

	/*
	 * Any width up to the 8 data bytes: KVM splits an access that
	 * crosses a page into two, 7 and 1 bytes say. The devices refuse
	 * the widths their registers do not have.
	 */
	if (len == 0 || len > sizeof(run->mmio.data))
		return err_set(-EINVAL, "MMIO exit with width %u", len);
	if (run->mmio.is_write)
		bus_write(&vcpu->vm->mmio, vcpu, run->mmio.phys_addr, len,
			  load_le(run->mmio.data, len));
	else
		store_le(run->mmio.data, len,
			 bus_read(&vcpu->vm->mmio, vcpu, run->mmio.phys_addr, len));
	return 0;
}

static const char *const internal_names[] = {
	[KVM_INTERNAL_ERROR_EMULATION] = "instruction emulation failed",
	[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
	[KVM_INTERNAL_ERROR_DELIVERY_EV] = "exit while delivering an event",
	[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected exit reason",
};

/* The bytes at CS:RIP, read through the guest's own translation. */
static int vcpu_insn_bytes(struct vcpu *vcpu, uint8_t *buf, unsigned int max)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_translation tr = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct vm *vm = vcpu->vm;
	const void *bytes;
	unsigned int n;

	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
	    run->emulation_failure.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags &
	     KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		n = run->emulation_failure.insn_size;
		if (n > max)
			n = max;
		if (n > sizeof(run->emulation_failure.insn_bytes))
			n = sizeof(run->emulation_failure.insn_bytes);
		memcpy(buf, run->emulation_failure.insn_bytes, n);
		return (int)n;
	}
	if (vcpu->fd < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		return -1;
	tr.linear_address = sregs.cs.base + regs.rip;
	if (ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return -1;
	/* Up to the end of the page: the next one may be anywhere. */
	n = 4096 - (unsigned int)(tr.physical_address & 4095);
	if (n > max)
		n = max;
	bytes = vm_gpa(vm, tr.physical_address, n);
	if (!bytes)
		return -1;
	memcpy(buf, bytes, n);
	return (int)n;
}

/* KVM_EXIT_INTERNAL_ERROR, reported: the suberror, its data, the instruction. */
void vcpu_report_internal(struct vcpu *vcpu, FILE *out)
{
	struct kvm_run *run = vcpu->run;
	uint32_t sub = run->internal.suberror;
	uint8_t insn[15];
	int i, n;

	fprintf(out, "vmm: KVM internal error, suberror %u (%s)\n", sub,
		sub < sizeof(internal_names) / sizeof(internal_names[0]) &&
		internal_names[sub] ? internal_names[sub] : "unknown");
	if (run->internal.ndata > 0 && run->internal.ndata <= 16) {
		fprintf(out, "vmm: data:");
		for (i = 0; i < (int)run->internal.ndata; i++)
			fprintf(out, " 0x%llx",
				(unsigned long long)run->internal.data[i]);
		fputc('\n', out);
	}
	n = vcpu_insn_bytes(vcpu, insn, sizeof(insn));
	if (n > 0) {
		fprintf(out, "vmm: instruction bytes at RIP:");
		for (i = 0; i < n; i++)
			fprintf(out, " %02x", insn[i]);
		fputc('\n', out);
	}
}

/* Intel's basic exit reasons for a failed VM entry (SDM vol. 3, 27.8). */
const char *fail_entry_name(uint64_t reason)
{
	switch (reason & 0xffff) {
	case 33:
		return "invalid guest state";
	case 34:
		return "MSR loading";
	case 41:
		return "machine-check event";
	}
	return "see the CPU vendor's manual";
}

/*
 * An exit this VMM does not handle: a VMM that does not know what the
 * guest did cannot go on. The status says so (guests/README.md, "How a
 * VMM run ends"): it is the VMM's gap, not the guest's crash.
 */
int vcpu_unhandled_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	fflush(stdout);
	fprintf(stderr, "vmm: unhandled exit reason %u (%s)\n",
		run->exit_reason, exit_reason_name(run->exit_reason));
	vcpu_dump(vcpu, stderr);
	vm_stop(vcpu->vm, VMM_EXIT_UNHANDLED);
	return 0;
}

/* EXERCISE 1.dispatch: The exit dispatch: what each VM exit means.
 *
 * vcpu_handle_msr() - answer the RDMSR or WRMSR that KVM's MSR filter
 * sent to user space (KVM_EXIT_X86_RDMSR, KVM_EXIT_X86_WRMSR).
 *	In: run->msr.index; for WRMSR also run->msr.data.
 *	Out: for RDMSR, run->msr.data; for both, run->msr.error: 0 when
 *	  the vCPU's own MSRs (vcpu->msr, with msr_read() and msr_write()
 *	  of cpu/msr.c) accept the access, 1 when they refuse it, which
 *	  makes KVM inject #GP(0) into the guest when it enters again.
 *	Returns 0: a refused access is the guest's doing, not an error.
 *
 * vcpu_handle_exit() - act on the exit that KVM_RUN has just reported
 * in vcpu->run, whatever its reason:
 *	KVM_EXIT_IO, KVM_EXIT_MMIO: the access, on the port-I/O or the MMIO
 *	  bus (vcpu_handle_io(), vcpu_handle_mmio() do it);
 *	KVM_EXIT_X86_RDMSR, KVM_EXIT_X86_WRMSR: the MSR access;
 *	KVM_EXIT_HLT: the VM stops with status VMM_EXIT_HALT (lab 01 has
 *	  no interrupts: nothing could ever wake the vCPU);
 *	KVM_EXIT_INTR: nothing (a signal interrupted KVM_RUN);
 *	KVM_EXIT_SHUTDOWN (a triple fault), KVM_EXIT_FAIL_ENTRY (the CPU
 *	  refused to enter the guest), KVM_EXIT_INTERNAL_ERROR (KVM could
 *	  not go on): the guest crashed the VM. Report it on stderr, after
 *	  whatever the guest printed on stdout so far: one line naming the
 *	  exit as <linux/kvm.h> does ("KVM_EXIT_SHUTDOWN"); for FAIL_ENTRY,
 *	  with the hardware's reason in hex (fail_entry_name() says what it
 *	  means) and the CPU; for INTERNAL_ERROR, what
 *	  vcpu_report_internal() prints instead. Then the registers
 *	  (vcpu_dump()), and the VM stops with status VMM_EXIT_GUEST_CRASH;
 *	any other reason: vcpu_unhandled_exit().
 *	Returns 0 to go on (vm_stopped() then says whether the VM
 *	stopped), or the negative errno of a handler that refused a
 *	malformed exit (err_msg() says why).
 *
 * Read: the KVM API document (Documentation/virt/kvm/api.rst), section
 * 5, "The kvm_run structure" (exit_reason, and the union member of each
 * reason), and section 4, KVM_X86_SET_MSR_FILTER; Intel SDM vol. 3C,
 * the chapter "VM Entries", section "VM-Entry Failures During or After
 * Loading Guest State".
 *
 * Tests: unit.dispatch guest.hello16 guest.realmode guest.hello32
 *	guest.hello64 guest.io-widths guest.mmio-widths guest.cpuid
 *	guest.msr guest.triple-fault guest.exit-code guest.hostile-io
 * Stub: int vcpu_handle_msr(struct vcpu *vcpu)
 * {
 *	(void)vcpu;
 *	return -ENOSYS;
 * }
 *
 * int vcpu_handle_exit(struct vcpu *vcpu)
 * {
 *	return vcpu_unhandled_exit(vcpu);
 * }
 */
int vcpu_handle_msr(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct msr_state *ms = &vcpu->msr;
	uint64_t value = 0;
	int ret;

	/* Lab 03: IA32_APIC_BASE belongs to our local APIC (--irqchip=user). */
	if (run->msr.index == MSR_IA32_APIC_BASE && vcpu->vm->irq) {
		value = run->msr.data;
		ret = irqchip_apic_base(vcpu->vm->irq, vcpu,
					run->exit_reason == KVM_EXIT_X86_WRMSR,
					&value);
		if (run->exit_reason == KVM_EXIT_X86_RDMSR)
			run->msr.data = value;
		run->msr.error = ret ? 1 : 0;
		return 0;
	}
	if (run->exit_reason == KVM_EXIT_X86_RDMSR) {
		ret = msr_read(ms, run->msr.index, &value);
		run->msr.data = value;
	} else
		ret = msr_write(ms, run->msr.index, run->msr.data);
	run->msr.error = ret ? 1 : 0;	/* 1: KVM injects #GP */
	return 0;
}

int vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return vcpu_handle_io(vcpu);
	case KVM_EXIT_MMIO:
		return vcpu_handle_mmio(vcpu);
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		return vcpu_handle_msr(vcpu);
	case KVM_EXIT_HLT:
		halt_enter(vcpu);
		return 0;
	case KVM_EXIT_INTR:
		/* A signal arrived while in the guest: just go back in. */
		return 0;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_SET_TPR:
		/* The guest can take an interrupt, or lowered CR8: next entry. */
		return 0;
	case KVM_EXIT_IOAPIC_EOI:
		/* --irqchip=split: a level-triggered vector ended. */
		if (vm->irq)
			irqchip_ioapic_eoi(vm->irq, run->eoi.vector);
		return 0;
	case KVM_EXIT_SHUTDOWN:
		fflush(stdout);
		fprintf(stderr, "vmm: the guest shut down (KVM_EXIT_SHUTDOWN): a triple fault\n");
		vcpu_dump(vcpu, stderr);
		vm_stop(vm, VMM_EXIT_GUEST_CRASH);
		return 0;
	case KVM_EXIT_FAIL_ENTRY:
		fflush(stdout);
		fprintf(stderr,
			"vmm: VM entry failed (KVM_EXIT_FAIL_ENTRY): hardware reason 0x%llx (%s) on cpu %u\n",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			fail_entry_name(run->fail_entry.hardware_entry_failure_reason),
			run->fail_entry.cpu);
		vcpu_dump(vcpu, stderr);
		vm_stop(vm, VMM_EXIT_GUEST_CRASH);
		return 0;
	case KVM_EXIT_INTERNAL_ERROR:
		fflush(stdout);
		vcpu_report_internal(vcpu, stderr);
		vcpu_dump(vcpu, stderr);
		vm_stop(vm, VMM_EXIT_GUEST_CRASH);
		return 0;
	}
	return vcpu_unhandled_exit(vcpu);
}
/* END EXERCISE 1.dispatch */

/* One line per exit for --trace, written after the exit was handled. */
static void vcpu_trace(struct vcpu *vcpu, FILE *out)
{
	struct kvm_run *run = vcpu->run;
	const uint8_t *data;

	const char *name = exit_reason_name(run->exit_reason);
	int pad = 9 - (int)strlen(name);

	/* The line is written in pieces: keep other threads' lines out of it. */
	flockfile(out);
	fprintf(out, "trace cpu%u %6llu %s", vcpu->index,
		(unsigned long long)vcpu->nr_exits, name);
	if (pad < 0)
		pad = 0;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		data = (const uint8_t *)run + run->io.data_offset;
		fprintf(out, "%*s %-3s port 0x%04x size %u count %u data 0x%0*llx",
			pad, "", run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			run->io.port, run->io.size, run->io.count,
			run->io.size * 2,
			run->io.data_offset < vcpu->run_size &&
			run->io.size <= 8 &&
			run->io.size <= vcpu->run_size - run->io.data_offset ?
			(unsigned long long)load_le(data, run->io.size) : 0ULL);
		break;
	case KVM_EXIT_MMIO:
		fprintf(out, "%*s %-5s addr 0x%08llx size %u data 0x%0*llx",
			pad, "", run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr, run->mmio.len,
			run->mmio.len * 2,
			run->mmio.len <= 8 ?
			(unsigned long long)load_le(run->mmio.data, run->mmio.len) : 0ULL);
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		fprintf(out, "%*s msr 0x%08x data 0x%016llx%s", pad, "",
			run->msr.index,
			(unsigned long long)run->msr.data,
			run->msr.error ? " -> #GP" : "");
		break;
	case KVM_EXIT_HLT:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		fprintf(out, "%*s IF=%u ready=%u", pad, "", run->if_flag,
			run->ready_for_interrupt_injection);
		break;
	case KVM_EXIT_IOAPIC_EOI:
		fprintf(out, "%*s vector 0x%02x", pad, "", run->eoi.vector);
		break;
	}
	fputc('\n', out);
	funlockfile(out);
}

/*
 * One KVM_RUN: 0 after an exit, -EINTR when a kick made it return
 * before or instead of an exit (book §3.2.4), -errno on failure.
 */
static int vcpu_enter(struct vcpu *vcpu)
{
	uint64_t t0 = 0;
	int ret, e;

	if (vcpu->stats)
		t0 = stats_now_ns();
	ret = ioctl(vcpu->fd, KVM_RUN, 0);
	e = errno;
	/* Cleared after the run, looked at before the next: no kick is lost. */
	vcpu->run->immediate_exit = 0;
	if (vcpu->stats)
		vcpu->st.ns_guest += stats_now_ns() - t0;
	inject_after_run(vcpu);
	if (ret < 0 && (e == EINTR || e == EAGAIN))
		return -EINTR;
	if (ret < 0)
		return err_set(-e, "KVM_RUN: %s", strerror(e));
	return 0;
}

/*
 * The vCPU's run loop: hand KVM what the vCPU must take, enter the
 * guest, handle the exit, until the VM is stopped (0) or an exit cannot
 * be handled (-errno, err_msg() says why). Lab 03 runs one per thread.
 */
int vcpu_run(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint64_t start = 0;
	int ret = 0;

	if (vcpu->stats)
		start = stats_now_ns();
	while (!vm_stopped(vm)) {
		ret = inject_before_run(vcpu);
		if (ret || vm_stopped(vm))
			break;
		ret = vcpu_enter(vcpu);
		if (ret == -EINTR) {
			/* A kick: an exit to us all the same, counted as one. */
			vcpu->nr_exits++;
			vcpu->st.exits[KVM_EXIT_INTR]++;
			ret = 0;
			continue;
		}
		if (ret)
			break;
		vcpu->nr_exits++;
		atomic_fetch_add(&vcpu->activity, 1);
		if (vcpu->run->exit_reason < STATS_MAX_REASON)
			vcpu->st.exits[vcpu->run->exit_reason]++;
		ret = vcpu_handle_exit(vcpu);
		if (vcpu->trace)
			vcpu_trace(vcpu, stderr);
		if (ret)
			break;
	}
	if (vcpu->stats)
		vcpu->st.ns_total = stats_now_ns() - start;
	return ret;
}

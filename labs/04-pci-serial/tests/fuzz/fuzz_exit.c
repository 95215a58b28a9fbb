/*
 * fuzz_exit.c - the exit dispatch (src/run.c) on kvm_run pages holding
 * anything: IO exits of any port, size, count and data offset (string
 * I/O included), MMIO exits of any address and length, MSR exits of any
 * index, and the other reasons, reaching every device on the buses.
 *
 * Input: up to 16 exits, each a reason selector (one of the reasons the
 * dispatch knows, or a raw 32-bit reason), up to 255 bytes for the
 * exit's fields in kvm_run (io, mmio, msr, ...: the union at offset 32),
 * and up to 512 bytes of data after struct kvm_run, where an IO exit's
 * data usually is. Device state carries from one exit to the next.
 *
 * Covers: src/core/run.c src/core/bus.c src/dev/testdev.c
 * Covers: src/dev/debugcon.c src/dev/exitdev.c src/cpu/msr.c
 */
#include <string.h>

#include "fuzz.h"
#include "core/run.h"

static const uint32_t reasons[] = {
	KVM_EXIT_IO, KVM_EXIT_MMIO, KVM_EXIT_HLT, KVM_EXIT_X86_RDMSR,
	KVM_EXIT_X86_WRMSR, KVM_EXIT_SHUTDOWN, KVM_EXIT_FAIL_ENTRY,
	KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_INTR, KVM_EXIT_SYSTEM_EVENT,
};
#define NR_REASONS	(sizeof(reasons) / sizeof(reasons[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_machine *m = fuzz_machine();
	struct kvm_run *run = m->cpu->run;
	struct fuzz_in in;
	const uint8_t *p;
	unsigned int k;
	uint8_t sel;
	size_t n;

	fz_init(&in, data, size);
	for (k = 0; k < 16 && in.left && !vm_stopped(&m->vm); k++) {
		memset(m->run_page, 0, sizeof(m->run_page));
		sel = fz_u8(&in);
		run->exit_reason = sel < 2 * NR_REASONS ? reasons[sel % NR_REASONS]
							: fz_u32(&in);
		p = fz_bytes(&in, fz_u8(&in), &n);
		memcpy(&run->io, p, n);
		p = fz_bytes(&in, fz_u16(&in) % 513, &n);
		memcpy(m->run_page + sizeof(*run), p, n);
		vcpu_handle_exit(m->cpu);
	}
	fuzz_machine_done(m);
	return 0;
}

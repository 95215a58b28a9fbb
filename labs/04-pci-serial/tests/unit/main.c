/*
 * main.c - runs the lab's Check suites. CK_RUN_SUITE=name runs one
 * (that is how the grader gives each its own points).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

int (*unit_ioctl_hook)(int fd, unsigned long request, void *arg);

/* Every ioctl of the code under test comes here (-Wl,--wrap=ioctl). */
int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (unit_ioctl_hook)
		return unit_ioctl_hook(fd, request, arg);
	return __real_ioctl(fd, request, arg);
}

static uint64_t recorder_read(struct vcpu *vcpu, void *opaque, uint64_t offset,
			      unsigned int size)
{
	struct recorder *r = opaque;

	(void)vcpu;
	if (r->n < REC_MAX)
		r->a[r->n++] = (struct rec_access){ 0, offset, size, r->next_read };
	return r->next_read++;
}

static void recorder_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			   unsigned int size, uint64_t value)
{
	struct recorder *r = opaque;

	(void)vcpu;
	if (r->n < REC_MAX)
		r->a[r->n++] = (struct rec_access){ 1, offset, size, value };
}

const struct bus_ops recorder_ops = {
	.read = recorder_read,
	.write = recorder_write,
};

void fake_vm_init(struct fake_vm *f)
{
	memset(f, 0, sizeof(*f));
	vm_init(&f->vm, NULL);
	f->cpu = &f->vm.vcpus[0];
	f->cpu->run = (struct kvm_run *)f->run_page;
	f->cpu->run_size = sizeof(f->run_page);
}

void fake_vm_init_ram(struct fake_vm *f, uint64_t mem)
{
	fake_vm_init(f);
	ck_assert_int_eq(memmap_build(&f->vm.mem, mem), 0);
	ck_assert_int_eq(memmap_alloc(&f->vm.mem), 0);
}

void fake_vm_free(struct fake_vm *f)
{
	bus_free(&f->vm.pio);
	bus_free(&f->vm.mmio);
	memmap_free(&f->vm.mem);
}

void *fake_dev(struct fake_vm *f, int (*init)(struct vm *vm, void **state))
{
	void *state = NULL;

	ck_assert_int_eq(init(&f->vm, &state), 0);
	ck_assert_ptr_nonnull(state);
	return state;
}

/*
 * An IO exit as KVM lays it out: `count` elements at data_offset in the
 * page; NULL for an offset past the page (the tests of bad offsets).
 */
uint8_t *fake_io_exit(struct fake_vm *f, int out, uint16_t port,
		      uint8_t size, uint32_t count, uint64_t data_offset)
{
	struct kvm_run *run = f->cpu->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.port = port;
	run->io.size = size;
	run->io.count = count;
	run->io.data_offset = data_offset;
	return data_offset < sizeof(f->run_page) ? f->run_page + data_offset : NULL;
}

int main(void)
{
	Suite *(*const suites[])(void) = {
		bus_suite, cpuid_suite, dispatch_suite, loader_suite,
		msr_suite, options_suite, pagetable_suite, realmode_suite,
		stringio_suite, testdev_suite, unhandled_suite, vm_suite,
		pagewalk_suite, pagewalk_modes_suite, ept_suite, walk2d_suite, walkdev_suite,
		memmap_suite, e820_suite, bios_suite, dimm_suite,
		dirtylog_suite,
		shadow_suite, pv_suite,
		pic_suite, pit_suite, lapic_suite, ipi_suite, ioapic_suite,
		msi_suite, irq_suite, irq_hostile_suite, irq_threads_suite,
		inject_suite, sipi_suite, mptable_suite, irqtest_suite,
		pic_regs_suite, ioapic_regs_suite, msi_regs_suite,
		irq_paths_suite, irqtest_msi_suite, timers_suite,
		pci_suite, pci_bus_suite, uart_suite, uart_iir_suite,
		uart_rx_suite, edu_suite, rtc_suite, dmar_suite, dmar_ir_suite,
		bzimage_suite, bzimage_kernel_suite, dev_hostile_suite,
		dev_threads_suite, coalesce_suite, kvm_cpuid_suite,
	};
	SRunner *sr = srunner_create(NULL);
	unsigned int i;
	int failed;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	/* A misspelt CK_RUN_SUITE would otherwise run nothing and "pass". */
	if (srunner_ntests_run(sr) == 0) {
		fprintf(stderr, "unit-tests: no test ran (CK_RUN_SUITE=%s)\n",
			getenv("CK_RUN_SUITE") ? getenv("CK_RUN_SUITE") : "");
		srunner_free(sr);
		return EXIT_FAILURE;
	}
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * unit.h - the lab's Check suites, and a small fake machine for them.
 *
 * The unit tests need no /dev/kvm: they drive the exit handlers with a
 * kvm_run page we fill in ourselves, as KVM would, and look at what the
 * devices saw.
 */
#ifndef UNIT_H
#define UNIT_H

#include <check.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/vm.h"

Suite *bus_suite(void);
Suite *cpuid_suite(void);
Suite *dispatch_suite(void);
/* @@ 02 */
Suite *ept_suite(void);
/* @@ end */
Suite *loader_suite(void);
Suite *msr_suite(void);
Suite *options_suite(void);
Suite *pagetable_suite(void);
/* @@ 02 */
Suite *pagewalk_suite(void);
Suite *pagewalk_modes_suite(void);
/* @@ end */
Suite *realmode_suite(void);
Suite *stringio_suite(void);
Suite *testdev_suite(void);
Suite *unhandled_suite(void);
Suite *vm_suite(void);
/* @@ 02 */
Suite *walk2d_suite(void);
Suite *walkdev_suite(void);
Suite *memmap_suite(void);
Suite *e820_suite(void);
Suite *bios_suite(void);
Suite *dimm_suite(void);
Suite *dirtylog_suite(void);
Suite *shadow_suite(void);
Suite *pv_suite(void);
/* @@ end */
/* @@ 03 */
Suite *pic_suite(void);
Suite *pit_suite(void);
Suite *lapic_suite(void);
Suite *ipi_suite(void);
Suite *ioapic_suite(void);
Suite *msi_suite(void);
Suite *irq_suite(void);
Suite *irq_hostile_suite(void);
Suite *irq_threads_suite(void);
Suite *inject_suite(void);
Suite *sipi_suite(void);
Suite *mptable_suite(void);
Suite *irqtest_suite(void);
Suite *pic_regs_suite(void);
Suite *ioapic_regs_suite(void);
Suite *msi_regs_suite(void);
Suite *irq_paths_suite(void);
Suite *irqtest_msi_suite(void);
Suite *timers_suite(void);
/* @@ end */
/* @@ 04 */
Suite *pci_suite(void);
Suite *pci_bus_suite(void);
Suite *coalesce_suite(void);
Suite *kvm_cpuid_suite(void);
Suite *uart_suite(void);
Suite *uart_iir_suite(void);
Suite *uart_rx_suite(void);
Suite *edu_suite(void);
Suite *rtc_suite(void);
Suite *dmar_suite(void);
Suite *dmar_ir_suite(void);
Suite *bzimage_suite(void);
Suite *bzimage_kernel_suite(void);
Suite *dev_hostile_suite(void);
Suite *dev_threads_suite(void);
/* @@ end */

/* A device that records every access it sees. */
#define REC_MAX 64
struct rec_access {
	int write;
	uint64_t offset;
	unsigned int size;
	uint64_t value;
};
struct recorder {
	struct rec_access a[REC_MAX];
	int n;
	uint64_t next_read;	/* returned by reads, then incremented */
};
extern const struct bus_ops recorder_ops;

/*
 * A VM with no KVM behind it: buses, and one vCPU (cpu) with a kvm_run
 * page and fd -1. fake_vm_free() frees what it holds.
 */
struct fake_vm {
	struct vm vm;
	struct vcpu *cpu;	/* vm.vcpus[0] */
	uint8_t run_page[4096];
};
void fake_vm_init(struct fake_vm *f);
/* @@ 02 */
/* The same with RAM: the memory map for `mem` bytes, allocated. */
void fake_vm_init_ram(struct fake_vm *f, uint64_t mem);
/* @@ end */
void fake_vm_free(struct fake_vm *f);
/* A device of the machine's table, made on the fake VM: its state. */
void *fake_dev(struct fake_vm *f, int (*init)(struct vm *vm, void **state));
uint8_t *fake_io_exit(struct fake_vm *f, int out, uint16_t port,
		      uint8_t size, uint32_t count, uint64_t data_offset);

/*
 * The runner is linked with -Wl,--wrap=ioctl: while a test sets this, the
 * VMM's ioctls reach it instead of the kernel (a KVM the test plays).
 */
extern int (*unit_ioctl_hook)(int fd, unsigned long request, void *arg);

#endif

/*
 * machine.c - the machine's devices, in start order (machine.h).
 *
 * A lab that adds a device adds a line here. Each device lives in one
 * file with one prefix (src/dev/ for the platform's test devices,
 * guests/README.md, "The platform every lab provides").
 */
#include <errno.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/machine.h"
#include "core/vm.h"
#include "dev/debugcon.h"
#include "dev/exitdev.h"
#include "dev/testdev.h"
/* @@ 02 */
#include "mem/bios.h"
#include "mem/dimm.h"
#include "mem/dirtylog.h"
#include "mem/pv.h"
#include "mem/uffd.h"
#include "mem/walkdev.h"
/* @@ end */
/* @@ 03 */
#include "cpu/mptable.h"
#include "dev/irqtest.h"
#include "irq/irqchip.h"
/* @@ end */
/* @@ 04 */
#include "dev/edu.h"
#include "dev/rtc.h"
#include "dev/serial.h"
#include "pci/pcibus.h"
/* @@ end */

static const struct machine_device machine_devices[] = {
	/* The platform's test devices (guests/README.md). */
	{ .name = "debugcon", .init = debugcon_init },
	{ .name = "exitdev", .init = exitdev_init },
	{ .name = "testdev", .init = testdev_init },
	/* @@ 02 */
	/* Lab 02. A paravirtual guest's platform reads the guest image. */
	{ .name = "pv", .init = pv_init, .start = pv_start,
	  .stats = pv_stats, .exit = pv_exit },
	/* @@ 02..03 */
	{ .name = "bios", .init = bios_init },
	/* @@ else */
	{ .name = "bios", .init = bios_init, .kvm = bios_kvm, .exit = bios_exit },
	/* @@ end */
	{ .name = "dimm", .init = dimm_init, .stats = dimm_stats },
	{ .name = "dirtylog", .init = dirtylog_init,
	  .stats = dirtylog_stats, .exit = dirtylog_exit },
	{ .name = "walkdev", .init = walkdev_init, .exit = walkdev_exit },
	/* @@ 03 */
	/* Lab 03. The interrupt controllers first: the devices drive lines. */
	/* @@ 03..03 */
	{ .name = "irqchip", .init = irqchip_init, .kvm = irqchip_kvm,
	  .start = irqchip_start, .stats = irqchip_stats, .exit = irqchip_exit },
	/* @@ else */
	{ .name = "irqchip", .init = irqchip_init, .kvm = irqchip_kvm,
	  .start = irqchip_start, .stats = irqchip_stats, .stop = irqchip_stop,
	  .exit = irqchip_exit },
	/* @@ end */
	{ .name = "irqtest", .init = irqtest_init, .exit = irqtest_exit },
	/* @@ 04 */
	/* Lab 04. The PCI bus before the devices that plug into it. */
	{ .name = "pci", .init = pcibus_init, .kvm = pcibus_kvm,
	  .start = pcibus_start, .stats = pcibus_stats, .exit = pcibus_exit },
	{ .name = "edu", .init = edu_dev_init, .exit = edu_dev_exit },
	{ .name = "com1", .init = serial_init, .start = serial_start,
	  .stats = serial_stats, .exit = serial_exit },
	{ .name = "rtc", .init = rtc_dev_init, .exit = rtc_dev_exit },
	/* @@ end */
	{ .name = "mptable", .init = mptable_init, .start = mptable_start },
	/* @@ end */
	/* Last: RAM above --demand-above starts empty once the others have
	 * written what they write into guest memory. */
	{ .name = "demand", .init = uffd_init, .start = uffd_start,
	  .stats = uffd_stats, .exit = uffd_exit },
	/* @@ end */
};

#define NR_DEVICES (sizeof(machine_devices) / sizeof(machine_devices[0]))

/*
 * Every device's init, in order. A device counts as made once its init
 * has stored its state, even if the init then fails: machine_exit()
 * undoes it with the others, so an exit hook copes with a device that
 * is only half set up.
 */
int machine_init(struct vm *vm)
{
	unsigned int i;
	int ret;

	vm->dev = calloc(NR_DEVICES, sizeof(*vm->dev));
	if (!vm->dev)
		return err_set(-ENOMEM, "no memory for the device table");
	for (i = 0; i < NR_DEVICES; i++) {
		ret = machine_devices[i].init(vm, &vm->dev[i]);
		if (vm->dev[i] || !ret)
			vm->nr_dev = i + 1;
		if (ret)
			return ret;
	}
	return 0;
}

/* @@ 03 */
/* After KVM_CREATE_VM, before the vCPUs. */
int machine_kvm(struct vm *vm)
{
	unsigned int i;
	int ret;

	for (i = 0; i < vm->nr_dev; i++) {
		const struct machine_device *d = &machine_devices[i];

		if (d->kvm) {
			ret = d->kvm(vm->dev[i], vm);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* @@ end */
int machine_start(struct vm *vm)
{
	unsigned int i;
	int ret;

	for (i = 0; i < vm->nr_dev; i++) {
		const struct machine_device *d = &machine_devices[i];

		if (d->start) {
			ret = d->start(vm->dev[i], vm);
			if (ret)
				return ret;
		}
	}
	return 0;
}

void machine_stats(struct vm *vm, FILE *out)
{
	unsigned int i;

	for (i = 0; i < vm->nr_dev; i++)
		if (machine_devices[i].stats)
			machine_devices[i].stats(vm->dev[i], out);
}

/* Every device that was initialized, in reverse order. */
void machine_exit(struct vm *vm)
{
	/* @@ 04 */
	unsigned int i;

	/* Lab 04: no timer fires into a device once any device is gone. */
	for (i = vm->nr_dev; i > 0; i--)
		if (machine_devices[i - 1].stop)
			machine_devices[i - 1].stop(vm->dev[i - 1], vm);
	/* @@ end */
	while (vm->nr_dev > 0) {
		const struct machine_device *d = &machine_devices[--vm->nr_dev];

		if (d->exit)
			d->exit(vm->dev[vm->nr_dev], vm);
		else
			free(vm->dev[vm->nr_dev]);
	}
	free(vm->dev);
	vm->dev = NULL;
}

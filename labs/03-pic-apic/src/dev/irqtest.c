/*
 * irqtest.c - the interrupt test device (irqtest.h; book §3.2.2, §3.4).
 *
 * A guest that tests interrupt controllers needs an interrupt source it
 * controls exactly: a write to port 0x2000 + n drives line n high (any
 * value but 0) or low (0), as a device's interrupt pin would; an edge is
 * a write of 1 then of 0. Line n is GSI n: ISA IRQ n (to the 8259A and
 * the I/O APIC) below 16, an I/O APIC pin above. Its MSI block sends the
 * one 32-bit memory write a PCI device makes for an MSI. Its watchdog
 * ends the run when a guest waits longer than it said it would: a VMM
 * that never delivers an interrupt fails a test at once, instead of
 * leaving the guest halted until the test's time limit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/vm.h"
#include "dev/irqtest.h"
#include "irq/irqchip.h"

static void irqtest_warn(struct irqtest *t, enum irqtest_warn w,
			 const char *msg)
{
	bool say;

	pthread_mutex_lock(&t->lock);
	say = !(t->warned & (1u << w));
	t->warned |= 1u << w;
	pthread_mutex_unlock(&t->lock);
	if (say)
		fprintf(stderr, "vmm: irqtest: %s (logged once)\n", msg);
}

static uint64_t irqtest_line_read(struct vcpu *vcpu, void *opaque,
				  uint64_t offset, unsigned int size)
{
	(void)vcpu;
	(void)opaque;
	(void)offset;
	return bus_all_ones(size);
}

static void irqtest_line_write(struct vcpu *vcpu, void *opaque,
			       uint64_t offset, unsigned int size,
			       uint64_t value)
{
	struct irqtest *t = opaque;

	(void)vcpu;
	if (size != 1 || offset >= IRQTEST_LINES ||
	    (IRQTEST_NOT_OURS & (1u << offset))) {
		irqtest_warn(t, IRQTEST_W_LINE,
			     "a line write that is not 1 byte, or to line 0 or 2, ignored");
		return;
	}
	irqchip_set_line(t->vm->irq, IRQ_SRC_IRQTEST, (unsigned int)offset,
			 value != 0);
}

static const struct bus_ops irqtest_line_ops = {
	.read = irqtest_line_read,
	.write = irqtest_line_write,
};

static uint64_t irqtest_msi_read(struct vcpu *vcpu, void *opaque,
				 uint64_t offset, unsigned int size)
{
	struct irqtest *t = opaque;
	uint64_t v;

	(void)vcpu;
	if (size == 4 && offset == IRQTEST_ID)
		return IRQTEST_ID_VALUE;
	if (size != 4 || (offset != IRQTEST_MSI_ADDR && offset != IRQTEST_MSI_DATA)) {
		irqtest_warn(t, IRQTEST_W_MSI, "an MSI block access that is not 4 bytes at a register ignored");
		return bus_all_ones(size);
	}
	pthread_mutex_lock(&t->lock);
	v = offset == IRQTEST_MSI_ADDR ? t->msi_addr : t->msi_data;
	pthread_mutex_unlock(&t->lock);
	return v;
}

/* MSI_DATA: the 32-bit write of this data to MSI_ADDR, as a device's. */
static void irqtest_msi_send(struct irqtest *t, uint32_t data)
{
	uint32_t addr;

	pthread_mutex_lock(&t->lock);
	t->msi_data = data;
	addr = t->msi_addr;
	pthread_mutex_unlock(&t->lock);
	if ((addr & 0xfff00000U) != LAPIC_BASE_DEFAULT) {
		irqtest_warn(t, IRQTEST_W_ADDR,
			     "an MSI to an address outside 0xfee00000-0xfeefffff not sent");
		return;
	}
	irqchip_send_msi(t->vm->irq, addr, data);
}

static void irqtest_msi_write(struct vcpu *vcpu, void *opaque,
			      uint64_t offset, unsigned int size,
			      uint64_t value)
{
	struct irqtest *t = opaque;

	(void)vcpu;
	if (size == 4 && offset == IRQTEST_MSI_ADDR) {
		pthread_mutex_lock(&t->lock);
		t->msi_addr = (uint32_t)value;
		pthread_mutex_unlock(&t->lock);
	} else if (size == 4 && offset == IRQTEST_MSI_DATA) {
		irqtest_msi_send(t, (uint32_t)value);
	} else {
		irqtest_warn(t, IRQTEST_W_MSI, "an MSI block access that is not 4 bytes at a register ignored");
	}
}

static const struct bus_ops irqtest_msi_ops = {
	.read = irqtest_msi_read,
	.write = irqtest_msi_write,
};

/* The timer thread: the guest waited longer than it asked to. */
static void irqtest_watchdog_fire(void *opaque)
{
	struct irqtest *t = opaque;
	uint32_t ms;

	pthread_mutex_lock(&t->lock);
	ms = t->watchdog_ms;
	t->watchdog_ms = 0;
	timers_set(&t->vm->irq->timers, t->watchdog_timer, TIMERS_NONE);
	pthread_mutex_unlock(&t->lock);
	if (!ms)
		return;		/* disarmed meanwhile */
	fflush(stdout);
	fprintf(stderr, "vmm: irqtest: the guest's watchdog expired: no interrupt came in %u ms\n",
		ms);
	vm_stop(t->vm, IRQTEST_WATCHDOG_CODE << 1 | 1);
}

static void irqtest_watchdog_write(struct vcpu *vcpu, void *opaque,
				   uint64_t offset, unsigned int size,
				   uint64_t value)
{
	struct irqtest *t = opaque;
	uint64_t when = TIMERS_NONE;

	(void)vcpu;
	(void)offset;
	if (size != 4) {
		irqtest_warn(t, IRQTEST_W_WATCHDOG, "a watchdog write that is not 4 bytes ignored");
		return;
	}
	if (value)
		when = timers_now_ns() + value * 1000000ULL;
	pthread_mutex_lock(&t->lock);
	t->watchdog_ms = (uint32_t)value;
	timers_set(&t->vm->irq->timers, t->watchdog_timer, when);
	pthread_mutex_unlock(&t->lock);
}

static const struct bus_ops irqtest_watchdog_ops = {
	.read = irqtest_line_read,	/* all ones */
	.write = irqtest_watchdog_write,
};

int irqtest_init(struct vm *vm, void **state)
{
	struct irqtest *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return err_set(-ENOMEM, "no memory for the interrupt test device");
	*state = t;
	t->vm = vm;
	pthread_mutex_init(&t->lock, NULL);
	t->watchdog_timer = timers_add(&vm->irq->timers, irqtest_watchdog_fire, t);
	ret = bus_register(&vm->pio, IRQTEST_LINES_PORT, IRQTEST_LINES,
			   "irqtest lines", &irqtest_line_ops, t);
	if (!ret)
		ret = bus_register(&vm->pio, IRQTEST_WATCHDOG_PORT, 4,
				   "irqtest watchdog", &irqtest_watchdog_ops, t);
	if (ret)
		return ret;
	return bus_register(&vm->pio, IRQTEST_MSI_PORT, IRQTEST_MSI_LEN,
			    "irqtest MSI", &irqtest_msi_ops, t);
}

void irqtest_exit(void *state, struct vm *vm)
{
	struct irqtest *t = state;

	if (!t)
		return;
	/* No watchdog may fire into a device that is gone. */
	if (vm->irq)
		timers_stop(&vm->irq->timers);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

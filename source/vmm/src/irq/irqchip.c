/* @@ file 03 */
/*
 * irqchip.c - the interrupt controllers of the machine, wired to each
 * other, to the buses and to KVM (irqchip.h; book §3.2-3.4).
 *
 * The models of src/irq/ know nothing of KVM or of the VMM: each talks
 * to the world through callbacks. This file is those callbacks. An
 * interrupt from a device travels: irqchip_set_line() -> the GSI router
 * (irq.c) -> the 8259A (pic.c) and the I/O APIC (ioapic.c) -> the APIC
 * bus (apicbus.c) -> a local APIC (lapic.c) -> a kick of its vCPU ->
 * src/irq/inject.c. In the split and kernel modes KVM takes over part of
 * the path, from the local APIC on or from the start.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/bus.h"
#include "core/err.h"
#include "core/kick.h"
#include "cpu/smp.h"
#include "irq/halt.h"
#include "irq/irqchip.h"
#include "irq/msi.h"

#define LAPIC_MMIO_SIZE		0x1000
#define IOAPIC_MMIO_SIZE	0x1000

enum irqchip_warn {
	IRQCHIP_W_MSI,		/* a malformed MSI */
	IRQCHIP_W_APIC_BASE,	/* the local APIC moved */
	IRQCHIP_W_DMA,		/* a device read of a local APIC page */
};

void irqchip_trace(struct irqchip *ic, const char *fmt, ...)
{
	va_list ap;

	if (!ic || !ic->trace)
		return;
	/* One line, whole: another thread's trace waits for the newline. */
	flockfile(stderr);
	va_start(ap, fmt);
	fprintf(stderr, "trace irq ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	funlockfile(stderr);
}

/* The models' complaints: "vmm: pic: ... (logged once)". */
void irqchip_warn(void *opaque, const char *dev, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "vmm: %s: %s (logged once)\n", dev, msg);
}

static void irqchip_warn_once(struct irqchip *ic, unsigned int bit,
			      const char *msg)
{
	bool say;

	pthread_mutex_lock(&ic->warn_lock);
	say = !(ic->warned & (1u << bit));
	ic->warned |= 1u << bit;
	pthread_mutex_unlock(&ic->warn_lock);
	if (say)
		irqchip_warn(ic, "irqchip", msg);
}

static uint64_t irqchip_now(void *opaque)
{
	(void)opaque;
	return timers_now_ns();
}

/* ---- the KVM side: lines, MSIs, routes ---- */

static int kvm_line(struct irqchip *ic, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	if (ioctl(ic->vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return err_set(-errno, "KVM_IRQ_LINE %u: %s", gsi, strerror(errno));
	return 0;
}

/* KVM_SIGNAL_MSI: how many local APICs took it (<0: nobody was named). */
static int kvm_msi(struct irqchip *ic, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	return ioctl(ic->vm->vm_fd, KVM_SIGNAL_MSI, &msi);
}

/*
 * KVM_SET_GSI_ROUTING from the GSI table. In the split mode KVM also
 * learns each I/O APIC pin's message as an MSI route on the GSI of the
 * pin's number: that is how it knows which vectors are level triggered,
 * so that their EOI comes back to us as KVM_EXIT_IOAPIC_EOI.
 */
static int irqchip_routes(struct irqchip *ic)
{
	unsigned int max = IRQ_ROUTES_MAX + IOAPIC_PINS, pin;
	struct kvm_irq_routing *kr;
	struct apic_irq irq;
	uint64_t rte, addr;
	uint32_t data;
	int n, ret = 0;

	kr = calloc(1, sizeof(*kr) + max * sizeof(kr->entries[0]));
	if (!kr)
		return err_set(-ENOMEM, "no memory for the GSI routes");
	n = irq_fill_kvm_routing(&ic->router, kr, IRQ_ROUTES_MAX,
				 ic->mode == IRQCHIP_SPLIT);
	for (pin = 0; ic->mode == IRQCHIP_SPLIT && pin < IOAPIC_PINS; pin++) {
		rte = ioapic_rte(&ic->ioapic, pin);
		irq = ioapic_rte_message(rte);
		if ((rte & IOAPIC_RTE_MASKED) || irq.vector < 16)
			continue;
		msi_compose(&irq, &addr, &data);
		kr->entries[n] = (struct kvm_irq_routing_entry){
			.gsi = pin,
			.type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = (uint32_t)addr,
				   .address_hi = (uint32_t)(addr >> 32),
				   .data = data },
		};
		n++;
	}
	kr->nr = (uint32_t)n;
	if (ioctl(ic->vm->vm_fd, KVM_SET_GSI_ROUTING, kr) < 0)
		ret = err_set(-errno, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
	free(kr);
	return ret;
}

/* ---- the lines: devices -> GSI router ---- */

void irqchip_set_line(struct irqchip *ic, uint32_t src, unsigned int gsi,
		      int level)
{
	uint32_t was, now;

	if (gsi >= IRQCHIP_GSIS)
		return;
	pthread_mutex_lock(&ic->line_lock);
	was = ic->line_src[gsi];
	now = level ? was | src : was & ~src;
	ic->line_src[gsi] = now;
	if (!was != !now) {
		atomic_fetch_add(&ic->nr_edges, 1);
		irqchip_trace(ic, "line %u -> %d", gsi, now != 0);
		/* excerpt: line-where */
		if (ic->mode == IRQCHIP_KERNEL) {
			if (kvm_line(ic, gsi, now != 0))
				fprintf(stderr, "vmm: irqchip: %s\n", err_msg());
		} else {
			irq_set_level(&ic->router, gsi, now != 0);
		}
		/* end excerpt: line-where */
	}
	pthread_mutex_unlock(&ic->line_lock);
}

/* @@ 04 */
/*
 * Lab 04, before the guest runs: the ISA IRQs in level_irqs become level
 * triggered at the 8259As (the ELCR's bits, as firmware leaves them for
 * the PCI links), ours or KVM's.
 */
int irqchip_set_elcr(struct irqchip *ic, uint16_t level_irqs)
{
	struct kvm_irqchip chip;
	unsigned int i;

	if (ic->mode != IRQCHIP_KERNEL) {
		for (i = 0; i < 2; i++)
			pic_write(&ic->pic, (uint16_t)(PIC_ELCR_MASTER + i),
				  (uint8_t)(pic_read(&ic->pic,
						     (uint16_t)(PIC_ELCR_MASTER + i)) |
					    level_irqs >> (8 * i)));
		return 0;
	}
	for (i = 0; i < 2; i++) {
		chip = (struct kvm_irqchip){ .chip_id = i };	/* master, slave */
		if (ioctl(ic->vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
			return err_set(-errno, "KVM_GET_IRQCHIP: %s", strerror(errno));
		chip.chip.pic.elcr |= (uint8_t)(level_irqs >> (8 * i)) &
				      chip.chip.pic.elcr_mask;
		if (ioctl(ic->vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
			return err_set(-errno, "KVM_SET_IRQCHIP: %s", strerror(errno));
	}
	return 0;
}

/* @@ end */
/* ---- MSIs: devices -> the APIC bus ---- */

static int irqchip_deliver(struct irqchip *ic, const struct apic_irq *irq)
{
	uint64_t addr;
	uint32_t data;
	int n;

	if (ic->mode == IRQCHIP_USER)
		return apic_bus_deliver(&ic->bus, irq);
	msi_compose(irq, &addr, &data);
	n = kvm_msi(ic, addr, data);
	return n > 0 ? n : 0;
}

int irqchip_send_msi(struct irqchip *ic, uint64_t addr, uint32_t data)
{
	struct apic_irq irq;
	enum msi_result r;
	int n;

	atomic_fetch_add(&ic->nr_msis, 1);
	if (ic->mode != IRQCHIP_USER) {
		n = kvm_msi(ic, addr, data);
		irqchip_trace(ic, "msi addr 0x%llx data 0x%x -> KVM_SIGNAL_MSI: %d",
			      (unsigned long long)addr, data, n);
		return n;
	}
	r = msi_decode(addr, data, &irq);
	if (r != MSI_OK) {
		irqchip_trace(ic, "msi addr 0x%llx data 0x%x: %s, not sent",
			      (unsigned long long)addr, data, msi_strerror(r));
		if (r < 0)
			irqchip_warn_once(ic, IRQCHIP_W_MSI,
					  "an MSI with a bad address or a reserved delivery mode was not sent");
		return r < 0 ? -EINVAL : 0;
	}
	n = apic_bus_deliver(&ic->bus, &irq);
	irqchip_trace(ic, "msi vector 0x%02x mode %u dest 0x%02x %s -> %d local APIC%s",
		      irq.vector, irq.dm, irq.dest,
		      irq.logical ? "logical" : "physical", n, n == 1 ? "" : "s");
	return n;
}

/* ---- the models' callbacks ---- */

static void router_pic(void *opaque, unsigned int isa_irq, int level)
{
	struct irqchip *ic = opaque;

	pic_set_irq(&ic->pic, isa_irq, level);
}

static void router_ioapic(void *opaque, unsigned int pin, int level)
{
	struct irqchip *ic = opaque;

	ioapic_set_irq(&ic->ioapic, pin, level);
}

static int router_msi(void *opaque, uint64_t addr, uint32_t data)
{
	return irqchip_send_msi(opaque, addr, data);
}

/* The 8259A's INT: the BSP's LINT0, or (split) an ExtINT for inject.c. */
static void pic_intr(void *opaque, int level)
{
	struct irqchip *ic = opaque;

	irqchip_trace(ic, "8259A INT -> %d", level);
	if (ic->mode == IRQCHIP_USER) {
		lapic_set_lint(&ic->lapic[0], 0, level);
		return;
	}
	atomic_store(&ic->extint, level != 0);
	if (level)
		kick_vcpu(&ic->vm->vcpus[0]);
}

static void pit_irq0(void *opaque, int level)
{
	irqchip_set_line(opaque, IRQ_SRC_PIT, 0, level);
}

static void pit_deadline(void *opaque, uint64_t ns)
{
	struct irqchip *ic = opaque;

	timers_set(&ic->timers, ic->pit_timer, ns);
}

static void pit_fire(void *opaque)
{
	struct irqchip *ic = opaque;

	pit_service(&ic->pit);
}

static int ioapic_deliver(void *opaque, const struct apic_irq *irq)
{
	struct irqchip *ic = opaque;
	int n = irqchip_deliver(ic, irq);

	atomic_fetch_add(&ic->nr_ioapic, 1);
	irqchip_trace(ic, "ioapic vector 0x%02x mode %u dest 0x%02x %s%s -> %d local APIC%s",
		      irq->vector, irq->dm, irq->dest,
		      irq->logical ? "logical" : "physical",
		      irq->level ? " level" : "", n, n == 1 ? "" : "s");
	return n;
}

static struct vcpu *vcpu_of(void *opaque)
{
	struct irqchip_cpu *c = opaque;

	return &c->ic->vm->vcpus[c->index];
}

static void lapic_notify(void *opaque)
{
	kick_vcpu(vcpu_of(opaque));
}

static void lapic_deadline(void *opaque, uint64_t ns)
{
	struct irqchip_cpu *c = opaque;

	timers_set(&c->ic->timers, c->ic->lapic_timer[c->index], ns);
}

static void lapic_fire(void *opaque)
{
	struct irqchip_cpu *c = opaque;

	lapic_timer_service(&c->ic->lapic[c->index]);
}

/* INIT or SIPI for the vCPU: src/cpu/smp.c acts on it in its thread. */
static void lapic_event(void *opaque, enum lapic_event ev, uint8_t vector)
{
	struct irqchip_cpu *c = opaque;

	if (ev == LAPIC_EV_SIPI)
		irqchip_trace(c->ic, "cpu%u SIPI vector 0x%02x", c->index, vector);
	else
		irqchip_trace(c->ic, "cpu%u INIT", c->index);
	smp_event(vcpu_of(opaque), ev == LAPIC_EV_SIPI, vector);
}

/* An IPI from this local APIC's ICR, on the APIC bus (lock dropped). */
static void lapic_send(void *opaque, const struct apic_irq *irq)
{
	struct irqchip_cpu *c = opaque;
	int n = apic_bus_deliver(&c->ic->bus, irq);

	atomic_fetch_add(&c->ic->nr_ipis, 1);
	irqchip_trace(c->ic, "cpu%u IPI vector 0x%02x mode %u shorthand %u dest 0x%02x %s -> %d local APIC%s",
		      c->index, irq->vector, irq->dm, irq->shorthand, irq->dest,
		      irq->logical ? "logical" : "physical", n, n == 1 ? "" : "s");
}

/* The EOI of a level-triggered vector, broadcast to the I/O APIC. */
static void lapic_eoi(void *opaque, uint8_t vector)
{
	struct irqchip_cpu *c = opaque;

	irqchip_ioapic_eoi(c->ic, vector);
}

void irqchip_ioapic_eoi(struct irqchip *ic, uint8_t vector)
{
	atomic_fetch_add(&ic->nr_eois, 1);
	irqchip_trace(ic, "EOI broadcast vector 0x%02x", vector);
	ioapic_eoi(&ic->ioapic, vector);
}

static const struct irq_ops router_ops = {
	.pic = router_pic, .ioapic = router_ioapic, .msi = router_msi,
	.warn = irqchip_warn,
};
static const struct pic_ops pic_ops = { .intr = pic_intr, .warn = irqchip_warn };
static const struct pit_ops pit_ops = {
	.now_ns = irqchip_now, .irq0 = pit_irq0, .deadline = pit_deadline,
	.warn = irqchip_warn,
};
static const struct ioapic_ops ioapic_ops = {
	.deliver = ioapic_deliver, .warn = irqchip_warn,
};
static const struct lapic_ops lapic_ops = {
	.now_ns = irqchip_now, .notify = lapic_notify,
	.deadline = lapic_deadline, .event = lapic_event,
	.warn = irqchip_warn, .send = lapic_send, .eoi = lapic_eoi,
};

/* ---- the buses ---- */

/*
 * The 8259As, the ELCR and the 8254 are ISA devices with byte-wide
 * registers: the bus takes a wider access byte by byte (bus.h).
 */
static uint8_t pic_bus_read(void *opaque, uint64_t offset)
{
	struct irqchip_ports *p = opaque;

	return pic_read(&p->ic->pic, (uint16_t)(p->base + offset));
}

static void pic_bus_write(void *opaque, uint64_t offset, uint8_t value)
{
	struct irqchip_ports *p = opaque;

	pic_write(&p->ic->pic, (uint16_t)(p->base + offset), value);
}

static uint8_t pit_bus_read(void *opaque, uint64_t offset)
{
	struct irqchip_ports *p = opaque;

	return pit_read(&p->ic->pit, (uint16_t)(p->base + offset));
}

static void pit_bus_write(void *opaque, uint64_t offset, uint8_t value)
{
	struct irqchip_ports *p = opaque;

	pit_write(&p->ic->pit, (uint16_t)(p->base + offset), value);
}

static const struct bus_ops pic_bus_ops = {
	.read_byte = pic_bus_read, .write_byte = pic_bus_write,
};
static const struct bus_ops pit_bus_ops = {
	.read_byte = pit_bus_read, .write_byte = pit_bus_write,
};

static uint64_t ioapic_bus_read(struct vcpu *vcpu, void *opaque,
				uint64_t offset, unsigned int size)
{
	struct irqchip *ic = opaque;

	(void)vcpu;
	return ioapic_read(&ic->ioapic, offset, size);
}

static void ioapic_bus_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			     unsigned int size, uint64_t value)
{
	struct irqchip *ic = opaque;

	(void)vcpu;
	ioapic_write(&ic->ioapic, offset, size, (uint32_t)value);
	/* KVM must know the pins' messages to send their EOIs back. */
	if (ic->mode == IRQCHIP_SPLIT && offset == IOAPIC_WIN &&
	    irqchip_routes(ic))
		fprintf(stderr, "vmm: irqchip: %s\n", err_msg());
}

static const struct bus_ops ioapic_bus_ops = {
	.read = ioapic_bus_read, .write = ioapic_bus_write,
};

/*
 * Each processor sees its own local APIC at 0xFEE00000. A write there
 * that no processor made is a device's memory write, which is what an
 * MSI is (SDM vol. 3, "Message Signalled Interrupts").
 */
static uint64_t lapic_bus_read(struct vcpu *vcpu, void *opaque,
			       uint64_t offset, unsigned int size)
{
	struct irqchip *ic = opaque;

	if (!vcpu || vcpu->index >= ic->nr_cpus) {
		irqchip_warn_once(ic, IRQCHIP_W_DMA,
				  "a read of the local APIC page not made by a processor reads 0");
		return 0;
	}
	return lapic_read(&ic->lapic[vcpu->index], offset, size);
}

static void lapic_bus_write(struct vcpu *vcpu, void *opaque, uint64_t offset,
			    unsigned int size, uint64_t value)
{
	struct irqchip *ic = opaque;

	if (!vcpu || vcpu->index >= ic->nr_cpus) {
		if (size == 4)
			irqchip_send_msi(ic, LAPIC_BASE_DEFAULT + offset,
					 (uint32_t)value);
		return;
	}
	lapic_write(&ic->lapic[vcpu->index], offset, size, (uint32_t)value);
}

static const struct bus_ops lapic_bus_ops = {
	.read = lapic_bus_read, .write = lapic_bus_write,
};

static const struct {
	uint16_t base, len;
	const char *name;
	const struct bus_ops *ops;
} irqchip_port_regions[IRQCHIP_NR_PORTS] = {
	[IRQCHIP_PORTS_PIC_M] = { PIC_MASTER_CMD, 2, "8259A master", &pic_bus_ops },
	[IRQCHIP_PORTS_PIC_S] = { PIC_SLAVE_CMD, 2, "8259A slave", &pic_bus_ops },
	[IRQCHIP_PORTS_ELCR] = { PIC_ELCR_MASTER, 2, "ELCR", &pic_bus_ops },
	[IRQCHIP_PORTS_PIT] = { PIT_PORT_CH0, 4, "8254", &pit_bus_ops },
	[IRQCHIP_PORTS_61] = { PIT_PORT_61, 1, "port 61h", &pit_bus_ops },
};

/* The models' registers on the buses, as the mode leaves them to us. */
static int irqchip_claim(struct irqchip *ic, struct vm *vm)
{
	unsigned int i;
	int ret = 0;

	if (ic->mode == IRQCHIP_KERNEL)
		return 0;
	for (i = 0; !ret && i < IRQCHIP_NR_PORTS; i++) {
		ic->ports[i] = (struct irqchip_ports){
			.ic = ic, .base = irqchip_port_regions[i].base,
		};
		ret = bus_register(&vm->pio, irqchip_port_regions[i].base,
				   irqchip_port_regions[i].len,
				   irqchip_port_regions[i].name,
				   irqchip_port_regions[i].ops, &ic->ports[i]);
	}
	if (!ret)
		ret = bus_register(&vm->mmio, IOAPIC_BASE_DEFAULT, IOAPIC_MMIO_SIZE,
				   "I/O APIC", &ioapic_bus_ops, ic);
	if (!ret && ic->mode == IRQCHIP_USER)
		ret = bus_register(&vm->mmio, LAPIC_BASE_DEFAULT, LAPIC_MMIO_SIZE,
				   "local APIC", &lapic_bus_ops, ic);
	return ret;
}

/* ---- the device ---- */

static void irqchip_models(struct irqchip *ic)
{
	unsigned int i;

	irq_router_init(&ic->router, &router_ops, ic);
	irq_router_set_defaults(&ic->router);
	pic_init(&ic->pic, &pic_ops, ic);
	pit_init(&ic->pit, &pit_ops, ic);
	ioapic_init(&ic->ioapic, &ioapic_ops, ic);
	ioapic_set_id(&ic->ioapic, IRQCHIP_IOAPIC_ID(ic->nr_cpus));
	apic_bus_init(&ic->bus);
	for (i = 0; i < ic->nr_cpus; i++) {
		ic->cpu[i] = (struct irqchip_cpu){ .ic = ic, .index = i };
		ic->lapic_timer[i] = timers_add(&ic->timers, lapic_fire, &ic->cpu[i]);
		lapic_init(&ic->lapic[i], (int)i, (uint8_t)i, i == 0, 0,
			   &lapic_ops, &ic->cpu[i]);
		apic_bus_add(&ic->bus, &ic->lapic[i]);
	}
}

/*
 * Make the controllers (for the user and split modes, ours) and claim
 * their registers. KVM is not open yet: irqchip_kvm() does KVM's part.
 */
int irqchip_init(struct vm *vm, void **state)
{
	struct irqchip *ic = calloc(1, sizeof(*ic));

	if (!ic)
		return err_set(-ENOMEM, "no memory for the interrupt controllers");
	*state = ic;
	ic->vm = vm;
	ic->mode = vm->opt ? vm->opt->irqchip : IRQCHIP_USER;
	ic->trace = vm->opt && vm->opt->trace;
	ic->nr_cpus = vm->nr_vcpus;
	pthread_mutex_init(&ic->line_lock, NULL);
	pthread_mutex_init(&ic->warn_lock, NULL);
	timers_init(&ic->timers);
	ic->pit_timer = timers_add(&ic->timers, pit_fire, ic);
	ic->watch_timer = -1;
	if (ic->mode != IRQCHIP_USER)
		ic->watch_timer = timers_add(&ic->timers, halt_watch, ic);
	irqchip_models(ic);
	vm->irq = ic;
	return irqchip_claim(ic, vm);
}

/* Kernel mode: KVM's I/O APIC gets the ID the MP table gives it. */
static int irqchip_kvm_ioapic_id(struct irqchip *ic)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	if (ioctl(ic->vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
		return err_set(-errno, "KVM_GET_IRQCHIP: %s", strerror(errno));
	chip.chip.ioapic.id = IRQCHIP_IOAPIC_ID(ic->nr_cpus);
	if (ioctl(ic->vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
		return err_set(-errno, "KVM_SET_IRQCHIP: %s", strerror(errno));
	return 0;
}

static int irqchip_kvm_kernel(struct irqchip *ic)
{
	/* The "dummy speaker": port 61h in KVM, with channel 2's gate and OUT. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int fd = ic->vm->vm_fd, ret;

	if (ioctl(fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_set(-errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (ioctl(fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_set(-errno, "KVM_CREATE_PIT2: %s", strerror(errno));
	ret = irqchip_kvm_ioapic_id(ic);
	return ret ? ret : irqchip_routes(ic);
}

static int irqchip_kvm_split(struct irqchip *ic)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP,
		.args[0] = IOAPIC_PINS,	/* GSIs 0-23 carry the I/O APIC's pins */
	};

	if (ioctl(ic->vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return err_set(-errno, "KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): %s",
			       strerror(errno));
	return irqchip_routes(ic);
}

static const struct {
	int cap;
	const char *name;
} irqchip_caps[] = {
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_USER_NMI, "KVM_CAP_USER_NMI" },
	{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
};

/* After KVM_CREATE_VM, before the vCPUs: KVM's part of the mode. */
int irqchip_kvm(void *state, struct vm *vm)
{
	struct irqchip *ic = state;
	unsigned int i;

	for (i = 0; i < sizeof(irqchip_caps) / sizeof(irqchip_caps[0]); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, irqchip_caps[i].cap) <= 0)
			return err_set(-ENOTSUP, "KVM lacks %s, needed for interrupts",
				       irqchip_caps[i].name);
	if (ic->mode == IRQCHIP_KERNEL)
		return irqchip_kvm_kernel(ic);
	if (ic->mode == IRQCHIP_SPLIT)
		return irqchip_kvm_split(ic);
	return 0;
}

int irqchip_start(void *state, struct vm *vm)
{
	struct irqchip *ic = state;

	(void)vm;
	if (ic->watch_timer >= 0)
		timers_set(&ic->timers, ic->watch_timer,
			   timers_now_ns() + HALT_WATCH_NS);
	return timers_start(&ic->timers);
}

/* The hardware's help (book §3.5), as the host's KVM module reports it. */
static void irqchip_assists(FILE *out)
{
	static const struct {
		const char *path, *what;
	} params[] = {
		{ "/sys/module/kvm_intel/parameters/enable_apicv",
		  "kvm_intel enable_apicv (virtual-APIC page, posted interrupts)" },
		{ "/sys/module/kvm_amd/parameters/avic",
		  "kvm_amd avic (AVIC: virtual APIC backing page, doorbell)" },
	};
	unsigned int i, found = 0;
	char buf[16];
	FILE *f;

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		f = fopen(params[i].path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			fprintf(out, "vmm:   APIC virtualization    %s = %s\n",
				params[i].what, buf);
			found++;
		}
		fclose(f);
	}
	if (!found)
		fprintf(out, "vmm:   APIC virtualization    none reported (no kvm_intel or kvm_amd module: a software KVM?)\n");
}

void irqchip_stats(void *state, FILE *out)
{
	struct irqchip *ic = state;

	fprintf(out, "vmm:   irqchip %s: %llu line changes, %llu MSIs, %llu I/O APIC messages, %llu IPIs, %llu EOI broadcasts, %llu timer services\n",
		options_irqchip_name(ic->mode),
		(unsigned long long)atomic_load(&ic->nr_edges),
		(unsigned long long)atomic_load(&ic->nr_msis),
		(unsigned long long)atomic_load(&ic->nr_ioapic),
		(unsigned long long)atomic_load(&ic->nr_ipis),
		(unsigned long long)atomic_load(&ic->nr_eois),
		(unsigned long long)ic->timers.fired);
	irqchip_assists(out);
}

/* @@ 04 */
/* After the run: the timer thread stops calling into the devices. */
void irqchip_stop(void *state, struct vm *vm)
{
	struct irqchip *ic = state;

	(void)vm;
	if (ic)
		timers_stop(&ic->timers);
}

/* @@ end */
void irqchip_exit(void *state, struct vm *vm)
{
	struct irqchip *ic = state;
	unsigned int i;

	if (!ic)
		return;
	timers_destroy(&ic->timers);
	for (i = 0; i < ic->nr_cpus; i++)
		lapic_destroy(&ic->lapic[i]);
	ioapic_destroy(&ic->ioapic);
	pit_destroy(&ic->pit);
	pic_destroy(&ic->pic);
	irq_router_destroy(&ic->router);
	pthread_mutex_destroy(&ic->line_lock);
	pthread_mutex_destroy(&ic->warn_lock);
	if (vm->irq == ic)
		vm->irq = NULL;
	free(ic);
}

/* ---- for the vCPUs ---- */

struct lapic *irqchip_lapic(struct irqchip *ic, const struct vcpu *vcpu)
{
	if (ic->mode != IRQCHIP_USER || vcpu->index >= ic->nr_cpus)
		return NULL;
	return &ic->lapic[vcpu->index];
}

/*
 * IA32_APIC_BASE in the user mode, where the MSR filter sends it to us:
 * 0, or -EINVAL for a write the local APIC refuses (the guest gets #GP).
 * The page stays at 0xFEE00000: a base moved elsewhere is kept in the
 * MSR but not followed (said once).
 */
int irqchip_apic_base(struct irqchip *ic, struct vcpu *vcpu, bool write,
		      uint64_t *value)
{
	struct lapic *l = irqchip_lapic(ic, vcpu);

	if (!l)
		return -EINVAL;
	if (!write) {
		*value = lapic_get_base(l);
		return 0;
	}
	if (lapic_set_base(l, *value))
		return -EINVAL;
	if ((*value & ~0xfffULL) != LAPIC_BASE_DEFAULT)
		irqchip_warn_once(ic, IRQCHIP_W_APIC_BASE,
				  "the local APIC was moved in IA32_APIC_BASE; its page stays at 0xfee00000");
	return 0;
}

/* The 8259A's INT can reach an NMI only through a LINT0 in NMI mode. */
static bool irqchip_lint0_nmi(struct irqchip *ic)
{
	unsigned int i;
	uint32_t lvt;

	for (i = 0; ic->mode == IRQCHIP_USER && i < ic->nr_cpus; i++) {
		lvt = lapic_read(&ic->lapic[i], LAPIC_LVT_LINT0, 4);
		if (!(lvt & LAPIC_LVT_MASKED) && ((lvt >> 8) & 7) == APIC_DM_NMI)
			return true;
	}
	return false;
}

/*
 * Could a timer still interrupt a processor, with every vCPU halted
 * (src/irq/halt.c)? Only the timers run then: nothing else drives a
 * line. With nmi_only, could one raise an NMI: only the PIT can, through
 * an I/O APIC pin or a LINT0 programmed for NMI (a timer LVT entry
 * takes the Fixed mode only).
 */
bool irqchip_may_fire(struct irqchip *ic, bool nmi_only)
{
	unsigned int pin;
	uint64_t rte;

	if (!timers_armed(&ic->timers))
		return false;
	if (!nmi_only)
		return true;
	if (pit_next_deadline(&ic->pit) == PIT_NO_DEADLINE)
		return false;
	for (pin = 0; pin < IOAPIC_PINS; pin++) {
		rte = ioapic_rte(&ic->ioapic, pin);
		if (!(rte & IOAPIC_RTE_MASKED) && ((rte >> 8) & 7) == APIC_DM_NMI)
			return true;
	}
	return irqchip_lint0_nmi(ic);
}

/* @@ file 03 */
/*
 * irqchip.h - the machine's interrupt controllers, wired together and to
 * KVM, in one of three places (book ch. 3, "the path of one interrupt"):
 *
 *   --irqchip=user    every controller is ours (src/irq/): the 8259A
 *                     pair, the 8254, the I/O APIC, one local APIC per
 *                     vCPU, and the host timer thread that drives the
 *                     PIT and the APIC timers; src/irq/inject.c hands
 *                     the local APIC's interrupts to KVM;
 *   --irqchip=split   KVM keeps the local APICs (KVM_CAP_SPLIT_IRQCHIP);
 *                     the 8259As, the PIT and the I/O APIC are ours, the
 *                     I/O APIC's messages go to KVM as MSIs and KVM tells
 *                     us of the EOI of a level-triggered vector
 *                     (KVM_EXIT_IOAPIC_EOI); the 8259A's ExtINT is
 *                     injected by inject.c;
 *   --irqchip=kernel  all of them are KVM's (KVM_CREATE_IRQCHIP,
 *                     KVM_CREATE_PIT2); our devices drive their lines
 *                     with KVM_IRQ_LINE and send MSIs with
 *                     KVM_SIGNAL_MSI, through the same GSI table.
 *
 * Devices know none of that: they drive a line (irqchip_set_line()) or
 * send an MSI (irqchip_send_msi()). Where the controllers are and what
 * they answer is in guests/README.md, "Lab 03: interrupts".
 *
 * Locking. Each model has its lock (src/irq/pic.h and the others); the
 * order is: PIT -> irqchip->line_lock -> GSI router -> PIC or I/O APIC ->
 * local APIC -> then, last, the timers' lock (recording a deadline) and
 * the VM's kick lock (waking a vCPU). A callback of a model only goes
 * rightwards in that order. The other fields are written by init and
 * read-only while vCPUs run; the counters are atomic.
 */
#ifndef VMM_IRQCHIP_H
#define VMM_IRQCHIP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/options.h"
#include "core/vm.h"
#include "irq/apicbus.h"
#include "irq/ioapic.h"
#include "irq/irq.h"
#include "irq/lapic.h"
#include "irq/pic.h"
#include "irq/pit.h"
#include "irq/timers.h"

#define IRQCHIP_GSIS		24	/* ISA IRQs 0-15 and I/O APIC pins to 23 */
#define IRQCHIP_IOAPIC_ID(n)	(n)	/* after the processors' APIC IDs */

/* Who drives a line; a line's level is the OR of its sources. */
#define IRQ_SRC_PIT		0x1u
#define IRQ_SRC_IRQTEST		0x2u
/* @@ 04 */
#define IRQ_SRC_PCI		0x4u	/* the PCI bus's INTx links */
#define IRQ_SRC_UART		0x8u	/* COM1 */
#define IRQ_SRC_RTC		0x10u	/* the CMOS clock */
/* @@ end */

/* Each local APIC's callbacks know their vCPU through this. */
struct irqchip_cpu {
	struct irqchip *ic;
	unsigned int index;
};

/* A port region of an ISA controller: the models take port numbers. */
struct irqchip_ports {
	struct irqchip *ic;
	uint16_t base;
};

enum { IRQCHIP_PORTS_PIC_M, IRQCHIP_PORTS_PIC_S, IRQCHIP_PORTS_ELCR,
       IRQCHIP_PORTS_PIT, IRQCHIP_PORTS_61, IRQCHIP_NR_PORTS };

struct irqchip {
	struct vm *vm;
	enum irqchip_mode mode;
	bool trace;
	unsigned int nr_cpus;
	struct pit pit;			/* user, split */
	struct pic pic;			/* user, split */
	struct ioapic ioapic;		/* user, split */
	struct irq_router router;	/* every mode: the GSI table */
	struct apic_bus bus;		/* user */
	struct lapic lapic[VMM_MAX_CPUS];	/* user */
	struct irqchip_cpu cpu[VMM_MAX_CPUS];
	struct irqchip_ports ports[IRQCHIP_NR_PORTS];
	struct timers timers;		/* user, split */
	int pit_timer;			/* the PIT's id in timers */
	int lapic_timer[VMM_MAX_CPUS];	/* each local APIC's */
	pthread_mutex_t line_lock;	/* guards line_src */
	uint32_t line_src[IRQCHIP_GSIS];	/* IRQ_SRC_* asserting each GSI */
	atomic_bool extint;		/* split: the 8259A's INT, for vCPU 0 */
	int watch_timer;		/* split, kernel: the idle watch */
	uint64_t watch_seen;		/* activity at the last watch */
	atomic_uint watch_idle;		/* probes in a row that found all asleep */
	atomic_uint probe_left;		/* votes still to come */
	atomic_bool probe_busy;		/* a vCPU voted busy */
	atomic_ullong nr_edges;		/* line changes */
	atomic_ullong nr_msis;		/* MSIs sent by devices */
	atomic_ullong nr_ioapic;	/* I/O APIC messages */
	atomic_ullong nr_ipis;		/* IPIs through an ICR */
	atomic_ullong nr_eois;		/* EOI broadcasts to the I/O APIC */
	pthread_mutex_t warn_lock;	/* guards warned */
	uint32_t warned;
};

int irqchip_init(struct vm *vm, void **state);
int irqchip_kvm(void *state, struct vm *vm);
int irqchip_start(void *state, struct vm *vm);
void irqchip_stats(void *state, FILE *out);
void irqchip_exit(void *state, struct vm *vm);
/* @@ 04 */
void irqchip_stop(void *state, struct vm *vm);
/* @@ end */

/* The devices' side. */
void irqchip_set_line(struct irqchip *ic, uint32_t src, unsigned int gsi,
		      int level);
int irqchip_send_msi(struct irqchip *ic, uint64_t addr, uint32_t data);
/* @@ 04 */
int irqchip_set_elcr(struct irqchip *ic, uint16_t level_irqs);
/* @@ end */

/* The vCPUs' side. */
struct lapic *irqchip_lapic(struct irqchip *ic, const struct vcpu *vcpu);
void irqchip_ioapic_eoi(struct irqchip *ic, uint8_t vector);
int irqchip_apic_base(struct irqchip *ic, struct vcpu *vcpu, bool write,
		      uint64_t *value);
bool irqchip_may_fire(struct irqchip *ic, bool nmi_only);

__attribute__((format(printf, 2, 3)))
void irqchip_trace(struct irqchip *ic, const char *fmt, ...);
void irqchip_warn(void *opaque, const char *dev, const char *msg);

#endif

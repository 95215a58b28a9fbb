/*
 * halt.h - a vCPU with nothing to run, with --irqchip=user (book §3.2.4,
 * §1.4): halted (HLT), or an application processor waiting for INIT or
 * for a start-up IPI. KVM leaves HLT to us when the local APIC is ours
 * (KVM_EXIT_HLT): the vCPU's thread sleeps until something it can take
 * arrives. With the local APICs in KVM, KVM does this itself.
 *
 * When every vCPU sleeps and nothing could ever wake one, the run ends
 * with status 0 (guests/README.md, "How a VMM run ends"): when no timer
 * is armed, since then only a running vCPU could make an interrupt; or,
 * when each halted vCPU has IF = 0, unless a timer can still raise an
 * NMI (the PIT through an I/O APIC pin or a LINT0 in NMI mode).
 *
 * With the local APICs in KVM the vCPUs sleep inside KVM_RUN, where we
 * cannot see them. A watch (halt_watch(), every HALT_WATCH_NS on the
 * timer thread) notices when no vCPU has exited to us for that long and
 * then probes them: each is kicked out of KVM_RUN and says, from its MP
 * state, RFLAGS and pending events, whether it sleeps with IF = 0 and no
 * NMI coming (halt_probe()). Two probes in a row that find every vCPU
 * so, with no exit in between, end the run as above. A guest halted
 * with IF = 1 is left to its timers, which KVM keeps out of our sight.
 */
#ifndef VMM_HALT_H
#define VMM_HALT_H

#include <stdbool.h>

struct vcpu;

#define HALT_WATCH_NS	1000000000ULL	/* 1 s */

struct irqchip;

void halt_enter(struct vcpu *vcpu);
bool halt_can_wake(struct vcpu *vcpu);
void halt_wait(struct vcpu *vcpu);
void halt_watch(void *opaque);
void halt_probe(struct vcpu *vcpu);

#endif

/* @@ file 04 */
/*
 * coalesce.h - guest writes that KVM queues instead of exiting (KVM's
 * coalesced MMIO and PIO), replayed by the VMM before it handles the
 * next exit (book §4.2: the cost of configuration mechanism #1).
 */
#ifndef VMM_COALESCE_H
#define VMM_COALESCE_H

#include <stdint.h>

struct vcpu;
struct vm;

int coalesce_pio(struct vm *vm, uint16_t port, unsigned int size);
void coalesce_drain(struct vcpu *vcpu);

#endif

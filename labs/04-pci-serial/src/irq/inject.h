/*
 * inject.h - handing interrupts to KVM before each KVM_RUN (book
 * §3.2.4-3.2.8).
 */
#ifndef VMM_INJECT_H
#define VMM_INJECT_H

#include <stdbool.h>
#include <linux/kvm.h>

struct lapic;
struct pic;
struct vcpu;

/* What inject_decide() leaves for the caller besides a vector. */
#define INJECT_NONE	(-1)

int inject_before_run(struct vcpu *vcpu);
void inject_after_run(struct vcpu *vcpu);
int inject_decide(struct kvm_run *run, struct lapic *l, struct pic *pic);
int inject_extint(struct kvm_run *run, struct pic *pic, bool intr);

#endif

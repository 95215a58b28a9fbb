/*
 * kick.h - waking a vCPU's thread from another thread (book §3.2.4): out
 * of KVM_RUN with a signal and kvm_run->immediate_exit, or out of
 * kick_park(), where a vCPU with nothing to run sleeps.
 *
 * The rule that loses no wake-up: whoever makes something deliverable
 * first records it (in a local APIC, vcpu->events), then calls
 * kick_vcpu(); the vCPU's thread looks at what is recorded after it
 * came back from KVM_RUN or woke up, and before it sleeps or enters
 * again. A kick that lands before KVM_RUN sets immediate_exit, so that
 * KVM_RUN returns at once instead of running the guest with the news
 * unseen.
 *
 * Locking: vm->kick_lock guards each vCPU's thread_live, parked and
 * kicked, and vm->kick_gen. It is the last lock: kick_vcpu() may be
 * called with any other held (a local APIC's, from its notify
 * callback); nothing is called with it held.
 */
#ifndef VMM_KICK_H
#define VMM_KICK_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct vm;

#define KICK_SIGNAL	SIGUSR1

enum kick_park { KICK_WOKEN, KICK_LAST };

void kick_init(struct vm *vm);
void kick_destroy(struct vm *vm);
int kick_install(void);
void kick_bind(struct vcpu *vcpu);
void kick_unbind(struct vcpu *vcpu);
void kick_vcpu(struct vcpu *vcpu);
void kick_all(struct vm *vm);
enum kick_park kick_park(struct vcpu *vcpu, bool check_last, uint64_t *gen);
bool kick_still_idle(struct vm *vm, struct vcpu *self, uint64_t gen);

#endif

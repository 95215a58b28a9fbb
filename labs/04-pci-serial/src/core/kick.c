/*
 * kick.c - waking a vCPU's thread (kick.h; book §3.2.4).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "core/err.h"
#include "core/kick.h"
#include "core/vm.h"

/* The kvm_run page of the vCPU this thread runs, for the handler. */
static _Thread_local struct kvm_run *volatile kick_run;

/*
 * The signal's only job is to make KVM_RUN return: if the thread is
 * inside it, the signal itself does (-EINTR); if it is about to enter,
 * immediate_exit does.
 */
static void kick_handler(int sig)
{
	(void)sig;
	if (kick_run)
		kick_run->immediate_exit = 1;
}

void kick_init(struct vm *vm)
{
	pthread_mutex_init(&vm->kick_lock, NULL);
	pthread_cond_init(&vm->kick_cond, NULL);
	vm->kick_gen = 0;
}

void kick_destroy(struct vm *vm)
{
	pthread_cond_destroy(&vm->kick_cond);
	pthread_mutex_destroy(&vm->kick_lock);
}

/* Once, before the vCPU threads start. No SA_RESTART: KVM_RUN must end. */
int kick_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL) < 0)
		return err_set(-errno, "sigaction: %s", strerror(errno));
	return 0;
}

/* In the vCPU's thread, before its first KVM_RUN: kicks may come now. */
void kick_bind(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	kick_run = vcpu->run;
	pthread_mutex_lock(&vm->kick_lock);
	vcpu->thread = pthread_self();
	vcpu->thread_live = true;
	pthread_mutex_unlock(&vm->kick_lock);
}

/* In the vCPU's thread, as it ends: no signal may be sent to it after. */
void kick_unbind(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->kick_lock);
	vcpu->thread_live = false;
	pthread_mutex_unlock(&vm->kick_lock);
	kick_run = NULL;
}

/*
 * Make the vCPU look at what was recorded for it: wake it if it is
 * parked, else signal its thread (not ourselves: a vCPU looks before it
 * enters the guest again anyway).
 */
void kick_vcpu(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->kick_lock);
	vcpu->kicked = true;
	vm->kick_gen++;
	if (vcpu->parked) {
		pthread_cond_broadcast(&vm->kick_cond);
	} else if (vcpu->thread_live &&
		   !pthread_equal(vcpu->thread, pthread_self())) {
		atomic_fetch_add(&vcpu->st.kicks, 1);
		pthread_kill(vcpu->thread, KICK_SIGNAL);
	}
	pthread_mutex_unlock(&vm->kick_lock);
}

void kick_all(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		kick_vcpu(&vm->vcpus[i]);
}

/* Every vCPU but `self` parked and not kicked since; lock held. */
static bool kick_others_parked(struct vm *vm, struct vcpu *self)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v != self && (!v->parked || v->kicked))
			return false;
	}
	return true;
}

/*
 * Sleep until kicked (or the VM stops). With check_last, a vCPU that
 * would be the last to sleep does not: it returns KICK_LAST with the
 * kick generation in *gen, so that its caller can decide whether
 * anything could ever wake the VM again (src/irq/halt.c).
 */
enum kick_park kick_park(struct vcpu *vcpu, bool check_last, uint64_t *gen)
{
	struct vm *vm = vcpu->vm;
	enum kick_park r = KICK_WOKEN;

	pthread_mutex_lock(&vm->kick_lock);
	if (!vcpu->kicked && check_last && kick_others_parked(vm, vcpu)) {
		*gen = vm->kick_gen;
		r = KICK_LAST;
		goto out;
	}
	vcpu->parked = true;
	while (!vcpu->kicked && !vm_stopped(vm))
		pthread_cond_wait(&vm->kick_cond, &vm->kick_lock);
	vcpu->parked = false;
out:
	vcpu->kicked = false;
	pthread_mutex_unlock(&vm->kick_lock);
	return r;
}

/* After KICK_LAST: still no kick anywhere since, and the others asleep. */
bool kick_still_idle(struct vm *vm, struct vcpu *self, uint64_t gen)
{
	bool idle;

	pthread_mutex_lock(&vm->kick_lock);
	idle = vm->kick_gen == gen && !self->kicked &&
	       kick_others_parked(vm, self);
	pthread_mutex_unlock(&vm->kick_lock);
	return idle;
}

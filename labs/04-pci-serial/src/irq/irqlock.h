/*
 * irqlock.h - the interrupt models' locks (book ch. 3): error-checking
 * mutexes whose misuse ends the program at once. A model that unlocked a
 * mutex it did not hold, or locked one twice, would otherwise go on with
 * its state unguarded, and no single-threaded test would see it.
 */
#ifndef VMM_IRQLOCK_H
#define VMM_IRQLOCK_H

#include <pthread.h>
#include <stdlib.h>

static inline void irq_lock_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

static inline void irq_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m))
		abort();
}

static inline void irq_unlock(pthread_mutex_t *m)
{
	if (pthread_mutex_unlock(m))
		abort();
}

#endif

/* @@ file 03 */
/*
 * timers.h - the host timer thread behind the guest's timers: the PIT's
 * channel 0 and each local APIC's timer (book §3.2.2, §3.3; the models
 * say when they next need time to pass, this thread makes it pass).
 *
 * A model reports a deadline through its deadline() callback, with its
 * own lock held; timers_set() only records it and wakes the thread. The
 * thread sleeps until the earliest deadline (a condition variable on
 * CLOCK_MONOTONIC, the models' clock), then calls that source's fire()
 * function with no lock of its own held, which brings the model up to
 * the present: it raises its interrupt and reports its next deadline.
 *
 * A guest may program a period of a clock or two. As KVM does for its
 * own PIT and APIC timer (min_timer_period_us, 200 us), a source that
 * re-arms itself from its fire() (a periodic timer) is fired at most
 * once per TIMERS_MIN_NS; the models fold the expiries that passed
 * meanwhile into one interrupt. A deadline set from another thread (a
 * guest's write, such as a one-shot timer armed again, or a device's
 * host side) is kept as it is.
 *
 * Locking: timers->lock guards the arrays and `stop`; it is the last
 * lock of all (taken inside the models' locks) and is never held while
 * calling fire().
 */
#ifndef VMM_TIMERS_H
#define VMM_TIMERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define TIMERS_MAX		16
#define TIMERS_NONE		UINT64_MAX	/* no deadline */
#define TIMERS_MIN_NS		200000ULL	/* 200 us, KVM's min_timer_period_us */

typedef void timers_fire_fn(void *opaque);

struct timers {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t deadline[TIMERS_MAX];	/* ns on CLOCK_MONOTONIC, or TIMERS_NONE */
	uint64_t last[TIMERS_MAX];	/* when it was last fired */
	timers_fire_fn *fire[TIMERS_MAX];
	void *opaque[TIMERS_MAX];
	unsigned int n;
	bool stop;
	bool running;			/* the thread was started */
	pthread_t thread;
	uint64_t fired;			/* fire() calls, for --stats */
};

void timers_init(struct timers *t);
/* A new source; its id, or -1 when there is no room. */
int timers_add(struct timers *t, timers_fire_fn *fire, void *opaque);
/* Source `id` next needs fire() at `ns` (TIMERS_NONE: never). */
void timers_set(struct timers *t, int id, uint64_t ns);
/* True if any source has a deadline. */
bool timers_armed(struct timers *t);
int timers_start(struct timers *t);
void timers_stop(struct timers *t);
void timers_destroy(struct timers *t);
uint64_t timers_now_ns(void);

#endif

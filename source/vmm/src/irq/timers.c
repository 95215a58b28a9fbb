/* @@ file 03 */
/*
 * timers.c - the host timer thread (timers.h; book §3.2.2, §3.3).
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "core/err.h"
#include "irq/timers.h"

/* Set on the timer thread: a deadline it sets comes from a fire(). */
static __thread bool on_timer_thread;

uint64_t timers_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void timers_init(struct timers *t)
{
	pthread_condattr_t attr;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	for (i = 0; i < TIMERS_MAX; i++)
		t->deadline[i] = TIMERS_NONE;
}

int timers_add(struct timers *t, timers_fire_fn *fire, void *opaque)
{
	int id = -1;

	pthread_mutex_lock(&t->lock);
	if (t->n < TIMERS_MAX) {
		id = (int)t->n++;
		t->fire[id] = fire;
		t->opaque[id] = opaque;
	}
	pthread_mutex_unlock(&t->lock);
	return id;
}

/* When source i may fire next: its deadline, but not sooner than the clamp. */
static uint64_t timers_due(const struct timers *t, unsigned int i)
{
	uint64_t d = t->deadline[i];

	if (d == TIMERS_NONE || !t->last[i])
		return d;
	return d > t->last[i] + TIMERS_MIN_NS ? d : t->last[i] + TIMERS_MIN_NS;
}

void timers_set(struct timers *t, int id, uint64_t ns)
{
	if (id < 0 || id >= TIMERS_MAX)
		return;
	pthread_mutex_lock(&t->lock);
	t->deadline[id] = ns;
	/*
	 * Only a source that re-arms itself from its fire() is held to
	 * TIMERS_MIN_NS (a periodic timer). A deadline set by another
	 * thread comes from a guest's write (an exit each) or from a
	 * device's host side (paced by the host), so it is due when it
	 * was asked for, as KVM's one-shot timers are.
	 */
	if (!on_timer_thread)
		t->last[id] = 0;
	/* The thread recomputes its sleep; a later deadline costs one look. */
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

bool timers_armed(struct timers *t)
{
	unsigned int i;
	bool armed = false;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->n; i++)
		if (t->deadline[i] != TIMERS_NONE)
			armed = true;
	pthread_mutex_unlock(&t->lock);
	return armed;
}

static struct timespec timers_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ULL),
		.tv_nsec = (long)(ns % 1000000000ULL),
	};

	return ts;
}

/*
 * Sleep until a source is due; return its id with the lock held, or -1
 * when asked to stop. The deadline stays: the model reports its next one
 * from inside fire() when it changes, and one that did not move waits
 * out the clamp before it fires again.
 */
static int timers_next(struct timers *t)
{
	uint64_t now, soonest;
	unsigned int i, best;
	struct timespec ts;

	while (!t->stop) {
		now = timers_now_ns();
		soonest = TIMERS_NONE;
		best = 0;
		for (i = 0; i < t->n; i++) {
			uint64_t due = timers_due(t, i);

			if (due < soonest) {
				soonest = due;
				best = i;
			}
		}
		if (soonest <= now) {
			t->last[best] = now;
			return (int)best;
		}
		if (soonest == TIMERS_NONE) {
			pthread_cond_wait(&t->cond, &t->lock);
		} else {
			ts = timers_ts(soonest);
			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
		}
	}
	return -1;
}

static void *timers_thread(void *arg)
{
	struct timers *t = arg;
	int id;

	on_timer_thread = true;
	/*
	 * The kernel may end a normal thread's timed wait up to its timer
	 * slack (50 us by default) late, to wake several at once; a guest's
	 * timer should fire on time, so this thread asks for 1 ns.
	 */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	pthread_mutex_lock(&t->lock);
	while ((id = timers_next(t)) >= 0) {
		t->fired++;
		pthread_mutex_unlock(&t->lock);
		t->fire[id](t->opaque[id]);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int timers_start(struct timers *t)
{
	int ret = pthread_create(&t->thread, NULL, timers_thread, t);

	if (ret)
		return err_set(-ret, "cannot start the timer thread: %s",
			       strerror(ret));
	t->running = true;
	return 0;
}

void timers_stop(struct timers *t)
{
	if (!t->running)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	t->running = false;
}

void timers_destroy(struct timers *t)
{
	timers_stop(t);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
}

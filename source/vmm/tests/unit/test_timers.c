/* @@ file 03 */
/*
 * test_timers.c - the host timer thread's clamp (timers.h): a source
 * that re-arms itself from its fire() a microsecond ahead, as a periodic
 * timer with a tiny period would, fires at most once per TIMERS_MIN_NS;
 * a deadline set from another thread, as a guest's write arms a one-shot
 * timer again, is not held back by the source's last firing.
 */
#include <stdatomic.h>
#include <time.h>

#include "irq/timers.h"
#include "unit.h"

static struct timers t;
static int self_id;
static atomic_uint fired;
static atomic_bool kept;	/* last[] still set after a re-arm in fire() */

static void self_fire(void *opaque)
{
	(void)opaque;
	atomic_fetch_add(&fired, 1);
	timers_set(&t, self_id, timers_now_ns() + 1000);
	atomic_store(&kept, t.last[self_id] != 0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

START_TEST(self_rearm_is_clamped)
{
	uint64_t start, elapsed;
	unsigned int n;

	timers_init(&t);
	self_id = timers_add(&t, self_fire, NULL);
	ck_assert_int_ge(self_id, 0);
	atomic_store(&fired, 0);
	ck_assert_int_eq(timers_start(&t), 0);
	start = timers_now_ns();
	timers_set(&t, self_id, start);
	sleep_ms(50);
	timers_stop(&t);
	elapsed = timers_now_ns() - start;
	n = atomic_load(&fired);
	/* Fired, but never twice within TIMERS_MIN_NS of the last time. */
	ck_assert_uint_ge(n, 1);
	ck_assert_uint_le(n, elapsed / TIMERS_MIN_NS + 1);
	ck_assert(atomic_load(&kept));
	timers_destroy(&t);
}
END_TEST

START_TEST(rearm_from_another_thread_is_not_held_back)
{
	uint64_t now;
	int id;

	/* No thread: the test thread plays a vCPU writing the timer. */
	timers_init(&t);
	id = timers_add(&t, self_fire, NULL);
	ck_assert_int_ge(id, 0);
	now = timers_now_ns();
	t.last[id] = now;		/* as if it had just fired */
	timers_set(&t, id, now + 1000);
	ck_assert_uint_eq(t.deadline[id], now + 1000);
	ck_assert_uint_eq(t.last[id], 0);
	timers_destroy(&t);
}
END_TEST

Suite *timers_suite(void)
{
	Suite *s = suite_create("timers");
	TCase *tc = tcase_create("timers");

	tcase_add_test(tc, self_rearm_is_clamped);
	tcase_add_test(tc, rearm_from_another_thread_is_not_held_back);
	suite_add_tcase(s, tc);
	return s;
}

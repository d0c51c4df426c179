// SPDX-License-Identifier: GPL-2.0
/*
 * Event loop: one-shot and periodic timers, fd watches, deletion from
 * callbacks, and work posted from other threads.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop.h"

struct counter {
	struct nvmf_loop *loop;
	int count;
	int stop_at;
	uint64_t first_ms;
	uint64_t last_ms;
};

static void count_cb(void *arg)
{
	struct counter *c = arg;

	c->last_ms = nvmf_now_ms();
	if (!c->count++)
		c->first_ms = c->last_ms;
	if (c->count == c->stop_at)
		nvmf_loop_stop(c->loop);
}

static void test_one_shot_timer(void **state)
{
	struct nvmf_loop *loop = nvmf_loop_create();
	struct counter c = { .loop = loop, .stop_at = 1 };
	struct nvmf_timer *t;
	uint64_t start;

	(void)state;
	assert_non_null(loop);
	t = nvmf_timer_create(loop, count_cb, &c);
	assert_non_null(t);
	assert_false(nvmf_timer_armed(t));
	start = nvmf_now_ms();
	assert_int_equal(nvmf_timer_arm(t, 50, 0), 0);
	assert_true(nvmf_timer_armed(t));
	assert_int_equal(nvmf_loop_run(loop), 0);
	assert_int_equal(c.count, 1);
	assert_true(c.first_ms - start >= 50);
	assert_false(nvmf_timer_armed(t));
	/* a one-shot timer does not fire again */
	assert_int_equal(nvmf_loop_run_once(loop, 120), 0);
	assert_int_equal(c.count, 1);
	nvmf_timer_destroy(t);
	nvmf_loop_destroy(loop);
}

static void test_periodic_timer(void **state)
{
	struct nvmf_loop *loop = nvmf_loop_create();
	struct counter c = { .loop = loop, .stop_at = 5 };
	struct nvmf_timer *t = nvmf_timer_create(loop, count_cb, &c);
	uint64_t start;

	(void)state;
	start = nvmf_now_ms();
	assert_int_equal(nvmf_timer_arm(t, 10, 20), 0);
	assert_int_equal(nvmf_loop_run(loop), 0);
	assert_int_equal(c.count, 5);
	/*
	 * The fifth expiry is 10 + 4 * 20 ms after the arm (1 ms for the
	 * clock's rounding).  Not measured from the first: on a loaded
	 * machine the first callback comes late and the next ones keep to
	 * the timer's schedule, closer to it than a period.
	 */
	assert_true(c.last_ms - start >= 89);
	assert_true(nvmf_timer_armed(t));
	nvmf_timer_disarm(t);
	assert_false(nvmf_timer_armed(t));
	assert_int_equal(nvmf_loop_run_once(loop, 60), 0);
	assert_int_equal(c.count, 5);
	nvmf_timer_destroy(t);
	nvmf_loop_destroy(loop);
}

static void test_zero_delay_and_rearm(void **state)
{
	struct nvmf_loop *loop = nvmf_loop_create();
	struct counter c = { .loop = loop, .stop_at = 1 };
	struct nvmf_timer *t = nvmf_timer_create(loop, count_cb, &c);

	(void)state;
	/* re-arming restarts: the 10 s timer becomes a 0 ms one */
	assert_int_equal(nvmf_timer_arm(t, 10000, 0), 0);
	assert_int_equal(nvmf_timer_arm(t, 0, 0), 0);
	assert_true(nvmf_loop_run_once(loop, 1000) >= 1);
	assert_int_equal(c.count, 1);
	nvmf_timer_destroy(t);
	nvmf_loop_destroy(loop);
}

struct self_destroy {
	struct nvmf_timer *self;
	struct nvmf_timer *other;
	int fired;
};

static void destroy_cb(void *arg)
{
	struct self_destroy *s = arg;

	s->fired++;
	nvmf_timer_destroy(s->self);
	nvmf_timer_destroy(s->other);
}

static void must_not_fire(void *arg)
{
	(void)arg;
	fail_msg("a destroyed timer fired");
}

static void test_destroy_from_callback(void **state)
{
	struct nvmf_loop *loop = nvmf_loop_create();
	struct self_destroy s = { 0 };

	(void)state;
	s.self = nvmf_timer_create(loop, destroy_cb, &s);
	s.other = nvmf_timer_create(loop, must_not_fire, NULL);
	/* both due in the same batch: the first destroys the second */
	assert_int_equal(nvmf_timer_arm(s.self, 10, 0), 0);
	assert_int_equal(nvmf_timer_arm(s.other, 10, 0), 0);
	usleep(30000);
	nvmf_loop_run_once(loop, 100);
	nvmf_loop_run_once(loop, 50);
	assert_int_equal(s.fired, 1);
	nvmf_loop_destroy(loop);
}

struct pipe_ctx {
	struct nvmf_watch *w;
	int fds[2];
	char got[16];
	int n;
};

static void pipe_cb(void *arg, uint32_t events)
{
	struct pipe_ctx *p = arg;
	ssize_t r;

	assert_true(events & EPOLLIN);
	r = read(p->fds[0], p->got + p->n, sizeof(p->got) - 1 - p->n);
	assert_true(r > 0);
	p->n += r;
	nvmf_watch_del(p->w); /* deleting itself is allowed */
}

static void test_fd_watch(void **state)
{
	struct nvmf_loop *loop = nvmf_loop_create();
	struct pipe_ctx p = { 0 };

	(void)state;
	assert_int_equal(pipe(p.fds), 0);
	p.w = nvmf_watch_add(loop, p.fds[0], EPOLLIN, pipe_cb, &p);
	assert_non_null(p.w);
	assert_int_equal(nvmf_loop_run_once(loop, 0), 0);
	assert_int_equal(write(p.fds[1], "abc", 3), 3);
	assert_int_equal(nvmf_loop_run_once(loop, 1000), 1);
	assert_string_equal(p.got, "abc");
	/* deleted: more data produces no callback */
	assert_int_equal(write(p.fds[1], "d", 1), 1);
	assert_int_equal(nvmf_loop_run_once(loop, 50), 0);
	assert_int_equal(p.n, 3);
	close(p.fds[0]);
	close(p.fds[1]);
	nvmf_loop_destroy(loop);
}

/*
 * Deferred work: after every event of the batch, once however often it
 * was queued, not at all once cancelled; one queued by another runs in
 * the same batch.
 */
struct defer_ctx {
	struct nvmf_loop *loop;
	struct nvmf_defer d, chained;
	int fds[2][2];
	int events, runs, chained_runs;
	int events_at_run; /* events seen when the deferral ran */
};

static void defer_fd_cb(void *arg, uint32_t events)
{
	struct defer_ctx *c = arg;
	char b;

	(void)events;
	for (int i = 0; i < 2; i++)
		if (read(c->fds[i][0], &b, 1) == 1)
			c->events++;
	nvmf_loop_defer(c->loop, &c->d);
	nvmf_loop_defer(c->loop, &c->d); /* twice: queued once */
}

static void defer_run(void *arg)
{
	struct defer_ctx *c = arg;

	c->runs++;
	c->events_at_run = c->events;
	nvmf_loop_defer(c->loop, &c->chained);
}

static void defer_chained(void *arg)
{
	((struct defer_ctx *)arg)->chained_runs++;
}

static void test_defer(void **state)
{
	struct nvmf_loop *loop = nvmf_loop_create();
	struct defer_ctx c = {
		.loop = loop,
		.d = { .fn = defer_run, .arg = &c },
		.chained = { .fn = defer_chained, .arg = &c },
	};
	struct nvmf_watch *w[2];

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pipe2(c.fds[i], O_NONBLOCK), 0);
		w[i] = nvmf_watch_add(loop, c.fds[i][0], EPOLLIN, defer_fd_cb,
				      &c);
		assert_non_null(w[i]);
		assert_int_equal(write(c.fds[i][1], "x", 1), 1);
	}
	/* both fds ready: one batch, the deferral after both events */
	assert_int_equal(nvmf_loop_run_once(loop, 1000), 2);
	assert_int_equal(c.events, 2);
	assert_int_equal(c.runs, 1);
	assert_int_equal(c.events_at_run, 2);
	assert_int_equal(c.chained_runs, 1);
	assert_false(c.d.queued);

	/* nothing happened: nothing runs */
	assert_int_equal(nvmf_loop_run_once(loop, 0), 0);
	assert_int_equal(c.runs, 1);

	/* cancelled (its owner went): does not run */
	nvmf_loop_defer(loop, &c.d);
	nvmf_loop_defer_cancel(loop, &c.d);
	nvmf_loop_defer_cancel(loop, &c.d); /* twice: no effect */
	assert_int_equal(nvmf_loop_run_once(loop, 0), 0);
	assert_int_equal(c.runs, 1);

	for (int i = 0; i < 2; i++) {
		nvmf_watch_del(w[i]);
		close(c.fds[i][0]);
		close(c.fds[i][1]);
	}
	nvmf_loop_destroy(loop);
}

#define POSTERS	   4
#define POSTS_EACH 1000

struct post_ctx {
	struct nvmf_loop *loop;
	int done; /* loop thread only */
	pthread_t loop_thread;
	bool wrong_thread;
};

static void post_fn(void *arg)
{
	struct post_ctx *c = arg;

	if (!pthread_equal(pthread_self(), c->loop_thread) ||
	    !nvmf_loop_on_thread(c->loop))
		c->wrong_thread = true;
	if (++c->done == POSTERS * POSTS_EACH)
		nvmf_loop_stop(c->loop);
}

static void *poster(void *arg)
{
	struct post_ctx *c = arg;
	int i;

	for (i = 0; i < POSTS_EACH; i++)
		if (nvmf_loop_post(c->loop, post_fn, c))
			return (void *)1;
	return NULL;
}

static void test_cross_thread_post(void **state)
{
	struct post_ctx c = { .loop = nvmf_loop_create() };
	pthread_t th[POSTERS];
	void *ret;
	int i;

	(void)state;
	c.loop_thread = pthread_self();
	assert_false(nvmf_loop_on_thread(c.loop));
	for (i = 0; i < POSTERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, poster, &c), 0);
	/* the loop sleeps in epoll_wait; only the eventfd can wake it */
	assert_int_equal(nvmf_loop_run(c.loop), 0);
	for (i = 0; i < POSTERS; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(c.done, POSTERS * POSTS_EACH);
	assert_false(c.wrong_thread);
	nvmf_loop_destroy(c.loop);
}

static void *stopper(void *arg)
{
	usleep(50000);
	nvmf_loop_stop(arg);
	return NULL;
}

static void test_stop_from_other_thread(void **state)
{
	struct nvmf_loop *loop = nvmf_loop_create();
	pthread_t th;
	uint64_t start = nvmf_now_ms();

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, stopper, loop), 0);
	assert_int_equal(nvmf_loop_run(loop), 0);
	assert_true(nvmf_now_ms() - start >= 40);
	pthread_join(th, NULL);
	nvmf_loop_destroy(loop);
}

static void noop(void *arg)
{
	(*(int *)arg)++;
}

static void test_destroy_drops_pending_work(void **state)
{
	struct nvmf_loop *loop = nvmf_loop_create();
	int ran = 0;

	(void)state;
	assert_int_equal(nvmf_loop_post(loop, noop, &ran), 0);
	assert_int_equal(nvmf_loop_post(loop, noop, &ran), 0);
	nvmf_loop_destroy(loop); /* no leak (ASan), nothing runs */
	assert_int_equal(ran, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_shot_timer),
		cmocka_unit_test(test_periodic_timer),
		cmocka_unit_test(test_zero_delay_and_rearm),
		cmocka_unit_test(test_destroy_from_callback),
		cmocka_unit_test(test_fd_watch),
		cmocka_unit_test(test_defer),
		cmocka_unit_test(test_cross_thread_post),
		cmocka_unit_test(test_stop_from_other_thread),
		cmocka_unit_test(test_destroy_drops_pending_work),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

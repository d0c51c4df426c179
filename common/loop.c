// SPDX-License-Identifier: GPL-2.0
/*
 * Event loop over epoll.  See loop.h for the threading rules.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_MAX_EVENTS 64

struct nvmf_watch {
	struct nvmf_loop *loop;
	int fd;
	bool dead; /* deleted; freed after the current batch */
	nvmf_watch_fn fn;
	void *arg;
	SLIST_ENTRY(nvmf_watch) dead_link;
};

struct nvmf_timer {
	struct nvmf_watch *watch;
	int fd; /* timerfd */
	bool armed;
	bool periodic;
	nvmf_timer_fn fn;
	void *arg;
};

struct loop_work {
	nvmf_work_fn fn;
	void *arg;
	STAILQ_ENTRY(loop_work) link;
};

STAILQ_HEAD(loop_work_list, loop_work);

struct nvmf_loop {
	int epfd;
	int wakefd; /* eventfd: posted work or stop */
	struct nvmf_watch *wake_watch;
	atomic_bool stop;
	pthread_t thread;
	atomic_bool running;
	pthread_mutex_t work_lock;
	struct loop_work_list work;	   /* under work_lock */
	SLIST_HEAD(, nvmf_watch) dead;	   /* loop thread only */
	TAILQ_HEAD(, nvmf_defer) deferred; /* loop thread only */
	nvmf_idle_fn idle;
	void *idle_arg;
};

uint64_t nvmf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t nvmf_now_ms(void)
{
	return nvmf_now_ns() / 1000000ull;
}

static void loop_wake(struct nvmf_loop *loop)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is saturated: a wakeup is pending anyway */
	if (write(loop->wakefd, &one, sizeof(one)) < 0)
		return;
}

static void loop_run_work(struct nvmf_loop *loop)
{
	struct loop_work_list list = STAILQ_HEAD_INITIALIZER(list);
	struct loop_work *w;

	pthread_mutex_lock(&loop->work_lock);
	STAILQ_CONCAT(&list, &loop->work);
	pthread_mutex_unlock(&loop->work_lock);

	while ((w = STAILQ_FIRST(&list))) {
		STAILQ_REMOVE_HEAD(&list, link);
		w->fn(w->arg);
		free(w);
	}
}

static void loop_wake_cb(void *arg, uint32_t events)
{
	struct nvmf_loop *loop = arg;
	uint64_t cnt;

	(void)events;
	if (read(loop->wakefd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	loop_run_work(loop);
}

struct nvmf_loop *nvmf_loop_create(void)
{
	struct nvmf_loop *loop;
	int err;

	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	STAILQ_INIT(&loop->work);
	SLIST_INIT(&loop->dead);
	TAILQ_INIT(&loop->deferred);
	pthread_mutex_init(&loop->work_lock, NULL);

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		goto out_free;
	loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->wakefd < 0)
		goto out_close_ep;
	loop->wake_watch =
		nvmf_watch_add(loop, loop->wakefd, EPOLLIN, loop_wake_cb, loop);
	if (!loop->wake_watch)
		goto out_close_wake;
	return loop;

out_close_wake:
	err = errno;
	close(loop->wakefd);
	errno = err;
out_close_ep:
	err = errno;
	close(loop->epfd);
	errno = err;
out_free:
	err = errno;
	pthread_mutex_destroy(&loop->work_lock);
	free(loop);
	errno = err;
	return NULL;
}

static void loop_free_dead(struct nvmf_loop *loop)
{
	struct nvmf_watch *w;

	while ((w = SLIST_FIRST(&loop->dead))) {
		SLIST_REMOVE_HEAD(&loop->dead, dead_link);
		free(w);
	}
}

void nvmf_loop_destroy(struct nvmf_loop *loop)
{
	struct loop_work *w;

	if (!loop)
		return;
	nvmf_watch_del(loop->wake_watch);
	loop_free_dead(loop);
	while ((w = STAILQ_FIRST(&loop->work))) {
		STAILQ_REMOVE_HEAD(&loop->work, link);
		free(w);
	}
	close(loop->wakefd);
	close(loop->epfd);
	pthread_mutex_destroy(&loop->work_lock);
	free(loop);
}

/* Return: 1 for an event of a caller's watch or timer, 0 for internal. */
static int loop_dispatch(struct nvmf_loop *loop, struct epoll_event *ev)
{
	struct nvmf_watch *w = ev->data.ptr;

	if (!w->dead)
		w->fn(w->arg, ev->events);
	return w != loop->wake_watch;
}

void nvmf_loop_defer(struct nvmf_loop *loop, struct nvmf_defer *d)
{
	if (d->queued)
		return;
	d->queued = true;
	TAILQ_INSERT_TAIL(&loop->deferred, d, link);
}

void nvmf_loop_defer_cancel(struct nvmf_loop *loop, struct nvmf_defer *d)
{
	if (!d->queued)
		return;
	TAILQ_REMOVE(&loop->deferred, d, link);
	d->queued = false;
}

static void loop_run_deferred(struct nvmf_loop *loop)
{
	struct nvmf_defer *d;

	while ((d = TAILQ_FIRST(&loop->deferred))) {
		TAILQ_REMOVE(&loop->deferred, d, link);
		d->queued = false;
		d->fn(d->arg);
	}
}

int nvmf_loop_run_once(struct nvmf_loop *loop, int timeout_ms)
{
	struct epoll_event ev[LOOP_MAX_EVENTS];
	int n, i, handled = 0;

	n = epoll_wait(loop->epfd, ev, LOOP_MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++)
		handled += loop_dispatch(loop, &ev[i]);
	loop_run_deferred(loop);
	loop_free_dead(loop);
	return handled;
}

int nvmf_loop_run(struct nvmf_loop *loop)
{
	int ret = 0;

	loop->thread = pthread_self();
	atomic_store(&loop->running, true);
	while (!atomic_load(&loop->stop)) {
		ret = nvmf_loop_run_once(
			loop, loop->idle ? loop->idle(loop->idle_arg) : -1);
		if (ret < 0)
			break;
		ret = 0;
	}
	atomic_store(&loop->running, false);
	atomic_store(&loop->stop, false);
	return ret;
}

void nvmf_loop_set_idle(struct nvmf_loop *loop, nvmf_idle_fn idle, void *arg)
{
	loop->idle = idle;
	loop->idle_arg = arg;
}

void nvmf_loop_stop(struct nvmf_loop *loop)
{
	atomic_store(&loop->stop, true);
	loop_wake(loop);
}

void nvmf_loop_bind_thread(struct nvmf_loop *loop)
{
	loop->thread = pthread_self();
	atomic_store(&loop->running, true);
}

int nvmf_loop_fd(const struct nvmf_loop *loop)
{
	return loop->epfd;
}

bool nvmf_loop_on_thread(const struct nvmf_loop *loop)
{
	return atomic_load(&loop->running) &&
	       pthread_equal(loop->thread, pthread_self());
}

int nvmf_loop_post(struct nvmf_loop *loop, nvmf_work_fn fn, void *arg)
{
	struct loop_work *w;

	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->arg = arg;
	pthread_mutex_lock(&loop->work_lock);
	STAILQ_INSERT_TAIL(&loop->work, w, link);
	pthread_mutex_unlock(&loop->work_lock);
	loop_wake(loop);
	return 0;
}

struct nvmf_watch *nvmf_watch_add(struct nvmf_loop *loop, int fd,
				  uint32_t events, nvmf_watch_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events };
	struct nvmf_watch *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->loop = loop;
	w->fd = fd;
	w->fn = fn;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err = errno;
		free(w);
		errno = err;
		return NULL;
	}
	return w;
}

int nvmf_watch_modify(struct nvmf_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -errno;
	return 0;
}

void nvmf_watch_del(struct nvmf_watch *w)
{
	if (!w || w->dead)
		return;
	/* ENOENT/EBADF: the fd was already closed, nothing left to remove */
	epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
	SLIST_INSERT_HEAD(&w->loop->dead, w, dead_link);
}

static void timer_cb(void *arg, uint32_t events)
{
	struct nvmf_timer *t = arg;
	uint64_t expirations;

	(void)events;
	if (read(t->fd, &expirations, sizeof(expirations)) < 0)
		return; /* EAGAIN: re-armed or disarmed since the event */
	if (!t->periodic)
		t->armed = false;
	t->fn(t->arg);
}

struct nvmf_timer *nvmf_timer_create(struct nvmf_loop *loop, nvmf_timer_fn fn,
				     void *arg)
{
	struct nvmf_timer *t;
	int err;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->fd < 0)
		goto out_free;
	t->watch = nvmf_watch_add(loop, t->fd, EPOLLIN, timer_cb, t);
	if (!t->watch)
		goto out_close;
	return t;

out_close:
	err = errno;
	close(t->fd);
	errno = err;
out_free:
	err = errno;
	free(t);
	errno = err;
	return NULL;
}

static struct timespec ms_to_ts(uint64_t ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};
	return ts;
}

int nvmf_timer_arm(struct nvmf_timer *t, uint64_t delay_ms, uint64_t period_ms)
{
	struct itimerspec its = {
		.it_value = ms_to_ts(delay_ms),
		.it_interval = ms_to_ts(period_ms),
	};

	/* a zero it_value would disarm: fire as soon as possible instead */
	if (delay_ms == 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(t->fd, 0, &its, NULL) < 0)
		return -errno;
	t->armed = true;
	t->periodic = period_ms != 0;
	return 0;
}

void nvmf_timer_disarm(struct nvmf_timer *t)
{
	struct itimerspec its = { 0 };
	uint64_t expirations;

	timerfd_settime(t->fd, 0, &its, NULL);
	/* drop an expiration that is pending but not yet dispatched */
	if (read(t->fd, &expirations, sizeof(expirations)) < 0)
		errno = 0;
	t->armed = false;
}

bool nvmf_timer_armed(const struct nvmf_timer *t)
{
	return t->armed;
}

void nvmf_timer_destroy(struct nvmf_timer *t)
{
	if (!t)
		return;
	nvmf_watch_del(t->watch);
	close(t->fd);
	free(t);
}

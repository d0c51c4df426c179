/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Event loop: epoll with fd watchers, timers (one timerfd each) and a
 * cross-thread work queue (eventfd).
 *
 * Threading: a loop is driven by one thread, the one calling
 * nvmf_loop_run().  Watches and timers are created, changed and deleted
 * only on that thread (callbacks run there too).  nvmf_loop_post() and
 * nvmf_loop_stop() may be called from any thread.
 *
 * Lifetime: nvmf_watch_del() and nvmf_timer_destroy() may be called from
 * any callback, including the object's own; the memory is released after
 * the current batch of events, so an event already fetched for a deleted
 * watch is dropped rather than delivered.
 */
#ifndef NVMF_COMMON_LOOP_H
#define NVMF_COMMON_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/queue.h>

struct nvmf_loop;
struct nvmf_watch;
struct nvmf_timer;

typedef void (*nvmf_watch_fn)(void *arg, uint32_t events);
typedef void (*nvmf_timer_fn)(void *arg);
typedef void (*nvmf_work_fn)(void *arg);

/* Return: the loop, or NULL with errno set. */
struct nvmf_loop *nvmf_loop_create(void);

/*
 * Frees the loop; work still queued is dropped without running.  Watches
 * and timers must have been deleted by their owners.
 */
void nvmf_loop_destroy(struct nvmf_loop *loop);

/* Run until nvmf_loop_stop().  Return: 0, or a negative errno. */
int nvmf_loop_run(struct nvmf_loop *loop);

/*
 * Wait up to timeout_ms (-1 forever) for events and dispatch them.
 * Return: the number of watch and timer events handled (posted work and
 * stop requests run but are not counted), or a negative errno.
 */
int nvmf_loop_run_once(struct nvmf_loop *loop, int timeout_ms);

/*
 * Before each wait of nvmf_loop_run(), call idle(arg) on the loop's thread:
 * it returns the wait's timeout in ms (-1: until an event; 0: only look,
 * for a caller that polls something itself and wants to be called again).
 * Set it before the loop runs.  Without one, nvmf_loop_run() blocks.
 */
typedef int (*nvmf_idle_fn)(void *arg);
void nvmf_loop_set_idle(struct nvmf_loop *loop, nvmf_idle_fn idle, void *arg);

/* Make nvmf_loop_run() return after the current batch.  Any thread. */
void nvmf_loop_stop(struct nvmf_loop *loop);

/*
 * Run fn(arg) on the loop's thread, in posting order.  Any thread; from the
 * loop thread itself it defers fn to after the current batch (use it to
 * release an object outside of its own callback).
 * Return: 0, or -ENOMEM.
 */
int nvmf_loop_post(struct nvmf_loop *loop, nvmf_work_fn fn, void *arg);

/*
 * Work for the end of the current batch of events, on the loop's thread,
 * without a system call (nvmf_loop_post() writes an eventfd): e.g. one
 * send for the replies that several events of the batch completed.  The
 * owner embeds the deferral, sets fn and arg, and cancels it before it
 * frees it.  Queued at most once until it runs; deferrals queued while
 * they run (by one another) run in the same batch.  Loop thread only.
 */
struct nvmf_defer {
	nvmf_work_fn fn;
	void *arg;
	bool queued;
	TAILQ_ENTRY(nvmf_defer) link;
};

void nvmf_loop_defer(struct nvmf_loop *loop, struct nvmf_defer *d);
void nvmf_loop_defer_cancel(struct nvmf_loop *loop, struct nvmf_defer *d);

/* True when called from the thread currently running the loop. */
bool nvmf_loop_on_thread(const struct nvmf_loop *loop);

/*
 * Make the calling thread the loop's thread without nvmf_loop_run(): for
 * callers that drive the loop with nvmf_loop_run_once().
 */
void nvmf_loop_bind_thread(struct nvmf_loop *loop);

/* The epoll descriptor: readable when nvmf_loop_run_once() has work. */
int nvmf_loop_fd(const struct nvmf_loop *loop);

/*
 * Watch fd for events (EPOLLIN, EPOLLOUT, ...; level triggered unless
 * EPOLLET is given).  The caller keeps owning fd and closes it after
 * nvmf_watch_del().
 * Return: the watch, or NULL with errno set.
 */
struct nvmf_watch *nvmf_watch_add(struct nvmf_loop *loop, int fd,
				  uint32_t events, nvmf_watch_fn fn, void *arg);
int nvmf_watch_modify(struct nvmf_watch *w, uint32_t events);
void nvmf_watch_del(struct nvmf_watch *w);

/* Return: the timer (disarmed), or NULL with errno set. */
struct nvmf_timer *nvmf_timer_create(struct nvmf_loop *loop, nvmf_timer_fn fn,
				     void *arg);

/*
 * Fire after delay_ms, then every period_ms (0: once).  Re-arming an armed
 * timer restarts it.  Expirations missed while the loop was busy are
 * coalesced into one call.  A delay of 0 fires on the next loop iteration.
 * Return: 0, or a negative errno.
 */
int nvmf_timer_arm(struct nvmf_timer *t, uint64_t delay_ms, uint64_t period_ms);
void nvmf_timer_disarm(struct nvmf_timer *t);
bool nvmf_timer_armed(const struct nvmf_timer *t);
void nvmf_timer_destroy(struct nvmf_timer *t);

/* CLOCK_MONOTONIC in milliseconds / nanoseconds. */
uint64_t nvmf_now_ms(void);
uint64_t nvmf_now_ns(void);

#endif /* NVMF_COMMON_LOOP_H */

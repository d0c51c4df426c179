// SPDX-License-Identifier: GPL-2.0
/*
 * Hybrid polling of a worker (--poll-us).
 *
 * Waiting for a completion costs a wake-up (a completion channel event, an
 * epoll_wait return, a CQ re-arm) that a busy worker can save by polling a
 * little longer: after activity, the worker polls its pollers and its
 * io_uring for up to a budget before it sleeps, with the pollers
 * disarmed.  Only before it sleeps does it arm them, polling each once more
 * so that nothing that completed in between is left without a wake-up.
 *
 * A socket's queue (TCP) has nothing to poll or arm: while one is on the
 * worker, a spin step returns to the loop, which looks at every fd at once
 * without sleeping and calls back; what it found shows as work.
 *
 * The budget adapts, as the kernel's hybrid polling does by the mean
 * completion time, but simpler: a spin that found nothing halves it (idle
 * or sparse load stops costing CPU), and work that came back within the
 * bound after the last completion restores it.
 */
#include <liburing.h>
#include <sys/queue.h>

#include "loop.h"
#include "nvmet.h"

void nvmet_worker_poll_init(struct nvmet_worker *w, unsigned int poll_us)
{
	TAILQ_INIT(&w->pollers);
	w->spin_max_ns = (uint64_t)poll_us * 1000;
	w->spin_ns = w->spin_max_ns;
	if (poll_us)
		nvmf_loop_set_idle(w->loop, nvmet_worker_idle, w);
}

void nvmet_poller_add(struct nvmet_worker *w, struct nvmet_poller *p)
{
	TAILQ_INSERT_TAIL(&w->pollers, p, link);
	p->added = true;
	if (!p->poll)
		w->loop_pollers++;
}

void nvmet_poller_del(struct nvmet_worker *w, struct nvmet_poller *p)
{
	if (!p->added)
		return;
	TAILQ_REMOVE(&w->pollers, p, link);
	p->added = false;
	if (!p->poll)
		w->loop_pollers--;
}

/* What the worker has completed so far: the activity the budget follows. */
static uint64_t worker_work(const struct nvmet_worker *w)
{
	return w->stats[NVMET_STAT_WCS] + w->stats[NVMET_STAT_COMMANDS];
}

/*
 * One pass over every poller (arm: arm them first) and the ring, as one
 * batch.  A poller may remove itself (its queue failed), not others: the
 * next one is taken before it runs.
 */
static int poll_pass(struct nvmet_worker *w, bool arm)
{
	struct nvmet_poller *p, *next;
	int n = 0;

	nvmet_worker_batch_begin(w);
	for (p = TAILQ_FIRST(&w->pollers); p; p = next) {
		next = TAILQ_NEXT(p, link);
		if (!p->poll)
			continue; /* the loop's wait looks at it */
		if (!arm)
			n += p->poll(p);
		else if (!p->armed)
			n += p->arm(p);
	}
	if (w->ring && w->ring_inflight && io_uring_cq_ready(w->ring)) {
		n++;
		nvmet_worker_ring_reap(w);
	}
	nvmet_worker_batch_end(w);
	return n;
}

int nvmet_worker_idle(void *arg)
{
	struct nvmet_worker *w = arg;
	uint64_t now = nvmf_now_ns(), work = worker_work(w), deadline;

	if (work != w->spin_work) {
		/* work came back within the bound: spinning would have seen it */
		if (now - w->spin_last_ns <= w->spin_max_ns)
			w->spin_ns = w->spin_max_ns;
		/* found by the loop's look during a spin (a socket) */
		if (w->spinning)
			nvmet_stat_add(w, NVMET_STAT_SPIN_HITS, 1);
		w->spinning = false;
		w->spin_work = work;
		w->spin_last_ns = now;
	}
	if (w->spin_ns && !TAILQ_EMPTY(&w->pollers)) {
		deadline = w->spin_last_ns + w->spin_ns;
		while (now < deadline) {
			w->spinning = true;
			nvmet_stat_add(w, NVMET_STAT_SPINS, 1);
			if (poll_pass(w, false)) {
				nvmet_stat_add(w, NVMET_STAT_SPIN_HITS, 1);
				w->spinning = false;
				return 0; /* handle other events, then again */
			}
			/* sockets: the loop looks without sleeping, then again */
			if (w->loop_pollers)
				return 0;
			now = nvmf_now_ns();
		}
		if (w->spinning)
			w->spin_ns /= 2;
		w->spinning = false;
		if (w->spin_ns < 1000)
			w->spin_ns = 0;
	}
	/* about to sleep: whatever completes from now on must wake us */
	return poll_pass(w, true) ? 0 : -1;
}

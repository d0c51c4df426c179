// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt RDMA transport: shared receive queues.
 *
 * Each queue used to map, register and post hsqsize + 1 receive buffers of
 * its own (64-byte capsule plus the port's in-capsule data size: 520 KiB
 * for a queue of 128 with 4 KiB), which is most of what setting a queue up
 * cost when many hosts reconnect at once after a device reset.  Instead a
 * worker has one SRQ per device and in-capsule data size, made with the
 * first queue that needs it; its queues' QPs receive from it, and a
 * capsule goes back to it when its command is done.
 *
 * Unlike the kernel target's use_srq (a fixed srq_size, overrun answered
 * with RNR NAKs that the host retries), an SRQ holds at least as many
 * buffers as its queues' depths (hsqsize + 1) add up to: it grows by
 * chunks of --srq-size buffers, each one mapping and one registration, as
 * queues join, up to what the device's SRQ can hold; a queue that does
 * not fit any more posts buffers of its own.  With capsules given back
 * before the response that frees the host's slot is sent (receives are
 * posted first in a pass), a host that keeps to its queue size never
 * finds the SRQ empty; one that does not is disconnected (rdma_io.c).
 * An overrun cost more than time: the lab's soft-RoCE host, retrying
 * after an RNR NAK, executes its memory registrations again and its
 * reads fail ("rxe_reg_fast_mr: mr->lkey ... not free").  Chunks stay
 * until the SRQ goes, with the device's last queue.
 *
 * After a device reset the hosts come back with the same queues, and
 * growing the SRQs again chunk by chunk while they reconnect cost a third
 * of each queue's setup on the main thread (lab, 8 controllers: 8 of 22
 * ms).  So what each SRQ held when it went is kept (by device name,
 * worker and in-capsule data size, with the most its queues needed), and
 * a port that listens again on that device grows them back, one chunk per
 * turn of the main loop, in the time between the device's return and the
 * hosts' reconnects (nvmet_rdma_srq_warm(), from rdma.c's listener),
 * which holds them until the queues need as much again
 * (nvmet_rdma_srq_back()) or a minute has passed.
 *
 * Threads: the main thread creates an SRQ and posts its chunks (verbs
 * posts are thread safe) before the queue that needs them starts, and
 * destroys it when the device's last queue is released.  Otherwise only
 * the worker posts to it, so the data path takes no lock of ours.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rdma.h"

/* Main thread: what a worker's SRQ on a device held when it went. */
struct srq_hint {
	char dev_name[64];
	int worker;
	uint32_t inline_size;
	int depth; /* buffers it held */
	int need;  /* the most its queues needed */
	SLIST_ENTRY(srq_hint) link;
};
static SLIST_HEAD(, srq_hint) srq_hints = SLIST_HEAD_INITIALIZER(srq_hints);
static int nr_srq_hints;
#define SRQ_HINTS_MAX 256 /* devices x workers (up to 64) x in-capsule sizes */

/*
 * The SRQ s goes with its device's others (nvmet_rdma_srqs_destroy(), which
 * has forgotten what the device's earlier ones held): remember how many
 * buffers it held.
 */
static void hint_record(const struct rdma_srq *s)
{
	struct srq_hint *h;

	if (nr_srq_hints >= SRQ_HINTS_MAX)
		return;
	h = calloc(1, sizeof(*h));
	if (!h)
		return;
	snprintf(h->dev_name, sizeof(h->dev_name), "%s", s->dev_name);
	h->worker = s->w->index;
	h->inline_size = s->inline_size;
	h->depth = s->depth;
	h->need = s->need_max;
	SLIST_INSERT_HEAD(&srq_hints, h, link);
	nr_srq_hints++;
}

/* Forget what the SRQs of the device of that name held. */
static void hints_drop(const char *dev_name)
{
	struct srq_hint *h = SLIST_FIRST(&srq_hints), *next;

	for (; h; h = next) {
		next = SLIST_NEXT(h, link);
		if (strcmp(h->dev_name, dev_name))
			continue;
		SLIST_REMOVE(&srq_hints, h, srq_hint, link);
		free(h);
		nr_srq_hints--;
	}
}

void nvmet_rdma_srq_hints_free(void)
{
	struct srq_hint *h;

	while ((h = SLIST_FIRST(&srq_hints))) {
		SLIST_REMOVE_HEAD(&srq_hints, link);
		free(h);
	}
	nr_srq_hints = 0;
}

/* Main thread: did an SRQ on the device of that name go? */
bool nvmet_rdma_srq_hinted(const char *dev_name)
{
	struct srq_hint *h;

	SLIST_FOREACH(h, &srq_hints, link)
		if (!strcmp(h->dev_name, dev_name))
			return true;
	return false;
}

/* Worker (the end of a pass), or the main thread before queues start. */
void nvmet_rdma_srq_flush(struct nvmet_flush *f)
{
	struct rdma_srq *s = container_of(f, struct rdma_srq, flush);
	struct ibv_recv_wr *first = s->recv_head, *bad, *wr;
	uint64_t n = 0;
	int ret;

	s->recv_head = s->recv_tail = NULL;
	if (!first)
		return;
	for (wr = first; wr; wr = wr->next)
		n++;
	ret = ibv_post_srq_recv(s->srq, first, &bad);
	nvmet_stat_add(s->w, NVMET_STAT_RECV_POSTS, 1);
	nvmet_stat_add(s->w, NVMET_STAT_RECV_WRS, n);
	if (ret)
		nvmf_err("worker %d: post to the shared receive queue: %s",
			 s->w->index, strerror(ret));
}

static void chunk_free(struct rdma_srq_chunk *c, struct nvmet_worker *w)
{
	nvmet_worker_buf_unregister(w, c->ring_buf);
	if (c->mr)
		ibv_dereg_mr(c->mr);
	nvmet_rdma_free_buf(c->bufs, c->bufs_size);
	free(c->cmds);
	free(c);
}

/*
 * Main thread, with the device's last queue (or a failed creation).  The
 * queues gave back every buffer they took from a completion (the
 * handover from their worker orders its writes of lent before this).
 */
static void srq_destroy(struct rdma_srq *s)
{
	struct rdma_srq_chunk *c;

	if (!s)
		return;
	if (s->lent)
		nvmf_err("rdma: worker %d: %d of %d shared receive buffers "
			 "were not given back",
			 s->w->index, s->lent, s->depth);
	if (s->depth)
		hint_record(s);
	if (s->srq)
		ibv_destroy_srq(s->srq);
	while ((c = SLIST_FIRST(&s->chunks))) {
		SLIST_REMOVE_HEAD(&s->chunks, link);
		chunk_free(c, s->w);
	}
	s->w->tgt->main_stats[NVMET_MSTAT_SRQ_BUFFERS] -= (uint64_t)s->depth;
	free(s);
}

/* Main thread: n more buffers, mapped, registered and posted. */
static int srq_grow(struct rdma_srq *s, struct ibv_pd *pd, int n)
{
	struct rdma_srq_chunk *c;
	size_t inl_off;
	struct ibv_recv_wr *bad;
	uint64_t *m;
	int i, ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ring_buf = -1;
	c->bufs_size =
		nvmet_rdma_recvs_size((size_t)n, s->inline_size, &inl_off);
	c->bufs = nvmet_rdma_alloc_buf(c->bufs_size);
	c->cmds = calloc((size_t)n, sizeof(*c->cmds));
	if (!c->bufs || !c->cmds) {
		chunk_free(c, s->w);
		return -ENOMEM;
	}
	c->mr = ibv_reg_mr(pd, c->bufs, c->bufs_size, IBV_ACCESS_LOCAL_WRITE);
	if (!c->mr) {
		ret = -errno;
		chunk_free(c, s->w);
		return ret;
	}
	/* in-capsule data is written to the backend without page pinning */
	if (s->inline_size)
		c->ring_buf =
			nvmet_worker_buf_register(s->w, c->bufs, c->bufs_size);
	nvmet_rdma_cmds_init(c->cmds, n, c->bufs, (uint8_t *)c->bufs + inl_off,
			     s->inline_size, c->mr->lkey);
	for (i = 0; i < n; i++) {
		c->cmds[i].srq = s;
		c->cmds[i].ring_buf = c->ring_buf;
		c->cmds[i].wr.next = i + 1 < n ? &c->cmds[i + 1].wr : NULL;
	}
	/* not counted: the worker's counters are its own to write */
	bad = NULL;
	ret = ibv_post_srq_recv(s->srq, &c->cmds[0].wr, &bad);
	if (ret && (!bad || bad == &c->cmds[0].wr)) {
		chunk_free(c, s->w);
		return -ret;
	}
	/* what was posted stays, until the SRQ goes */
	SLIST_INSERT_HEAD(&s->chunks, c, link);
	if (ret)
		n = (int)(container_of(bad, struct rdma_cmd, wr) - c->cmds);
	s->depth += n;
	m = s->w->tgt->main_stats;
	m[NVMET_MSTAT_SRQ_BUFFERS] += (uint64_t)n;
	if (m[NVMET_MSTAT_SRQ_BUFFERS] > m[NVMET_MSTAT_SRQ_BUFFERS_MAX])
		m[NVMET_MSTAT_SRQ_BUFFERS_MAX] = m[NVMET_MSTAT_SRQ_BUFFERS];
	nvmf_debug("rdma: worker %d: shared receive queue (in-capsule data "
		   "%u bytes) grown to %d buffers",
		   s->w->index, s->inline_size, s->depth);
	return -ret;
}

static struct rdma_srq *srq_create(struct rdma_dev *d, struct nvmet_worker *w,
				   uint32_t inline_size, int step)
{
	struct ibv_srq_init_attr sa = { 0 };
	struct rdma_srq *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->w = w;
	s->inline_size = inline_size;
	snprintf(s->dev_name, sizeof(s->dev_name), "%s",
		 ibv_get_device_name(d->verbs->device));
	s->max_wr = step > NVMET_RDMA_SRQ_MAX_WR ? step : NVMET_RDMA_SRQ_MAX_WR;
	if (s->max_wr > d->attr.max_srq_wr)
		s->max_wr = d->attr.max_srq_wr;
	s->step = step < s->max_wr ? step : s->max_wr;
	SLIST_INIT(&s->chunks);
	s->flush.fn = nvmet_rdma_srq_flush;
	s->flush.recv = true;
	sa.attr.max_wr = (uint32_t)s->max_wr;
	sa.attr.max_sge = inline_size ? 2 : 1;
	s->srq = ibv_create_srq(d->pd, &sa);
	if (!s->srq) {
		nvmf_warn("rdma: worker %d: cannot create a shared receive "
			  "queue of %d: %s",
			  w->index, s->max_wr, strerror(errno));
		srq_destroy(s);
		return NULL;
	}
	return s;
}

/*
 * Main thread: room for a queue of queue_depth commands, grown if needed.
 * Return: 0; -ENOSPC: the SRQ cannot hold more; else cannot grow.
 */
static int srq_reserve(struct rdma_srq *s, struct ibv_pd *pd, int queue_depth)
{
	int n, ret;

	while (s->depth < s->need + queue_depth) {
		n = s->max_wr - s->depth;
		if (n <= 0)
			return -ENOSPC;
		if (n > s->step)
			n = s->step;
		ret = srq_grow(s, pd, n);
		if (ret)
			return ret;
	}
	s->need += queue_depth;
	if (s->need > s->need_max)
		s->need_max = s->need;
	return 0;
}

/* Main thread: worker w's SRQ on d for this in-capsule size, made if new. */
static struct rdma_srq *srq_find(struct rdma_dev *d, struct nvmet_worker *w,
				 uint32_t inline_size, int step)
{
	struct rdma_srq *s;

	if (!step || d->no_srq)
		return NULL;
	TAILQ_FOREACH(s, &d->srqs, link)
		if (s->w == w && s->inline_size == inline_size)
			return s;
	if (!d->attr.max_srq || d->attr.max_srq_wr < 2 ||
	    d->attr.max_srq_sge < 2) {
		nvmf_info("rdma: %s has no shared receive queues: each "
			  "queue posts its own receive buffers",
			  ibv_get_device_name(d->verbs->device));
		d->no_srq = true;
		return NULL;
	}
	s = srq_create(d, w, inline_size, step);
	if (!s) {
		d->no_srq = true;
		return NULL;
	}
	TAILQ_INSERT_TAIL(&d->srqs, s, link);
	nvmf_debug("rdma: worker %d: shared receive queue on %s "
		   "(in-capsule data %u bytes), up to %d buffers in "
		   "chunks of %d",
		   w->index, ibv_get_device_name(d->verbs->device), inline_size,
		   s->max_wr, s->step);
	return s;
}

/*
 * Main thread: one step of growing d's SRQs back to what they held when
 * the device of that name last went: one chunk, or making one SRQ.
 * Return: 1 while there is more to do, 0 when done, or a negative errno
 * (said; the queues grow them as they connect).
 */
int nvmet_rdma_srq_warm(struct rdma_dev *d, struct nvmet_tgt *tgt, int step)
{
	const char *name = ibv_get_device_name(d->verbs->device);
	struct srq_hint *h;
	struct rdma_srq *s;
	int n, ret;

	SLIST_FOREACH(h, &srq_hints, link) {
		if (strcmp(h->dev_name, name) || h->worker >= tgt->nr_workers)
			continue;
		s = srq_find(d, &tgt->workers[h->worker], h->inline_size, step);
		if (!s)
			return -ENOTSUP;
		n = h->depth < s->max_wr ? h->depth : s->max_wr;
		n -= s->depth;
		if (n <= 0)
			continue;
		ret = srq_grow(s, d->pd, n < s->step ? n : s->step);
		if (ret) {
			nvmf_info("rdma: worker %d: cannot grow its shared "
				  "receive queue on %s back to %d buffers: %s",
				  h->worker, name, h->depth, strerror(-ret));
			return ret;
		}
		return 1;
	}
	return 0;
}

/*
 * Main thread: do the queues on d's SRQs need as much as the most they
 * needed before the device of that name went (the hosts are back)?
 */
bool nvmet_rdma_srq_back(struct rdma_dev *d)
{
	const char *name = ibv_get_device_name(d->verbs->device);
	struct srq_hint *h;
	struct rdma_srq *s;
	long was = 0, now = 0;

	SLIST_FOREACH(h, &srq_hints, link)
		if (!strcmp(h->dev_name, name))
			was += h->need;
	TAILQ_FOREACH(s, &d->srqs, link)
		now += s->need;
	return now >= was;
}

/*
 * Main thread, dev_free: all of d's SRQs go; what they held replaces what
 * the device of that name's earlier ones held.
 */
void nvmet_rdma_srqs_destroy(struct rdma_dev *d)
{
	struct rdma_srq *s = TAILQ_FIRST(&d->srqs);

	if (s)
		hints_drop(s->dev_name);
	while ((s = TAILQ_FIRST(&d->srqs))) {
		TAILQ_REMOVE(&d->srqs, s, link);
		srq_destroy(s);
	}
}

/*
 * Main thread: worker w's SRQ on d for a new queue of queue_depth commands
 * with this in-capsule data size, made if it is the first, grown if the
 * queues on it would need more than it has.  NULL: the device has none,
 * or it cannot take this queue (said once): the queue posts receives of
 * its own.
 */
struct rdma_srq *nvmet_rdma_srq_get(struct rdma_dev *d, struct nvmet_worker *w,
				    uint32_t inline_size, int step,
				    int queue_depth)
{
	struct rdma_srq *s;
	int ret;

	s = srq_find(d, w, inline_size, step);
	if (!s)
		return NULL;
	ret = srq_reserve(s, d->pd, queue_depth);
	if (!ret)
		return s;
	if (!s->full_said)
		nvmf_info("rdma: worker %d: its shared receive queue on %s "
			  "cannot hold %d more buffers (%d for queues of %d "
			  "commands in all): %s; such queues post receive "
			  "buffers of their own",
			  w->index, ibv_get_device_name(d->verbs->device),
			  queue_depth, s->depth, s->need,
			  ret == -ENOSPC ? "the device's limit" :
					   strerror(-ret));
	s->full_said = true;
	return NULL;
}

/* Main thread: a queue of queue_depth commands on s is released. */
void nvmet_rdma_srq_put(struct rdma_srq *s, int queue_depth)
{
	s->need -= queue_depth;
}

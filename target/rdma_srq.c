// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt RDMA transport: shared receive queues.
 *
 * Each queue used to map, register and post hsqsize + 1 receive buffers of
 * its own (64-byte capsule plus the port's in-capsule data size: 520 KiB
 * for a queue of 128 with 4 KiB), which is most of what setting a queue up
 * cost when many hosts reconnect at once after a device reset.  Instead a
 * worker has one SRQ per device and in-capsule data size, made with the
 * first queue that needs it and posted once; its queues' QPs receive from
 * it, and a capsule goes back to it when its command is done.  As in the
 * kernel target (use_srq, srq_size), a burst of more commands than the SRQ
 * holds is answered with RNR NAKs, which the host retries.
 *
 * Threads: the main thread creates an SRQ (and posts all of it) before any
 * queue on it starts, and destroys it when the device's last queue is
 * released.  In between only the worker posts to it, so the data path
 * takes no lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rdma.h"

#define SRQ_BUF_ALIGN 4096 /* in-capsule data page aligned for O_DIRECT */

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

/*
 * Main thread, with the device's last queue (or a failed creation).  The
 * queues gave back every buffer they took from a completion (the
 * handover from their worker orders its writes of lent before this).
 */
void nvmet_rdma_srq_destroy(struct rdma_srq *s)
{
	if (!s)
		return;
	if (s->lent)
		nvmf_err("rdma: worker %d: %d of %d shared receive buffers "
			 "were not given back",
			 s->w->index, s->lent, s->depth);
	if (s->srq)
		ibv_destroy_srq(s->srq);
	nvmet_worker_buf_unregister(s->w, s->ring_buf);
	if (s->mr)
		ibv_dereg_mr(s->mr);
	nvmet_rdma_free_buf(s->bufs, s->bufs_size);
	free(s->cmds);
	free(s);
}

static struct rdma_srq *srq_create(struct rdma_dev *d, struct nvmet_worker *w,
				   uint32_t inline_size, int depth)
{
	struct ibv_srq_init_attr sa = { 0 };
	struct ibv_recv_wr *bad;
	size_t cmds, inl_off;
	struct rdma_srq *s;
	int i;

	if (depth > d->attr.max_srq_wr)
		depth = d->attr.max_srq_wr;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->w = w;
	s->inline_size = inline_size;
	s->depth = depth;
	s->ring_buf = -1;
	s->flush.fn = nvmet_rdma_srq_flush;
	cmds = (size_t)depth * RDMA_CMD_SIZE;
	inl_off = (cmds + SRQ_BUF_ALIGN - 1) & ~(size_t)(SRQ_BUF_ALIGN - 1);
	s->bufs_size = inl_off + (size_t)depth * inline_size;
	s->bufs = nvmet_rdma_alloc_buf(s->bufs_size);
	s->cmds = calloc((size_t)depth, sizeof(*s->cmds));
	if (!s->bufs || !s->cmds)
		goto fail;
	s->mr = ibv_reg_mr(d->pd, s->bufs, s->bufs_size,
			   IBV_ACCESS_LOCAL_WRITE);
	if (!s->mr)
		goto fail;
	sa.attr.max_wr = (uint32_t)depth;
	sa.attr.max_sge = inline_size ? 2 : 1;
	s->srq = ibv_create_srq(d->pd, &sa);
	if (!s->srq)
		goto fail;
	nvmet_rdma_cmds_init(s->cmds, depth, s->bufs,
			     (uint8_t *)s->bufs + inl_off, inline_size,
			     s->mr->lkey);
	for (i = 0; i < depth; i++) {
		s->cmds[i].srq = s;
		s->cmds[i].wr.next = i + 1 < depth ? &s->cmds[i + 1].wr : NULL;
	}
	/* not counted: the worker's counters are its own to write */
	errno = ibv_post_srq_recv(s->srq, &s->cmds[0].wr, &bad);
	if (errno)
		goto fail;
	/* in-capsule data is written to the backend without page pinning */
	if (inline_size)
		s->ring_buf =
			nvmet_worker_buf_register(w, s->bufs, s->bufs_size);
	return s;
fail:
	nvmf_warn("rdma: worker %d: cannot set up a shared receive queue of "
		  "%d: %s",
		  w->index, depth, strerror(errno));
	nvmet_rdma_srq_destroy(s);
	return NULL;
}

/*
 * Main thread: worker w's SRQ on d for queues with this in-capsule data
 * size, made if it is the first.  NULL: the device has none (or the SRQ
 * could not be made, said once): the queue posts receives of its own.
 */
struct rdma_srq *nvmet_rdma_srq_get(struct rdma_dev *d, struct nvmet_worker *w,
				    uint32_t inline_size, int depth)
{
	struct rdma_srq *s;

	if (!depth || d->no_srq)
		return NULL;
	TAILQ_FOREACH(s, &d->srqs, link)
		if (s->w == w && s->inline_size == inline_size)
			return s;
	if (!d->attr.max_srq || d->attr.max_srq_wr < 2 ||
	    d->attr.max_srq_sge < 2) {
		nvmf_info("rdma: %s has no shared receive queues: each queue "
			  "posts its own receive buffers",
			  ibv_get_device_name(d->verbs->device));
		d->no_srq = true;
		return NULL;
	}
	s = srq_create(d, w, inline_size, depth);
	if (!s) {
		d->no_srq = true;
		return NULL;
	}
	TAILQ_INSERT_TAIL(&d->srqs, s, link);
	nvmf_debug("rdma: worker %d: shared receive queue of %d on %s "
		   "(in-capsule data %u bytes)",
		   w->index, s->depth, ibv_get_device_name(d->verbs->device),
		   inline_size);
	return s;
}

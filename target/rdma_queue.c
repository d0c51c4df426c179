// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt RDMA transport: queue setup and teardown.  The main thread
 * creates a queue's objects on CONNECT_REQUEST and releases them in
 * nvmet_rdma_queue_release(), the only place that does; the worker runs
 * the queue between nvmet_rdma_queue_start() and nvmet_rdma_queue_stop().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "rdma.h"

/* ---- queue setup (main thread) ------------------------------------------------ */

/*
 * Registered buffers get mappings of their own, not heap memory: they are
 * large and live as long as their queue (or pool), and in the heap the chunks a
 * released queue leaves are split by small long-lived allocations (those
 * of a re-added device), so the heap grew by a queue's pool on every
 * device reset.  Anonymous mappings are page aligned, zeroed, and given
 * back to the system when the queue goes.
 */
void *nvmet_rdma_alloc_buf(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void nvmet_rdma_free_buf(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

#define QUEUE_BUF_ALIGN 64 /* a cache line */

/*
 * The queue's registered memory, in one mapping and one registration
 * (each a system call, and the registration pins the pages: one instead
 * of three shortens the setup of a queue, which hosts wait for when
 * they reconnect all at once): the command capsules, their in-capsule
 * data, then the completions.
 */
int nvmet_rdma_queue_alloc_bufs(struct rdma_queue *q)
{
	size_t recvs = q->srq ? 0 : (size_t)q->recv_depth;
	size_t cqes = (size_t)q->nr_rsps * sizeof(*q->cqes);
	size_t inl_off, recvs_size, cqe_off;

	recvs_size =
		nvmet_rdma_recvs_size(recvs, q->sq.inline_data_size, &inl_off);
	cqe_off = (recvs_size + QUEUE_BUF_ALIGN - 1) &
		  ~(size_t)(QUEUE_BUF_ALIGN - 1);
	q->bufs_size = cqe_off + cqes;
	q->bufs = nvmet_rdma_alloc_buf(q->bufs_size);
	if (!q->bufs)
		return -ENOMEM;
	q->cmd_buf = q->bufs;
	q->inline_buf = recvs_size > inl_off ? (uint8_t *)q->bufs + inl_off :
					       NULL;
	q->cqes = (struct nvme_completion *)((uint8_t *)q->bufs + cqe_off);
	q->mr = ibv_reg_mr(q->dev->pd, q->bufs, q->bufs_size,
			   IBV_ACCESS_LOCAL_WRITE);
	if (!q->mr)
		return -errno;
	return 0;
}

/* n receive buffers: capsules in cmd_buf, in-capsule data in inline_buf */
void nvmet_rdma_cmds_init(struct rdma_cmd *cmds, int n, void *cmd_buf,
			  void *inline_buf, uint32_t inline_size, uint32_t lkey)
{
	size_t stride = nvmet_rdma_inline_stride(inline_size);

	for (int i = 0; i < n; i++) {
		struct rdma_cmd *c = &cmds[i];

		c->ctx.type = WR_RECV;
		c->sqe = (union nvme_command *)((uint8_t *)cmd_buf +
						(size_t)i * RDMA_CMD_SIZE);
		c->sge[0] = (struct ibv_sge){ (uintptr_t)c->sqe, RDMA_CMD_SIZE,
					      lkey };
		if (inline_size) {
			c->inline_data =
				(uint8_t *)inline_buf + (size_t)i * stride;
			c->sge[1] = (struct ibv_sge){ (uintptr_t)c->inline_data,
						      inline_size, lkey };
		}
		c->wr.wr_id = (uintptr_t)&c->ctx;
		c->wr.sg_list = c->sge;
		c->wr.num_sge = inline_size ? 2 : 1;
	}
}

/* The queue's own receive buffers (no shared receive queue). */
int nvmet_rdma_queue_alloc_cmds(struct rdma_queue *q)
{
	q->cmds = calloc(q->recv_depth, sizeof(*q->cmds));
	if (!q->cmds)
		return -ENOMEM;
	nvmet_rdma_cmds_init(q->cmds, q->recv_depth, q->cmd_buf, q->inline_buf,
			     q->sq.inline_data_size, q->mr->lkey);
	for (int i = 0; i < q->recv_depth; i++)
		q->cmds[i].q = q;
	return 0;
}

int nvmet_rdma_queue_alloc_rsps(struct rdma_queue *q)
{
	int i;

	q->rsps = calloc(q->nr_rsps, sizeof(*q->rsps));
	if (!q->rsps)
		return -ENOMEM;
	for (i = 0; i < q->nr_rsps; i++) {
		struct rdma_rsp *r = &q->rsps[i];

		r->q = q;
		r->req.cqe = &q->cqes[i];
		r->send_ctx.type = WR_SEND;
		r->read_ctx.type = WR_READ;
		r->send_sge = (struct ibv_sge){ (uintptr_t)r->req.cqe,
						sizeof(*r->req.cqe),
						q->mr->lkey };
		r->send_wr.wr_id = (uintptr_t)&r->send_ctx;
		r->send_wr.sg_list = &r->send_sge;
		r->send_wr.num_sge = 1;
		r->send_wr.send_flags = IBV_SEND_SIGNALED;
		r->rdma_wr.wr_id = (uintptr_t)&r->read_ctx;
		r->rdma_wr.sg_list = &r->data_sge;
		r->rdma_wr.num_sge = 1;
		TAILQ_INSERT_TAIL(&q->free_rsps, r, link);
	}
	return 0;
}

/* The queue's completion channel, and its CQs for receives and for sends. */
int nvmet_rdma_queue_create_cq(struct rdma_queue *q)
{
	const struct ibv_device_attr *attr = &q->dev->attr;

	q->send_depth = q->recv_depth * 3;
	if (q->send_depth > attr->max_qp_wr)
		q->send_depth = attr->max_qp_wr;
	q->send_credits = q->send_depth;
	q->channel = ibv_create_comp_channel(q->dev->verbs);
	if (!q->channel)
		return -errno;
	/*
	 * Twice the receives: room for a host that sends more commands than
	 * its queue size, which handle_recv() then disconnects.
	 */
	q->cq = ibv_create_cq(q->dev->verbs, q->recv_depth * 2, q, q->channel,
			      0);
	if (!q->cq)
		return -errno;
	q->scq = ibv_create_cq(q->dev->verbs, q->send_depth, q, q->channel, 0);
	if (!q->scq)
		return -errno;
	return 0;
}

int nvmet_rdma_queue_create_qp(struct rdma_queue *q)
{
	struct ibv_qp_init_attr qa = { 0 };

	qa.send_cq = q->scq;
	qa.recv_cq = q->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = (uint32_t)q->send_depth;
	qa.cap.max_send_sge = 1;
	if (q->srq) {
		qa.srq = q->srq->srq;
	} else {
		qa.cap.max_recv_wr = (uint32_t)q->recv_depth;
		qa.cap.max_recv_sge = 2;
	}
	if (rdma_create_qp(q->cm_id, q->dev->pd, &qa))
		return -errno;
	return 0;
}

static void queue_release_finish(void *arg);
static int releasing; /* queues between the two halves of their release */

static bool queue_holds_bufs(const struct rdma_queue *q)
{
	for (int i = 0; q->rsps && i < q->nr_rsps; i++)
		if (q->rsps[i].buf.pages)
			return true;
	return false;
}

/*
 * Worker, between the two halves of a release: the QP is destroyed, so
 * nothing can write into the queue's buffers any more and no completion
 * comes after those in its CQ; give the shared receive buffers it holds
 * back to their SRQ, and its data buffers to the pool the worker shares
 * with its other queues, and start whoever waited for them.
 */
static void queue_return_bufs(void *arg)
{
	struct rdma_queue *q = arg;

	nvmet_rdma_queue_return_cmds(q);
	for (int i = 0; q->rsps && i < q->nr_rsps; i++)
		nvmet_rdma_pool_put(q->pool, &q->rsps[i].buf);
	nvmet_rdma_pool_kick(q->pool);
	if (nvmf_loop_post(q->tgt->loop, queue_release_finish, q))
		nvmf_obj_err(q->sq.log_prefix, "cannot finish the release");
}

/*
 * Main thread: the only place that releases a queue's RDMA objects, in
 * the order they depend on each other: QP; then, on its worker, the
 * shared receive buffers and data buffers the queue still holds; CQ,
 * completion channel, MRs, PD, and the cm_id last.
 */
void nvmet_rdma_queue_release(void *arg)
{
	struct rdma_queue *q = arg;
	int i;

	nvmet_rdma_queue_forget(q);
	for (i = 0; q->rsps && i < q->nr_rsps; i++)
		nvmet_req_release(&q->rsps[i].req);
	if (q->cm_id && q->cm_id->qp)
		rdma_destroy_qp(q->cm_id);
	releasing++;
	if (q->sq.worker && q->pool && (q->srq || queue_holds_bufs(q))) {
		if (!nvmf_loop_post(q->sq.worker->loop, queue_return_bufs, q))
			return;
		/* the SRQ and the pool keep them until the device goes */
		nvmf_obj_err(q->sq.log_prefix, "cannot give the buffers back");
	}
	queue_release_finish(q);
}

static void queue_release_finish(void *arg)
{
	struct rdma_queue *q = arg;

	releasing--;
	if (q->cq)
		ibv_destroy_cq(q->cq);
	if (q->scq)
		ibv_destroy_cq(q->scq);
	if (q->channel)
		ibv_destroy_comp_channel(q->channel);
	if (q->sq.worker)
		nvmet_worker_buf_unregister(q->sq.worker, q->ring_buf);
	if (q->mr)
		ibv_dereg_mr(q->mr);
	/*
	 * Our PD before the cm_id: if the device was removed, librdmacm may
	 * close its context when the last cm_id on it goes, and the PD
	 * lives on that context.  (Deallocating it afterwards was the
	 * nvmf-tgt segfault in libibverbs of a reset cycle.)
	 */
	if (q->srq)
		nvmet_rdma_srq_put(q->srq, q->recv_depth);
	if (q->dev)
		nvmet_rdma_dev_put(q->dev);
	if (q->cm_id)
		nvmf_rdma_destroy_id(q->cm_id, &q->rdev);
	nvmet_sq_release(q->tgt, &q->sq);
	nvmf_obj_debug(q->sq.log_prefix, "released");
	free(q->cmds);
	free(q->rsps);
	nvmet_rdma_free_buf(q->bufs, q->bufs_size);
	free(q);
}

/* Main thread: queues half released (their buffers on the way back). */
bool nvmet_rdma_queues_releasing(void)
{
	return releasing;
}

/* Worker: start polling (the queue's objects exist, receives are posted). */
void nvmet_rdma_queue_start(void *arg)
{
	struct rdma_queue *q = arg;

	if (nvmet_rdma_queue_watch(q))
		return; /* said why, and disconnected */
	if (nvmet_sq_start(&q->sq)) {
		nvmet_rdma_queue_fatal(q, "cannot arm the connect deadline");
		return;
	}
	nvmet_rdma_poll_cq(q);
}

/* Worker, in its own work item: give the queue to the main thread. */
static void queue_handover(void *arg)
{
	struct rdma_queue *q = arg;

	nvmf_loop_post(q->tgt->loop, nvmet_rdma_queue_release, q);
}

/*
 * Worker: stop the data path.  Runs again from nvmet_rdma_queue_response() while
 * backend operations drain; the last call hands the queue to the main
 * thread for release.
 */
void nvmet_rdma_queue_stop(void *arg)
{
	struct rdma_queue *q = arg;

	if (!q->stopping) {
		q->stopping = true;
		if (q->watch)
			nvmf_watch_del(q->watch);
		q->watch = NULL;
		nvmet_poller_del(q->sq.worker, &q->poller);
		if (q->on_pool)
			TAILQ_REMOVE(&q->pool->queues, q, pool_link);
		q->on_pool = false;
		nvmet_sq_stop(&q->sq);
		nvmet_rdma_queue_drop_waiters(q);
		if (q->sq.ctrl)
			nvmet_ctrl_remove_sq(q->sq.ctrl, &q->sq);
	}
	if (q->sq.io_inflight || q->released)
		return;
	q->released = true;
	/* after the current callback unwinds, so nothing here touches q */
	nvmf_loop_post(q->sq.worker->loop, queue_handover, q);
}

/* Any thread: nvmet_transport_ops.disconnect_queue. */
void nvmet_rdma_disconnect_queue(struct nvmet_sq *sq)
{
	struct rdma_queue *q = container_of(sq, struct rdma_queue, sq);

	rdma_disconnect(q->cm_id);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt RDMA transport: the data path, on the queue's worker thread.
 * Commands arrive in receive buffers, take a response context, get their
 * data (in-capsule, or RDMA READ for host writes), run in the core, and
 * complete with an RDMA WRITE of read data chained before the SEND of the
 * completion.  Send-queue and RDMA READ credits are accounted; requests
 * that lack one wait in order on the queue's lists.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "log.h"
#include "rdma.h"

static void rsp_execute(struct rdma_rsp *rsp);
static void rsp_map_data(struct rdma_rsp *rsp);
static void rsp_post_response(struct rdma_rsp *rsp);
/* ---- posting ------------------------------------------------------------------ */

static int post_recvs(struct rdma_queue *q, struct ibv_recv_wr *first)
{
	struct ibv_recv_wr *bad, *wr;
	uint64_t n = 0;
	int ret;

	for (wr = first; wr; wr = wr->next)
		n++;
	ret = ibv_post_recv(q->cm_id->qp, first, &bad);
	if (q->sq.worker) {
		nvmet_stat_add(q->sq.worker, NVMET_STAT_RECV_POSTS, 1);
		nvmet_stat_add(q->sq.worker, NVMET_STAT_RECV_WRS, n);
	}
	if (ret)
		nvmf_obj_err(q->sq.log_prefix, "post recv: %s", strerror(ret));
	return ret;
}

/* Post a receive now (queue setup, on the main thread). */
int nvmet_rdma_post_recv(struct rdma_cmd *cmd)
{
	cmd->wr.next = NULL;
	return post_recvs(cmd->q, &cmd->wr);
}

void nvmet_rdma_queue_fatal(struct rdma_queue *q, const char *why)
{
	if (q->fatal)
		return; /* said, and asked for, once */
	q->fatal = true;
	nvmf_obj_warn(q->sq.log_prefix, "%s: disconnecting", why);
	rdma_disconnect(q->cm_id);
}

/* Append wr to a chain of receives posted at the end of the pass. */
static void chain_recv(struct ibv_recv_wr **head, struct ibv_recv_wr **tail,
		       struct ibv_recv_wr *wr)
{
	if (*tail)
		(*tail)->next = wr;
	else
		*head = wr;
	*tail = wr;
}

/*
 * Worker: a receive back on its queue, or on its shared receive queue, at
 * the end of the pass if in one.
 */
static void repost_recv(struct rdma_cmd *cmd)
{
	struct rdma_queue *q = cmd->q;
	struct rdma_srq *srq = cmd->srq;

	cmd->wr.next = NULL;
	if (srq) {
		nvmet_stat_add(srq->w, NVMET_STAT_SRQ_RETURNED, 1);
		srq->lent--;
		q->srq_held--;
		chain_recv(&srq->recv_head, &srq->recv_tail, &cmd->wr);
		if (!nvmet_worker_defer(srq->w, &srq->flush))
			nvmet_rdma_srq_flush(&srq->flush);
		return;
	}
	if (!nvmet_worker_defer(q->sq.worker, &q->flush)) {
		if (post_recvs(q, &cmd->wr))
			nvmet_rdma_queue_fatal(q, "cannot post a receive");
		return;
	}
	chain_recv(&q->recv_head, &q->recv_tail, &cmd->wr);
}

static void rsp_free(struct rdma_rsp *rsp)
{
	struct rdma_queue *q = rsp->q;

	nvmet_req_release(&rsp->req);
	nvmet_rdma_pool_put(q->pool, &rsp->buf);
	q->send_credits += rsp->credits;
	rsp->credits = 0;
	TAILQ_INSERT_HEAD(&q->free_rsps, rsp, link);
}

static void start_cmd(struct rdma_rsp *rsp, struct rdma_cmd *cmd);
static void rsp_have_buf(struct rdma_rsp *rsp);
static void post_read(struct rdma_rsp *rsp);

/* The pool cannot give a buffer even with nothing in use. */
static void rsp_no_buf(struct rdma_rsp *rsp)
{
	nvmet_req_complete(&rsp->req,
			   nvmet_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL));
}

/*
 * Buffers came back to the pool: start the requests that wait for one,
 * in order, whatever their queue (all of them run on this worker).
 */
void nvmet_rdma_pool_kick(struct rdma_pool *p)
{
	struct rdma_rsp *rsp;
	int ret;

	while ((rsp = TAILQ_FIRST(&p->waiters))) {
		ret = nvmet_rdma_pool_get(p, rsp->req.data_len, &rsp->buf);
		if (ret == -EAGAIN)
			break;
		TAILQ_REMOVE(&p->waiters, rsp, link);
		if (ret)
			rsp_no_buf(rsp);
		else
			rsp_have_buf(rsp);
	}
}

/* Worker, as the queue stops: its requests no longer wait for buffers. */
void nvmet_rdma_queue_drop_waiters(struct rdma_queue *q)
{
	struct rdma_rsp *rsp, *next;

	if (!q->pool)
		return;
	for (rsp = TAILQ_FIRST(&q->pool->waiters); rsp; rsp = next) {
		next = TAILQ_NEXT(rsp, link);
		if (rsp->q == q)
			TAILQ_REMOVE(&q->pool->waiters, rsp, link);
	}
}

/* Resources came back: restart whoever waits for them, in order. */
static void queue_kick(struct rdma_queue *q)
{
	struct rdma_rsp *rsp;
	struct rdma_cmd *cmd;

	nvmet_rdma_pool_kick(q->pool);
	if (q->stopping)
		return;
	while ((rsp = TAILQ_FIRST(&q->wait_send)) &&
	       q->send_credits >=
		       (rsp->req.dir == NVMET_DATA_TO_HOST ? 2 : 1)) {
		TAILQ_REMOVE(&q->wait_send, rsp, link);
		rsp_post_response(rsp);
	}
	while ((rsp = TAILQ_FIRST(&q->wait_data)) && q->send_credits &&
	       q->read_credits) {
		TAILQ_REMOVE(&q->wait_data, rsp, link);
		post_read(rsp);
	}
	while ((cmd = TAILQ_FIRST(&q->wait_cmds)) &&
	       (rsp = TAILQ_FIRST(&q->free_rsps))) {
		TAILQ_REMOVE(&q->wait_cmds, cmd, link);
		TAILQ_REMOVE(&q->free_rsps, rsp, link);
		start_cmd(rsp, cmd);
	}
}

/* ---- the data path (worker) --------------------------------------------------- */

static void read_failed(struct rdma_rsp *rsp);

/*
 * One doorbell for a chain of work requests.  Those the provider refused
 * (from bad on) are undone: a response is dropped, a data fetch fails its
 * command; the queue is then disconnected.
 */
static void post_sends(struct rdma_queue *q, struct ibv_send_wr *first)
{
	struct ibv_send_wr *bad = NULL, *wr, *next;
	struct rdma_wr_ctx *ctx;
	uint64_t n = 0;
	int ret;

	for (wr = first; wr; wr = wr->next)
		n++;
	ret = ibv_post_send(q->cm_id->qp, first, &bad);
	nvmet_stat_add(q->sq.worker, NVMET_STAT_SEND_POSTS, 1);
	nvmet_stat_add(q->sq.worker, NVMET_STAT_SEND_WRS, n);
	if (!ret)
		return;
	nvmf_obj_err(q->sq.log_prefix, "post send: %s", strerror(ret));
	for (wr = bad; wr; wr = next) {
		next = wr->next;
		ctx = (struct rdma_wr_ctx *)(uintptr_t)wr->wr_id;
		if (wr->opcode == IBV_WR_RDMA_WRITE)
			continue; /* read data: its response follows */
		if (ctx->type == WR_READ)
			read_failed(
				container_of(ctx, struct rdma_rsp, read_ctx));
		else
			rsp_free(container_of(ctx, struct rdma_rsp, send_ctx));
	}
	nvmet_rdma_queue_fatal(q, "cannot post work requests");
}

/* Worker: send work requests first..last now, or at the end of the pass. */
static void chain_sends(struct rdma_queue *q, struct ibv_send_wr *first,
			struct ibv_send_wr *last)
{
	last->next = NULL;
	if (!nvmet_worker_defer(q->sq.worker, &q->flush)) {
		post_sends(q, first);
		return;
	}
	if (q->send_tail)
		q->send_tail->next = first;
	else
		q->send_head = first;
	q->send_tail = last;
}

/*
 * The end of a worker's pass: the receives given back, then the responses
 * and data fetches of the pass, one post each (receives first, so that a
 * host answered at once finds one).
 */
void nvmet_rdma_queue_flush(struct nvmet_flush *f)
{
	struct rdma_queue *q = container_of(f, struct rdma_queue, flush);
	struct ibv_recv_wr *recvs = q->recv_head;
	struct ibv_send_wr *sends = q->send_head;

	q->recv_head = q->recv_tail = NULL;
	q->send_head = q->send_tail = NULL;
	if (recvs && post_recvs(q, recvs))
		nvmet_rdma_queue_fatal(q, "cannot post receives");
	if (sends)
		post_sends(q, sends);
}

static void rsp_post_response(struct rdma_rsp *rsp)
{
	struct rdma_queue *q = rsp->q;
	bool with_data = rsp->req.dir == NVMET_DATA_TO_HOST &&
			 rsp->req.data_len && !rsp->req.cqe->status;
	struct ibv_send_wr *first = &rsp->send_wr;
	int need = with_data ? 2 : 1;

	if (q->send_credits < need) {
		TAILQ_INSERT_TAIL(&q->wait_send, rsp, link);
		return;
	}
	q->send_credits -= need;
	rsp->credits += need;

	rsp->send_wr.opcode = IBV_WR_SEND;
	if (rsp->invalidate) {
		rsp->send_wr.opcode = IBV_WR_SEND_WITH_INV;
		rsp->send_wr.invalidate_rkey = rsp->rkey;
	}
	if (with_data) {
		/* RDMA WRITE of the read data, chained before the SEND */
		rsp->data_sge.length = rsp->req.data_len;
		rsp->rdma_wr.opcode = IBV_WR_RDMA_WRITE;
		rsp->rdma_wr.send_flags = 0;
		rsp->rdma_wr.wr.rdma.remote_addr = rsp->remote_addr;
		rsp->rdma_wr.wr.rdma.rkey = rsp->rkey;
		rsp->rdma_wr.next = &rsp->send_wr;
		first = &rsp->rdma_wr;
	}
	chain_sends(q, first, &rsp->send_wr);
}

/* nvmet_transport_ops.queue_response: the command is done. */
void nvmet_rdma_queue_response(struct nvmet_req *req)
{
	struct rdma_rsp *rsp = container_of(req, struct rdma_rsp, req);
	struct rdma_queue *q = rsp->q;

	/*
	 * The command capsule is no longer needed: give it back first (a
	 * shared one even if the queue stops: it is the SRQ's).
	 */
	if (rsp->cmd) {
		if (!q->stopping || rsp->cmd->srq)
			repost_recv(rsp->cmd);
		rsp->cmd = NULL;
	}
	if (q->stopping) {
		rsp_free(rsp);
		nvmet_rdma_pool_kick(q->pool);
		if (!q->sq.io_inflight)
			nvmet_rdma_queue_stop(q); /* finish the handover */
		return;
	}
	rsp_post_response(rsp);
}

static void rsp_execute(struct rdma_rsp *rsp)
{
	nvmet_req_execute(&rsp->req);
}

/* An RDMA READ of the host's data was not posted: fail the command. */
static void read_failed(struct rdma_rsp *rsp)
{
	rsp->q->send_credits++;
	rsp->q->read_credits++;
	nvmet_req_complete(&rsp->req, nvmet_status(NVME_SCT_GENERIC,
						   NVME_SC_DATA_XFER_ERROR));
}

static void post_read(struct rdma_rsp *rsp)
{
	struct rdma_queue *q = rsp->q;

	q->send_credits--;
	q->read_credits--;
	rsp->data_sge.length = rsp->req.data_len;
	rsp->rdma_wr.opcode = IBV_WR_RDMA_READ;
	rsp->rdma_wr.send_flags = IBV_SEND_SIGNALED;
	rsp->rdma_wr.wr.rdma.remote_addr = rsp->remote_addr;
	rsp->rdma_wr.wr.rdma.rkey = rsp->rkey;
	chain_sends(q, &rsp->rdma_wr, &rsp->rdma_wr);
}

/* The request has its buffer: fill it by RDMA READ, or run the command. */
static void rsp_have_buf(struct rdma_rsp *rsp)
{
	struct rdma_queue *q = rsp->q;

	rsp->req.data = rsp->buf.addr;
	rsp->req.buf_index = q->pool->regions[rsp->buf.region].ring_buf;
	rsp->data_sge.addr = (uintptr_t)rsp->buf.addr;
	rsp->data_sge.lkey = rsp->buf.lkey;
	if (rsp->req.dir != NVMET_DATA_TO_CTRL) {
		rsp_execute(rsp);
		return;
	}
	if (!q->send_credits || !q->read_credits ||
	    !TAILQ_EMPTY(&q->wait_data)) {
		TAILQ_INSERT_TAIL(&q->wait_data, rsp, link);
		return;
	}
	post_read(rsp);
}

/*
 * Keyed SGL: a buffer from the pool, or a place on its wait list (behind
 * the requests already there, so that a large transfer is not starved).
 */
static void rsp_map_data(struct rdma_rsp *rsp)
{
	struct rdma_pool *p = rsp->q->pool;
	int ret = -EAGAIN;

	if (TAILQ_EMPTY(&p->waiters))
		ret = nvmet_rdma_pool_get(p, rsp->req.data_len, &rsp->buf);
	if (ret == -EAGAIN) {
		TAILQ_INSERT_TAIL(&p->waiters, rsp, link);
		nvmet_stat_add(p->w, NVMET_STAT_POOL_WAITS, 1);
		if (!nvmet_worker_defer(p->w, &p->reap))
			nvmet_rdma_pool_reap(&p->reap);
		return;
	}
	if (ret)
		rsp_no_buf(rsp);
	else
		rsp_have_buf(rsp);
}

/* Return: 0 if the data is mapped or being fetched, else a status. */
static uint16_t map_sgl(struct rdma_rsp *rsp)
{
	struct rdma_queue *q = rsp->q;
	struct rdma_sgl sgl;
	uint16_t status;

	status = nvmet_rdma_parse_sgl(rsp->req.cmd, rsp->req.dir,
				      rsp->req.data_len, q->sq.inline_data_size,
				      rsp->cmd->inline_len, &sgl);
	if (status) {
		nvmf_obj_debug(q->sq.log_prefix, "SGL type 0x%02x: status 0x%x",
			       rsp->req.cmd->common.dptr.sgl.type, status);
		return status;
	}
	switch (sgl.kind) {
	case RDMA_SGL_INLINE:
		rsp->req.data = (uint8_t *)rsp->cmd->inline_data + sgl.off;
		rsp->req.buf_index = rsp->cmd->srq ? rsp->cmd->ring_buf :
						     q->ring_buf;
		break;
	case RDMA_SGL_KEYED:
		rsp->invalidate = sgl.invalidate;
		rsp->rkey = sgl.key;
		rsp->remote_addr = sgl.addr;
		rsp_map_data(rsp);
		return 0;
	case RDMA_SGL_NONE:
		break;
	}
	rsp_execute(rsp);
	return 0;
}

static void start_cmd(struct rdma_rsp *rsp, struct rdma_cmd *cmd)
{
	uint16_t status;

	rsp->cmd = cmd;
	rsp->req.cmd = cmd->sqe;
	rsp->invalidate = false;
	rsp->credits = 0;
	status = nvmet_req_init(&rsp->req, &rsp->q->sq);
	if (!status)
		status = map_sgl(rsp);
	if (status)
		nvmet_req_complete(&rsp->req, status);
}

/*
 * A receive that starts no command (it failed, or the queue is going):
 * one of the queue's own is gone with the QP; a shared one goes back to
 * its SRQ for the other queues.
 */
static void recv_failed(struct rdma_queue *q, struct rdma_cmd *cmd)
{
	if (!cmd->srq)
		return;
	cmd->q = q;
	repost_recv(cmd);
}

static void handle_recv(struct rdma_queue *q, struct rdma_cmd *cmd,
			uint32_t byte_len)
{
	struct rdma_rsp *rsp;

	cmd->q = q; /* a shared receive buffer: lent to q until reposted */
	if (byte_len < RDMA_CMD_SIZE) {
		nvmet_rdma_queue_fatal(q, "received a short command capsule");
		recv_failed(q, cmd);
		return;
	}
	/*
	 * A host may have hsqsize + 1 commands in flight (its slot is free
	 * once our response came, and the capsule went back before it was
	 * sent): more would take shared buffers the other queues' hosts
	 * count on.
	 */
	if (q->srq_held > q->recv_depth) {
		nvmet_rdma_queue_fatal(q, "the host sent more commands than "
					  "its queue size");
		recv_failed(q, cmd);
		return;
	}
	/* the receive buffer bounds it: at most inline_data_size */
	cmd->inline_len = byte_len - RDMA_CMD_SIZE;
	rsp = TAILQ_FIRST(&q->free_rsps);
	if (!rsp || !TAILQ_EMPTY(&q->wait_cmds)) {
		TAILQ_INSERT_TAIL(&q->wait_cmds, cmd, link);
		return;
	}
	TAILQ_REMOVE(&q->free_rsps, rsp, link);
	start_cmd(rsp, cmd);
}

/* A receive completion: which buffer, counted if it is shared. */
static struct rdma_cmd *wc_cmd(struct rdma_queue *q, struct rdma_wr_ctx *ctx)
{
	struct rdma_cmd *cmd = container_of(ctx, struct rdma_cmd, ctx);

	if (cmd->srq) {
		nvmet_stat_add(q->sq.worker, NVMET_STAT_SRQ_TAKEN, 1);
		cmd->srq->lent++;
		q->srq_held++;
	}
	return cmd;
}

static void handle_wc(struct rdma_queue *q, struct ibv_wc *wc)
{
	struct rdma_wr_ctx *ctx = (struct rdma_wr_ctx *)(uintptr_t)wc->wr_id;
	struct rdma_rsp *rsp;

	if (wc->status != IBV_WC_SUCCESS) {
		/*
		 * A response's RDMA WRITE of read data shares the request's
		 * READ context (rdma_wr) and is unsignaled, but a WRITE that
		 * fails or is flushed completes too: its SEND's completion,
		 * which follows, ends the request.  Taken for a failed READ,
		 * it completed the request a second time and chained its
		 * WRs again while they were still posted: a cycle in the
		 * send chain, a worker spinning in post_sends and the device
		 * held (reset-stress, a target device removal under reads).
		 */
		if (ctx->type == WR_READ &&
		    container_of(ctx, struct rdma_rsp, read_ctx)
				    ->rdma_wr.opcode == IBV_WR_RDMA_WRITE)
			goto fail_queue;
		/* flushed work requests are the normal end of a queue */
		if (wc->status != IBV_WC_WR_FLUSH_ERR && !q->stopping)
			nvmf_obj_warn(q->sq.log_prefix,
				      "work completion error: %s",
				      ibv_wc_status_str(wc->status));
		if (ctx->type == WR_SEND) {
			rsp = container_of(ctx, struct rdma_rsp, send_ctx);
			rsp_free(rsp);
		} else if (ctx->type == WR_RECV) {
			recv_failed(q, wc_cmd(q, ctx));
		} else if (ctx->type == WR_READ) {
			rsp = container_of(ctx, struct rdma_rsp, read_ctx);
			q->send_credits++;
			q->read_credits++;
			nvmet_req_complete(
				&rsp->req,
				nvmet_status(NVME_SCT_GENERIC,
					     NVME_SC_DATA_XFER_ERROR));
		}
fail_queue:
		if (!q->stopping && !q->fatal) {
			if (wc->status == IBV_WC_WR_FLUSH_ERR) {
				/* the peer disconnected: the CM event follows */
				q->fatal = true;
				nvmf_obj_debug(q->sq.log_prefix, "flushed");
				rdma_disconnect(q->cm_id);
			} else {
				nvmet_rdma_queue_fatal(q,
						       "work request failed");
			}
		}
		return;
	}
	switch (ctx->type) {
	case WR_RECV:
		handle_recv(q, wc_cmd(q, ctx), wc->byte_len);
		break;
	case WR_SEND:
		rsp_free(container_of(ctx, struct rdma_rsp, send_ctx));
		queue_kick(q);
		break;
	case WR_READ:
		rsp = container_of(ctx, struct rdma_rsp, read_ctx);
		q->send_credits++;
		q->read_credits++;
		rsp_execute(rsp);
		queue_kick(q);
		break;
	}
}

/* A completion on a queue that is gone: only a shared buffer matters. */
static void drop_wc(struct rdma_queue *q, struct ibv_wc *wc)
{
	struct rdma_wr_ctx *ctx = (struct rdma_wr_ctx *)(uintptr_t)wc->wr_id;

	if (ctx->type == WR_RECV)
		recv_failed(q, wc_cmd(q, ctx));
}

/*
 * Worker, releasing a queue whose QP is destroyed and whose requests are
 * done: give the shared receive buffers it holds back to the SRQ - those
 * received but not yet taken from the CQ, those waiting for a response
 * context, and those of requests that stopped waiting for data or a
 * buffer.  Nothing is received into them through this queue any more.
 */
void nvmet_rdma_queue_return_cmds(struct rdma_queue *q)
{
	struct ibv_wc wc[RDMA_POLL_BATCH];
	struct rdma_cmd *cmd;
	int n, i;

	if (!q->srq)
		return;
	do {
		n = q->cq ? ibv_poll_cq(q->cq, RDMA_POLL_BATCH, wc) : 0;
		for (i = 0; i < n; i++)
			drop_wc(q, &wc[i]);
	} while (n == RDMA_POLL_BATCH);
	while ((cmd = TAILQ_FIRST(&q->wait_cmds))) {
		TAILQ_REMOVE(&q->wait_cmds, cmd, link);
		repost_recv(cmd);
	}
	for (i = 0; q->rsps && i < q->nr_rsps; i++) {
		cmd = q->rsps[i].cmd;
		q->rsps[i].cmd = NULL;
		if (cmd)
			repost_recv(cmd);
	}
}

/* Poll one of the queue's CQs empty.  Return: the completions. */
static int cq_drain(struct rdma_queue *q, struct ibv_cq *cq)
{
	struct nvmet_worker *w = q->sq.worker;
	struct ibv_wc wc[RDMA_POLL_BATCH];
	int n, i, total = 0;

	do {
		n = ibv_poll_cq(cq, RDMA_POLL_BATCH, wc);
		nvmet_stat_add(w, NVMET_STAT_POLLS, 1);
		if (n > 0) {
			nvmet_stat_add(w, NVMET_STAT_WCS, (uint64_t)n);
			total += n;
		}
		for (i = 0; i < n && !q->released; i++)
			handle_wc(q, &wc[i]);
		for (; i < n; i++) /* released on the way */
			drop_wc(q, &wc[i]);
	} while (n == RDMA_POLL_BATCH && !q->released);
	return total;
}

/*
 * Whether the queue's send CQ must wake the worker: an RDMA READ of a
 * host's data in flight, a request waiting for a send queue entry, a
 * response context or a data buffer (of this queue's pool: any of the
 * worker's queues on the device may give one back).  Otherwise what
 * completes there is only responses sent, reaped with the next pass.
 */
static bool scq_needed(const struct rdma_queue *q)
{
	return q->read_credits < q->read_max || !TAILQ_EMPTY(&q->wait_send) ||
	       !TAILQ_EMPTY(&q->wait_data) || !TAILQ_EMPTY(&q->wait_cmds) ||
	       !TAILQ_EMPTY(&q->pool->waiters);
}

static int arm_scq(struct rdma_queue *q)
{
	nvmet_stat_add(q->sq.worker, NVMET_STAT_CQ_ARMS, 1);
	if (ibv_req_notify_cq(q->scq, 0)) {
		nvmet_rdma_queue_fatal(q, "cannot arm the completion queue");
		return -1;
	}
	q->scq_armed = true;
	return 0;
}

/*
 * One pass over the queue's completions: the commands they start, the
 * backend operations and the responses go out together at its end.  The
 * sends first, so that resources they give back serve the commands; the
 * send CQ armed (then looked at once more: what completed before the arm
 * raises no event) if something is left waiting for it.
 */
int nvmet_rdma_poll_cq(struct rdma_queue *q)
{
	struct nvmet_worker *w = q->sq.worker;
	int total;

	nvmet_worker_batch_begin(w);
	total = cq_drain(q, q->scq);
	if (!q->released)
		total += cq_drain(q, q->cq);
	if (!q->released && !q->stopping && !q->scq_armed && scq_needed(q) &&
	    !arm_scq(q))
		total += cq_drain(q, q->scq);
	nvmet_worker_batch_end(w);
	return total;
}

/*
 * End of a pass in which a request started waiting for a data buffer:
 * reap the send CQs of the pool's queues, whose responses sent hold
 * buffers until then, and arm them while the wait lasts (scq_needed).
 */
void nvmet_rdma_pool_reap(struct nvmet_flush *f)
{
	struct rdma_pool *p = container_of(f, struct rdma_pool, reap);
	struct rdma_queue *q, *next;

	for (q = TAILQ_FIRST(&p->queues); q; q = next) {
		next = TAILQ_NEXT(q, pool_link);
		if (!q->scq_armed && !q->released && !q->stopping)
			nvmet_rdma_poll_cq(q);
	}
}

static int arm_cq(struct rdma_queue *q)
{
	nvmet_stat_add(q->sq.worker, NVMET_STAT_CQ_ARMS, 1);
	if (ibv_req_notify_cq(q->cq, 0)) {
		nvmet_rdma_queue_fatal(q, "cannot re-arm the completion queue");
		return -1;
	}
	q->poller.armed = true;
	return 0;
}

/* Worker, hybrid polling: the queue's poller. */
static int poller_poll(struct nvmet_poller *p)
{
	struct rdma_queue *q = container_of(p, struct rdma_queue, poller);

	return q->released ? 0 : nvmet_rdma_poll_cq(q);
}

static int poller_arm(struct nvmet_poller *p)
{
	struct rdma_queue *q = container_of(p, struct rdma_queue, poller);

	if (q->released || arm_cq(q))
		return 0;
	return nvmet_rdma_poll_cq(q);
}

/*
 * Worker: start taking completions (the CQ is polled and armed once the
 * caller returns).  With hybrid polling the worker polls the queue between
 * wake-ups and arms it only before it sleeps.  Return: 0, or -1 once it
 * has said why and disconnected the queue.
 */
int nvmet_rdma_queue_watch(struct rdma_queue *q)
{
	struct nvmet_worker *w = q->sq.worker;

	TAILQ_INSERT_TAIL(&q->pool->queues, q, pool_link);
	q->on_pool = true;
	q->watch = nvmf_watch_add(w->loop, q->channel->fd, EPOLLIN,
				  nvmet_rdma_cq_event, q);
	if (!q->watch) {
		nvmet_rdma_queue_fatal(q, "cannot watch the completion queue");
		return -1;
	}
	if (arm_cq(q))
		return -1;
	if (nvmet_worker_hybrid(w)) {
		q->poller.poll = poller_poll;
		q->poller.arm = poller_arm;
		nvmet_poller_add(w, &q->poller);
	}
	return 0;
}

void nvmet_rdma_cq_event(void *arg, uint32_t events)
{
	struct rdma_queue *q = arg;
	struct ibv_cq *cq;
	void *ctx;

	(void)events;
	if (ibv_get_cq_event(q->channel, &cq, &ctx))
		return;
	ibv_ack_cq_events(cq, 1);
	nvmet_stat_add(q->sq.worker, NVMET_STAT_WAKEUPS, 1);
	if (cq == q->scq) {
		q->scq_armed = false; /* the pass arms it again if needed */
	} else {
		q->poller.armed = false;
		/* hybrid polling arms it again before the worker sleeps */
		if (!nvmet_worker_hybrid(q->sq.worker) && arm_cq(q))
			return;
	}
	nvmet_rdma_poll_cq(q);
}

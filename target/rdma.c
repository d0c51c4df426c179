// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe over Fabrics RDMA transport of nvmf-tgt (librdmacm + libibverbs).
 *
 * Ownership:
 *  - The main thread owns every RDMA object: the event channel, listener
 *    and queue cm_ids, QPs, CQs, completion channels, MRs and the per-device
 *    PD cache.  It creates a queue's objects on CONNECT_REQUEST and releases
 *    them in queue_release(), the only place that does.
 *  - A worker owns a queue's data path between queue_start() and
 *    queue_stop() (both run on the worker): it polls the CQ, posts work
 *    requests and runs the commands.  queue_stop() hands the queue back to
 *    the main thread once no backend operation refers to its buffers.
 *
 * A queue has recv_depth command buffers (hsqsize + 1; 64-byte SQE plus the
 * in-capsule data area as a second SGE, so inline data is page aligned for
 * O_DIRECT) and twice as many response contexts, so a command buffer can be
 * reposted before its response's SEND completes, as the kernel target does.
 * Data of keyed SGLs goes through a per-queue pool of MDTS-sized buffers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <infiniband/verbs.h>
#include <netdb.h>
#include <rdma/rdma_cma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "log.h"
#include "nvmet.h"

#define RDMA_LISTEN_BACKLOG 128
#define RDMA_POLL_BATCH	    32
#define RDMA_CMD_SIZE	    sizeof(union nvme_command)

enum rdma_ctx_type { CTX_LISTENER, CTX_QUEUE };

enum rdma_wr_type { WR_RECV, WR_SEND, WR_READ };

struct rdma_wr_ctx {
	enum rdma_wr_type type;
};

/* A device context and its PD, shared by the queues on it. */
struct rdma_dev {
	struct ibv_context *verbs;
	struct ibv_pd *pd;
	int refs;
	TAILQ_ENTRY(rdma_dev) link;
};

struct rdma_listener {
	enum rdma_ctx_type type;
	struct nvmet_port *port;
	struct rdma_cm_id *cm_id;
};

struct rdma_queue;

/* A receive buffer: one command capsule. */
struct rdma_cmd {
	struct rdma_wr_ctx ctx;
	struct rdma_queue *q;
	union nvme_command *sqe;
	void *inline_data;
	struct ibv_sge sge[2];
	struct ibv_recv_wr wr;
	TAILQ_ENTRY(rdma_cmd) link; /* waiting for a response context */
};

/* A response context: the request being processed. */
struct rdma_rsp {
	struct nvmet_req req;
	struct rdma_queue *q;
	struct rdma_cmd *cmd;
	struct rdma_wr_ctx send_ctx;
	struct rdma_wr_ctx read_ctx;
	struct ibv_sge send_sge;
	struct ibv_sge data_sge;
	struct ibv_send_wr send_wr;
	struct ibv_send_wr rdma_wr;
	int chunk; /* data buffer index, -1 if none */
	uint64_t remote_addr;
	uint32_t rkey;
	bool invalidate;
	int credits;		    /* send queue entries held */
	TAILQ_ENTRY(rdma_rsp) link; /* free list or a wait list */
};

enum rdma_queue_state {
	Q_CONNECTING,
	Q_LIVE,
	Q_STOPPING, /* handed to the worker to stop */
};

struct rdma_queue {
	enum rdma_ctx_type type;
	struct nvmet_sq sq;
	struct nvmet_tgt *tgt;
	struct rdma_cm_id *cm_id;
	struct rdma_dev *dev;
	struct ibv_comp_channel *channel;
	struct ibv_cq *cq;
	struct nvmf_watch *watch;    /* worker */
	enum rdma_queue_state state; /* main thread */
	bool stopping;		     /* worker */
	bool released;		     /* worker: release posted */
	bool fatal;		     /* worker: disconnect requested */
	int recv_depth;
	int send_depth; /* max_send_wr */
	int send_credits;
	int read_credits;
	struct rdma_cmd *cmds;
	void *cmd_buf;
	void *inline_buf;
	struct ibv_mr *cmd_mr;
	struct ibv_mr *inline_mr;
	struct rdma_rsp *rsps;
	int nr_rsps;
	struct nvme_completion *cqes;
	struct ibv_mr *cqe_mr;
	void *data_buf;
	struct ibv_mr *data_mr;
	int *free_chunks;
	int nr_free_chunks;
	int nr_chunks;
	TAILQ_HEAD(, rdma_rsp) free_rsps;
	TAILQ_HEAD(, rdma_cmd) wait_cmds; /* no free response context */
	TAILQ_HEAD(, rdma_rsp) wait_data; /* no free data buffer */
	TAILQ_HEAD(, rdma_rsp) wait_send; /* no send queue credits */
	TAILQ_ENTRY(rdma_queue) link;	  /* main thread list */
};

#define RESYNC_PERIOD_MS 100
#define RESYNC_MAX_MS	 30000

static struct rdma_event_channel *cm_channel;
static struct nvmf_watch *cm_watch;
static struct nvmf_timer *resync_timer;
static uint64_t resync_until;
static char removed_dev[IBV_SYSFS_NAME_MAX];
static TAILQ_HEAD(, rdma_dev) rdma_devs = TAILQ_HEAD_INITIALIZER(rdma_devs);
static TAILQ_HEAD(,
		  rdma_queue) rdma_queues = TAILQ_HEAD_INITIALIZER(rdma_queues);

static void queue_stop(void *arg);
static void rsp_execute(struct rdma_rsp *rsp);
static void rsp_map_data(struct rdma_rsp *rsp);
static void rsp_post_response(struct rdma_rsp *rsp);

/* ---- devices ------------------------------------------------------------------ */

static struct rdma_dev *dev_get(struct ibv_context *verbs)
{
	struct rdma_dev *d;

	TAILQ_FOREACH(d, &rdma_devs, link) {
		if (d->verbs == verbs) {
			d->refs++;
			return d;
		}
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->pd = ibv_alloc_pd(verbs);
	if (!d->pd) {
		free(d);
		return NULL;
	}
	d->verbs = verbs;
	d->refs = 1;
	TAILQ_INSERT_TAIL(&rdma_devs, d, link);
	nvmf_info("rdma: using device %s", ibv_get_device_name(verbs->device));
	return d;
}

static void dev_put(struct rdma_dev *d)
{
	if (--d->refs)
		return;
	TAILQ_REMOVE(&rdma_devs, d, link);
	ibv_dealloc_pd(d->pd);
	free(d);
}

/*
 * librdmacm keeps a verbs context of its own per device and closes it only
 * when a device-list resync finds the device gone and unused; until then
 * `rdma link delete` blocks.  The device leaves the list only after the
 * connection manager let go of it (all our cm_ids destroyed), so after a
 * removal we resync every RESYNC_PERIOD_MS until the device has left.
 */
static bool device_listed(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	bool found = false;
	int i;

	for (i = 0; list && list[i]; i++)
		if (strcmp(ibv_get_device_name(list[i]), name) == 0)
			found = true;
	ibv_free_device_list(list);
	return found;
}

static void resync_devices(void *arg)
{
	struct ibv_context **devs;
	bool gone = !device_listed(removed_dev);

	(void)arg;
	devs = rdma_get_devices(NULL);
	if (devs)
		rdma_free_devices(devs);
	if (gone || nvmf_now_ms() > resync_until) {
		nvmf_info("rdma: %s %s", removed_dev,
			  gone ? "released" : "still listed; resync stopped");
		nvmf_timer_disarm(resync_timer);
	}
}

static void device_removed(struct ibv_context *verbs)
{
	snprintf(removed_dev, sizeof(removed_dev), "%s",
		 ibv_get_device_name(verbs->device));
	resync_until = nvmf_now_ms() + RESYNC_MAX_MS;
	if (!nvmf_timer_armed(resync_timer))
		nvmf_timer_arm(resync_timer, RESYNC_PERIOD_MS,
			       RESYNC_PERIOD_MS);
}

/* ---- data buffers ------------------------------------------------------------ */

static void *chunk_addr(struct rdma_queue *q, int chunk)
{
	return (uint8_t *)q->data_buf + (size_t)chunk * NVMET_MAX_XFER;
}

static int chunk_get(struct rdma_queue *q)
{
	if (!q->nr_free_chunks)
		return -1;
	return q->free_chunks[--q->nr_free_chunks];
}

static void chunk_put(struct rdma_queue *q, int chunk)
{
	q->free_chunks[q->nr_free_chunks++] = chunk;
}

/* ---- posting ------------------------------------------------------------------ */

static int post_recv(struct rdma_cmd *cmd)
{
	struct ibv_recv_wr *bad;
	int ret;

	ret = ibv_post_recv(cmd->q->cm_id->qp, &cmd->wr, &bad);
	if (ret)
		nvmf_obj_err(cmd->q->sq.log_prefix, "post recv: %s",
			     strerror(ret));
	return ret;
}

static void queue_fatal(struct rdma_queue *q, const char *why)
{
	nvmf_obj_warn(q->sq.log_prefix, "%s: disconnecting", why);
	rdma_disconnect(q->cm_id);
}

static void rsp_free(struct rdma_rsp *rsp)
{
	struct rdma_queue *q = rsp->q;

	if (rsp->chunk >= 0) {
		chunk_put(q, rsp->chunk);
		rsp->chunk = -1;
	}
	q->send_credits += rsp->credits;
	rsp->credits = 0;
	TAILQ_INSERT_HEAD(&q->free_rsps, rsp, link);
}

static void start_cmd(struct rdma_rsp *rsp, struct rdma_cmd *cmd);

/* Resources came back: restart whoever waits for them, in order. */
static void queue_kick(struct rdma_queue *q)
{
	struct rdma_rsp *rsp;
	struct rdma_cmd *cmd;

	if (q->stopping)
		return;
	while ((rsp = TAILQ_FIRST(&q->wait_send)) &&
	       q->send_credits >=
		       (rsp->req.dir == NVMET_DATA_TO_HOST ? 2 : 1)) {
		TAILQ_REMOVE(&q->wait_send, rsp, link);
		rsp_post_response(rsp);
	}
	while ((rsp = TAILQ_FIRST(&q->wait_data)) && q->nr_free_chunks &&
	       q->send_credits && q->read_credits) {
		TAILQ_REMOVE(&q->wait_data, rsp, link);
		rsp_map_data(rsp);
	}
	while ((cmd = TAILQ_FIRST(&q->wait_cmds)) &&
	       (rsp = TAILQ_FIRST(&q->free_rsps))) {
		TAILQ_REMOVE(&q->wait_cmds, cmd, link);
		TAILQ_REMOVE(&q->free_rsps, rsp, link);
		start_cmd(rsp, cmd);
	}
}

/* ---- the data path (worker) --------------------------------------------------- */

static void rsp_post_response(struct rdma_rsp *rsp)
{
	struct rdma_queue *q = rsp->q;
	bool with_data = rsp->req.dir == NVMET_DATA_TO_HOST &&
			 rsp->req.data_len && !rsp->req.cqe->status;
	struct ibv_send_wr *first = &rsp->send_wr, *bad;
	int need = with_data ? 2 : 1, ret;

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
	ret = ibv_post_send(q->cm_id->qp, first, &bad);
	if (ret) {
		nvmf_obj_err(q->sq.log_prefix, "post send: %s", strerror(ret));
		rsp_free(rsp);
		queue_fatal(q, "cannot post a response");
	}
}

/* nvmet_transport_ops.queue_response: the command is done. */
static void rdma_queue_response(struct nvmet_req *req)
{
	struct rdma_rsp *rsp = container_of(req, struct rdma_rsp, req);
	struct rdma_queue *q = rsp->q;

	/* the command capsule is no longer needed: give it back first */
	if (rsp->cmd) {
		if (!q->stopping)
			post_recv(rsp->cmd);
		rsp->cmd = NULL;
	}
	if (q->stopping) {
		rsp_free(rsp);
		if (!q->sq.io_inflight)
			queue_stop(q); /* finish the handover */
		return;
	}
	rsp_post_response(rsp);
}

static void rsp_execute(struct rdma_rsp *rsp)
{
	nvmet_req_execute(&rsp->req);
}

static void post_read(struct rdma_rsp *rsp)
{
	struct rdma_queue *q = rsp->q;
	struct ibv_send_wr *bad;
	int ret;

	q->send_credits--;
	q->read_credits--;
	rsp->data_sge.length = rsp->req.data_len;
	rsp->rdma_wr.opcode = IBV_WR_RDMA_READ;
	rsp->rdma_wr.send_flags = IBV_SEND_SIGNALED;
	rsp->rdma_wr.wr.rdma.remote_addr = rsp->remote_addr;
	rsp->rdma_wr.wr.rdma.rkey = rsp->rkey;
	rsp->rdma_wr.next = NULL;
	ret = ibv_post_send(q->cm_id->qp, &rsp->rdma_wr, &bad);
	if (ret) {
		q->send_credits++;
		q->read_credits++;
		nvmf_obj_err(q->sq.log_prefix, "post RDMA READ: %s",
			     strerror(ret));
		nvmet_req_complete(&rsp->req,
				   nvmet_status(NVME_SCT_GENERIC,
						NVME_SC_DATA_XFER_ERROR));
	}
}

/* Keyed SGL: a local buffer, filled by RDMA READ for host writes. */
static void rsp_map_data(struct rdma_rsp *rsp)
{
	struct rdma_queue *q = rsp->q;
	bool read = rsp->req.dir == NVMET_DATA_TO_CTRL;

	if (!q->nr_free_chunks ||
	    (read && (!q->send_credits || !q->read_credits))) {
		TAILQ_INSERT_TAIL(&q->wait_data, rsp, link);
		return;
	}
	rsp->chunk = chunk_get(q);
	rsp->req.data = chunk_addr(q, rsp->chunk);
	rsp->data_sge.addr = (uintptr_t)rsp->req.data;
	if (read)
		post_read(rsp);
	else
		rsp_execute(rsp);
}

static uint16_t map_inline(struct rdma_rsp *rsp)
{
	struct nvme_sgl_desc *sgl = &rsp->req.cmd->common.dptr.sgl;
	uint64_t off = le64toh(sgl->addr);
	uint32_t len = le32toh(sgl->length);

	if (rsp->req.dir != NVMET_DATA_TO_CTRL || !rsp->q->sq.inline_data_size)
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	if (off + len > rsp->q->sq.inline_data_size)
		return nvmet_status(NVME_SCT_GENERIC,
				    NVME_SC_SGL_INVALID_OFFSET);
	if (len != rsp->req.data_len)
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA);
	rsp->req.data = (uint8_t *)rsp->cmd->inline_data + off;
	return 0;
}

/* Return: 0 if the data is mapped or being fetched, else a status. */
static uint16_t map_sgl(struct rdma_rsp *rsp)
{
	union nvme_data_ptr *dptr = &rsp->req.cmd->common.dptr;
	uint16_t status;
	uint32_t len;

	/* a command without data: accept a null descriptor of either kind */
	if (!rsp->req.data_len && !dptr->sgl.length &&
	    dptr->sgl.type == NVME_SGL_FMT_DATA_DESC) {
		rsp_execute(rsp);
		return 0;
	}
	switch (dptr->sgl.type) {
	case NVME_SGL_TYPE_INLINE:
		status = map_inline(rsp);
		if (!status)
			rsp_execute(rsp);
		return status;
	case NVME_SGL_TYPE_KEYED:
	case NVME_SGL_TYPE_KEYED_INV:
		len = nvme_sgl_keyed_len(&dptr->ksgl);
		rsp->invalidate = dptr->sgl.type == NVME_SGL_TYPE_KEYED_INV;
		rsp->rkey = nvme_sgl_keyed_key(&dptr->ksgl);
		rsp->remote_addr = le64toh(dptr->ksgl.addr);
		if (len != rsp->req.data_len)
			return nvmet_status(NVME_SCT_GENERIC,
					    NVME_SC_SGL_INVALID_DATA);
		if (!len) {
			rsp_execute(rsp);
			return 0;
		}
		rsp_map_data(rsp);
		return 0;
	}
	nvmf_obj_debug(rsp->q->sq.log_prefix, "SGL type 0x%02x unsupported",
		       dptr->sgl.type);
	return nvmet_status(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE);
}

static void start_cmd(struct rdma_rsp *rsp, struct rdma_cmd *cmd)
{
	uint16_t status;

	rsp->cmd = cmd;
	rsp->req.cmd = cmd->sqe;
	rsp->chunk = -1;
	rsp->invalidate = false;
	rsp->credits = 0;
	status = nvmet_req_init(&rsp->req, &rsp->q->sq);
	if (!status)
		status = map_sgl(rsp);
	if (status)
		nvmet_req_complete(&rsp->req, status);
}

static void handle_recv(struct rdma_queue *q, struct rdma_cmd *cmd,
			uint32_t byte_len)
{
	struct rdma_rsp *rsp;

	if (byte_len < RDMA_CMD_SIZE) {
		queue_fatal(q, "received a short command capsule");
		return;
	}
	rsp = TAILQ_FIRST(&q->free_rsps);
	if (!rsp || !TAILQ_EMPTY(&q->wait_cmds)) {
		TAILQ_INSERT_TAIL(&q->wait_cmds, cmd, link);
		return;
	}
	TAILQ_REMOVE(&q->free_rsps, rsp, link);
	start_cmd(rsp, cmd);
}

static void handle_wc(struct rdma_queue *q, struct ibv_wc *wc)
{
	struct rdma_wr_ctx *ctx = (struct rdma_wr_ctx *)(uintptr_t)wc->wr_id;
	struct rdma_rsp *rsp;

	if (wc->status != IBV_WC_SUCCESS) {
		/* flushed work requests are the normal end of a queue */
		if (wc->status != IBV_WC_WR_FLUSH_ERR && !q->stopping)
			nvmf_obj_warn(q->sq.log_prefix,
				      "work completion error: %s",
				      ibv_wc_status_str(wc->status));
		if (ctx->type == WR_SEND) {
			rsp = container_of(ctx, struct rdma_rsp, send_ctx);
			rsp_free(rsp);
		} else if (ctx->type == WR_READ) {
			rsp = container_of(ctx, struct rdma_rsp, read_ctx);
			q->send_credits++;
			q->read_credits++;
			nvmet_req_complete(
				&rsp->req,
				nvmet_status(NVME_SCT_GENERIC,
					     NVME_SC_DATA_XFER_ERROR));
		}
		if (!q->stopping && !q->fatal) {
			q->fatal = true;
			if (wc->status == IBV_WC_WR_FLUSH_ERR) {
				/* the peer disconnected: the CM event follows */
				nvmf_obj_debug(q->sq.log_prefix, "flushed");
				rdma_disconnect(q->cm_id);
			} else {
				queue_fatal(q, "work request failed");
			}
		}
		return;
	}
	switch (ctx->type) {
	case WR_RECV:
		handle_recv(q, container_of(ctx, struct rdma_cmd, ctx),
			    wc->byte_len);
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

static void poll_cq(struct rdma_queue *q)
{
	struct ibv_wc wc[RDMA_POLL_BATCH];
	int n, i;

	do {
		n = ibv_poll_cq(q->cq, RDMA_POLL_BATCH, wc);
		for (i = 0; i < n && !q->released; i++)
			handle_wc(q, &wc[i]);
		nvmet_worker_ring_reap(q->sq.worker);
	} while (n == RDMA_POLL_BATCH && !q->released);
}

static void cq_event(void *arg, uint32_t events)
{
	struct rdma_queue *q = arg;
	struct ibv_cq *cq;
	void *ctx;

	(void)events;
	if (ibv_get_cq_event(q->channel, &cq, &ctx))
		return;
	ibv_ack_cq_events(cq, 1);
	if (ibv_req_notify_cq(q->cq, 0)) {
		queue_fatal(q, "cannot re-arm the completion queue");
		return;
	}
	poll_cq(q);
}

/* ---- queue setup (main thread) ------------------------------------------------ */

static void *alloc_buf(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, size))
		return NULL;
	memset(p, 0, size);
	return p;
}

static int queue_alloc_cmds(struct rdma_queue *q)
{
	struct ibv_pd *pd = q->dev->pd;
	size_t inl = q->sq.inline_data_size;
	int i;

	q->cmds = calloc(q->recv_depth, sizeof(*q->cmds));
	q->cmd_buf = alloc_buf((size_t)q->recv_depth * RDMA_CMD_SIZE);
	if (!q->cmds || !q->cmd_buf)
		return -ENOMEM;
	q->cmd_mr = ibv_reg_mr(pd, q->cmd_buf,
			       (size_t)q->recv_depth * RDMA_CMD_SIZE,
			       IBV_ACCESS_LOCAL_WRITE);
	if (!q->cmd_mr)
		return -errno;
	if (inl) {
		q->inline_buf = alloc_buf((size_t)q->recv_depth * inl);
		if (!q->inline_buf)
			return -ENOMEM;
		q->inline_mr = ibv_reg_mr(pd, q->inline_buf,
					  (size_t)q->recv_depth * inl,
					  IBV_ACCESS_LOCAL_WRITE);
		if (!q->inline_mr)
			return -errno;
	}
	for (i = 0; i < q->recv_depth; i++) {
		struct rdma_cmd *c = &q->cmds[i];

		c->ctx.type = WR_RECV;
		c->q = q;
		c->sqe = (union nvme_command *)((uint8_t *)q->cmd_buf +
						(size_t)i * RDMA_CMD_SIZE);
		c->sge[0] = (struct ibv_sge){ (uintptr_t)c->sqe, RDMA_CMD_SIZE,
					      q->cmd_mr->lkey };
		if (inl) {
			c->inline_data = (uint8_t *)q->inline_buf + i * inl;
			c->sge[1] = (struct ibv_sge){ (uintptr_t)c->inline_data,
						      (uint32_t)inl,
						      q->inline_mr->lkey };
		}
		c->wr.wr_id = (uintptr_t)&c->ctx;
		c->wr.sg_list = c->sge;
		c->wr.num_sge = inl ? 2 : 1;
	}
	return 0;
}

static int queue_alloc_rsps(struct rdma_queue *q)
{
	struct ibv_pd *pd = q->dev->pd;
	size_t data = (size_t)q->nr_chunks * NVMET_MAX_XFER;
	int i;

	q->rsps = calloc(q->nr_rsps, sizeof(*q->rsps));
	q->cqes = alloc_buf((size_t)q->nr_rsps * sizeof(*q->cqes));
	q->data_buf = alloc_buf(data);
	q->free_chunks = calloc(q->nr_chunks, sizeof(int));
	if (!q->rsps || !q->cqes || !q->data_buf || !q->free_chunks)
		return -ENOMEM;
	q->cqe_mr = ibv_reg_mr(pd, q->cqes,
			       (size_t)q->nr_rsps * sizeof(*q->cqes),
			       IBV_ACCESS_LOCAL_WRITE);
	q->data_mr = ibv_reg_mr(pd, q->data_buf, data, IBV_ACCESS_LOCAL_WRITE);
	if (!q->cqe_mr || !q->data_mr)
		return -errno;
	for (i = 0; i < q->nr_chunks; i++)
		q->free_chunks[q->nr_free_chunks++] = i;
	for (i = 0; i < q->nr_rsps; i++) {
		struct rdma_rsp *r = &q->rsps[i];

		r->q = q;
		r->chunk = -1;
		r->req.cqe = &q->cqes[i];
		r->send_ctx.type = WR_SEND;
		r->read_ctx.type = WR_READ;
		r->send_sge = (struct ibv_sge){ (uintptr_t)r->req.cqe,
						sizeof(*r->req.cqe),
						q->cqe_mr->lkey };
		r->send_wr.wr_id = (uintptr_t)&r->send_ctx;
		r->send_wr.sg_list = &r->send_sge;
		r->send_wr.num_sge = 1;
		r->send_wr.send_flags = IBV_SEND_SIGNALED;
		r->data_sge.lkey = q->data_mr->lkey;
		r->rdma_wr.wr_id = (uintptr_t)&r->read_ctx;
		r->rdma_wr.sg_list = &r->data_sge;
		r->rdma_wr.num_sge = 1;
		TAILQ_INSERT_TAIL(&q->free_rsps, r, link);
	}
	return 0;
}

static int queue_create_qp(struct rdma_queue *q)
{
	struct ibv_device_attr *attr = &(struct ibv_device_attr){ 0 };
	struct ibv_qp_init_attr qa = { 0 };
	int cqe;

	if (ibv_query_device(q->dev->verbs, attr))
		return -errno;
	q->send_depth = q->recv_depth * 3;
	if (q->send_depth > attr->max_qp_wr)
		q->send_depth = attr->max_qp_wr;
	q->send_credits = q->send_depth;
	cqe = q->recv_depth + q->send_depth;
	q->channel = ibv_create_comp_channel(q->dev->verbs);
	if (!q->channel)
		return -errno;
	q->cq = ibv_create_cq(q->dev->verbs, cqe, q, q->channel, 0);
	if (!q->cq)
		return -errno;
	qa.send_cq = q->cq;
	qa.recv_cq = q->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = (uint32_t)q->send_depth;
	qa.cap.max_recv_wr = (uint32_t)q->recv_depth;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 2;
	if (rdma_create_qp(q->cm_id, q->dev->pd, &qa))
		return -errno;
	return 0;
}

/* Main thread: the only place that releases a queue's RDMA objects. */
static void queue_release(void *arg)
{
	struct rdma_queue *q = arg;

	TAILQ_REMOVE(&rdma_queues, q, link);
	if (q->cm_id && q->cm_id->qp)
		rdma_destroy_qp(q->cm_id);
	if (q->cq)
		ibv_destroy_cq(q->cq);
	if (q->channel)
		ibv_destroy_comp_channel(q->channel);
	if (q->data_mr)
		ibv_dereg_mr(q->data_mr);
	if (q->cqe_mr)
		ibv_dereg_mr(q->cqe_mr);
	if (q->inline_mr)
		ibv_dereg_mr(q->inline_mr);
	if (q->cmd_mr)
		ibv_dereg_mr(q->cmd_mr);
	if (q->cm_id)
		rdma_destroy_id(q->cm_id);
	if (q->dev)
		dev_put(q->dev);
	if (q->sq.ctrl)
		nvmet_ctrl_put(q->sq.ctrl);
	nvmf_obj_debug(q->sq.log_prefix, "released");
	free(q->cmds);
	free(q->cmd_buf);
	free(q->inline_buf);
	free(q->rsps);
	free(q->cqes);
	free(q->data_buf);
	free(q->free_chunks);
	free(q);
}

/* Worker: start polling (the queue's objects exist, receives are posted). */
static void queue_start(void *arg)
{
	struct rdma_queue *q = arg;

	q->watch = nvmf_watch_add(q->sq.worker->loop, q->channel->fd, EPOLLIN,
				  cq_event, q);
	if (!q->watch || ibv_req_notify_cq(q->cq, 0)) {
		queue_fatal(q, "cannot watch the completion queue");
		return;
	}
	poll_cq(q);
}

/* Worker, in its own work item: give the queue to the main thread. */
static void queue_handover(void *arg)
{
	struct rdma_queue *q = arg;

	nvmf_loop_post(q->tgt->loop, queue_release, q);
}

/*
 * Worker: stop the data path.  Runs again from rdma_queue_response() while
 * backend operations drain; the last call hands the queue to the main
 * thread for release.
 */
static void queue_stop(void *arg)
{
	struct rdma_queue *q = arg;

	if (!q->stopping) {
		q->stopping = true;
		if (q->watch)
			nvmf_watch_del(q->watch);
		q->watch = NULL;
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
static void rdma_disconnect_queue(struct nvmet_sq *sq)
{
	struct rdma_queue *q = container_of(sq, struct rdma_queue, sq);

	rdma_disconnect(q->cm_id);
}

/* nvmet_transport_ops.local_traddr: our address on this connection. */
static void rdma_local_traddr(struct nvmet_sq *sq, char *buf, size_t size)
{
	struct rdma_queue *q = container_of(sq, struct rdma_queue, sq);
	struct sockaddr *sa = rdma_get_local_addr(q->cm_id);

	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf,
			  (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr,
			  buf, (socklen_t)size);
}

/* ---- connection manager (main thread) ---------------------------------------- */

static int reject(struct rdma_cm_id *id, uint16_t status)
{
	struct nvme_rdma_cm_rej rej = {
		.recfmt = htole16(NVME_RDMA_CM_FMT_1_0),
		.sts = htole16(status),
	};

	nvmf_info("rdma: rejecting a connection: status %u", status);
	rdma_reject(id, &rej, sizeof(rej));
	return -1; /* the caller destroys the id after the ack */
}

/*
 * Validate the CM private data; return 0 or a reject status.  Over IB and
 * RoCE the CM pads a REQ's private data to 56 bytes, so a request that was
 * too short arrives with zeroed fields: a zero hrqsize is rejected.
 */
static uint16_t check_cm_req(struct rdma_cm_event *ev, struct nvmet_port *port,
			     struct nvme_rdma_cm_req *req)
{
	uint16_t hsqsize;

	if (!ev->param.conn.private_data ||
	    ev->param.conn.private_data_len < sizeof(*req))
		return NVME_RDMA_CM_INVALID_LEN;
	memcpy(req, ev->param.conn.private_data, sizeof(*req));
	if (le16toh(req->recfmt) != NVME_RDMA_CM_FMT_1_0)
		return NVME_RDMA_CM_INVALID_RECFMT;
	hsqsize = le16toh(req->hsqsize);
	if (le16toh(req->qid) == 0 && hsqsize > NVME_AQ_DEPTH - 1)
		return NVME_RDMA_CM_INVALID_HSQSIZE;
	if (hsqsize >= port->cfg->max_queue_size)
		return NVME_RDMA_CM_INVALID_HSQSIZE;
	if (le16toh(req->qid) > NVMET_MAX_IO_QUEUES)
		return NVME_RDMA_CM_INVALID_QID;
	if (!le16toh(req->hrqsize))
		return NVME_RDMA_CM_INVALID_HRQSIZE;
	return 0;
}

static int accept_queue(struct rdma_queue *q, struct rdma_cm_event *ev)
{
	struct nvme_rdma_cm_rep rep = {
		.recfmt = htole16(NVME_RDMA_CM_FMT_1_0),
		.crqsize = htole16((uint16_t)q->recv_depth),
	};
	struct rdma_conn_param p = {
		.private_data = &rep,
		.private_data_len = sizeof(rep),
		.rnr_retry_count = 7,
		.flow_control = 1,
	};
	struct ibv_device_attr attr;

	if (ibv_query_device(q->dev->verbs, &attr))
		return -errno;
	p.initiator_depth = ev->param.conn.initiator_depth;
	if (p.initiator_depth > attr.max_qp_init_rd_atom)
		p.initiator_depth = (uint8_t)attr.max_qp_init_rd_atom;
	p.responder_resources = ev->param.conn.responder_resources;
	if (p.responder_resources > attr.max_qp_rd_atom)
		p.responder_resources = (uint8_t)attr.max_qp_rd_atom;
	q->read_credits = p.initiator_depth ? p.initiator_depth : 1;
	if (rdma_accept(q->cm_id, &p))
		return -errno;
	return 0;
}

static int handle_connect_request(struct rdma_cm_event *ev)
{
	struct rdma_listener *l = ev->listen_id->context;
	struct nvme_rdma_cm_req creq;
	struct rdma_queue *q;
	uint16_t status;
	int ret;

	status = check_cm_req(ev, l->port, &creq);
	if (status)
		return reject(ev->id, status);
	q = calloc(1, sizeof(*q));
	if (!q)
		return reject(ev->id, NVME_RDMA_CM_NO_RSC);
	q->type = CTX_QUEUE;
	q->tgt = l->port->tgt;
	q->cm_id = ev->id;
	q->sq.port = l->port;
	q->sq.ops = &nvmet_rdma_ops;
	q->sq.qid = le16toh(creq.qid);
	q->recv_depth = le16toh(creq.hsqsize) + 1;
	q->sq.size = (uint16_t)q->recv_depth;
	q->sq.inline_data_size = q->sq.qid ? l->port->cfg->inline_data_size : 0;
	q->nr_rsps = q->recv_depth * 2;
	q->nr_chunks = q->recv_depth;
	TAILQ_INIT(&q->free_rsps);
	TAILQ_INIT(&q->wait_cmds);
	TAILQ_INIT(&q->wait_data);
	TAILQ_INIT(&q->wait_send);
	nvmet_sq_init(&q->sq);
	snprintf(q->sq.log_prefix, sizeof(q->sq.log_prefix), "queue ?/%u",
		 q->sq.qid);
	TAILQ_INSERT_TAIL(&rdma_queues, q, link);
	ev->id->context = q;

	q->dev = dev_get(ev->id->verbs);
	ret = q->dev ? 0 : -ENOMEM;
	if (!ret)
		ret = queue_create_qp(q);
	if (!ret)
		ret = queue_alloc_cmds(q);
	if (!ret)
		ret = queue_alloc_rsps(q);
	for (int i = 0; !ret && i < q->recv_depth; i++)
		ret = post_recv(&q->cmds[i]) ? -EIO : 0;
	if (ret) {
		nvmf_obj_warn(q->sq.log_prefix, "cannot set up: %s",
			      strerror(-ret));
		if (q->cm_id->qp)
			rdma_destroy_qp(q->cm_id);
		q->cm_id = NULL; /* destroyed by the caller */
		queue_release(q);
		return reject(ev->id, NVME_RDMA_CM_NO_RSC);
	}
	q->sq.worker = nvmet_pick_worker(q->tgt);
	nvmf_loop_post(q->sq.worker->loop, queue_start, q);
	if (accept_queue(q, ev)) {
		nvmf_obj_warn(q->sq.log_prefix, "rdma_accept: %s",
			      strerror(errno));
		q->state = Q_STOPPING;
		nvmf_loop_post(q->sq.worker->loop, queue_stop, q);
		return 0;
	}
	nvmf_obj_debug(q->sq.log_prefix,
		       "accepted: depth %d, worker %d, read depth %d",
		       q->recv_depth, q->sq.worker->index, q->read_credits);
	return 0;
}

static void queue_disconnected(struct rdma_queue *q, const char *why)
{
	if (q->state == Q_STOPPING)
		return;
	nvmf_obj_debug(q->sq.log_prefix, "%s", why);
	q->state = Q_STOPPING;
	rdma_disconnect(q->cm_id);
	nvmf_loop_post(q->sq.worker->loop, queue_stop, q);
}

static void handle_queue_event(struct rdma_queue *q, struct rdma_cm_event *ev)
{
	switch (ev->event) {
	case RDMA_CM_EVENT_ESTABLISHED:
		if (q->state == Q_CONNECTING)
			q->state = Q_LIVE;
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
		queue_disconnected(q, rdma_event_str(ev->event));
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		device_removed(q->cm_id->verbs);
		queue_disconnected(q, rdma_event_str(ev->event));
		break;
	default:
		break;
	}
}

/* Return: true if the listener must be dropped (after the event's ack). */
static bool handle_listener_event(struct rdma_listener *l,
				  struct rdma_cm_event *ev)
{
	switch (ev->event) {
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		if (l->cm_id->verbs)
			device_removed(l->cm_id->verbs);
		/* fall through */
	case RDMA_CM_EVENT_ADDR_CHANGE:
		nvmf_obj_warn(l->port->log_prefix, "listener: %s",
			      rdma_event_str(ev->event));
		return true;
	default:
		return false;
	}
}

/*
 * The listener's device went away: release its cm_id at once (the device
 * cannot be deleted while we hold it) and let the port be repaired.
 */
static void drop_listener(struct rdma_listener *l, const char *why)
{
	struct nvmet_port *port = l->port;

	rdma_destroy_id(l->cm_id);
	port->priv = NULL;
	free(l);
	nvmet_port_set_error(port, why);
	nvmet_port_set_state(port, NVMET_PORT_REPAIRING, why);
}

static void cm_event_cb(void *arg, uint32_t events)
{
	struct rdma_listener *drop = NULL;
	struct rdma_cm_id *destroy = NULL;
	enum rdma_ctx_type *type;
	struct rdma_cm_event *ev;
	const char *why = NULL;

	(void)arg;
	(void)events;
	if (rdma_get_cm_event(cm_channel, &ev))
		return;
	if (ev->event == RDMA_CM_EVENT_CONNECT_REQUEST) {
		if (handle_connect_request(ev))
			destroy = ev->id;
	} else {
		type = ev->id->context;
		if (type && *type == CTX_QUEUE) {
			handle_queue_event((struct rdma_queue *)type, ev);
		} else if (type && *type == CTX_LISTENER &&
			   handle_listener_event((struct rdma_listener *)type,
						 ev)) {
			drop = (struct rdma_listener *)type;
			why = rdma_event_str(ev->event);
		}
	}
	/* a cm_id is never destroyed before its event is acknowledged */
	rdma_ack_cm_event(ev);
	if (destroy)
		rdma_destroy_id(destroy);
	if (drop)
		drop_listener(drop, why);
}

/* ---- listeners ------------------------------------------------------------------ */

static int port_sockaddr(const struct nvmf_cfg_port *c,
			 struct sockaddr_storage *ss)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res;
	int ret;

	hints.ai_family = c->adrfam == NVMF_ADDR_FAMILY_IP6 ? AF_INET6 :
							      AF_INET;
	ret = getaddrinfo(c->traddr, c->trsvcid, &hints, &res);
	if (ret)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static int rdma_listen_port(struct nvmet_port *port)
{
	struct rdma_listener *l;
	struct sockaddr_storage ss;
	int ret, afonly = 1;

	ret = port_sockaddr(port->cfg, &ss);
	if (ret)
		return ret;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->type = CTX_LISTENER;
	l->port = port;
	if (rdma_create_id(cm_channel, &l->cm_id, l, RDMA_PS_TCP))
		goto out_errno;
	if (ss.ss_family == AF_INET6)
		rdma_set_option(l->cm_id, RDMA_OPTION_ID, RDMA_OPTION_ID_AFONLY,
				&afonly, sizeof(afonly));
	if (rdma_bind_addr(l->cm_id, (struct sockaddr *)&ss) ||
	    rdma_listen(l->cm_id, RDMA_LISTEN_BACKLOG))
		goto out_destroy;
	port->priv = l;
	return 0;

out_destroy:
	ret = -errno;
	rdma_destroy_id(l->cm_id);
	free(l);
	return ret;
out_errno:
	ret = -errno;
	free(l);
	return ret;
}

static void rdma_stop_listen(struct nvmet_port *port)
{
	struct rdma_listener *l = port->priv;

	if (!l)
		return;
	rdma_destroy_id(l->cm_id);
	free(l);
	port->priv = NULL;
}

int nvmet_rdma_init(struct nvmet_tgt *tgt)
{
	cm_channel = rdma_create_event_channel();
	if (!cm_channel) {
		nvmf_err("cannot open the RDMA connection manager "
			 "(/dev/infiniband/rdma_cm, module rdma_ucm): %s",
			 strerror(errno));
		return -errno;
	}
	cm_watch = nvmf_watch_add(tgt->loop, cm_channel->fd, EPOLLIN,
				  cm_event_cb, tgt);
	resync_timer = nvmf_timer_create(tgt->loop, resync_devices, NULL);
	if (!cm_watch || !resync_timer) {
		nvmf_watch_del(cm_watch);
		rdma_destroy_event_channel(cm_channel);
		return -errno;
	}
	return 0;
}

/* Disconnect every queue; the loop must keep running until they are gone. */
void nvmet_rdma_disconnect_all(void)
{
	struct rdma_queue *q;

	TAILQ_FOREACH(q, &rdma_queues, link)
		queue_disconnected(q, "shutting down");
}

bool nvmet_rdma_idle(void)
{
	return TAILQ_EMPTY(&rdma_queues);
}

void nvmet_rdma_exit(struct nvmet_tgt *tgt)
{
	(void)tgt;
	nvmf_timer_destroy(resync_timer);
	nvmf_watch_del(cm_watch);
	rdma_destroy_event_channel(cm_channel);
}

const struct nvmet_transport_ops nvmet_rdma_ops = {
	.name = "rdma",
	.listen = rdma_listen_port,
	.stop_listen = rdma_stop_listen,
	.queue_response = rdma_queue_response,
	.disconnect_queue = rdma_disconnect_queue,
	.local_traddr = rdma_local_traddr,
};

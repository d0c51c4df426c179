// SPDX-License-Identifier: GPL-2.0
/*
 * The host's RDMA transport (REFERENCE sections 2-4): one RC queue pair
 * per NVMe queue, set up with the RDMA connection manager (resolve
 * address, resolve route, QP, connect with the NVMe-oF private data), and
 * command capsules sent with keyed SGLs (or in-capsule data for small
 * writes when the controller takes them).
 *
 * Ownership: every verbs object belongs to exactly one place.  A queue
 * owns its cm_id, QP, CQ, buffer, MR and memory windows (released first:
 * a bound window holds the QP and the MR); the controller's transport state
 * (struct rdma_ctrl) owns the PD, the completion channel, the async event
 * watch and the MRs of registered regions.  Teardown (queue_teardown, then
 * ctrl_release) destroys all of them at once - on DEVICE_REMOVAL too,
 * since `rdma link delete` waits for it - and the next connect attempt
 * creates them again on whatever device the route resolves to.  The
 * cm_ids go last (queue_teardown parks them for ctrl_release): the
 * context the controller's objects live on is librdmacm's, and it may
 * close it when the last cm_id on a removed device is destroyed
 * (common/rdma_dev.h).
 *
 * Remote access: the target gets an rkey for one request's data only, for
 * that request's life, as the kernel host's per-I/O memory registration
 * does.  Memory is registered for local access and memory-window binding;
 * each command slot has a type 2 memory window, bound to the request's
 * buffer (remote write for a read, remote read for a write) by a BIND_MW
 * work request posted with the command, and the SGL asks the target to
 * invalidate it with its response (SEND with invalidate).  A response that
 * did not invalidate it is held until a LOCAL_INV completes, so no rkey
 * outlives its request.  A device without type 2 windows (or
 * opts.persistent_rkeys) falls back to registering the data buffers for
 * remote access for the life of the connection, and says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <rdma/rdma_cma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ctrl.h"
#include "names.h"
#include "nvme_rdma.h"
#include "rdma_dev.h"

#define RESOLVE_TMO_MS 3000 /* as the kernel host */
#define CONNECT_TMO_MS 1500 /* CM REQ to ESTABLISHED; then a new attempt */
#define ICD_MAX	       (16u * 1024)
#define WR_RECV	       (1ull << 32)
#define WR_SEND	       (2ull << 32)
#define WR_INV	       (4ull << 32) /* local invalidate of a slot's window */
#define WR_BIND	       (8ull << 32) /* unsignaled: seen only on errors */
#define CQ_BATCH       32
/*
 * Bounce buffers (for data outside registered memory) per queue: fewer
 * than the queue's slots - applications that care use registered buffers
 * (nvmf_buf_alloc) - and a request that finds none waits for one.  Made
 * when a request first needs one: 4 MiB to map and register that most
 * queues never use (the NBD and FUSE exports use registered buffers) cost
 * more than anything else in setting an I/O queue up, which every
 * controller does again after a device reset.
 */
#define BOUNCE_IO    32
#define BOUNCE_ADMIN 4

struct rdma_region {
	TAILQ_ENTRY(rdma_region) link;
	void *addr;
	size_t len;
	struct ibv_mr *mr; /* on the current device, or NULL */
};

struct rdma_hq;

struct rdma_ctrl {
	struct nvmf_ctrl *ctrl;
	struct rdma_event_channel *ec;
	struct nvmf_watch *ec_watch;
	struct nvmf_watch *devs_watch; /* removed devices (rdma_dev.h) */
	struct ibv_context *verbs; /* librdmacm's, while we hold a PD on it */
	struct ibv_pd *pd;
	struct ibv_comp_channel *cc;
	struct nvmf_watch *cc_watch;
	struct nvmf_watch *async_watch;
	int max_rd_atom;
	bool use_mw;  /* per-I/O memory windows on this device */
	bool rxe;     /* soft-RoCE: see wc_invalidated() */
	uint32_t gen; /* bumped by ctrl_release: stop touching old objects */
	TAILQ_HEAD(, rdma_region) regions;
	TAILQ_HEAD(, rdma_hq) parked; /* torn down; cm_id destroyed last */
};

enum {
	SLOT_SENT = 1,
	SLOT_SEND_DONE = 2,
	SLOT_RESP = 4,
	SLOT_BOUNCE = 8,
	SLOT_MW = 16,  /* the slot's window is bound: the target has access */
	SLOT_INV = 32, /* a local invalidate of it is posted */
	/* its response came before its send-side completions (send_waits) */
	SLOT_WAIT = 64,
};

/* A slot's work requests: built at submission, posted then or at the
 * end of the completion pass (rq->batch). */
struct rdma_slot_wr {
	struct ibv_send_wr bind, send;
	struct ibv_sge sge[2];
};

struct rdma_recv_wr {
	struct ibv_recv_wr wr;
	struct ibv_sge sge;
};

struct rdma_hq {
	struct nvmf_hq *hq;
	struct rdma_ctrl *rc;
	struct rdma_cm_id *id;
	struct nvmf_rdma_dev *rdev; /* the cm_id's device, once bound */
	TAILQ_ENTRY(rdma_hq) park;
	/*
	 * Receives complete on cq, always armed: a response wakes the loop.
	 * Sends, windows and invalidates complete on scq, reaped in the same
	 * pass and armed only while a response waits for one (send_waits):
	 * otherwise a command's send completion would cost a wake-up of its
	 * own, before its response.
	 */
	struct ibv_cq *cq;
	struct ibv_cq *scq;
	uint32_t send_waits; /* slots with SLOT_WAIT */
	bool scq_armed;
	struct ibv_mr *mr;
	uint8_t *buf; /* sends | receives */
	size_t buf_len;
	uint32_t stride; /* bytes per send slot: SQE + in-capsule data */
	uint32_t icd_max;
	uint8_t *send;
	struct nvme_completion *recv;
	uint8_t *bounce; /* nr_bounce chunks, made on first need */
	struct ibv_mr *bounce_mr;
	uint16_t nr_bounce;
	uint16_t nr_bounce_free;
	uint16_t *bounce_free; /* stack of free bounce chunks */
	uint16_t *slot_bounce; /* chunk of a slot (when SLOT_BOUNCE) */
	uint8_t *slot_flags;
	struct nvme_completion *slot_cqe;
	struct ibv_mw **slot_mw; /* per slot, with use_mw; ->rkey: current */
	uint32_t nr_mw;
	struct rdma_slot_wr *slot_wr;
	/*
	 * Inside a completion pass (nesting depth), submissions are chained
	 * here and posted with one doorbell at its end (rq_flush).
	 */
	unsigned int batch;
	struct ibv_send_wr *pend_head, *pend_tail;
	unsigned int pend_wrs;
	struct rdma_recv_wr *recv_wr; /* per receive */
	struct ibv_recv_wr *rpend_head, *rpend_tail;
	struct nvmf_timer *cm_timer;
	bool established;
	bool failed;
	/* setup phases, for the debug log: start, then the end of each */
	uint64_t t_start, t_resolved, t_cq, t_mr, t_bufs, t_qp;
};

static struct rdma_ctrl *rctrl(struct nvmf_ctrl *c)
{
	return c->tp;
}

static void hq_fail(struct rdma_hq *rq, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void hq_fail(struct rdma_hq *rq, int err, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	if (rq->failed)
		return;
	rq->failed = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	nvmf_hq_transport_error(rq->hq, err, why);
}

/* ---- regions ------------------------------------------------------------------ */

/* Access for memory the target may reach: through windows only, if we can. */
static int data_access(const struct rdma_ctrl *rc)
{
	return IBV_ACCESS_LOCAL_WRITE |
	       (rc->use_mw ? IBV_ACCESS_MW_BIND :
			     IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
}

static int region_reg(struct rdma_ctrl *rc, struct rdma_region *r)
{
	r->mr = ibv_reg_mr(rc->pd, r->addr, r->len, data_access(rc));
	return r->mr ? 0 : -errno;
}

static int rdma_mr_add(struct nvmf_ctrl *c, void *buf, size_t len)
{
	struct rdma_ctrl *rc = rctrl(c);
	struct rdma_region *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	r->addr = buf;
	r->len = len;
	if (rc->pd) {
		ret = region_reg(rc, r);
		if (ret) {
			free(r);
			return ret;
		}
	}
	TAILQ_INSERT_TAIL(&rc->regions, r, link);
	return 0;
}

static void rdma_mr_del(struct nvmf_ctrl *c, void *buf)
{
	struct rdma_ctrl *rc = rctrl(c);
	struct rdma_region *r;

	TAILQ_FOREACH(r, &rc->regions, link) {
		if (r->addr != buf)
			continue;
		TAILQ_REMOVE(&rc->regions, r, link);
		if (r->mr)
			ibv_dereg_mr(r->mr);
		free(r);
		return;
	}
}

static struct ibv_mr *region_find(struct rdma_ctrl *rc, const void *buf,
				  size_t len)
{
	const uint8_t *b = buf;
	struct rdma_region *r;

	TAILQ_FOREACH(r, &rc->regions, link) {
		const uint8_t *a = r->addr;

		if (r->mr && b >= a && b + len <= a + r->len)
			return r->mr;
	}
	return NULL;
}

/* ---- completions ------------------------------------------------------------ */

static void slot_deliver(struct rdma_hq *rq, uint16_t cid)
{
	struct nvmf_req *req = nvmf_slots_find(&rq->hq->slots, cid);

	if (rq->slot_flags[cid] & SLOT_BOUNCE) {
		uint16_t b = rq->slot_bounce[cid];

		if (req && (req->flags & NVMF_REQ_TO_HOST)) {
			memcpy(req->buf,
			       rq->bounce + (size_t)b * NVMF_HOST_MAX_IO,
			       req->len);
			hq_stat(rq->hq, NVMF_STAT_COPIES, 1);
		}
		rq->bounce_free[rq->nr_bounce_free++] = b;
	}
	if (rq->slot_flags[cid] & SLOT_WAIT)
		rq->send_waits--;
	rq->slot_flags[cid] = 0;
	nvmf_hq_complete(rq->hq, &rq->slot_cqe[cid]);
}

/* Receive i's work request, built once when the queue is set up. */
static void recv_wr_init(struct rdma_hq *rq, uint32_t i)
{
	struct rdma_recv_wr *r = &rq->recv_wr[i];

	r->sge = (struct ibv_sge){
		.addr = (uintptr_t)&rq->recv[i],
		.length = sizeof(struct nvme_completion),
		.lkey = rq->mr->lkey,
	};
	r->wr = (struct ibv_recv_wr){ .wr_id = WR_RECV | i,
				      .sg_list = &r->sge,
				      .num_sge = 1 };
}

/* Receive i again: now, or chained to the end of the completion pass. */
static int post_recv(struct rdma_hq *rq, uint32_t i)
{
	struct rdma_recv_wr *r = &rq->recv_wr[i];
	struct ibv_recv_wr *bad;

	r->wr.next = NULL;
	if (rq->batch) {
		if (rq->rpend_tail)
			rq->rpend_tail->next = &r->wr;
		else
			rq->rpend_head = &r->wr;
		rq->rpend_tail = &r->wr;
		return 0;
	}
	hq_stat(rq->hq, NVMF_STAT_RECV_POSTS, 1);
	return ibv_post_recv(rq->id->qp, &r->wr, &bad);
}

/* A slot completes once its send, its response and its window are done. */
static void slot_try_deliver(struct rdma_hq *rq, uint16_t cid)
{
	uint8_t f = rq->slot_flags[cid];

	if ((f & SLOT_SEND_DONE) && (f & SLOT_RESP) && !(f & SLOT_MW)) {
		slot_deliver(rq, cid);
	} else if ((f & SLOT_RESP) && !(f & SLOT_WAIT)) {
		/* the rest comes on the send CQ: it must wake us (rq_reap) */
		rq->slot_flags[cid] |= SLOT_WAIT;
		rq->send_waits++;
	}
}

/* The target did not invalidate the slot's window: do it here. */
static int post_local_inv(struct rdma_hq *rq, uint16_t cid)
{
	struct ibv_send_wr wr = { .wr_id = WR_INV | cid,
				  .opcode = IBV_WR_LOCAL_INV,
				  .send_flags = IBV_SEND_SIGNALED,
				  .invalidate_rkey = rq->slot_mw[cid]->rkey },
			   *bad;

	rq->slot_flags[cid] |= SLOT_INV;
	hq_stat(rq->hq, NVMF_STAT_SEND_DOORBELLS, 1);
	hq_stat(rq->hq, NVMF_STAT_SEND_WRS, 1);
	return ibv_post_send(rq->id->qp, &wr, &bad);
}

/* RXE_VENDOR_ID in the kernel's drivers/infiniband/sw/rxe */
#define RXE_VENDOR_ID 0xffffff

/*
 * Did the target's SEND invalidate an rkey?  rxe writes the kernel's
 * IB_WC_WITH_INVALIDATE (bit 2, which is IBV_WC_IP_CSUM_OK in user space)
 * into user completion queues, not IBV_WC_WITH_INV (bit 3), so on rxe both
 * count: a local invalidate of a window already invalidated crashes rxe
 * (6.1's rxe_do_invalidate_mw puts the window's NULL QP).
 */
static bool wc_invalidated(const struct rdma_ctrl *rc, const struct ibv_wc *wc)
{
	return (wc->wc_flags & IBV_WC_WITH_INV) ||
	       (rc->rxe && (wc->wc_flags & IBV_WC_IP_CSUM_OK));
}

static void handle_recv(struct rdma_hq *rq, const struct ibv_wc *wc)
{
	uint32_t i = (uint32_t)wc->wr_id;
	struct nvme_completion cqe = rq->recv[i];
	uint16_t cid = cqe.command_id;

	if (rq->failed)
		return; /* no local invalidate on a queue being torn down */
	if (post_recv(rq, i)) {
		hq_fail(rq, -EIO, "cannot post a receive");
		return;
	}
	if (cid >= rq->hq->slots.depth || !(rq->slot_flags[cid] & SLOT_SENT)) {
		hq_fail(rq, -EPROTO, "response for unknown command id %u", cid);
		return;
	}
	if (rq->slot_flags[cid] & SLOT_RESP) {
		hq_fail(rq, -EPROTO, "second response for command id %u", cid);
		return;
	}
	rq->slot_cqe[cid] = cqe;
	rq->slot_flags[cid] |= SLOT_RESP;
	if (wc_invalidated(rq->rc, wc)) {
		/* only the window we gave this command may be invalidated */
		if (!(rq->slot_flags[cid] & SLOT_MW) ||
		    wc->invalidated_rkey != rq->slot_mw[cid]->rkey) {
			hq_fail(rq, -EPROTO,
				"response for command id %u invalidated rkey "
				"0x%x, not its own",
				cid, wc->invalidated_rkey);
			return;
		}
		rq->slot_flags[cid] &= (uint8_t)~SLOT_MW;
	} else if (rq->slot_flags[cid] & SLOT_MW) {
		if (post_local_inv(rq, cid)) {
			hq_fail(rq, -EIO, "cannot post a local invalidate");
			return;
		}
	}
	slot_try_deliver(rq, cid);
}

static void handle_send(struct rdma_hq *rq, uint64_t wr_id)
{
	uint16_t cid = (uint16_t)wr_id;

	if (cid >= rq->hq->slots.depth)
		return;
	if (wr_id & WR_INV)
		rq->slot_flags[cid] &= (uint8_t) ~(SLOT_MW | SLOT_INV);
	else
		rq->slot_flags[cid] |= SLOT_SEND_DONE;
	slot_try_deliver(rq, cid);
}

/* Return: false when the queue went away under us. */
static bool handle_wc(struct rdma_ctrl *rc, struct rdma_hq *rq,
		      const struct ibv_wc *wc, uint32_t gen)
{
	if (wc->status != IBV_WC_SUCCESS) {
		if (!rq->failed)
			hq_fail(rq, -EIO, "work completion error: %s",
				ibv_wc_status_str(wc->status));
		return rc->gen == gen;
	}
	if (wc->wr_id & WR_RECV)
		handle_recv(rq, wc);
	else
		handle_send(rq, wc->wr_id);
	return rc->gen == gen;
}

/*
 * Post what the completion pass submitted and the receives it reposted:
 * one call for each.  The receives go first, ready for the responses.
 */
static void rq_flush(struct rdma_hq *rq)
{
	struct ibv_send_wr *head = rq->pend_head, *bad;
	struct ibv_recv_wr *rhead = rq->rpend_head, *rbad;
	unsigned int n = rq->pend_wrs;

	if (rhead) {
		rq->rpend_head = rq->rpend_tail = NULL;
		if (!rq->failed) {
			hq_stat(rq->hq, NVMF_STAT_RECV_POSTS, 1);
			if (ibv_post_recv(rq->id->qp, rhead, &rbad))
				hq_fail(rq, -EIO, "cannot post receives");
		}
	}
	if (!head)
		return;
	rq->pend_head = rq->pend_tail = NULL;
	rq->pend_wrs = 0;
	if (rq->failed)
		return; /* its requests go with the queue */
	hq_stat(rq->hq, NVMF_STAT_SEND_DOORBELLS, 1);
	hq_stat(rq->hq, NVMF_STAT_SEND_WRS, n);
	if (ibv_post_send(rq->id->qp, head, &bad)) {
		hq_fail(rq, -EIO, "cannot post %u work requests", n);
		return;
	}
	/* each window's key is its new one only once its bind is posted */
	for (; head; head = head->next)
		if (head->opcode == IBV_WR_BIND_MW)
			head->bind_mw.mw->rkey = head->bind_mw.rkey;
}

static void rq_batch_end(struct rdma_hq *rq)
{
	if (!--rq->batch)
		rq_flush(rq);
}

/* Ask for the next completion event.  Return: 0, or -EIO (queue failed). */
static int cq_arm(struct rdma_hq *rq, struct ibv_cq *cq)
{
	hq_stat(rq->hq, NVMF_STAT_CQ_ARMS, 1);
	if (ibv_req_notify_cq(cq, 0)) {
		hq_fail(rq, -EIO, "cannot arm the completion queue");
		return -EIO;
	}
	if (cq == rq->scq)
		rq->scq_armed = true;
	return 0;
}

/* Poll one CQ empty.  Return: false when the queue went away under us. */
static bool cq_drain(struct rdma_ctrl *rc, struct rdma_hq *rq,
		     struct ibv_cq *cq, uint32_t gen, int *total)
{
	struct ibv_wc wc[CQ_BATCH];
	int n, i;

	do {
		n = ibv_poll_cq(cq, CQ_BATCH, wc);
		hq_stat(rq->hq, NVMF_STAT_CQ_POLLS, 1);
		if (n > 0) {
			hq_stat(rq->hq, NVMF_STAT_WCS, (uint64_t)n);
			*total += n;
		}
		for (i = 0; i < n; i++)
			if (!handle_wc(rc, rq, &wc[i], gen))
				return false;
	} while (n == CQ_BATCH);
	return true;
}

/*
 * One completion pass over both CQs: sends first, so that a response
 * reaped after its send completes at once.  A response left waiting for a
 * send-side completion arms the send CQ, then looks once more (what
 * completed before the arm raises no event).  Return: the completions
 * reaped, or -1 when the queue went away under us.
 */
static int rq_reap(struct rdma_ctrl *rc, struct rdma_hq *rq, uint32_t gen)
{
	int total = 0;

	if (!cq_drain(rc, rq, rq->scq, gen, &total) ||
	    !cq_drain(rc, rq, rq->cq, gen, &total))
		return -1;
	if (!rq->send_waits || rq->scq_armed || rq->failed ||
	    rc->ctrl->cqs_unarmed || hq_owner_polls(rq->hq))
		return total;
	if (cq_arm(rq, rq->scq))
		return total; /* the queue failed: hq_fail said why */
	return cq_drain(rc, rq, rq->scq, gen, &total) ? total : -1;
}

static void cq_event_cb(void *arg, uint32_t events)
{
	struct rdma_ctrl *rc = arg;
	uint32_t gen = rc->gen;
	struct rdma_hq *rq;
	struct ibv_cq *cq;
	pthread_mutex_t *m;
	void *ctx;
	int n;

	(void)events;
	while (rc->gen == gen && !ibv_get_cq_event(rc->cc, &cq, &ctx)) {
		rq = ctx;
		ibv_ack_cq_events(cq, 1);
		m = hq_lock(rq->hq);
		hq_stat(rq->hq, NVMF_STAT_CQ_WAKEUPS, 1);
		if (cq == rq->scq) {
			rq->scq_armed = false; /* rq_reap arms it if needed */
		} else if (!rc->ctrl->cqs_unarmed && !hq_owner_polls(rq->hq) &&
			   cq_arm(rq, cq)) {
			/*
			 * busy polling, or the queue's owner, reaps it: no
			 * more events wanted (rdma_arm)
			 */
			hq_unlock(m);
			return;
		}
		rq->batch++;
		n = rq_reap(rc, rq, gen);
		if (n >= 0)
			rq_batch_end(rq);
		hq_unlock(m);
		if (n < 0)
			return; /* rq is gone */
	}
}

/* Busy polling (nvmf_ctrl_poll with timeout 0): reap without an event. */
static int rdma_poll(struct nvmf_hq *hq)
{
	struct rdma_hq *rq = hq->tp;
	struct rdma_ctrl *rc;
	int n;

	if (!rq || !rq->cq || rq->failed)
		return 0;
	rc = rq->rc;
	rq->batch++;
	n = rq_reap(rc, rq, rc->gen);
	if (n < 0)
		return -1; /* rq is gone */
	rq_batch_end(rq);
	return n;
}

/* Before the loop's thread waits inside a call: nothing stays unposted. */
static void rdma_flush(struct nvmf_hq *hq)
{
	struct rdma_hq *rq = hq->tp;

	if (rq)
		rq_flush(rq);
}

/* Events again after busy polling left the completion queue unarmed. */
static int rdma_arm(struct nvmf_hq *hq)
{
	struct rdma_hq *rq = hq->tp;

	if (!rq || !rq->cq || rq->failed)
		return 0;
	if (cq_arm(rq, rq->cq))
		return -EIO;
	/* a response waiting for its send: that CQ wakes us too */
	if (rq->send_waits && !rq->scq_armed && cq_arm(rq, rq->scq))
		return -EIO;
	return 0;
}

static void async_event_cb(void *arg, uint32_t events)
{
	struct rdma_ctrl *rc = arg;
	struct ibv_async_event ev;
	char why[96];

	(void)events;
	while (rc->verbs && !ibv_get_async_event(rc->verbs, &ev)) {
		enum ibv_event_type type = ev.event_type;

		ibv_ack_async_event(&ev);
		switch (type) {
		case IBV_EVENT_DEVICE_FATAL:
		case IBV_EVENT_QP_FATAL:
		case IBV_EVENT_QP_REQ_ERR:
		case IBV_EVENT_QP_ACCESS_ERR:
		case IBV_EVENT_CQ_ERR:
			snprintf(why, sizeof(why), "RDMA async event: %s",
				 ibv_event_type_str(type));
			nvmf_ctrl_transport_error(rc->ctrl, why);
			if (type == IBV_EVENT_DEVICE_FATAL)
				nvmf_rdma_devs_check(); /* removed too? */
			return;
		default:
			nvmf_obj_debug(rc->ctrl->name, "RDMA async event: %s",
				       ibv_event_type_str(type));
		}
	}
}

/* ---- controller resources on a device ---------------------------------------- */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * Release what the controller holds on the device, then the cm_ids of the
 * queues torn down (their device references go with them: a removed
 * device is released once no cm_id is left on it, rdma_dev.h).
 */
static void rdma_ctrl_release(struct nvmf_ctrl *c)
{
	struct rdma_ctrl *rc = rctrl(c);
	struct rdma_region *r;
	struct rdma_hq *rq;

	rc->gen++;
	TAILQ_FOREACH(r, &rc->regions, link) {
		if (r->mr)
			ibv_dereg_mr(r->mr);
		r->mr = NULL;
	}
	nvmf_watch_del(rc->cc_watch);
	rc->cc_watch = NULL;
	if (rc->cc)
		ibv_destroy_comp_channel(rc->cc);
	rc->cc = NULL;
	nvmf_watch_del(rc->async_watch);
	rc->async_watch = NULL;
	if (rc->pd)
		ibv_dealloc_pd(rc->pd);
	rc->pd = NULL;
	rc->verbs = NULL;
	while ((rq = TAILQ_FIRST(&rc->parked))) {
		TAILQ_REMOVE(&rc->parked, rq, park);
		nvmf_rdma_destroy_id(rq->id, &rq->rdev);
		free(rq);
	}
}

static int ctrl_device_get(struct rdma_ctrl *rc, struct ibv_context *verbs)
{
	struct nvmf_ctrl *c = rc->ctrl;
	struct ibv_device_attr attr;
	struct rdma_region *r;
	int ret;

	if (rc->verbs == verbs)
		return 0;
	if (rc->verbs)
		return -EXDEV; /* queues on two devices: not supported */
	if (ibv_query_device(verbs, &attr))
		return -errno;
	rc->max_rd_atom = attr.max_qp_rd_atom;
	rc->rxe = attr.vendor_id == RXE_VENDOR_ID;
	rc->use_mw = !c->opts.persistent_rkeys && attr.max_mw > 0 &&
		     (attr.device_cap_flags & (IBV_DEVICE_MEM_WINDOW_TYPE_2A |
					       IBV_DEVICE_MEM_WINDOW_TYPE_2B));
	if (!rc->use_mw)
		ctrl_warn(c,
			  "%s: %s: data buffers are open to the target for "
			  "the whole connection",
			  ibv_get_device_name(verbs->device),
			  c->opts.persistent_rkeys ?
				  "persistent rkeys requested" :
				  "no type 2 memory windows");
	rc->pd = ibv_alloc_pd(verbs);
	rc->cc = ibv_create_comp_channel(verbs);
	if (!rc->pd || !rc->cc || set_nonblock(rc->cc->fd))
		goto out_release;
	rc->verbs = verbs;
	rc->cc_watch =
		nvmf_watch_add(c->loop, rc->cc->fd, EPOLLIN, cq_event_cb, rc);
	if (!rc->cc_watch)
		goto out_release;
	if (!set_nonblock(verbs->async_fd))
		rc->async_watch = nvmf_watch_add(c->loop, verbs->async_fd,
						 EPOLLIN, async_event_cb, rc);
	TAILQ_FOREACH(r, &rc->regions, link) {
		ret = region_reg(rc, r);
		if (ret)
			ctrl_warn(c, "region %p not registered: %s", r->addr,
				  strerror(-ret));
	}
	ctrl_debug(c, "using RDMA device %s",
		   ibv_get_device_name(verbs->device));
	return 0;
out_release:
	ret = errno ? -errno : -ENOMEM;
	rc->verbs = verbs;
	rdma_ctrl_release(c);
	return ret;
}

/* ---- queue setup ------------------------------------------------------------- */

static int hq_buffers(struct rdma_hq *rq)
{
	struct nvmf_hq *hq = rq->hq;
	uint32_t slots = hq->slots.depth;
	size_t send_len, recv_len;
	uint16_t i;

	rq->icd_max = hq->qid ? hq->ctrl->icd_max : 0;
	if (rq->icd_max > ICD_MAX)
		rq->icd_max = ICD_MAX;
	rq->stride = (uint32_t)sizeof(union nvme_command) + rq->icd_max;
	send_len = (size_t)slots * rq->stride;
	recv_len = (size_t)hq->size * sizeof(struct nvme_completion);
	send_len = (send_len + recv_len + 4095) & ~(size_t)4095;
	rq->nr_bounce = hq->qid ? BOUNCE_IO : BOUNCE_ADMIN;
	if (rq->nr_bounce > slots)
		rq->nr_bounce = (uint16_t)slots;
	rq->buf_len = send_len;
	rq->buf = mmap(NULL, rq->buf_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rq->buf == MAP_FAILED) {
		rq->buf = NULL;
		return -ENOMEM;
	}
	rq->send = rq->buf;
	rq->recv = (struct nvme_completion *)(rq->buf +
					      (size_t)slots * rq->stride);
	rq->slot_flags = calloc(slots, 1);
	rq->slot_cqe = calloc(slots, sizeof(*rq->slot_cqe));
	rq->slot_bounce = calloc(slots, sizeof(*rq->slot_bounce));
	rq->bounce_free = calloc(rq->nr_bounce, sizeof(*rq->bounce_free));
	rq->slot_wr = calloc(slots, sizeof(*rq->slot_wr));
	rq->recv_wr = calloc(hq->size, sizeof(*rq->recv_wr));
	if (!rq->slot_flags || !rq->slot_cqe || !rq->slot_bounce ||
	    !rq->bounce_free || !rq->slot_wr || !rq->recv_wr)
		return -ENOMEM;
	rq->mr = ibv_reg_mr(rq->rc->pd, rq->buf, rq->buf_len,
			    data_access(rq->rc));
	if (!rq->mr)
		return -errno;
	rq->t_mr = nvmf_now_ns();
	if (!rq->rc->use_mw)
		return 0;
	rq->slot_mw = calloc(slots, sizeof(*rq->slot_mw));
	if (!rq->slot_mw)
		return -ENOMEM;
	for (i = 0; i < slots; i++) {
		rq->slot_mw[i] = ibv_alloc_mw(rq->rc->pd, IBV_MW_TYPE_2);
		if (!rq->slot_mw[i])
			return errno ? -errno : -ENOMEM;
		rq->nr_mw = i + 1u;
	}
	return 0;
}

static size_t bounce_len(const struct rdma_hq *rq)
{
	return (size_t)rq->nr_bounce * NVMF_HOST_MAX_IO;
}

/* Loop thread: the queue's bounce buffers, when a request first needs one. */
static int bounce_make(struct rdma_hq *rq)
{
	size_t len = bounce_len(rq);
	uint8_t *b;
	uint16_t i;

	b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (b != MAP_FAILED) {
		rq->bounce_mr =
			ibv_reg_mr(rq->rc->pd, b, len, data_access(rq->rc));
		if (!rq->bounce_mr)
			munmap(b, len);
	}
	if (!rq->bounce_mr) {
		nvmf_obj_warn(rq->rc->ctrl->name,
			      "queue %u: cannot set up %zu bytes of bounce "
			      "buffers for unregistered memory: %s",
			      rq->hq->qid, len, strerror(errno));
		return -ENOMEM;
	}
	rq->bounce = b;
	for (i = 0; i < rq->nr_bounce; i++)
		rq->bounce_free[i] = (uint16_t)(rq->nr_bounce - 1 - i);
	rq->nr_bounce_free = rq->nr_bounce;
	hq_stat(rq->hq, NVMF_STAT_ALLOCS, 1);
	return 0;
}

static int hq_create_qp(struct rdma_hq *rq)
{
	struct nvmf_hq *hq = rq->hq;
	struct ibv_qp_init_attr qa = { 0 };
	uint32_t i;
	int ret;

	ret = ctrl_device_get(rq->rc, rq->id->verbs);
	if (ret)
		return ret;
	/* the receives; the send queue's work requests (below) */
	rq->cq = ibv_create_cq(rq->id->verbs, hq->size + 1, rq, rq->rc->cc, 0);
	if (!rq->cq || ibv_req_notify_cq(rq->cq, 0))
		return -errno;
	rq->scq =
		ibv_create_cq(rq->id->verbs,
			      hq->slots.depth * (rq->rc->use_mw ? 3u : 1u) + 1u,
			      rq, rq->rc->cc, 0);
	if (!rq->scq)
		return -errno;
	rq->t_cq = nvmf_now_ns();
	ret = hq_buffers(rq);
	if (ret)
		return ret;
	rq->t_bufs = nvmf_now_ns();
	qa.send_cq = rq->scq;
	qa.recv_cq = rq->cq;
	qa.qp_type = IBV_QPT_RC;
	/* per command: a window bind, the send, a local invalidate */
	qa.cap.max_send_wr = hq->slots.depth * (rq->rc->use_mw ? 3u : 1u) + 1u;
	qa.cap.max_recv_wr = hq->size;
	/* the capsule, and in-capsule data from a registered region */
	qa.cap.max_send_sge = 2;
	qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(rq->id, rq->rc->pd, &qa))
		return -errno;
	for (i = 0; i < hq->size; i++) {
		recv_wr_init(rq, i);
		if (post_recv(rq, i))
			return -EIO;
	}
	rq->t_qp = nvmf_now_ns();
	return 0;
}

static int hq_connect_cm(struct rdma_hq *rq)
{
	struct nvmf_hq *hq = rq->hq;
	struct nvme_rdma_cm_req req = {
		.recfmt = htole16(NVME_RDMA_CM_FMT_1_0),
		.qid = htole16(hq->qid),
		.hrqsize = htole16(hq->size),
		.hsqsize = htole16(hq->size - 1),
		.cntlid = htole16(hq->qid ? hq->ctrl->info.cntlid : 0),
	};
	struct rdma_conn_param p = {
		.private_data = &req,
		.private_data_len = sizeof(req),
		.responder_resources = (uint8_t)rq->rc->max_rd_atom,
		.initiator_depth = (uint8_t)rq->rc->max_rd_atom,
		.flow_control = 1,
		.retry_count = 7,
		.rnr_retry_count = 7,
	};

	if (rdma_connect(rq->id, &p))
		return -errno;
	nvmf_timer_arm(rq->cm_timer, CONNECT_TMO_MS, 0);
	return 0;
}

static const char *reject_reason(const struct rdma_cm_event *ev, char *buf,
				 size_t size)
{
	const struct nvme_rdma_cm_rej *rej = ev->param.conn.private_data;

	if (ev->param.conn.private_data_len >= 4 && rej && rej->sts)
		snprintf(buf, size,
			 "rejected by the target: NVMe RDMA status "
			 "%u",
			 le16toh(rej->sts));
	else
		snprintf(buf, size,
			 "connection refused: no NVMe-oF listener "
			 "at that address and port");
	return buf;
}

/* The cm_id is bound to a device: hold it (common/rdma_dev.h). */
static void hq_hold_dev(struct rdma_hq *rq)
{
	if (!rq->rdev && rq->id->verbs)
		rq->rdev = nvmf_rdma_dev_get(rq->id->verbs);
}

static unsigned long long us_between(uint64_t from_ns, uint64_t to_ns)
{
	return to_ns > from_ns ? (to_ns - from_ns) / 1000 : 0;
}

static void handle_cm_event(struct rdma_ctrl *rc, struct rdma_hq *rq,
			    struct rdma_cm_event *ev)
{
	char why[96];
	int ret;

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		hq_hold_dev(rq);
		if (rdma_resolve_route(rq->id, RESOLVE_TMO_MS))
			hq_fail(rq, -errno, "rdma_resolve_route: %s",
				strerror(errno));
		return;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		rq->t_resolved = nvmf_now_ns();
		ret = hq_create_qp(rq);
		if (!ret)
			ret = hq_connect_cm(rq);
		if (ret)
			hq_fail(rq, ret, "queue setup: %s", strerror(-ret));
		return;
	case RDMA_CM_EVENT_ESTABLISHED:
		nvmf_timer_disarm(rq->cm_timer);
		rq->established = true;
		/* where a reconnect's time goes, queue by queue */
		nvmf_obj_debug(rc->ctrl->name,
			       "queue %u: connected in %llu us (resolve %llu, "
			       "CQ %llu, buffers mapped and registered %llu, "
			       "memory windows %llu, QP %llu, CM connect %llu)",
			       rq->hq->qid,
			       us_between(rq->t_start, nvmf_now_ns()),
			       us_between(rq->t_start, rq->t_resolved),
			       us_between(rq->t_resolved, rq->t_cq),
			       us_between(rq->t_cq, rq->t_mr),
			       us_between(rq->t_mr, rq->t_bufs),
			       us_between(rq->t_bufs, rq->t_qp),
			       us_between(rq->t_qp, nvmf_now_ns()));
		nvmf_hq_transport_up(rq->hq);
		return;
	case RDMA_CM_EVENT_REJECTED:
		hq_fail(rq, -ECONNREFUSED, "%s",
			reject_reason(ev, why, sizeof(why)));
		return;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		hq_hold_dev(rq);
		nvmf_rdma_dev_removed(rq->rdev);
		snprintf(why, sizeof(why), "RDMA device %s removed",
			 nvmf_rdma_dev_name(rq->rdev));
		nvmf_ctrl_transport_error(rc->ctrl, why);
		return;
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		hq_fail(rq, ev->status ? ev->status : -EHOSTUNREACH, "%s (%s)",
			rdma_event_str(ev->event), strerror(-ev->status));
		return;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		hq_fail(rq, -ECONNRESET, "%s", rdma_event_str(ev->event));
		return;
	default:
		nvmf_obj_debug(rc->ctrl->name, "queue %u: CM event %s",
			       rq->hq->qid, rdma_event_str(ev->event));
	}
}

static void cm_event_cb(void *arg, uint32_t events)
{
	struct rdma_ctrl *rc = arg;
	struct rdma_cm_event *ev, copy;
	uint8_t pdata[64];

	(void)events;
	while (!nvmf_rdma_get_cm_event(rc->ec, &ev)) {
		struct rdma_hq *rq = ev->id->context;

		/* ack first: teardown destroys the id, which waits for acks */
		copy = *ev;
		if (ev->param.conn.private_data_len &&
		    ev->param.conn.private_data) {
			size_t n = ev->param.conn.private_data_len;

			memcpy(pdata, ev->param.conn.private_data,
			       n < sizeof(pdata) ? n : sizeof(pdata));
			copy.param.conn.private_data = pdata;
		}
		rdma_ack_cm_event(ev);
		if (rq) {
			pthread_mutex_t *m = hq_lock(rq->hq);

			handle_cm_event(rc, rq, &copy);
			hq_unlock(m);
		}
	}
}

static void cm_timeout(void *arg)
{
	struct rdma_hq *rq = arg;
	pthread_mutex_t *m = hq_lock(rq->hq);

	hq_fail(rq, -ETIMEDOUT, "no answer to the connect request in %u ms",
		CONNECT_TMO_MS);
	hq_unlock(m);
}

static int resolve_addrs(const struct nvmf_trid *t, struct addrinfo **dst,
			 struct addrinfo **src)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST,
		.ai_family = nvmf_adrfam_ip_af(t->adrfam),
	};

	*src = NULL;
	if (getaddrinfo(t->traddr, t->trsvcid, &hints, dst))
		return -EINVAL;
	if (t->host_traddr[0] &&
	    getaddrinfo(t->host_traddr, NULL, &hints, src)) {
		freeaddrinfo(*dst);
		return -EINVAL;
	}
	return 0;
}

/*
 * Release the queue's objects.  Its cm_id waits on the controller's
 * parked list for rdma_ctrl_release() (after the objects the controller
 * has on the device), unless the queue never got that far (park false).
 */
static void queue_release(struct nvmf_hq *hq, bool park)
{
	struct rdma_hq *rq = hq->tp;

	if (!rq)
		return;
	nvmf_timer_destroy(rq->cm_timer);
	if (rq->id && rq->id->qp && rq->established)
		rdma_disconnect(rq->id);
	/*
	 * A bound window holds its QP and its MR (rxe's destroy of a QP
	 * with windows still bound waits and warns): windows go first.
	 */
	for (uint32_t i = 0; i < rq->nr_mw; i++)
		ibv_dealloc_mw(rq->slot_mw[i]);
	free(rq->slot_mw);
	rq->nr_mw = 0;
	if (rq->id && rq->id->qp)
		rdma_destroy_qp(rq->id);
	if (rq->mr)
		ibv_dereg_mr(rq->mr);
	if (rq->bounce_mr)
		ibv_dereg_mr(rq->bounce_mr);
	if (rq->cq)
		ibv_destroy_cq(rq->cq);
	if (rq->scq)
		ibv_destroy_cq(rq->scq);
	if (rq->buf)
		munmap(rq->buf, rq->buf_len);
	if (rq->bounce)
		munmap(rq->bounce, bounce_len(rq));
	free(rq->slot_flags);
	free(rq->slot_cqe);
	free(rq->slot_bounce);
	free(rq->slot_wr);
	free(rq->recv_wr);
	free(rq->bounce_free);
	hq->tp = NULL;
	if (rq->id && park) {
		rq->id->context = NULL; /* its events are dropped */
		rq->hq = NULL;
		TAILQ_INSERT_TAIL(&rq->rc->parked, rq, park);
		return;
	}
	if (rq->id)
		nvmf_rdma_destroy_id(rq->id, &rq->rdev);
	free(rq);
}

static void rdma_queue_teardown(struct nvmf_hq *hq)
{
	queue_release(hq, true);
}

static int rdma_queue_connect(struct nvmf_hq *hq)
{
	struct nvmf_ctrl *c = hq->ctrl;
	struct rdma_ctrl *rc = rctrl(c);
	struct addrinfo *dst, *src;
	struct rdma_hq *rq = calloc(1, sizeof(*rq));
	int ret;

	if (!rq)
		return -ENOMEM;
	rq->hq = hq;
	rq->rc = rc;
	rq->t_start = nvmf_now_ns();
	hq->tp = rq;
	rq->cm_timer = nvmf_timer_create(c->loop, cm_timeout, rq);
	if (!rq->cm_timer) {
		ret = -ENOMEM;
		goto out_teardown;
	}
	if (rdma_create_id(rc->ec, &rq->id, rq, RDMA_PS_TCP)) {
		ret = -errno;
		goto out_teardown;
	}
	ret = resolve_addrs(&c->trid, &dst, &src);
	if (ret)
		goto out_teardown;
	ret = rdma_resolve_addr(rq->id, src ? src->ai_addr : NULL, dst->ai_addr,
				RESOLVE_TMO_MS);
	if (ret)
		ret = -errno;
	freeaddrinfo(dst);
	if (src)
		freeaddrinfo(src);
	if (ret)
		goto out_teardown;
	return 0;
out_teardown:
	/* nothing was created on a device: the cm_id can go now */
	queue_release(hq, false);
	return ret;
}

/* ---- submission ----------------------------------------------------------------- */

static int rdma_submit(struct nvmf_hq *hq, struct nvmf_req *req)
{
	struct rdma_hq *rq = hq->tp;
	bool to_host = req->flags & NVMF_REQ_TO_HOST;
	uint16_t cid = req->cid;
	struct ibv_send_wr *first, *bad;
	struct rdma_slot_wr *sw;
	uint32_t rkey = 0;
	uint64_t addr = (uintptr_t)req->buf;
	uint8_t flags = SLOT_SENT, *capsule;
	struct ibv_mr *mr = NULL;
	union nvme_command *cmd;
	unsigned int nwr;
	bool inl;
	int ret;

	if (!rq || rq->failed || req->len > NVMF_HOST_MAX_IO)
		return -EIO;
	sw = &rq->slot_wr[cid];
	sw->send = (struct ibv_send_wr){ .wr_id = WR_SEND | cid,
					 .sg_list = sw->sge,
					 .num_sge = 1,
					 .opcode = IBV_WR_SEND,
					 .send_flags = IBV_SEND_SIGNALED };
	first = &sw->send;
	capsule = rq->send + (size_t)cid * rq->stride;
	cmd = (union nvme_command *)capsule;
	*cmd = req->cmd;
	cmd->common.command_id = cid;
	inl = req->len && !to_host && req->len <= rq->icd_max;
	if (req->len)
		mr = region_find(rq->rc, req->buf, req->len);
	if (req->len && !inl) {
		if (!mr) {
			uint16_t chunk;
			uint8_t *b;

			if (!rq->bounce && bounce_make(rq))
				return -ENOMEM;
			if (!rq->nr_bounce_free)
				return -EAGAIN; /* waits for a bounce buffer */
			chunk = rq->bounce_free[--rq->nr_bounce_free];
			rq->slot_bounce[cid] = chunk;
			b = rq->bounce + (size_t)chunk * NVMF_HOST_MAX_IO;
			if (!to_host) {
				memcpy(b, req->buf, req->len);
				hq_stat(rq->hq, NVMF_STAT_COPIES, 1);
			}
			addr = (uintptr_t)b;
			mr = rq->bounce_mr;
			flags |= SLOT_BOUNCE;
		}
	}
	if (mr && !inl && rq->rc->use_mw) {
		/* open this buffer to the target for this request only */
		rkey = ibv_inc_rkey(rq->slot_mw[cid]->rkey);
		sw->bind = (struct ibv_send_wr){ .wr_id = WR_BIND | cid,
						 .opcode = IBV_WR_BIND_MW,
						 .next = &sw->send };
		sw->bind.bind_mw.mw = rq->slot_mw[cid];
		sw->bind.bind_mw.rkey = rkey;
		sw->bind.bind_mw.bind_info.mr = mr;
		sw->bind.bind_mw.bind_info.addr = addr;
		sw->bind.bind_mw.bind_info.length = req->len;
		sw->bind.bind_mw.bind_info.mw_access_flags =
			to_host ? IBV_ACCESS_REMOTE_WRITE :
				  IBV_ACCESS_REMOTE_READ;
		first = &sw->bind;
		flags |= SLOT_MW;
	} else if (mr && !inl) {
		rkey = mr->rkey;
	}
	sw->sge[0].addr = (uintptr_t)capsule;
	sw->sge[0].length = sizeof(*cmd);
	sw->sge[0].lkey = rq->mr->lkey;
	if (nvmf_sgl_build(cmd, req->len, to_host, inl ? rq->icd_max : 0, addr,
			   rkey, flags & SLOT_MW)) {
		if (mr) {
			/*
			 * Sent from where it is: the request completes only
			 * after this send did (slot_try_deliver)
			 */
			sw->sge[1].addr = (uintptr_t)req->buf;
			sw->sge[1].length = req->len;
			sw->sge[1].lkey = mr->lkey;
			sw->send.num_sge = 2;
		} else {
			memcpy(capsule + sizeof(*cmd), req->buf, req->len);
			sw->sge[0].length += req->len;
			hq_stat(rq->hq, NVMF_STAT_COPIES, 1);
		}
	}
	rq->slot_flags[cid] = flags;
	nwr = first == &sw->send ? 1 : 2;
	if (rq->batch || hq_plugged(hq)) {
		/*
		 * posted at the end of the completion pass or at the unplug,
		 * or the queue fails
		 */
		if (rq->pend_tail)
			rq->pend_tail->next = first;
		else
			rq->pend_head = first;
		rq->pend_tail = &sw->send;
		rq->pend_wrs += nwr;
		return 0;
	}
	ret = ibv_post_send(rq->id->qp, first, &bad);
	hq_stat(rq->hq, NVMF_STAT_SEND_DOORBELLS, 1);
	hq_stat(rq->hq, NVMF_STAT_SEND_WRS, nwr);
	/*
	 * The window's current key, which the provider passes with the next
	 * bind (type 2 binds through post_send do not update it).
	 */
	if ((flags & SLOT_MW) && (!ret || bad != first))
		rq->slot_mw[cid]->rkey = rkey;
	if (ret) {
		if (flags & SLOT_BOUNCE)
			rq->bounce_free[rq->nr_bounce_free++] =
				rq->slot_bounce[cid];
		rq->slot_flags[cid] = 0;
		return -EIO;
	}
	return 0;
}

/* nvmf_host_transport_ops.slot_state */
static void rdma_slot_state(struct nvmf_hq *hq, uint16_t cid, char *buf,
			    size_t len)
{
	struct rdma_hq *rq = hq->tp;
	struct ibv_qp_init_attr ia;
	static const char *const qps[] = {
		[IBV_QPS_RESET] = "reset",
		[IBV_QPS_INIT] = "init",
		[IBV_QPS_RTR] = "ready to receive",
		[IBV_QPS_RTS] = "ready to send",
		[IBV_QPS_SQD] = "send queue drained",
		[IBV_QPS_SQE] = "send queue error",
		[IBV_QPS_ERR] = "in error",
	};
	struct ibv_qp_attr a;
	uint8_t f;

	if (!rq || cid >= hq->slots.depth)
		return;
	f = rq->slot_flags[cid];
	if (!rq->id || !rq->id->qp ||
	    ibv_query_qp(rq->id->qp, &a, IBV_QP_STATE, &ia))
		a.qp_state = IBV_QPS_UNKNOWN;
	snprintf(buf, len, "%s, %s, %s%s; queue pair %s",
		 !(f & SLOT_SENT)     ? "not sent" :
		 (f & SLOT_SEND_DONE) ? "sent and acknowledged" :
					"sent, not acknowledged",
		 f & SLOT_RESP ? "response received" : "no response",
		 f & SLOT_BOUNCE ? "through a bounce buffer, " : "",
		 f & SLOT_INV ? "local invalidate of its window pending" :
		 f & SLOT_MW  ? "its memory window open" :
				"no memory window open",
		 a.qp_state < IBV_QPS_UNKNOWN ? qps[a.qp_state] :
						"state unknown");
}

/* ---- controller lifetime ------------------------------------------------------ */

static int rdma_ctrl_init(struct nvmf_ctrl *c)
{
	struct rdma_ctrl *rc = calloc(1, sizeof(*rc));
	int ret;

	if (!rc)
		return -ENOMEM;
	rc->ctrl = c;
	TAILQ_INIT(&rc->regions);
	TAILQ_INIT(&rc->parked);
	/* ENODEV while no RDMA device was ever seen by this process */
	rc->ec = rdma_create_event_channel();
	if (!rc->ec) {
		ret = errno ? -errno : -ENOMEM;
		ctrl_set_error(c,
			       "no RDMA connection manager "
			       "(/dev/infiniband/rdma_cm: %s): load rdma_ucm, "
			       "or add an RDMA device",
			       strerror(-ret));
		free(rc);
		return ret;
	}
	if (set_nonblock(rc->ec->fd))
		goto out_errno;
	rc->ec_watch =
		nvmf_watch_add(c->loop, rc->ec->fd, EPOLLIN, cm_event_cb, rc);
	if (!rc->ec_watch)
		goto out_errno;
	rc->devs_watch = nvmf_rdma_devs_watch(c->loop);
	if (!rc->devs_watch)
		ctrl_warn(
			c,
			"cannot watch /dev/infiniband for removed RDMA devices: %s",
			strerror(errno));
	c->tp = rc;
	return 0;
out_errno:
	ret = errno ? -errno : -ENOMEM;
	nvmf_watch_del(rc->ec_watch);
	if (rc->ec)
		rdma_destroy_event_channel(rc->ec);
	free(rc);
	return ret;
}

static void rdma_ctrl_fini(struct nvmf_ctrl *c)
{
	struct rdma_ctrl *rc = rctrl(c);
	struct rdma_region *r;

	rdma_ctrl_release(c);
	while ((r = TAILQ_FIRST(&rc->regions))) {
		TAILQ_REMOVE(&rc->regions, r, link);
		free(r);
	}
	nvmf_watch_del(rc->devs_watch);
	nvmf_watch_del(rc->ec_watch);
	rdma_destroy_event_channel(rc->ec);
	free(rc);
	c->tp = NULL;
}

const struct nvmf_host_transport_ops nvmf_host_rdma_ops = {
	.name = "rdma",
	.keyed_sgls = true,
	.ctrl_init = rdma_ctrl_init,
	.ctrl_fini = rdma_ctrl_fini,
	.queue_connect = rdma_queue_connect,
	.queue_teardown = rdma_queue_teardown,
	.ctrl_release = rdma_ctrl_release,
	.submit = rdma_submit,
	.slot_state = rdma_slot_state,
	.poll = rdma_poll,
	.arm = rdma_arm,
	.flush = rdma_flush,
	.mr_add = rdma_mr_add,
	.mr_del = rdma_mr_del,
};

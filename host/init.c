// SPDX-License-Identifier: GPL-2.0
/*
 * Setting up an association (first connect and every reconnect), as the
 * kernel host does: admin queue, Connect, Property Get CAP and VS,
 * Property Set CC.EN, wait for CSTS.RDY, Identify, Set Features Number of
 * Queues, I/O queue Connects, the namespace scan, Asynchronous Event
 * Configuration; then the controller is live.  Each step is one admin
 * command whose completion runs the next step; nothing blocks.
 *
 * Also here: keep-alive, command timeouts, and asynchronous events
 * (a namespace change rescans the namespaces).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl.h"

#define TRANSPORT_TMO_MS 10000 /* backstop: the transport times out first */
#define RDY_POLL_MS	 10

static const char *const step_names[] = {
	[INIT_IDLE] = "idle",
	[INIT_ADMIN_QUEUE] = "admin queue",
	[INIT_CONNECT_ADMIN] = "admin Connect",
	[INIT_CAP] = "Property Get CAP",
	[INIT_VS] = "Property Get VS",
	[INIT_CC_ENABLE] = "Property Set CC.EN",
	[INIT_WAIT_RDY] = "wait for CSTS.RDY",
	[INIT_IDENTIFY] = "Identify Controller",
	[INIT_NR_QUEUES] = "Set Features Number of Queues",
	[INIT_IO_QUEUES] = "I/O queues",
	[INIT_NS_LIST] = "Identify active namespaces",
	[INIT_NS_IDENTIFY] = "Identify Namespace",
	[INIT_AEN_CONFIG] = "Set Features Async Event Config",
	[INIT_DONE] = "done",
};

static void step_issue(struct nvmf_ctrl *c);

static void step_fail(struct nvmf_ctrl *c, int err, bool dnr, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

static void step_fail(struct nvmf_ctrl *c, int err, bool dnr, const char *fmt,
		      ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (c->state == NVMF_CTRL_LIVE) {
		/* a namespace rescan of a live controller */
		ctrl_error(c, why);
		return;
	}
	ctrl_attempt_failed(c, err, dnr, why);
}

static struct nvmf_hq *hq_alloc(struct nvmf_ctrl *c, uint16_t qid,
				uint16_t size)
{
	struct nvmf_hq *hq = calloc(1, sizeof(*hq));

	if (!hq)
		return NULL;
	hq->ctrl = c;
	hq->qid = qid;
	hq->size = size;
	hq->gen = ++c->hq_gen;
	hq->qp = c->qpairs[qid];
	hq->stats = hq->qp ? hq->qp->stats : c->stats;
	if (nvmf_slots_init(&hq->slots, size - 1)) {
		free(hq);
		return NULL;
	}
	c->queues[qid] = hq;
	return hq;
}

static int hq_start(struct nvmf_ctrl *c, uint16_t qid, uint16_t size)
{
	struct nvmf_qpair *qp = c->qpairs[qid];
	struct nvmf_hq *hq;
	int ret;

	/* an owned queue's owner looks at c->queues[qid] under its lock */
	if (qp)
		pthread_mutex_lock(&qp->lock);
	hq = hq_alloc(c, qid, size);
	ret = -ENOMEM;
	if (hq) {
		hq->state = NVMF_HQ_TRANSPORT;
		ret = c->ops->queue_connect(hq);
		if (ret)
			hq->state = NVMF_HQ_DOWN;
	}
	if (qp)
		pthread_mutex_unlock(&qp->lock);
	return ret;
}

void ctrl_attempt_start(struct nvmf_ctrl *c)
{
	int ret;

	if (ctrl_deleting(c) || c->step != INIT_IDLE)
		return;
	c->attempt_start = nvmf_now_ms();
	c->io_live = 0;
	pthread_mutex_lock(&c->lock);
	c->info.total_attempts++;
	if (c->reconnecting)
		c->info.reconnect_attempts++;
	pthread_mutex_unlock(&c->lock);
	if (c->reconnecting)
		ctrl_info(c, "reconnect attempt %u",
			  c->info.reconnect_attempts);
	c->step = INIT_ADMIN_QUEUE;
	nvmf_timer_arm(c->step_timer, TRANSPORT_TMO_MS, 0);
	ret = hq_start(c, 0, NVMF_HOST_ADMIN_DEPTH);
	if (ret)
		step_fail(c, ret, false, "admin queue: %s", strerror(-ret));
}

/* ---- queue Connect ---------------------------------------------------------- */

/* What a Connect status means (fabrics command specific, SCT 1). */
static const char *connect_status_str(uint16_t status)
{
	switch (status & 0x7ff) {
	case 0x180:
		return "incompatible format";
	case 0x181:
		return "controller busy";
	case 0x182:
		return "invalid parameters (unknown subsystem NQN?)";
	case 0x183:
		return "restart discovery";
	case 0x184:
		return "host not allowed by the subsystem";
	default:
		return "error";
	}
}

static void hq_connect_done(struct nvmf_req *req)
{
	struct nvmf_hq *hq = req->arg;
	struct nvmf_ctrl *c = hq->ctrl;

	if (req->err || req->status) {
		step_fail(c, -ECONNREFUSED, req->status & 0x4000,
			  "Connect of queue %u failed: %s (status 0x%x)%s",
			  hq->qid, connect_status_str(req->status), req->status,
			  req->status & 0x4000 ? " (DNR)" : "");
		return;
	}
	hq->state = NVMF_HQ_LIVE;
	if (hq->qid == 0) {
		pthread_mutex_lock(&c->lock);
		c->info.cntlid = req->dw0 & 0xffff;
		pthread_mutex_unlock(&c->lock);
		c->step = INIT_CAP;
		step_issue(c);
		return;
	}
	if (++c->io_live == c->nr_io_queues) {
		c->step = INIT_NS_LIST;
		step_issue(c);
	}
}

void nvmf_hq_transport_up(struct nvmf_hq *hq)
{
	struct nvmf_ctrl *c = hq->ctrl;
	struct nvmf_connect_data *d = malloc(sizeof(*d));
	union nvme_command cmd;
	int ret;

	if (!d) {
		step_fail(c, -ENOMEM, false, "out of memory");
		return;
	}
	if (hq->qid == 0) {
		nvmf_timer_disarm(c->step_timer);
		c->step = INIT_CONNECT_ADMIN;
	}
	hq->state = NVMF_HQ_CONNECT;
	nvmf_cmd_connect(&cmd, hq->qid, hq->size - 1,
			 (uint32_t)c->opts.keep_alive_tmo * 1000);
	nvmf_connect_data_fill(d, c->hostid,
			       hq->qid ? c->info.cntlid : NVME_CNTLID_DYNAMIC,
			       c->trid.subnqn, c->opts.hostnqn);
	ret = ctrl_submit_internal(c, hq->qid, &cmd, d, sizeof(*d),
				   NVMF_REQ_OWN_BUF, hq_connect_done, hq,
				   NVMF_HOST_ADMIN_TMO_MS);
	if (ret)
		step_fail(c, ret, false, "Connect of queue %u: %s", hq->qid,
			  strerror(-ret));
}

void nvmf_hq_transport_error(struct nvmf_hq *hq, int err, const char *why)
{
	struct nvmf_ctrl *c = hq->ctrl;
	char msg[160];

	if (hq->qp && !nvmf_loop_on_thread(c->loop)) {
		/* seen by the queue's owner: the loop thread handles it */
		qpair_owner_error(hq, why);
		return;
	}
	snprintf(msg, sizeof(msg), "queue %u: %s", hq->qid, why);
	/* during a disconnect's shutdown too: ctrl_error() finishes it */
	if (c->state == NVMF_CTRL_LIVE || ctrl_deleting(c))
		ctrl_error(c, msg);
	else if (c->step != INIT_IDLE)
		ctrl_attempt_failed(c, err, false, msg);
}

/* ---- the steps ---------------------------------------------------------------- */

static void fill_strings(struct nvmf_ctrl *c)
{
	struct nvme_id_ctrl *id = c->id;
	struct nvmf_ctrl_info *i = &c->info;

	nvme_strunpad(i->model, sizeof(i->model), id->mn, sizeof(id->mn));
	nvme_strunpad(i->serial, sizeof(i->serial), id->sn, sizeof(id->sn));
	nvme_strunpad(i->firmware, sizeof(i->firmware), id->fr, sizeof(id->fr));
}

static int identify_done(struct nvmf_ctrl *c)
{
	struct nvme_id_ctrl *id = c->id;
	uint32_t max = NVMF_HOST_MAX_IO;

	if (le16toh(id->cntlid) != c->info.cntlid) {
		step_fail(c, -EPROTO, false,
			  "Identify: cntlid %u, but Connect returned %u",
			  le16toh(id->cntlid), c->info.cntlid);
		return -1;
	}
	if (!c->discovery && c->ops->keyed_sgls &&
	    !(le32toh(id->sgls) & NVME_CTRL_SGLS_KSDBDS)) {
		step_fail(c, -EPROTO, true,
			  "the controller does not support keyed SGLs");
		return -1;
	}
	max = nvmf_max_transfer(id->mdts, max);
	c->max_io = max;
	c->icd_max = nvmf_icd_max(id, true);
	pthread_mutex_lock(&c->lock);
	c->info.max_io_bytes = max;
	fill_strings(c);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void ns_commit(struct nvmf_ctrl *c)
{
	bool changed;

	pthread_mutex_lock(&c->lock);
	changed = c->nr_ns != c->nr_ns_new ||
		  memcmp(c->ns, c->ns_new,
			 sizeof(c->ns[0]) * (size_t)c->nr_ns_new);
	memcpy(c->ns, c->ns_new, sizeof(c->ns[0]) * (size_t)c->nr_ns_new);
	c->nr_ns = c->nr_ns_new;
	/* owned queues copy the table (and max_io_bytes) again */
	__atomic_store_n(&c->ns_gen, c->ns_gen + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&c->lock);
	if (changed) {
		ctrl_info(c, "%d namespace(s)", c->nr_ns);
		ctrl_notify(c);
	}
}

static void ns_identify_done(struct nvmf_ctrl *c, uint32_t nsid)
{
	struct nvme_id_ns *id = c->id_ns;
	struct nvmf_ns_info *ns;
	uint8_t ds;

	if (!le64toh(id->nsze) || c->nr_ns_new >= NVMF_HOST_MAX_NS)
		return;
	ds = id->lbaf[id->flbas & 0xf].ds;
	if (ds < 9 || ds > 16) {
		ctrl_warn(c, "namespace %u: LBA data size 2^%u not supported",
			  nsid, ds);
		return;
	}
	ns = &c->ns_new[c->nr_ns_new++];
	memset(ns, 0, sizeof(*ns));
	ns->nsid = nsid;
	ns->block_size = 1u << ds;
	ns->blocks = le64toh(id->nsze);
	memcpy(ns->nguid, id->nguid, sizeof(ns->nguid));
	ns->write_protected = id->nsattr & NVME_NS_ATTR_RO;
}

/* The next namespace to identify, or 0 when the list is done. */
static uint32_t ns_next(struct nvmf_ctrl *c)
{
	if (c->ns_scan_idx >= NVME_NS_LIST_MAX)
		return 0;
	return le32toh(c->ns_list->ns[c->ns_scan_idx]);
}

static void ns_scan_end(struct nvmf_ctrl *c)
{
	ns_commit(c);
	if (c->state == NVMF_CTRL_LIVE) {
		c->step = INIT_DONE;
		if (c->ns_rescan) {
			c->ns_rescan = false;
			c->step = INIT_NS_LIST;
			step_issue(c);
		}
		return;
	}
	c->step = INIT_AEN_CONFIG;
	step_issue(c);
}

static void aer_submit(struct nvmf_ctrl *c);

static void step_done(struct nvmf_req *req)
{
	struct nvmf_ctrl *c = req->arg;
	uint32_t csts;

	if (!req->err && req->status && c->step == INIT_AEN_CONFIG &&
	    c->discovery) {
		/* no change notices from this discovery controller: poll-free */
		ctrl_warn(c,
			  "discovery log change notices refused (status 0x%x)",
			  req->status);
		c->step = INIT_DONE;
		ctrl_live(c);
		return;
	}
	if (req->err || req->status) {
		step_fail(c, req->err ? req->err : -EIO, req->status & 0x4000,
			  "%s failed: status 0x%x", step_names[c->step],
			  req->status);
		return;
	}
	switch (c->step) {
	case INIT_CAP:
		c->cap = req->result;
		c->step = INIT_VS;
		break;
	case INIT_VS:
		c->vs = req->dw0;
		c->step = INIT_CC_ENABLE;
		break;
	case INIT_CC_ENABLE:
		c->rdy_deadline =
			nvmf_now_ms() + (NVME_CAP_TO(c->cap) ?: 2) * 500ull;
		c->step = INIT_WAIT_RDY;
		break;
	case INIT_WAIT_RDY:
		csts = req->dw0;
		if (csts & NVME_CSTS_CFS) {
			step_fail(c, -EIO, false, "controller fatal status");
			return;
		}
		if (!(csts & NVME_CSTS_RDY)) {
			if (nvmf_now_ms() > c->rdy_deadline) {
				step_fail(c, -ETIMEDOUT, false,
					  "CSTS.RDY not set within CAP.TO");
				return;
			}
			c->rdy_poll = true;
			nvmf_timer_arm(c->step_timer, RDY_POLL_MS, 0);
			return;
		}
		c->step = INIT_IDENTIFY;
		break;
	case INIT_IDENTIFY:
		if (identify_done(c))
			return;
		if (c->discovery && c->opts.keep_alive_tmo > 0) {
			/* kept (persistent): ask for log change notices */
			c->step = INIT_AEN_CONFIG;
			break;
		}
		if (c->discovery) {
			c->step = INIT_DONE;
			ctrl_live(c);
			return;
		}
		c->step = INIT_NR_QUEUES;
		break;
	case INIT_NR_QUEUES: {
		uint32_t nsqa = (req->dw0 & 0xffff) + 1;
		uint32_t ncqa = (req->dw0 >> 16) + 1;
		uint32_t n = (uint32_t)c->opts.nr_io_queues;

		n = n < nsqa ? n : nsqa;
		n = n < ncqa ? n : ncqa;
		c->nr_io_queues = (uint16_t)n;
		pthread_mutex_lock(&c->lock);
		c->info.nr_io_queues = n;
		pthread_mutex_unlock(&c->lock);
		c->step = INIT_IO_QUEUES;
		break;
	}
	case INIT_NS_LIST:
		c->ns_scan_idx = 0;
		c->nr_ns_new = 0;
		c->step = INIT_NS_IDENTIFY;
		if (!ns_next(c)) {
			ns_scan_end(c);
			return;
		}
		break;
	case INIT_NS_IDENTIFY:
		ns_identify_done(c, ns_next(c));
		c->ns_scan_idx++;
		if (!ns_next(c)) {
			ns_scan_end(c);
			return;
		}
		break;
	case INIT_AEN_CONFIG:
		c->step = INIT_DONE;
		ctrl_live(c);
		aer_submit(c);
		return;
	default:
		return;
	}
	step_issue(c);
}

static void io_queues_start(struct nvmf_ctrl *c)
{
	uint16_t size = (uint16_t)c->opts.queue_size;
	uint32_t mqes = NVME_CAP_MQES(c->cap) + 1;
	uint16_t i;
	int ret;

	if (size > mqes)
		size = (uint16_t)mqes;
	nvmf_timer_arm(c->step_timer, TRANSPORT_TMO_MS, 0);
	for (i = 1; i <= c->nr_io_queues; i++) {
		ret = hq_start(c, i, size);
		if (ret) {
			step_fail(c, ret, false, "I/O queue %u: %s", i,
				  strerror(-ret));
			return;
		}
	}
}

static void step_issue(struct nvmf_ctrl *c)
{
	union nvme_command cmd;
	void *buf = NULL;
	uint32_t len = 0, flags = NVMF_REQ_TO_HOST;
	int ret;

	switch (c->step) {
	case INIT_CAP:
		nvmf_cmd_prop_get(&cmd, NVME_REG_CAP, true);
		break;
	case INIT_VS:
		nvmf_cmd_prop_get(&cmd, NVME_REG_VS, false);
		break;
	case INIT_CC_ENABLE:
		c->cc_enabled = NVME_CC_EN | 6u << NVME_CC_IOSQES_SHIFT |
				4u << NVME_CC_IOCQES_SHIFT;
		nvmf_cmd_prop_set(&cmd, NVME_REG_CC, c->cc_enabled);
		break;
	case INIT_WAIT_RDY:
		nvmf_cmd_prop_get(&cmd, NVME_REG_CSTS, false);
		break;
	case INIT_IDENTIFY:
		nvmf_cmd_identify(&cmd, NVME_ID_CNS_CTRL, 0);
		buf = c->id;
		len = NVME_IDENTIFY_DATA_SIZE;
		break;
	case INIT_NR_QUEUES:
		nvmf_cmd_set_features(&cmd, NVME_FEAT_NUM_QUEUES,
				      (uint32_t)(c->opts.nr_io_queues - 1) *
					      0x10001u);
		break;
	case INIT_IO_QUEUES:
		if (!c->nr_io_queues) {
			step_fail(c, -EIO, false, "no I/O queues granted");
			return;
		}
		io_queues_start(c);
		return;
	case INIT_NS_LIST:
		memset(c->ns_list, 0, NVME_IDENTIFY_DATA_SIZE);
		nvmf_cmd_identify(&cmd, NVME_ID_CNS_NS_ACTIVE_LIST, 0);
		buf = c->ns_list;
		len = NVME_IDENTIFY_DATA_SIZE;
		break;
	case INIT_NS_IDENTIFY:
		nvmf_cmd_identify(&cmd, NVME_ID_CNS_NS, ns_next(c));
		buf = c->id_ns;
		len = NVME_IDENTIFY_DATA_SIZE;
		break;
	case INIT_AEN_CONFIG:
		nvmf_cmd_set_features(&cmd, NVME_FEAT_ASYNC_EVENT,
				      c->discovery ? NVME_AEN_CFG_DISC_CHANGE :
						     NVME_CTRL_OAES_NS_ATTR);
		break;
	default:
		return;
	}
	ret = ctrl_submit_internal(c, 0, &cmd, buf, len, flags, step_done, c,
				   NVMF_HOST_ADMIN_TMO_MS);
	if (ret)
		step_fail(c, ret, false, "%s: %s", step_names[c->step],
			  strerror(-ret));
}

void ctrl_step_timeout(void *arg)
{
	struct nvmf_ctrl *c = arg;

	if (c->rdy_poll) {
		c->rdy_poll = false;
		step_issue(c);
		return;
	}
	if (c->step == INIT_IDLE || c->step == INIT_DONE)
		return;
	step_fail(c, -ETIMEDOUT, false, "%s timed out", step_names[c->step]);
}

/* ---- asynchronous events ------------------------------------------------------ */

static void ns_rescan(struct nvmf_ctrl *c)
{
	if (c->state != NVMF_CTRL_LIVE)
		return;
	if (c->step != INIT_DONE) {
		c->ns_rescan = true;
		return;
	}
	c->step = INIT_NS_LIST;
	step_issue(c);
}

static void changed_ns_log_done(struct nvmf_req *req)
{
	ns_rescan(req->arg);
}

static void aer_done(struct nvmf_req *req)
{
	struct nvmf_ctrl *c = req->arg;
	uint32_t type = req->dw0 & 7, info = (req->dw0 >> 8) & 0xff;
	union nvme_command cmd;
	void *log;

	if (req->err || req->status) {
		ctrl_debug(c, "AER ended: status 0x%x", req->status);
		return;
	}
	ctrl_info(c, "asynchronous event: type %u info %u log page 0x%02x",
		  type, info, (req->dw0 >> 16) & 0xff);
	aer_submit(c);
	if (type == 2 && info == NVME_AER_NOTICE_DISC_CHANGED) {
		pthread_mutex_lock(&c->lock);
		c->info.disc_log_changes++;
		pthread_mutex_unlock(&c->lock);
		ctrl_notify(c);
		return;
	}
	if (type != 2 || info != 0) /* notice: namespace attribute changed */
		return;
	log = malloc(4096);
	if (!log)
		return;
	nvmf_cmd_get_log(&cmd, NVME_LOG_CHANGED_NS, 0xffffffff, 0, 4096);
	if (ctrl_submit_internal(
		    c, 0, &cmd, log, 4096, NVMF_REQ_TO_HOST | NVMF_REQ_OWN_BUF,
		    changed_ns_log_done, c, NVMF_HOST_ADMIN_TMO_MS))
		ns_rescan(c);
}

static void aer_submit(struct nvmf_ctrl *c)
{
	union nvme_command cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.common.opcode = nvme_admin_async_event;
	if (ctrl_submit_internal(c, 0, &cmd, NULL, 0, NVMF_REQ_NO_TMO, aer_done,
				 c, 0))
		ctrl_warn(c, "cannot submit an Asynchronous Event Request");
}

/* ---- keep-alive and timeouts ------------------------------------------------- */

static void ka_done(struct nvmf_req *req)
{
	struct nvmf_ctrl *c = req->arg;
	char why[64];

	c->ka_outstanding = false;
	if (req->err || req->status) {
		snprintf(why, sizeof(why), "keep-alive failed: status 0x%x",
			 req->status);
		ctrl_error(c, why);
	}
}

void ctrl_keep_alive(void *arg)
{
	struct nvmf_ctrl *c = arg;
	union nvme_command cmd;

	if (c->state != NVMF_CTRL_LIVE || c->ka_outstanding)
		return;
	memset(&cmd, 0, sizeof(cmd));
	cmd.common.opcode = nvme_admin_keep_alive;
	if (!ctrl_submit_internal(c, 0, &cmd, NULL, 0, 0, ka_done, c,
				  (uint32_t)c->opts.keep_alive_tmo * 1000))
		c->ka_outstanding = true;
}

/* Once a second: a command past its deadline fails the association. */
void ctrl_tick(void *arg)
{
	struct nvmf_ctrl *c = arg;
	uint64_t now = nvmf_now_ms();
	struct nvmf_req *req;
	char why[128], state[160];
	int q, i;

	for (q = 0; q <= NVMF_HOST_MAX_QUEUES; q++) {
		struct nvmf_hq *hq = c->queues[q];
		pthread_mutex_t *m;

		if (!hq)
			continue;
		m = hq_lock(hq);
		for (i = 0; i < hq->slots.depth; i++) {
			req = hq->slots.reqs[i];
			if (!req || !req->deadline_ms || now < req->deadline_ms)
				continue;
			req->timeouts++;
			snprintf(why, sizeof(why),
				 "command 0x%02x (cid %u) on queue %d timed "
				 "out (%d of %d)",
				 req->cmd.common.opcode, req->cid, q,
				 req->timeouts, c->opts.max_retries + 1);
			state[0] = 0;
			if (c->ops->slot_state)
				c->ops->slot_state(hq, req->cid, state,
						   sizeof(state));
			ctrl_warn(c, "%s%s%s", why, state[0] ? ": " : "",
				  state);
			ctrl_error(c, why);
			hq_unlock(m);
			return;
		}
		hq_unlock(m);
	}
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Controllers: dynamic cntlid allocation, queue membership, keep-alive,
 * asynchronous events and teardown.
 *
 * A controller is created by the admin queue's Connect and lives while any
 * of its queues does (one reference per queue).  nvmet_ctrl_fatal() asks
 * the transport to disconnect every queue; the last queue released frees
 * the controller, so a host that reconnects gets a fresh one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nvmet.h"

static uint64_t nvmet_ctrl_cap(struct nvmet_port *port)
{
	uint64_t mqes = port ? port->cfg.max_queue_size - 1 :
			       NVMF_DEFAULT_QUEUE_SIZE - 1;

	/* CQR (contiguous queues), TO 15 (7.5 s), NVM command set */
	return mqes | (1ull << 16) | (15ull << 24) | NVME_CAP_CSS_NVM;
}

/* Next free cntlid in [min, max], wrapping; subsys->lock held. */
static int alloc_cntlid(struct nvmet_subsys *subsys)
{
	uint16_t min = subsys->cntlid_min;
	uint16_t max = subsys->cntlid_max;
	uint32_t span = (uint32_t)max - min + 1, i;
	struct nvmet_ctrl *c;
	uint16_t id;
	bool used;

	if (subsys->next_cntlid < min || subsys->next_cntlid > max)
		subsys->next_cntlid = min;
	for (i = 0; i < span; i++) {
		id = (uint16_t)(min + (subsys->next_cntlid - min + i) % span);
		used = false;
		TAILQ_FOREACH(c, &subsys->ctrls, link)
			if (c->cntlid == id)
				used = true;
		if (!used) {
			subsys->next_cntlid = id + 1;
			return id;
		}
	}
	return -ENOSPC;
}

struct nvmet_ctrl *nvmet_ctrl_alloc(struct nvmet_subsys *subsys,
				    struct nvmet_port *port,
				    const char *hostnqn, const uint8_t *hostid,
				    uint32_t kato_ms)
{
	struct nvmet_ctrl *ctrl;
	int id;

	ctrl = calloc(1, sizeof(*ctrl));
	if (!ctrl)
		return NULL;
	ctrl->subsys = subsys;
	nvmet_subsys_get(subsys);
	ctrl->port = port;
	ctrl->tgt = port->tgt;
	snprintf(ctrl->hostnqn, sizeof(ctrl->hostnqn), "%s", hostnqn);
	memcpy(ctrl->hostid, hostid, 16);
	ctrl->cap = nvmet_ctrl_cap(port);
	ctrl->kato_ms = kato_ms;
	ctrl->wce = true;
	atomic_init(&ctrl->refs, 1);
	pthread_mutex_init(&ctrl->lock, NULL);

	pthread_mutex_lock(&subsys->lock);
	id = alloc_cntlid(subsys);
	if (id >= 0) {
		ctrl->cntlid = (uint16_t)id;
		TAILQ_INSERT_TAIL(&subsys->ctrls, ctrl, link);
	}
	pthread_mutex_unlock(&subsys->lock);
	if (id < 0) {
		nvmf_warn("%s: no free controller ID", subsys->nqn);
		pthread_mutex_destroy(&ctrl->lock);
		free(ctrl);
		nvmet_subsys_put(subsys);
		return NULL;
	}
	snprintf(ctrl->log_prefix, sizeof(ctrl->log_prefix), "ctrl %u",
		 ctrl->cntlid);
	nvmf_obj_info(ctrl->log_prefix, "created for %s on %s (kato %u ms)",
		      hostnqn, subsys->nqn, kato_ms);
	return ctrl;
}

struct nvmet_ctrl *nvmet_ctrl_find_get(struct nvmet_subsys *subsys,
				       uint16_t cntlid, const char *hostnqn)
{
	struct nvmet_ctrl *c, *found = NULL;

	pthread_mutex_lock(&subsys->lock);
	TAILQ_FOREACH(c, &subsys->ctrls, link) {
		if (c->cntlid != cntlid || strcmp(c->hostnqn, hostnqn) != 0)
			continue;
		pthread_mutex_lock(&c->lock);
		if (!c->fatal) {
			atomic_fetch_add(&c->refs, 1);
			found = c;
		}
		pthread_mutex_unlock(&c->lock);
		break;
	}
	pthread_mutex_unlock(&subsys->lock);
	return found;
}

void nvmet_ctrl_put(struct nvmet_ctrl *ctrl)
{
	struct nvmet_subsys *subsys = ctrl->subsys;

	if (atomic_fetch_sub(&ctrl->refs, 1) != 1)
		return;
	pthread_mutex_lock(&subsys->lock);
	TAILQ_REMOVE(&subsys->ctrls, ctrl, link);
	pthread_mutex_unlock(&subsys->lock);
	nvmf_obj_info(ctrl->log_prefix, "released");
	pthread_mutex_destroy(&ctrl->lock);
	free(ctrl);
	nvmet_subsys_put(subsys);
}

int nvmet_ctrl_install_sq(struct nvmet_ctrl *ctrl, struct nvmet_sq *sq)
{
	int ret = 0;

	pthread_mutex_lock(&ctrl->lock);
	if (ctrl->fatal)
		ret = -ESHUTDOWN;
	else if (ctrl->sqs[sq->qid])
		ret = -EEXIST;
	else
		ctrl->sqs[sq->qid] = sq;
	pthread_mutex_unlock(&ctrl->lock);
	if (!ret) {
		sq->ctrl = ctrl;
		nvmet_sq_connected(sq);
	}
	return ret;
}

/*
 * Called by the transport when a queue goes away, on the queue's worker,
 * before it drops its controller reference.
 */
void nvmet_ctrl_remove_sq(struct nvmet_ctrl *ctrl, struct nvmet_sq *sq)
{
	bool teardown = false;

	pthread_mutex_lock(&ctrl->lock);
	if (ctrl->sqs[sq->qid] == sq)
		ctrl->sqs[sq->qid] = NULL;
	if (sq->qid == 0) {
		if (ctrl->ka_timer) {
			nvmf_timer_destroy(ctrl->ka_timer);
			ctrl->ka_timer = NULL;
		}
		ctrl->nr_aer_reqs = 0; /* their queue is gone */
	}
	/*
	 * A host deletes its I/O queues before the admin queue (shutdown is
	 * a Property Set on the admin queue), so only the admin queue's loss
	 * ends the controller, as in the kernel target.
	 */
	teardown = sq->qid == 0 && !ctrl->fatal;
	pthread_mutex_unlock(&ctrl->lock);
	if (teardown)
		nvmet_ctrl_fatal(ctrl, "the admin queue is gone");
}

void nvmet_ctrl_fatal(struct nvmet_ctrl *ctrl, const char *why)
{
	struct nvmet_sq *sqs[NVMET_MAX_IO_QUEUES + 1];
	int i, n = 0;

	pthread_mutex_lock(&ctrl->lock);
	if (!ctrl->fatal) {
		ctrl->fatal = true;
		ctrl->csts |= NVME_CSTS_CFS;
		for (i = 0; i <= NVMET_MAX_IO_QUEUES; i++)
			if (ctrl->sqs[i])
				sqs[n++] = ctrl->sqs[i];
		nvmf_obj_info(ctrl->log_prefix, "tearing down: %s", why);
	}
	/* under the lock: a queue cannot be released while we hold it */
	for (i = 0; i < n; i++)
		sqs[i]->ops->disconnect_queue(sqs[i]);
	pthread_mutex_unlock(&ctrl->lock);
}

static void keep_alive_timer(void *arg)
{
	struct nvmet_ctrl *ctrl = arg;
	uint64_t now = nvmf_now_ms(), last, kato;
	bool fatal;

	pthread_mutex_lock(&ctrl->lock);
	last = ctrl->last_ka_ms;
	kato = ctrl->kato_ms;
	fatal = ctrl->fatal;
	pthread_mutex_unlock(&ctrl->lock);
	if (fatal) {
		nvmf_timer_disarm(ctrl->ka_timer);
		return;
	}
	if (kato && now - last > kato + NVMET_KATO_GRACE_MS) {
		nvmf_obj_warn(ctrl->log_prefix,
			      "keep-alive timeout (%llu ms without keep-alive)",
			      (unsigned long long)(now - last));
		nvmet_ctrl_fatal(ctrl, "keep-alive timer expired");
	}
}

/*
 * On the admin queue's worker, after the admin Connect succeeded.  The
 * timer runs even with KATO 0: Set Features may set a KATO later.
 */
void nvmet_ctrl_start_keep_alive(struct nvmet_ctrl *ctrl)
{
	struct nvmet_sq *asq = ctrl->sqs[0];

	ctrl->last_ka_ms = nvmf_now_ms();
	if (!asq)
		return;
	ctrl->ka_timer =
		nvmf_timer_create(asq->worker->loop, keep_alive_timer, ctrl);
	if (ctrl->ka_timer)
		nvmf_timer_arm(ctrl->ka_timer, 1000, 1000);
}

void nvmet_ctrl_keep_alive(struct nvmet_ctrl *ctrl)
{
	pthread_mutex_lock(&ctrl->lock);
	ctrl->last_ka_ms = nvmf_now_ms();
	pthread_mutex_unlock(&ctrl->lock);
}

/* ---- asynchronous events ------------------------------------------------------ */

struct aen_work {
	struct nvmet_ctrl *ctrl;
	struct nvmet_sq *sq; /* the admin queue the AER came on */
	struct nvmet_req *req;
	uint32_t result;
};

/* The admin queue's worker: complete the AER if its queue is still there. */
static void aen_complete(void *arg)
{
	struct aen_work *w = arg;
	struct nvmet_ctrl *ctrl = w->ctrl;
	bool alive;

	pthread_mutex_lock(&ctrl->lock);
	alive = ctrl->sqs[0] == w->sq && !ctrl->fatal;
	pthread_mutex_unlock(&ctrl->lock);
	if (alive) {
		nvmet_set_result(w->req, w->result);
		nvmet_req_complete(w->req, 0);
	}
	nvmet_ctrl_put(ctrl);
	free(w);
}

/* ctrl->lock held: hand the event to an outstanding AER, or keep it. */
static void aen_send(struct nvmet_ctrl *ctrl, uint32_t result)
{
	struct aen_work *w;

	if (!ctrl->nr_aer_reqs || !ctrl->sqs[0]) {
		ctrl->pending_aen = result;
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		ctrl->pending_aen = result;
		return;
	}
	w->ctrl = ctrl;
	w->sq = ctrl->sqs[0];
	w->req = ctrl->aer_reqs[--ctrl->nr_aer_reqs];
	w->result = result;
	atomic_fetch_add(&ctrl->refs, 1);
	if (nvmf_loop_post(w->sq->worker->loop, aen_complete, w)) {
		ctrl->aer_reqs[ctrl->nr_aer_reqs++] = w->req;
		atomic_fetch_sub(&ctrl->refs, 1);
		ctrl->pending_aen = result;
		free(w);
	}
}

/* The admin queue's worker: an AER arrived; an event may be waiting. */
void nvmet_ctrl_aer_submit(struct nvmet_ctrl *ctrl, struct nvmet_req *req)
{
	uint32_t result = 0;
	bool full;

	pthread_mutex_lock(&ctrl->lock);
	full = ctrl->nr_aer_reqs > NVMET_AERL;
	if (!full && ctrl->pending_aen) {
		result = ctrl->pending_aen;
		ctrl->pending_aen = 0;
	} else if (!full) {
		ctrl->aer_reqs[ctrl->nr_aer_reqs++] = req;
	}
	pthread_mutex_unlock(&ctrl->lock);
	if (full) {
		nvmet_req_complete(req, nvmet_status(NVME_SCT_CMD_SPECIFIC,
						     NVME_SC_ASYNC_LIMIT));
	} else if (result) {
		nvmet_set_result(req, result);
		nvmet_req_complete(req, 0);
	}
}

/*
 * ctrl->lock held: a notice of a kind the host enabled (enable, a bit of
 * Asynchronous Event Configuration), once until its log page is read
 * (*masked).  Return: true if sent.
 */
static bool aen_notice(struct nvmet_ctrl *ctrl, uint32_t enable, bool *masked,
		       uint32_t result)
{
	if (ctrl->fatal || !(ctrl->aen_enabled & enable) || *masked)
		return false;
	*masked = true;
	aen_send(ctrl, result);
	return true;
}

/* ctrl->lock held: remember nsid for the Changed Namespace List. */
static void note_changed_ns(struct nvmet_ctrl *ctrl, uint32_t nsid)
{
	int i;

	if (ctrl->nr_changed_ns == 1 && ctrl->changed_ns[0] == 0xffffffff)
		return; /* overflowed: the host rescans everything */
	for (i = 0; i < ctrl->nr_changed_ns; i++)
		if (ctrl->changed_ns[i] == nsid)
			return;
	if (ctrl->nr_changed_ns == NVME_NS_LIST_MAX) {
		ctrl->changed_ns[0] = 0xffffffff;
		ctrl->nr_changed_ns = 1;
		return;
	}
	ctrl->changed_ns[ctrl->nr_changed_ns++] = nsid;
}

/*
 * A namespace was enabled, disabled or removed: every controller of the
 * subsystem lists it in log page 0x04 and, when the host enabled namespace
 * attribute notices, gets one event until it reads that page.
 */
void nvmet_ns_changed(struct nvmet_subsys *subsys, uint32_t nsid)
{
	uint32_t result = NVME_AER_RESULT(NVME_AER_TYPE_NOTICE,
					  NVME_AER_NOTICE_NS_CHANGED,
					  NVME_LOG_CHANGED_NS);
	struct nvmet_ctrl *c;

	pthread_mutex_lock(&subsys->lock);
	TAILQ_FOREACH(c, &subsys->ctrls, link) {
		pthread_mutex_lock(&c->lock);
		note_changed_ns(c, nsid);
		if (aen_notice(c, NVME_CTRL_OAES_NS_ATTR, &c->ns_aen_masked,
			       result))
			nvmf_obj_info(c->log_prefix,
				      "namespace %u changed: event sent", nsid);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&subsys->lock);
}

/*
 * The discovery log changed: each discovery controller whose host asked
 * for log change notices (Asynchronous Event Configuration bit 31) gets
 * one, until it reads the log page again - as the kernel target does, so
 * a persistent discovery controller connects what is new.
 */
void nvmet_disc_notify(struct nvmet_subsys *disc)
{
	uint32_t result = NVME_AER_RESULT(NVME_AER_TYPE_NOTICE,
					  NVME_AER_NOTICE_DISC_CHANGED,
					  NVME_LOG_DISC);
	struct nvmet_ctrl *c;

	pthread_mutex_lock(&disc->lock);
	TAILQ_FOREACH(c, &disc->ctrls, link) {
		pthread_mutex_lock(&c->lock);
		if (aen_notice(c, NVME_AEN_CFG_DISC_CHANGE, &c->disc_aen_masked,
			       result))
			nvmf_obj_info(c->log_prefix,
				      "discovery log changed: event sent");
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&disc->lock);
}

/* Tear down the subsystem's controllers (through port, or all of them). */
void nvmet_subsys_del_ctrls(struct nvmet_subsys *subsys,
			    struct nvmet_port *port, const char *why)
{
	struct nvmet_ctrl *c;

	pthread_mutex_lock(&subsys->lock);
	TAILQ_FOREACH(c, &subsys->ctrls, link)
		if (!port || c->port == port)
			nvmet_ctrl_fatal(c, why);
	pthread_mutex_unlock(&subsys->lock);
}

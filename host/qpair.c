// SPDX-License-Identifier: GPL-2.0
/*
 * I/O queues owned by application threads (the SPDK qpair, the kernel's
 * hardware context): nvmf_qpair_alloc() gives the calling thread one of
 * the controller's I/O queues; it submits and reaps on it itself, with
 * requests preallocated per queue slot, no hop to the controller's loop
 * thread and no lock any other thread takes on the data path.  The loop
 * thread keeps connecting, tearing down and reconnecting the queue with
 * the rest of the association (struct nvmf_qpair in internal.h says who
 * holds what).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl.h"

static int mutex_init_recursive(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int ret;

	if (pthread_mutexattr_init(&a))
		return -ENOMEM;
	ret = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	if (!ret)
		ret = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return ret ? -ENOMEM : 0;
}

static bool on_owner(const struct nvmf_qpair *qp)
{
	return pthread_equal(pthread_self(), qp->owner);
}

/* The owned queue's current transport queue, under qp->lock, or NULL. */
static struct nvmf_hq *qp_hq(const struct nvmf_qpair *qp)
{
	return qp->ctrl->queues[qp->qid];
}

/* ---- the loop thread's side -------------------------------------------------- */

/*
 * Work the owners left for the loop thread: failures they saw, and
 * controller requests they reaped.  One work item for every owned queue,
 * so that a queue freed meanwhile leaves nothing behind that points at it.
 */
static void qpairs_loop_work(void *arg)
{
	struct nvmf_ctrl *c = arg;
	struct nvmf_req_list list = TAILQ_HEAD_INITIALIZER(list);
	struct nvmf_req *req;
	char why[sizeof(((struct nvmf_qpair *)0)->err_why)];
	struct nvmf_qpair *qp;
	struct nvmf_hq *hq;
	bool err;

	for (int q = 1; q <= NVMF_HOST_MAX_QUEUES; q++) {
		qp = c->qpairs[q];
		if (!qp)
			continue;
		pthread_mutex_lock(&qp->lock);
		TAILQ_CONCAT(&list, &qp->to_loop, link);
		qp->to_loop_posted = false;
		hq = qp_hq(qp);
		/* a failure of this association's queue, not of an older one */
		err = qp->err_posted && hq && hq->gen == qp->err_gen;
		qp->err_posted = false;
		memcpy(why, qp->err_why, sizeof(why));
		if (err)
			nvmf_hq_transport_error(hq, -EIO, why);
		pthread_mutex_unlock(&qp->lock);
	}
	while ((req = TAILQ_FIRST(&list))) {
		TAILQ_REMOVE(&list, req, link);
		req_finish(c, req);
	}
}

static void post_loop_work(struct nvmf_qpair *qp)
{
	if (nvmf_loop_post(qp->ctrl->loop, qpairs_loop_work, qp->ctrl))
		ctrl_err(qp->ctrl,
			 "queue %u: out of memory: cannot hand work "
			 "to the loop thread",
			 qp->qid);
}

void qpair_owner_error(struct nvmf_hq *hq, const char *why)
{
	struct nvmf_qpair *qp = hq->qp;
	bool post = !qp->err_posted && !qp->to_loop_posted;

	if (qp->err_posted)
		return;
	qp->err_posted = true;
	qp->err_gen = hq->gen;
	snprintf(qp->err_why, sizeof(qp->err_why), "%s", why);
	if (post)
		post_loop_work(qp);
}

bool qpair_complete(struct nvmf_hq *hq, struct nvmf_req *req)
{
	struct nvmf_qpair *qp = hq->qp;
	uint16_t status = req->status;
	bool post;

	if (!(req->flags & NVMF_REQ_QPAIR)) {
		if (nvmf_loop_on_thread(hq->ctrl->loop))
			return false;
		/* the controller's, reaped by the owner: for the loop */
		post = !qp->to_loop_posted && !qp->err_posted;
		qp->to_loop_posted = true;
		TAILQ_INSERT_TAIL(&qp->to_loop, req, link);
		if (post)
			post_loop_work(qp);
		return true;
	}
	/* a path error without DNR: send it again once the path is back */
	if (nvme_status_sct((uint16_t)(status << 1)) == NVME_SCT_PATH &&
	    !(status & 0x4000)) {
		TAILQ_INSERT_HEAD(&qp->backlog, req, link);
		return true;
	}
	hq_stat(hq, NVMF_STAT_IOS, 1);
	TAILQ_INSERT_TAIL(&qp->done, req, link);
	return true;
}

void qpair_take_back(struct nvmf_hq *hq, struct nvmf_req *req, int err)
{
	struct nvmf_qpair *qp = hq->qp;

	if (err) {
		req->err = err;
		TAILQ_INSERT_TAIL(&qp->done, req, link);
	} else {
		TAILQ_INSERT_TAIL(&qp->backlog, req, link);
	}
	qp->open = false;
}

/* Under qp->lock: every request of list fails with err (to the owner). */
static void fail_to_done(struct nvmf_qpair *qp, struct nvmf_req_list *list,
			 int err)
{
	struct nvmf_req *req;

	while ((req = TAILQ_FIRST(list))) {
		TAILQ_REMOVE(list, req, link);
		req->err = err;
		TAILQ_INSERT_TAIL(&qp->done, req, link);
	}
}

void qpairs_fail_backlog(struct nvmf_ctrl *c, int err)
{
	struct nvmf_qpair *qp;

	for (int q = 1; q <= NVMF_HOST_MAX_QUEUES; q++) {
		qp = c->qpairs[q];
		if (!qp)
			continue;
		pthread_mutex_lock(&qp->lock);
		fail_to_done(qp, &qp->backlog, err);
		qp->fail_err = err;
		pthread_mutex_unlock(&qp->lock);
	}
}

void qpairs_open(struct nvmf_ctrl *c)
{
	struct nvmf_qpair *qp;
	struct nvmf_hq *hq;

	for (int q = 1; q <= NVMF_HOST_MAX_QUEUES; q++) {
		qp = c->qpairs[q];
		if (!qp)
			continue;
		pthread_mutex_lock(&qp->lock);
		hq = qp_hq(qp);
		qp->open = hq && hq->state == NVMF_HQ_LIVE;
		qp->fail_err = 0;
		if (!qp->open) {
			/* the controller now grants fewer queues */
			ctrl_warn(c,
				  "queue %u (owned by a thread) is not there "
				  "after the reconnect: its I/O fails",
				  q);
			qp->fail_err = -ENXIO;
			fail_to_done(qp, &qp->backlog, -ENXIO);
		}
		pthread_mutex_unlock(&qp->lock);
	}
}

void qpairs_lock(struct nvmf_ctrl *c)
{
	for (int q = 1; q <= NVMF_HOST_MAX_QUEUES; q++)
		if (c->qpairs[q])
			pthread_mutex_lock(&c->qpairs[q]->lock);
}

void qpairs_unlock(struct nvmf_ctrl *c)
{
	for (int q = NVMF_HOST_MAX_QUEUES; q >= 1; q--)
		if (c->qpairs[q])
			pthread_mutex_unlock(&c->qpairs[q]->lock);
}

static void qpair_destroy(struct nvmf_qpair *qp)
{
	pthread_mutex_destroy(&qp->lock);
	free(qp->reqs);
	free(qp->ranges);
	free(qp->ns);
	free(qp);
}

void qpairs_fini(struct nvmf_ctrl *c)
{
	for (int q = 1; q <= NVMF_HOST_MAX_QUEUES; q++) {
		if (c->qpairs[q])
			qpair_destroy(c->qpairs[q]);
		c->qpairs[q] = NULL;
	}
}

/* ---- taking a queue and giving it back ---------------------------------------- */

struct qpair_call {
	struct nvmf_ctrl *ctrl;
	struct nvmf_qpair *qp;
	bool done;
	int ret;
};

static bool call_done(void *arg)
{
	return ((struct qpair_call *)arg)->done;
}

static void call_finish(struct qpair_call *k, int ret)
{
	pthread_mutex_lock(&k->ctrl->lock);
	k->ret = ret;
	k->done = true;
	pthread_cond_broadcast(&k->ctrl->cond);
	pthread_mutex_unlock(&k->ctrl->lock);
}

/* Loop thread: the highest I/O queue nobody owns, one left shared. */
static void attach_work(void *arg)
{
	struct qpair_call *k = arg;
	struct nvmf_ctrl *c = k->ctrl;
	struct nvmf_qpair *qp = k->qp;
	struct nvmf_hq *hq;
	int n = (int)c->info.nr_io_queues, q;

	if (ctrl_deleting(c) || c->state == NVMF_CTRL_NEW) {
		call_finish(k, -ENODEV);
		return;
	}
	if (c->nr_qpairs + 1 >= n) {
		call_finish(k, -EBUSY);
		return;
	}
	for (q = n; q >= 1 && c->qpairs[q]; q--)
		;
	qp->qid = (uint16_t)q;
	hq = c->queues[q];
	/*
	 * Nothing else has the lock yet; shared requests in flight on the
	 * queue complete through the loop thread (qpair_complete).
	 */
	pthread_mutex_lock(&c->lock);
	c->qpairs[q] = qp;
	c->nr_qpairs++;
	pthread_mutex_unlock(&c->lock);
	if (hq) {
		hq->qp = qp;
		hq->stats = qp->stats;
	}
	qp->open = hq && hq->state == NVMF_HQ_LIVE &&
		   c->state == NVMF_CTRL_LIVE;
	ctrl_info(c, "queue %u is owned by a thread", q);
	call_finish(k, 0);
}

/* Loop thread: the queue is shared again. */
static void detach_work(void *arg)
{
	struct qpair_call *k = arg;
	struct nvmf_ctrl *c = k->ctrl;
	struct nvmf_qpair *qp = k->qp;
	struct nvmf_req_list list = TAILQ_HEAD_INITIALIZER(list);
	struct nvmf_req *req;
	struct nvmf_hq *hq;
	int s;

	pthread_mutex_lock(&qp->lock);
	hq = qp_hq(qp);
	if (hq) {
		hq->qp = NULL;
		hq->stats = c->stats;
	}
	TAILQ_CONCAT(&list, &qp->to_loop, link);
	pthread_mutex_lock(&c->lock);
	c->qpairs[qp->qid] = NULL;
	c->nr_qpairs--;
	for (s = 0; s < NVMF_STAT_NR; s++)
		ctrl_stat(c, s, qp->stats[s]);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&qp->lock);
	while ((req = TAILQ_FIRST(&list))) {
		TAILQ_REMOVE(&list, req, link);
		req_finish(c, req);
	}
	/* the loop reaps it again: ask for completion events */
	if (hq && hq->state == NVMF_HQ_LIVE && c->ops->arm) {
		c->ops->arm(hq);
		c->ops->poll(hq);
	}
	ctrl_info(c, "queue %u is shared again", qp->qid);
	ctrl_kick_pending(c);
	call_finish(k, 0);
}

/* Run fn on the loop thread and wait for it. */
static int loop_call(struct nvmf_ctrl *c, void (*fn)(void *),
		     struct qpair_call *k)
{
	if (nvmf_loop_on_thread(c->loop)) {
		fn(k);
		return k->ret;
	}
	if (nvmf_loop_post(c->loop, fn, k))
		return -ENOMEM;
	ctrl_wait(c, call_done, k);
	return k->ret;
}

int nvmf_qpair_alloc(struct nvmf_ctrl *c, struct nvmf_qpair **out)
{
	struct qpair_call k = { .ctrl = c };
	struct nvmf_qpair *qp;
	uint32_t i, n;
	int ret = ctrl_api_enter_wait(c);

	if (ret)
		return ret;
	n = (uint32_t)c->opts.queue_size - 1;
	qp = calloc(1, sizeof(*qp));
	if (!qp) {
		ret = -ENOMEM;
		goto out;
	}
	qp->ctrl = c;
	qp->owner = pthread_self();
	qp->nr_reqs = n;
	TAILQ_INIT(&qp->backlog);
	TAILQ_INIT(&qp->done);
	TAILQ_INIT(&qp->to_loop);
	TAILQ_INIT(&qp->free);
	TAILQ_INIT(&qp->held);
	qp->reqs = calloc(n, sizeof(*qp->reqs));
	qp->ranges = calloc(n, sizeof(*qp->ranges));
	qp->ns = calloc(NVMF_HOST_MAX_NS, sizeof(*qp->ns));
	if (!qp->reqs || !qp->ranges || !qp->ns ||
	    mutex_init_recursive(&qp->lock)) {
		free(qp->reqs);
		free(qp->ranges);
		free(qp->ns);
		free(qp);
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		TAILQ_INSERT_TAIL(&qp->free, &qp->reqs[i], link);
	qp->ns_gen = ~0u;
	k.qp = qp;
	ret = loop_call(c, attach_work, &k);
	if (ret) {
		qpair_destroy(qp);
		goto out;
	}
	*out = qp;
out:
	ctrl_api_leave(c);
	return ret;
}

int nvmf_qpair_free(struct nvmf_qpair *qp)
{
	struct nvmf_ctrl *c;
	struct qpair_call k = { 0 };
	int ret;

	if (!qp)
		return 0;
	c = qp->ctrl;
	if (!on_owner(qp))
		return -EPERM;
	if (qp->outstanding)
		return -EBUSY;
	ctrl_api_hold(c); /* a shut-down controller's queue too */
	k.ctrl = c;
	k.qp = qp;
	ret = loop_call(c, detach_work, &k);
	if (!ret)
		qpair_destroy(qp);
	ctrl_api_leave(c);
	return ret;
}

/* ---- the owner's data path ---------------------------------------------------- */

/* The namespace table again, when the loop thread changed it. */
static void ns_refresh(struct nvmf_qpair *qp)
{
	struct nvmf_ctrl *c = qp->ctrl;
	unsigned int gen = __atomic_load_n(&c->ns_gen, __ATOMIC_ACQUIRE);

	if (gen == qp->ns_gen)
		return;
	pthread_mutex_lock(&c->lock);
	qp->nr_ns = c->nr_ns;
	memcpy(qp->ns, c->ns, sizeof(*qp->ns) * (size_t)c->nr_ns);
	qp->max_io = c->info.max_io_bytes;
	qp->ns_gen = c->ns_gen;
	pthread_mutex_unlock(&c->lock);
}

/* Under qp->lock: send what waits while the queue is open and has room. */
static void kick(struct nvmf_qpair *qp)
{
	uint32_t tmo = (uint32_t)qp->ctrl->opts.io_timeout * 1000;
	struct nvmf_hq *hq = qp_hq(qp);
	struct nvmf_req *req;

	if (!qp->open || !hq)
		return;
	while ((req = TAILQ_FIRST(&qp->backlog)) && hq->slots.nr_free) {
		TAILQ_REMOVE(&qp->backlog, req, link);
		nvmf_slots_get(&hq->slots, req);
		if (hq_send(hq, req, tmo)) {
			/* no bounce buffer, or the queue failed: later */
			TAILQ_INSERT_HEAD(&qp->backlog, req, link);
			return;
		}
	}
}

/* What the callbacks submitted: one doorbell (one send) for all of it. */
static void send_held(struct nvmf_qpair *qp)
{
	struct nvmf_ctrl *c = qp->ctrl;
	struct nvmf_hq *hq;

	pthread_mutex_lock(&qp->lock);
	if (!qp->open && qp->fail_err)
		fail_to_done(qp, &qp->held, qp->fail_err);
	TAILQ_CONCAT(&qp->backlog, &qp->held, link);
	hq = qp_hq(qp);
	if (qp->open && hq) {
		qp->plugged = true;
		kick(qp);
		qp->plugged = false;
		if (c->ops->flush)
			c->ops->flush(hq);
	}
	pthread_mutex_unlock(&qp->lock);
}

int nvmf_qpair_submit(struct nvmf_qpair *qp, const struct nvmf_io *io,
		      nvmf_io_cb cb, void *arg)
{
	struct nvmf_ctrl *c = qp->ctrl;
	struct nvmf_req *req;
	int ret;

	if (!on_owner(qp))
		return -EPERM;
	if (atomic_load_explicit(&c->closing, memory_order_relaxed))
		return -ENODEV;
	req = TAILQ_FIRST(&qp->free);
	if (!req)
		return -EAGAIN;
	ns_refresh(qp);
	TAILQ_REMOVE(&qp->free, req, link);
	memset(req, 0, sizeof(*req));
	ret = io_fill(req, ns_table_find(qp->ns, qp->nr_ns, io->nsid),
		      qp->max_io, io, &qp->ranges[req - qp->reqs], cb, arg);
	if (ret) {
		TAILQ_INSERT_HEAD(&qp->free, req, link);
		return ret;
	}
	/* the range is the queue's, not the request's to free */
	req->flags = (req->flags & ~NVMF_REQ_OWN_BUF) | NVMF_REQ_QPAIR;
	qp->outstanding++;
	if (qp->in_callbacks) {
		/* sent with the others at the end of nvmf_qpair_poll() */
		TAILQ_INSERT_TAIL(&qp->held, req, link);
		return 0;
	}
	pthread_mutex_lock(&qp->lock);
	if (qp->open || !qp->fail_err) {
		TAILQ_INSERT_TAIL(&qp->backlog, req, link);
		kick(qp);
	} else {
		req->err = qp->fail_err;
		TAILQ_INSERT_TAIL(&qp->done, req, link);
	}
	pthread_mutex_unlock(&qp->lock);
	return 0;
}

int nvmf_qpair_poll(struct nvmf_qpair *qp)
{
	struct nvmf_req_list list = TAILQ_HEAD_INITIALIZER(list);
	struct nvmf_ctrl *c = qp->ctrl;
	struct nvmf_req *req;
	struct nvmf_hq *hq;
	int n = 0;

	if (!on_owner(qp))
		return -EPERM;
	pthread_mutex_lock(&qp->lock);
	hq = qp_hq(qp);
	if (qp->open && hq) {
		kick(qp);
		c->ops->poll(hq);
		/* slots its completions freed */
		kick(qp);
	}
	TAILQ_CONCAT(&list, &qp->done, link);
	pthread_mutex_unlock(&qp->lock);
	qp->in_callbacks = true;
	while ((req = TAILQ_FIRST(&list))) {
		TAILQ_REMOVE(&list, req, link);
		qp->outstanding--;
		n++;
		if (req->user_cb)
			req->user_cb(req->user_arg,
				     req->err ? req->err : req->status);
		TAILQ_INSERT_HEAD(&qp->free, req, link);
	}
	qp->in_callbacks = false;
	if (!TAILQ_EMPTY(&qp->held))
		send_held(qp);
	return n;
}

int nvmf_qpair_id(const struct nvmf_qpair *qp)
{
	return qp->qid;
}

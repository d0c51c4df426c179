// SPDX-License-Identifier: GPL-2.0
/*
 * Requests of the host: submission from any thread, the pending list
 * (requests wait there while the controller reconnects or a queue is
 * full), dispatch to live queues, completion, and the public I/O API.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl.h"

/* A new request (the caches were empty): counted as an allocation. */
static struct nvmf_req *req_new(struct nvmf_ctrl *c)
{
	struct nvmf_req *req = calloc(1, sizeof(*req));

	if (req) {
		ctrl_stat(c, NVMF_STAT_ALLOCS, 1);
		__atomic_fetch_add(&c->nr_reqs, 1, __ATOMIC_RELAXED);
	}
	return req;
}

static void req_destroy(struct nvmf_ctrl *c, struct nvmf_req *req)
{
	__atomic_fetch_sub(&c->nr_reqs, 1, __ATOMIC_RELAXED);
	free(req);
}

struct nvmf_req *req_alloc(struct nvmf_ctrl *c)
{
	struct nvmf_req *req = TAILQ_FIRST(&c->req_done);

	if (!req)
		return req_new(c);
	TAILQ_REMOVE(&c->req_done, req, link);
	memset(req, 0, sizeof(*req));
	return req;
}

void req_free(struct nvmf_ctrl *c, struct nvmf_req *req)
{
	if (req->flags & NVMF_REQ_OWN_BUF)
		free(req->buf);
	if (__atomic_load_n(&c->nr_reqs, __ATOMIC_RELAXED) >
	    NVMF_HOST_REQ_CACHE) {
		req_destroy(c, req);
		return;
	}
	/* the most recently used first: its cache lines are warm */
	TAILQ_INSERT_HEAD(&c->req_done, req, link);
}

static void req_list_destroy(struct nvmf_ctrl *c, struct nvmf_req_list *list)
{
	struct nvmf_req *req;

	while ((req = TAILQ_FIRST(list))) {
		TAILQ_REMOVE(list, req, link);
		req_destroy(c, req);
	}
}

void req_cache_fini(struct nvmf_ctrl *c)
{
	req_list_destroy(c, &c->req_done);
	req_list_destroy(c, &c->req_cache);
}

void req_complete(struct nvmf_ctrl *c, struct nvmf_req *req)
{
	if (req->done)
		req->done(req);
	else if (req->user_cb)
		req->user_cb(req->user_arg, req->err ? req->err : req->status);
	req_free(c, req);
}

static void fail_list(struct nvmf_ctrl *c, struct nvmf_req_list *list, int err)
{
	struct nvmf_req *req;

	while ((req = TAILQ_FIRST(list))) {
		TAILQ_REMOVE(list, req, link);
		req->err = err;
		req_complete(c, req);
	}
}

void ctrl_fail_pending(struct nvmf_ctrl *c, int err)
{
	struct nvmf_req_list list = TAILQ_HEAD_INITIALIZER(list);

	pthread_mutex_lock(&c->lock);
	TAILQ_CONCAT(&list, &c->incoming, link);
	pthread_mutex_unlock(&c->lock);
	TAILQ_CONCAT(&c->pending, &list, link);
	TAILQ_CONCAT(&list, &c->pending, link);
	fail_list(c, &list, err);
	qpairs_fail_backlog(c, err);
}

int hq_send(struct nvmf_hq *hq, struct nvmf_req *req, uint32_t tmo_ms)
{
	int ret;

	req->hq = hq;
	req->err = 0;
	req->status = 0;
	req->deadline_ms = tmo_ms ? nvmf_now_ms() + tmo_ms : 0;
	ret = hq->ctrl->ops->submit(hq, req);
	if (ret) {
		nvmf_slots_put(&hq->slots, req->cid);
		req->hq = NULL;
	}
	return ret;
}

int ctrl_submit_internal(struct nvmf_ctrl *c, uint16_t qid,
			 const union nvme_command *cmd, void *buf, uint32_t len,
			 uint32_t flags, nvmf_req_done_fn done, void *arg,
			 uint32_t tmo_ms)
{
	struct nvmf_hq *hq = c->queues[qid];
	struct nvmf_req *req = req_alloc(c);
	int ret;

	if (!req) {
		if (flags & NVMF_REQ_OWN_BUF)
			free(buf);
		return -ENOMEM;
	}
	req->cmd = *cmd;
	req->buf = buf;
	req->len = len;
	req->flags = flags | NVMF_REQ_INTERNAL;
	req->done = done;
	req->arg = arg;
	if (!hq || hq->state < NVMF_HQ_CONNECT) {
		ret = -ENOTCONN;
		goto out_free;
	}
	if (nvmf_slots_get(&hq->slots, req) < 0) {
		ret = -EBUSY;
		goto out_free;
	}
	ret = hq_send(hq, req, tmo_ms);
	if (ret)
		goto out_free;
	return 0;
out_free:
	req_free(c, req);
	return ret;
}

static struct nvmf_hq *pick_queue(struct nvmf_ctrl *c, struct nvmf_req *req)
{
	struct nvmf_hq *hq;
	uint16_t k, n = c->nr_io_queues;

	if (req->flags & NVMF_REQ_ADMIN) {
		hq = c->queues[0];
		return hq && hq->state == NVMF_HQ_LIVE && hq->slots.nr_free ?
			       hq :
			       NULL;
	}
	for (k = 0; k < n; k++) {
		hq = c->queues[1 + (c->next_io_queue + k) % n];
		/* an owned queue takes its owner's requests only */
		if (hq && hq->state == NVMF_HQ_LIVE && hq->slots.nr_free &&
		    !hq->qp) {
			c->next_io_queue =
				(uint16_t)((c->next_io_queue + k + 1) % n);
			return hq;
		}
	}
	return NULL;
}

void ctrl_kick_pending(struct nvmf_ctrl *c)
{
	struct nvmf_req *req;
	struct nvmf_hq *hq;
	uint32_t tmo;
	int ret;

	if (c->state != NVMF_CTRL_LIVE)
		return;
	while ((req = TAILQ_FIRST(&c->pending))) {
		hq = pick_queue(c, req);
		if (!hq)
			return;
		TAILQ_REMOVE(&c->pending, req, link);
		nvmf_slots_get(&hq->slots, req);
		tmo = req->flags & NVMF_REQ_ADMIN ?
			      NVMF_HOST_ADMIN_TMO_MS :
			      (uint32_t)c->opts.io_timeout * 1000;
		ret = hq_send(hq, req, tmo);
		if (ret) {
			TAILQ_INSERT_HEAD(&c->pending, req, link);
			/* -EAGAIN: no bounce buffer; a completion frees one */
			if (ret != -EAGAIN)
				ctrl_error(c, "cannot post a command");
			return;
		}
	}
}

/* A user request on the loop thread. */
static void ctrl_queue_req(struct nvmf_ctrl *c, struct nvmf_req *req)
{
	if (ctrl_deleting(c)) {
		req->err = -ENODEV;
		req_complete(c, req);
		return;
	}
	if (c->state != NVMF_CTRL_LIVE && c->info.fail_fast) {
		req->err = -ENOLINK;
		req_complete(c, req);
		return;
	}
	TAILQ_INSERT_TAIL(&c->pending, req, link);
	ctrl_kick_pending(c);
}

static void incoming_work(void *arg)
{
	struct nvmf_ctrl *c = arg;
	struct nvmf_req_list list = TAILQ_HEAD_INITIALIZER(list);
	struct nvmf_req *req;

	pthread_mutex_lock(&c->lock);
	TAILQ_CONCAT(&list, &c->incoming, link);
	c->incoming_posted = false;
	/* the requests completed since the last hop, for the next ones */
	TAILQ_CONCAT(&c->req_cache, &c->req_done, link);
	pthread_mutex_unlock(&c->lock);
	/* the requests of one hop go out together: a doorbell per queue */
	nvmf_io_plug(c);
	while ((req = TAILQ_FIRST(&list))) {
		TAILQ_REMOVE(&list, req, link);
		ctrl_queue_req(c, req);
	}
	nvmf_io_unplug(c);
}

/*
 * Other threads: a request to fill, with c->lock held - a completed one
 * reused, taken under the lock that queues the submission, so that neither
 * costs an allocation or a lock of its own.  NULL (lock not held): out of
 * memory.
 */
static struct nvmf_req *req_get_locked(struct nvmf_ctrl *c)
{
	struct nvmf_req *req;

	pthread_mutex_lock(&c->lock);
	req = TAILQ_FIRST(&c->req_cache);
	if (req) {
		TAILQ_REMOVE(&c->req_cache, req, link);
		return req;
	}
	pthread_mutex_unlock(&c->lock);
	req = req_new(c);
	if (req)
		pthread_mutex_lock(&c->lock);
	return req;
}

/* Other threads: queue a filled request for the loop; unlocks c->lock. */
static int incoming_add_unlock(struct nvmf_ctrl *c, struct nvmf_req *req)
{
	bool post;

	TAILQ_INSERT_TAIL(&c->incoming, req, link);
	post = !c->incoming_posted;
	c->incoming_posted = true;
	pthread_mutex_unlock(&c->lock);
	if (!post)
		return 0;
	ctrl_stat(c, NVMF_STAT_HOPS, 1);
	if (!nvmf_loop_post(c->loop, incoming_work, c))
		return 0;
	pthread_mutex_lock(&c->lock);
	TAILQ_REMOVE(&c->incoming, req, link);
	c->incoming_posted = false;
	req->flags &= ~NVMF_REQ_OWN_BUF; /* the caller's again */
	TAILQ_INSERT_HEAD(&c->req_cache, req, link);
	pthread_mutex_unlock(&c->lock);
	return -ENOMEM;
}

/* Submit a copy of *tmpl from any thread. */
static int submit_any_thread(struct nvmf_ctrl *c, const struct nvmf_req *tmpl)
{
	struct nvmf_req *req;

	if (nvmf_loop_on_thread(c->loop)) {
		req = req_alloc(c);
		if (!req)
			return -ENOMEM;
		*req = *tmpl;
		ctrl_queue_req(c, req);
		return 0;
	}
	req = req_get_locked(c);
	if (!req)
		return -ENOMEM;
	*req = *tmpl;
	return incoming_add_unlock(c, req);
}

void nvmf_hq_complete(struct nvmf_hq *hq, const struct nvme_completion *cqe)
{
	struct nvmf_ctrl *c = hq->ctrl;
	struct nvmf_req *req = nvmf_slots_find(&hq->slots, cqe->command_id);
	uint16_t status = le16toh(cqe->status) >> 1;

	if (!req) {
		ctrl_warn(c,
			  "queue %u: response for cid %u, which is not "
			  "outstanding",
			  hq->qid, cqe->command_id);
		return;
	}
	nvmf_slots_put(&hq->slots, req->cid);
	req->hq = NULL;
	req->status = status;
	req->result = le64toh(cqe->result.u64);
	req->dw0 = (uint32_t)req->result;
	if (hq->qp && qpair_complete(hq, req))
		return;
	req_finish(c, req);
}

/* A request's response came in (loop thread): complete or resend it. */
void req_finish(struct nvmf_ctrl *c, struct nvmf_req *req)
{
	uint16_t status = req->status;

	/* a path error without DNR: send it again (on this or another path) */
	if (nvme_status_sct((uint16_t)(status << 1)) == NVME_SCT_PATH &&
	    !(status & 0x4000) && !(req->flags & NVMF_REQ_INTERNAL)) {
		TAILQ_INSERT_HEAD(&c->pending, req, link);
	} else {
		if (!(req->flags & NVMF_REQ_INTERNAL))
			ctrl_stat_loop(c, NVMF_STAT_IOS, 1);
		req_complete(c, req);
	}
	if (!TAILQ_EMPTY(&c->pending))
		ctrl_kick_pending(c);
}

/* ---- the public I/O API --------------------------------------------------------- */

/*
 * The namespace nsid (0: the first), with c->lock held or on the loop
 * thread (which alone changes the table).
 */
const struct nvmf_ns_info *ns_table_find(const struct nvmf_ns_info *ns, int n,
					 uint32_t nsid)
{
	for (int i = 0; i < n; i++)
		if (!nsid || ns[i].nsid == nsid)
			return &ns[i];
	return NULL;
}

static const struct nvmf_ns_info *ns_find(const struct nvmf_ctrl *c,
					  uint32_t nsid)
{
	return ns_table_find(c->ns, c->nr_ns, nsid);
}

int nvmf_ctrl_find_ns(struct nvmf_ctrl *c, uint32_t nsid,
		      struct nvmf_ns_info *out)
{
	const struct nvmf_ns_info *ns;

	ctrl_api_hold(c);
	pthread_mutex_lock(&c->lock);
	ns = ns_find(c, nsid);
	if (ns)
		*out = *ns;
	pthread_mutex_unlock(&c->lock);
	ctrl_api_leave(c);
	return ns ? 0 : -ENOENT;
}

int io_fill(struct nvmf_req *req, const struct nvmf_ns_info *ns,
	    uint32_t max_io, const struct nvmf_io *io, struct nvme_dsm_range *r,
	    nvmf_io_cb cb, void *arg)
{
	if (!ns)
		return -EINVAL;
	req->user_cb = cb;
	req->user_arg = arg;
	if ((io->op == NVMF_IO_READ || io->op == NVMF_IO_WRITE) &&
	    (io->len > max_io || !io->buf))
		return -EINVAL;
	if (nvmf_cmd_io(&req->cmd, io, ns->block_size, ns->blocks))
		return -EINVAL;
	switch (io->op) {
	case NVMF_IO_READ:
		req->flags |= NVMF_REQ_TO_HOST;
		/* fall through */
	case NVMF_IO_WRITE:
		req->buf = io->buf;
		req->len = io->len;
		break;
	case NVMF_IO_DEALLOCATE:
		r->nlb = htole32(io->len / ns->block_size);
		r->slba = htole64(io->offset / ns->block_size);
		req->buf = r;
		req->len = sizeof(*r);
		req->flags |= NVMF_REQ_OWN_BUF;
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Fill a cleared request for io, completed to cb, with c->lock held or on
 * the loop thread.  A deallocation's range goes in r, which the request
 * then owns.
 */
static int io_prepare(struct nvmf_ctrl *c, struct nvmf_req *req,
		      const struct nvmf_io *io, struct nvme_dsm_range *r,
		      nvmf_io_cb cb, void *arg)
{
	return io_fill(req, ns_find(c, io->nsid), c->info.max_io_bytes, io, r,
		       cb, arg);
}

/*
 * One lock per I/O from other threads: the namespace lookup, the request
 * reused from the cache and the queueing for the loop thread under it.
 */
int nvmf_io_submit(struct nvmf_ctrl *c, const struct nvmf_io *io, nvmf_io_cb cb,
		   void *arg)
{
	struct nvme_dsm_range *r = NULL;
	struct nvmf_req *req;
	int ret = ctrl_api_enter(c);

	if (ret)
		return ret;
	if (io->op == NVMF_IO_DEALLOCATE) {
		r = calloc(1, sizeof(*r));
		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		ctrl_stat(c, NVMF_STAT_ALLOCS, 1);
	}
	if (nvmf_loop_on_thread(c->loop)) {
		req = req_alloc(c);
		ret = req ? io_prepare(c, req, io, r, cb, arg) : -ENOMEM;
		if (!ret)
			ctrl_queue_req(c, req);
		else if (req)
			req_free(c, req);
	} else if (!(req = req_get_locked(c))) {
		ret = -ENOMEM;
	} else {
		memset(req, 0, sizeof(*req));
		ret = io_prepare(c, req, io, r, cb, arg);
		if (!ret) {
			ret = incoming_add_unlock(c, req);
		} else {
			TAILQ_INSERT_HEAD(&c->req_cache, req, link);
			pthread_mutex_unlock(&c->lock);
		}
	}
	if (ret)
		free(r);
out:
	ctrl_api_leave(c);
	return ret;
}

struct sync_call {
	struct nvmf_ctrl *ctrl;
	bool done;
	int status;
	uint32_t dw0;
};

static bool sync_done(void *arg)
{
	return ((struct sync_call *)arg)->done;
}

static void sync_finish(struct sync_call *s, int status, uint32_t dw0)
{
	pthread_mutex_lock(&s->ctrl->lock);
	s->status = status;
	s->dw0 = dw0;
	s->done = true;
	pthread_cond_broadcast(&s->ctrl->cond);
	pthread_mutex_unlock(&s->ctrl->lock);
}

static void sync_io_cb(void *arg, int status)
{
	sync_finish(arg, status, 0);
}

int nvmf_io_sync(struct nvmf_ctrl *c, const struct nvmf_io *io)
{
	struct sync_call s = { .ctrl = c };
	int ret = ctrl_api_enter_wait(c);

	if (ret)
		return ret;
	ret = nvmf_io_submit(c, io, sync_io_cb, &s);
	if (!ret) {
		ctrl_wait(c, sync_done, &s);
		ret = s.status;
	}
	ctrl_api_leave(c);
	return ret;
}

static void sync_admin_done(struct nvmf_req *req)
{
	sync_finish(req->arg, req->err ? req->err : req->status, req->dw0);
}

int nvmf_admin_sync(struct nvmf_ctrl *c, const void *sqe, void *buf,
		    uint32_t len, bool to_host, uint32_t *dw0)
{
	struct sync_call s = { .ctrl = c };
	struct nvmf_req tmpl = { 0 };
	int ret = ctrl_api_enter_wait(c);

	if (ret)
		return ret;
	if (len > c->info.max_io_bytes) {
		ret = -EINVAL;
		goto out;
	}
	memcpy(&tmpl.cmd, sqe, sizeof(tmpl.cmd));
	tmpl.buf = len ? buf : NULL;
	tmpl.len = len;
	tmpl.flags = NVMF_REQ_ADMIN | (to_host ? NVMF_REQ_TO_HOST : 0);
	tmpl.done = sync_admin_done;
	tmpl.arg = &s;
	ret = submit_any_thread(c, &tmpl);
	if (ret)
		goto out;
	ctrl_wait(c, sync_done, &s);
	if (dw0)
		*dw0 = s.dw0;
	ret = s.status;
out:
	ctrl_api_leave(c);
	return ret;
}

/* ---- memory ------------------------------------------------------------------- */

struct mr_call {
	struct sync_call sync;
	void *buf;
	size_t len;
	bool add;
};

static void mr_work(void *arg)
{
	struct mr_call *m = arg;
	struct nvmf_ctrl *c = m->sync.ctrl;
	int ret = 0;

	/* owners' submissions look the regions up */
	qpairs_lock(c);
	if (m->add)
		ret = c->ops->mr_add(c, m->buf, m->len);
	else
		c->ops->mr_del(c, m->buf);
	qpairs_unlock(c);
	sync_finish(&m->sync, ret, 0);
}

static int mr_call(struct nvmf_ctrl *c, void *buf, size_t len, bool add)
{
	struct mr_call m = {
		.sync = { .ctrl = c }, .buf = buf, .len = len, .add = add
	};
	int ret = 0;

	if (!add)
		ctrl_api_hold(c); /* unregister on a shut-down one too */
	else if ((ret = ctrl_api_enter(c)))
		return ret;
	if (nvmf_loop_on_thread(c->loop)) {
		mr_work(&m); /* no wait: allowed from a callback */
		ret = m.sync.status;
	} else if (nvmf_loop_post(c->loop, mr_work, &m)) {
		ret = -ENOMEM;
	} else {
		ctrl_wait(c, sync_done, &m.sync);
		ret = m.sync.status;
	}
	ctrl_api_leave(c);
	return ret;
}

int nvmf_ctrl_register(struct nvmf_ctrl *c, void *buf, size_t len)
{
	if (!buf || !len)
		return -EINVAL;
	return mr_call(c, buf, len, true);
}

void nvmf_ctrl_unregister(struct nvmf_ctrl *c, void *buf)
{
	mr_call(c, buf, 0, false);
}

#define POOL_CHUNKS 64

void *nvmf_buf_alloc(struct nvmf_ctrl *c, size_t len)
{
	bool init = false;
	void *buf = NULL;

	if (len > NVMF_HOST_MAX_IO || ctrl_api_enter(c))
		return NULL;
	pthread_mutex_lock(&c->lock);
	if (!c->pool_ready) {
		if (nvmf_pool_init(&c->pool, NVMF_HOST_MAX_IO, POOL_CHUNKS)) {
			pthread_mutex_unlock(&c->lock);
			goto out;
		}
		c->pool_ready = init = true;
	}
	pthread_mutex_unlock(&c->lock);
	if (init &&
	    nvmf_ctrl_register(c, c->pool.base, c->pool.chunk * c->pool.nr))
		ctrl_warn(c, "buffer pool not registered: I/O will copy");
	buf = nvmf_pool_get(&c->pool);
out:
	ctrl_api_leave(c);
	return buf;
}

void nvmf_buf_free(struct nvmf_ctrl *c, void *buf)
{
	if (!buf)
		return;
	ctrl_api_hold(c);
	if (nvmf_pool_put(&c->pool, buf))
		ctrl_warn(c, "nvmf_buf_free of %p: not a pool buffer", buf);
	ctrl_api_leave(c);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions shared by the controller's files: ctrl.c (state, lifetime,
 * recovery), init.c (association setup, namespaces, keep-alive, AEN) and
 * io.c (requests: submission, dispatch, completion).  Loop thread only.
 */
#ifndef NVMF_HOST_CTRL_H
#define NVMF_HOST_CTRL_H

#include "internal.h"
#include "log.h"
#include "util.h"

/* ctrl.c */
int ctrl_set_state(struct nvmf_ctrl *c, enum nvmf_ctrl_state to,
		   const char *why);
void ctrl_notify(struct nvmf_ctrl *c);
__attribute__((format(printf, 2, 3))) void ctrl_set_error(struct nvmf_ctrl *c,
							  const char *fmt, ...);
void ctrl_teardown(struct nvmf_ctrl *c);
void ctrl_delete(struct nvmf_ctrl *c, int err, const char *why);
void ctrl_attempt_failed(struct nvmf_ctrl *c, int err, bool dnr,
			 const char *why);
void ctrl_error(struct nvmf_ctrl *c, const char *why);
void ctrl_live(struct nvmf_ctrl *c);
void ctrl_wait(struct nvmf_ctrl *c, bool (*cond_fn)(void *), void *arg);
/* The API's threading rules (include/nvmf/host.h). */
int ctrl_api_enter(struct nvmf_ctrl *c);
void ctrl_api_hold(struct nvmf_ctrl *c);
void ctrl_api_leave(struct nvmf_ctrl *c);
int ctrl_api_enter_wait(struct nvmf_ctrl *c);

/* Being deleted or dead: never reconnect, fail what is submitted. */
static inline bool ctrl_deleting(const struct nvmf_ctrl *c)
{
	return c->state == NVMF_CTRL_DELETING ||
	       c->state == NVMF_CTRL_DELETING_NOIO ||
	       c->state == NVMF_CTRL_DEAD;
}

/* init.c */
void ctrl_attempt_start(struct nvmf_ctrl *c);
void ctrl_step_timeout(void *arg);
void ctrl_keep_alive(void *arg);
void ctrl_tick(void *arg);

/* io.c */
/* A cleared request: a completed one reused, or a new one. */
struct nvmf_req *req_alloc(struct nvmf_ctrl *c);
/* Done with a request: kept for reuse (up to NVMF_HOST_REQ_CACHE). */
void req_free(struct nvmf_ctrl *c, struct nvmf_req *req);
/* Free the requests kept for reuse (the controller is being freed). */
void req_cache_fini(struct nvmf_ctrl *c);
/* Complete a request to its owner (user callback or internal done). */
void req_complete(struct nvmf_ctrl *c, struct nvmf_req *req);
/* Fail every request waiting (pending, incoming) with err. */
void ctrl_fail_pending(struct nvmf_ctrl *c, int err);
/* Dispatch pending requests to live queues. */
void ctrl_kick_pending(struct nvmf_ctrl *c);
/* Submit a request of the association on queue qid (no pending list). */
int ctrl_submit_internal(struct nvmf_ctrl *c, uint16_t qid,
			 const union nvme_command *cmd, void *buf, uint32_t len,
			 uint32_t flags, nvmf_req_done_fn done, void *arg,
			 uint32_t tmo_ms);
/* Send a request on a queue whose slot it holds.  Return: 0 or < 0. */
int hq_send(struct nvmf_hq *hq, struct nvmf_req *req, uint32_t tmo_ms);
/* A response of a request came in, on the loop thread: complete it. */
void req_finish(struct nvmf_ctrl *c, struct nvmf_req *req);
/* Namespace nsid of a table of n (nsid 0: the first), or NULL. */
const struct nvmf_ns_info *ns_table_find(const struct nvmf_ns_info *ns, int n,
					 uint32_t nsid);
/*
 * Fill a cleared request for io on namespace ns (NULL: -EINVAL), at most
 * max_io bytes; a deallocation's range goes in r.  Return: 0 or -EINVAL.
 */
int io_fill(struct nvmf_req *req, const struct nvmf_ns_info *ns,
	    uint32_t max_io, const struct nvmf_io *io, struct nvme_dsm_range *r,
	    nvmf_io_cb cb, void *arg);

/* qpair.c: queues owned by application threads (struct nvmf_qpair) */
/*
 * The response of req came in on owned queue hq (under its lock).
 * Return: true if handled; false: a controller's request reaped on the
 * loop thread, for req_finish().
 */
bool qpair_complete(struct nvmf_hq *hq, struct nvmf_req *req);
/* The owner saw its queue fail: the loop thread handles it (qp->lock). */
void qpair_owner_error(struct nvmf_hq *hq, const char *why);
/* Fail what waits on every owned queue with err (loop thread). */
void qpairs_fail_backlog(struct nvmf_ctrl *c, int err);
/* The controller is live: owners may send on their queues again. */
void qpairs_open(struct nvmf_ctrl *c);
/*
 * queue_teardown() of owned queue hq: its owner's request req goes back
 * to wait (requeue) or fails with err.
 */
void qpair_take_back(struct nvmf_hq *hq, struct nvmf_req *req, int err);
/* Every owned queue's lock, for what owners' submissions read. */
void qpairs_lock(struct nvmf_ctrl *c);
void qpairs_unlock(struct nvmf_ctrl *c);
/* Free what owners left (the controller is being freed). */
void qpairs_fini(struct nvmf_ctrl *c);

#endif /* NVMF_HOST_CTRL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * The host controller: its state machine, its lifetime (connect, error
 * recovery, reconnect, delete) and the public controller API.
 *
 * Error recovery never deletes the controller: it tears every queue down
 * (the transport releases all its objects on the device), puts the
 * requests that were in flight back at the head of the pending list, and
 * reconnects every reconnect_delay seconds (or at once on
 * nvmf_ctrl_kick()) until ctrl_loss_tmo.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctrl.h"
#include "log.h"
#include "nqn.h"

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The one place a controller changes state.  Return: 0 or -EINVAL. */
int ctrl_set_state(struct nvmf_ctrl *c, enum nvmf_ctrl_state to,
		   const char *why)
{
	enum nvmf_ctrl_state from = c->state;

	if (!nvmf_ctrl_state_allowed(from, to)) {
		ctrl_warn(c, "state %s -> %s refused (%s)",
			  nvmf_ctrl_state_name(from), nvmf_ctrl_state_name(to),
			  why);
		return -EINVAL;
	}
	pthread_mutex_lock(&c->lock);
	c->state = to;
	c->info.state = to;
	c->info.state_since_ms = nvmf_now_ms();
	c->info.state_since_real = real_ms();
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	ctrl_info(c, "state %s -> %s: %s", nvmf_ctrl_state_name(from),
		  nvmf_ctrl_state_name(to), why);
	ctrl_notify(c);
	return 0;
}

void ctrl_notify(struct nvmf_ctrl *c)
{
	if (c->opts.event_cb)
		c->opts.event_cb(c->opts.event_arg, c);
}

void ctrl_set_error(struct nvmf_ctrl *c, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&c->lock);
	va_start(ap, fmt);
	vsnprintf(c->info.last_error, sizeof(c->info.last_error), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&c->lock);
}

/* ---- teardown -------------------------------------------------------------- */

/*
 * In-flight user requests go back to be sent again after the reconnect -
 * except one that timed out more than max_retries times: a command the
 * target never answers fails, instead of being retried forever.
 */
static void queue_teardown(struct nvmf_ctrl *c, struct nvmf_hq *hq,
			   struct nvmf_req_list *requeue,
			   struct nvmf_req_list *failed)
{
	struct nvmf_req_list out = TAILQ_HEAD_INITIALIZER(out);
	pthread_mutex_t *m = hq_lock(hq);
	struct nvmf_req *req;
	bool failing;

	if (hq->state != NVMF_HQ_DOWN)
		c->ops->queue_teardown(hq);
	nvmf_slots_drain(&hq->slots, &out);
	while ((req = TAILQ_FIRST(&out))) {
		TAILQ_REMOVE(&out, req, link);
		req->hq = NULL;
		failing = !(req->flags & NVMF_REQ_INTERNAL) &&
			  req->timeouts > c->opts.max_retries;
		if (failing)
			ctrl_warn(c,
				  "command 0x%02x timed out %d times: failed",
				  req->cmd.common.opcode, req->timeouts);
		if (req->flags & NVMF_REQ_INTERNAL)
			req_free(c, req); /* of the association */
		else if (req->flags & NVMF_REQ_QPAIR)
			qpair_take_back(hq, req, failing ? -ETIMEDOUT : 0);
		else
			TAILQ_INSERT_TAIL(failing ? failed : requeue, req,
					  link);
	}
	if (hq->qp)
		hq->qp->open = false;
	nvmf_slots_fini(&hq->slots);
	c->queues[hq->qid] = NULL;
	free(hq);
	hq_unlock(m);
}

/*
 * Tear every queue down and release the device; in-flight user requests
 * go back to the head of the pending list.
 */
void ctrl_teardown(struct nvmf_ctrl *c)
{
	struct nvmf_req_list requeue = TAILQ_HEAD_INITIALIZER(requeue);
	struct nvmf_req_list failed = TAILQ_HEAD_INITIALIZER(failed);
	struct nvmf_req *req;
	int i, n = 0;

	nvmf_timer_disarm(c->ka_timer);
	nvmf_timer_disarm(c->step_timer);
	c->ka_outstanding = false;
	for (i = NVMF_HOST_MAX_QUEUES; i >= 0; i--) {
		if (c->queues[i]) {
			queue_teardown(c, c->queues[i], &requeue, &failed);
			n++;
		}
	}
	c->ops->ctrl_release(c);
	c->step = INIT_IDLE;
	c->nr_io_queues = 0;
	if (!TAILQ_EMPTY(&requeue)) {
		int cnt = 0;
		struct nvmf_req *r;

		TAILQ_FOREACH(r, &requeue, link)
			cnt++;
		ctrl_info(c, "%d in-flight request(s) requeued", cnt);
	}
	TAILQ_CONCAT(&requeue, &c->pending, link);
	TAILQ_CONCAT(&c->pending, &requeue, link);
	if (n)
		ctrl_debug(c, "%d queue(s) torn down", n);
	while ((req = TAILQ_FIRST(&failed))) {
		TAILQ_REMOVE(&failed, req, link);
		req->err = -ETIMEDOUT;
		req_complete(c, req);
	}
}

/* ---- delete --------------------------------------------------------------- */

static void ctrl_finish_delete(struct nvmf_ctrl *c, int err)
{
	if (c->state == NVMF_CTRL_DEAD)
		return;
	nvmf_timer_disarm(c->reconnect_timer);
	nvmf_timer_disarm(c->loss_timer);
	nvmf_timer_disarm(c->failfast_timer);
	nvmf_timer_disarm(c->tick_timer);
	ctrl_teardown(c);
	ctrl_fail_pending(c, err);
	ctrl_set_state(c, NVMF_CTRL_DEAD, "deleted");
}

/* Delete now: no shutdown handshake (the connection is gone). */
void ctrl_delete(struct nvmf_ctrl *c, int err, const char *why)
{
	if (ctrl_deleting(c))
		return;
	if (c->state == NVMF_CTRL_NEW)
		ctrl_set_state(c, NVMF_CTRL_CONNECTING, "first connect");
	ctrl_set_error(c, "%s", why);
	ctrl_set_state(c, NVMF_CTRL_DELETING, why);
	ctrl_finish_delete(c, err);
}

static void shutdown_done(struct nvmf_req *req)
{
	struct nvmf_ctrl *c = req->arg;

	if (req->err || req->status)
		ctrl_info(c, "shutdown: status 0x%x", req->status);
	ctrl_finish_delete(c, -ENODEV);
}

/* nvmf_ctrl_disconnect(): shut a live controller down, then delete it. */
static void ctrl_disconnect_work(void *arg)
{
	struct nvmf_ctrl *c = arg;
	union nvme_command cmd;

	if (ctrl_deleting(c))
		return;
	if (c->state != NVMF_CTRL_LIVE) {
		ctrl_delete(c, -ENODEV, "disconnect requested");
		return;
	}
	ctrl_set_state(c, NVMF_CTRL_DELETING, "disconnect requested");
	nvmf_timer_disarm(c->ka_timer);
	/* fail what waits; what is in flight completes or is failed */
	ctrl_fail_pending(c, -ENODEV);
	nvmf_cmd_prop_set(&cmd, NVME_REG_CC,
			  c->cc_enabled | NVME_CC_SHN_NORMAL);
	if (ctrl_submit_internal(c, 0, &cmd, NULL, 0, 0, shutdown_done, c,
				 2000))
		ctrl_finish_delete(c, -ENODEV);
}

/* ---- error recovery and reconnect ------------------------------------------ */

static void reconnect_fire(void *arg)
{
	ctrl_attempt_start(arg);
}

static void schedule_attempt(struct nvmf_ctrl *c)
{
	uint64_t now = nvmf_now_ms();
	uint64_t next =
		c->attempt_start + (uint64_t)c->opts.reconnect_delay * 1000;
	uint64_t delay = next > now ? next - now : 0;

	ctrl_info(c, "next reconnect attempt in %llu ms",
		  (unsigned long long)delay);
	nvmf_timer_arm(c->reconnect_timer, delay ? delay : 1, 0);
}

static bool loss_expired(struct nvmf_ctrl *c)
{
	return c->opts.ctrl_loss_tmo >= 0 &&
	       nvmf_now_ms() - c->loss_start >=
		       (uint64_t)c->opts.ctrl_loss_tmo * 1000;
}

/* An attempt (first connect or reconnect) failed. */
void ctrl_attempt_failed(struct nvmf_ctrl *c, int err, bool dnr,
			 const char *why)
{
	if (ctrl_deleting(c)) {
		/* never reconnect (nor stay half deleted) once deleting */
		ctrl_error(c, why);
		return;
	}
	ctrl_teardown(c);
	ctrl_set_error(c, "%s", why);
	if (!c->reconnecting) {
		ctrl_info(c, "connect failed: %s", why);
		pthread_mutex_lock(&c->lock);
		c->first_done = true;
		c->first_err = err ? err : -EIO;
		snprintf(c->first_why, sizeof(c->first_why), "%s", why);
		pthread_mutex_unlock(&c->lock);
		ctrl_delete(c, -ENODEV, why);
		return;
	}
	ctrl_warn(c, "reconnect attempt %u failed: %s",
		  c->info.reconnect_attempts, why);
	if (dnr) {
		ctrl_delete(c, -ENODEV,
			    "the controller refused the connection (DNR)");
		return;
	}
	if (loss_expired(c)) {
		ctrl_delete(c, -ENODEV, "ctrl_loss_tmo expired");
		return;
	}
	schedule_attempt(c);
}

/* The association failed: keep everything and reconnect. */
void ctrl_error(struct nvmf_ctrl *c, const char *why)
{
	if (c->state == NVMF_CTRL_DEAD)
		return;
	if (ctrl_deleting(c)) {
		/* the connection failed during the shutdown: finish without it */
		ctrl_info(c, "shutdown interrupted: %s", why);
		ctrl_finish_delete(c, -ENODEV);
		return;
	}
	if (c->state != NVMF_CTRL_LIVE) {
		/* during an attempt: that attempt failed */
		if (c->step != INIT_IDLE)
			ctrl_attempt_failed(c, -EIO, false, why);
		return;
	}
	ctrl_set_error(c, "%s", why);
	ctrl_set_state(c, NVMF_CTRL_RESETTING, why);
	ctrl_teardown(c);
	c->loss_start = nvmf_now_ms();
	c->reconnecting = true;
	pthread_mutex_lock(&c->lock);
	c->info.reconnect_attempts = 0;
	pthread_mutex_unlock(&c->lock);
	if (c->opts.ctrl_loss_tmo >= 0)
		nvmf_timer_arm(c->loss_timer,
			       (uint64_t)c->opts.ctrl_loss_tmo * 1000 + 1, 0);
	if (c->opts.fast_io_fail_tmo >= 0)
		nvmf_timer_arm(c->failfast_timer,
			       (uint64_t)c->opts.fast_io_fail_tmo * 1000 + 1,
			       0);
	ctrl_set_state(c, NVMF_CTRL_CONNECTING, "reconnecting");
	/* the first attempt at once; then every reconnect_delay */
	nvmf_timer_arm(c->reconnect_timer, 1, 0);
}

void nvmf_ctrl_transport_error(struct nvmf_ctrl *c, const char *why)
{
	ctrl_error(c, why);
}

static void loss_fire(void *arg)
{
	struct nvmf_ctrl *c = arg;
	char why[96];

	if (c->state == NVMF_CTRL_LIVE || ctrl_deleting(c))
		return;
	snprintf(why, sizeof(why),
		 "ctrl_loss_tmo (%d s) expired after %u "
		 "reconnect attempts",
		 c->opts.ctrl_loss_tmo, c->info.reconnect_attempts);
	ctrl_err(c, "%s: deleting the controller", why);
	ctrl_delete(c, -ENODEV, why);
}

static void failfast_fire(void *arg)
{
	struct nvmf_ctrl *c = arg;

	if (c->state == NVMF_CTRL_LIVE || ctrl_deleting(c))
		return;
	pthread_mutex_lock(&c->lock);
	c->info.fail_fast = true;
	pthread_mutex_unlock(&c->lock);
	ctrl_warn(c,
		  "fast_io_fail_tmo (%d s) expired: failing queued I/O; "
		  "reconnects go on",
		  c->opts.fast_io_fail_tmo);
	ctrl_fail_pending(c, -ENOLINK);
	ctrl_notify(c);
}

/* Called when an attempt completed: the controller is live again. */
void ctrl_live(struct nvmf_ctrl *c)
{
	bool again = c->reconnecting;

	nvmf_timer_disarm(c->step_timer);
	nvmf_timer_disarm(c->loss_timer);
	nvmf_timer_disarm(c->failfast_timer);
	pthread_mutex_lock(&c->lock);
	c->info.fail_fast = false;
	if (again)
		c->info.reconnects++;
	c->first_done = true;
	pthread_mutex_unlock(&c->lock);
	if (again)
		ctrl_info(c, "reconnected after %llu ms (%u attempts)",
			  (unsigned long long)(nvmf_now_ms() - c->loss_start),
			  c->info.reconnect_attempts);
	ctrl_set_state(c, NVMF_CTRL_LIVE, again ? "reconnected" : "connected");
	c->reconnecting = false;
	if (c->opts.keep_alive_tmo > 0)
		nvmf_timer_arm(c->ka_timer,
			       (uint64_t)c->opts.keep_alive_tmo * 500,
			       (uint64_t)c->opts.keep_alive_tmo * 500);
	qpairs_open(c);
	ctrl_kick_pending(c);
}

/* ---- the library thread and the public API ----------------------------------- */

static void *ctrl_thread(void *arg)
{
	struct nvmf_ctrl *c = arg;

	nvmf_loop_run(c->loop);
	return NULL;
}

static void ctrl_start_work(void *arg)
{
	struct nvmf_ctrl *c = arg;

	ctrl_set_state(c, NVMF_CTRL_CONNECTING, "connecting");
	nvmf_timer_arm(c->tick_timer, 1000, 1000);
	ctrl_attempt_start(c);
}

/*
 * hostnqn and hostid: given, else /etc/nvme, else derived from the
 * machine's identity as nvme-cli does (nqn.h): stable across connects,
 * restarts and boots, so the target sees the same host.
 */
static int ctrl_host_ids(struct nvmf_ctrl *c, char *err, size_t errlen)
{
	struct nvmf_ctrl_opts *o = &c->opts;
	char id[NVMF_UUID_STR_LEN];
	const char *why;

	if (!o->hostnqn[0] &&
	    nvmf_host_nqn_default("", o->hostnqn, sizeof(o->hostnqn))) {
		snprintf(err, errlen,
			 "no host NQN: no /etc/nvme/hostnqn, no DMI product "
			 "UUID and no /etc/machine-id (give --hostnqn)");
		return -EINVAL;
	}
	if (nvmf_nqn_validate(o->hostnqn, &why)) {
		snprintf(err, errlen, "hostnqn '%s': %s", o->hostnqn, why);
		return -EINVAL;
	}
	if (o->hostid[0]) {
		if (nvmf_uuid_parse(o->hostid, c->hostid)) {
			snprintf(err, errlen, "hostid '%s' is not a UUID",
				 o->hostid);
			return -EINVAL;
		}
	} else if (nvmf_host_id_default("", o->hostnqn, c->hostid)) {
		snprintf(err, errlen, "/etc/nvme/hostid is not a UUID");
		return -EINVAL;
	}
	nvmf_uuid_format(c->hostid, id);
	snprintf(o->hostid, sizeof(o->hostid), "%s", id);
	return 0;
}

/* The transports, by trtype; tests may add one (fuzz harnesses). */
static const struct nvmf_host_transport_ops *transports[8] = {
	&nvmf_host_rdma_ops,
	&nvmf_host_tcp_ops,
};

static const struct nvmf_host_transport_ops *transport_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(transports); i++)
		if (transports[i] && !strcmp(transports[i]->name, name))
			return transports[i];
	return NULL;
}

int nvmf_host_transport_register(const struct nvmf_host_transport_ops *ops)
{
	for (size_t i = 0; i < ARRAY_SIZE(transports); i++) {
		if (!transports[i]) {
			transports[i] = ops;
			return 0;
		}
	}
	return -ENOSPC;
}

static int check_opts(const struct nvmf_trid *t, const struct nvmf_ctrl_opts *o,
		      char *err, size_t errlen)
{
	const char *why;

	if (!transport_find(t->trtype)) {
		char names[64] = "";

		for (size_t i = 0; i < ARRAY_SIZE(transports); i++)
			if (transports[i])
				snprintf(names + strlen(names),
					 sizeof(names) - strlen(names), "%s%s",
					 names[0] ? ", " : "",
					 transports[i]->name);
		snprintf(err, errlen, "transport '%s' is not supported (%s)",
			 t->trtype, names);
		return -EINVAL;
	}
	if (!t->traddr[0]) {
		snprintf(err, errlen, "no traddr (target address) given");
		return -EINVAL;
	}
	if (nvmf_nqn_validate(t->subnqn, &why)) {
		snprintf(err, errlen, "subsystem NQN '%s': %s", t->subnqn, why);
		return -EINVAL;
	}
	if (o->nr_io_queues < 1 || o->nr_io_queues > NVMF_HOST_MAX_QUEUES) {
		snprintf(err, errlen, "nr_io_queues %d is not in 1-%d",
			 o->nr_io_queues, NVMF_HOST_MAX_QUEUES);
		return -EINVAL;
	}
	if (o->queue_size < 16 || o->queue_size > 1024) {
		snprintf(err, errlen, "queue_size %d is not in 16-1024",
			 o->queue_size);
		return -EINVAL;
	}
	if (o->busy_poll && !o->poll) {
		snprintf(err, errlen, "busy_poll needs poll mode (poll)");
		return -EINVAL;
	}
	if (o->max_retries < 0 || o->max_retries > 100) {
		snprintf(err, errlen, "max_retries %d is not in 0-100",
			 o->max_retries);
		return -EINVAL;
	}
	if (o->reconnect_delay < 1 || o->keep_alive_tmo < 0 ||
	    o->io_timeout < 1) {
		snprintf(err, errlen,
			 "reconnect_delay and io_timeout must be "
			 ">= 1, keep_alive_tmo >= 0");
		return -EINVAL;
	}
	return 0;
}

void nvmf_ctrl_opts_init(struct nvmf_ctrl_opts *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->nr_io_queues = cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
	o->queue_size = 128;
	o->keep_alive_tmo = 5;
	o->reconnect_delay = 10;
	o->ctrl_loss_tmo = 600;
	o->fast_io_fail_tmo = -1;
	o->io_timeout = 30;
	o->max_retries = 5; /* the kernel's nvme_core.max_retries */
}

static void ctrl_free(struct nvmf_ctrl *c)
{
	nvmf_timer_destroy(c->reconnect_timer);
	nvmf_timer_destroy(c->step_timer);
	nvmf_timer_destroy(c->ka_timer);
	nvmf_timer_destroy(c->tick_timer);
	nvmf_timer_destroy(c->loss_timer);
	nvmf_timer_destroy(c->failfast_timer);
	if (c->tp)
		c->ops->ctrl_fini(c);
	nvmf_pool_fini(&c->pool);
	if (c->loop)
		nvmf_loop_destroy(c->loop);
	qpairs_fini(c);
	req_cache_fini(c);
	free(c->id);
	free(c->ns_list);
	free(c->id_ns);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
}

static struct nvmf_ctrl *ctrl_alloc(const struct nvmf_trid *trid,
				    const struct nvmf_ctrl_opts *opts)
{
	static int seq;
	struct nvmf_ctrl *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->trid = *trid;
	if (!c->trid.trsvcid[0])
		snprintf(c->trid.trsvcid, sizeof(c->trid.trsvcid), "%s",
			 NVMF_HOST_DEFAULT_SVCID);
	c->opts = *opts;
	c->ops = transport_find(trid->trtype);
	c->discovery = strcmp(trid->subnqn, NVMF_DISCOVERY_NQN) == 0;
	snprintf(c->name, sizeof(c->name), "ctrl%d %s:%s",
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED), c->trid.traddr,
		 c->trid.trsvcid);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	TAILQ_INIT(&c->incoming);
	TAILQ_INIT(&c->pending);
	TAILQ_INIT(&c->req_cache);
	TAILQ_INIT(&c->req_done);
	c->id = calloc(1, NVME_IDENTIFY_DATA_SIZE);
	c->ns_list = calloc(1, NVME_IDENTIFY_DATA_SIZE);
	c->id_ns = calloc(1, NVME_IDENTIFY_DATA_SIZE);
	c->loop = nvmf_loop_create();
	if (!c->id || !c->ns_list || !c->id_ns || !c->loop)
		goto out_free;
	c->reconnect_timer = nvmf_timer_create(c->loop, reconnect_fire, c);
	c->step_timer = nvmf_timer_create(c->loop, ctrl_step_timeout, c);
	c->ka_timer = nvmf_timer_create(c->loop, ctrl_keep_alive, c);
	c->tick_timer = nvmf_timer_create(c->loop, ctrl_tick, c);
	c->loss_timer = nvmf_timer_create(c->loop, loss_fire, c);
	c->failfast_timer = nvmf_timer_create(c->loop, failfast_fire, c);
	if (!c->reconnect_timer || !c->step_timer || !c->ka_timer ||
	    !c->tick_timer || !c->loss_timer || !c->failfast_timer)
		goto out_free;
	return c;
out_free:
	ctrl_free(c);
	return NULL;
}

/* What the transports held back to send together goes out now. */
static void ctrl_flush(struct nvmf_ctrl *c)
{
	int q;

	if (!c->ops->flush)
		return;
	for (q = 0; q <= NVMF_HOST_MAX_QUEUES; q++) {
		if (c->queues[q]) {
			pthread_mutex_t *m = hq_lock(c->queues[q]);

			c->ops->flush(c->queues[q]);
			hq_unlock(m);
		}
	}
}

/*
 * Wait until cond_fn(arg) holds: the owner of a poll-mode controller runs
 * its loop meanwhile; any other thread sleeps until the loop's thread
 * (the library's, or the owner's) wakes it.  Only one thread ever runs a
 * controller's loop.
 */
void ctrl_wait(struct nvmf_ctrl *c, bool (*cond_fn)(void *), void *arg)
{
	if (!c->own_thread && nvmf_loop_on_thread(c->loop)) {
		c->loop_depth++;
		while (!cond_fn(arg)) {
			ctrl_flush(c);
			nvmf_loop_run_once(c->loop, 100);
		}
		c->loop_depth--;
		return;
	}
	pthread_mutex_lock(&c->lock);
	while (!cond_fn(arg))
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

/* ---- the API's threading rules (include/nvmf/host.h) ------------------------ */

/* Inside a callback: on the loop's thread, while the loop runs. */
static bool in_callback(struct nvmf_ctrl *c)
{
	if (!nvmf_loop_on_thread(c->loop))
		return false;
	return c->own_thread || c->loop_depth > 0;
}

/*
 * A call starts: counted, so that nvmf_ctrl_disconnect() waits for it
 * before freeing the controller.  Sequentially consistent: either this
 * call sees closing, or the closer sees this call counted.
 * Return: 0, or -ENODEV (shut down: the call must not go on).
 */
int ctrl_api_enter(struct nvmf_ctrl *c)
{
	atomic_fetch_add(&c->api_users, 1);
	if (atomic_load(&c->closing)) {
		ctrl_api_leave(c);
		return -ENODEV;
	}
	return 0;
}

/* A call that works on a shut-down controller too (reads its state). */
void ctrl_api_hold(struct nvmf_ctrl *c)
{
	atomic_fetch_add(&c->api_users, 1);
}

void ctrl_api_leave(struct nvmf_ctrl *c)
{
	if (atomic_fetch_sub(&c->api_users, 1) == 1 &&
	    atomic_load(&c->closing)) {
		/* the last call out: nvmf_ctrl_disconnect() may be waiting */
		pthread_mutex_lock(&c->lock);
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
	}
}

/*
 * A call that blocks until the controller's loop has done some work
 * starts: not from a callback (that loop is the one running it).
 * Return: 0 (leave with ctrl_api_leave()), -EDEADLK or -ENODEV.
 */
int ctrl_api_enter_wait(struct nvmf_ctrl *c)
{
	return in_callback(c) ? -EDEADLK : ctrl_api_enter(c);
}

static bool first_done(void *arg)
{
	struct nvmf_ctrl *c = arg;

	return c->first_done;
}

static bool is_dead(void *arg)
{
	struct nvmf_ctrl *c = arg;

	return c->state == NVMF_CTRL_DEAD;
}

/*
 * Stop the loop's thread and free the controller.  With drain: requests
 * that other threads submitted while it was being deleted, and that the
 * loop has not seen, are failed here (no thread can add more: none is
 * inside the library).
 */
static void ctrl_stop(struct nvmf_ctrl *c, bool drain)
{
	if (c->own_thread) {
		nvmf_loop_stop(c->loop);
		pthread_join(c->thread, NULL);
	}
	if (drain)
		ctrl_fail_pending(c, -ENODEV);
	ctrl_free(c);
}

int nvmf_ctrl_connect(const struct nvmf_trid *trid,
		      const struct nvmf_ctrl_opts *opts, struct nvmf_ctrl **out,
		      char *err, size_t errlen)
{
	struct nvmf_ctrl *c;
	int ret;

	if (check_opts(trid, opts, err, errlen))
		return -EINVAL;
	c = ctrl_alloc(trid, opts);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = ctrl_host_ids(c, err, errlen);
	if (ret)
		goto out_free;
	ret = c->ops->ctrl_init(c);
	if (ret) {
		snprintf(err, errlen, "%s transport: %s", c->ops->name,
			 c->info.last_error[0] ? c->info.last_error :
						 strerror(-ret));
		goto out_free;
	}
	c->own_thread = !opts->poll;
	if (c->own_thread) {
		ret = -pthread_create(&c->thread, NULL, ctrl_thread, c);
		if (ret) {
			snprintf(err, errlen, "cannot start a thread");
			goto out_free;
		}
		nvmf_loop_post(c->loop, ctrl_start_work, c);
	} else {
		nvmf_loop_bind_thread(c->loop);
		ctrl_start_work(c);
	}
	ctrl_wait(c, first_done, c);
	if (c->state != NVMF_CTRL_LIVE) {
		ret = c->first_err ? c->first_err : -EIO;
		snprintf(err, errlen, "%s", c->first_why);
		ctrl_wait(c, is_dead, c);
		ctrl_stop(c, false);
		return ret;
	}
	*out = c;
	return 0;
out_free:
	ctrl_free(c);
	return ret;
}

int nvmf_ctrl_shutdown(struct nvmf_ctrl *c)
{
	if (atomic_exchange(&c->closing, true))
		return 0;
	/* always through the loop: never re-entered from a callback */
	if (nvmf_loop_post(c->loop, ctrl_disconnect_work, c)) {
		atomic_store(&c->closing, false);
		return -ENOMEM;
	}
	return 0;
}

static bool dead_and_unused(void *arg)
{
	struct nvmf_ctrl *c = arg;

	return c->state == NVMF_CTRL_DEAD && !atomic_load(&c->api_users);
}

int nvmf_ctrl_disconnect(struct nvmf_ctrl *c)
{
	int ret;

	if (in_callback(c))
		return -EDEADLK;
	if (!c->own_thread && !nvmf_loop_on_thread(c->loop))
		return -EPERM;
	pthread_mutex_lock(&c->lock);
	ret = c->nr_qpairs ? -EBUSY : 0; /* owners free them first */
	pthread_mutex_unlock(&c->lock);
	if (ret)
		return ret;
	ret = nvmf_ctrl_shutdown(c);
	if (ret)
		return ret;
	ctrl_wait(c, dead_and_unused, c);
	ctrl_stop(c, true);
	return 0;
}

static void kick_work(void *arg)
{
	struct nvmf_ctrl *c = arg;

	if (c->state != NVMF_CTRL_CONNECTING || c->step != INIT_IDLE ||
	    !nvmf_timer_armed(c->reconnect_timer))
		return;
	ctrl_info(c, "reconnecting now (device or link event)");
	nvmf_timer_disarm(c->reconnect_timer);
	ctrl_attempt_start(c);
}

void nvmf_ctrl_kick(struct nvmf_ctrl *c)
{
	if (ctrl_api_enter(c))
		return;
	if (nvmf_loop_on_thread(c->loop))
		kick_work(c);
	else
		nvmf_loop_post(c->loop, kick_work, c);
	ctrl_api_leave(c);
}

int nvmf_io_plug(struct nvmf_ctrl *c)
{
	if (!nvmf_loop_on_thread(c->loop))
		return -EPERM;
	c->plugged++;
	return 0;
}

int nvmf_io_unplug(struct nvmf_ctrl *c)
{
	if (!nvmf_loop_on_thread(c->loop))
		return -EPERM;
	if (!c->plugged)
		return -EINVAL;
	if (!--c->plugged)
		ctrl_flush(c);
	return 0;
}

int nvmf_ctrl_poll(struct nvmf_ctrl *c, int timeout_ms)
{
	int q, n, ret;

	if (c->own_thread)
		return -EINVAL;
	if (!nvmf_loop_on_thread(c->loop))
		return -EPERM;
	if (c->loop_depth)
		return -EBUSY;
	c->loop_depth++;
	if (timeout_ms && c->cqs_unarmed) {
		/*
		 * Waiting again after busy polling: completions must wake us,
		 * and what completed before the queue was armed is reaped now.
		 */
		c->cqs_unarmed = false;
		n = 0;
		for (q = 0; q <= NVMF_HOST_MAX_QUEUES; q++) {
			/* an owned queue's owner reaps it */
			if (!c->queues[q] || c->queues[q]->qp ||
			    c->queues[q]->state != NVMF_HQ_LIVE || !c->ops->arm)
				continue;
			c->ops->arm(c->queues[q]);
			ret = c->ops->poll(c->queues[q]);
			if (ret > 0)
				n += ret;
		}
		if (n) {
			ret = n;
			goto out;
		}
	}
	ret = 0;
	if (timeout_ms || !c->opts.busy_poll ||
	    nvmf_now_ms() != c->busy_loop_ms) {
		/* busy polling: timers, connection events and posted work */
		c->busy_loop_ms = nvmf_now_ms();
		ret = nvmf_loop_run_once(c->loop, timeout_ms);
	}
	if (timeout_ms || ret < 0)
		goto out;
	/* reap the completion queues directly; unarmed if busy polling */
	c->cqs_unarmed = c->opts.busy_poll;
	for (q = 0; q <= NVMF_HOST_MAX_QUEUES; q++) {
		if (!c->queues[q] || c->queues[q]->qp ||
		    c->queues[q]->state != NVMF_HQ_LIVE)
			continue;
		n = c->ops->poll(c->queues[q]);
		if (n > 0)
			ret += n;
	}
out:
	c->loop_depth--;
	return ret;
}

int nvmf_ctrl_fd(const struct nvmf_ctrl *c)
{
	if (c->own_thread)
		return -EINVAL;
	return nvmf_loop_fd(c->loop);
}

void nvmf_ctrl_get_info(struct nvmf_ctrl *c, struct nvmf_ctrl_info *info)
{
	ctrl_api_hold(c);
	pthread_mutex_lock(&c->lock);
	*info = c->info;
	pthread_mutex_unlock(&c->lock);
	ctrl_api_leave(c);
}

int nvmf_ctrl_get_stats(struct nvmf_ctrl *c, uint64_t *v, int n)
{
	int i;

	ctrl_api_hold(c);
	pthread_mutex_lock(&c->lock); /* the owned queues' too */
	for (i = 0; i < n && i < NVMF_STAT_NR; i++) {
		v[i] = __atomic_load_n(&c->stats[i], __ATOMIC_RELAXED);
		for (int q = 1; q <= NVMF_HOST_MAX_QUEUES; q++)
			if (c->qpairs[q])
				v[i] += __atomic_load_n(&c->qpairs[q]->stats[i],
							__ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&c->lock);
	ctrl_api_leave(c);
	return NVMF_STAT_NR;
}

const struct nvmf_trid *nvmf_ctrl_trid(const struct nvmf_ctrl *c)
{
	return &c->trid;
}

int nvmf_ctrl_get_ns(struct nvmf_ctrl *c, struct nvmf_ns_info *ns, int max)
{
	int n;

	ctrl_api_hold(c);
	pthread_mutex_lock(&c->lock);
	n = c->nr_ns;
	if (ns && max > 0)
		memcpy(ns, c->ns, sizeof(*ns) * (size_t)(n < max ? n : max));
	pthread_mutex_unlock(&c->lock);
	ctrl_api_leave(c);
	return n;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe over Fabrics RDMA transport of nvmf-tgt (librdmacm + libibverbs).
 *
 * Ownership:
 *  - The main thread owns every RDMA object: the event channel, listener
 *    and queue cm_ids, QPs, CQs, completion channels, MRs, and the
 *    per-device PD cache with the workers' SRQs and buffer pools.  It
 *    creates a queue's objects on CONNECT_REQUEST and releases them in
 *    queue_release(), the only place that does (the SRQs and pools with
 *    their device's last queue).
 *  - A worker owns a queue's data path between queue_start() and
 *    queue_stop() (both run on the worker): it polls the CQ, posts work
 *    requests and runs the commands.  queue_stop() hands the queue back to
 *    the main thread once no backend operation refers to its buffers.
 *
 * A queue receives commands into the shared receive queue its worker has
 * on the device (rdma_srq.c; grown to hold every queue's depth), or
 * without one (--srq-size 0, a device without SRQs, or an SRQ at the
 * device's limit) into recv_depth command buffers of its own (hsqsize + 1;
 * 64-byte SQE plus the in-capsule data area as a second SGE, so inline
 * data is page aligned for O_DIRECT).  It has twice recv_depth response
 * contexts, so a command buffer can be reposted before its response's
 * SEND completes, as the kernel target does.
 * Data of keyed SGLs goes through buffers of the transfer's size from the
 * pool its worker has on the device (rdma_pool.c), taken as I/O needs them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <netdb.h>
#include <rdma/rdma_cma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "log.h"
#include "nvme_rdma.h"
#include "rdma.h"

static struct rdma_event_channel *cm_channel;
static struct nvmf_watch *cm_watch;
static struct nvmf_watch *devs_watch;
static TAILQ_HEAD(, rdma_dev) rdma_devs = TAILQ_HEAD_INITIALIZER(rdma_devs);
static TAILQ_HEAD(,
		  rdma_queue) rdma_queues = TAILQ_HEAD_INITIALIZER(rdma_queues);

/* Drop a released queue from the main thread's list. */
void nvmet_rdma_queue_forget(struct rdma_queue *q)
{
	TAILQ_REMOVE(&rdma_queues, q, link);
}

/* ---- devices ------------------------------------------------------------------ */

static void dev_free(struct rdma_dev *d)
{
	nvmet_rdma_srqs_destroy(d);
	for (int i = 0; d->pools && i < d->nr_pools; i++)
		nvmet_rdma_pool_destroy(d->pools[i]);
	free(d->pools);
	if (d->pd)
		ibv_dealloc_pd(d->pd);
	free(d);
}

static struct rdma_dev *dev_get(struct ibv_context *verbs,
				struct nvmet_tgt *tgt)
{
	int nr_workers = tgt->nr_workers;
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
	TAILQ_INIT(&d->srqs);
	d->pd = ibv_alloc_pd(verbs);
	d->pools = calloc((size_t)nr_workers, sizeof(*d->pools));
	if (!d->pd || !d->pools || ibv_query_device(verbs, &d->attr)) {
		dev_free(d);
		return NULL;
	}
	for (d->nr_pools = 0; d->nr_pools < nr_workers; d->nr_pools++) {
		d->pools[d->nr_pools] = nvmet_rdma_pool_create(
			d->pd, NVMET_RDMA_POOL_MAX, &tgt->workers[d->nr_pools]);
		if (!d->pools[d->nr_pools]) {
			dev_free(d);
			return NULL;
		}
	}
	d->verbs = verbs;
	d->refs = 1;
	TAILQ_INSERT_TAIL(&rdma_devs, d, link);
	nvmf_info("rdma: using device %s", ibv_get_device_name(verbs->device));
	return d;
}

void nvmet_rdma_dev_put(struct rdma_dev *d)
{
	if (--d->refs)
		return;
	TAILQ_REMOVE(&rdma_devs, d, link);
	dev_free(d);
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
	if (hsqsize >= port->cfg.max_queue_size)
		return NVME_RDMA_CM_INVALID_HSQSIZE;
	if (le16toh(req->qid) > NVMET_MAX_IO_QUEUES)
		return NVME_RDMA_CM_INVALID_QID;
	if (!le16toh(req->hrqsize))
		return NVME_RDMA_CM_INVALID_HRQSIZE;
	return 0;
}

/*
 * The time a host waits before it sends again when our QP had no receive
 * buffer posted for its command (an RNR NAK): the CM leaves the QP's
 * min_rnr_timer at 0, which the IB encoding makes 655.36 ms.  Neither a
 * queue's own receive buffers nor a shared receive queue (sized for its
 * queues, rdma_srq.c) run out with a host that keeps to its queue size;
 * should one run out anyway (a host that sends more, until it is
 * disconnected), each retry costs 0.64 ms (12), not 655.  Legal in RTS;
 * IB and RoCE only.
 */
#define RDMA_MIN_RNR_TIMER 12

static void set_rnr_timer(struct rdma_queue *q)
{
	struct ibv_qp_attr a = { .min_rnr_timer = RDMA_MIN_RNR_TIMER };

	if (q->cm_id->verbs->device->transport_type != IBV_TRANSPORT_IB)
		return;
	if (ibv_modify_qp(q->cm_id->qp, &a, IBV_QP_MIN_RNR_TIMER))
		nvmf_obj_warn(q->sq.log_prefix,
			      "cannot shorten the RNR NAK timer: %s",
			      strerror(errno));
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
	const struct ibv_device_attr *attr = &q->dev->attr;

	p.initiator_depth = ev->param.conn.initiator_depth;
	if (p.initiator_depth > attr->max_qp_init_rd_atom)
		p.initiator_depth = (uint8_t)attr->max_qp_init_rd_atom;
	p.responder_resources = ev->param.conn.responder_resources;
	if (p.responder_resources > attr->max_qp_rd_atom)
		p.responder_resources = (uint8_t)attr->max_qp_rd_atom;
	q->read_credits = p.initiator_depth ? p.initiator_depth : 1;
	q->read_max = q->read_credits;
	if (rdma_accept(q->cm_id, &p))
		return -errno;
	/* the QP is in RTS now (rdma_accept moved it there) */
	set_rnr_timer(q);
	return 0;
}

/*
 * A new connection.  Return: 0, or -1 after rejecting it: the caller then
 * destroys ev->id, with the device reference left in *rdevp.
 */
static int handle_connect_request(struct rdma_cm_event *ev,
				  struct nvmf_rdma_dev **rdevp)
{
	struct rdma_listener *l = ev->listen_id->context;
	struct nvme_rdma_cm_req creq;
	struct nvmet_setup_timer timer;
	struct nvmet_worker *w;
	uint64_t setup_us;
	struct rdma_queue *q;
	uint16_t status;
	int ret;

	nvmet_setup_timer_start(&timer);
	*rdevp = nvmf_rdma_dev_get(ev->id->verbs);
	if (!*rdevp)
		return reject(ev->id, NVME_RDMA_CM_NO_RSC);
	status = check_cm_req(ev, l->port, &creq);
	if (status)
		return reject(ev->id, status);
	q = calloc(1, sizeof(*q));
	if (!q)
		return reject(ev->id, NVME_RDMA_CM_NO_RSC);
	q->ring_buf = -1;
	if (nvmet_queue_admit(l->port->tgt, &q->sq,
			      rdma_get_peer_addr(ev->id))) {
		free(q);
		return reject(ev->id, NVME_RDMA_CM_NO_RSC);
	}
	q->rdev = *rdevp;
	*rdevp = NULL;
	q->type = CTX_QUEUE;
	q->flush.fn = nvmet_rdma_queue_flush;
	q->tgt = l->port->tgt;
	q->cm_id = ev->id;
	q->sq.port = l->port;
	nvmet_port_queue_get(l->port);
	q->sq.ops = &nvmet_rdma_ops;
	q->sq.qid = le16toh(creq.qid);
	q->recv_depth = le16toh(creq.hsqsize) + 1;
	q->sq.size = (uint16_t)q->recv_depth;
	q->sq.inline_data_size = q->sq.qid ? l->port->cfg.inline_data_size : 0;
	q->nr_rsps = q->recv_depth * 2;
	TAILQ_INIT(&q->free_rsps);
	TAILQ_INIT(&q->wait_cmds);
	TAILQ_INIT(&q->wait_data);
	TAILQ_INIT(&q->wait_send);
	nvmet_sq_init(&q->sq);
	snprintf(q->sq.log_prefix, sizeof(q->sq.log_prefix), "queue ?/%u",
		 q->sq.qid);
	TAILQ_INSERT_TAIL(&rdma_queues, q, link);
	ev->id->context = q;

	q->dev = dev_get(ev->id->verbs, q->tgt);
	ret = q->dev ? 0 : -ENOMEM;
	w = nvmet_pick_worker(q->tgt);
	nvmet_setup_phase_begin(&timer);
	if (!ret)
		q->srq = nvmet_rdma_srq_get(q->dev, w,
					    l->port->cfg.inline_data_size,
					    (int)q->tgt->srq_size,
					    q->recv_depth);
	nvmet_setup_phase_end(&timer, NVMET_MSTAT_SETUP_SRQ_US);
	if (!ret)
		ret = nvmet_rdma_queue_create_cq(q);
	nvmet_setup_phase_end(&timer, NVMET_MSTAT_SETUP_CQ_US);
	if (!ret)
		ret = nvmet_rdma_queue_create_qp(q);
	nvmet_setup_phase_end(&timer, NVMET_MSTAT_SETUP_QP_US);
	if (!ret)
		ret = nvmet_rdma_queue_alloc_bufs(q);
	nvmet_setup_phase_end(&timer, NVMET_MSTAT_SETUP_MEM_US);
	if (!ret && !q->srq)
		ret = nvmet_rdma_queue_alloc_cmds(q);
	if (!ret)
		ret = nvmet_rdma_queue_alloc_rsps(q);
	for (int i = 0; !ret && !q->srq && i < q->recv_depth; i++)
		ret = nvmet_rdma_post_recv(&q->cmds[i]) ? -EIO : 0;
	if (ret) {
		nvmf_obj_warn(q->sq.log_prefix, "cannot set up: %s",
			      strerror(-ret));
		if (q->cm_id->qp)
			rdma_destroy_qp(q->cm_id);
		/* the caller destroys the cm_id, after our PD is gone */
		q->cm_id = NULL;
		*rdevp = q->rdev;
		q->rdev = NULL;
		nvmet_rdma_queue_release(q);
		return reject(ev->id, NVME_RDMA_CM_NO_RSC);
	}
	q->sq.worker = w;
	q->pool = q->dev->pools[w->index];
	/* in-capsule data is written to the backend without page pinning */
	if (q->inline_buf)
		q->ring_buf = nvmet_worker_buf_register(q->sq.worker, q->bufs,
							q->bufs_size);
	nvmf_loop_post(q->sq.worker->loop, nvmet_rdma_queue_start, q);
	nvmet_setup_phase_begin(&timer);
	if (accept_queue(q, ev)) {
		nvmf_obj_warn(q->sq.log_prefix, "rdma_accept: %s",
			      strerror(errno));
		q->state = Q_STOPPING;
		nvmf_loop_post(q->sq.worker->loop, nvmet_rdma_queue_stop, q);
		return 0;
	}
	nvmet_setup_phase_end(&timer, NVMET_MSTAT_SETUP_ACCEPT_US);
	setup_us = nvmet_stat_queue_setup(q->tgt, &timer);
	nvmf_obj_debug(
		q->sq.log_prefix,
		"accepted, set up in %llu us (shared receive queue %llu, CQ "
		"%llu, QP %llu, memory %llu, accept %llu): depth %d, worker "
		"%d, read depth %d%s",
		(unsigned long long)setup_us,
		(unsigned long long)timer.phase_us[NVMET_MSTAT_SETUP_SRQ_US],
		(unsigned long long)timer.phase_us[NVMET_MSTAT_SETUP_CQ_US],
		(unsigned long long)timer.phase_us[NVMET_MSTAT_SETUP_QP_US],
		(unsigned long long)timer.phase_us[NVMET_MSTAT_SETUP_MEM_US],
		(unsigned long long)timer.phase_us[NVMET_MSTAT_SETUP_ACCEPT_US],
		q->recv_depth, q->sq.worker->index, q->read_credits,
		q->srq ? ", shared receive queue" : "");
	return 0;
}

static void queue_disconnected(struct rdma_queue *q, const char *why)
{
	if (q->state == Q_STOPPING)
		return;
	nvmf_obj_debug(q->sq.log_prefix, "%s", why);
	q->state = Q_STOPPING;
	rdma_disconnect(q->cm_id);
	nvmf_loop_post(q->sq.worker->loop, nvmet_rdma_queue_stop, q);
}

static void handle_queue_event(struct rdma_queue *q, struct rdma_cm_event *ev)
{
	switch (ev->event) {
	case RDMA_CM_EVENT_ESTABLISHED:
		if (q->state == Q_CONNECTING)
			q->state = Q_LIVE;
		nvmf_obj_debug(q->sq.log_prefix, "established");
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
		nvmf_rdma_dev_removed(q->rdev);
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
		nvmf_rdma_dev_removed(l->rdev);
		/* fall through */
	case RDMA_CM_EVENT_ADDR_CHANGE:
		nvmf_obj_warn(l->port->log_prefix, "listener: %s",
			      rdma_event_str(ev->event));
		return true;
	default:
		return false;
	}
}

/* ---- shared receive queues grown back after a reset ---------------------------- */

/*
 * How long at most a listener holds a device's shared receive queues grown
 * back for hosts that have not reconnected yet (the kernel host retries
 * every reconnect_delay, 10 s by default); it lets them go as soon as the
 * queues on them need as much as they did before.  Then they go with the
 * device's last queue, as they would otherwise.
 */
#define WARM_HOLD_MS  60000
#define WARM_CHECK_MS 1000

/* Before the listener's cm_id goes: its device's PD lives on the context. */
static void warm_end(struct rdma_listener *l)
{
	if (l->warm_timer)
		nvmf_timer_destroy(l->warm_timer);
	l->warm_timer = NULL;
	if (l->warm)
		nvmet_rdma_dev_put(l->warm);
	l->warm = NULL;
}

/* Main thread: a chunk per turn of the loop, connection requests between. */
static void warm_step(void *arg)
{
	struct rdma_listener *l = arg;
	struct nvmet_tgt *tgt = l->port->tgt;
	struct rdma_srq *s;
	int ret, n = 0;

	if (l->warm_grown) {
		bool back = nvmet_rdma_srq_back(l->warm);

		if (!back && nvmf_now_ns() - l->warm_start_ns <
				     WARM_HOLD_MS * 1000000ULL)
			return;
		nvmf_info("rdma: %s: shared receive queues no longer held: %s",
			  ibv_get_device_name(l->warm->verbs->device),
			  back ? "the queues are back" :
				 "not all queues came back in 60 s");
		warm_end(l);
		return;
	}
	ret = nvmet_rdma_srq_warm(l->warm, tgt, (int)tgt->srq_size);
	if (ret > 0) {
		nvmf_timer_arm(l->warm_timer, 0, 0);
		return;
	}
	TAILQ_FOREACH(s, &l->warm->srqs, link)
		n += s->depth;
	if (!ret)
		nvmf_info("rdma: %s: shared receive queues grown back to %d "
			  "buffers in %llu ms, before the hosts reconnect",
			  ibv_get_device_name(l->warm->verbs->device), n,
			  (unsigned long long)((nvmf_now_ns() -
						l->warm_start_ns) /
					       1000000));
	l->warm_grown = true;
	nvmf_timer_arm(l->warm_timer, WARM_CHECK_MS, WARM_CHECK_MS);
}

/*
 * Main thread: a listener bound to a device whose shared receive queues
 * went (a reset) grows them back before its hosts reconnect.
 */
static void warm_start(struct rdma_listener *l)
{
	struct nvmet_tgt *tgt = l->port->tgt;

	if (!l->cm_id->verbs || !tgt->srq_size ||
	    !nvmet_rdma_srq_hinted(
		    ibv_get_device_name(l->cm_id->verbs->device)))
		return;
	l->warm = dev_get(l->cm_id->verbs, tgt);
	if (l->warm)
		l->warm_timer = nvmf_timer_create(tgt->loop, warm_step, l);
	if (!l->warm_timer || nvmf_timer_arm(l->warm_timer, 0, 0)) {
		warm_end(l);
		return;
	}
	l->warm_start_ns = nvmf_now_ns();
}

/*
 * The listener's device went away: release its cm_id at once (the device
 * cannot be deleted while we hold it) and let the port be repaired.
 */
static void drop_listener(struct rdma_listener *l, const char *why)
{
	struct nvmet_port *port = l->port;

	warm_end(l);
	nvmf_rdma_destroy_id(l->cm_id, &l->rdev);
	port->priv = NULL;
	free(l);
	nvmet_port_set_error(port, why);
	nvmet_port_set_state(port, NVMET_PORT_REPAIRING, why);
}

static void cm_event_cb(void *arg, uint32_t events)
{
	struct nvmf_rdma_dev *destroy_dev = NULL;
	struct rdma_listener *drop = NULL;
	struct rdma_cm_id *destroy = NULL;
	enum rdma_ctx_type *type;
	struct rdma_cm_event *ev;
	const char *why = NULL;

	(void)arg;
	(void)events;
	if (nvmf_rdma_get_cm_event(cm_channel, &ev))
		return;
	if (ev->event == RDMA_CM_EVENT_CONNECT_REQUEST) {
		if (handle_connect_request(ev, &destroy_dev))
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
		nvmf_rdma_destroy_id(destroy, &destroy_dev);
	if (drop)
		drop_listener(drop, why);
}

/* ---- listeners ------------------------------------------------------------------ */

static bool cm_warned;
static int cm_open(struct nvmet_tgt *tgt);

static int rdma_listen_port(struct nvmet_port *port)
{
	struct rdma_listener *l;
	struct sockaddr_storage ss;
	int ret, afonly = 1;

	ret = nvmet_port_sockaddr(&port->cfg, &ss);
	if (ret)
		return ret;
	ret = cm_open(port->tgt);
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
	if (nvmf_rdma_bind_addr(l->cm_id, (struct sockaddr *)&ss))
		goto out_destroy;
	/* bound to one device's address (not a wildcard): hold the device */
	if (l->cm_id->verbs)
		l->rdev = nvmf_rdma_dev_get(l->cm_id->verbs);
	if (nvmf_rdma_listen(l->cm_id, RDMA_LISTEN_BACKLOG))
		goto out_destroy;
	port->priv = l;
	warm_start(l);
	return 0;

out_destroy:
	ret = -errno;
	nvmf_rdma_destroy_id(l->cm_id, &l->rdev);
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
	warm_end(l);
	nvmf_rdma_destroy_id(l->cm_id, &l->rdev);
	free(l);
	port->priv = NULL;
}

/*
 * Open the connection manager's event channel.  Without it (module
 * rdma_ucm not loaded yet) ports cannot listen: they are repaired later.
 */
static int cm_open(struct nvmet_tgt *tgt)
{
	int ret;

	if (cm_channel)
		return 0;
	cm_channel = rdma_create_event_channel();
	if (!cm_channel) {
		ret = -errno;
		if (!cm_warned)
			nvmf_warn(
				"cannot open the RDMA connection manager "
				"(/dev/infiniband/rdma_cm, module rdma_ucm): %s",
				strerror(-ret));
		cm_warned = true;
		return ret;
	}
	cm_watch = fcntl(cm_channel->fd, F_SETFL, O_NONBLOCK) ?
			   NULL :
			   nvmf_watch_add(tgt->loop, cm_channel->fd, EPOLLIN,
					  cm_event_cb, tgt);
	if (!cm_watch) {
		ret = -errno;
		rdma_destroy_event_channel(cm_channel);
		cm_channel = NULL;
		return ret;
	}
	return 0;
}

static int rdma_init(struct nvmet_tgt *tgt)
{
	/* removals of devices no connection is on (rdma_dev.h) */
	devs_watch = nvmf_rdma_devs_watch(tgt->loop);
	if (!devs_watch)
		nvmf_warn("cannot watch %s for removed RDMA devices: %s",
			  "/dev/infiniband", strerror(errno));
	cm_open(tgt);
	return 0;
}

/* Disconnect every queue; the loop must keep running until they are gone. */
static void rdma_disconnect_all(void)
{
	struct rdma_queue *q;

	TAILQ_FOREACH(q, &rdma_queues, link)
		queue_disconnected(q, "shutting down");
}

static bool rdma_idle(void)
{
	return TAILQ_EMPTY(&rdma_queues) && !nvmet_rdma_queues_releasing();
}

static void rdma_exit(struct nvmet_tgt *tgt)
{
	(void)tgt;
	nvmet_rdma_srq_hints_free();
	nvmf_watch_del(devs_watch);
	devs_watch = NULL;
	if (cm_channel) {
		nvmf_watch_del(cm_watch);
		rdma_destroy_event_channel(cm_channel);
	}
	cm_channel = NULL;
}

/* Reliable connected QPs over the RDMA CM, no provider type (the kernel's) */
static void rdma_disc_tsas(union nvmf_tsas *tsas)
{
	tsas->rdma.qptype = NVMF_RDMA_QPTYPE_CONNECTED;
	tsas->rdma.prtype = NVMF_RDMA_PRTYPE_NOT_SPECIFIED;
	tsas->rdma.cms = NVMF_RDMA_CMS_RDMA_CM;
}

const struct nvmet_transport_ops nvmet_rdma_ops = {
	.name = "rdma",
	.trtype = NVMF_TRTYPE_RDMA,
	.init = rdma_init,
	.exit = rdma_exit,
	.disconnect_all = rdma_disconnect_all,
	.idle = rdma_idle,
	.disc_tsas = rdma_disc_tsas,
	.listen = rdma_listen_port,
	.stop_listen = rdma_stop_listen,
	.queue_response = nvmet_rdma_queue_response,
	.disconnect_queue = nvmet_rdma_disconnect_queue,
	.local_traddr = rdma_local_traddr,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe over Fabrics TCP transport of nvmf-tgt (NVMe/TCP 1.0, no TLS).
 *
 * Ownership:
 *  - The main thread owns the listeners and the list of queues: it accepts
 *    a connection, admits it, creates its queue and hands it to a worker;
 *    it closes the socket and frees the queue in queue_release(), the only
 *    place that does.
 *  - The worker owns the queue's stream (tcp_io.c) between queue_start()
 *    and nvmet_tcp_queue_stop(): ICReq/ICResp, capsules, R2T and data.
 *    The stop hands the queue back once no backend operation refers to
 *    its buffers.
 *
 * A queue has one command context until its Connect says its qid and
 * size (nvmet_tcp_install_queue(), as the kernel's install_queue), then
 * sq.size more.  Counters: SEND_POSTS are sendmsg() calls, SEND_WRS the
 * PDUs (or PDU pairs) they wrote, RECV_POSTS recv() calls, WAKEUPS the
 * socket's events.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "tcp.h"

struct tcp_listener {
	struct nvmet_port *port;
	int fd;
	struct nvmf_watch *watch;
};

static TAILQ_HEAD(, tcp_queue) tcp_queues = TAILQ_HEAD_INITIALIZER(tcp_queues);

/* ---- queue teardown ------------------------------------------------------------- */

void nvmet_tcp_cmds_free(struct tcp_queue *q)
{
	nvmet_req_release(&q->connect.req);
	free(q->connect.buf);
	for (uint32_t i = 0; q->cmds && i < q->nr_cmds; i++) {
		nvmet_req_release(&q->cmds[i].req);
		free(q->cmds[i].buf);
	}
	free(q->cmds);
	q->cmds = NULL;
}

/* Main thread: the only place that releases a queue. */
static void queue_release(void *arg)
{
	struct tcp_queue *q = arg;

	TAILQ_REMOVE(&tcp_queues, q, link);
	nvmet_tcp_cmds_free(q);
	if (q->fd >= 0)
		close(q->fd);
	nvmet_sq_release(q->tgt, &q->sq);
	nvmf_obj_debug(q->sq.log_prefix, "released");
	free(q);
}

/* Worker, in its own work item: give the queue to the main thread. */
static void queue_handover(void *arg)
{
	struct tcp_queue *q = arg;

	if (nvmf_loop_post(q->tgt->loop, queue_release, q))
		nvmf_obj_err(q->sq.log_prefix, "cannot hand the queue over");
}

/*
 * Worker: stop the stream.  Runs again from nvmet_tcp_queue_response()
 * while backend operations drain; the last call hands the queue over.
 */
void nvmet_tcp_queue_stop(struct tcp_queue *q)
{
	struct tcp_send *s;

	if (!q->stopping) {
		q->stopping = true;
		shutdown(q->fd, SHUT_RDWR);
		if (q->watch)
			nvmf_watch_del(q->watch);
		q->watch = NULL;
		nvmet_poller_del(q->sq.worker, &q->poller);
		nvmet_sq_stop(&q->sq);
		/* what was not written goes: its commands are done with */
		while ((s = TAILQ_FIRST(&q->sends))) {
			TAILQ_REMOVE(&q->sends, s, link);
			s->queued = false;
			s->done(s);
		}
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
static void tcp_disconnect_queue(struct nvmet_sq *sq)
{
	struct tcp_queue *q = container_of(sq, struct tcp_queue, sq);

	/* the worker sees the end of the stream and stops the queue */
	shutdown(q->fd, SHUT_RDWR);
}

/* ---- queue setup ---------------------------------------------------------------- */

/* Worker: serve the queue. */
static void queue_start(void *arg)
{
	struct tcp_queue *q = arg;

	q->watch = nvmf_watch_add(q->sq.worker->loop, q->fd, EPOLLIN,
				  nvmet_tcp_io_event, q);
	if (!q->watch || nvmet_sq_start(&q->sq)) {
		nvmf_obj_warn(q->sq.log_prefix, "cannot watch the socket");
		nvmet_tcp_queue_stop(q);
		return;
	}
	/* hybrid polling: the worker's spins look at the socket too */
	if (nvmet_worker_hybrid(q->sq.worker))
		nvmet_poller_add(q->sq.worker, &q->poller);
}

/*
 * The queue's worker, from the Connect command: the queue's id and size
 * are known now; give it that many command contexts.
 * Return: 0, -EINVAL (qid), -ERANGE (size) or -ENOMEM.
 */
static int tcp_install_queue(struct nvmet_sq *sq, uint16_t qid, uint32_t size)
{
	struct tcp_queue *q = container_of(sq, struct tcp_queue, sq);
	const struct nvmet_port *port = sq->port;

	if (q->cmds)
		return -EINVAL;
	if (qid > NVMET_MAX_IO_QUEUES)
		return -EINVAL;
	if (!size || (!qid && size > NVME_AQ_DEPTH) ||
	    size > port->cfg.max_queue_size || size > UINT16_MAX)
		return -ERANGE;
	q->cmds = calloc(size, sizeof(*q->cmds));
	if (!q->cmds)
		return -ENOMEM;
	q->nr_cmds = size;
	for (uint32_t i = 0; i < size; i++) {
		struct tcp_cmd *cmd = &q->cmds[i];

		cmd->q = q;
		cmd->ttag = (uint16_t)(i + 1);
		cmd->req.cmd = &cmd->sqe;
		cmd->req.cqe = &cmd->cqe;
		cmd->req.sq = sq;
		TAILQ_INSERT_TAIL(&q->free_cmds, cmd, link);
	}
	/* the Connect's own context is in use: it is not given back */
	sq->qid = qid;
	sq->size = (uint16_t)size;
	if (qid)
		sq->inline_data_size = port->cfg.inline_data_size;
	return 0;
}

/* Main thread: a connection came in on port (fd is the queue's now). */
void nvmet_tcp_queue_add(struct nvmet_port *port, int fd,
			 const struct sockaddr *peer)
{
	struct nvmet_tgt *tgt = port->tgt;
	struct nvmet_setup_timer timer;
	socklen_t len = sizeof(struct sockaddr_storage);
	struct tcp_queue *q;
	int one = 1;

	nvmet_setup_timer_start(&timer);
	q = calloc(1, sizeof(*q));
	if (!q) {
		close(fd);
		return;
	}
	if (nvmet_queue_admit(tgt, &q->sq, peer)) {
		free(q);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	getsockname(fd, (struct sockaddr *)&q->local, &len);
	q->fd = fd;
	q->tgt = tgt;
	q->sq.port = port;
	nvmet_port_queue_get(port);
	q->sq.ops = &nvmet_tcp_ops;
	nvmet_sq_init(&q->sq);
	/* until Connect: an admin queue's size, in-capsule data as the host's */
	q->sq.size = NVME_AQ_DEPTH;
	q->sq.inline_data_size = port->cfg.inline_data_size >
						 NVME_TCP_ADMIN_CCSZ ?
					 port->cfg.inline_data_size :
					 NVME_TCP_ADMIN_CCSZ;
	snprintf(q->sq.log_prefix, sizeof(q->sq.log_prefix), "tcp queue ?");
	nvmet_tcp_queue_init(q);
	TAILQ_INSERT_TAIL(&tcp_queues, q, link);
	q->sq.worker = nvmet_pick_worker(tgt);
	if (nvmf_loop_post(q->sq.worker->loop, queue_start, q)) {
		queue_release(q);
		return;
	}
	nvmet_stat_queue_setup(tgt, &timer);
	nvmf_obj_debug(q->sq.log_prefix, "accepted on %s, worker %d",
		       port->log_prefix, q->sq.worker->index);
}

/* ---- listeners (main thread) ---------------------------------------------------- */

static void listener_event(void *arg, uint32_t events)
{
	struct tcp_listener *l = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	(void)events;
	for (int i = 0; i < 64; i++) {
		len = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				nvmf_obj_warn(l->port->log_prefix, "accept: %s",
					      strerror(errno));
			return;
		}
		nvmet_tcp_queue_add(l->port, fd, (struct sockaddr *)&ss);
	}
}

static int tcp_listen_port(struct nvmet_port *port)
{
	struct sockaddr_storage ss;
	struct tcp_listener *l;
	int ret, one = 1;

	ret = nvmet_port_sockaddr(&port->cfg, &ss);
	if (ret)
		return ret;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->port = port;
	l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (l->fd < 0)
		goto out_errno;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&ss, sizeof(ss)) ||
	    listen(l->fd, TCP_LISTEN_BACKLOG))
		goto out_errno;
	l->watch = nvmf_watch_add(port->tgt->loop, l->fd, EPOLLIN,
				  listener_event, l);
	if (!l->watch)
		goto out_errno;
	port->priv = l;
	return 0;

out_errno:
	ret = -errno;
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	return ret;
}

static void tcp_stop_listen(struct nvmet_port *port)
{
	struct tcp_listener *l = port->priv;

	if (!l)
		return;
	nvmf_watch_del(l->watch);
	close(l->fd);
	free(l);
	port->priv = NULL;
}

/* ---- the ops table -------------------------------------------------------------- */

static void tcp_disconnect_all(void)
{
	struct tcp_queue *q;

	TAILQ_FOREACH(q, &tcp_queues, link)
		shutdown(q->fd, SHUT_RDWR);
}

static bool tcp_idle(void)
{
	return TAILQ_EMPTY(&tcp_queues);
}

static void tcp_local_traddr(struct nvmet_sq *sq, char *buf, size_t size)
{
	struct tcp_queue *q = container_of(sq, struct tcp_queue, sq);
	const struct sockaddr_storage *ss = &q->local;

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  buf, (socklen_t)size);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)ss)->sin6_addr, buf,
			  (socklen_t)size);
}

/* No security (TLS is not offered), as the kernel's default */
static void tcp_disc_tsas(union nvmf_tsas *tsas)
{
	tsas->tcp.sectype = NVMF_TCP_SECTYPE_NONE;
}

const struct nvmet_transport_ops nvmet_tcp_ops = {
	.name = "tcp",
	.trtype = NVMF_TRTYPE_TCP,
	.disconnect_all = tcp_disconnect_all,
	.idle = tcp_idle,
	.disc_tsas = tcp_disc_tsas,
	.listen = tcp_listen_port,
	.stop_listen = tcp_stop_listen,
	.queue_response = nvmet_tcp_queue_response,
	.disconnect_queue = tcp_disconnect_queue,
	.install_queue = tcp_install_queue,
	.local_traddr = tcp_local_traddr,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * Admission of new queues, before any Connect.
 *
 * A transport connection costs the target memory (command buffers, pinned
 * and registered) before the host has said who it is.  So a new queue is
 * admitted only within limits, and must send its Connect in time:
 *  - at most limits.max_queues transport queues in all, and at most
 *    limits.max_host_queues from one host address (the only identity a
 *    host has before its Connect, and one it cannot choose freely);
 *  - at most limits.max_connecting queues that have not completed a
 *    Connect yet;
 *  - a queue with no controller limits.connect_timeout_ms after it was
 *    accepted is disconnected.
 * Each refusal says which limit it hit, once until the count drops again.
 *
 * nvmet_queue_admit() and nvmet_queue_leave() run on the main thread (the
 * transport's connection management); nvmet_sq_connected() and the
 * deadline on the queue's worker.  The count of queues still connecting is
 * the only value both touch, so it is atomic.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nvmet.h"

struct nvmet_peer {
	char addr[NI_MAXHOST];
	unsigned int queues;
	TAILQ_ENTRY(nvmet_peer) link;
};

void nvmet_limits_default(struct nvmet_limits *l)
{
	l->max_queues = NVMET_DEFAULT_MAX_QUEUES;
	l->max_host_queues = NVMET_DEFAULT_MAX_HOST_QUEUES;
	l->max_connecting = NVMET_DEFAULT_MAX_CONNECTING;
	l->connect_timeout_ms = NVMET_DEFAULT_CONNECT_TIMEOUT_MS;
}

static void peer_name(const struct sockaddr *sa, char *buf, size_t len)
{
	socklen_t salen = sa->sa_family == AF_INET6 ?
				  sizeof(struct sockaddr_in6) :
				  sizeof(struct sockaddr_in);

	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    getnameinfo(sa, salen, buf, (socklen_t)len, NULL, 0,
			NI_NUMERICHOST))
		snprintf(buf, len, "family %u", sa->sa_family);
}

static struct nvmet_peer *peer_find(struct nvmet_tgt *tgt, const char *addr)
{
	struct nvmet_peer *p;

	TAILQ_FOREACH(p, &tgt->peers, link)
		if (!strcmp(p->addr, addr))
			return p;
	return NULL;
}

/* Say why once, until the limit is no longer reached. */
static int refuse(struct nvmet_tgt *tgt, unsigned int bit, const char *addr,
		  const char *what, unsigned int limit)
{
	if (!(tgt->admit_warned & bit))
		nvmf_warn("refusing new queues from %s and others: %s (%u) "
			  "reached",
			  addr, what, limit);
	tgt->admit_warned |= bit;
	return -EBUSY;
}

/*
 * Main thread: may sq, a new queue from peer, come in?  Return: 0 (give
 * it back with nvmet_queue_leave()), -EBUSY at a limit, or -ENOMEM.
 */
int nvmet_queue_admit(struct nvmet_tgt *tgt, struct nvmet_sq *sq,
		      const struct sockaddr *peer)
{
	const struct nvmet_limits *l = &tgt->limits;
	char addr[NI_MAXHOST];
	struct nvmet_peer *p;

	peer_name(peer, addr, sizeof(addr));
	if (tgt->nr_queues >= l->max_queues)
		return refuse(tgt, 1, addr, "max-queues", l->max_queues);
	if (atomic_load(&tgt->nr_connecting) >= l->max_connecting)
		return refuse(tgt, 2, addr, "max-connecting",
			      l->max_connecting);
	p = peer_find(tgt, addr);
	if (p && p->queues >= l->max_host_queues)
		return refuse(tgt, 4, addr, "max-host-queues",
			      l->max_host_queues);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		snprintf(p->addr, sizeof(p->addr), "%s", addr);
		TAILQ_INSERT_TAIL(&tgt->peers, p, link);
	}
	p->queues++;
	tgt->nr_queues++;
	atomic_fetch_add(&tgt->nr_connecting, 1);
	sq->peer = p;
	return 0;
}

/* Main thread: sq, if nvmet_queue_admit() let it in, is gone. */
void nvmet_queue_leave(struct nvmet_tgt *tgt, struct nvmet_sq *sq)
{
	struct nvmet_peer *p = sq->peer;

	if (!p)
		return;
	sq->peer = NULL;
	if (!sq->connected)
		atomic_fetch_sub(&tgt->nr_connecting, 1);
	tgt->nr_queues--;
	if (!--p->queues) {
		TAILQ_REMOVE(&tgt->peers, p, link);
		free(p);
	}
	tgt->admit_warned = 0;
}

/*
 * Main thread: what the core holds for a released queue - its controller,
 * its port, its admission - given back (every transport's release ends so).
 */
void nvmet_sq_release(struct nvmet_tgt *tgt, struct nvmet_sq *sq)
{
	if (sq->ctrl)
		nvmet_ctrl_put(sq->ctrl);
	if (sq->port)
		nvmet_port_queue_put(sq->port);
	nvmet_queue_leave(tgt, sq);
}

/* Main thread: the admitted queues' peers, at shutdown. */
void nvmet_peers_free(struct nvmet_tgt *tgt)
{
	struct nvmet_peer *p;

	while ((p = TAILQ_FIRST(&tgt->peers))) {
		TAILQ_REMOVE(&tgt->peers, p, link);
		free(p);
	}
}

static void connect_deadline(void *arg)
{
	struct nvmet_sq *sq = arg;

	if (sq->connected)
		return;
	nvmf_obj_warn(sq->log_prefix, "no Connect within %u ms: disconnecting",
		      sq->worker->tgt->limits.connect_timeout_ms);
	sq->ops->disconnect_queue(sq);
}

/* The queue's worker, when it starts serving a new queue. */
int nvmet_sq_start(struct nvmet_sq *sq)
{
	unsigned int ms = sq->worker->tgt->limits.connect_timeout_ms;

	if (!ms)
		return 0;
	sq->connect_timer =
		nvmf_timer_create(sq->worker->loop, connect_deadline, sq);
	if (!sq->connect_timer)
		return -ENOMEM;
	return nvmf_timer_arm(sq->connect_timer, ms, 0);
}

/* The queue's worker: its Connect succeeded. */
void nvmet_sq_connected(struct nvmet_sq *sq)
{
	struct nvmet_tgt *tgt = sq->worker->tgt;

	if (sq->connected)
		return;
	sq->connected = true;
	if (sq->peer)
		atomic_fetch_sub(&tgt->nr_connecting, 1);
	if (sq->connect_timer)
		nvmf_timer_disarm(sq->connect_timer);
	if (sq->ops->queue_connected)
		sq->ops->queue_connected(sq);
}

/* The queue's worker: it stops serving the queue. */
void nvmet_sq_stop(struct nvmet_sq *sq)
{
	if (sq->connect_timer)
		nvmf_timer_destroy(sq->connect_timer);
	sq->connect_timer = NULL;
}

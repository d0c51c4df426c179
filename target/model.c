// SPDX-License-Identifier: GPL-2.0
/*
 * The target's configuration model: hosts, subsystems with their
 * namespaces and allowed hosts, ports with their subsystem links.  The -c
 * file (nvmet_tgt_apply()) and the configfs tree (configfs.c) change it
 * through the same functions, with the kernel's rules and error numbers.
 *
 * Lifetimes: a subsystem is referenced by the model and by each of its
 * controllers, and freed with the last reference.  A namespace is freed
 * by whoever removed it, after nvmet_ns_drain() saw its last request go.
 * A port is freed on removal, or with the last transport queue using it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "nqn.h"
#include "nvmet.h"

#define NVMET_NS_DRAIN_MS 30000

/*
 * A namespace UUID that stays the same across restarts (the kernel host
 * treats a changed identifier as a different namespace): derived from the
 * subsystem NQN and nsid, shaped as an RFC 4122 version 4 UUID.
 */
static void derive_uuid(const char *nqn, uint32_t nsid, uint8_t uuid[16])
{
	uint64_t a = nvmf_fnv1a(nqn, strlen(nqn), 0xcbf29ce484222325ull);

	nvmf_uuid_from_hash(nvmf_fnv1a(&nsid, sizeof(nsid), a), uuid);
}

/* ---- locking ---------------------------------------------------------------- */

void nvmet_model_lock(struct nvmet_tgt *tgt)
{
	pthread_rwlock_wrlock(&tgt->model_lock);
	tgt->model_writer = true;
}

void nvmet_model_rdlock(struct nvmet_tgt *tgt)
{
	pthread_rwlock_rdlock(&tgt->model_lock);
}

void nvmet_model_unlock(struct nvmet_tgt *tgt)
{
	/*
	 * After a change (the write lock, taken only by the main thread):
	 * the I/O queues' namespace caches are stale.  Before the unlock,
	 * so that a cache refilled under the read lock is not older than
	 * the generation it records.
	 */
	if (tgt->model_writer) {
		tgt->model_writer = false;
		atomic_fetch_add(&tgt->ns_gen, 1);
	}
	pthread_rwlock_unlock(&tgt->model_lock);
}

/* The discovery generation counter: hosts re-read the log when it moves. */
void nvmet_disc_changed(struct nvmet_tgt *tgt)
{
	atomic_fetch_add(&tgt->genctr, 1);
	if (tgt->disc)
		nvmet_disc_notify(tgt->disc);
}

/* ---- hosts -------------------------------------------------------------------- */

struct nvmet_host *nvmet_find_host(struct nvmet_tgt *tgt, const char *nqn)
{
	struct nvmet_host *h;

	TAILQ_FOREACH(h, &tgt->hosts, link)
		if (strcmp(h->nqn, nqn) == 0)
			return h;
	return NULL;
}

int nvmet_host_add(struct nvmet_tgt *tgt, const char *nqn,
		   struct nvmet_host **out)
{
	struct nvmet_host *h;

	if (!nqn[0] || strlen(nqn) > NVME_NQN_MAX)
		return -EINVAL;
	if (nvmet_find_host(tgt, nqn))
		return -EEXIST;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	snprintf(h->nqn, sizeof(h->nqn), "%s", nqn);
	snprintf(h->dhchap_hash, sizeof(h->dhchap_hash), "hmac(sha256)");
	snprintf(h->dhchap_dhgroup, sizeof(h->dhchap_dhgroup), "null");
	TAILQ_INSERT_TAIL(&tgt->hosts, h, link);
	nvmf_debug("host %s added", nqn);
	if (out)
		*out = h;
	return 0;
}

int nvmet_host_del(struct nvmet_tgt *tgt, struct nvmet_host *h)
{
	if (h->nr_links)
		return -EBUSY;
	TAILQ_REMOVE(&tgt->hosts, h, link);
	nvmf_debug("host %s removed", h->nqn);
	free(h);
	return 0;
}

/* ---- subsystems ---------------------------------------------------------------- */

static struct nvmet_subsys *subsys_alloc(struct nvmet_tgt *tgt, const char *nqn)
{
	uint64_t h = nvmf_fnv1a(nqn, strlen(nqn), 0xcbf29ce484222325ull);
	struct nvmet_subsys *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->tgt = tgt;
	snprintf(s->nqn, sizeof(s->nqn), "%s", nqn);
	/* like the kernel: 16 hex digits when not configured, but stable */
	snprintf(s->serial, sizeof(s->serial), "%016llx",
		 (unsigned long long)h);
	snprintf(s->model, sizeof(s->model), "%s", NVMET_DEFAULT_MODEL);
	snprintf(s->firmware, sizeof(s->firmware), "%s", NVMET_FIRMWARE);
	s->version = NVMF_DEFAULT_VERSION;
	s->cntlid_min = NVMF_CNTLID_MIN;
	s->cntlid_max = NVMF_CNTLID_MAX;
	s->qid_max = NVMET_MAX_IO_QUEUES;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->lock, NULL);
	TAILQ_INIT(&s->ctrls);
	TAILQ_INIT(&s->nss);
	TAILQ_INIT(&s->hosts);
	return s;
}

struct nvmet_subsys *nvmet_find_subsys(struct nvmet_tgt *tgt, const char *nqn)
{
	struct nvmet_subsys *s;

	if (strcmp(nqn, NVME_DISC_NQN) == 0)
		return tgt->disc;
	TAILQ_FOREACH(s, &tgt->subsystems, link)
		if (strcmp(s->nqn, nqn) == 0)
			return s;
	return NULL;
}

int nvmet_subsys_add(struct nvmet_tgt *tgt, const char *nqn,
		     struct nvmet_subsys **out)
{
	struct nvmet_subsys *s;

	if (strcmp(nqn, NVME_DISC_NQN) == 0 || !nqn[0] ||
	    strlen(nqn) > NVME_NQN_MAX)
		return -EINVAL;
	if (nvmet_find_subsys(tgt, nqn))
		return -EEXIST;
	s = subsys_alloc(tgt, nqn);
	if (!s)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&tgt->subsystems, s, link);
	tgt->nr_subsys++;
	nvmf_debug("subsystem %s added", nqn);
	if (out)
		*out = s;
	return 0;
}

void nvmet_subsys_get(struct nvmet_subsys *s)
{
	atomic_fetch_add(&s->refs, 1);
}

void nvmet_subsys_put(struct nvmet_subsys *s)
{
	struct nvmet_ns *ns;

	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	while ((ns = TAILQ_FIRST(&s->nss))) {
		TAILQ_REMOVE(&s->nss, ns, link);
		ns->enabled = false;
		nvmet_ns_drain(ns);
		nvmet_ns_free(ns);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Refused while it has namespaces or allowed hosts (ENOTEMPTY) or ports. */
int nvmet_subsys_del(struct nvmet_tgt *tgt, struct nvmet_subsys *s)
{
	if (!TAILQ_EMPTY(&s->nss) || !TAILQ_EMPTY(&s->hosts))
		return -ENOTEMPTY;
	if (s->nr_port_links)
		return -EBUSY;
	TAILQ_REMOVE(&tgt->subsystems, s, link);
	tgt->nr_subsys--;
	nvmf_debug("subsystem %s removed", s->nqn);
	nvmet_subsys_del_ctrls(s, NULL, "subsystem removed");
	nvmet_subsys_put(s);
	return 0;
}

int nvmet_allow_host(struct nvmet_subsys *s, const char *name,
		     struct nvmet_host *host)
{
	struct nvmet_host_link *l;

	if (s->allow_any_host)
		return -EINVAL;
	TAILQ_FOREACH(l, &s->hosts, link)
		if (l->host == host || strcmp(l->name, name) == 0)
			return -EEXIST;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->host = host;
	host->nr_links++;
	TAILQ_INSERT_TAIL(&s->hosts, l, link);
	nvmet_disc_changed(s->tgt);
	nvmf_debug("%s: host %s allowed", s->nqn, host->nqn);
	return 0;
}

int nvmet_disallow_host(struct nvmet_subsys *s, struct nvmet_host_link *l)
{
	TAILQ_REMOVE(&s->hosts, l, link);
	l->host->nr_links--;
	nvmet_disc_changed(s->tgt);
	nvmf_debug("%s: host %s no longer allowed", s->nqn, l->host->nqn);
	free(l);
	return 0;
}

bool nvmet_host_allowed(const struct nvmet_subsys *subsys, const char *hostnqn)
{
	const struct nvmet_host_link *l;

	if (subsys->discovery || subsys->allow_any_host)
		return true;
	TAILQ_FOREACH(l, &subsys->hosts, link)
		if (strcmp(l->host->nqn, hostnqn) == 0)
			return true;
	return false;
}

/* ---- namespaces ------------------------------------------------------------------ */

struct nvmet_ns *nvmet_find_ns_any(struct nvmet_subsys *s, uint32_t nsid)
{
	struct nvmet_ns *ns;

	TAILQ_FOREACH(ns, &s->nss, link)
		if (ns->nsid == nsid)
			return ns;
	return NULL;
}

uint32_t nvmet_max_nsid(struct nvmet_subsys *s)
{
	struct nvmet_ns *ns = TAILQ_LAST(&s->nss, nvmet_ns_head);

	return ns ? ns->nsid : 0;
}

int nvmet_ns_add(struct nvmet_subsys *s, uint32_t nsid, const char *where,
		 struct nvmet_ns **out)
{
	struct nvmet_ns *ns, *pos;

	if (nsid == 0 || nsid == 0xffffffff)
		return -EINVAL;
	if (nvmet_find_ns_any(s, nsid))
		return -EEXIST;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	snprintf(ns->cfg.where, sizeof(ns->cfg.where), "%s", where);
	ns->cfg.nsid = nsid;
	ns->subsys = s;
	ns->tgt = s->tgt;
	ns->nsid = nsid;
	ns->fd = -1;
	ns->file_slot = -1;
	ns->ana_grpid = 1;
	atomic_init(&ns->inflight, 0);
	derive_uuid(s->nqn, nsid, ns->uuid);
	TAILQ_FOREACH(pos, &s->nss, link)
		if (pos->nsid > nsid)
			break;
	if (pos)
		TAILQ_INSERT_BEFORE(pos, ns, link);
	else
		TAILQ_INSERT_TAIL(&s->nss, ns, link);
	*out = ns;
	return 0;
}

/* Open the device and serve it; announced to connected hosts. */
int nvmet_ns_enable(struct nvmet_ns *ns, char *err, size_t errlen)
{
	int ret;

	if (ns->enabled)
		return 0;
	if (!ns->cfg.path || !ns->cfg.path[0]) {
		snprintf(err, errlen, "%s: no device path", ns->cfg.where);
		return -EINVAL;
	}
	if (ns->fd >= 0) {
		/*
		 * Left open by a drain that timed out: it may be another
		 * device than device_path names now.  Never serve it again;
		 * close it once its last request is gone, then open afresh.
		 */
		if (atomic_load(&ns->inflight)) {
			snprintf(
				err, errlen,
				"%s: %d requests still running on the previous device",
				ns->cfg.where, atomic_load(&ns->inflight));
			return -EBUSY;
		}
		nvmet_ns_close(ns);
	}
	ret = nvmet_ns_open(ns, err, errlen);
	if (ret)
		return ret;
	if (ns->cfg.has_uuid)
		memcpy(ns->uuid, ns->cfg.uuid, 16);
	else
		derive_uuid(ns->subsys->nqn, ns->nsid, ns->uuid);
	if (ns->cfg.has_nguid) {
		static const uint8_t zero[16];

		memcpy(ns->nguid, ns->cfg.nguid, 16);
		ns->has_nguid = memcmp(ns->nguid, zero, 16) != 0;
	}
	ns->enabled = true;
	nvmet_ns_changed(ns->subsys, ns->nsid);
	return 0;
}

/* Stop serving it: no new requests; nvmet_ns_drain() waits for the rest. */
void nvmet_ns_disable(struct nvmet_ns *ns)
{
	if (!ns->enabled)
		return;
	ns->enabled = false;
	nvmf_info("%s: namespace %u disabled", ns->subsys->nqn, ns->nsid);
	nvmet_ns_changed(ns->subsys, ns->nsid);
}

void nvmet_ns_unlink(struct nvmet_ns *ns)
{
	nvmet_ns_disable(ns);
	TAILQ_REMOVE(&ns->subsys->nss, ns, link);
}

/*
 * Wait for the requests that still hold a disabled namespace, then close
 * its device.  Not on an event loop: it sleeps.
 */
void nvmet_ns_drain(struct nvmet_ns *ns)
{
	unsigned int ms = 0;

	while (atomic_load(&ns->inflight) && ms < NVMET_NS_DRAIN_MS) {
		usleep(1000);
		ms++;
	}
	if (atomic_load(&ns->inflight)) {
		nvmf_warn(
			"namespace %u: %d requests still running after %u ms; device left open",
			ns->nsid, atomic_load(&ns->inflight), ms);
		return;
	}
	if (!ns->enabled)
		nvmet_ns_close(ns);
}

static void ns_destroy(struct nvmet_ns *ns)
{
	free(ns->cfg.path);
	free(ns);
}

/*
 * An I/O queue's cache may still point to it (nvmet_sq_ns_get): destroyed
 * after a grace round, in which every worker finishes the pass it is in;
 * at once when no worker runs.
 */
static void ns_retire(struct nvmet_ns *ns)
{
	struct nvmet_tgt *tgt = ns->tgt;

	if (!tgt->nr_workers) {
		ns_destroy(ns);
		return;
	}
	pthread_mutex_lock(&tgt->retire_lock);
	ns->retire_epoch = tgt->retire_epoch;
	TAILQ_INSERT_TAIL(&tgt->ns_retired, ns, link);
	pthread_mutex_unlock(&tgt->retire_lock);
}

void nvmet_ns_free(struct nvmet_ns *ns)
{
	if (atomic_load(&ns->inflight))
		return; /* still in use after the drain: leaked, not freed */
	ns_retire(ns);
}

static void grace_ack(void *arg)
{
	struct nvmet_worker *w = arg;

	atomic_fetch_add(&w->tgt->grace_acks, 1);
}

void nvmet_grace_poll(struct nvmet_tgt *tgt)
{
	struct nvmet_ns *ns, *next;
	int i, n = 0;

	pthread_mutex_lock(&tgt->retire_lock);
	if (tgt->grace_running &&
	    atomic_load(&tgt->grace_acks) == tgt->nr_workers) {
		/* every worker has passed a quiescent point since it began */
		for (ns = TAILQ_FIRST(&tgt->ns_retired); ns; ns = next) {
			next = TAILQ_NEXT(ns, link);
			if (ns->retire_epoch > tgt->grace_epoch)
				continue;
			TAILQ_REMOVE(&tgt->ns_retired, ns, link);
			ns_destroy(ns);
			n++;
		}
		tgt->grace_running = false;
		nvmf_debug("grace round %llu: %d namespace(s) freed",
			   (unsigned long long)tgt->grace_epoch, n);
	}
	if (!tgt->grace_running && !TAILQ_EMPTY(&tgt->ns_retired)) {
		/* what is retired from now on waits for the next round */
		tgt->grace_epoch = tgt->retire_epoch++;
		tgt->grace_running = true;
		atomic_store(&tgt->grace_acks, 0);
		for (i = 0; i < tgt->nr_workers; i++)
			if (nvmf_loop_post(tgt->workers[i].loop, grace_ack,
					   &tgt->workers[i])) {
				/* never complete: kept until exit */
				atomic_fetch_add(&tgt->grace_acks, 1 << 20);
				nvmf_warn("cannot start a grace round: retired "
					  "namespaces are kept until exit");
			}
	}
	pthread_mutex_unlock(&tgt->retire_lock);
}

/* Any thread: the enabled namespace nsid, held until nvmet_ns_put(). */
struct nvmet_ns *nvmet_ns_get(struct nvmet_subsys *subsys, uint32_t nsid)
{
	struct nvmet_ns *ns;

	nvmet_model_rdlock(subsys->tgt);
	ns = nvmet_find_ns_any(subsys, nsid);
	if (ns && ns->enabled)
		atomic_fetch_add(&ns->inflight, 1);
	else
		ns = NULL;
	nvmet_model_unlock(subsys->tgt);
	return ns;
}

/*
 * Worker: the namespace of an I/O command, without the model lock while
 * the model has not changed since the queue looked it up last.  The
 * generation is read again after the hold is taken: a change (which
 * bumps it) either is seen here, and the lookup takes the slow way, or
 * comes after the hold, which a drain then waits for.  A namespace freed
 * meanwhile waits for a grace round (ns_retire) before its memory goes.
 */
struct nvmet_ns *nvmet_sq_ns_get(struct nvmet_sq *sq, uint32_t nsid)
{
	struct nvmet_subsys *subsys = sq->ctrl->subsys;
	struct nvmet_tgt *tgt = subsys->tgt;
	uint64_t gen = atomic_load(&tgt->ns_gen);
	struct nvmet_sq_ns *e;
	struct nvmet_ns *ns;
	int i;

	if (gen == sq->ns_gen) {
		for (i = 0; i < NVMET_SQ_NS_CACHE; i++) {
			e = &sq->ns_cache[i];
			if (!e->ns || e->nsid != nsid)
				continue;
			atomic_fetch_add(&e->ns->inflight, 1);
			if (atomic_load(&tgt->ns_gen) == gen)
				return e->ns;
			atomic_fetch_sub(&e->ns->inflight, 1);
			break;
		}
	}
	ns = nvmet_ns_get(subsys, nsid);
	if (gen != sq->ns_gen) {
		memset(sq->ns_cache, 0, sizeof(sq->ns_cache));
		sq->ns_gen = gen;
	}
	if (ns) {
		for (i = 0; i < NVMET_SQ_NS_CACHE; i++)
			if (sq->ns_cache[i].nsid == nsid)
				break;
		if (i == NVMET_SQ_NS_CACHE)
			i = (int)(sq->ns_next++ % NVMET_SQ_NS_CACHE);
		sq->ns_cache[i].nsid = nsid;
		sq->ns_cache[i].ns = ns;
	}
	return ns;
}

void nvmet_ns_put(struct nvmet_ns *ns)
{
	atomic_fetch_sub(&ns->inflight, 1);
}

/* ---- ports ------------------------------------------------------------------------- */

struct nvmet_port *nvmet_find_port(struct nvmet_tgt *tgt, uint16_t portid)
{
	struct nvmet_port *p;

	TAILQ_FOREACH(p, &tgt->ports, link)
		if (p->cfg.portid == portid)
			return p;
	return NULL;
}

int nvmet_port_add(struct nvmet_tgt *tgt, uint16_t portid,
		   struct nvmet_port **out)
{
	struct nvmet_port *p;

	if (nvmet_find_port(tgt, portid))
		return -EEXIST;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->tgt = tgt;
	p->cfg.portid = portid;
	p->cfg.trtype = NVMF_TRTYPE_RDMA;
	p->cfg.adrfam = NVMF_ADDR_FAMILY_IP4;
	p->cfg.inline_data_size = NVMF_DEFAULT_INLINE_DATA;
	p->cfg.max_queue_size = NVMF_DEFAULT_QUEUE_SIZE;
	p->param_inline_data_size = -1;
	p->param_max_queue_size = -1;
	snprintf(p->treq, sizeof(p->treq), "not specified");
	snprintf(p->tsas, sizeof(p->tsas), "not specified");
	p->ana_state[1] = 1; /* group 1, optimized, always there */
	p->state = NVMET_PORT_DISABLED;
	p->state_since_ms = nvmf_now_ms();
	clock_gettime(CLOCK_REALTIME, &p->state_since);
	snprintf(p->log_prefix, sizeof(p->log_prefix), "port %u", portid);
	TAILQ_INIT(&p->subsystems);
	TAILQ_INIT(&p->referrals);
	TAILQ_INSERT_TAIL(&tgt->ports, p, link);
	tgt->nr_ports++;
	if (out)
		*out = p;
	return 0;
}

static void port_free(struct nvmet_port *p)
{
	struct nvmet_referral *r;

	while ((r = TAILQ_FIRST(&p->referrals))) {
		TAILQ_REMOVE(&p->referrals, r, link);
		free(r);
	}
	free(p);
}

/* Refused while subsystems or referrals are in it (ENOTEMPTY). */
int nvmet_port_del(struct nvmet_tgt *tgt, struct nvmet_port *p)
{
	if (!TAILQ_EMPTY(&p->subsystems) || !TAILQ_EMPTY(&p->referrals))
		return -ENOTEMPTY;
	TAILQ_REMOVE(&tgt->ports, p, link);
	tgt->nr_ports--;
	nvmf_obj_info(p->log_prefix, "removed");
	p->removed = true;
	if (!p->nr_queues)
		port_free(p);
	return 0;
}

void nvmet_port_queue_get(struct nvmet_port *p)
{
	p->nr_queues++;
}

void nvmet_port_queue_put(struct nvmet_port *p)
{
	if (--p->nr_queues == 0 && p->removed)
		port_free(p);
}

/* Enabled: it has subsystems, so it listens or tries to. */
bool nvmet_port_enabled(const struct nvmet_port *p)
{
	return !TAILQ_EMPTY(&p->subsystems);
}

/*
 * The first link enables the port; when the target runs and the port
 * cannot listen, the link fails with that error, as in the kernel.
 */
int nvmet_port_link(struct nvmet_port *p, const char *name,
		    struct nvmet_subsys *s)
{
	struct nvmet_subsys_link *l;
	bool first = TAILQ_EMPTY(&p->subsystems);
	int ret;

	TAILQ_FOREACH(l, &p->subsystems, link)
		if (l->subsys == s || strcmp(l->name, name) == 0)
			return -EEXIST;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->subsys = s;
	if (first && p->tgt->started) {
		ret = nvmet_port_enable(p, p->tgt->restoring);
		if (ret && !p->tgt->restoring) {
			free(l);
			return ret;
		}
	}
	TAILQ_INSERT_TAIL(&p->subsystems, l, link);
	s->nr_port_links++;
	nvmet_disc_changed(p->tgt);
	nvmf_obj_debug(p->log_prefix, "subsystem %s linked", s->nqn);
	return 0;
}

/* Its controllers through this port go; the last link disables the port. */
void nvmet_port_unlink(struct nvmet_port *p, struct nvmet_subsys_link *l)
{
	struct nvmet_subsys *s = l->subsys;

	TAILQ_REMOVE(&p->subsystems, l, link);
	s->nr_port_links--;
	nvmf_obj_info(p->log_prefix, "subsystem %s unlinked", s->nqn);
	nvmet_subsys_del_ctrls(s, p, "unlinked from its port");
	nvmet_disc_changed(p->tgt);
	if (TAILQ_EMPTY(&p->subsystems))
		nvmet_port_disable(p, "its last subsystem was unlinked");
	free(l);
}

bool nvmet_port_has_subsys(const struct nvmet_port *port,
			   const struct nvmet_subsys *subsys)
{
	const struct nvmet_subsys_link *l;

	if (subsys->discovery)
		return true;
	TAILQ_FOREACH(l, &port->subsystems, link)
		if (l->subsys == subsys)
			return true;
	return false;
}

/* ---- the -c file ------------------------------------------------------------------------ */

static int apply_ns(struct nvmet_subsys *s, const struct nvmf_cfg_ns *c,
		    char *err, size_t errlen)
{
	struct nvmet_ns *ns;
	int ret;

	ret = nvmet_ns_add(s, c->nsid, c->where, &ns);
	if (ret) {
		snprintf(err, errlen, "%s.nsid: %s", c->where, strerror(-ret));
		return ret;
	}
	ns->cfg = *c;
	ns->cfg.path = c->path ? strdup(c->path) : NULL;
	if (c->path && !ns->cfg.path)
		return -ENOMEM;
	if (!c->enable)
		return 0;
	return nvmet_ns_enable(ns, err, errlen);
}

static int apply_subsys(struct nvmet_tgt *tgt, const struct nvmf_cfg_subsys *c,
			char *err, size_t errlen)
{
	struct nvmet_subsys *s;
	struct nvmet_host *h;
	int i, ret;

	ret = nvmet_subsys_add(tgt, c->nqn, &s);
	if (ret) {
		snprintf(err, errlen, "%s.nqn: '%s': %s", c->where, c->nqn,
			 strerror(-ret));
		return ret;
	}
	s->allow_any_host = c->allow_any_host;
	s->version = c->version;
	s->cntlid_min = c->cntlid_min;
	s->cntlid_max = c->cntlid_max;
	if (c->serial[0])
		snprintf(s->serial, sizeof(s->serial), "%s", c->serial);
	if (c->model[0])
		snprintf(s->model, sizeof(s->model), "%s", c->model);
	for (i = 0; i < c->nr_allowed_hosts; i++) {
		h = nvmet_find_host(tgt, c->allowed_hosts[i]);
		ret = h ? 0 : nvmet_host_add(tgt, c->allowed_hosts[i], &h);
		if (!ret)
			ret = nvmet_allow_host(s, h->nqn, h);
		if (ret) {
			snprintf(err, errlen, "%s.allowed_hosts[%d]: %s",
				 c->where, i, strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < c->nr_ns; i++) {
		ret = apply_ns(s, &c->ns[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static int apply_port(struct nvmet_tgt *tgt, const struct nvmf_cfg_port *c,
		      char *err, size_t errlen)
{
	struct nvmet_subsys *s;
	struct nvmet_port *p;
	int i, ret;

	ret = nvmet_port_add(tgt, c->portid, &p);
	if (ret) {
		snprintf(err, errlen, "%s.portid: %u: %s", c->where, c->portid,
			 strerror(-ret));
		return ret;
	}
	p->cfg = *c;
	p->param_inline_data_size = (int)c->inline_data_size;
	p->param_max_queue_size = (int)c->max_queue_size;
	p->cfg.subsystems = NULL;
	p->cfg.nr_subsystems = 0;
	for (i = 0; i < c->nr_subsystems; i++) {
		s = nvmet_find_subsys(tgt, c->subsystems[i]);
		ret = s ? nvmet_port_link(p, s->nqn, s) : -ENOENT;
		if (ret) {
			snprintf(err, errlen, "%s.subsystems[%d]: '%s': %s",
				 c->where, i, c->subsystems[i], strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Add a loaded configuration to the model (before the target starts). */
int nvmet_tgt_apply(struct nvmet_tgt *tgt, const struct nvmf_cfg *cfg,
		    char *err, size_t errlen)
{
	int i, ret = 0;

	nvmet_model_lock(tgt);
	for (i = 0; !ret && i < cfg->nr_hosts; i++) {
		ret = nvmet_host_add(tgt, cfg->hosts[i], NULL);
		if (ret)
			snprintf(err, errlen, "hosts[%d].nqn: '%s': %s", i,
				 cfg->hosts[i], strerror(-ret));
	}
	for (i = 0; !ret && i < cfg->nr_subsys; i++)
		ret = apply_subsys(tgt, &cfg->subsys[i], err, errlen);
	for (i = 0; !ret && i < cfg->nr_ports; i++)
		ret = apply_port(tgt, &cfg->ports[i], err, errlen);
	nvmet_model_unlock(tgt);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}

/* An empty model: the discovery subsystem only. */
int nvmet_tgt_init(struct nvmet_tgt *tgt)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	/* configuration changes must not starve behind the data path */
	pthread_rwlockattr_setkind_np(
		&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&tgt->model_lock, &attr);
	pthread_mutex_init(&tgt->state_lock, NULL);
	pthread_mutex_init(&tgt->retire_lock, NULL);
	TAILQ_INIT(&tgt->ns_retired);
	tgt->retire_epoch = 1;
	pthread_rwlockattr_destroy(&attr);
	TAILQ_INIT(&tgt->subsystems);
	TAILQ_INIT(&tgt->ports);
	TAILQ_INIT(&tgt->hosts);
	TAILQ_INIT(&tgt->peers);
	nvmet_limits_default(&tgt->limits);
	atomic_store(&tgt->genctr, 1);
	tgt->disc = subsys_alloc(tgt, NVME_DISC_NQN);
	if (!tgt->disc)
		return -ENOMEM;
	tgt->disc->discovery = true;
	return 0;
}

int nvmet_tgt_build(struct nvmet_tgt *tgt, struct nvmf_cfg *cfg, char *err,
		    size_t errlen)
{
	int ret = nvmet_tgt_init(tgt);

	if (ret) {
		snprintf(err, errlen, "out of memory");
		return ret;
	}
	return nvmet_tgt_apply(tgt, cfg, err, errlen);
}

/* Everything, after the transport and workers are gone. */
void nvmet_tgt_release(struct nvmet_tgt *tgt)
{
	struct nvmet_subsys_link *l;
	struct nvmet_host_link *hl;
	struct nvmet_subsys *s;
	struct nvmet_port *p;
	struct nvmet_host *h;
	struct nvmet_ns *ns;

	while ((p = TAILQ_FIRST(&tgt->ports))) {
		while ((l = TAILQ_FIRST(&p->subsystems))) {
			TAILQ_REMOVE(&p->subsystems, l, link);
			free(l);
		}
		TAILQ_REMOVE(&tgt->ports, p, link);
		port_free(p);
	}
	while ((s = TAILQ_FIRST(&tgt->subsystems))) {
		while ((hl = TAILQ_FIRST(&s->hosts))) {
			TAILQ_REMOVE(&s->hosts, hl, link);
			free(hl);
		}
		while ((ns = TAILQ_FIRST(&s->nss))) {
			TAILQ_REMOVE(&s->nss, ns, link);
			nvmet_ns_close(ns);
			ns_destroy(ns); /* nothing runs any more */
		}
		TAILQ_REMOVE(&tgt->subsystems, s, link);
		nvmet_subsys_put(s);
	}
	while ((h = TAILQ_FIRST(&tgt->hosts))) {
		TAILQ_REMOVE(&tgt->hosts, h, link);
		free(h);
	}
	if (tgt->disc)
		nvmet_subsys_put(tgt->disc);
	tgt->disc = NULL;
	tgt->nr_subsys = 0;
	tgt->nr_ports = 0;
	nvmet_peers_free(tgt);
	/* no worker runs any more: nothing can hold what was retired */
	while ((ns = TAILQ_FIRST(&tgt->ns_retired))) {
		TAILQ_REMOVE(&tgt->ns_retired, ns, link);
		ns_destroy(ns);
	}
	pthread_rwlock_destroy(&tgt->model_lock);
	pthread_mutex_destroy(&tgt->state_lock);
	pthread_mutex_destroy(&tgt->retire_lock);
}

struct nvmet_worker *nvmet_pick_worker(struct nvmet_tgt *tgt)
{
	unsigned int n = atomic_fetch_add(&tgt->next_worker, 1);

	return &tgt->workers[n % (unsigned int)tgt->nr_workers];
}

// SPDX-License-Identifier: GPL-2.0
/*
 * SIGHUP: the -c file read again and its difference from the running
 * model applied live, through the same model functions the tree uses.
 * Only what changed is touched: a host connected to a subsystem the file
 * still has keeps its controller, and a namespace whose device path is
 * unchanged keeps serving.
 *
 * The file is the configuration: what the running model has and the file
 * does not (made through the tree, or dropped from the file) goes.  What
 * cannot be applied (a device that does not open, a port that cannot
 * listen yet) is logged with the item's place in the file, and the rest
 * is applied; a port that cannot listen keeps its links and is repaired,
 * as at start.
 *
 * A removed or disabled namespace stops taking requests at once; its
 * device is closed (and a removed one freed) when its last request is
 * gone.  That wait is polled by a timer on the main loop, never slept.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nvmet.h"
#include "reload.h"

#define DRAIN_POLL_MS 5
#define DRAIN_MAX_MS  30000

struct drain {
	struct nvmet_ns *ns;
	bool free; /* unlinked: free it after closing */
	uint64_t since_ms;
};

struct nvmet_reload {
	struct nvmet_tgt *tgt;
	struct nvmf_timer *timer;
	struct drain *v;
	int n, cap;
	int changes, errors; /* of the reload running */
};

/* ---- draining ------------------------------------------------------------ */

static int drain_add(struct nvmet_reload *r, struct nvmet_ns *ns, bool free_it)
{
	struct drain *v;
	int i;

	for (i = 0; i < r->n; i++) {
		if (r->v[i].ns == ns) {
			/* disabled by an earlier reload, removed by this one */
			r->v[i].free |= free_it;
			return 0;
		}
	}
	if (r->n == r->cap) {
		v = reallocarray(r->v, r->cap ? 2 * r->cap : 8, sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = r->cap ? 2 * r->cap : 8;
	}
	r->v[r->n++] = (struct drain){ ns, free_it, nvmf_now_ms() };
	if (r->timer && !nvmf_timer_armed(r->timer))
		nvmf_timer_arm(r->timer, DRAIN_POLL_MS, DRAIN_POLL_MS);
	return 0;
}

/* Main thread, model lock held: close (and free) what nobody uses now. */
static void drain_poll_locked(struct nvmet_reload *r, bool final)
{
	uint64_t now = nvmf_now_ms();
	int i = 0;

	while (i < r->n) {
		struct drain *d = &r->v[i];
		int inflight = atomic_load(&d->ns->inflight);

		if (inflight && !final && now - d->since_ms < DRAIN_MAX_MS) {
			i++;
			continue;
		}
		if (inflight)
			nvmf_warn(
				"%s: namespace %u: %d requests still running after %llu ms; device left open",
				d->ns->subsys->nqn, d->ns->nsid, inflight,
				(unsigned long long)(now - d->since_ms));
		else if (!d->ns->enabled)
			nvmet_ns_close(d->ns);
		if (d->free)
			nvmet_ns_free(d->ns); /* kept while requests hold it */
		r->v[i] = r->v[--r->n];
	}
}

static void drain_timer(void *arg)
{
	struct nvmet_reload *r = arg;

	nvmet_model_lock(r->tgt);
	drain_poll_locked(r, false);
	nvmet_model_unlock(r->tgt);
	if (!r->n)
		nvmf_timer_disarm(r->timer);
}

struct nvmet_reload *nvmet_reload_create(struct nvmet_tgt *tgt)
{
	struct nvmet_reload *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->tgt = tgt;
	if (tgt->loop) {
		r->timer = nvmf_timer_create(tgt->loop, drain_timer, r);
		if (!r->timer) {
			free(r);
			return NULL;
		}
	}
	return r;
}

/* At exit, after the workers stopped: nothing holds a namespace any more. */
void nvmet_reload_destroy(struct nvmet_reload *r)
{
	if (!r)
		return;
	nvmet_model_lock(r->tgt);
	drain_poll_locked(r, true);
	nvmet_model_unlock(r->tgt);
	nvmf_timer_destroy(r->timer);
	free(r->v);
	free(r);
}

int nvmet_reload_draining(const struct nvmet_reload *r)
{
	return r->n;
}

/* ---- the difference ------------------------------------------------------ */

static void failed(struct nvmet_reload *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void failed(struct nvmet_reload *r, const char *fmt, ...)
{
	char buf[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	nvmf_err("reload: %s", buf);
	r->errors++;
}

static const struct nvmf_cfg_port *cfg_find_port(const struct nvmf_cfg *cfg,
						 uint16_t portid)
{
	int i;

	for (i = 0; i < cfg->nr_ports; i++)
		if (cfg->ports[i].portid == portid)
			return &cfg->ports[i];
	return NULL;
}

static bool cfg_port_links(const struct nvmf_cfg_port *c, const char *nqn)
{
	int i;

	for (i = 0; i < c->nr_subsystems; i++)
		if (strcmp(c->subsystems[i], nqn) == 0)
			return true;
	return false;
}

static bool cfg_allows(const struct nvmf_cfg_subsys *c, const char *hostnqn)
{
	int i;

	for (i = 0; i < c->nr_allowed_hosts; i++)
		if (strcmp(c->allowed_hosts[i], hostnqn) == 0)
			return true;
	return false;
}

static bool cfg_has_host(const struct nvmf_cfg *cfg, const char *nqn)
{
	int i;

	for (i = 0; i < cfg->nr_hosts; i++)
		if (strcmp(cfg->hosts[i], nqn) == 0)
			return true;
	for (i = 0; i < cfg->nr_subsys; i++)
		if (cfg_allows(&cfg->subsys[i], nqn))
			return true;
	return false;
}

static const struct nvmf_cfg_ns *cfg_find_ns(const struct nvmf_cfg_subsys *c,
					     uint32_t nsid)
{
	int i;

	for (i = 0; i < c->nr_ns; i++)
		if (c->ns[i].nsid == nsid)
			return &c->ns[i];
	return NULL;
}

/* What a port listens with; changing any of it means listening anew. */
static bool port_addr_changed(const struct nvmet_port *p,
			      const struct nvmf_cfg_port *c)
{
	return p->cfg.trtype != c->trtype || p->cfg.adrfam != c->adrfam ||
	       strcmp(p->cfg.traddr, c->traddr) ||
	       strcmp(p->cfg.trsvcid, c->trsvcid) ||
	       p->cfg.inline_data_size != c->inline_data_size ||
	       p->cfg.max_queue_size != c->max_queue_size;
}

/* What a namespace is opened with; changing any of it means reopening. */
static bool ns_identity_changed(const struct nvmet_ns *ns,
				const struct nvmf_cfg_ns *c)
{
	const char *a = ns->cfg.path ? ns->cfg.path : "";
	const char *b = c->path ? c->path : "";

	return strcmp(a, b) || ns->cfg.buffered_io != c->buffered_io ||
	       ns->cfg.has_uuid != c->has_uuid ||
	       (c->has_uuid && memcmp(ns->cfg.uuid, c->uuid, 16)) ||
	       ns->cfg.has_nguid != c->has_nguid ||
	       (c->has_nguid && memcmp(ns->cfg.nguid, c->nguid, 16));
}

static void ns_remove(struct nvmet_reload *r, struct nvmet_ns *ns,
		      const char *why)
{
	nvmf_info("reload: %s: namespace %u removed (%s)", ns->subsys->nqn,
		  ns->nsid, why);
	nvmet_ns_unlink(ns);
	r->changes++;
	if (drain_add(r, ns, true))
		failed(r, "%s: namespace %u: out of memory; left allocated",
		       ns->subsys->nqn, ns->nsid);
}

/* Add it as the file describes it; enable it if the file says so. */
static void ns_add(struct nvmet_reload *r, struct nvmet_subsys *s,
		   const struct nvmf_cfg_ns *c)
{
	struct nvmet_ns *ns;
	char err[512];
	int ret;

	ret = nvmet_ns_add(s, c->nsid, c->where, &ns);
	if (ret) {
		failed(r, "%s.nsid: %u: %s", c->where, c->nsid, strerror(-ret));
		return;
	}
	r->changes++;
	free(ns->cfg.path);
	ns->cfg = *c;
	ns->cfg.path = c->path ? strdup(c->path) : NULL;
	if (c->path && !ns->cfg.path) {
		failed(r, "%s: out of memory", c->where);
		return;
	}
	nvmf_info("reload: %s: namespace %u added (%s)", s->nqn, c->nsid,
		  c->path ? c->path : "no device path");
	if (c->enable && nvmet_ns_enable(ns, err, sizeof(err)))
		failed(r, "%s: cannot enable: %s", c->where, err);
}

static void ns_update(struct nvmet_reload *r, struct nvmet_ns *ns,
		      const struct nvmf_cfg_ns *c)
{
	char err[512];

	/* its place in the file, for the messages */
	memcpy(ns->cfg.where, c->where, sizeof(ns->cfg.where));
	if (ns->enabled && !c->enable) {
		nvmet_ns_disable(ns);
		r->changes++;
		if (drain_add(r, ns, false))
			failed(r, "%s: out of memory; device left open",
			       c->where);
	} else if (!ns->enabled && c->enable) {
		r->changes++;
		if (nvmet_ns_enable(ns, err, sizeof(err)))
			failed(r, "%s: cannot enable: %s", c->where, err);
		else
			nvmf_info("reload: %s: namespace %u enabled",
				  ns->subsys->nqn, ns->nsid);
	}
}

static void subsys_remove(struct nvmet_reload *r, struct nvmet_subsys *s)
{
	char nqn[NVME_NQN_FIELD];
	struct nvmet_host_link *hl;
	struct nvmet_ns *ns;
	int ret;

	snprintf(nqn, sizeof(nqn), "%s", s->nqn);
	while ((ns = TAILQ_FIRST(&s->nss)))
		ns_remove(r, ns, "its subsystem is not in the file");
	while ((hl = TAILQ_FIRST(&s->hosts)))
		nvmet_disallow_host(s, hl);
	ret = nvmet_subsys_del(r->tgt, s);
	if (ret)
		failed(r, "subsystem %s: cannot remove: %s", nqn,
		       strerror(-ret));
	else
		nvmf_info("reload: subsystem %s removed", nqn);
	r->changes++;
}

/* Allowed hosts as the file has them; allow_any_host switched between. */
static void subsys_hosts(struct nvmet_reload *r, struct nvmet_subsys *s,
			 const struct nvmf_cfg_subsys *c)
{
	struct nvmet_host_link *hl, *next;
	struct nvmet_host *h;
	int i, ret;

	for (hl = TAILQ_FIRST(&s->hosts); hl; hl = next) {
		next = TAILQ_NEXT(hl, link);
		if (!c->allow_any_host && cfg_allows(c, hl->host->nqn))
			continue;
		nvmf_info("reload: %s: host %s no longer allowed", s->nqn,
			  hl->host->nqn);
		nvmet_disallow_host(s, hl);
		r->changes++;
	}
	if (s->allow_any_host != c->allow_any_host) {
		nvmf_info("reload: %s: allow_any_host %d", s->nqn,
			  c->allow_any_host);
		s->allow_any_host = c->allow_any_host;
		nvmet_disc_changed(r->tgt);
		r->changes++;
	}
	if (c->allow_any_host)
		return;
	for (i = 0; i < c->nr_allowed_hosts; i++) {
		h = nvmet_find_host(r->tgt, c->allowed_hosts[i]);
		ret = h ? 0 : nvmet_host_add(r->tgt, c->allowed_hosts[i], &h);
		if (!ret)
			ret = nvmet_allow_host(s, h->nqn, h);
		if (ret == -EEXIST)
			continue;
		if (ret) {
			failed(r, "%s.allowed_hosts[%d]: '%s': %s", c->where, i,
			       c->allowed_hosts[i], strerror(-ret));
			continue;
		}
		nvmf_info("reload: %s: host %s allowed", s->nqn, h->nqn);
		r->changes++;
	}
}

/* Serial and model are fixed once a host identified the subsystem. */
static void subsys_attrs(struct nvmet_reload *r, struct nvmet_subsys *s,
			 const struct nvmf_cfg_subsys *c)
{
	bool ident = (c->serial[0] && strcmp(c->serial, s->serial)) ||
		     (c->model[0] && strcmp(c->model, s->model)) ||
		     c->version != s->version;

	if (ident && atomic_load(&s->discovered)) {
		failed(r,
		       "%s: serial, model and version kept: a host identified the subsystem already",
		       c->where);
	} else if (ident) {
		if (c->serial[0])
			snprintf(s->serial, sizeof(s->serial), "%s", c->serial);
		if (c->model[0])
			snprintf(s->model, sizeof(s->model), "%s", c->model);
		s->version = c->version;
		r->changes++;
	}
	if (s->cntlid_min != c->cntlid_min || s->cntlid_max != c->cntlid_max) {
		/* as the kernel: for controllers created from now on */
		s->cntlid_min = c->cntlid_min;
		s->cntlid_max = c->cntlid_max;
		r->changes++;
	}
}

static void subsys_apply(struct nvmet_reload *r,
			 const struct nvmf_cfg_subsys *c)
{
	struct nvmet_subsys *s = nvmet_find_subsys(r->tgt, c->nqn);
	const struct nvmf_cfg_ns *cn;
	struct nvmet_ns *ns, *next;
	int i, ret;

	if (!s) {
		ret = nvmet_subsys_add(r->tgt, c->nqn, &s);
		if (ret) {
			failed(r, "%s.nqn: '%s': %s", c->where, c->nqn,
			       strerror(-ret));
			return;
		}
		nvmf_info("reload: subsystem %s added", c->nqn);
		r->changes++;
	}
	subsys_attrs(r, s, c);
	subsys_hosts(r, s, c);
	for (ns = TAILQ_FIRST(&s->nss); ns; ns = next) {
		next = TAILQ_NEXT(ns, link);
		cn = cfg_find_ns(c, ns->nsid);
		if (!cn)
			ns_remove(r, ns, "not in the file");
		else if (ns_identity_changed(ns, cn))
			ns_remove(r, ns, "its device or identifiers changed");
	}
	for (i = 0; i < c->nr_ns; i++) {
		ns = nvmet_find_ns_any(s, c->ns[i].nsid);
		if (ns)
			ns_update(r, ns, &c->ns[i]);
		else
			ns_add(r, s, &c->ns[i]);
	}
}

/* Links the file drops, or all of a port it drops or re-addresses. */
static void ports_unlink(struct nvmet_reload *r, const struct nvmf_cfg *cfg)
{
	struct nvmet_subsys_link *l, *lnext;
	const struct nvmf_cfg_port *c;
	struct nvmet_port *p, *next;
	bool all;
	int ret;

	for (p = TAILQ_FIRST(&r->tgt->ports); p; p = next) {
		next = TAILQ_NEXT(p, link);
		c = cfg_find_port(cfg, p->cfg.portid);
		all = !c || port_addr_changed(p, c);
		for (l = TAILQ_FIRST(&p->subsystems); l; l = lnext) {
			lnext = TAILQ_NEXT(l, link);
			if (!all && cfg_port_links(c, l->subsys->nqn))
				continue;
			nvmet_port_unlink(p, l);
			r->changes++;
		}
		if (c)
			continue;
		ret = nvmet_port_del(r->tgt, p);
		if (ret)
			failed(r, "port %u: not in the file, but kept: %s",
			       p->cfg.portid,
			       ret == -ENOTEMPTY ? "it has referrals" :
						   strerror(-ret));
		r->changes += !ret;
	}
}

static void port_apply(struct nvmet_reload *r, const struct nvmf_cfg_port *c)
{
	struct nvmet_port *p = nvmet_find_port(r->tgt, c->portid);
	struct nvmet_subsys *s;
	int i, ret;

	if (!p) {
		ret = nvmet_port_add(r->tgt, c->portid, &p);
		if (ret) {
			failed(r, "%s.portid: %u: %s", c->where, c->portid,
			       strerror(-ret));
			return;
		}
		nvmf_info("reload: port %u added", c->portid);
		r->changes++;
	}
	if (port_addr_changed(p, c)) {
		/* unlinked above: the port is disabled */
		p->cfg.trtype = c->trtype;
		p->cfg.adrfam = c->adrfam;
		memcpy(p->cfg.traddr, c->traddr, sizeof(p->cfg.traddr));
		memcpy(p->cfg.trsvcid, c->trsvcid, sizeof(p->cfg.trsvcid));
		p->cfg.inline_data_size = c->inline_data_size;
		p->cfg.max_queue_size = c->max_queue_size;
		p->param_inline_data_size = (int)c->inline_data_size;
		p->param_max_queue_size = (int)c->max_queue_size;
		r->changes++;
	}
	memcpy(p->cfg.where, c->where, sizeof(p->cfg.where));
	for (i = 0; i < c->nr_subsystems; i++) {
		s = nvmet_find_subsys(r->tgt, c->subsystems[i]);
		ret = s ? nvmet_port_link(p, s->nqn, s) : -ENOENT;
		if (ret == -EEXIST)
			continue;
		if (ret) {
			failed(r, "%s.subsystems[%d]: '%s': %s", c->where, i,
			       c->subsystems[i], strerror(-ret));
			continue;
		}
		nvmf_info("reload: port %u: subsystem %s linked", c->portid,
			  s->nqn);
		r->changes++;
	}
}

int nvmet_reload_apply(struct nvmet_reload *r, const struct nvmf_cfg *cfg,
		       int *changes)
{
	struct nvmet_tgt *tgt = r->tgt;
	struct nvmet_subsys *s, *snext;
	struct nvmet_host *h, *hnext;
	bool restoring;
	int i, ret;

	r->changes = 0;
	r->errors = 0;
	nvmet_model_lock(tgt);
	/* a port that cannot listen yet keeps its links and is repaired */
	restoring = tgt->restoring;
	tgt->restoring = true;
	ports_unlink(r, cfg);
	for (s = TAILQ_FIRST(&tgt->subsystems); s; s = snext) {
		snext = TAILQ_NEXT(s, link);
		if (!nvmf_cfg_find_subsys(cfg, s->nqn))
			subsys_remove(r, s);
	}
	for (i = 0; i < cfg->nr_hosts; i++) {
		if (nvmet_find_host(tgt, cfg->hosts[i]))
			continue;
		ret = nvmet_host_add(tgt, cfg->hosts[i], NULL);
		if (ret)
			failed(r, "hosts[%d].nqn: '%s': %s", i, cfg->hosts[i],
			       strerror(-ret));
		r->changes += !ret;
	}
	for (i = 0; i < cfg->nr_subsys; i++)
		subsys_apply(r, &cfg->subsys[i]);
	for (i = 0; i < cfg->nr_ports; i++)
		port_apply(r, &cfg->ports[i]);
	for (h = TAILQ_FIRST(&tgt->hosts); h; h = hnext) {
		hnext = TAILQ_NEXT(h, link);
		if (!h->nr_links && !cfg_has_host(cfg, h->nqn)) {
			nvmet_host_del(tgt, h);
			r->changes++;
		}
	}
	tgt->restoring = restoring;
	nvmet_model_unlock(tgt);
	if (changes)
		*changes = r->changes;
	return r->errors;
}

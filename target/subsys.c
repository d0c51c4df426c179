// SPDX-License-Identifier: GPL-2.0
/*
 * The target's runtime model, built from the loaded configuration:
 * subsystems (index 0 is the discovery subsystem), namespaces and ports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nvmet.h"

/* FNV-1a: a stable hash for identifiers the configuration leaves out. */
static uint64_t fnv1a(const void *data, size_t len, uint64_t h)
{
	const uint8_t *p = data;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/*
 * A namespace UUID that stays the same across restarts (the kernel host
 * treats a changed identifier as a different namespace): derived from the
 * subsystem NQN and nsid, shaped as an RFC 4122 version 4 UUID.
 */
static void derive_uuid(const char *nqn, uint32_t nsid, uint8_t uuid[16])
{
	uint64_t a = fnv1a(nqn, strlen(nqn), 0xcbf29ce484222325ull);
	uint64_t b;

	a = fnv1a(&nsid, sizeof(nsid), a);
	b = fnv1a(&a, sizeof(a), 0x84222325cbf29ce4ull);
	memcpy(uuid, &a, 8);
	memcpy(uuid + 8, &b, 8);
	uuid[6] = (uuid[6] & 0x0f) | 0x40;
	uuid[8] = (uuid[8] & 0x3f) | 0x80;
}

static void init_subsys(struct nvmet_subsys *s, const char *nqn)
{
	uint64_t h = fnv1a(nqn, strlen(nqn), 0xcbf29ce484222325ull);

	snprintf(s->nqn, sizeof(s->nqn), "%s", nqn);
	/* like the kernel: 16 hex digits when not configured, but stable */
	snprintf(s->serial, sizeof(s->serial), "%016llx",
		 (unsigned long long)h);
	s->version = NVMF_DEFAULT_VERSION;
	pthread_mutex_init(&s->lock, NULL);
	TAILQ_INIT(&s->ctrls);
}

static int build_ns(struct nvmet_subsys *s, char *err, size_t errlen)
{
	const struct nvmf_cfg_subsys *c = s->cfg;
	int i, ret;

	s->ns = calloc(c->nr_ns ? c->nr_ns : 1, sizeof(*s->ns));
	if (!s->ns)
		return -ENOMEM;
	for (i = 0; i < c->nr_ns; i++) {
		struct nvmet_ns *ns = &s->ns[i];

		ns->cfg = &c->ns[i];
		ns->subsys = s;
		ns->nsid = c->ns[i].nsid;
		ns->fd = -1;
		s->nr_ns = i + 1;
		if (c->ns[i].has_uuid)
			memcpy(ns->uuid, c->ns[i].uuid, 16);
		else
			derive_uuid(s->nqn, ns->nsid, ns->uuid);
		if (c->ns[i].has_nguid) {
			static const uint8_t zero[16];

			memcpy(ns->nguid, c->ns[i].nguid, 16);
			ns->has_nguid = memcmp(ns->nguid, zero, 16) != 0;
		}
		if (!c->ns[i].enable)
			continue;
		ret = nvmet_ns_open(ns, err, errlen);
		if (ret)
			return ret;
		ns->enabled = true;
	}
	return 0;
}

static int build_subsystems(struct nvmet_tgt *tgt, char *err, size_t errlen)
{
	const struct nvmf_cfg *cfg = tgt->cfg;
	int i, ret;

	tgt->subsys = calloc(cfg->nr_subsys + 1, sizeof(*tgt->subsys));
	if (!tgt->subsys)
		return -ENOMEM;
	init_subsys(&tgt->subsys[0], NVME_DISC_NQN);
	tgt->subsys[0].discovery = true;
	tgt->nr_subsys = 1;
	for (i = 0; i < cfg->nr_subsys; i++) {
		struct nvmet_subsys *s = &tgt->subsys[i + 1];

		s->cfg = &cfg->subsys[i];
		init_subsys(s, s->cfg->nqn);
		s->version = s->cfg->version;
		if (s->cfg->serial[0])
			snprintf(s->serial, sizeof(s->serial), "%s",
				 s->cfg->serial);
		tgt->nr_subsys = i + 2;
		ret = build_ns(s, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static int build_ports(struct nvmet_tgt *tgt)
{
	int i;

	tgt->ports = calloc(tgt->cfg->nr_ports ? tgt->cfg->nr_ports : 1,
			    sizeof(*tgt->ports));
	if (!tgt->ports)
		return -ENOMEM;
	for (i = 0; i < tgt->cfg->nr_ports; i++) {
		struct nvmet_port *p = &tgt->ports[i];

		p->tgt = tgt;
		p->cfg = &tgt->cfg->ports[i];
		p->state = NVMET_PORT_DISABLED;
		p->state_since_ms = nvmf_now_ms();
		snprintf(p->log_prefix, sizeof(p->log_prefix), "port %u",
			 p->cfg->portid);
	}
	tgt->nr_ports = tgt->cfg->nr_ports;
	return 0;
}

int nvmet_tgt_build(struct nvmet_tgt *tgt, struct nvmf_cfg *cfg, char *err,
		    size_t errlen)
{
	int ret;

	tgt->cfg = cfg;
	atomic_store(&tgt->genctr, 1);
	ret = build_subsystems(tgt, err, errlen);
	if (!ret)
		ret = build_ports(tgt);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}

void nvmet_tgt_release(struct nvmet_tgt *tgt)
{
	int i, j;

	for (i = 0; i < tgt->nr_subsys; i++) {
		for (j = 0; j < tgt->subsys[i].nr_ns; j++)
			nvmet_ns_close(&tgt->subsys[i].ns[j]);
		free(tgt->subsys[i].ns);
		pthread_mutex_destroy(&tgt->subsys[i].lock);
	}
	free(tgt->subsys);
	free(tgt->ports);
	tgt->subsys = NULL;
	tgt->ports = NULL;
}

struct nvmet_subsys *nvmet_find_subsys(struct nvmet_tgt *tgt, const char *nqn)
{
	int i;

	for (i = 0; i < tgt->nr_subsys; i++)
		if (strcmp(tgt->subsys[i].nqn, nqn) == 0)
			return &tgt->subsys[i];
	return NULL;
}

bool nvmet_host_allowed(const struct nvmet_subsys *subsys, const char *hostnqn)
{
	int i;

	if (subsys->discovery || subsys->cfg->allow_any_host)
		return true;
	for (i = 0; i < subsys->cfg->nr_allowed_hosts; i++)
		if (strcmp(subsys->cfg->allowed_hosts[i], hostnqn) == 0)
			return true;
	return false;
}

bool nvmet_port_has_subsys(const struct nvmet_port *port,
			   const struct nvmet_subsys *subsys)
{
	int i;

	if (subsys->discovery)
		return true;
	for (i = 0; i < port->cfg->nr_subsystems; i++)
		if (strcmp(port->cfg->subsystems[i], subsys->nqn) == 0)
			return true;
	return false;
}

struct nvmet_ns *nvmet_find_ns(struct nvmet_subsys *subsys, uint32_t nsid)
{
	int i;

	for (i = 0; i < subsys->nr_ns; i++)
		if (subsys->ns[i].nsid == nsid && subsys->ns[i].enabled)
			return &subsys->ns[i];
	return NULL;
}

struct nvmet_worker *nvmet_pick_worker(struct nvmet_tgt *tgt)
{
	unsigned int n = atomic_fetch_add(&tgt->next_worker, 1);

	return &tgt->workers[n % (unsigned int)tgt->nr_workers];
}

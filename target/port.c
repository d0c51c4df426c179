// SPDX-License-Identifier: GPL-2.0
/*
 * Port states.  A port is live while its listener is bound, repairing
 * while the listener is lost (device removal, address change, bind failure)
 * and being retried, and disabled when it has no listener by design.  Every
 * change goes through nvmet_port_set_state(), checked against the table
 * and logged with its reason.  With a run directory, each port's state is
 * also readable in DIR/ports/ID/: state, state_since (UTC, ISO 8601),
 * repair_attempts and last_error, each file replaced atomically.
 */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "names.h"
#include "nvmet.h"

static const char *const state_names[] = {
	[NVMET_PORT_DISABLED] = "disabled",
	[NVMET_PORT_LIVE] = "live",
	[NVMET_PORT_REPAIRING] = "repairing",
};

/* allowed[from][to] */
static const bool allowed[3][3] = {
	[NVMET_PORT_DISABLED] = { [NVMET_PORT_LIVE] = true,
				  [NVMET_PORT_REPAIRING] = true },
	[NVMET_PORT_LIVE] = { [NVMET_PORT_DISABLED] = true,
			      [NVMET_PORT_REPAIRING] = true },
	[NVMET_PORT_REPAIRING] = { [NVMET_PORT_DISABLED] = true,
				   [NVMET_PORT_LIVE] = true },
};

const char *nvmet_port_state_name(enum nvmet_port_state state)
{
	if ((unsigned int)state >= ARRAY_SIZE(state_names))
		return "?";
	return state_names[state];
}

void nvmet_port_set_state(struct nvmet_port *port, enum nvmet_port_state state,
			  const char *why)
{
	enum nvmet_port_state old = port->state;

	if (old == state)
		return;
	if (!allowed[old][state]) {
		nvmf_obj_err(port->log_prefix,
			     "refused state change %s -> %s (%s)",
			     nvmet_port_state_name(old),
			     nvmet_port_state_name(state), why);
		return;
	}
	pthread_mutex_lock(&port->tgt->state_lock);
	port->state = state;
	port->state_since_ms = nvmf_now_ms();
	clock_gettime(CLOCK_REALTIME, &port->state_since);
	if (state == NVMET_PORT_LIVE)
		port->repair_attempts = 0;
	pthread_mutex_unlock(&port->tgt->state_lock);
	nvmf_obj_info(port->log_prefix, "%s -> %s: %s",
		      nvmet_port_state_name(old), nvmet_port_state_name(state),
		      why);
	nvmet_port_publish(port);
}

int nvmet_port_sockaddr(const struct nvmf_cfg_port *c,
			struct sockaddr_storage *ss)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res;
	int ret;

	hints.ai_family = c->adrfam == NVMF_ADDR_FAMILY_IP6 ? AF_INET6 :
							      AF_INET;
	ret = getaddrinfo(c->traddr, c->trsvcid, &hints, &res);
	if (ret)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/*
 * Start listening.  On failure, with repair the port goes repairing (it
 * is retried); without, it stays as it was and the error is returned.
 */
int nvmet_port_enable(struct nvmet_port *port, bool repair)
{
	const struct nvmet_transport_ops *t =
		nvmet_transport_find(port->tgt, port->cfg.trtype);
	char why[400];
	int ret;

	if (!t)
		ret = -EINVAL; /* no transport of that type: the kernel's error */
	else
		ret = t->listen(port);
	if (!ret) {
		snprintf(why, sizeof(why), "listening on %s:%s",
			 port->cfg.traddr, port->cfg.trsvcid);
		nvmet_port_set_state(port, NVMET_PORT_LIVE, why);
		nvmet_disc_changed(port->tgt);
		return 0;
	}
	if (!t)
		snprintf(why, sizeof(why),
			 "cannot listen on %s:%s: no transport for trtype %s",
			 port->cfg.traddr, port->cfg.trsvcid,
			 nvmf_trtype_name(port->cfg.trtype) ?: "(unknown)");
	else
		snprintf(why, sizeof(why), "cannot listen on %s:%s: %s",
			 port->cfg.traddr, port->cfg.trsvcid, strerror(-ret));
	nvmet_port_set_error(port, why);
	if (!repair) {
		nvmf_obj_warn(port->log_prefix, "%s", why);
		nvmet_port_publish(port);
	} else if (port->state == NVMET_PORT_REPAIRING) {
		pthread_mutex_lock(&port->tgt->state_lock);
		port->repair_attempts++;
		pthread_mutex_unlock(&port->tgt->state_lock);
		nvmf_obj_debug(port->log_prefix, "%s", why);
		nvmet_port_publish(port);
	} else {
		nvmet_port_set_state(port, NVMET_PORT_REPAIRING, why);
	}
	return ret;
}

void nvmet_port_disable(struct nvmet_port *port, const char *why)
{
	const struct nvmet_transport_ops *t =
		nvmet_transport_find(port->tgt, port->cfg.trtype);

	if (t)
		t->stop_listen(port);
	nvmet_port_set_state(port, NVMET_PORT_DISABLED, why);
}

void nvmet_port_set_error(struct nvmet_port *port, const char *error)
{
	pthread_mutex_lock(&port->tgt->state_lock);
	snprintf(port->last_error, sizeof(port->last_error), "%s", error);
	pthread_mutex_unlock(&port->tgt->state_lock);
}

static int mkdirs(const char *path)
{
	char buf[512], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Replace DIR/NAME with "value\n" (temp file + rename: never half-written). */
static int write_attr(const char *dir, const char *name, const char *value)
{
	char path[600], tmp[610];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", value);
	if (fclose(f))
		return -errno;
	return rename(tmp, path) ? -errno : 0;
}

/* state_since as UTC ISO 8601 with milliseconds: 2026-11-21T08:07:15.355Z */
void nvmet_port_state_since(const struct nvmet_port *port, char *buf,
			    size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t len;

	pthread_mutex_lock(&port->tgt->state_lock);
	ts = port->state_since;
	pthread_mutex_unlock(&port->tgt->state_lock);
	gmtime_r(&ts.tv_sec, &tm);
	len = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + len, size - len, ".%03ldZ", ts.tv_nsec / 1000000);
}

void nvmet_port_publish(struct nvmet_port *port)
{
	const char *run = port->tgt->run_dir;
	char dir[512], since[64], n[16];
	int ret;

	if (!run)
		return;
	snprintf(dir, sizeof(dir), "%s/ports/%u", run, port->cfg.portid);
	nvmet_port_state_since(port, since, sizeof(since));
	snprintf(n, sizeof(n), "%u", port->repair_attempts);
	ret = mkdirs(dir);
	if (!ret)
		ret = write_attr(dir, "state",
				 nvmet_port_state_name(port->state));
	if (!ret)
		ret = write_attr(dir, "state_since", since);
	if (!ret)
		ret = write_attr(dir, "repair_attempts", n);
	if (!ret)
		ret = write_attr(dir, "last_error", port->last_error);
	if (ret)
		nvmf_obj_warn(port->log_prefix, "cannot write %s: %s", dir,
			      strerror(-ret));
}

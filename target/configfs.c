// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt's configfs-compatible tree (--configfs DIR), a FUSE file system
 * with the kernel nvmet layout, value formats and rules
 * (../shared/REFERENCE.md section 9), so that nvmetcli and scripts written
 * for /sys/kernel/config/nvmet work on nvmf-tgt unchanged:
 *
 *   subsystems/NQN/{attr_*, namespaces/NSID/{device_*,enable,...},
 *                   allowed_hosts/HOST -> ../../../hosts/HOST}
 *   ports/ID/{addr_*, param_*, subsystems/NQN -> ../../../subsystems/NQN,
 *             referrals/NAME/, ana_groups/ID/ana_state,
 *             state, state_since, repair_attempts, last_error}
 *   hosts/NQN/   discovery_nqn
 *
 * The port files state, state_since, repair_attempts and last_error are
 * ours (read-only): live, repairing or disabled, and why.
 *
 * Threads: FUSE requests are served one at a time on the tree's thread.
 * Reads look at the model under its read lock.  Changes run on the main
 * thread (the only writer of the model, which also owns the transport),
 * posted there while the tree's thread waits; what may sleep - draining a
 * disabled namespace's requests - then runs back on the tree's thread.
 */
#define FUSE_USE_VERSION 35
#include <ctype.h>
#include <errno.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "configfs.h"
#include "daemon.h"
#include "log.h"
#include "names.h"
#include "nqn.h"
#include "nvmet.h"

#define CFS_FILE_SIZE 4096
#define CFS_MAX_QID   NVMET_MAX_IO_QUEUES

enum cfs_kind {
	K_NONE,
	K_ROOT,
	K_SUBSYSTEMS,
	K_SUBSYS,
	K_NAMESPACES,
	K_NS,
	K_ALLOWED_HOSTS,
	K_HOST_LINK,
	K_PORTS,
	K_PORT,
	K_PORT_SUBSYSTEMS,
	K_SUBSYS_LINK,
	K_REFERRALS,
	K_REFERRAL,
	K_ANA_GROUPS,
	K_ANA_GROUP,
	K_HOSTS,
	K_HOST,
	K_ATTR,
};

struct cfs_attr;

/* Where a path leads. */
struct cfs_node {
	enum cfs_kind kind;
	enum cfs_kind dir; /* K_ATTR: the kind of its directory */
	struct nvmet_tgt *tgt;
	struct nvmet_subsys *s;
	struct nvmet_ns *ns;
	struct nvmet_port *port;
	struct nvmet_host *host;
	struct nvmet_host_link *hl;
	struct nvmet_subsys_link *sl;
	struct nvmet_referral *ref;
	unsigned int grp;
	const struct cfs_attr *attr;
	/* set by a store: a namespace to drain on the tree's thread */
	struct nvmet_ns *drain;
};

struct cfs_attr {
	const char *name;
	mode_t mode;
	/* Return: the length written to buf (with its newline) */
	int (*show)(struct cfs_node *n, char *buf, size_t size);
	/* val has no trailing newline.  Return: 0 or a negative errno. */
	int (*store)(struct cfs_node *n, const char *val);
};

struct nvmet_configfs {
	struct nvmet_tgt *tgt;
	char mountpoint[PATH_MAX];
	struct fuse *fuse;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	bool closed; /* no more changes: the target is stopping */
	time_t mounted;
	uid_t uid; /* the tree's owner: nvmf-tgt's user (root) */
	gid_t gid;
	void (*on_change)(void *arg); /* main thread, after a change */
	void *on_change_arg;
};

/* ---- value parsing, as the kernel's helpers -------------------------------- */

/* kstrtobool: 1/0, y/n, on/off (first characters). */
static int parse_bool(const char *v, bool *out)
{
	switch (tolower((unsigned char)v[0])) {
	case '1':
	case 'y':
		*out = true;
		return 0;
	case '0':
	case 'n':
		*out = false;
		return 0;
	case 'o':
		if (tolower((unsigned char)v[1]) == 'n') {
			*out = true;
			return 0;
		}
		if (tolower((unsigned char)v[1]) == 'f') {
			*out = false;
			return 0;
		}
		break;
	}
	return -EINVAL;
}

/* kstrtou32/kstrtou16 with base 0: the whole string, in range. */
static int parse_ulong(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (!v[0] || v[0] == '-' || isspace((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	*out = strtoul(v, &end, 0);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

static int parse_int(const char *v, int *out)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(v, &end, 0);
	if (!v[0] || errno || *end || l < INT32_MIN || l > INT32_MAX)
		return -EINVAL;
	*out = (int)l;
	return 0;
}

/* 1..max printable ASCII characters (NVMe 1.4 section 1.5). */
static int check_ascii(const char *v, size_t max)
{
	size_t i, len = strlen(v);

	if (!len || len > max)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return -EINVAL;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 16 bytes as hex pairs, '-' or ':' allowed after any pair (nguid). */
static int parse_hex16(const char *v, uint8_t out[16])
{
	int i, hi, lo;

	for (i = 0; i < 16; i++) {
		if (!v[0] || !v[1])
			return -EINVAL;
		hi = hexval(v[0]);
		lo = hexval(v[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
		v += 2;
		if (*v == '-' || *v == ':')
			v++;
	}
	return 0;
}

static int show_uuid(const uint8_t u[16], char *buf, size_t size)
{
	char str[NVMF_UUID_STR_LEN];

	nvmf_uuid_format(u, str);
	return snprintf(buf, size, "%s\n", str);
}

static const char *const treqs[] = { "not specified", "required",
				     "not required", NULL };
static const char *const ana_states[] = { "optimized",	  "non-optimized",
					  "inaccessible", "persistent-loss",
					  "change",	  NULL };

/* configfs prints an unknown value as an empty line */
static int name_show(const char *name, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\n", name ? name : "");
}

static int choice(const char *const *names, const char *v)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return -1;
}

/* ---- subsystem attributes ---------------------------------------------------- */

static int subsys_identity_fixed(struct cfs_node *n)
{
	if (!atomic_load(&n->s->discovered))
		return 0;
	nvmf_warn("%s: a host identified it already: identity is fixed",
		  n->s->nqn);
	return -EINVAL;
}

/* Serial, model, firmware: printable ASCII, fixed once identified. */
static int store_ident(struct cfs_node *n, const char *v, char *dst,
		       size_t size)
{
	int ret = subsys_identity_fixed(n);

	if (!ret)
		ret = check_ascii(v, size - 1);
	if (!ret)
		snprintf(dst, size, "%s", v);
	return ret;
}

static int show_allow_any(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%d\n", n->s->allow_any_host);
}

static int store_allow_any(struct cfs_node *n, const char *v)
{
	bool b;

	if (parse_bool(v, &b))
		return -EINVAL;
	if (b && !TAILQ_EMPTY(&n->s->hosts))
		return -EINVAL; /* explicit hosts are set */
	if (n->s->allow_any_host != b) {
		n->s->allow_any_host = b;
		nvmet_disc_changed(n->tgt);
	}
	return 0;
}

static int show_version(struct cfs_node *n, char *buf, size_t size)
{
	uint32_t v = n->s->version;

	if (v & 0xff)
		return snprintf(buf, size, "%u.%u.%u\n", v >> 16,
				(v >> 8) & 0xff, v & 0xff);
	return snprintf(buf, size, "%u.%u\n", v >> 16, (v >> 8) & 0xff);
}

static int store_version(struct cfs_node *n, const char *v)
{
	int major, minor, tertiary = 0, ret = subsys_identity_fixed(n);

	if (ret)
		return ret;
	ret = sscanf(v, "%d.%d.%d", &major, &minor, &tertiary);
	if ((ret != 2 && ret != 3) || major < 0 || major > 0xffff ||
	    minor < 0 || minor > 0xff || tertiary < 0 || tertiary > 0xff)
		return -EINVAL;
	n->s->version = (uint32_t)major << 16 | (uint32_t)minor << 8 |
			(uint32_t)tertiary;
	return 0;
}

static int show_serial(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\n", n->s->serial);
}

static int store_serial(struct cfs_node *n, const char *v)
{
	return store_ident(n, v, n->s->serial, sizeof(n->s->serial));
}

static int show_model(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\n", n->s->model);
}

static int store_model(struct cfs_node *n, const char *v)
{
	return store_ident(n, v, n->s->model, sizeof(n->s->model));
}

static int show_firmware(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\n", n->s->firmware);
}

static int store_firmware(struct cfs_node *n, const char *v)
{
	return store_ident(n, v, n->s->firmware, sizeof(n->s->firmware));
}

static int show_ieee_oui(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "0x%06x\n", n->s->ieee_oui);
}

static int store_ieee_oui(struct cfs_node *n, const char *v)
{
	unsigned long val;
	int ret = subsys_identity_fixed(n);

	if (!ret)
		ret = parse_ulong(v, 0xffffff, &val);
	if (!ret)
		n->s->ieee_oui = (uint32_t)val;
	return ret;
}

static int show_cntlid_min(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%u\n", n->s->cntlid_min);
}

static int store_cntlid_min(struct cfs_node *n, const char *v)
{
	unsigned long val;

	if (parse_ulong(v, 0xffff, &val) || !val || val > n->s->cntlid_max)
		return -EINVAL;
	n->s->cntlid_min = (uint16_t)val;
	return 0;
}

static int show_cntlid_max(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%u\n", n->s->cntlid_max);
}

static int store_cntlid_max(struct cfs_node *n, const char *v)
{
	unsigned long val;

	if (parse_ulong(v, 0xffff, &val) || !val || val < n->s->cntlid_min)
		return -EINVAL;
	n->s->cntlid_max = (uint16_t)val;
	return 0;
}

static int show_qid_max(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%u\n", n->s->qid_max);
}

/* Controllers reconnect to pick up the new count, as in the kernel. */
static int store_qid_max(struct cfs_node *n, const char *v)
{
	unsigned long val;

	if (parse_ulong(v, CFS_MAX_QID, &val) || !val)
		return -EINVAL;
	n->s->qid_max = (uint16_t)val;
	nvmet_subsys_del_ctrls(n->s, NULL, "qid_max changed");
	return 0;
}

static int show_pi(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%d\n",
			n->dir == K_PORT ? n->port->pi_enable :
					   n->s->pi_enable);
}

/* Protection information is not supported: only 0 is accepted. */
static int store_pi(struct cfs_node *n, const char *v)
{
	bool b;

	(void)n;
	if (parse_bool(v, &b) || b)
		return -EINVAL;
	return 0;
}

static const struct cfs_attr subsys_attrs[] = {
	{ "attr_allow_any_host", 0644, show_allow_any, store_allow_any },
	{ "attr_cntlid_max", 0644, show_cntlid_max, store_cntlid_max },
	{ "attr_cntlid_min", 0644, show_cntlid_min, store_cntlid_min },
	{ "attr_firmware", 0644, show_firmware, store_firmware },
	{ "attr_ieee_oui", 0644, show_ieee_oui, store_ieee_oui },
	{ "attr_model", 0644, show_model, store_model },
	{ "attr_pi_enable", 0644, show_pi, store_pi },
	{ "attr_qid_max", 0644, show_qid_max, store_qid_max },
	{ "attr_serial", 0644, show_serial, store_serial },
	{ "attr_version", 0644, show_version, store_version },
	{ NULL },
};

/* ---- namespace attributes ------------------------------------------------------ */

static int show_path(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\n",
			n->ns->cfg.path ? n->ns->cfg.path : "");
}

static int store_path(struct cfs_node *n, const char *v)
{
	char *p;

	if (n->ns->enabled)
		return -EBUSY;
	if (!v[0])
		return -EINVAL;
	p = strdup(v);
	if (!p)
		return -ENOMEM;
	free(n->ns->cfg.path);
	n->ns->cfg.path = p;
	return 0;
}

static int show_ns_uuid(struct cfs_node *n, char *buf, size_t size)
{
	return show_uuid(n->ns->cfg.has_uuid ? n->ns->cfg.uuid : n->ns->uuid,
			 buf, size);
}

static int store_ns_uuid(struct cfs_node *n, const char *v)
{
	if (n->ns->enabled)
		return -EBUSY;
	if (nvmf_uuid_parse(v, n->ns->cfg.uuid))
		return -EINVAL;
	n->ns->cfg.has_uuid = true;
	return 0;
}

static int show_nguid(struct cfs_node *n, char *buf, size_t size)
{
	return show_uuid(n->ns->cfg.nguid, buf, size);
}

static int store_nguid(struct cfs_node *n, const char *v)
{
	if (n->ns->enabled)
		return -EBUSY;
	if (parse_hex16(v, n->ns->cfg.nguid))
		return -EINVAL;
	n->ns->cfg.has_nguid = true;
	return 0;
}

static int show_enable(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%d\n", n->ns->enabled);
}

static int store_enable(struct cfs_node *n, const char *v)
{
	char err[512];
	bool b;
	int ret;

	if (parse_bool(v, &b))
		return -EINVAL;
	if (!b) {
		if (n->ns->enabled)
			n->drain = n->ns;
		nvmet_ns_disable(n->ns);
		return 0;
	}
	if (n->ns->enabled)
		return 0;
	ret = nvmet_ns_enable(n->ns, err, sizeof(err));
	if (ret)
		nvmf_warn("%s: cannot enable: %s", n->ns->cfg.where, err);
	else
		nvmf_info("%s: namespace %u enabled", n->s->nqn, n->ns->nsid);
	return ret;
}

static int show_buffered(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%d\n", n->ns->cfg.buffered_io);
}

static int store_buffered(struct cfs_node *n, const char *v)
{
	bool b;

	if (parse_bool(v, &b) || n->ns->enabled)
		return -EINVAL;
	n->ns->cfg.buffered_io = b;
	return 0;
}

static int show_grpid(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%u\n", n->ns->ana_grpid);
}

static int store_grpid(struct cfs_node *n, const char *v)
{
	unsigned long val;

	if (parse_ulong(v, 0xffffffff, &val) || val < 1 ||
	    val > NVMET_MAX_ANAGRPS)
		return -EINVAL;
	n->ns->ana_grpid = (uint32_t)val;
	return 0;
}

static int show_resv(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%d\n", n->ns->resv_enable);
}

/* Reservations are not supported: only 0 is accepted. */
static int store_resv(struct cfs_node *n, const char *v)
{
	bool b;

	if (parse_bool(v, &b) || b || n->ns->enabled)
		return -EINVAL;
	return 0;
}

static int store_revalidate(struct cfs_node *n, const char *v)
{
	bool b;

	if (parse_bool(v, &b) || !b || !n->ns->enabled)
		return -EINVAL;
	if (nvmet_ns_revalidate(n->ns))
		nvmet_ns_changed(n->s, n->ns->nsid);
	return 0;
}

static const struct cfs_attr ns_attrs[] = {
	{ "ana_grpid", 0644, show_grpid, store_grpid },
	{ "buffered_io", 0644, show_buffered, store_buffered },
	{ "device_nguid", 0644, show_nguid, store_nguid },
	{ "device_path", 0644, show_path, store_path },
	{ "device_uuid", 0644, show_ns_uuid, store_ns_uuid },
	{ "enable", 0644, show_enable, store_enable },
	{ "resv_enable", 0644, show_resv, store_resv },
	{ "revalidate_size", 0200, NULL, store_revalidate },
	{ NULL },
};

/* ---- port and referral attributes ----------------------------------------------- */

/* The address of a port or a referral. */
static struct nvmf_cfg_port *node_addr(struct cfs_node *n)
{
	return n->dir == K_REFERRAL ? &n->ref->addr : &n->port->cfg;
}

/* Port attributes change only while it is disabled (EACCES otherwise). */
static int addr_locked(struct cfs_node *n)
{
	bool enabled = n->dir == K_REFERRAL ? n->ref->enabled :
					      nvmet_port_enabled(n->port);

	if (!enabled)
		return 0;
	nvmf_warn("port %u: disable it before changing its attributes",
		  n->port->cfg.portid);
	return -EACCES;
}

static int show_trtype(struct cfs_node *n, char *buf, size_t size)
{
	return name_show(nvmf_trtype_name(node_addr(n)->trtype), buf, size);
}

static int store_trtype(struct cfs_node *n, const char *v)
{
	int ret = addr_locked(n);

	return ret ? ret : nvmf_trtype_parse(v, &node_addr(n)->trtype);
}

static int show_adrfam(struct cfs_node *n, char *buf, size_t size)
{
	return name_show(nvmf_adrfam_name(node_addr(n)->adrfam), buf, size);
}

static int store_adrfam(struct cfs_node *n, const char *v)
{
	int ret = addr_locked(n);

	return ret ? ret : nvmf_adrfam_parse(v, &node_addr(n)->adrfam);
}

static int show_traddr(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\n", node_addr(n)->traddr);
}

static int store_traddr(struct cfs_node *n, const char *v)
{
	int ret = addr_locked(n);

	if (ret)
		return ret;
	if (strlen(v) >= sizeof(node_addr(n)->traddr))
		return -EINVAL;
	snprintf(node_addr(n)->traddr, sizeof(node_addr(n)->traddr), "%s", v);
	return 0;
}

static int show_trsvcid(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\n", node_addr(n)->trsvcid);
}

static int store_trsvcid(struct cfs_node *n, const char *v)
{
	int ret = addr_locked(n);

	if (ret)
		return ret;
	if (strlen(v) >= sizeof(node_addr(n)->trsvcid))
		return -EINVAL;
	snprintf(node_addr(n)->trsvcid, sizeof(node_addr(n)->trsvcid), "%s", v);
	return 0;
}

static char *node_treq(struct cfs_node *n)
{
	return n->dir == K_REFERRAL ? n->ref->treq : n->port->treq;
}

static int show_treq(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\n", node_treq(n));
}

static int store_treq(struct cfs_node *n, const char *v)
{
	int ret = addr_locked(n);

	if (ret)
		return ret;
	if (choice(treqs, v) < 0)
		return -EINVAL;
	snprintf(node_treq(n), sizeof(n->port->treq), "%s", v);
	return 0;
}

static int show_tsas(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\n", n->port->tsas);
}

static int store_tsas(struct cfs_node *n, const char *v)
{
	int ret = addr_locked(n);

	if (ret)
		return ret;
	if (strlen(v) >= sizeof(n->port->tsas))
		return -EINVAL;
	snprintf(n->port->tsas, sizeof(n->port->tsas), "%s", v);
	return 0;
}

static int show_portid(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%u\n", n->ref->addr.portid);
}

static int store_portid(struct cfs_node *n, const char *v)
{
	unsigned long val;
	int ret = addr_locked(n);

	if (!ret)
		ret = parse_ulong(v, 0xffff, &val);
	if (!ret)
		n->ref->addr.portid = (uint16_t)val;
	return ret;
}

static int show_inline(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%d\n", n->port->param_inline_data_size);
}

/* -1 is the transport's default; larger than it supports is clamped. */
static int store_inline(struct cfs_node *n, const char *v)
{
	int val, ret = addr_locked(n);

	if (!ret)
		ret = parse_int(v, &val);
	if (ret)
		return ret;
	n->port->param_inline_data_size = val;
	if (val < 0)
		val = NVMF_DEFAULT_INLINE_DATA;
	n->port->cfg.inline_data_size =
		(uint32_t)(val > NVMF_MAX_INLINE_DATA ? NVMF_MAX_INLINE_DATA :
							val);
	return 0;
}

static int show_mqs(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%d\n", n->port->param_max_queue_size);
}

static int store_mqs(struct cfs_node *n, const char *v)
{
	int val, ret = addr_locked(n);

	if (!ret)
		ret = parse_int(v, &val);
	if (ret)
		return ret;
	n->port->param_max_queue_size = val;
	if (val < 0)
		val = NVMF_DEFAULT_QUEUE_SIZE;
	if (val < NVMF_MIN_QUEUE_SIZE)
		val = NVMF_MIN_QUEUE_SIZE;
	if (val > NVMF_MAX_QUEUE_SIZE)
		val = NVMF_MAX_QUEUE_SIZE;
	n->port->cfg.max_queue_size = (uint32_t)val;
	return 0;
}

static int store_port_pi(struct cfs_node *n, const char *v)
{
	int ret = addr_locked(n);

	return ret ? ret : store_pi(n, v);
}

static int show_state(struct cfs_node *n, char *buf, size_t size)
{
	struct nvmet_port *p = n->port;
	int len;

	pthread_mutex_lock(&n->tgt->state_lock);
	len = snprintf(buf, size, "%s\n", nvmet_port_state_name(p->state));
	pthread_mutex_unlock(&n->tgt->state_lock);
	return len;
}

static int show_state_since(struct cfs_node *n, char *buf, size_t size)
{
	char since[64];

	nvmet_port_state_since(n->port, since, sizeof(since));
	return snprintf(buf, size, "%s\n", since);
}

static int show_attempts(struct cfs_node *n, char *buf, size_t size)
{
	int len;

	pthread_mutex_lock(&n->tgt->state_lock);
	len = snprintf(buf, size, "%u\n", n->port->repair_attempts);
	pthread_mutex_unlock(&n->tgt->state_lock);
	return len;
}

static int show_last_error(struct cfs_node *n, char *buf, size_t size)
{
	int len;

	pthread_mutex_lock(&n->tgt->state_lock);
	len = snprintf(buf, size, "%s\n", n->port->last_error);
	pthread_mutex_unlock(&n->tgt->state_lock);
	return len;
}

static const struct cfs_attr port_attrs[] = {
	{ "addr_adrfam", 0644, show_adrfam, store_adrfam },
	{ "addr_traddr", 0644, show_traddr, store_traddr },
	{ "addr_treq", 0644, show_treq, store_treq },
	{ "addr_trsvcid", 0644, show_trsvcid, store_trsvcid },
	{ "addr_trtype", 0644, show_trtype, store_trtype },
	{ "addr_tsas", 0644, show_tsas, store_tsas },
	{ "last_error", 0444, show_last_error, NULL },
	{ "param_inline_data_size", 0644, show_inline, store_inline },
	{ "param_max_queue_size", 0644, show_mqs, store_mqs },
	{ "param_pi_enable", 0644, show_pi, store_port_pi },
	{ "repair_attempts", 0444, show_attempts, NULL },
	{ "state", 0444, show_state, NULL },
	{ "state_since", 0444, show_state_since, NULL },
	{ NULL },
};

static int show_ref_enable(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%d\n", n->ref->enabled);
}

static int store_ref_enable(struct cfs_node *n, const char *v)
{
	bool b;

	if (parse_bool(v, &b))
		return -EINVAL;
	if (n->ref->enabled != b)
		nvmet_disc_changed(n->tgt);
	n->ref->enabled = b;
	return 0;
}

static const struct cfs_attr referral_attrs[] = {
	{ "addr_adrfam", 0644, show_adrfam, store_adrfam },
	{ "addr_portid", 0644, show_portid, store_portid },
	{ "addr_traddr", 0644, show_traddr, store_traddr },
	{ "addr_treq", 0644, show_treq, store_treq },
	{ "addr_trsvcid", 0644, show_trsvcid, store_trsvcid },
	{ "addr_trtype", 0644, show_trtype, store_trtype },
	{ "enable", 0644, show_ref_enable, store_ref_enable },
	{ NULL },
};

static int show_ana_state(struct cfs_node *n, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\n",
			ana_states[n->port->ana_state[n->grp] - 1]);
}

static int store_ana_state(struct cfs_node *n, const char *v)
{
	int i = choice(ana_states, v);

	if (i < 0)
		return -EINVAL;
	n->port->ana_state[n->grp] = (uint8_t)(i + 1);
	return 0;
}

static const struct cfs_attr ana_attrs[] = {
	{ "ana_state", 0644, show_ana_state, store_ana_state },
	{ NULL },
};

static int show_disc_nqn(struct cfs_node *n, char *buf, size_t size)
{
	(void)n;
	return snprintf(buf, size, "%s\n", NVME_DISC_NQN);
}

/* A unique discovery NQN is not supported: only the well-known one. */
static int store_disc_nqn(struct cfs_node *n, const char *v)
{
	(void)n;
	return strcmp(v, NVME_DISC_NQN) == 0 ? 0 : -EINVAL;
}

static const struct cfs_attr root_attrs[] = {
	{ "discovery_nqn", 0644, show_disc_nqn, store_disc_nqn },
	{ NULL },
};

static const struct cfs_attr no_attrs[] = { { NULL } };

static const struct cfs_attr *attrs_of(enum cfs_kind kind)
{
	switch (kind) {
	case K_ROOT:
		return root_attrs;
	case K_SUBSYS:
		return subsys_attrs;
	case K_NS:
		return ns_attrs;
	case K_PORT:
		return port_attrs;
	case K_REFERRAL:
		return referral_attrs;
	case K_ANA_GROUP:
		return ana_attrs;
	default:
		return no_attrs;
	}
}

/* ---- paths -------------------------------------------------------------------------- */

/* The fixed subdirectories (configfs default groups) of a directory. */
static const struct {
	enum cfs_kind parent;
	const char *name;
	enum cfs_kind kind;
} fixed_dirs[] = {
	{ K_ROOT, "hosts", K_HOSTS },
	{ K_ROOT, "ports", K_PORTS },
	{ K_ROOT, "subsystems", K_SUBSYSTEMS },
	{ K_SUBSYS, "allowed_hosts", K_ALLOWED_HOSTS },
	{ K_SUBSYS, "namespaces", K_NAMESPACES },
	{ K_PORT, "ana_groups", K_ANA_GROUPS },
	{ K_PORT, "referrals", K_REFERRALS },
	{ K_PORT, "subsystems", K_PORT_SUBSYSTEMS },
};

/* name as the decimal (or 0x) number the kernel's kstrtou* accept */
static int name_number(const char *name, unsigned long max, unsigned long *out)
{
	return parse_ulong(name, max, out);
}

/* One step down from n to its child name; n->kind K_NONE if none. */
static void step(struct cfs_node *n, const char *name)
{
	enum cfs_kind from = n->kind;
	const struct cfs_attr *a;
	unsigned long v;
	size_t i;

	n->kind = K_NONE;
	for (i = 0; i < ARRAY_SIZE(fixed_dirs); i++)
		if (fixed_dirs[i].parent == from &&
		    strcmp(fixed_dirs[i].name, name) == 0) {
			n->kind = fixed_dirs[i].kind;
			return;
		}
	for (a = attrs_of(from); a->name; a++)
		if (strcmp(a->name, name) == 0) {
			n->kind = K_ATTR;
			n->dir = from;
			n->attr = a;
			return;
		}
	switch (from) {
	case K_SUBSYSTEMS:
		n->s = nvmet_find_subsys(n->tgt, name);
		if (n->s && !n->s->discovery)
			n->kind = K_SUBSYS;
		break;
	case K_NAMESPACES:
		if (!name_number(name, 0xffffffff, &v))
			n->ns = nvmet_find_ns_any(n->s, (uint32_t)v);
		if (n->ns && n->ns->nsid == v)
			n->kind = K_NS;
		break;
	case K_ALLOWED_HOSTS:
		TAILQ_FOREACH(n->hl, &n->s->hosts, link)
			if (strcmp(n->hl->name, name) == 0) {
				n->kind = K_HOST_LINK;
				break;
			}
		break;
	case K_PORTS:
		if (!name_number(name, 0xffff, &v))
			n->port = nvmet_find_port(n->tgt, (uint16_t)v);
		if (n->port)
			n->kind = K_PORT;
		break;
	case K_PORT_SUBSYSTEMS:
		TAILQ_FOREACH(n->sl, &n->port->subsystems, link)
			if (strcmp(n->sl->name, name) == 0) {
				n->kind = K_SUBSYS_LINK;
				break;
			}
		break;
	case K_REFERRALS:
		TAILQ_FOREACH(n->ref, &n->port->referrals, link)
			if (strcmp(n->ref->name, name) == 0) {
				n->kind = K_REFERRAL;
				break;
			}
		break;
	case K_ANA_GROUPS:
		if (!name_number(name, NVMET_MAX_ANAGRPS, &v) &&
		    n->port->ana_state[v]) {
			n->grp = (unsigned int)v;
			n->kind = K_ANA_GROUP;
		}
		break;
	case K_HOSTS:
		n->host = nvmet_find_host(n->tgt, name);
		if (n->host)
			n->kind = K_HOST;
		break;
	default:
		break;
	}
}

/* Resolve a path of the tree ("/a/b").  Return: 0 or -ENOENT/-ENOTDIR. */
static int resolve(struct nvmet_tgt *tgt, const char *path, struct cfs_node *n)
{
	char buf[PATH_MAX], *save = NULL, *name;

	memset(n, 0, sizeof(*n));
	n->tgt = tgt;
	n->kind = K_ROOT;
	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	snprintf(buf, sizeof(buf), "%s", path);
	for (name = strtok_r(buf, "/", &save); name;
	     name = strtok_r(NULL, "/", &save)) {
		if (n->kind == K_ATTR || n->kind == K_HOST_LINK ||
		    n->kind == K_SUBSYS_LINK)
			return -ENOTDIR;
		step(n, name);
		if (n->kind == K_NONE)
			return -ENOENT;
	}
	return 0;
}

/* Split "/a/b/name" into the parent's node and name. */
static int resolve_parent(struct nvmet_tgt *tgt, const char *path,
			  struct cfs_node *parent, const char **name)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int ret;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return -ENOENT;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	*name = slash + 1;
	ret = resolve(tgt, dir, parent);
	if (!ret && parent->kind == K_ATTR)
		ret = -ENOTDIR;
	return ret;
}

/* resolve() from the tree's thread, under the model's read lock. */
static int resolve_rd(struct nvmet_tgt *tgt, const char *path,
		      struct cfs_node *n)
{
	int ret;

	nvmet_model_rdlock(tgt);
	ret = resolve(tgt, path, n);
	nvmet_model_unlock(tgt);
	return ret;
}

static bool is_dir(enum cfs_kind kind)
{
	return kind != K_ATTR && kind != K_HOST_LINK && kind != K_SUBSYS_LINK &&
	       kind != K_NONE;
}

/* ---- changes, run on the main thread ------------------------------------------------ */

enum cfs_op_type { OP_STORE, OP_MKDIR, OP_RMDIR, OP_SYMLINK, OP_UNLINK };

struct cfs_op {
	struct nvmet_configfs *cfs;
	enum cfs_op_type type;
	const char *path;
	const char *arg; /* the value, or the symlink's target */
	struct nvmet_ns *drain;
	bool free_ns;
	int ret;
	bool done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static int op_store(struct cfs_op *op)
{
	struct cfs_node n;
	int ret = resolve(op->cfs->tgt, op->path, &n);

	if (ret)
		return ret;
	if (n.kind != K_ATTR)
		return -EISDIR;
	if (!n.attr->store)
		return -EACCES;
	ret = n.attr->store(&n, op->arg);
	op->drain = n.drain;
	return ret;
}

static int mkdir_referral(struct cfs_node *p, const char *name)
{
	struct nvmet_referral *r;

	if (strlen(name) >= sizeof(r->name))
		return -ENAMETOOLONG;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->addr.trtype = NVMF_TRTYPE_RDMA;
	r->addr.adrfam = NVMF_ADDR_FAMILY_IP4;
	snprintf(r->treq, sizeof(r->treq), "not specified");
	TAILQ_INSERT_TAIL(&p->port->referrals, r, link);
	return 0;
}

static int op_mkdir(struct cfs_op *op)
{
	struct nvmet_tgt *tgt = op->cfs->tgt;
	char where[NVMF_CFG_WHERE_LEN];
	struct cfs_node p, n;
	struct nvmet_ns *ns;
	const char *name;
	unsigned long v;
	int ret;

	if (!resolve(tgt, op->path, &n))
		return -EEXIST;
	ret = resolve_parent(tgt, op->path, &p, &name);
	if (ret)
		return ret;
	switch (p.kind) {
	case K_SUBSYSTEMS:
		return nvmet_subsys_add(tgt, name, NULL);
	case K_NAMESPACES:
		if (name_number(name, 0xffffffff, &v))
			return -EINVAL;
		snprintf(where, sizeof(where), "namespace %lu of %.30s", v,
			 p.s->nqn);
		ret = nvmet_ns_add(p.s, (uint32_t)v, where, &ns);
		if (!ret)
			nvmf_info("%s: namespace %lu added", p.s->nqn, v);
		return ret;
	case K_PORTS:
		if (name_number(name, 0xffff, &v))
			return -EINVAL;
		ret = nvmet_port_add(tgt, (uint16_t)v, NULL);
		if (!ret)
			nvmf_info("port %lu added", v);
		return ret;
	case K_HOSTS:
		return nvmet_host_add(tgt, name, NULL);
	case K_REFERRALS:
		return mkdir_referral(&p, name);
	case K_ANA_GROUPS:
		if (name_number(name, NVMET_MAX_ANAGRPS, &v) || v <= 1)
			return -EINVAL;
		p.port->ana_state[v] = 1;
		return 0;
	default:
		return -EPERM;
	}
}

static int op_rmdir(struct cfs_op *op)
{
	struct nvmet_tgt *tgt = op->cfs->tgt;
	struct cfs_node n;
	int ret = resolve(tgt, op->path, &n);

	if (ret)
		return ret;
	switch (n.kind) {
	case K_SUBSYS:
		return nvmet_subsys_del(tgt, n.s);
	case K_NS:
		nvmf_info("%s: namespace %u removed", n.s->nqn, n.ns->nsid);
		nvmet_ns_unlink(n.ns);
		op->drain = n.ns;
		op->free_ns = true;
		return 0;
	case K_PORT:
		return nvmet_port_del(tgt, n.port);
	case K_HOST:
		return nvmet_host_del(tgt, n.host);
	case K_REFERRAL:
		TAILQ_REMOVE(&n.port->referrals, n.ref, link);
		if (n.ref->enabled)
			nvmet_disc_changed(tgt);
		free(n.ref);
		return 0;
	case K_ANA_GROUP:
		if (n.grp == 1)
			return -EPERM;
		n.port->ana_state[n.grp] = 0;
		return 0;
	case K_ATTR:
	case K_HOST_LINK:
	case K_SUBSYS_LINK:
		return -ENOTDIR;
	default:
		return -EPERM; /* a default group */
	}
}

/*
 * The tree path a symlink target names: absolute paths must lie under the
 * mount point; relative ones are taken from the link's directory.
 */
static int link_target(struct nvmet_configfs *cfs, const char *linkpath,
		       const char *target, char *out, size_t size)
{
	char buf[PATH_MAX * 2], *save = NULL, *name;
	size_t mlen = strlen(cfs->mountpoint), len = 0;
	const char *slash;

	if (target[0] == '/') {
		if (strncmp(target, cfs->mountpoint, mlen) != 0 ||
		    (target[mlen] != '/' && target[mlen] != '\0'))
			return -EPERM; /* not in this tree */
		snprintf(buf, sizeof(buf), "%s", target + mlen);
	} else {
		slash = strrchr(linkpath, '/');
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(slash - linkpath),
			 linkpath, target);
	}
	/* normalize: drop "." and "//", resolve ".." lexically */
	out[0] = '\0';
	for (name = strtok_r(buf, "/", &save); name;
	     name = strtok_r(NULL, "/", &save)) {
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			char *up = strrchr(out, '/');

			if (!up)
				return -EPERM; /* above the tree's root */
			*up = '\0';
			len = (size_t)(up - out);
			continue;
		}
		if (len + strlen(name) + 2 > size)
			return -ENAMETOOLONG;
		len += (size_t)snprintf(out + len, size - len, "/%s", name);
	}
	return 0;
}

static int op_symlink(struct cfs_op *op)
{
	struct nvmet_configfs *cfs = op->cfs;
	struct cfs_node p, n, t;
	char tpath[PATH_MAX];
	const char *name;
	int ret;

	if (!resolve(cfs->tgt, op->path, &n))
		return -EEXIST;
	ret = resolve_parent(cfs->tgt, op->path, &p, &name);
	if (ret)
		return ret;
	if (p.kind != K_PORT_SUBSYSTEMS && p.kind != K_ALLOWED_HOSTS)
		return -EPERM;
	ret = link_target(cfs, op->path, op->arg, tpath, sizeof(tpath));
	if (!ret)
		ret = resolve(cfs->tgt, tpath, &t);
	if (ret)
		return ret;
	if (p.kind == K_PORT_SUBSYSTEMS)
		return t.kind == K_SUBSYS ? nvmet_port_link(p.port, name, t.s) :
					    -EINVAL;
	return t.kind == K_HOST ? nvmet_allow_host(p.s, name, t.host) : -EINVAL;
}

static int op_unlink(struct cfs_op *op)
{
	struct cfs_node n;
	int ret = resolve(op->cfs->tgt, op->path, &n);

	if (ret)
		return ret;
	switch (n.kind) {
	case K_SUBSYS_LINK:
		nvmet_port_unlink(n.port, n.sl);
		return 0;
	case K_HOST_LINK:
		return nvmet_disallow_host(n.s, n.hl);
	case K_ATTR:
		return -EPERM;
	default:
		return -EISDIR;
	}
}

static int (*const op_fns[])(struct cfs_op *op) = {
	[OP_STORE] = op_store,	 [OP_MKDIR] = op_mkdir,
	[OP_RMDIR] = op_rmdir,	 [OP_SYMLINK] = op_symlink,
	[OP_UNLINK] = op_unlink,
};

static const char *const op_names[] = {
	[OP_STORE] = "write",	  [OP_MKDIR] = "mkdir",	  [OP_RMDIR] = "rmdir",
	[OP_SYMLINK] = "symlink", [OP_UNLINK] = "unlink",
};

/* Every change is logged with its outcome. */
static void op_log(const struct cfs_op *op)
{
	const char *arg = op->arg ? op->arg : "";
	const char *sep = op->type == OP_STORE	 ? " <- " :
			  op->type == OP_SYMLINK ? " -> " :
						   "";

	if (op->ret)
		nvmf_warn("configfs: %s %s%s%.200s: %s", op_names[op->type],
			  op->path, sep, arg, strerror(-op->ret));
	else
		nvmf_info("configfs: %s %s%s%.200s", op_names[op->type],
			  op->path, sep, arg);
}

/* Main thread. */
static void op_run(void *arg)
{
	struct cfs_op *op = arg;
	struct nvmet_configfs *cfs = op->cfs;
	bool closed;

	pthread_mutex_lock(&cfs->lock);
	closed = cfs->closed;
	pthread_mutex_unlock(&cfs->lock);
	if (closed) {
		op->ret = -ESHUTDOWN;
	} else {
		nvmet_model_lock(cfs->tgt);
		op->ret = op_fns[op->type](op);
		nvmet_model_unlock(cfs->tgt);
		op_log(op);
		if (!op->ret && cfs->on_change)
			cfs->on_change(cfs->on_change_arg);
	}
	pthread_mutex_lock(&op->lock);
	op->done = true;
	pthread_cond_signal(&op->cond);
	pthread_mutex_unlock(&op->lock);
}

/*
 * Only root (or the tree's owner, if nvmf-tgt runs as another user)
 * changes the tree, as on the kernel's configfs.  The mount's
 * default_permissions makes the kernel check the modes first; this is the
 * same rule where that option is missing.
 */
static bool cfs_may_change(void)
{
	const struct fuse_context *ctx = fuse_get_context();
	const struct nvmet_configfs *cfs = ctx->private_data;

	return ctx->uid == 0 || ctx->uid == cfs->uid;
}

/* The tree's thread: run a change on the main thread and wait for it. */
static int cfs_change(enum cfs_op_type type, const char *path, const char *arg)
{
	struct nvmet_configfs *cfs = fuse_get_context()->private_data;
	struct cfs_op op = {
		.cfs = cfs, .type = type, .path = path, .arg = arg
	};
	int ret = 0;

	if (!cfs_may_change())
		return -EACCES;
	pthread_mutex_init(&op.lock, NULL);
	pthread_cond_init(&op.cond, NULL);
	pthread_mutex_lock(&cfs->lock);
	if (cfs->closed)
		ret = -ESHUTDOWN;
	else
		ret = nvmf_loop_post(cfs->tgt->loop, op_run, &op);
	pthread_mutex_unlock(&cfs->lock);
	if (!ret) {
		pthread_mutex_lock(&op.lock);
		while (!op.done)
			pthread_cond_wait(&op.cond, &op.lock);
		pthread_mutex_unlock(&op.lock);
		ret = op.ret;
	}
	pthread_cond_destroy(&op.cond);
	pthread_mutex_destroy(&op.lock);
	if (op.drain) {
		nvmet_ns_drain(op.drain);
		if (op.free_ns)
			nvmet_ns_free(op.drain);
	}
	return ret;
}

/* ---- FUSE operations (the tree's thread) --------------------------------------------- */

static struct nvmet_configfs *cfs_self(void)
{
	return fuse_get_context()->private_data;
}

static void fill_stat(struct nvmet_configfs *cfs, const struct cfs_node *n,
		      struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_atime = st->st_mtime = st->st_ctime = cfs->mounted;
	st->st_uid = cfs->uid;
	st->st_gid = cfs->gid;
	if (n->kind == K_ATTR) {
		st->st_mode = S_IFREG | n->attr->mode;
		st->st_nlink = 1;
		st->st_size = CFS_FILE_SIZE;
	} else if (n->kind == K_HOST_LINK || n->kind == K_SUBSYS_LINK) {
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
	} else {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	}
}

static int cfs_getattr(const char *path, struct stat *st,
		       struct fuse_file_info *fi)
{
	struct nvmet_configfs *cfs = cfs_self();
	struct cfs_node n;
	int ret;

	(void)fi;
	nvmet_model_rdlock(cfs->tgt);
	ret = resolve(cfs->tgt, path, &n);
	if (!ret)
		fill_stat(cfs, &n, st);
	nvmet_model_unlock(cfs->tgt);
	return ret;
}

typedef int (*fill_fn)(void *buf, const char *name, const struct stat *st,
		       off_t off, enum fuse_fill_dir_flags flags);

/* Entries carry their type (d_type): tools skip what they do not want. */
static void add_entry(void *buf, fill_fn fill, const char *name, mode_t type)
{
	struct stat st = { .st_mode = type };

	fill(buf, name, &st, 0, 0);
}

static void list_dynamic(struct cfs_node *n, void *buf, fill_fn fill)
{
	struct nvmet_subsys_link *sl;
	struct nvmet_host_link *hl;
	struct nvmet_referral *r;
	struct nvmet_subsys *s;
	struct nvmet_port *p;
	struct nvmet_host *h;
	struct nvmet_ns *ns;
	char num[16];
	unsigned int g;

	switch (n->kind) {
	case K_SUBSYSTEMS:
		TAILQ_FOREACH(s, &n->tgt->subsystems, link)
			add_entry(buf, fill, s->nqn, S_IFDIR);
		break;
	case K_NAMESPACES:
		TAILQ_FOREACH(ns, &n->s->nss, link) {
			snprintf(num, sizeof(num), "%u", ns->nsid);
			add_entry(buf, fill, num, S_IFDIR);
		}
		break;
	case K_ALLOWED_HOSTS:
		TAILQ_FOREACH(hl, &n->s->hosts, link)
			add_entry(buf, fill, hl->name, S_IFLNK);
		break;
	case K_PORTS:
		TAILQ_FOREACH(p, &n->tgt->ports, link) {
			snprintf(num, sizeof(num), "%u", p->cfg.portid);
			add_entry(buf, fill, num, S_IFDIR);
		}
		break;
	case K_PORT_SUBSYSTEMS:
		TAILQ_FOREACH(sl, &n->port->subsystems, link)
			add_entry(buf, fill, sl->name, S_IFLNK);
		break;
	case K_REFERRALS:
		TAILQ_FOREACH(r, &n->port->referrals, link)
			add_entry(buf, fill, r->name, S_IFDIR);
		break;
	case K_ANA_GROUPS:
		for (g = 1; g <= NVMET_MAX_ANAGRPS; g++) {
			if (!n->port->ana_state[g])
				continue;
			snprintf(num, sizeof(num), "%u", g);
			add_entry(buf, fill, num, S_IFDIR);
		}
		break;
	case K_HOSTS:
		TAILQ_FOREACH(h, &n->tgt->hosts, link)
			add_entry(buf, fill, h->nqn, S_IFDIR);
		break;
	default:
		break;
	}
}

static int cfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
		       off_t off, struct fuse_file_info *fi,
		       enum fuse_readdir_flags flags)
{
	struct nvmet_configfs *cfs = cfs_self();
	const struct cfs_attr *a;
	struct cfs_node n;
	size_t i;
	int ret;

	(void)off;
	(void)fi;
	(void)flags;
	nvmet_model_rdlock(cfs->tgt);
	ret = resolve(cfs->tgt, path, &n);
	if (!ret && !is_dir(n.kind))
		ret = -ENOTDIR;
	if (ret)
		goto out_unlock;
	add_entry(buf, filler, ".", S_IFDIR);
	add_entry(buf, filler, "..", S_IFDIR);
	for (a = attrs_of(n.kind); a->name; a++)
		add_entry(buf, filler, a->name, S_IFREG);
	for (i = 0; i < ARRAY_SIZE(fixed_dirs); i++)
		if (fixed_dirs[i].parent == n.kind)
			add_entry(buf, filler, fixed_dirs[i].name, S_IFDIR);
	list_dynamic(&n, buf, filler);
out_unlock:
	nvmet_model_unlock(cfs->tgt);
	return ret;
}

static int cfs_open(const char *path, struct fuse_file_info *fi)
{
	struct nvmet_configfs *cfs = cfs_self();
	int acc = fi->flags & O_ACCMODE, ret;
	struct cfs_node n;

	ret = resolve_rd(cfs->tgt, path, &n);
	if (ret)
		return ret;
	if (n.kind != K_ATTR)
		return -EISDIR;
	if ((acc != O_WRONLY && !(n.attr->mode & 0444)) ||
	    (acc != O_RDONLY && (!(n.attr->mode & 0200) || !cfs_may_change())))
		return -EACCES;
	fi->direct_io = 1; /* sizes are nominal, as on configfs */
	return 0;
}

static int cfs_read(const char *path, char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct nvmet_configfs *cfs = cfs_self();
	char page[CFS_FILE_SIZE];
	struct cfs_node n;
	int len = 0, ret;

	(void)fi;
	nvmet_model_rdlock(cfs->tgt);
	ret = resolve(cfs->tgt, path, &n);
	if (!ret && (n.kind != K_ATTR || !n.attr->show))
		ret = -EACCES;
	if (!ret)
		len = n.attr->show(&n, page, sizeof(page));
	nvmet_model_unlock(cfs->tgt);
	if (ret)
		return ret;
	if (len > (int)sizeof(page) - 1)
		len = (int)sizeof(page) - 1;
	if (off >= len)
		return 0;
	if ((size_t)(len - off) < size)
		size = (size_t)(len - off);
	memcpy(buf, page + off, size);
	return (int)size;
}

static int cfs_write(const char *path, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	char val[CFS_FILE_SIZE];
	size_t len = size;
	int ret;

	(void)fi;
	if (off != 0 || size >= sizeof(val))
		return -EINVAL;
	memcpy(val, buf, size);
	/* one trailing newline ends the value, as sysfs_streq() allows */
	if (len && val[len - 1] == '\n')
		len--;
	val[len] = '\0';
	if (strlen(val) != len)
		return -EINVAL;
	ret = cfs_change(OP_STORE, path, val);
	return ret ? ret : (int)size;
}

/* open(O_TRUNC) before a write: nothing to do. */
static int cfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct nvmet_configfs *cfs = cfs_self();
	struct cfs_node n;
	int ret;

	(void)size;
	(void)fi;
	if (!cfs_may_change())
		return -EACCES;
	ret = resolve_rd(cfs->tgt, path, &n);
	if (ret)
		return ret;
	if (n.kind != K_ATTR)
		return -EISDIR;
	return n.attr->store ? 0 : -EACCES;
}

static int cfs_mkdir(const char *path, mode_t mode)
{
	(void)mode;
	return cfs_change(OP_MKDIR, path, NULL);
}

static int cfs_rmdir(const char *path)
{
	return cfs_change(OP_RMDIR, path, NULL);
}

static int cfs_symlink(const char *target, const char *linkpath)
{
	return cfs_change(OP_SYMLINK, linkpath, target);
}

static int cfs_unlink(const char *path)
{
	return cfs_change(OP_UNLINK, path, NULL);
}

static int cfs_readlink(const char *path, char *buf, size_t size)
{
	struct nvmet_configfs *cfs = cfs_self();
	struct cfs_node n;
	int ret;

	nvmet_model_rdlock(cfs->tgt);
	ret = resolve(cfs->tgt, path, &n);
	if (!ret && n.kind == K_SUBSYS_LINK)
		snprintf(buf, size, "../../../subsystems/%s",
			 n.sl->subsys->nqn);
	else if (!ret && n.kind == K_HOST_LINK)
		snprintf(buf, size, "../../../hosts/%s", n.hl->host->nqn);
	else if (!ret)
		ret = -EINVAL;
	nvmet_model_unlock(cfs->tgt);
	return ret;
}

static int cfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)path;
	(void)mode;
	(void)fi;
	return -EACCES; /* configfs: attributes are not created by users */
}

static int cfs_rename(const char *from, const char *to, unsigned int flags)
{
	(void)from;
	(void)to;
	(void)flags;
	return -EPERM;
}

static int cfs_utimens(const char *path, const struct timespec tv[2],
		       struct fuse_file_info *fi)
{
	(void)path;
	(void)tv;
	(void)fi;
	return 0;
}

static void *cfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	/* the tree changes underneath: the kernel must not cache it */
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	return fuse_get_context()->private_data;
}

static const struct fuse_operations cfs_ops = {
	.init = cfs_init,
	.getattr = cfs_getattr,
	.readdir = cfs_readdir,
	.open = cfs_open,
	.read = cfs_read,
	.write = cfs_write,
	.truncate = cfs_truncate,
	.mkdir = cfs_mkdir,
	.rmdir = cfs_rmdir,
	.symlink = cfs_symlink,
	.unlink = cfs_unlink,
	.readlink = cfs_readlink,
	.create = cfs_create,
	.rename = cfs_rename,
	.utimens = cfs_utimens,
};

/* ---- start and stop ---------------------------------------------------------------- */

static void *cfs_thread(void *arg)
{
	struct nvmet_configfs *cfs = arg;

	fuse_loop(cfs->fuse);
	return NULL;
}

static void wake_handler(int sig)
{
	(void)sig; /* interrupts the tree thread's read of /dev/fuse */
}

/*
 * A previous nvmf-tgt killed with its tree mounted leaves a dead FUSE
 * mount ("Transport endpoint is not connected"): detach it.
 */
static void clear_stale_mount(const char *dir)
{
	struct stat st;

	if (!stat(dir, &st) || errno != ENOTCONN)
		return;
	if (umount2(dir, MNT_DETACH))
		nvmf_warn(
			"--configfs '%s': a dead mount of a previous nvmf-tgt "
			"is in the way and cannot be removed (%s); "
			"fusermount3 -u -z '%s' removes it",
			dir, strerror(errno), dir);
	else
		nvmf_warn("--configfs '%s': removed the dead mount of a "
			  "previous nvmf-tgt",
			  dir);
}

void nvmet_configfs_on_change(struct nvmet_configfs *cfs, void (*fn)(void *),
			      void *arg)
{
	cfs->on_change = fn;
	cfs->on_change_arg = arg;
}

int nvmet_configfs_start(struct nvmet_tgt *tgt, const char *dir,
			 struct nvmet_configfs **out, char *err, size_t errlen)
{
	/* the kernel checks modes (default_permissions) as on configfs */
	char opts[] = "fsname=nvmf-tgt,subtype=nvmet,default_permissions,"
		      "allow_other";
	char *argv[] = { "nvmf-tgt", "-o", opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct sigaction sa = { .sa_handler = wake_handler };
	struct nvmet_configfs *cfs;
	int ret;

	cfs = calloc(1, sizeof(*cfs));
	if (!cfs)
		return -ENOMEM;
	cfs->tgt = tgt;
	cfs->mounted = time(NULL);
	cfs->uid = geteuid();
	cfs->gid = getegid();
	pthread_mutex_init(&cfs->lock, NULL);
	clear_stale_mount(dir);
	if (!realpath(dir, cfs->mountpoint)) {
		ret = -errno;
		snprintf(err, errlen, "--configfs '%s': %s", dir,
			 strerror(errno));
		goto out_free;
	}
	if (geteuid() != 0)
		opts[strlen(opts) - strlen(",allow_other")] = '\0';
	sigaction(SIGUSR2, &sa, NULL);
	nvmf_fuse_module();
	cfs->fuse = fuse_new(&args, &cfs_ops, sizeof(cfs_ops), cfs);
	fuse_opt_free_args(&args); /* fuse_new() may have copied them */
	if (!cfs->fuse || fuse_mount(cfs->fuse, cfs->mountpoint)) {
		ret = -EIO;
		snprintf(
			err, errlen,
			"--configfs '%s': cannot mount the tree (FUSE: is /dev/fuse there, and fuse3 installed?)",
			dir);
		goto out_destroy;
	}
	ret = -pthread_create(&cfs->thread, NULL, cfs_thread, cfs);
	if (ret) {
		snprintf(err, errlen, "--configfs: thread: %s", strerror(-ret));
		fuse_unmount(cfs->fuse);
		goto out_destroy;
	}
	cfs->thread_started = true;
	nvmf_info("configfs tree mounted on %s", cfs->mountpoint);
	*out = cfs;
	return 0;

out_destroy:
	if (cfs->fuse)
		fuse_destroy(cfs->fuse);
out_free:
	pthread_mutex_destroy(&cfs->lock);
	free(cfs);
	return ret;
}

/* Main thread, as the target stops: changes are refused from now on. */
void nvmet_configfs_close(struct nvmet_configfs *cfs)
{
	if (!cfs)
		return;
	pthread_mutex_lock(&cfs->lock);
	cfs->closed = true;
	pthread_mutex_unlock(&cfs->lock);
}

/*
 * Main thread, after its loop ended: run the changes still posted (they
 * fail with ESHUTDOWN), unmount, and end the tree's thread.
 */
void nvmet_configfs_destroy(struct nvmet_configfs *cfs)
{
	struct timespec ts;

	if (!cfs)
		return;
	nvmet_configfs_close(cfs);
	fuse_exit(cfs->fuse);
	for (;;) {
		nvmf_loop_run_once(cfs->tgt->loop, 0);
		pthread_kill(cfs->thread, SIGUSR2);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!pthread_timedjoin_np(cfs->thread, NULL, &ts))
			break;
	}
	fuse_unmount(cfs->fuse);
	fuse_destroy(cfs->fuse);
	pthread_mutex_destroy(&cfs->lock);
	nvmf_info("configfs tree unmounted from %s", cfs->mountpoint);
	free(cfs);
}

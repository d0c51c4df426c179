// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-reactor --kernel-host: re-create the kernel host's nvme-rdma
 * controllers that the kernel deleted because their RDMA device went away.
 *
 * The kernel's nvme-rdma deletes every controller of an RDMA device when
 * the device is removed (its ib_client remove callback), whatever
 * ctrl_loss_tmo says, and nothing connects them again: I/O in flight
 * fails, the block devices go, and "persistent" controllers are gone for
 * good.  Each check records the connection parameters of every rdma I/O
 * controller in /sys/class/nvme (address, subsystem NQN, host NQN and ID,
 * queues, queue size, keep-alive, reconnect delay, ctrl_loss_tmo,
 * fast_io_fail_tmo) and the network device its address routes through.
 * A controller that is gone is re-created only if its RDMA device went
 * with it: a device was removed in the last seconds, or its network
 * device has no RDMA link any more.  One deleted by "nvme disconnect" or
 * by ctrl_loss_tmo is forgotten.  Re-creation writes the same options to
 * /dev/nvme-fabrics as soon as the network device has an active RDMA link
 * again, and is retried at every check until it succeeds.
 *
 * Discovery controllers are not re-created.  Nothing here opens an RDMA
 * device.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/wait.h>
#include <unistd.h>

#include "khost.h"
#include "log.h"
#include "loop.h"
#include "rdma_link.h"
#include "util.h"

#define DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"
#ifndef TAILQ_FOREACH_SAFE /* glibc's sys/queue.h lacks it */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar) \
	for ((var) = TAILQ_FIRST(head);            \
	     (var) && ((tvar) = TAILQ_NEXT(var, field), 1); (var) = (tvar))
#endif

/* a controller gone this soon after a device removal went with it */
#define REMOVAL_WINDOW_MS 5000
/*
 * A controller gone while its RDMA link still looks active: the kernel
 * deletes the controllers of a device being removed before the device
 * leaves sysfs, so the decision waits this long for the removal.
 */
#define VANISH_GRACE_MS 2000

struct kctrl {
	TAILQ_ENTRY(kctrl) link;
	char name[32];		       /* nvme0 */
	char nqn[256];		       /* subsysnqn */
	char traddr[INET6_ADDRSTRLEN]; /* for the log and the route */
	char trsvcid[16];
	char netdev[IF_NAMESIZE + 1]; /* where traddr routes through */
	char opts[2048];	      /* for /dev/nvme-fabrics */
	bool seen;
	bool lost;
	uint64_t lost_ms;
	uint64_t vanished_ms; /* gone, not yet told lost or disconnected */
	unsigned int attempts;
	pid_t pid; /* the child writing to /dev/nvme-fabrics, or 0 */
};

struct khost {
	char class_dir[PATH_MAX];
	char fabrics[PATH_MAX];
	TAILQ_HEAD(, kctrl) ctrls;
	uint64_t removed_ms; /* the last RDMA device removal, 0: none */
};

struct khost *khost_create(const char *class_dir, const char *fabrics)
{
	struct khost *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	snprintf(k->class_dir, sizeof(k->class_dir), "%s", class_dir);
	snprintf(k->fabrics, sizeof(k->fabrics), "%s", fabrics);
	TAILQ_INIT(&k->ctrls);
	return k;
}

static void kctrl_del(struct khost *k, struct kctrl *c)
{
	TAILQ_REMOVE(&k->ctrls, c, link);
	free(c);
}

void khost_destroy(struct khost *k)
{
	struct kctrl *c;

	if (!k)
		return;
	TAILQ_FOREACH(c, &k->ctrls, link)
		if (c->pid)
			waitpid(c->pid, NULL, 0);
	while (!TAILQ_EMPTY(&k->ctrls))
		kctrl_del(k, TAILQ_FIRST(&k->ctrls));
	free(k);
}

void khost_device_removed(struct khost *k)
{
	k->removed_ms = nvmf_now_ms();
}

/* key=value from "traddr=A,trsvcid=P,host_traddr=H" (the address attr). */
static void addr_field(const char *addr, const char *key, char *out, size_t n)
{
	size_t klen = strlen(key);
	const char *p = addr;

	out[0] = '\0';
	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			p += klen + 1;
			snprintf(out, n, "%.*s", (int)strcspn(p, ","), p);
			return;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
}

/* A value the kernel printed: digits (or "off" where allowed), no commas. */
static bool is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool is_token(const char *s)
{
	return s[0] && !strpbrk(s, ", \t\n=");
}

/* The network device traddr routes through ("ip -o route get A"). */
static int route_dev(const char *traddr, char *dev, size_t n)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char cmd[128], line[512], *p;
	FILE *f;
	int ret = -ENOENT;

	if (inet_pton(AF_INET, traddr, bin) != 1 &&
	    inet_pton(AF_INET6, traddr, bin) != 1)
		return -EINVAL;
	snprintf(cmd, sizeof(cmd), "ip -o route get %s 2>/dev/null", traddr);
	f = popen(cmd, "re");
	if (!f)
		return -errno;
	if (fgets(line, sizeof(line), f) && (p = strstr(line, " dev "))) {
		p += 5;
		snprintf(dev, n, "%.*s", (int)strcspn(p, " \n"), p);
		ret = 0;
	}
	pclose(f);
	return ret;
}

/* 1 if netdev has an active RDMA link, 0 if not, -1 cannot tell. */
static int link_active(const char *netdev)
{
	char want[IF_NAMESIZE + 16];
	int ret = nvmf_netdev_rdma_link(NVMF_IB_CLASS_DIR, netdev, true);

	if (ret >= 0)
		return ret;
	snprintf(want, sizeof(want), " netdev %s ", netdev);
	return nvmf_rdma_tool_match("link show", want, "state ACTIVE");
}

/*
 * Append ",key=val" to c->opts; *n counts what it would take, so an
 * overflow shows as *n >= sizeof(c->opts) and nothing is written past it.
 */
static void opt_add(struct kctrl *c, int *n, const char *key, const char *val)
{
	size_t used = (size_t)*n < sizeof(c->opts) ? (size_t)*n :
						     sizeof(c->opts);

	*n += snprintf(c->opts + used, sizeof(c->opts) - used, ",%s=%s", key,
		       val);
}

/*
 * Read controller dir into c (opts, identity).  Return: 0, or -ENOENT for
 * a controller that is not an rdma I/O controller or cannot be read.
 */
static int kctrl_read(const char *dir, const char *name, struct kctrl *c)
{
	char tr[16], st[32], addr[512], hostnqn[256], hostid[64], qc[16];
	char sq[16];
	char kato[16] = "", rd[16] = "", clt[16] = "", fio[16] = "";
	char host_traddr[INET6_ADDRSTRLEN];
	long nr_io, qsize;
	int n;

	/* only live ones: a controller being set up shows "(efault)" */
	if (nvmf_read_attr(dir, "state", st, sizeof(st)) ||
	    strcmp(st, "live") ||
	    nvmf_read_attr(dir, "transport", tr, sizeof(tr)) ||
	    strcmp(tr, "rdma") ||
	    nvmf_read_attr(dir, "subsysnqn", c->nqn, sizeof(c->nqn)) ||
	    !strcmp(c->nqn, DISCOVERY_NQN) ||
	    nvmf_read_attr(dir, "address", addr, sizeof(addr)) ||
	    nvmf_read_attr(dir, "hostnqn", hostnqn, sizeof(hostnqn)) ||
	    nvmf_read_attr(dir, "hostid", hostid, sizeof(hostid)) ||
	    nvmf_read_attr(dir, "queue_count", qc, sizeof(qc)) ||
	    nvmf_read_attr(dir, "sqsize", sq, sizeof(sq)))
		return -ENOENT;
	/* newer attributes: the kernel's defaults where one is missing */
	nvmf_read_attr(dir, "kato", kato, sizeof(kato));
	nvmf_read_attr(dir, "reconnect_delay", rd, sizeof(rd));
	nvmf_read_attr(dir, "ctrl_loss_tmo", clt, sizeof(clt));
	nvmf_read_attr(dir, "fast_io_fail_tmo", fio, sizeof(fio));
	addr_field(addr, "traddr", c->traddr, sizeof(c->traddr));
	addr_field(addr, "trsvcid", c->trsvcid, sizeof(c->trsvcid));
	addr_field(addr, "host_traddr", host_traddr, sizeof(host_traddr));
	if (!is_token(c->nqn) || strncmp(c->nqn, "nqn.", 4) ||
	    !is_token(hostnqn) || strncmp(hostnqn, "nqn.", 4) ||
	    !is_token(hostid) || !is_token(c->traddr) ||
	    !is_number(c->trsvcid) || !is_number(qc) || !is_number(sq))
		return -ENOENT;
	nr_io = strtol(qc, NULL, 10) - 1;
	qsize = strtol(sq, NULL, 10) + 1;
	if (nr_io < 1 || qsize < 2)
		return -ENOENT;
	if (strlen(name) >= sizeof(c->name))
		return -ENOENT;
	memcpy(c->name, name, strlen(name) + 1);
	n = snprintf(c->opts, sizeof(c->opts),
		     "transport=rdma,traddr=%s,trsvcid=%s,nqn=%s,hostnqn=%s,"
		     "hostid=%s,nr_io_queues=%ld,queue_size=%ld",
		     c->traddr, c->trsvcid, c->nqn, hostnqn, hostid, nr_io,
		     qsize);
	if (is_number(kato))
		opt_add(c, &n, "keep_alive_tmo", kato);
	if (is_number(rd))
		opt_add(c, &n, "reconnect_delay", rd);
	if (is_number(clt) || !strcmp(clt, "off"))
		opt_add(c, &n, "ctrl_loss_tmo", is_number(clt) ? clt : "-1");
	if (is_number(fio))
		opt_add(c, &n, "fast_io_fail_tmo", fio);
	if (is_token(host_traddr))
		opt_add(c, &n, "host_traddr", host_traddr);
	if (n >= (int)sizeof(c->opts))
		return -ENOENT;
	return 0;
}

static struct kctrl *kctrl_find(struct khost *k, const char *name)
{
	struct kctrl *c;

	TAILQ_FOREACH(c, &k->ctrls, link)
		if (!c->lost && !strcmp(c->name, name))
			return c;
	return NULL;
}

/* Record what is there; a lost one connected again by someone is done. */
static void scan(struct khost *k)
{
	struct kctrl cur, *c, *l, *tmp;
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	d = opendir(k->class_dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "nvme", 4) ||
		    nvmf_path(dir, sizeof(dir), "%s/%s", k->class_dir,
			      de->d_name))
			continue;
		/* there, in whatever state: not gone */
		c = kctrl_find(k, de->d_name);
		if (c)
			c->seen = true;
		memset(&cur, 0, sizeof(cur));
		if (kctrl_read(dir, de->d_name, &cur))
			continue;
		TAILQ_FOREACH_SAFE(l, &k->ctrls, link, tmp)
			if (l->lost && !l->pid && !strcmp(l->opts, cur.opts)) {
				nvmf_info("%s (%s at %s:%s) is connected again "
					  "as %s",
					  l->name, l->nqn, l->traddr,
					  l->trsvcid, cur.name);
				kctrl_del(k, l);
			}
		c = kctrl_find(k, cur.name);
		if (!c) {
			c = calloc(1, sizeof(*c));
			if (!c)
				break;
			*c = cur;
			TAILQ_INSERT_TAIL(&k->ctrls, c, link);
			nvmf_info("recorded %s: %s", c->name, c->opts);
		} else if (strcmp(c->opts, cur.opts)) {
			/* another controller under the same name */
			memcpy(c->nqn, cur.nqn, sizeof(c->nqn));
			memcpy(c->traddr, cur.traddr, sizeof(c->traddr));
			memcpy(c->trsvcid, cur.trsvcid, sizeof(c->trsvcid));
			memcpy(c->opts, cur.opts, sizeof(c->opts));
			c->netdev[0] = '\0';
			nvmf_info("recorded %s: %s", c->name, c->opts);
		}
		if (!c->netdev[0] &&
		    route_dev(c->traddr, c->netdev, sizeof(c->netdev)))
			c->netdev[0] = '\0';
		c->seen = true;
	}
	closedir(d);
}

/* The ones gone since the last check: lost with their device, or dropped. */
static void classify(struct khost *k)
{
	uint64_t now = nvmf_now_ms();
	struct kctrl *c, *tmp;
	bool removal;

	removal = k->removed_ms && now - k->removed_ms < REMOVAL_WINDOW_MS;
	TAILQ_FOREACH_SAFE(c, &k->ctrls, link, tmp) {
		if (c->lost || c->seen) {
			c->seen = false;
			c->vanished_ms = 0;
			continue;
		}
		if (!c->vanished_ms)
			c->vanished_ms = now;
		if (removal || (c->netdev[0] && link_active(c->netdev) == 0)) {
			c->lost = true;
			c->lost_ms = c->vanished_ms;
			nvmf_info("%s (%s at %s:%s) was deleted with its RDMA "
				  "device (netdev %s): re-creating it when the "
				  "device is back",
				  c->name, c->nqn, c->traddr, c->trsvcid,
				  c->netdev[0] ? c->netdev : "?");
		} else if (now - c->vanished_ms < VANISH_GRACE_MS) {
			continue; /* its device may be on its way out */
		} else {
			nvmf_info("%s (%s at %s:%s) was disconnected, not by a "
				  "device removal: not re-created",
				  c->name, c->nqn, c->traddr, c->trsvcid);
			kctrl_del(k, c);
		}
	}
}

/*
 * In a child: write c's options to /dev/nvme-fabrics (the write blocks
 * until the controller is connected or failed, about 0.5 s each here), so
 * the loop goes on and several controllers connect at once.
 */
static void recreate(struct khost *k, struct kctrl *c)
{
	char reply[128] = "";
	ssize_t r;
	int fd, ret = 0;

	fd = open(k->fabrics, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
	} else if (write(fd, c->opts, strlen(c->opts)) < 0) {
		ret = -errno;
	} else {
		r = read(fd, reply, sizeof(reply) - 1);
		reply[r > 0 ? r : 0] = '\0';
		reply[strcspn(reply, "\n")] = '\0';
	}
	if (fd >= 0)
		close(fd);
	if (!ret)
		nvmf_info("re-created %s (%s at %s:%s) %llu ms after it was "
			  "lost: %s",
			  c->name, c->nqn, c->traddr, c->trsvcid,
			  (unsigned long long)(nvmf_now_ms() - c->lost_ms),
			  reply);
	else if (c->attempts % 10 == 0)
		nvmf_warn("re-creating %s (%s at %s:%s): %s; retrying", c->name,
			  c->nqn, c->traddr, c->trsvcid, strerror(-ret));
	_exit(ret ? 1 : 0);
}

/* A re-creation that ran: 1 done, 0 still running, -1 failed. */
static int reap(struct kctrl *c)
{
	int status;
	pid_t p = waitpid(c->pid, &status, WNOHANG);

	if (p == 0)
		return 0;
	c->pid = 0;
	c->attempts++;
	return p > 0 && WIFEXITED(status) && !WEXITSTATUS(status) ? 1 : -1;
}

int khost_check(struct khost *k)
{
	struct kctrl *c, *tmp;
	int left = 0;

	scan(k);
	classify(k);
	TAILQ_FOREACH_SAFE(c, &k->ctrls, link, tmp) {
		if (!c->lost) {
			left += c->vanished_ms != 0; /* decided later */
			continue;
		}
		if (c->pid && reap(c) == 1) {
			kctrl_del(k, c);
			continue;
		}
		left++;
		if (c->pid)
			continue;
		if (!c->netdev[0])
			route_dev(c->traddr, c->netdev, sizeof(c->netdev));
		if (!c->netdev[0] || link_active(c->netdev) != 1)
			continue;
		nvmf_info("re-creating %s (%s at %s:%s): %s has an active "
			  "RDMA link again; connecting",
			  c->name, c->nqn, c->traddr, c->trsvcid, c->netdev);
		fflush(NULL);
		c->pid = fork();
		if (c->pid == 0)
			recreate(k, c);
		if (c->pid < 0) {
			nvmf_warn("re-creating %s: fork: %s", c->name,
				  strerror(errno));
			c->pid = 0;
		}
	}
	if (left == 0)
		k->removed_ms = 0;
	return left;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-reactor: repairs the kernel's NVMe-oF target after an RDMA device
 * reset.  The kernel target drops a port's listener on DEVICE_REMOVAL and
 * never binds again, although the port keeps its subsystem links in
 * configfs.  When an RDMA device is added (or a link changes, or every
 * --interval seconds as a fallback), this daemon looks for RDMA ports that
 * have subsystem links but no listening cm_id (`rdma res show cm_id`), and
 * re-links their subsystems: the last unlink disables the port, the first
 * link enables it again, which binds a new listener.
 *
 * Nothing destructive while the device is away: a port is re-linked only
 * once its address can be bound on an RDMA device again (a link made while
 * it cannot is refused by the kernel, and an unlinked subsystem would be
 * lost).  Should a re-link still fail, the links not made are kept and
 * made at the next check, so a port never ends with fewer links than it
 * had.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "args.h"
#include "log.h"
#include "loop.h"
#include "khost.h"
#include "rdma_link.h"
#include "reactor.h"
#include "util.h"

#define NVMET_ROOT	"/sys/kernel/config/nvmet"
#define BURST_PERIOD_MS 200
#define BURST_TRIES	25

enum { OPT_ROOT = 256, OPT_INTERVAL, OPT_LOG_LEVEL, OPT_KERNEL_HOST };

static const struct nvmf_opt opts[] = {
	{ "kernel-nvmet", 'k', no_argument, NULL,
	  "repair the kernel target's ports" },
	{ "kernel-host", OPT_KERNEL_HOST, no_argument, NULL,
	  "re-create the kernel host's nvme-rdma controllers deleted with "
	  "their RDMA device, with the same parameters, once it is back" },
	{ "root", OPT_ROOT, required_argument, "DIR",
	  "nvmet configfs root (default " NVMET_ROOT ")" },
	{ "interval", OPT_INTERVAL, required_argument, "S",
	  "also check every S seconds (default 5, 0: events only)" },
	{ "log-level", OPT_LOG_LEVEL, required_argument, "LEVEL",
	  "error, warn, info (default) or debug" },
	{ "once", 'o', no_argument, NULL, "check and repair once, then exit" },
	NVMF_OPT_HELP,
	{ 0 },
};

static const struct nvmf_cmd cmd = {
	.prog = "nvmf-reactor",
	.synopsis = "--kernel-nvmet | --kernel-host (or both) [options]",
	.summary = "Re-binds kernel nvmet RDMA ports left without a listener "
		   "after an RDMA device reset,\nand re-creates kernel host "
		   "controllers the kernel deleted with their RDMA device,\n"
		   "as soon as udev reports the device back.",
	.opts = opts,
};

struct reactor_main {
	const char *root;    /* kernel nvmet's configfs, NULL: not repaired */
	struct khost *khost; /* --kernel-host, or NULL */
	struct nvmf_loop *loop;
	struct nvmf_timer *burst;
	int burst_left;
	int sfd; /* signalfd: TERM/INT stop, HUP re-checks */
};

/* Is there a LISTEN cm_id on addr:svcid?  -1 if `rdma` cannot tell. */
static int listening(const char *addr, const char *svcid)
{
	char want[300];

	if (nvmf_path(want, sizeof(want), "src-addr %s:%s ", addr, svcid))
		return -1;
	return nvmf_rdma_tool_match("res show cm_id", want, "state LISTEN");
}

/* A subsystem link of a port: its name and where it points. */
struct port_link {
	char *path;   /* .../ports/ID/subsystems/NAME */
	char *target; /* .../subsystems/NAME */
};

/*
 * Links taken down by a re-link that could not make them again: made at
 * every check until they are back.
 */
static struct port_link *pending;
static size_t nr_pending;

static void link_free(struct port_link *l)
{
	free(l->path);
	free(l->target);
}

/*
 * Make the pending links (logging each if they waited: verbose); return:
 * how many are still pending.
 */
static size_t restore_pending(bool verbose)
{
	size_t i, kept = 0;

	for (i = 0; i < nr_pending; i++) {
		struct port_link *l = &pending[i];

		if (!symlink(l->target, l->path) || errno == EEXIST) {
			if (verbose)
				nvmf_info("re-linked %s", l->path);
			link_free(l);
			continue;
		}
		nvmf_debug("re-link %s: %s (will retry)", l->path,
			   strerror(errno));
		pending[kept++] = *l;
	}
	nr_pending = kept;
	return kept;
}

/* Unlink every subsystem of a port, then link them again. */
static int relink(const char *port, const char *log_prefix)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct port_link *links = NULL, *p;
	size_t n = 0, i;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	if (nvmf_path(dir, sizeof(dir), "%s/subsystems", port))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (nvmf_path(path, sizeof(path), "%s/%s", dir, de->d_name))
			continue;
		p = realloc(links, (n + 1) * sizeof(*links));
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		links = p;
		links[n].target = realpath(path, NULL);
		links[n].path = strdup(path);
		if (!links[n].target || !links[n].path) {
			link_free(&links[n]);
			ret = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	p = ret ? NULL : realloc(pending, (nr_pending + n) * sizeof(*pending));
	if (!p && n) {
		/* cannot remember them: touch nothing */
		for (i = 0; i < n; i++)
			link_free(&links[i]);
		free(links);
		return ret ? ret : -ENOMEM;
	}
	pending = p;
	for (i = 0; i < n; i++) {
		if (unlink(links[i].path) && errno != ENOENT) {
			nvmf_obj_warn(log_prefix, "unlink %s: %s",
				      links[i].path, strerror(errno));
			link_free(&links[i]);
			continue;
		}
		pending[nr_pending++] = links[i];
	}
	free(links);
	if (restore_pending(false)) {
		nvmf_obj_warn(log_prefix,
			      "%zu subsystem link(s) not made yet; "
			      "retrying at every check",
			      nr_pending);
		ret = -EAGAIN;
	}
	return ret;
}

static bool has_links(const char *port)
{
	char dir[PATH_MAX];
	struct dirent *de;
	bool any = false;
	DIR *d;

	if (nvmf_path(dir, sizeof(dir), "%s/subsystems", port))
		return false;
	d = opendir(dir);
	if (!d)
		return false;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			any = true;
	closedir(d);
	return any;
}

/* Check one port; return: 1 if it still needs repair. */
static int check_port(const char *port, const char *id)
{
	char trtype[32], adrfam[32], addr[256], svcid[32], prefix[32];
	int l;

	nvmf_path(prefix, sizeof(prefix), "port %.20s", id);
	if (nvmf_read_attr(port, "addr_trtype", trtype, sizeof(trtype)) ||
	    strcmp(trtype, "rdma") != 0 || !has_links(port) ||
	    nvmf_read_attr(port, "addr_adrfam", adrfam, sizeof(adrfam)) ||
	    nvmf_read_attr(port, "addr_traddr", addr, sizeof(addr)) ||
	    nvmf_read_attr(port, "addr_trsvcid", svcid, sizeof(svcid)))
		return 0;
	l = listening(addr, svcid);
	if (l != 0)
		return 0; /* bound, or we cannot tell: leave it alone */
	l = nvmf_addr_on_rdma_link(adrfam, addr);
	if (l < 0)
		nvmf_obj_info(prefix,
			      "cannot tell whether an RDMA device has %s now",
			      addr);
	if (l == 0) {
		nvmf_obj_debug(prefix,
			       "not listening on %s:%s, and no RDMA device "
			       "has the address yet: waiting",
			       addr, svcid);
		return 1;
	}
	nvmf_obj_info(prefix, "linked but not listening on %s:%s: re-linking",
		      addr, svcid);
	if (relink(port, prefix))
		return 1;
	l = listening(addr, svcid);
	nvmf_obj_info(prefix, "%s",
		      l == 1 ? "listening again" : "still not listening");
	return l != 1;
}

/* Return: how many ports still need repair. */
static int check_nvmet(struct reactor_main *m)
{
	char dir[PATH_MAX], port[PATH_MAX + 300];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (nr_pending && restore_pending(true))
		n++;
	if (nvmf_path(dir, sizeof(dir), "%s/ports", m->root))
		return n;
	d = opendir(dir);
	if (!d) {
		nvmf_debug("%s: %s", dir, strerror(errno));
		return n;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (nvmf_path(port, sizeof(port), "%s/%s", dir, de->d_name))
			continue;
		n += check_port(port, de->d_name);
	}
	closedir(d);
	return n;
}

/* Everything there is to do; return: how many things are left to do. */
static int check_all(struct reactor_main *m)
{
	int n = 0;

	if (m->root)
		n += check_nvmet(m);
	if (m->khost)
		n += khost_check(m->khost);
	return n;
}

static void burst_cb(void *arg)
{
	struct reactor_main *m = arg;

	if (!check_all(m) || --m->burst_left <= 0)
		nvmf_timer_disarm(m->burst);
}

static void interval_cb(void *arg)
{
	struct reactor_main *m = arg;

	if (!nvmf_timer_armed(m->burst))
		check_all(m);
}

static void event_cb(void *arg, enum nvmf_reactor_event ev, const char *name)
{
	struct reactor_main *m = arg;

	if (ev == NVMF_REACTOR_RDMA_REMOVE) {
		/* the kernel host's controllers on it are deleted now */
		if (m->khost) {
			khost_device_removed(m->khost);
			khost_check(m->khost);
		}
		return;
	}
	nvmf_info("udev: %s %s: checking now", nvmf_reactor_event_name(ev),
		  name);
	m->burst_left = BURST_TRIES;
	nvmf_timer_arm(m->burst, 0, BURST_PERIOD_MS);
}

static void signal_cb(void *arg, uint32_t events)
{
	struct reactor_main *m = arg;
	struct signalfd_siginfo si;

	(void)events;
	if (read(m->sfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		nvmf_info("SIGHUP: checking every port now");
		check_all(m);
		return;
	}
	nvmf_loop_stop(m->loop);
}

static int run(struct reactor_main *m, long interval)
{
	struct nvmf_timer *tick = NULL;
	struct nvmf_reactor *r;
	struct nvmf_watch *sw;
	sigset_t set;
	int sfd, ret;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	m->sfd = sfd;
	m->loop = nvmf_loop_create();
	if (sfd < 0 || !m->loop)
		return -errno;
	sw = nvmf_watch_add(m->loop, sfd, EPOLLIN, signal_cb, m);
	m->burst = nvmf_timer_create(m->loop, burst_cb, m);
	r = nvmf_reactor_create(m->loop, NULL, event_cb, m);
	if (!r) {
		nvmf_err("cannot watch udev events: %s", strerror(errno));
		return -errno;
	}
	if (interval) {
		tick = nvmf_timer_create(m->loop, interval_cb, m);
		nvmf_timer_arm(tick, (uint64_t)interval * 1000,
			       (uint64_t)interval * 1000);
	}
	check_all(m);
	ret = nvmf_loop_run(m->loop);
	nvmf_timer_destroy(tick);
	nvmf_reactor_destroy(r);
	nvmf_timer_destroy(m->burst);
	nvmf_watch_del(sw);
	nvmf_loop_destroy(m->loop);
	close(sfd);
	return ret;
}

int main(int argc, char **argv)
{
	static const char *const levels[] = { "error", "warn", "info", "debug",
					      NULL };
	struct reactor_main m = { .root = NVMET_ROOT };
	bool khost = false;
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	bool kernel = false, once = false;
	long interval = 5;
	int c, idx, ret;

	if (nvmf_args_version("nvmf-reactor", argc, argv))
		return NVMF_EXIT_OK;

	nvmf_log_set_ident("nvmf-reactor");
	nvmf_args_build(&cmd, longopts, shortopts);
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kernel = true;
			break;
		case 'o':
			once = true;
			break;
		case OPT_KERNEL_HOST:
			khost = true;
			break;
		case OPT_ROOT:
			m.root = optarg;
			break;
		case OPT_INTERVAL:
			if (nvmf_parse_long(&cmd, "interval", optarg, 0, 3600,
					    &interval))
				return NVMF_EXIT_USAGE;
			break;
		case OPT_LOG_LEVEL:
			if (nvmf_parse_choice(&cmd, "log-level", optarg, levels,
					      &idx))
				return NVMF_EXIT_USAGE;
			nvmf_log_set_level(idx);
			break;
		case 'h':
			nvmf_args_usage(&cmd, stdout);
			return NVMF_EXIT_OK;
		default:
			nvmf_args_error(&cmd,
					"unknown option or missing value: '%s'",
					argv[optind - 1]);
			return NVMF_EXIT_USAGE;
		}
	}
	if (!kernel && !khost) {
		nvmf_args_error(&cmd, "--kernel-nvmet or --kernel-host is "
				      "required (see --help)");
		return NVMF_EXIT_USAGE;
	}
	if (!kernel) {
		m.root = NULL;
	} else if (access(m.root, F_OK)) {
		nvmf_args_error(
			&cmd, "%s: %s (is nvmet loaded and configfs mounted?)",
			m.root, strerror(errno));
		return NVMF_EXIT_FAILURE;
	}
	if (khost) {
		m.khost = khost_create("/sys/class/nvme", "/dev/nvme-fabrics");
		if (!m.khost) {
			nvmf_args_error(&cmd, "out of memory");
			return NVMF_EXIT_FAILURE;
		}
	}
	if (once)
		ret = check_all(&m) ? NVMF_EXIT_FAILURE : NVMF_EXIT_OK;
	else
		ret = run(&m, interval) ? NVMF_EXIT_FAILURE : NVMF_EXIT_OK;
	khost_destroy(m.khost);
	return ret;
}

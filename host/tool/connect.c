// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-host connect: connect a controller and serve its namespaces as
 * block devices (NBD, nbd.c) or files (FUSE, fuse.c) until it is
 * disconnected (SIGTERM, "nvmf-host disconnect") or deleted
 * (ctrl_loss_tmo).  One daemon per controller; its state is in
 * RUN_DIR/ctrl/NAME/status.json, its files in the mount directory
 * (default RUN_DIR/NAME/nNSID).
 *
 * With block devices the entry also holds recover.json: the connect
 * arguments and the devices.  If the daemon dies, the kernel keeps the
 * devices and their requests, and "nvmf-host recover NAME" (a supervisor
 * such as nvmf-host-recover@NAME.service) starts a daemon that connects
 * the controller again and re-attaches them.
 *
 * The daemon drives the controller in the library's poll mode from its
 * own loop, which also serves FUSE, signals, and the udev reactor: an
 * RDMA device added or a network interface changing makes a reconnecting
 * controller try again at once.
 */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "reactor.h"
#include "tool.h"

static const struct nvmf_opt connect_opts[] = {
	CONN_OPTS_ADDR,
	{ "nqn", 'n', required_argument, "NQN", "subsystem NQN (required)" },
	CONN_OPTS_CTRL,
	{ "export", OPT_EXPORT, required_argument, "KIND",
	  "nbd: a block device per namespace (default); fuse: files" },
	{ "nbd-timeout", OPT_NBD_TIMEOUT, required_argument, "S",
	  "block devices: request timeout, also the pause after a daemon "
	  "crash (default 30)" },
	{ "nbd-conns", OPT_NBD_CONNS, required_argument, "N",
	  "block devices: connections (queues) per device (default: one per "
	  "I/O queue, at most 4)" },
	{ "mount", OPT_MOUNT, required_argument, "DIR",
	  "fuse: where the namespace files appear (default RUN_DIR/NAME)" },
	{ "run-dir", OPT_RUN_DIR, required_argument, "DIR",
	  "status directory (default " NVMF_HOST_RUN_DIR ")" },
	{ "no-udev", OPT_NO_UDEV, no_argument, NULL,
	  "do not reconnect at once on udev events (device added, link up)" },
	{ "log-file", OPT_LOG_FILE, required_argument, "FILE",
	  "log to FILE (a daemon logs to syslog otherwise)" },
	{ "foreground", OPT_FOREGROUND, no_argument, NULL,
	  "stay in the foreground, logging to stderr" },
	{ "duplicate-connect", 'D', no_argument, NULL,
	  "allow a second controller to the same subsystem and address" },
	NVMF_OPT_HELP,
	{ 0 },
};

static const struct nvmf_cmd connect_cmd = {
	.prog = "nvmf-host connect",
	.synopsis = "-t rdma -a ADDR -s PORT -n NQN [options]",
	.summary = "Connect to an NVMe-oF controller and export its namespaces "
		   "as block devices\n(/dev/nbdN) or files (--export fuse).  "
		   "Prints the controller name once it is\nlive and the "
		   "devices exist.  The controller survives RDMA device "
		   "resets: it\nreconnects every reconnect-delay seconds until "
		   "ctrl-loss-tmo; I/O waits meanwhile.\nBlock devices also "
		   "survive the daemon: see 'nvmf-host recover'.",
	.opts = connect_opts,
};

struct daemon {
	struct conn_args *args;
	struct nvmf_loop *loop;
	struct nvmf_ctrl *ctrl;
	struct nvmf_fuse *fuse;
	struct nvmf_nbd *nbd;
	struct nvmf_nbd_attach devs[NVMF_NBD_MAX_NS];
	int nr_devs;
	struct nvmf_nbd_attach attach[NVMF_NBD_MAX_NS]; /* recover */
	unsigned int nr_attach;
	bool recovering;
	bool attached; /* the block devices are ours (until they are released) */
	int argc;      /* connect's arguments, for recover.json */
	char **argv;
	struct nvmf_reactor *reactor;
	struct nvmf_watch *ctrl_watch;
	struct nvmf_watch *sig_watch;
	struct nvmf_timer *status_timer;
	struct nvmf_ctrl_info last;
	uint64_t last_stats[NVMF_STAT_NR]; /* as last written */
	struct nvmf_nbd_stats last_nbd;
	char name[32];
	char state_dir[600];
	char mount[512];
	int sig_fd;
	int lock_fd; /* flock on state_dir/lock, held for the daemon's life */
	bool dead;
	bool stopping;
	bool ns_check; /* the controller changed: follow its namespaces */
	bool released; /* recover stopped by a signal: devices let go */
	int report_fd; /* to the waiting parent, until it is told */
	/* a persistent discovery controller (connect-all --persistent) */
	bool discovery;
	bool disc_pending; /* the log changed, or the controller came back */
	uint32_t disc_seen;
	enum nvmf_ctrl_state disc_state;
	pid_t disc_child; /* the connect-all it runs, or 0 */
};

static void status_update(struct daemon *d, bool force)
{
	struct nvmf_ctrl_info info;
	uint64_t stats[NVMF_STAT_NR];
	struct nvmf_nbd_stats nbd = { 0 };

	if (!d->ctrl)
		return;
	nvmf_ctrl_get_info(d->ctrl, &info);
	nvmf_ctrl_get_stats(d->ctrl, stats, NVMF_STAT_NR);
	if (d->nbd)
		nvmf_nbd_get_stats(d->nbd, &nbd);
	/* the counters are refreshed by the status tick, once a second */
	if (!force && !memcmp(&info, &d->last, sizeof(info)) &&
	    !memcmp(stats, d->last_stats, sizeof(stats)) &&
	    !memcmp(&nbd, &d->last_nbd, sizeof(nbd)))
		return;
	d->last = info;
	memcpy(d->last_stats, stats, sizeof(stats));
	d->last_nbd = nbd;
	if (ctrl_status_write(d->state_dir, d->name, d->mount, d->ctrl,
			      d->nbd ? d->devs : NULL, d->nr_devs,
			      d->nbd ? &nbd : NULL))
		nvmf_warn("%s: cannot write %s/status.json", d->name,
			  d->state_dir);
}

static void ctrl_event(void *arg, struct nvmf_ctrl *ctrl)
{
	struct daemon *d = arg;
	struct nvmf_ctrl_info info;

	if (!d->ctrl || d->stopping)
		return; /* still connecting, or disconnecting */
	nvmf_ctrl_get_info(ctrl, &info);
	if (d->discovery) {
		if (info.disc_log_changes != d->disc_seen) {
			nvmf_info("%s: the discovery log changed", d->name);
			d->disc_pending = true;
		} else if (info.state == NVMF_CTRL_LIVE &&
			   d->disc_state != NVMF_CTRL_LIVE) {
			/* connected (again): what changed meanwhile is missed */
			d->disc_pending = true;
		}
		d->disc_seen = info.disc_log_changes;
		d->disc_state = info.state;
	}
	status_update(d, true);
	d->ns_check = true;
	if (info.state == NVMF_CTRL_DEAD && !d->dead) {
		d->dead = true;
		nvmf_err("%s: controller deleted: %s; removing its %s", d->name,
			 info.last_error, d->nbd ? "block devices" : "files");
		nvmf_loop_stop(d->loop);
	}
}

/*
 * A live controller's namespaces changed (added, removed, resized, write
 * protected): the block devices follow, outside the library's callback.
 */
static int recover_write(struct daemon *d);

static void ns_follow(struct daemon *d)
{
	struct nvmf_ctrl_info info;

	if (!d->ns_check || !d->nbd || d->stopping || d->dead)
		return;
	d->ns_check = false;
	nvmf_ctrl_get_info(d->ctrl, &info);
	if (info.state != NVMF_CTRL_LIVE || !nvmf_nbd_update(d->nbd))
		return;
	d->nr_devs = nvmf_nbd_devices(d->nbd, d->devs, NVMF_NBD_MAX_NS);
	if (recover_write(d))
		nvmf_warn("%s: cannot write %s/" CTRL_RECOVER_FILE, d->name,
			  d->state_dir);
	status_update(d, true);
}

/*
 * A persistent discovery controller: run "connect-all" with this
 * daemon's options when the log changed (one at a time, never waited
 * for on the loop: reaped by the status tick).
 */
static void disc_follow(struct daemon *d)
{
	char self[4096], *args[128];
	int i, n = 0, status;
	sigset_t none;
	ssize_t len;
	pid_t pid;

	if (!d->discovery || d->stopping || d->dead)
		return;
	if (d->disc_child) {
		pid = waitpid(d->disc_child, &status, WNOHANG);
		if (pid == 0)
			return;
		if (pid == d->disc_child)
			nvmf_info(
				"%s: connect-all (pid %d) exited with status %d",
				d->name, (int)pid,
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		d->disc_child = 0;
	}
	if (!d->disc_pending)
		return;
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return;
	self[len] = '\0';
	args[n++] = "nvmf-host";
	args[n++] = "connect-all";
	/* connect's options, but those of this controller only */
	for (i = 0; i < d->argc && n < 124; i++) {
		const char *o = d->argv[i];

		if (!strcmp(o, "-n") || !strcmp(o, "--nqn") ||
		    !strcmp(o, "--mount")) {
			i++;
			continue;
		}
		if (!strncmp(o, "--nqn=", 6) || !strncmp(o, "--mount=", 8) ||
		    (!strncmp(o, "-n", 2) && o[2]) ||
		    !strcmp(o, "--foreground") || !strcmp(o, "-D") ||
		    !strcmp(o, "--duplicate-connect"))
			continue;
		args[n++] = d->argv[i];
	}
	args[n] = NULL;
	d->disc_pending = false;
	pid = fork();
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(self, args);
		_exit(127);
	}
	if (pid < 0) {
		nvmf_warn("%s: cannot run connect-all: %s", d->name,
			  strerror(errno));
		d->disc_pending = true; /* the next tick tries again */
		return;
	}
	d->disc_child = pid;
	nvmf_info("%s: connecting the subsystems of the discovery log "
		  "(connect-all, pid %d)",
		  d->name, (int)pid);
}

static void ctrl_fd_event(void *arg, uint32_t events)
{
	struct daemon *d = arg;

	(void)events;
	nvmf_ctrl_poll(d->ctrl, 0);
	ns_follow(d);
	disc_follow(d);
}

static void signal_event(void *arg, uint32_t events)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;
	unsigned int signo;

	(void)events;
	if (read(d->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	signo = si.ssi_signo;
	if (signo == SIGHUP) {
		/* a daemon's SIGHUP: reopen the log (logrotate), stay */
		if (d->args->log_file && nvmf_log_to_file(d->args->log_file))
			nvmf_warn("%s: SIGHUP: cannot reopen %s", d->name,
				  d->args->log_file);
		nvmf_info("%s: SIGHUP: log reopened; still connected", d->name);
		return;
	}
	nvmf_info("%s: signal %u: disconnecting", d->name, signo);
	nvmf_loop_stop(d->loop);
}

static void status_tick(void *arg)
{
	ns_follow(arg);
	disc_follow(arg);
	status_update(arg, false);
}

static void reactor_event(void *arg, enum nvmf_reactor_event ev,
			  const char *name)
{
	struct daemon *d = arg;

	if (ev == NVMF_REACTOR_RDMA_REMOVE)
		return;
	nvmf_info("%s: %s %s", d->name, nvmf_reactor_event_name(ev), name);
	nvmf_ctrl_kick(d->ctrl);
}

/*
 * Take the lowest free name nvmfN (mkdir is the lock), removing on the way
 * the entries of daemons that are gone, and lock the entry for the
 * daemon's life.
 */
static int claim_name(struct daemon *d, const char *run_dir)
{
	char base[512];
	int i;

	snprintf(base, sizeof(base), "%s/ctrl", run_dir);
	if ((mkdir(run_dir, 0755) && errno != EEXIST) ||
	    (mkdir(base, 0755) && errno != EEXIST))
		return -errno;
	for (i = 0; i < 1024; i++) {
		snprintf(d->name, sizeof(d->name), "nvmf%d", i);
		snprintf(d->state_dir, sizeof(d->state_dir), "%s/%s", base,
			 d->name);
		if (mkdir(d->state_dir, 0755)) {
			if (errno != EEXIST)
				return -errno;
			/* taken - unless by a daemon that is gone */
			if (!ctrl_entry_reap(d->state_dir))
				continue;
			if (mkdir(d->state_dir, 0755)) {
				if (errno != EEXIST)
					return -errno;
				continue;
			}
		}
		d->lock_fd = ctrl_lock_take(d->state_dir);
		if (d->lock_fd < 0) {
			rmdir(d->state_dir);
			return d->lock_fd;
		}
		return 0;
	}
	return -ENOSPC;
}

static void release_name(struct daemon *d)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/" CTRL_RECOVER_FILE, d->state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/status.json", d->state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock", d->state_dir);
	unlink(path);
	rmdir(d->state_dir);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	d->lock_fd = -1;
}

/*
 * The entry goes with the daemon - unless a recover failed before its
 * devices were handed over: they still wait, so the entry stays for
 * another try (a discovery controller has none: its entry goes).
 */
static void release_entry(struct daemon *d)
{
	if (d->recovering && d->nr_attach && !d->attached && !d->released) {
		if (d->lock_fd >= 0)
			close(d->lock_fd);
		d->lock_fd = -1;
		return;
	}
	release_name(d);
}

struct dup_check {
	const struct nvmf_trid *trid;
	char found[32];
};

static void dup_fn(const struct ctrl_status *s, void *arg)
{
	struct dup_check *dc = arg;
	const struct nvmf_trid *t = dc->trid;

	if (!strcmp(s->subnqn, t->subnqn) && !strcmp(s->traddr, t->traddr) &&
	    !strcmp(s->trsvcid, t->trsvcid[0] ? t->trsvcid : "4420") &&
	    !strcmp(s->host_traddr, t->host_traddr))
		snprintf(dc->found, sizeof(dc->found), "%s", s->name);
}

bool conn_connected(const struct conn_args *a, char *name, size_t len)
{
	struct dup_check dc = { .trid = &a->trid };

	if (!ctrl_status_each(a->run_dir, dup_fn, &dc) || !dc.found[0])
		return false;
	snprintf(name, len, "%s", dc.found);
	return true;
}

const struct nvmf_cmd *connect_cmd_get(void)
{
	return &connect_cmd;
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0)
		return -errno;
	d->sig_watch =
		nvmf_watch_add(d->loop, d->sig_fd, EPOLLIN, signal_event, d);
	return d->sig_watch ? 0 : -ENOMEM;
}

/* Write RUN_DIR/ctrl/NAME/recover.json atomically. */
static int recover_write(struct daemon *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *args = json_object_new_array();
	struct json_object *devs = json_object_new_array();
	char tmp[700], path[700];
	int i, ret = 0;

	for (i = 0; i < d->argc; i++)
		json_object_array_add(args, json_object_new_string(d->argv[i]));
	for (i = 0; i < d->nr_devs; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "nsid",
				       json_object_new_int64(d->devs[i].nsid));
		json_object_object_add(e, "index",
				       json_object_new_int(d->devs[i].index));
		json_object_object_add(
			e, "conns", json_object_new_int((int)d->devs[i].conns));
		json_object_array_add(devs, e);
	}
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "args", args);
	json_object_object_add(o, "devices", devs);
	snprintf(tmp, sizeof(tmp), "%s/." CTRL_RECOVER_FILE ".tmp",
		 d->state_dir);
	snprintf(path, sizeof(path), "%s/" CTRL_RECOVER_FILE, d->state_dir);
	if (json_object_to_file_ext(tmp, o,
				    JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE) ||
	    rename(tmp, path))
		ret = -EIO;
	json_object_put(o);
	return ret;
}

static int export_nbd(struct daemon *d, char *why, size_t whylen)
{
	struct conn_args *a = d->args;
	struct nvmf_nbd_conf conf = {
		.timeout = (unsigned int)a->nbd_timeout,
		.ctrl_loss_tmo = a->opts.ctrl_loss_tmo,
		.conns = (unsigned int)a->nbd_conns,
		.attach = d->attach,
		.nr_attach = d->nr_attach,
	};
	struct nvmf_ctrl_info info;
	char *p;
	int ret;

	nvmf_ctrl_get_info(d->ctrl, &info);
	snprintf(conf.ident, sizeof(conf.ident), "nvmf-%s", info.serial);
	/* a name for /dev/disk/by-id: no spaces or slashes */
	for (p = conf.ident; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-_", *p))
			*p = '_';
	while (p > conf.ident && p[-1] == '_')
		*--p = 0;
	d->mount[0] = 0;
	ret = nvmf_nbd_start(&d->nbd, d->ctrl, d->loop, d->name, &conf, why,
			     whylen);
	if (ret)
		return ret;
	d->attached = true;
	d->nr_devs = nvmf_nbd_devices(d->nbd, d->devs, NVMF_NBD_MAX_NS);
	ret = recover_write(d);
	if (ret)
		snprintf(why, whylen, "cannot write %.200s/" CTRL_RECOVER_FILE,
			 d->state_dir);
	return ret;
}

/*
 * recover: the block devices wait for this daemon as long as the
 * controller would have waited for its target, so a connect that fails is
 * tried again every reconnect-delay seconds until ctrl-loss-tmo (forever
 * for -1), as the dead daemon's controller would have done - unless a
 * signal says stop.
 */
/*
 * While recover retries, the entry is this daemon's: status.json says so
 * (state "recovering", the last error), not the dead daemon's "live".
 */
static void recover_status(struct daemon *d, int attempt, const char *why)
{
	char path[700], tmp[720];
	struct json_object *o;
	struct timespec ts;

	snprintf(path, sizeof(path), "%s/status.json", d->state_dir);
	o = json_object_from_file(path);
	if (!o)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "state",
			       json_object_new_string("recovering"));
	if (attempt == 1)
		json_object_object_add(
			o, "state_since_ms",
			json_object_new_int64((int64_t)ts.tv_sec * 1000 +
					      ts.tv_nsec / 1000000));
	json_object_object_add(o, "reconnect_attempts",
			       json_object_new_int(attempt));
	json_object_object_add(o, "last_error", json_object_new_string(why));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_object_to_file_ext(tmp, o,
				    JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE) ||
	    rename(tmp, path))
		nvmf_warn("%s: cannot write %s", d->name, path);
	json_object_put(o);
}

/* A signal stopped recover: as a disconnect, let the devices go. */
static void recover_release(struct daemon *d)
{
	char why[200];

	if (nvmf_nbd_release(d->attach, (int)d->nr_attach, why, sizeof(why)))
		nvmf_warn("%s: releasing the block devices: %s", d->name, why);
	else
		nvmf_info("%s: recover stopped: block devices released",
			  d->name);
	d->released = true;
}

static int recover_connect(struct daemon *d, char *why, size_t whylen)
{
	struct conn_args *a = d->args;
	struct pollfd pfd = { .fd = d->sig_fd, .events = POLLIN };
	uint64_t start = nvmf_now_ms(), limit;
	int ret, attempt = 0;

	limit = a->opts.ctrl_loss_tmo < 0 ?
			UINT64_MAX :
			(uint64_t)a->opts.ctrl_loss_tmo * 1000;
	for (;;) {
		why[0] = 0;
		ret = nvmf_ctrl_connect(&a->trid, &a->opts, &d->ctrl, why,
					whylen);
		attempt++;
		if (!ret || ret == -EINVAL ||
		    nvmf_now_ms() - start +
				    (uint64_t)a->opts.reconnect_delay * 1000 >
			    limit)
			return ret;
		if (!why[0])
			snprintf(why, whylen, "%s", strerror(-ret));
		nvmf_warn("%s: recover: connect attempt %d failed: %s; next in "
			  "%d s",
			  d->name, attempt, why, a->opts.reconnect_delay);
		recover_status(d, attempt, why);
		if (d->report_fd >= 0) {
			/* do not keep the caller for ctrl-loss-tmo */
			char msg[600];

			snprintf(msg, sizeof(msg),
				 "%s: not connected yet (%.300s); retrying "
				 "every %d s in the background %s (\"nvmf-host "
				 "list\" shows it)",
				 d->name, why, a->opts.reconnect_delay,
				 a->opts.ctrl_loss_tmo < 0 ?
					 "until disconnected" :
					 "until ctrl-loss-tmo");
			nvmf_daemon_report(&d->report_fd, true, msg);
		}
		if (poll(&pfd, 1, a->opts.reconnect_delay * 1000) > 0) {
			snprintf(why, whylen,
				 "stopped by a signal while "
				 "reconnecting");
			recover_release(d);
			return -EINTR;
		}
	}
}

static int serve(struct daemon *d, char *why, size_t whylen)
{
	struct conn_args *a = d->args;
	int ret;

	a->opts.poll = true;
	a->opts.event_cb = ctrl_event;
	a->opts.event_arg = d;
	ret = d->recovering ? recover_connect(d, why, whylen) :
			      nvmf_ctrl_connect(&a->trid, &a->opts, &d->ctrl,
						why, whylen);
	if (ret)
		return ret;
	snprintf(d->mount, sizeof(d->mount), "%s/%s", a->run_dir, d->name);
	if (a->mount)
		snprintf(d->mount, sizeof(d->mount), "%s", a->mount);
	d->ctrl_watch = nvmf_watch_add(d->loop, nvmf_ctrl_fd(d->ctrl), EPOLLIN,
				       ctrl_fd_event, d);
	d->status_timer = nvmf_timer_create(d->loop, status_tick, d);
	if (!d->ctrl_watch || !d->status_timer) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	if (d->discovery) /* no namespaces: nothing to export */
		ret = 0;
	else if (a->export_nbd)
		ret = export_nbd(d, why, whylen);
	else
		ret = nvmf_fuse_start(&d->fuse, d->ctrl, d->loop, d->mount,
				      d->name);
	if (ret) {
		if (!why[0])
			snprintf(why, whylen,
				 "cannot export the namespaces at %.200s: %s",
				 d->mount, strerror(-ret));
		return ret;
	}
	if (!a->no_udev) {
		d->reactor =
			nvmf_reactor_create(d->loop, NULL, reactor_event, d);
		if (!d->reactor)
			nvmf_warn("%s: no udev reactor: %s", d->name,
				  strerror(errno));
	}
	nvmf_timer_arm(d->status_timer, 1000, 1000);
	status_update(d, true);
	return 0;
}

static void shutdown_daemon(struct daemon *d)
{
	nvmf_reactor_destroy(d->reactor);
	nvmf_timer_destroy(d->status_timer);
	/* the kernel fails what is queued on the block devices */
	nvmf_nbd_stop(d->nbd);
	if (d->ctrl) {
		/* completes (or fails) every FUSE or NBD request first */
		nvmf_watch_del(d->ctrl_watch);
		d->stopping = true;
		nvmf_ctrl_disconnect(d->ctrl);
		d->ctrl = NULL;
	}
	nvmf_nbd_free(d->nbd);
	d->nbd = NULL;
	nvmf_fuse_stop(d->fuse);
	nvmf_watch_del(d->sig_watch);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	release_entry(d);
	nvmf_loop_destroy(d->loop);
}

static int parse(int argc, char **argv, struct conn_args *a, bool *dup)
{
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	int opt, ret;

	nvmf_args_build(&connect_cmd, longopts, shortopts);
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		ret = conn_opt(&connect_cmd, opt, optarg, a);
		if (ret < 0)
			return NVMF_EXIT_USAGE;
		if (ret)
			continue;
		switch (opt) {
		case 'n':
			if (strlen(optarg) >= sizeof(a->trid.subnqn)) {
				nvmf_args_error(&connect_cmd,
						"nqn is too long");
				return NVMF_EXIT_USAGE;
			}
			strcpy(a->trid.subnqn, optarg);
			break;
		case OPT_MOUNT:
			a->mount = optarg;
			break;
		case OPT_RUN_DIR:
			a->run_dir = optarg;
			break;
		case OPT_NO_UDEV:
			a->no_udev = true;
			break;
		case OPT_LOG_FILE:
			a->log_file = optarg;
			break;
		case OPT_FOREGROUND:
			a->foreground = true;
			break;
		case 'D':
			*dup = true;
			break;
		case 'h':
			nvmf_args_usage(&connect_cmd, stdout);
			exit(NVMF_EXIT_OK);
		default:
			return opt_error(&connect_cmd, opt, argv);
		}
	}
	if (optind < argc) {
		nvmf_args_error(&connect_cmd, "unexpected argument '%s'",
				argv[optind]);
		return NVMF_EXIT_USAGE;
	}
	return conn_args_check(&connect_cmd, a, true) ? NVMF_EXIT_USAGE : 0;
}

/* Daemonize (unless foreground), connect, serve until told to stop. */
static int run_daemon(struct daemon *d)
{
	struct conn_args *a = d->args;
	char why[256] = "", msg[600];
	int ret;

	d->report_fd = -1;
	if (!a->foreground &&
	    nvmf_daemonize("nvmf-host connect", &d->report_fd)) {
		release_entry(d);
		fprintf(stderr, "nvmf-host: cannot daemonize\n");
		return NVMF_EXIT_FAILURE;
	}
	nvmf_log_set_ident(d->name);
	if (a->log_file && nvmf_log_to_file(a->log_file))
		nvmf_warn("cannot log to %s", a->log_file);
	d->loop = nvmf_loop_create();
	ret = d->loop ? setup_signals(d) : -ENOMEM;
	if (!ret)
		ret = serve(d, why, sizeof(why));
	if (ret) {
		if (!why[0])
			snprintf(why, sizeof(why), "%s", strerror(-ret));
		snprintf(msg, sizeof(msg), "%s:%s: %s", a->trid.traddr,
			 a->trid.trsvcid[0] ? a->trid.trsvcid : "4420", why);
		nvmf_err("%s", msg);
		if (a->foreground)
			fprintf(stderr, "nvmf-host: %s\n", msg);
		nvmf_daemon_report(&d->report_fd, false, msg);
		shutdown_daemon(d);
		return NVMF_EXIT_FAILURE;
	}
	if (d->discovery) {
		/*
		 * recover.json (no devices) lets "nvmf-host recover" start a
		 * discovery daemon that died; the new one reads the log once,
		 * as what changed meanwhile raised no notice it could see.
		 */
		if (recover_write(d))
			nvmf_warn("%s: cannot write %s/" CTRL_RECOVER_FILE,
				  d->name, d->state_dir);
		d->disc_pending = d->recovering;
		nvmf_info("%s: live: a persistent discovery controller; new "
			  "subsystems in its log are connected",
			  d->name);
	} else if (d->nbd)
		nvmf_info("%s: live, %d block devices%s", d->name, d->nr_devs,
			  d->recovering ? " re-attached" : "");
	else
		nvmf_info("%s: live, namespaces in %s", d->name, d->mount);
	if (a->foreground) {
		printf("%s\n", d->name);
		fflush(stdout);
	}
	nvmf_daemon_report(&d->report_fd, true, d->name);
	nvmf_loop_run(d->loop);
	shutdown_daemon(d);
	return d->dead ? NVMF_EXIT_FAILURE : NVMF_EXIT_OK;
}

int cmd_connect(int argc, char **argv)
{
	struct conn_args a;
	struct daemon d = { .args = &a, .sig_fd = -1, .lock_fd = -1 };
	struct dup_check dc = { .trid = &a.trid };
	bool dup = false;
	int ret;

	conn_args_init(&a);
	ret = parse(argc, argv, &a, &dup);
	if (ret)
		return ret;
	if (!dup && ctrl_status_each(a.run_dir, dup_fn, &dc) && dc.found[0]) {
		fprintf(stderr,
			"nvmf-host connect: already connected to %s at "
			"%s:%s as %s (-D allows a duplicate)\n",
			a.trid.subnqn, a.trid.traddr,
			a.trid.trsvcid[0] ? a.trid.trsvcid : "4420", dc.found);
		return NVMF_EXIT_FAILURE;
	}
	ret = claim_name(&d, a.run_dir);
	if (ret) {
		fprintf(stderr, "nvmf-host connect: %s: %s\n", a.run_dir,
			strerror(-ret));
		return NVMF_EXIT_FAILURE;
	}
	d.argc = argc - 1;
	d.argv = argv + 1;
	d.discovery = !strcmp(a.trid.subnqn, NVMF_DISCOVERY_NQN);
	return run_daemon(&d);
}

/* ---- recover ------------------------------------------------------------- */

static const struct nvmf_opt recover_opts[] = {
	{ "run-dir", OPT_RUN_DIR, required_argument, "DIR",
	  "status directory (default " NVMF_HOST_RUN_DIR ")" },
	{ "foreground", OPT_FOREGROUND, no_argument, NULL,
	  "stay in the foreground, logging to stderr (for a supervisor)" },
	{ "wait", OPT_WAIT, no_argument, NULL,
	  "if the daemon runs, wait until it dies, then take over (exit 0 "
	  "if it was disconnected instead)" },
	NVMF_OPT_HELP,
	{ 0 },
};

static const struct nvmf_cmd recover_cmd = {
	.prog = "nvmf-host recover",
	.synopsis = "NAME [--foreground] [--wait]",
	.summary = "Start the daemon of controller NAME again after it died "
		   "(kill -9, OOM, a bug):\nconnect with the arguments it was "
		   "started with and re-attach its block devices,\nwhose "
		   "requests the kernel kept meanwhile.  Requests that were in "
		   "flight are sent\nagain once they time out "
		   "(--nbd-timeout): a write may reach the namespace twice,\n"
		   "with the same data.  As a supervisor "
		   "(nvmf-host-recover@NAME.service):\n"
		   "'recover --wait --foreground NAME' waits while the daemon "
		   "runs and takes over\nwhen it dies.  While the target "
		   "cannot be reached, the connect is retried\nevery "
		   "reconnect-delay until ctrl-loss-tmo; without --foreground "
		   "that goes on in\nthe background after the first failure "
		   "(\"recovering\" in list; disconnect stops it).\nA "
		   "persistent discovery controller (connect-all --persistent) "
		   "is connected again\nand reads its log once, connecting "
		   "what is not connected.",
	.opts = recover_opts,
};

/* Load NAME's recover.json: arguments into a (and d), devices into d. */
static int recover_load(struct daemon *d, struct conn_args *a, char ***argvp)
{
	struct json_object *o, *args, *devs;
	char path[700];
	int argc, i, ret;
	bool dup;

	snprintf(path, sizeof(path), "%s/" CTRL_RECOVER_FILE, d->state_dir);
	o = json_object_from_file(path);
	if (!o || !json_object_object_get_ex(o, "args", &args) ||
	    !json_object_object_get_ex(o, "devices", &devs) ||
	    !json_object_is_type(args, json_type_array) ||
	    !json_object_is_type(devs, json_type_array)) {
		fprintf(stderr, "nvmf-host recover: %s: missing or bad\n",
			path);
		json_object_put(o);
		return NVMF_EXIT_FAILURE;
	}
	argc = (int)json_object_array_length(args) + 1;
	*argvp = calloc((size_t)argc + 1, sizeof(char *));
	if (!*argvp) {
		json_object_put(o);
		return NVMF_EXIT_FAILURE;
	}
	(*argvp)[0] = strdup("connect");
	for (i = 1; i < argc; i++)
		(*argvp)[i] = strdup(json_object_get_string(
			json_object_array_get_idx(args, (size_t)i - 1)));
	json_object_put(o);
	ret = ctrl_recover_devices(d->state_dir, d->attach, NVMF_NBD_MAX_NS);
	d->nr_attach = ret > 0 ? (unsigned int)ret : 0;
	optind = 0; /* parse the saved arguments from the start */
	ret = parse(argc, *argvp, a, &dup);
	if (ret) {
		fprintf(stderr, "nvmf-host recover: %s: bad arguments\n", path);
		return ret;
	}
	d->argc = argc - 1;
	d->argv = *argvp + 1;
	return 0;
}

/*
 * Wait until the daemon of the entry at dir lets its lock go (exits or
 * dies).  Return: 0, or 1 if the entry is gone (disconnected).
 */
static int entry_wait(const char *dir)
{
	char path[700];
	int fd;

	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : 0;
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
	/* a flock of ours would make the entry look alive: let it go */
	close(fd);
	return access(dir, F_OK) ? 1 : 0;
}

int cmd_recover(int argc, char **argv)
{
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	const char *run_dir = NVMF_HOST_RUN_DIR, *name;
	struct conn_args a;
	struct daemon d = { .args = &a, .sig_fd = -1, .lock_fd = -1 };
	bool foreground = false, wait = false;
	char **saved = NULL;
	int opt, ret;

	nvmf_args_build(&recover_cmd, longopts, shortopts);
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		if (opt == OPT_RUN_DIR)
			run_dir = optarg;
		else if (opt == OPT_FOREGROUND)
			foreground = true;
		else if (opt == OPT_WAIT)
			wait = true;
		else if (opt == 'h') {
			nvmf_args_usage(&recover_cmd, stdout);
			return NVMF_EXIT_OK;
		} else
			return opt_error(&recover_cmd, opt, argv);
	}
	if (optind != argc - 1) {
		nvmf_args_error(&recover_cmd, "give one controller NAME");
		return NVMF_EXIT_USAGE;
	}
	name = argv[optind];
	if (!*name || strchr(name, '/') || strlen(name) >= sizeof(d.name) ||
	    name[0] == '.') {
		nvmf_args_error(&recover_cmd,
				"NAME '%s' is not a controller "
				"name (nvmfN)",
				name);
		return NVMF_EXIT_USAGE;
	}
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.state_dir, sizeof(d.state_dir), "%s/ctrl/%s", run_dir, name);
	d.lock_fd = ctrl_entry_take(d.state_dir);
	while (wait && d.lock_fd == -EBUSY) {
		/* sleep on the daemon's lock until it is released */
		if (entry_wait(d.state_dir)) {
			printf("%s: disconnected; nothing to recover\n", name);
			return NVMF_EXIT_OK;
		}
		d.lock_fd = ctrl_entry_take(d.state_dir);
		if (d.lock_fd == -ENOENT || d.lock_fd == -ENOMSG) {
			printf("%s: disconnected; nothing to recover\n", name);
			return NVMF_EXIT_OK;
		}
	}
	if (d.lock_fd < 0) {
		fprintf(stderr, "nvmf-host recover: %s: %s\n", name,
			d.lock_fd == -EBUSY ?
				"its daemon is running" :
			d.lock_fd == -ENOENT ?
				"no such controller" :
			d.lock_fd == -ENOMSG ?
				"nothing to recover (not exported "
				"as block devices)" :
				strerror(-d.lock_fd));
		return NVMF_EXIT_FAILURE;
	}
	conn_args_init(&a);
	ret = recover_load(&d, &a, &saved);
	if (!ret) {
		a.run_dir = run_dir;
		a.foreground = foreground;
		d.recovering = true;
		d.discovery = !strcmp(a.trid.subnqn, NVMF_DISCOVERY_NQN);
		ret = run_daemon(&d);
	} else {
		release_entry(&d);
	}
	for (int i = 0; saved && saved[i]; i++)
		free(saved[i]);
	free(saved);
	return ret;
}

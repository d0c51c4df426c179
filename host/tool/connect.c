// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-host connect: connect a controller and serve its namespaces as
 * files until it is disconnected (SIGTERM, "nvmf-host disconnect") or
 * deleted (ctrl_loss_tmo).  One daemon per controller; its state is in
 * RUN_DIR/ctrl/NAME/status.json, its files in the mount directory
 * (default RUN_DIR/NAME/nNSID).
 *
 * The daemon drives the controller in the library's poll mode from its
 * own loop, which also serves FUSE, signals, and the udev reactor: an
 * RDMA device added or a network interface changing makes a reconnecting
 * controller try again at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
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
	{ "mount", OPT_MOUNT, required_argument, "DIR",
	  "where the namespace files appear (default RUN_DIR/NAME)" },
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
		   "as files (FUSE).\nPrints the controller name once it is "
		   "live and the files exist.  The controller\nsurvives RDMA "
		   "device resets: it reconnects every reconnect-delay "
		   "seconds until\nctrl-loss-tmo; I/O waits meanwhile.",
	.opts = connect_opts,
};

struct daemon {
	struct conn_args *args;
	struct nvmf_loop *loop;
	struct nvmf_ctrl *ctrl;
	struct nvmf_fuse *fuse;
	struct nvmf_reactor *reactor;
	struct nvmf_watch *ctrl_watch;
	struct nvmf_watch *sig_watch;
	struct nvmf_timer *status_timer;
	struct nvmf_ctrl_info last;
	char name[32];
	char state_dir[600];
	char mount[512];
	int sig_fd;
	int lock_fd; /* flock on state_dir/lock, held for the daemon's life */
	bool dead;
	bool stopping;
};

static void status_update(struct daemon *d, bool force)
{
	struct nvmf_ctrl_info info;

	if (!d->ctrl)
		return;
	nvmf_ctrl_get_info(d->ctrl, &info);
	if (!force && !memcmp(&info, &d->last, sizeof(info)))
		return;
	d->last = info;
	if (ctrl_status_write(d->state_dir, d->name, d->mount, d->ctrl))
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
	status_update(d, true);
	if (info.state == NVMF_CTRL_DEAD && !d->dead) {
		d->dead = true;
		nvmf_err("%s: controller deleted: %s; removing its files",
			 d->name, info.last_error);
		nvmf_loop_stop(d->loop);
	}
}

static void ctrl_fd_event(void *arg, uint32_t events)
{
	struct daemon *d = arg;

	(void)events;
	nvmf_ctrl_poll(d->ctrl, 0);
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
	nvmf_info("%s: signal %u: disconnecting", d->name, signo);
	nvmf_loop_stop(d->loop);
}

static void status_tick(void *arg)
{
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

	snprintf(path, sizeof(path), "%s/status.json", d->state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock", d->state_dir);
	unlink(path);
	rmdir(d->state_dir);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	d->lock_fd = -1;
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

static int serve(struct daemon *d, char *why, size_t whylen)
{
	struct conn_args *a = d->args;
	int ret;

	a->opts.poll = true;
	a->opts.event_cb = ctrl_event;
	a->opts.event_arg = d;
	ret = nvmf_ctrl_connect(&a->trid, &a->opts, &d->ctrl, why, whylen);
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
	ret = nvmf_fuse_start(&d->fuse, d->ctrl, d->loop, d->mount, d->name);
	if (ret) {
		snprintf(why, whylen,
			 "cannot export the namespaces at %.200s: %s", d->mount,
			 strerror(-ret));
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
	if (d->ctrl) {
		/* completes (or fails) every FUSE request first */
		nvmf_watch_del(d->ctrl_watch);
		d->stopping = true;
		nvmf_ctrl_disconnect(d->ctrl);
		d->ctrl = NULL;
	}
	nvmf_fuse_stop(d->fuse);
	nvmf_watch_del(d->sig_watch);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	release_name(d);
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

int cmd_connect(int argc, char **argv)
{
	struct conn_args a;
	struct daemon d = { .args = &a, .sig_fd = -1, .lock_fd = -1 };
	struct dup_check dc = { .trid = &a.trid };
	char why[256] = "", msg[600];
	int report_fd = -1, ret;
	bool dup = false;

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
	if (!a.foreground && nvmf_daemonize("nvmf-host connect", &report_fd)) {
		release_name(&d);
		fprintf(stderr, "nvmf-host connect: cannot daemonize\n");
		return NVMF_EXIT_FAILURE;
	}
	nvmf_log_set_ident(d.name);
	if (a.log_file && nvmf_log_to_file(a.log_file))
		nvmf_warn("cannot log to %s", a.log_file);
	d.loop = nvmf_loop_create();
	ret = d.loop ? setup_signals(&d) : -ENOMEM;
	if (!ret)
		ret = serve(&d, why, sizeof(why));
	if (ret) {
		if (!why[0])
			snprintf(why, sizeof(why), "%s", strerror(-ret));
		snprintf(msg, sizeof(msg), "%s:%s: %s", a.trid.traddr,
			 a.trid.trsvcid[0] ? a.trid.trsvcid : "4420", why);
		nvmf_err("%s", msg);
		if (a.foreground)
			fprintf(stderr, "nvmf-host connect: %s\n", msg);
		nvmf_daemon_report(&report_fd, false, msg);
		shutdown_daemon(&d);
		return NVMF_EXIT_FAILURE;
	}
	nvmf_info("%s: live, namespaces in %s", d.name, d.mount);
	if (a.foreground) {
		printf("%s\n", d.name);
		fflush(stdout);
	}
	nvmf_daemon_report(&report_fd, true, d.name);
	nvmf_loop_run(d.loop);
	shutdown_daemon(&d);
	return d.dead ? NVMF_EXIT_FAILURE : NVMF_EXIT_OK;
}

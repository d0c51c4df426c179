// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt: NVMe over Fabrics target daemon (RDMA and TCP).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "args.h"
#include "configfs.h"
#include "daemon.h"
#include "log.h"
#include "rdma_dev.h"
#include "nvmet.h"
#include "reactor.h"
#include "reload.h"
#include "save.h"

#define SHUTDOWN_TIMEOUT_MS 5000
/*
 * After a udev event, retry repairing ports every BURST_PERIOD_MS for
 * BURST_TRIES times: a device that was just added may need a moment
 * before its addresses can be bound.
 */
#define BURST_PERIOD_MS 100
#define BURST_TRIES	30

enum {
	OPT_LOG_LEVEL = 256,
	OPT_REPAIR_INTERVAL,
	OPT_THREADS,
	OPT_RUN_DIR,
	OPT_NO_UDEV,
	OPT_CONFIGFS,
	OPT_MAX_QUEUES,
	OPT_MAX_HOST_QUEUES,
	OPT_MAX_CONNECTING,
	OPT_CONNECT_TIMEOUT,
	OPT_SAVE,
	OPT_POLL_US,
	OPT_SRQ_SIZE,
};

static const struct nvmf_opt tgt_opts[] = {
	{ "config", 'c', required_argument, "FILE",
	  "configuration in nvmetcli's JSON format; SIGHUP reads it again "
	  "and applies the difference live" },
	{ "configfs", OPT_CONFIGFS, required_argument, "DIR",
	  "mount a configfs-compatible tree on DIR (FUSE): the kernel's nvmet "
	  "layout, changes take effect live, ports show their state" },
	{ "save", OPT_SAVE, required_argument, "FILE",
	  "with --configfs: restore FILE into the tree at start (if it "
	  "exists) and save every change made through the tree to it, "
	  "atomically, with nvmetcli" },
	{ "threads", OPT_THREADS, required_argument, "N",
	  "worker threads for the data path (default: CPUs, 1..64)" },
	{ "poll-us", OPT_POLL_US, required_argument, "US",
	  "hybrid polling: after activity a worker polls its completion "
	  "queues (RDMA) and looks at its sockets (TCP) for up to US "
	  "microseconds before it sleeps, less while polling finds nothing "
	  "(default 0: off; 0..1000)" },
	{ "srq-size", OPT_SRQ_SIZE, required_argument, "N",
	  "RDMA: a worker's queues on a device receive command capsules "
	  "into one shared receive queue, set up and grown N buffers at a "
	  "time so that it always holds their queue sizes added up; a new "
	  "queue then sets up no receive buffers of its own; after a "
	  "device reset a port bound to its address grows them back before "
	  "the hosts reconnect (default 1024; 0: each queue has hsqsize + 1 "
	  "of its own; 16..65536)" },
	{ "log-level", OPT_LOG_LEVEL, required_argument, "LEVEL",
	  "error, warn, info (default) or debug" },
	{ "repair-interval", OPT_REPAIR_INTERVAL, required_argument, "S",
	  "retry a lost listener every S seconds (default 5)" },
	{ "run-dir", OPT_RUN_DIR, required_argument, "DIR",
	  "port state files in DIR/ports/ID/ (default /run/nvmf-tgt; "
	  "'' for none)" },
	{ "max-queues", OPT_MAX_QUEUES, required_argument, "N",
	  "accept at most N queues (connections) in all (default 4096)" },
	{ "max-host-queues", OPT_MAX_HOST_QUEUES, required_argument, "N",
	  "and at most N from one host address (default 1024)" },
	{ "max-connecting", OPT_MAX_CONNECTING, required_argument, "N",
	  "and at most N that have not sent their Connect yet (default 128)" },
	{ "connect-timeout", OPT_CONNECT_TIMEOUT, required_argument, "S",
	  "disconnect a new queue without a Connect after S seconds "
	  "(default 10; 0: never)" },
	{ "no-udev", OPT_NO_UDEV, no_argument, NULL,
	  "do not repair ports on udev events (RDMA device added, link "
	  "up) or IP addresses added" },
	{ "foreground", 'f', no_argument, NULL,
	  "stay in the foreground (the default is to daemonize)" },
	NVMF_OPT_HELP,
	{ 0 },
};

static const struct nvmf_cmd tgt_cmd = {
	.prog = "nvmf-tgt",
	.synopsis = "-c FILE | --configfs DIR [--save FILE] [options]",
	.summary = "NVMe over Fabrics target (RDMA and TCP). Serves the "
		   "subsystems, "
		   "namespaces and ports of FILE\n(the format nvmetcli saves) "
		   "or of the tree in DIR (configured like /sys/kernel/config/"
		   "nvmet;\nwith both, the tree starts with FILE's contents) "
		   "to NVMe-oF hosts such as the kernel's nvme-rdma and "
		   "nvme-tcp.\n"
		   "As a daemon (the default) it logs to syslog; in the "
		   "foreground, to stderr.",
	.opts = tgt_opts,
};

struct tgt_opts {
	const char *config;
	const char *configfs;
	const char *save;
	const char *run_dir;
	long threads;
	long poll_us;
	long srq_size;
	long repair_s;
	struct nvmet_limits limits;
	bool foreground;
	bool no_udev;
};

static int parse_args(int argc, char **argv, struct tgt_opts *o)
{
	static const char *const levels[] = { "error", "warn", "info", "debug",
					      NULL };
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	int c, idx;
	long v;

	nvmf_args_build(&tgt_cmd, longopts, shortopts);
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case OPT_THREADS:
			if (nvmf_parse_long(&tgt_cmd, "threads", optarg, 1, 64,
					    &o->threads))
				return -EINVAL;
			break;
		case OPT_POLL_US:
			if (nvmf_parse_long(&tgt_cmd, "poll-us", optarg, 0,
					    1000, &o->poll_us))
				return -EINVAL;
			break;
		case OPT_SRQ_SIZE:
			if (nvmf_parse_long(&tgt_cmd, "srq-size", optarg, 0,
					    65536, &o->srq_size))
				return -EINVAL;
			if (o->srq_size && o->srq_size < 16) {
				nvmf_args_error(
					&tgt_cmd,
					"--srq-size: '%s' is not 0 or an "
					"integer in 16..65536",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_LOG_LEVEL:
			if (nvmf_parse_choice(&tgt_cmd, "log-level", optarg,
					      levels, &idx))
				return -EINVAL;
			nvmf_log_set_level(idx);
			break;
		case OPT_REPAIR_INTERVAL:
			if (nvmf_parse_long(&tgt_cmd, "repair-interval", optarg,
					    1, 3600, &o->repair_s))
				return -EINVAL;
			break;
		case OPT_RUN_DIR:
			o->run_dir = optarg;
			break;
		case OPT_NO_UDEV:
			o->no_udev = true;
			break;
		case OPT_CONFIGFS:
			o->configfs = optarg;
			break;
		case OPT_SAVE:
			if (!optarg[0]) {
				nvmf_args_error(&tgt_cmd,
						"--save: an empty file name");
				return -EINVAL;
			}
			o->save = optarg;
			break;
		case OPT_MAX_QUEUES:
			if (nvmf_parse_long(&tgt_cmd, "max-queues", optarg, 1,
					    1 << 20, &v))
				return -EINVAL;
			o->limits.max_queues = (unsigned int)v;
			break;
		case OPT_MAX_HOST_QUEUES:
			if (nvmf_parse_long(&tgt_cmd, "max-host-queues", optarg,
					    1, 1 << 20, &v))
				return -EINVAL;
			o->limits.max_host_queues = (unsigned int)v;
			break;
		case OPT_MAX_CONNECTING:
			if (nvmf_parse_long(&tgt_cmd, "max-connecting", optarg,
					    1, 1 << 20, &v))
				return -EINVAL;
			o->limits.max_connecting = (unsigned int)v;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (nvmf_parse_long(&tgt_cmd, "connect-timeout", optarg,
					    0, 3600, &v))
				return -EINVAL;
			o->limits.connect_timeout_ms = (unsigned int)v * 1000;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'h':
			nvmf_args_usage(&tgt_cmd, stdout);
			exit(NVMF_EXIT_OK);
		case ':':
			nvmf_args_error(&tgt_cmd, "%s needs a value",
					argv[optind - 1]);
			return -EINVAL;
		default:
			nvmf_args_error(&tgt_cmd, "unknown option '%s'",
					argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		nvmf_args_error(&tgt_cmd, "unexpected argument '%s'",
				argv[optind]);
		return -EINVAL;
	}
	if (!o->config && !o->configfs) {
		nvmf_args_error(
			&tgt_cmd,
			"missing -c FILE or --configfs DIR (see --help)");
		return -EINVAL;
	}
	if (o->save && !o->configfs) {
		nvmf_args_error(
			&tgt_cmd,
			"--save '%s' needs --configfs DIR: only changes "
			"made through the tree are saved",
			o->save);
		return -EINVAL;
	}
	if (o->save && o->config) {
		nvmf_args_error(&tgt_cmd,
				"-c '%s' and --save '%s': use one (--save "
				"restores its file at start)",
				o->config, o->save);
		return -EINVAL;
	}
	return 0;
}

/* ---- workers ---------------------------------------------------------------- */

static void *worker_main(void *arg)
{
	struct nvmet_worker *w = arg;

	nvmf_loop_run(w->loop);
	return NULL;
}

static int start_workers(struct nvmet_tgt *tgt, int n)
{
	int i, ret;

	tgt->workers = calloc(n, sizeof(*tgt->workers));
	if (!tgt->workers)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct nvmet_worker *w = &tgt->workers[i];

		w->tgt = tgt;
		w->index = i;
		w->loop = nvmf_loop_create();
		if (!w->loop)
			return -errno;
		ret = nvmet_worker_ring_init(w);
		if (ret) {
			nvmf_err("worker %d: io_uring: %s", i, strerror(-ret));
			nvmf_loop_destroy(w->loop);
			w->loop = NULL;
			return ret;
		}
		nvmet_worker_poll_init(w, tgt->poll_us);
		ret = pthread_create(&w->thread, NULL, worker_main, w);
		if (ret) {
			nvmet_worker_ring_exit(w);
			nvmf_loop_destroy(w->loop);
			w->loop = NULL;
			return -ret;
		}
		tgt->nr_workers = i + 1;
	}
	return 0;
}

static void worker_exit(void *arg)
{
	struct nvmet_worker *w = arg;

	nvmet_worker_ring_exit(w);
	nvmf_loop_stop(w->loop);
}

static void stop_workers(struct nvmet_tgt *tgt)
{
	int i;

	for (i = 0; i < tgt->nr_workers; i++)
		nvmf_loop_post(tgt->workers[i].loop, worker_exit,
			       &tgt->workers[i]);
	for (i = 0; i < tgt->nr_workers; i++) {
		pthread_join(tgt->workers[i].thread, NULL);
		nvmf_loop_destroy(tgt->workers[i].loop);
	}
	free(tgt->workers);
	tgt->workers = NULL;
	tgt->nr_workers = 0;
}

/* ---- ports ------------------------------------------------------------------- */

/* Return: how many ports are still repairing. */
static int repair_ports(struct nvmet_tgt *tgt)
{
	struct nvmet_port *p;
	int n = 0;

	nvmet_model_lock(tgt);
	TAILQ_FOREACH(p, &tgt->ports, link) {
		if (p->state != NVMET_PORT_REPAIRING)
			continue;
		nvmet_port_enable(p, true);
		n += p->state == NVMET_PORT_REPAIRING;
	}
	nvmet_model_unlock(tgt);
	return n;
}

/* Start: enable the ports that have subsystems; link-time from now on. */
static void ports_start(struct nvmet_tgt *tgt)
{
	struct nvmet_port *p;

	nvmet_model_lock(tgt);
	tgt->started = true;
	TAILQ_FOREACH(p, &tgt->ports, link)
		if (nvmet_port_enabled(p))
			nvmet_port_enable(p, true);
	nvmet_model_unlock(tgt);
}

static void repair_timer(void *arg)
{
	repair_ports(arg);
}

static void ports_disable(struct nvmet_tgt *tgt)
{
	struct nvmet_port *p;

	nvmet_model_lock(tgt);
	tgt->started = false;
	TAILQ_FOREACH(p, &tgt->ports, link)
		nvmet_port_disable(p, "shutting down");
	nvmet_model_unlock(tgt);
}

/* ---- signals and shutdown ------------------------------------------------------ */

struct tgt_main {
	struct nvmet_tgt tgt;
	int sigfd;
	struct nvmf_watch *sig_watch;
	struct nvmf_timer *repair;
	struct nvmf_timer *burst;
	int burst_left;
	struct nvmf_reactor *reactor;
	struct nvmet_configfs *configfs;
	struct nvmet_save *save;
	struct nvmet_reload *reload;
	const char *config; /* -c, absolute: SIGHUP reloads it */
	int *report_fd;
	int status; /* the exit status of run() */
	struct nvmf_timer *shutdown;
	uint64_t shutdown_start;
	bool stopping;
	struct nvmf_timer *stats;
	uint64_t stats_last[NVMET_STATS_LAST_NR];
	bool stats_warned;
};

/*
 * RUN_DIR/stats.json, 4 times a second while the counters change; and the
 * grace rounds that free retired namespaces
 */
static void stats_timer(void *arg)
{
	struct tgt_main *m = arg;
	int ret = nvmet_stats_write(&m->tgt, m->stats_last);

	nvmet_grace_poll(&m->tgt);
	if (ret < 0 && !m->stats_warned) {
		nvmf_warn("cannot write %s/stats.json: %s", m->tgt.run_dir,
			  strerror(-ret));
		m->stats_warned = true;
	}
}

static void burst_timer(void *arg)
{
	struct tgt_main *m = arg;

	if (!repair_ports(&m->tgt) || --m->burst_left <= 0)
		nvmf_timer_disarm(m->burst);
}

/*
 * udev: a device was added or a link changed; rtnetlink: an address was
 * added (a TCP port's).  Repair without waiting.
 */
static void reactor_event(void *arg, enum nvmf_reactor_event ev,
			  const char *name)
{
	struct tgt_main *m = arg;
	struct nvmet_port *p;
	int repairing = 0;

	if (ev == NVMF_REACTOR_RDMA_REMOVE || m->stopping)
		return;
	TAILQ_FOREACH(p, &m->tgt.ports, link)
		repairing += p->state == NVMET_PORT_REPAIRING;
	if (!repairing)
		return;
	nvmf_info("%s: %s %s: repairing %d port(s) now",
		  ev == NVMF_REACTOR_ADDR_ADD ? "rtnetlink" : "udev",
		  nvmf_reactor_event_name(ev), name, repairing);
	m->burst_left = BURST_TRIES;
	nvmf_timer_arm(m->burst, 0, BURST_PERIOD_MS);
}

static void shutdown_poll(void *arg)
{
	struct tgt_main *m = arg;

	if (nvmet_transports_idle(&m->tgt) ||
	    nvmf_now_ms() - m->shutdown_start > SHUTDOWN_TIMEOUT_MS) {
		if (!nvmet_transports_idle(&m->tgt))
			nvmf_warn("queues still connected after %d ms",
				  SHUTDOWN_TIMEOUT_MS);
		nvmf_loop_stop(m->tgt.loop);
	}
}

/* SIGHUP: read -c again and apply what changed; a bad file changes nothing. */
static void reload(struct tgt_main *m)
{
	struct nvmf_cfg *cfg;
	int changes, failures;
	char err[512];

	if (!m->config) {
		nvmf_warn("SIGHUP: no -c file to reload: the tree is the "
			  "configuration (nvmetcli restore replaces it)");
		return;
	}
	nvmf_info("SIGHUP: reloading %s", m->config);
	if (nvmf_cfg_load(m->config, &cfg, err, sizeof(err))) {
		nvmf_err("reload: %s; nothing changed", err);
		return;
	}
	failures = nvmet_reload_apply(m->reload, cfg, &changes);
	nvmf_cfg_free(cfg);
	if (failures)
		nvmf_err(
			"reload: %d change(s) applied, %d could not be (above)",
			changes, failures);
	else
		nvmf_info("reload: %d change(s) applied", changes);
}

static void signal_cb(void *arg, uint32_t events)
{
	struct tgt_main *m = arg;
	struct signalfd_siginfo si;

	(void)events;
	if (read(m->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		/* never fatal: hosts stay connected */
		if (!m->stopping)
			reload(m);
		return;
	}
	if (m->stopping)
		return;
	m->stopping = true;
	nvmf_info("%s: shutting down", strsignal((int)si.ssi_signo));
	nvmf_timer_disarm(m->repair);
	nvmf_timer_disarm(m->burst);
	/* the last change reaches the file before the tree goes */
	nvmet_save_flush(m->save, SHUTDOWN_TIMEOUT_MS);
	nvmet_configfs_close(m->configfs);
	ports_disable(&m->tgt);
	nvmet_transports_disconnect_all(&m->tgt);
	m->shutdown_start = nvmf_now_ms();
	nvmf_timer_arm(m->shutdown, 0, 50);
}

static int setup_signals(struct tgt_main *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sigfd < 0)
		return -errno;
	m->sig_watch =
		nvmf_watch_add(m->tgt.loop, m->sigfd, EPOLLIN, signal_cb, m);
	return m->sig_watch ? 0 : -errno;
}

/* Why the daemon could not start, for the parent to print. */
static char start_error[256] = "cannot start (see the system log)";

/* Serving: tell the parent (daemon) or systemd (Type=notify). */
static void ready(struct tgt_main *m)
{
	struct nvmet_tgt *tgt = &m->tgt;

	nvmf_info("running: %d subsystems, %d ports, %d workers%s",
		  tgt->nr_subsys, tgt->nr_ports, tgt->nr_workers,
		  tgt->poll_us ? " (hybrid polling)" : "");
	nvmf_daemon_report(m->report_fd, true, NULL);
	nvmf_notify("READY=1");
}

/* --save: the file is restored into the tree (or could not be). */
static void restored(void *arg, int status)
{
	struct tgt_main *m = arg;

	m->tgt.restoring = false;
	if (!status) {
		ready(m);
		return;
	}
	if (m->stopping)
		return;
	snprintf(start_error, sizeof(start_error),
		 "--save: cannot restore the saved configuration (see the "
		 "log); the file was not changed");
	m->status = -EINVAL;
	nvmf_loop_stop(m->tgt.loop);
}

static void save_changed(void *arg)
{
	struct tgt_main *m = arg;

	nvmet_save_changed(m->save);
}

static int run(struct tgt_main *m, const struct tgt_opts *o, int *report_fd)
{
	struct nvmet_tgt *tgt = &m->tgt;
	int ret;

	tgt->loop = nvmf_loop_create();
	if (!tgt->loop)
		return -errno;
	ret = setup_signals(m);
	if (!ret)
		ret = start_workers(tgt, (int)o->threads);
	if (!ret)
		ret = nvmet_transports_init(tgt);
	if (ret) {
		snprintf(start_error, sizeof(start_error), "cannot start: %s",
			 strerror(-ret));
		nvmf_err("%s", start_error);
		goto out_workers;
	}
	m->reload = nvmet_reload_create(tgt);
	if (!m->reload) {
		ret = -ENOMEM;
		snprintf(start_error, sizeof(start_error), "out of memory");
		goto out_transports;
	}
	m->repair = nvmf_timer_create(tgt->loop, repair_timer, tgt);
	m->burst = nvmf_timer_create(tgt->loop, burst_timer, m);
	m->shutdown = nvmf_timer_create(tgt->loop, shutdown_poll, m);
	m->stats = nvmf_timer_create(tgt->loop, stats_timer, m);
	if (m->stats)
		nvmf_timer_arm(m->stats, 250, 250);
	m->stats_last[0] = UINT64_MAX; /* the first tick writes the file */
	if (!o->no_udev) {
		m->reactor =
			nvmf_reactor_create(tgt->loop, NULL, reactor_event, m);
		if (!m->reactor)
			nvmf_warn(
				"no udev reactor (%s): ports are repaired every %ld s only",
				strerror(errno), o->repair_s);
	}
	if (o->configfs) {
		ret = nvmet_configfs_start(tgt, o->configfs, &m->configfs,
					   start_error, sizeof(start_error));
		if (ret) {
			nvmf_err("%s", start_error);
			goto out_stop;
		}
	}
	if (o->save) {
		m->save = nvmet_save_create(tgt->loop, o->save, o->configfs,
					    start_error, sizeof(start_error));
		if (!m->save) {
			nvmf_err("%s", start_error);
			ret = -EINVAL;
			goto out_configfs;
		}
		nvmet_configfs_on_change(m->configfs, save_changed, m);
	}
	ports_start(tgt);
	nvmf_timer_arm(m->repair, (uint64_t)o->repair_s * 1000,
		       (uint64_t)o->repair_s * 1000);
	m->report_fd = report_fd;
	if (m->save) {
		m->tgt.restoring = true;
		nvmet_save_restore(m->save, restored, m);
	} else
		ready(m);
	ret = nvmf_loop_run(tgt->loop);
	if (!ret)
		ret = m->status;
	nvmf_notify("STOPPING=1");
	nvmet_save_destroy(m->save);
out_configfs:
	nvmet_configfs_destroy(m->configfs);

out_stop:
	nvmf_reactor_destroy(m->reactor);
	nvmf_timer_destroy(m->repair);
	nvmf_timer_destroy(m->burst);
	nvmf_timer_destroy(m->shutdown);
	nvmf_timer_destroy(m->stats);
out_transports:
	nvmet_transports_exit(tgt);
out_workers:
	stop_workers(tgt);
	nvmet_reload_destroy(m->reload);
	nvmf_watch_del(m->sig_watch);
	close(m->sigfd);
	nvmf_loop_destroy(tgt->loop);
	return ret;
}

int main(int argc, char **argv)
{
	struct tgt_opts o = { .repair_s = 5,
			      .srq_size = NVMET_RDMA_SRQ_SIZE,
			      .run_dir = "/run/nvmf-tgt" };
	static struct tgt_main m;
	struct nvmf_cfg *cfg = NULL;
	char err[512];
	int ret, report_fd = -1;
	long cpus;

	if (nvmf_args_version("nvmf-tgt", argc, argv))
		return NVMF_EXIT_OK;
	nvmf_log_set_ident("nvmf-tgt");
	nvmet_limits_default(&o.limits);
	if (parse_args(argc, argv, &o))
		return NVMF_EXIT_USAGE;
	nvmf_rdma_load_modules(); /* before any RDMA object: it forks */
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (!o.threads)
		o.threads = cpus > 0 && cpus < 64 ? cpus : 1;
	if (o.config && nvmf_cfg_load(o.config, &cfg, err, sizeof(err))) {
		fprintf(stderr, "nvmf-tgt: %s\n", err);
		return NVMF_EXIT_USAGE;
	}
	if (o.config) {
		m.config = realpath(o.config, NULL);
		if (!m.config) {
			fprintf(stderr, "nvmf-tgt: -c '%s': %s\n", o.config,
				strerror(errno));
			nvmf_cfg_free(cfg);
			return NVMF_EXIT_USAGE;
		}
	}
	m.tgt.repair_interval_ms = (unsigned int)o.repair_s * 1000;
	m.tgt.poll_us = (unsigned int)o.poll_us;
	m.tgt.srq_size = (unsigned int)o.srq_size;
	m.tgt.run_dir = o.run_dir && !o.run_dir[0] ? NULL : o.run_dir;
	m.tgt.transports = nvmet_transports;
	snprintf(err, sizeof(err), "out of memory");
	ret = nvmet_tgt_init(&m.tgt);
	m.tgt.limits = o.limits;
	if (ret || (cfg && nvmet_tgt_apply(&m.tgt, cfg, err, sizeof(err)))) {
		fprintf(stderr, "nvmf-tgt: %s\n", err);
		nvmet_tgt_release(&m.tgt);
		nvmf_cfg_free(cfg);
		return NVMF_EXIT_USAGE;
	}
	if (!o.foreground && nvmf_daemonize("nvmf-tgt", &report_fd)) {
		fprintf(stderr, "nvmf-tgt: cannot daemonize: %s\n",
			strerror(errno));
		return NVMF_EXIT_FAILURE;
	}
	ret = run(&m, &o, &report_fd);
	nvmf_daemon_report(&report_fd, false, start_error);
	nvmet_tgt_release(&m.tgt);
	nvmf_cfg_free(cfg);
	free((char *)m.config);
	nvmf_info("exited%s", ret ? " with an error" : "");
	return ret ? NVMF_EXIT_FAILURE : NVMF_EXIT_OK;
}

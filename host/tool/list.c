// SPDX-License-Identifier: GPL-2.0
/*
 * Controller status files (written by each connect daemon) and the
 * commands that read them: list, disconnect, disconnect-all.
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "tool.h"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif
/* an entry without a lock this old was left by a connect that died */
#define CLAIM_GRACE_S 60

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/* "stats": the library's data path counters */
static void stats_json(struct json_object *o, struct nvmf_ctrl *ctrl)
{
	struct json_object *s = json_object_new_object();
	uint64_t v[NVMF_STAT_NR];
	int i;

	nvmf_ctrl_get_stats(ctrl, v, NVMF_STAT_NR);
	for (i = 0; i < NVMF_STAT_NR; i++)
		add_int(s, nvmf_ctrl_stat_name(i), (int64_t)v[i]);
	json_object_object_add(o, "stats", s);
}

/* "block_devices": what their requests cost the daemon */
static void nbd_stats_json(struct json_object *o,
			   const struct nvmf_nbd_stats *st)
{
	struct json_object *s = json_object_new_object();

	add_int(s, "requests", (int64_t)st->requests);
	add_int(s, "socket_events", (int64_t)st->socket_events);
	add_int(s, "recv_calls", (int64_t)st->recv_calls);
	add_int(s, "send_calls", (int64_t)st->send_calls);
	json_object_object_add(o, "block_devices", s);
}

static struct json_object *status_json(const char *name, const char *mount,
				       struct nvmf_ctrl *ctrl,
				       const struct nvmf_nbd_attach *devs,
				       int nr_devs,
				       const struct nvmf_nbd_stats *nbd)
{
	const struct nvmf_trid *t = nvmf_ctrl_trid(ctrl);
	struct json_object *o = json_object_new_object(), *arr;
	struct nvmf_ns_info ns[64];
	struct nvmf_ctrl_info i;
	char file[600];
	int k, n;

	nvmf_ctrl_get_info(ctrl, &i);
	add_str(o, "name", name);
	add_int(o, "pid", getpid());
	add_str(o, "subnqn", t->subnqn);
	add_str(o, "trtype", t->trtype);
	add_str(o, "traddr", t->traddr);
	add_str(o, "trsvcid", t->trsvcid);
	add_str(o, "host_traddr", t->host_traddr);
	add_str(o, "mount", mount);
	add_str(o, "export", devs ? "nbd" : "fuse");
	add_str(o, "state", nvmf_ctrl_state_name(i.state));
	add_int(o, "state_since_ms", (int64_t)i.state_since_real);
	add_int(o, "cntlid", i.cntlid);
	add_int(o, "nr_io_queues", i.nr_io_queues);
	add_int(o, "reconnects", i.reconnects);
	add_int(o, "reconnect_attempts", i.reconnect_attempts);
	add_int(o, "total_attempts", i.total_attempts);
	json_object_object_add(o, "fail_fast",
			       json_object_new_boolean(i.fail_fast));
	add_str(o, "last_error", i.last_error);
	add_str(o, "model", i.model);
	add_str(o, "serial", i.serial);
	add_str(o, "firmware", i.firmware);
	arr = json_object_new_array();
	n = nvmf_ctrl_get_ns(ctrl, ns, 64);
	for (k = 0; k < n && k < 64; k++) {
		struct json_object *j = json_object_new_object();

		snprintf(file, sizeof(file), "%s/n%u", mount, ns[k].nsid);
		if (devs) {
			file[0] = 0;
			for (int d = 0; d < nr_devs; d++)
				if (devs[d].nsid == ns[k].nsid)
					snprintf(file, sizeof(file),
						 "/dev/nbd%d", devs[d].index);
		}
		add_int(j, "nsid", ns[k].nsid);
		add_str(j, "file", file);
		add_int(j, "size", (int64_t)(ns[k].blocks * ns[k].block_size));
		add_int(j, "block_size", ns[k].block_size);
		json_object_object_add(
			j, "write_protected",
			json_object_new_boolean(ns[k].write_protected));
		json_object_array_add(arr, j);
	}
	json_object_object_add(o, "namespaces", arr);
	stats_json(o, ctrl);
	if (nbd)
		nbd_stats_json(o, nbd);
	return o;
}

int ctrl_status_write(const char *dir, const char *name, const char *mount,
		      struct nvmf_ctrl *ctrl,
		      const struct nvmf_nbd_attach *devs, int nr_devs,
		      const struct nvmf_nbd_stats *nbd)
{
	struct json_object *o =
		status_json(name, mount, ctrl, devs, nr_devs, nbd);
	char tmp[1024], path[1024];
	int ret = 0;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.status.json.tmp", dir);
	snprintf(path, sizeof(path), "%s/status.json", dir);
	f = fopen(tmp, "w");
	if (!f) {
		json_object_put(o);
		return -errno;
	}
	fprintf(f, "%s\n",
		json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	if (fclose(f) || rename(tmp, path))
		ret = -errno;
	json_object_put(o);
	return ret;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) :
						     0;
}

/*
 * A connect daemon holds an exclusive flock on DIR/lock for its life, so
 * an entry whose lock is free belongs to a daemon that is gone (kill -9,
 * OOM, a crash) - whatever its pid is now used for.  The lock file is
 * created locked under another name and renamed into place, so nobody
 * sees it unlocked.  Return: the fd to keep open, or -errno.
 */
int ctrl_lock_take(const char *dir)
{
	char tmp[700], path[700];
	int fd, ret;

	snprintf(tmp, sizeof(tmp), "%s/.lock.tmp", dir);
	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) || rename(tmp, path)) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	return fd;
}

/*
 * Is dir the entry of a daemon that is gone?  Return: -1 if not (or it
 * cannot tell), else an fd holding the entry's lock (or -2 for an entry
 * that never got one), to keep while removing the entry.
 */
static int entry_stale_lock(const char *dir)
{
	struct stat st, fst;
	char path[700];
	int fd;

	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !stat(dir, &st) &&
		    time(NULL) - st.st_mtime > CLAIM_GRACE_S)
			return -2;
		return -1;
	}
	/* locked: alive; or the lock file was replaced meanwhile */
	if (flock(fd, LOCK_EX | LOCK_NB) || fstat(fd, &fst) ||
	    stat(path, &st) || st.st_ino != fst.st_ino ||
	    st.st_dev != fst.st_dev) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool entry_alive(const char *dir)
{
	int fd = entry_stale_lock(dir);

	if (fd >= 0)
		close(fd);
	return fd == -1;
}

int ctrl_recover_devices(const char *dir, struct nvmf_nbd_attach *out, int max)
{
	struct json_object *o, *arr, *e;
	char path[1024];
	int n = 0;

	snprintf(path, sizeof(path), "%s/" CTRL_RECOVER_FILE, dir);
	o = json_object_from_file(path);
	if (!o)
		return -1;
	if (json_object_object_get_ex(o, "devices", &arr))
		for (size_t i = 0; i < json_object_array_length(arr) && n < max;
		     i++) {
			e = json_object_array_get_idx(arr, i);
			out[n].nsid = (uint32_t)jint(e, "nsid");
			out[n].index = (int)jint(e, "index");
			out[n].conns = json_object_object_get(e, "conns") ?
					       (unsigned int)jint(e, "conns") :
					       1;
			n++;
		}
	json_object_put(o);
	return n;
}

/*
 * Remove the entry of a daemon that is gone: its dead FUSE mount
 * (detached), its files and its directory, so that its name can be
 * taken again.  An entry whose block devices wait for a new daemon
 * ("nvmf-host recover") stays, unless force: then its devices are
 * disconnected first.  Return: true if it was removed.
 */
static bool entry_reap_force(const char *dir, bool force)
{
	const char *const files[] = {
		"status.json",	   ".status.json.tmp",		 ".lock.tmp",
		CTRL_RECOVER_FILE, "." CTRL_RECOVER_FILE ".tmp", "lock"
	};
	struct nvmf_nbd_attach devs[NVMF_NBD_MAX_NS];
	int nr;
	char why[256];
	char path[1024], mount[512] = "";
	struct json_object *o;
	bool detached = false;
	struct statfs sfs;
	pid_t pid = 0;
	int fd, ret;

	fd = entry_stale_lock(dir);
	if (fd == -1)
		return false;
	nr = ctrl_recover_devices(dir, devs, NVMF_NBD_MAX_NS);
	if (nr >= 0 && !force) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (nr > 0 && nvmf_nbd_release(devs, nr, why, sizeof(why)))
		nvmf_warn("%s: %s", dir, why);
	snprintf(path, sizeof(path), "%s/status.json", dir);
	o = json_object_from_file(path);
	if (o) {
		snprintf(mount, sizeof(mount), "%s", jstr(o, "mount"));
		pid = (pid_t)jint(o, "pid");
		json_object_put(o);
	}
	/* only a FUSE mount (a dead one gives ENOTCONN) is ours to detach */
	if (mount[0]) {
		ret = statfs(mount, &sfs);
		if ((!ret && (uint32_t)sfs.f_type == FUSE_SUPER_MAGIC) ||
		    (ret && errno == ENOTCONN))
			detached = !umount2(mount, MNT_DETACH);
		rmdir(mount); /* if empty */
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	if (fd >= 0)
		close(fd);
	nvmf_warn("%s: removed: its daemon (pid %d) is gone%s%s", dir, (int)pid,
		  detached ? "; its dead mount detached: " : "",
		  detached ? mount : "");
	return true;
}

static bool entry_reap(const char *dir)
{
	return entry_reap_force(dir, false);
}

bool ctrl_entry_reap(const char *dir)
{
	return entry_reap(dir);
}

int ctrl_entry_take(const char *dir)
{
	char path[700];
	struct nvmf_nbd_attach dev[1];
	int old, fd;
	struct stat st;

	if (stat(dir, &st))
		return -errno;
	if (ctrl_recover_devices(dir, dev, 1) < 0)
		return -ENOMSG;
	old = entry_stale_lock(dir);
	if (old == -1)
		return -EBUSY;
	snprintf(path, sizeof(path), "%s/.lock.tmp", dir);
	unlink(path); /* left by a daemon that died taking it */
	fd = ctrl_lock_take(dir);
	if (old >= 0)
		close(old);
	return fd;
}

bool ctrl_entry_orphan(const char *dir)
{
	struct nvmf_nbd_attach dev[1];
	int fd;

	if (ctrl_recover_devices(dir, dev, 1) < 0)
		return false;
	fd = entry_stale_lock(dir);
	if (fd >= 0)
		close(fd);
	return fd != -1;
}

/* Load a running controller's status.  Return: the object, or NULL. */
static struct json_object *status_load(const char *dir)
{
	char path[1024];
	struct json_object *o;

	snprintf(path, sizeof(path), "%s/status.json", dir);
	o = json_object_from_file(path);
	if (!o)
		return NULL;
	if (jint(o, "pid") <= 0 || !entry_alive(dir)) {
		if (ctrl_entry_orphan(dir)) {
			/* gone, its devices waiting for a new daemon */
			json_object_object_add(o, "orphan",
					       json_object_new_boolean(1));
			add_str(o, "state", "orphaned");
			return o;
		}
		json_object_put(o); /* a daemon that is gone: stale */
		return NULL;
	}
	return o;
}

static int each_json(const char *run_dir,
		     void (*fn)(struct json_object *o, const char *dir,
				void *arg),
		     void *arg)
{
	char base[512], dir[800];
	struct dirent **ents;
	struct json_object *o;
	int i, n, count = 0;

	snprintf(base, sizeof(base), "%s/ctrl", run_dir);
	n = scandir(base, &ents, NULL, versionsort);
	if (n < 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			snprintf(dir, sizeof(dir), "%s/%s", base,
				 ents[i]->d_name);
			o = status_load(dir);
			if (o) {
				fn(o, dir, arg);
				json_object_put(o);
				count++;
			} else {
				entry_reap(dir); /* if its daemon is gone */
			}
		}
		free(ents[i]);
	}
	free(ents);
	return count;
}

struct each_arg {
	void (*fn)(const struct ctrl_status *s, void *arg);
	void *arg;
};

static void each_status(struct json_object *o, const char *dir, void *arg)
{
	struct each_arg *e = arg;
	struct ctrl_status s = { 0 };

	snprintf(s.name, sizeof(s.name), "%s", jstr(o, "name"));
	s.pid = (pid_t)jint(o, "pid");
	snprintf(s.subnqn, sizeof(s.subnqn), "%s", jstr(o, "subnqn"));
	snprintf(s.traddr, sizeof(s.traddr), "%s", jstr(o, "traddr"));
	snprintf(s.trsvcid, sizeof(s.trsvcid), "%s", jstr(o, "trsvcid"));
	snprintf(s.host_traddr, sizeof(s.host_traddr), "%s",
		 jstr(o, "host_traddr"));
	snprintf(s.dir, sizeof(s.dir), "%s", dir);
	s.orphan = json_object_get_boolean(json_object_object_get(o, "orphan"));
	e->fn(&s, e->arg);
}

int ctrl_status_each(const char *run_dir,
		     void (*fn)(const struct ctrl_status *s, void *arg),
		     void *arg)
{
	struct each_arg e = { fn, arg };

	return each_json(run_dir, each_status, &e);
}

/* ---- list ------------------------------------------------------------------------ */

/*
 * -o json: nvme-cli's "nvme list -o json" shape - a "Devices" entry per
 * namespace device, with nvme-cli's names where the fields match (no
 * GenericPath: there is no /dev/ngXnY; no UsedBytes: utilization is not
 * read) and our own after them - then "Controllers", each controller's
 * whole status.
 */
static void json_one(struct json_object *root, struct json_object *o)
{
	struct json_object *devs, *ctrls, *arr = NULL, *ns, *d;
	int64_t size, bs;
	size_t i;

	json_object_object_get_ex(root, "Devices", &devs);
	json_object_object_get_ex(root, "Controllers", &ctrls);
	json_object_array_add(ctrls, json_object_get(o));
	json_object_object_get_ex(o, "namespaces", &arr);
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		ns = json_object_array_get_idx(arr, i);
		if (!*jstr(ns, "file"))
			continue;
		size = jint(ns, "size");
		bs = jint(ns, "block_size");
		d = json_object_new_object();
		add_int(d, "NameSpace", jint(ns, "nsid"));
		add_str(d, "DevicePath", jstr(ns, "file"));
		add_str(d, "Firmware", jstr(o, "firmware"));
		add_str(d, "ModelNumber", jstr(o, "model"));
		add_str(d, "SerialNumber", jstr(o, "serial"));
		add_int(d, "MaximumLBA", bs > 0 ? size / bs : 0);
		add_int(d, "PhysicalSize", size);
		add_int(d, "SectorSize", bs);
		add_str(d, "Controller", jstr(o, "name"));
		add_str(d, "SubsystemNQN", jstr(o, "subnqn"));
		add_str(d, "State", jstr(o, "state"));
		json_object_array_add(devs, d);
	}
}

/* "  data path: N I/Os; per I/O: allocations 1.00, ..." */
static void print_costs(struct json_object *o)
{
	struct json_object *s = NULL;
	double ios;
	int i;

	if (!json_object_object_get_ex(o, "stats", &s))
		return;
	ios = (double)jint(s, "ios");
	printf("  data path:  %.0f I/Os", ios);
	if (ios >= 1) {
		printf("; per I/O:");
		/* what the daemon wrote (an older one has fewer counters) */
		for (i = 0; i < NVMF_STAT_NR; i++)
			if (i != NVMF_STAT_IOS &&
			    json_object_object_get_ex(s, nvmf_ctrl_stat_name(i),
						      NULL))
				printf(" %s %.2f", nvmf_ctrl_stat_name(i),
				       (double)jint(s, nvmf_ctrl_stat_name(i)) /
					       ios);
	}
	printf("\n");
	if (!json_object_object_get_ex(o, "block_devices", &s))
		return;
	ios = (double)jint(s, "requests");
	printf("  block devices: %.0f requests", ios);
	if (ios >= 1)
		printf("; per request: socket_events %.2f recv_calls %.2f "
		       "send_calls %.2f",
		       (double)jint(s, "socket_events") / ios,
		       (double)jint(s, "recv_calls") / ios,
		       (double)jint(s, "send_calls") / ios);
	printf("\n");
}

static void print_one(struct json_object *o, const char *dir, void *arg)
{
	struct json_object *arr = NULL, *ns;
	uint64_t since = (uint64_t)jint(o, "state_since_ms"), now = real_ms();
	size_t i;

	(void)dir;
	if (arg) {
		json_one(arg, o);
		return;
	}
	if (json_object_get_boolean(json_object_object_get(o, "orphan")))
		printf("%s: orphaned: its daemon (pid %lld) is gone; %s wait "
		       "for\n  \"nvmf-host recover %s\" (or "
		       "\"nvmf-host disconnect -d %s\")\n",
		       jstr(o, "name"), (long long)jint(o, "pid"),
		       strcmp(jstr(o, "subnqn"), NVMF_DISCOVERY_NQN) ?
			       "its block devices" :
			       "its discovery log and subsystems",
		       jstr(o, "name"), jstr(o, "name"));
	else
		printf("%s: %s for %.1f s\n", jstr(o, "name"), jstr(o, "state"),
		       now > since ? (double)(now - since) / 1000 : 0.0);
	printf("  subnqn:     %s\n", jstr(o, "subnqn"));
	printf("  address:    %s %s:%s%s%s\n", jstr(o, "trtype"),
	       jstr(o, "traddr"), jstr(o, "trsvcid"),
	       *jstr(o, "host_traddr") ? " from " : "", jstr(o, "host_traddr"));
	printf("  controller: cntlid %lld, %lld I/O queues, model %s, "
	       "serial %s\n",
	       (long long)jint(o, "cntlid"), (long long)jint(o, "nr_io_queues"),
	       jstr(o, "model"), jstr(o, "serial"));
	printf("  reconnects: %lld (attempts since the last loss %lld, in "
	       "all %lld)%s\n",
	       (long long)jint(o, "reconnects"),
	       (long long)jint(o, "reconnect_attempts"),
	       (long long)jint(o, "total_attempts"),
	       json_object_get_boolean(json_object_object_get(o, "fail_fast")) ?
		       ", fast_io_fail expired" :
		       "");
	printf("  last error: %s\n",
	       *jstr(o, "last_error") ? jstr(o, "last_error") : "-");
	print_costs(o);
	json_object_object_get_ex(o, "namespaces", &arr);
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		ns = json_object_array_get_idx(arr, i);
		printf("  namespace %lld: %s, %lld bytes, %lld-byte blocks%s\n",
		       (long long)jint(ns, "nsid"), jstr(ns, "file"),
		       (long long)jint(ns, "size"),
		       (long long)jint(ns, "block_size"),
		       json_object_get_boolean(
			       json_object_object_get(ns, "write_protected")) ?
			       ", write protected" :
			       "");
	}
}

static const struct nvmf_opt list_opts[] = {
	{ "output-format", 'o', required_argument, "FMT",
	  "normal or json (nvme-cli's \"Devices\", then \"Controllers\")" },
	{ "run-dir", OPT_RUN_DIR, required_argument, "DIR",
	  "status directory (default " NVMF_HOST_RUN_DIR ")" },
	NVMF_OPT_HELP,
	{ 0 },
};

static const struct nvmf_cmd list_cmd = {
	.prog = "nvmf-host list",
	.synopsis = "[-o normal|json]",
	.summary = "List the connected controllers: state and time in it, "
		   "address, reconnect counters,\nthe last error, and the "
		   "namespace files.",
	.opts = list_opts,
};

int cmd_list(int argc, char **argv)
{
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	const char *run_dir = NVMF_HOST_RUN_DIR;
	static const char *const formats[] = { "normal", "json", NULL };
	struct json_object *root = NULL;
	int opt, idx;

	nvmf_args_build(&list_cmd, longopts, shortopts);
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		if (opt == 'o') {
			json_object_put(root);
			if (nvmf_parse_choice(&list_cmd, "output-format",
					      optarg, formats, &idx))
				return NVMF_EXIT_USAGE;
			root = NULL;
			if (idx == 1) {
				root = json_object_new_object();
				json_object_object_add(root, "Devices",
						       json_object_new_array());
				json_object_object_add(root, "Controllers",
						       json_object_new_array());
			}
		} else if (opt == OPT_RUN_DIR) {
			run_dir = optarg;
		} else if (opt == 'h') {
			json_object_put(root);
			nvmf_args_usage(&list_cmd, stdout);
			return NVMF_EXIT_OK;
		} else {
			json_object_put(root);
			return opt_error(&list_cmd, opt, argv);
		}
	}
	if (!each_json(run_dir, print_one, root) && !root)
		printf("No NVMe-oF controllers connected.\n");
	if (root) {
		printf("%s\n",
		       json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY |
					     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	}
	return NVMF_EXIT_OK;
}

/* ---- disconnect -------------------------------------------------------------- */

struct disc_arg {
	const char *nqn;
	const char *name;
	int matched;
	int done;
};

/*
 * Stop one daemon and wait (up to 30 s) until it exited.  The signal goes
 * through a pidfd taken while the entry is still locked by its daemon
 * and still names that pid: never to a process that reused the pid of a
 * daemon that is gone.
 */
static int stop_daemon(const struct ctrl_status *s)
{
	struct pollfd pfd = { .events = POLLIN };
	struct json_object *o;
	char path[1024];
	pid_t pid = 0;
	int ret;

	pfd.fd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (pfd.fd < 0)
		return errno == ESRCH ? 0 : -errno;
	snprintf(path, sizeof(path), "%s/status.json", s->dir);
	o = json_object_from_file(path);
	if (o) {
		pid = (pid_t)jint(o, "pid");
		json_object_put(o);
	}
	if (pid != s->pid || !entry_alive(s->dir)) {
		close(pfd.fd);
		entry_reap(s->dir);
		return 0; /* gone meanwhile */
	}
	if (syscall(SYS_pidfd_send_signal, pfd.fd, SIGTERM, NULL, 0)) {
		ret = errno == ESRCH ? 0 : -errno;
		close(pfd.fd);
		return ret;
	}
	ret = poll(&pfd, 1, 30000); /* readable when it exited */
	close(pfd.fd);
	return ret == 1 ? 0 : ret ? -errno : -ETIMEDOUT;
}

static void disc_fn(const struct ctrl_status *s, void *arg)
{
	struct disc_arg *d = arg;
	int ret;

	if ((d->nqn && strcmp(d->nqn, s->subnqn)) ||
	    (d->name && strcmp(d->name, s->name)))
		return;
	d->matched++;
	if (s->orphan) {
		/* no daemon: disconnect the devices it left */
		if (entry_reap_force(s->dir, true))
			d->done++;
		else
			fprintf(stderr,
				"nvmf-host disconnect: %s: cannot remove it\n",
				s->name);
		return;
	}
	ret = stop_daemon(s);
	if (ret)
		fprintf(stderr, "nvmf-host disconnect: %s (pid %d): %s\n",
			s->name, (int)s->pid, strerror(-ret));
	else
		d->done++;
}

static const struct nvmf_opt disc_opts[] = {
	{ "nqn", 'n', required_argument, "NQN",
	  "disconnect every controller of this subsystem" },
	{ "device", 'd', required_argument, "NAME",
	  "disconnect this controller (nvmfN)" },
	{ "run-dir", OPT_RUN_DIR, required_argument, "DIR",
	  "status directory (default " NVMF_HOST_RUN_DIR ")" },
	NVMF_OPT_HELP,
	{ 0 },
};

static const struct nvmf_cmd disc_cmd = {
	.prog = "nvmf-host disconnect",
	.synopsis = "-n NQN | -d NAME",
	.summary = "Disconnect controllers: their daemons shut the controller "
		   "down, remove the\nnamespace files and exit.",
	.opts = disc_opts,
};

static int disconnect(int argc, char **argv, bool all)
{
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	const char *run_dir = NVMF_HOST_RUN_DIR;
	struct disc_arg d = { 0 };
	int opt;

	nvmf_args_build(&disc_cmd, longopts, shortopts);
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		if (opt == 'n' && !all)
			d.nqn = optarg;
		else if (opt == 'd' && !all)
			d.name = optarg;
		else if (opt == OPT_RUN_DIR)
			run_dir = optarg;
		else if (opt == 'h') {
			nvmf_args_usage(&disc_cmd, stdout);
			return NVMF_EXIT_OK;
		} else
			return opt_error(&disc_cmd, opt, argv);
	}
	if (!all && !d.nqn == !d.name) {
		nvmf_args_error(&disc_cmd, "give one of --nqn and --device");
		return NVMF_EXIT_USAGE;
	}
	ctrl_status_each(run_dir, disc_fn, &d);
	if (d.nqn)
		printf("NQN:%s disconnected %d controller(s)\n", d.nqn, d.done);
	else if (d.name && d.done)
		printf("%s disconnected\n", d.name);
	else if (all)
		printf("disconnected %d controller(s)\n", d.done);
	if (!all && !d.matched) {
		fprintf(stderr, "nvmf-host disconnect: no controller %s %s\n",
			d.nqn ? "for subsystem" : "named",
			d.nqn ? d.nqn : d.name);
		return NVMF_EXIT_FAILURE;
	}
	return d.done == d.matched ? NVMF_EXIT_OK : NVMF_EXIT_FAILURE;
}

int cmd_disconnect(int argc, char **argv)
{
	return disconnect(argc, argv, false);
}

int cmd_disconnect_all(int argc, char **argv)
{
	return disconnect(argc, argv, true);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmf-host, the tool over libnvmf-host: its subcommands and what they
 * share (connection options as nvme-cli's, the run directory where each
 * controller daemon keeps its status).
 */
#ifndef NVMF_HOST_TOOL_H
#define NVMF_HOST_TOOL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "args.h"
#include "nvmf/host.h"

#define NVMF_HOST_RUN_DIR "/run/nvmf-host"

int cmd_discover(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_connect_all(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_disconnect(int argc, char **argv);
int cmd_disconnect_all(int argc, char **argv);
int cmd_perf(int argc, char **argv);
int cmd_recover(int argc, char **argv);

/* Options shared by discover, connect and perf (values > 255). */
enum {
	OPT_MOUNT = 256,
	OPT_FOREGROUND,
	OPT_LOG_LEVEL,
	OPT_RUN_DIR,
	OPT_VERIFY,
	OPT_SIZE,
	OPT_NO_UDEV,
	OPT_IO_TIMEOUT,
	OPT_MAX_RETRIES,
	OPT_LOG_FILE,
	OPT_BUSY_POLL,
	OPT_PERSISTENT_RKEYS,
	OPT_EXPORT,
	OPT_NBD_TIMEOUT,
	OPT_NBD_CONNS,
	OPT_WAIT,
	OPT_THREADS,
	OPT_RECONNECT_DELAY,
	OPT_OFFSET,
};

struct conn_args {
	struct nvmf_trid trid;
	struct nvmf_ctrl_opts opts;
	const char *mount;
	const char *run_dir;
	const char *log_file;
	bool foreground;
	bool export_nbd; /* else FUSE */
	int nbd_timeout; /* seconds */
	int nbd_conns;	 /* 0 = one per I/O queue */
	bool json;
	bool no_udev;
};

#define CONN_OPTS_ADDR                                                  \
	{ "transport", 't', required_argument, "TRTYPE",                \
	  "transport type: rdma (default) or tcp" },                    \
		{ "traddr", 'a', required_argument, "ADDR",             \
		  "target address (IPv4 or IPv6)" },                    \
		{ "trsvcid", 's', required_argument, "PORT",            \
		  "target port (default 4420)" },                       \
		{ "hostnqn", 'q', required_argument, "NQN",             \
		  "host NQN (default /etc/nvme/hostnqn)" },             \
		{ "hostid", 'I', required_argument, "UUID",             \
		  "host id (default /etc/nvme/hostid)" },               \
		{ "host-traddr", 'w', required_argument, "ADDR",        \
		  "local address to connect from" },                    \
	{                                                               \
		"log-level", OPT_LOG_LEVEL, required_argument, "LEVEL", \
			"error, warn (default), info or debug"          \
	}

#define CONN_OPTS_CTRL                                                           \
	{ "nr-io-queues", 'i', required_argument, "N",                           \
	  "I/O queues (default: CPUs, at most 4)" },                             \
		{ "queue-size", 'Q', required_argument, "N",                     \
		  "I/O queue size (default 128)" },                              \
		{ "keep-alive-tmo", 'k', required_argument, "S",                 \
		  "keep-alive timeout in seconds (default 5)" },                 \
		{ "reconnect-delay", 'c', required_argument, "S",                \
		  "seconds between reconnect attempts (default 10)" },           \
		{ "ctrl-loss-tmo", 'l', required_argument, "S",                  \
		  "give the controller up after S seconds without a connection " \
		  "(default 600, -1 = never)" },                                 \
		{ "fast_io_fail_tmo", 'F', required_argument, "S",               \
		  "fail I/O after S seconds of reconnecting (default off)" },    \
		{ "io-timeout", OPT_IO_TIMEOUT, required_argument, "S",          \
		  "command timeout in seconds (default 30)" },                   \
		{ "hdr_digest", 'g', no_argument, NULL,                          \
		  "NVMe/TCP header digests (CRC32C)" },                          \
		{ "data_digest", 'G', no_argument, NULL,                         \
		  "NVMe/TCP data digests (CRC32C)" },                            \
	{                                                                        \
		"max-retries", OPT_MAX_RETRIES, required_argument, "N",          \
			"send a command that timed out again N times, then "     \
			"fail it (default 5)"                                    \
	}

/*
 * Handle an option of CONN_OPTS_*.  Return: 1 if handled, 0 if not one of
 * them, -1 on a bad value (reported).
 */
int conn_opt(const struct nvmf_cmd *cmd, int c, const char *arg,
	     struct conn_args *a);
void conn_args_init(struct conn_args *a);
/* Check what every connection needs.  Return: 0 or -1 (reported). */
int conn_args_check(const struct nvmf_cmd *cmd, struct conn_args *a,
		    bool need_nqn);
/* disclog.c: the discovery log page of controller c. */
int disclog_read(struct nvmf_ctrl *c, uint8_t **log, uint64_t *numrec);
void disclog_print(FILE *out, const uint8_t *log, uint64_t n, bool json);
/*
 * discover.c: connect to the discovery controller of a (a->trid.subnqn
 * set) and read its log; errors are printed as "PROG: ORIGIN...".
 */
int disclog_fetch(struct conn_args *a, const char *prog, const char *origin,
		  uint8_t **log, uint64_t *n);

/* connect.c: its option table; is a's subsystem connected (as name)? */
const struct nvmf_cmd *connect_cmd_get(void);
bool conn_connected(const struct conn_args *a, char *name, size_t len);

/* getopt loop epilogue: unknown option, missing value. */
int opt_error(const struct nvmf_cmd *cmd, int c, char **argv);

/*
 * A request's data buffer: from the registered pool when it fits (*pool
 * set), else aligned memory the library copies through.  NULL: no memory.
 */
void *export_buf_alloc(struct nvmf_ctrl *ctrl, size_t len, uint32_t max_io,
		       bool *pool);
void export_buf_free(struct nvmf_ctrl *ctrl, void *buf, bool pool);
/* The errno an export returns for a library status (> 0: NVMe status). */
int export_errno(int status);

/* FUSE export of a controller's namespaces (fuse.c). */
struct nvmf_fuse;
struct nvmf_loop;
int nvmf_fuse_start(struct nvmf_fuse **out, struct nvmf_ctrl *ctrl,
		    struct nvmf_loop *loop, const char *dir, const char *name);
void nvmf_fuse_stop(struct nvmf_fuse *f);

/* Block devices for a controller's namespaces, through NBD (nbd.c). */
#define NVMF_NBD_MAX_NS 64
struct nvmf_nbd;
struct nvmf_nbd_attach {
	uint32_t nsid;
	int index;	    /* /dev/nbdINDEX */
	unsigned int conns; /* its connections */
};
struct nvmf_nbd_conf {
	unsigned int timeout; /* request timeout, seconds */
	int ctrl_loss_tmo;    /* the devices wait as long for a daemon */
	unsigned int conns;   /* per device; 0 = one per I/O queue */
	bool read_only;
	char ident[64]; /* backend identifier prefix: nvmf-SERIAL */
	/* re-attach these devices instead of taking new ones (recover) */
	const struct nvmf_nbd_attach *attach;
	unsigned int nr_attach;
};
/*
 * Whether the kernel can make a block device of namespace ns (a logical
 * block size of 512 to 4096, a power of two; a size in bytes that fits
 * with room to spare).  Return: 0, or -EINVAL with the reason in why.
 */
static inline int nvmf_nbd_geometry_check(const struct nvmf_ns_info *ns,
					  char *why, size_t len)
{
	if (ns->block_size < 512 || ns->block_size > 4096 ||
	    (ns->block_size & (ns->block_size - 1))) {
		snprintf(why, len,
			 "namespace %u: block size %u cannot be a block "
			 "device's (512 to 4096, a power of two)",
			 ns->nsid, ns->block_size);
		return -EINVAL;
	}
	if (!ns->blocks || ns->blocks > UINT64_MAX / ns->block_size / 2) {
		snprintf(why, len,
			 "namespace %u: size of %llu blocks cannot "
			 "be a block device's",
			 ns->nsid, (unsigned long long)ns->blocks);
		return -EINVAL;
	}
	return 0;
}

int nvmf_nbd_start(struct nvmf_nbd **out, struct nvmf_ctrl *ctrl,
		   struct nvmf_loop *loop, const char *name,
		   const struct nvmf_nbd_conf *conf, char *why, size_t len);
/*
 * Disconnect the devices (the kernel fails what is still queued); the
 * requests still running complete into nothing.  Free once the controller
 * has completed them all.
 */
/*
 * Follow the controller's namespaces (after a namespace-changed event):
 * resize, remove and add devices.  Return: whether the set of devices
 * changed (recover.json and status.json need writing).
 */
bool nvmf_nbd_update(struct nvmf_nbd *n);
void nvmf_nbd_stop(struct nvmf_nbd *n);
void nvmf_nbd_free(struct nvmf_nbd *n);
/*
 * What the block devices' requests cost the daemon, counted on its loop:
 * requests read from the kernel, and the system calls by kind.
 */
struct nvmf_nbd_stats {
	uint64_t requests;
	uint64_t socket_events; /* wake-ups for a socket */
	uint64_t recv_calls;	/* recv() of requests and write data */
	uint64_t send_calls;	/* sendmsg() of replies */
};
void nvmf_nbd_get_stats(const struct nvmf_nbd *n, struct nvmf_nbd_stats *out);
/* The devices: nsid and index of each.  Return: how many. */
int nvmf_nbd_devices(const struct nvmf_nbd *n, struct nvmf_nbd_attach *out,
		     int max);
/* Disconnect devices whose daemon is gone.  Return: 0 or -errno (why). */
int nvmf_nbd_release(const struct nvmf_nbd_attach *devs, int nr, char *why,
		     size_t len);

/* Controller status files (list.c). */
struct ctrl_status {
	char name[32];
	pid_t pid;
	char subnqn[NVMF_HOST_NQN_SIZE];
	char traddr[NVMF_HOST_ADDR_SIZE];
	char trsvcid[NVMF_HOST_SVCID_SIZE];
	char host_traddr[NVMF_HOST_ADDR_SIZE];
	char dir[512];
	bool orphan; /* daemon gone, block devices kept for a new one */
};
/* In a controller's entry: how to start its daemon again (recover). */
#define CTRL_RECOVER_FILE "recover.json"
/* The devices in dir's recover.json.  Return: how many, -1 if no file. */
int ctrl_recover_devices(const char *dir, struct nvmf_nbd_attach *out, int max);
/* Is dir the entry of a daemon that is gone, its devices kept? */
bool ctrl_entry_orphan(const char *dir);
/*
 * Take over an orphaned entry (recover): its lock for the new daemon.
 * Return: the fd to keep, -EBUSY (its daemon runs), -ENOENT, -ENOMSG (no
 * devices to recover) or -errno.
 */
int ctrl_entry_take(const char *dir);
/* The daemon's lock on its state directory: an fd to keep, or -errno. */
int ctrl_lock_take(const char *dir);
/* Remove dir if its daemon is gone.  Return: true if removed. */
bool ctrl_entry_reap(const char *dir);
/* Call fn for each running controller (and remove the entries of daemons
 * that are gone).  Return: how many. */
int ctrl_status_each(const char *run_dir,
		     void (*fn)(const struct ctrl_status *s, void *arg),
		     void *arg);
int ctrl_status_write(const char *dir, const char *name, const char *mount,
		      struct nvmf_ctrl *ctrl,
		      const struct nvmf_nbd_attach *devs, int nr_devs,
		      const struct nvmf_nbd_stats *nbd);

#endif /* NVMF_HOST_TOOL_H */

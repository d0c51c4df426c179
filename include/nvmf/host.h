/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libnvmf-host: a userspace NVMe over Fabrics host (RDMA transport).
 *
 * A controller (struct nvmf_ctrl) is connected from a transport id and
 * options, and then does I/O to its namespaces until it is disconnected.
 * When its connection fails (a failed work completion, a CM disconnect, an
 * RDMA device removal or fatal error, a keep-alive or request timeout) the
 * controller is NOT deleted: it releases every RDMA object on the device,
 * keeps its namespaces and its queued and in-flight I/O, and reconnects -
 * every reconnect_delay seconds, or at once when nvmf_ctrl_kick() is called
 * (the udev reactor does so when an RDMA device or network interface
 * appears) - until ctrl_loss_tmo.  Requests in flight when the connection
 * failed are sent again after the reconnect: a write may reach the
 * namespace twice (the same data to the same blocks, so the final content
 * is what the application wrote, as in ublk's recovery).
 *
 * Errors the application sees:
 *   0              success
 *   > 0            the NVMe status (SCT << 8 | SC, DNR in bit 14) the
 *                  controller returned
 *   -ENOLINK       fast_io_fail_tmo expired while the controller was
 *                  reconnecting (path error); reconnects go on
 *   -ENODEV        the controller was deleted (ctrl_loss_tmo expired,
 *                  a Connect failed with DNR, nvmf_ctrl_shutdown() or
 *                  nvmf_ctrl_disconnect())
 *   -ETIMEDOUT     the command timed out (io_timeout) max_retries + 1
 *                  times: each timeout reconnected and sent it again
 *   -EINVAL        a bad request (alignment, range, size, namespace)
 *   -ENOMEM        no memory for the request
 *   -EDEADLK, -EPERM, -EBUSY, -EINVAL: a call made where the threading
 *                  rules below do not allow it (nothing was done)
 *
 * Threading and ownership (checked: a call that breaks a rule returns the
 * error named here instead of corrupting the controller):
 *   - All of a controller's work runs on one event loop, and only one
 *     thread ever runs it.  By default the library runs it on a thread of
 *     its own and completion callbacks are called on that thread.  With
 *     opts.poll set there is no library thread: the thread that called
 *     nvmf_ctrl_connect() (the owner) drives the controller with
 *     nvmf_ctrl_poll() (or waits for nvmf_ctrl_fd() to be readable and
 *     then calls nvmf_ctrl_poll(ctrl, 0)), and callbacks run inside
 *     nvmf_ctrl_poll() or inside a synchronous call of the owner.
 *   - nvmf_ctrl_poll() and nvmf_ctrl_fd(): poll mode only (-EINVAL
 *     otherwise); nvmf_ctrl_poll() on the owner thread only (-EPERM), and
 *     not from a callback (-EBUSY).
 *   - nvmf_io_submit(), nvmf_ctrl_kick(), nvmf_ctrl_shutdown(),
 *     nvmf_ctrl_register(), nvmf_ctrl_unregister(), the nvmf_ctrl_get_*()
 *     and nvmf_buf_*() calls: any thread, including a completion callback.
 *   - nvmf_io_sync() and nvmf_admin_sync(): any thread, but not from a
 *     callback (-EDEADLK: the loop they wait for is the one running the
 *     callback).
 *   - In poll mode a thread other than the owner that waits for the
 *     controller (the synchronous calls, nvmf_ctrl_register(), the first
 *     nvmf_buf_alloc()) sleeps until the owner's nvmf_ctrl_poll() has done
 *     the work.
 *   - The data buffer of a request belongs to the library from submission
 *     until its callback runs.  Buffers from nvmf_buf_alloc() or inside a
 *     region given to nvmf_ctrl_register() are used by the RDMA NIC
 *     directly; others are copied through the library's registered bounce
 *     buffers.
 *
 * Ending a controller:
 *   - nvmf_ctrl_shutdown() (any thread, never blocks) starts deleting it:
 *     every call that starts afterwards fails with -ENODEV, and every
 *     request queued or in flight completes (-ENODEV if it did not finish
 *     first).  The controller stays allocated: threads still submitting
 *     see -ENODEV and can be stopped and joined safely.
 *   - nvmf_ctrl_disconnect() shuts the controller down if that was not
 *     done, waits until every request has completed and every call that
 *     was inside the library on another thread has returned, and frees
 *     the controller.  Not from a callback (-EDEADLK); in poll mode on the
 *     owner thread only (-EPERM).  It may run while other threads are
 *     inside the library, but no call may start once it has returned (the
 *     controller is freed): stop other threads after nvmf_ctrl_shutdown()
 *     and before nvmf_ctrl_disconnect().  Callbacks of requests submitted
 *     from other threads while it runs may be called on its thread.
 */
#ifndef NVMF_HOST_H
#define NVMF_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NVMF_HOST_NQN_SIZE	224 /* with the terminating NUL */
#define NVMF_HOST_ADDR_SIZE	256
#define NVMF_HOST_SVCID_SIZE	32
#define NVMF_HOST_DEFAULT_SVCID "4420"
#define NVMF_DISCOVERY_NQN	"nqn.2014-08.org.nvmexpress.discovery"

struct nvmf_ctrl;
struct nvmf_qpair;

/* Where the controller is: "nvme connect" -t -a -s -n -w. */
struct nvmf_trid {
	char trtype[8]; /* "rdma" or "tcp" */
	char adrfam[8]; /* "ipv4", "ipv6", or "" to derive from traddr */
	char traddr[NVMF_HOST_ADDR_SIZE];
	char trsvcid[NVMF_HOST_SVCID_SIZE]; /* "" means 4420 */
	char subnqn[NVMF_HOST_NQN_SIZE];
	char host_traddr[NVMF_HOST_ADDR_SIZE]; /* local address, or "" */
};

/* Options, with nvme-cli's names and defaults (nvmf_ctrl_opts_init()). */
struct nvmf_ctrl_opts {
	char hostnqn[NVMF_HOST_NQN_SIZE]; /* "" = /etc/nvme/hostnqn, or derived */
	char hostid[40];      /* "" = /etc/nvme/hostid, or derived */
	int nr_io_queues;     /* default: online CPUs, at most 4 */
	int queue_size;	      /* I/O queue entries, 128 (16-1024) */
	int keep_alive_tmo;   /* seconds, 5; 0 = none */
	int reconnect_delay;  /* seconds, 10 */
	int ctrl_loss_tmo;    /* seconds, 600; < 0 = forever */
	int fast_io_fail_tmo; /* seconds, -1 = off */
	int io_timeout;	      /* seconds per command, 30 */
	int max_retries; /* resends after a command's own timeout, 5 (0-100) */
	bool poll;	 /* no library thread (see above) */
	/*
	 * Data buffers open to the target (RDMA remote access) for the
	 * whole connection instead of one request's data for that request
	 * (a per-I/O memory window): fewer work requests, less safe.
	 */
	bool persistent_rkeys;
	/*
	 * Poll mode: the owner busy polls (nvmf_ctrl_poll with timeout 0 in
	 * a loop, not only when nvmf_ctrl_fd() is readable): no completion
	 * event is asked for while it does (see nvmf_ctrl_poll).
	 */
	bool busy_poll;
	/* NVMe/TCP: CRC32C header and data digests (nvme-cli -g, -G) */
	bool hdr_digest;
	bool data_digest;
	/* Called on the controller's thread when its state or namespaces change. */
	void (*event_cb)(void *arg, struct nvmf_ctrl *ctrl);
	void *event_arg;
};

enum nvmf_ctrl_state {
	NVMF_CTRL_NEW,
	NVMF_CTRL_LIVE,
	NVMF_CTRL_RESETTING,
	NVMF_CTRL_CONNECTING,
	NVMF_CTRL_DELETING,
	NVMF_CTRL_DELETING_NOIO,
	NVMF_CTRL_DEAD,
};

struct nvmf_ctrl_info {
	enum nvmf_ctrl_state state;
	uint64_t state_since_ms;     /* CLOCK_MONOTONIC, ms */
	uint64_t state_since_real;   /* the same moment, ms since the epoch */
	uint16_t cntlid;	     /* of the current association */
	uint32_t reconnects;	     /* successful reconnects */
	uint32_t reconnect_attempts; /* attempts since the last loss */
	uint32_t total_attempts;     /* attempts ever */
	uint32_t nr_io_queues;	     /* granted by the controller */
	uint32_t max_io_bytes;	     /* largest single read or write */
	bool fail_fast;		     /* fast_io_fail_tmo expired */
	char last_error[160];	     /* why the last connection ended */
	char model[41], serial[21], firmware[9];
	/* a discovery controller kept connected: log page change notices */
	uint32_t disc_log_changes;
};

/*
 * What the data path did (nvmf_ctrl_get_stats), counted since the
 * controller was created: divided by NVMF_STAT_IOS, what one I/O costs.
 */
enum nvmf_ctrl_stat {
	NVMF_STAT_IOS,	  /* I/O commands completed */
	NVMF_STAT_ALLOCS, /* heap allocations (completed requests are reused) */
	NVMF_STAT_HOPS,	  /* submissions woken over to the loop thread */
	NVMF_STAT_SEND_DOORBELLS, /* ibv_post_send calls */
	NVMF_STAT_SEND_WRS,	  /* work requests they posted */
	NVMF_STAT_RECV_POSTS,	  /* ibv_post_recv calls */
	NVMF_STAT_CQ_WAKEUPS,	  /* completion channel events */
	NVMF_STAT_CQ_ARMS,	  /* ibv_req_notify_cq calls */
	NVMF_STAT_CQ_POLLS,	  /* ibv_poll_cq calls */
	NVMF_STAT_WCS,		  /* work completions polled */
	/*
	 * I/Os whose data was copied: a write's data into its capsule or a
	 * bounce buffer, a read's out of a bounce buffer (a buffer that is
	 * not in a region given to nvmf_ctrl_register)
	 */
	NVMF_STAT_COPIES,
	NVMF_STAT_NR,
};

struct nvmf_ns_info {
	uint32_t nsid;
	uint32_t block_size; /* bytes */
	uint64_t blocks;     /* namespace size in blocks */
	uint8_t uuid[16];    /* zero if the controller gives none */
	uint8_t nguid[16];
	bool write_protected; /* writes fail with Namespace Write Protected */
};

enum nvmf_io_op {
	NVMF_IO_READ,
	NVMF_IO_WRITE,
	NVMF_IO_FLUSH,
	NVMF_IO_WRITE_ZEROES,
	NVMF_IO_DEALLOCATE,
};

/* One I/O.  offset and len are in bytes, multiples of the block size. */
struct nvmf_io {
	enum nvmf_io_op op;
	uint32_t nsid;
	uint64_t offset;
	uint32_t len; /* at most info.max_io_bytes for reads and writes */
	void *buf;    /* READ and WRITE only */
};

typedef void (*nvmf_io_cb)(void *arg, int status);

/* Fill opts with the defaults. */
void nvmf_ctrl_opts_init(struct nvmf_ctrl_opts *opts);

/*
 * Parse "trtype:rdma adrfam:ipv4 traddr:A trsvcid:4420 subnqn:NQN"
 * (SPDK's form) into trid.  Return: 0, or -EINVAL with err naming the key.
 */
int nvmf_trid_parse(struct nvmf_trid *trid, const char *str, char *err,
		    size_t errlen);

/*
 * Connect: resolve, connect the admin queue, enable the controller,
 * identify it and its namespaces, connect the I/O queues.  Blocks until
 * the controller is live or the first attempt failed (no retry on the
 * first connect, as "nvme connect").  A discovery subsystem NQN connects
 * only the admin queue.
 * Return: 0 and *ctrl, or a negative errno with err saying why.
 */
int nvmf_ctrl_connect(const struct nvmf_trid *trid,
		      const struct nvmf_ctrl_opts *opts,
		      struct nvmf_ctrl **ctrl, char *err, size_t errlen);

/*
 * Start deleting the controller; it stays allocated (see above).  Any
 * thread.  Return: 0, or -ENOMEM.
 */
int nvmf_ctrl_shutdown(struct nvmf_ctrl *ctrl);
/*
 * Delete the controller (see above) and free it.
 * Return: 0 (freed), or -EDEADLK / -EPERM (called where it must not be:
 * nothing done).
 */
int nvmf_ctrl_disconnect(struct nvmf_ctrl *ctrl);

/* Reconnect now if reconnecting (a device or link came back). Any thread. */
void nvmf_ctrl_kick(struct nvmf_ctrl *ctrl);

/*
 * Poll mode: run callbacks and timers, waiting up to timeout_ms (-1:
 * forever).  With timeout 0 it also reaps the completion queues directly
 * (no wait for a completion event): an owner that calls it when
 * nvmf_ctrl_fd() is readable gets the next event as usual.  With the
 * busy_poll option, timeout 0 is busy polling proper: completion queues
 * are not re-armed and the controller's own events (timers, connection
 * events, submissions from other threads) are looked at once a
 * millisecond; the first call with a timeout re-arms them.
 */
int nvmf_ctrl_poll(struct nvmf_ctrl *ctrl, int timeout_ms);
/* Poll mode: a file descriptor that is readable when nvmf_ctrl_poll has work. */
int nvmf_ctrl_fd(const struct nvmf_ctrl *ctrl);

/* Snapshot of the state and counters.  Any thread. */
void nvmf_ctrl_get_info(struct nvmf_ctrl *ctrl, struct nvmf_ctrl_info *info);
const char *nvmf_ctrl_state_name(enum nvmf_ctrl_state state);
const struct nvmf_trid *nvmf_ctrl_trid(const struct nvmf_ctrl *ctrl);

/*
 * The data path counters: v[i] for enum nvmf_ctrl_stat i < n.  Any thread.
 * Return: how many counters this library has (NVMF_STAT_NR).
 */
int nvmf_ctrl_get_stats(struct nvmf_ctrl *ctrl, uint64_t *v, int n);
/* "ios", "allocations", ...: a counter's name, or NULL. */
const char *nvmf_ctrl_stat_name(int stat);

/* Namespaces (copy; count returned, at most max written).  Any thread. */
int nvmf_ctrl_get_ns(struct nvmf_ctrl *ctrl, struct nvmf_ns_info *ns, int max);

/* One namespace (nsid 0: the first).  Return: 0, or -ENOENT.  Any thread. */
int nvmf_ctrl_find_ns(struct nvmf_ctrl *ctrl, uint32_t nsid,
		      struct nvmf_ns_info *ns);

/* Asynchronous I/O.  Return: 0 (cb will be called), or < 0 (it will not). */
int nvmf_io_submit(struct nvmf_ctrl *ctrl, const struct nvmf_io *io,
		   nvmf_io_cb cb, void *arg);
/*
 * Submissions in a batch (the block layer's plug): between nvmf_io_plug()
 * and nvmf_io_unplug() the I/O submitted on the controller's loop thread
 * (poll mode: the owner; or a completion callback) is held and goes out
 * at the outermost unplug, one doorbell (RDMA) or one send (TCP) per
 * queue for all of it.  A synchronous call waits only after sending what
 * is held.  Loop thread only: -EPERM elsewhere; unplug without a plug:
 * -EINVAL.  (Submissions from other threads need no plug: those that
 * reach the loop thread in one hop go out together this way.)
 * Return: 0 or < 0.
 */
int nvmf_io_plug(struct nvmf_ctrl *ctrl);
int nvmf_io_unplug(struct nvmf_ctrl *ctrl);
/* Synchronous I/O.  Return: status as above. */
int nvmf_io_sync(struct nvmf_ctrl *ctrl, const struct nvmf_io *io);

/*
 * An admin command (64-byte SQE, the command id is set by the library)
 * with an optional data buffer: to the host when to_host.  Synchronous.
 * Return: status as above; *dw0 gets completion dword 0.
 */
int nvmf_admin_sync(struct nvmf_ctrl *ctrl, const void *sqe, void *buf,
		    uint32_t len, bool to_host, uint32_t *dw0);

/*
 * I/O queues owned by application threads (SPDK's qpair, the kernel's
 * hardware context): the thread that calls nvmf_qpair_alloc() (the
 * queue's owner) gets one of the controller's I/O queues for itself.  It
 * submits on it and reaps it directly - no hop to the controller's loop
 * thread, requests preallocated per queue slot, no lock that another
 * thread takes while the queue is live - and callbacks run inside its
 * nvmf_qpair_poll().  The library's loop keeps the admin queue, keep-alive,
 * timeouts and recovery: when the connection fails, the queue's
 * requests in flight are sent again after the reconnect on the same
 * queue, as with nvmf_io_submit().  Completions are reaped only by
 * nvmf_qpair_poll() (no event: the owner polls, as SPDK's
 * process_completions).
 *
 *   - Every nvmf_qpair_*() call on the owner thread only (-EPERM).
 *   - One I/O queue stays shared (nvmf_io_submit(), the NBD and FUSE
 *     exports): with nr_io_queues N, at most N - 1 are owned (-EBUSY).
 *   - nvmf_qpair_submit(): as nvmf_io_submit(), plus -EAGAIN when all of
 *     the queue's requests (queue_size - 1) are outstanding: poll, then
 *     submit again.  Allowed from a callback of the same queue.
 *   - nvmf_qpair_poll(): reaps the queue, sends what waited, calls the
 *     callbacks of the requests that completed.  Return: how many, or
 *     -EPERM.
 *   - nvmf_qpair_free(): -EBUSY while requests are outstanding (poll
 *     until they completed); the queue is shared again.  Works on a
 *     shut-down controller too.  nvmf_ctrl_disconnect() returns -EBUSY
 *     while a queue is owned: after nvmf_ctrl_shutdown(), owners poll
 *     until their requests completed (-ENODEV), then free their queues.
 *   - If a reconnect grants fewer I/O queues, an owned queue that is no
 *     longer there fails its I/O with -ENXIO: free it.
 * Return: 0 and *qp, or -EBUSY, -ENODEV, -ENOMEM, -EDEADLK (a callback).
 */
int nvmf_qpair_alloc(struct nvmf_ctrl *ctrl, struct nvmf_qpair **qp);
int nvmf_qpair_submit(struct nvmf_qpair *qp, const struct nvmf_io *io,
		      nvmf_io_cb cb, void *arg);
int nvmf_qpair_poll(struct nvmf_qpair *qp);
int nvmf_qpair_free(struct nvmf_qpair *qp);
/* The queue's id (1 to nr_io_queues). */
int nvmf_qpair_id(const struct nvmf_qpair *qp);

/*
 * Memory the RDMA NIC uses directly (no copy): registered on the current
 * device and again after every reconnect.
 */
int nvmf_ctrl_register(struct nvmf_ctrl *ctrl, void *buf, size_t len);
void nvmf_ctrl_unregister(struct nvmf_ctrl *ctrl, void *buf);

/* Buffers of up to info.max_io_bytes from a pre-registered pool. */
void *nvmf_buf_alloc(struct nvmf_ctrl *ctrl, size_t len);
void nvmf_buf_free(struct nvmf_ctrl *ctrl, void *buf);

#ifdef __cplusplus
}
#endif

#endif /* NVMF_HOST_H */

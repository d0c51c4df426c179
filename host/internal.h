/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libnvmf-host internals: the transport-neutral controller (ctrl.c), its
 * queues and requests (req.c), command builders (cmd.c), the registered
 * buffer pool (pool.c), and the transport ops table a transport (rdma.c)
 * implements.
 *
 * Everything here runs on the controller's loop thread unless it says
 * otherwise.
 */
#ifndef NVMF_HOST_INTERNAL_H
#define NVMF_HOST_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "loop.h"
#include "nvme_spec.h"
#include "util.h"
#include "nvmf/host.h"

#define NVMF_HOST_MAX_IO       (128u * 1024) /* bytes per read/write */
#define NVMF_HOST_MAX_QUEUES   64
#define NVMF_HOST_ADMIN_DEPTH  NVME_AQ_DEPTH /* entries; 31 outstanding */
#define NVMF_HOST_ADMIN_TMO_MS 10000
#define NVMF_HOST_MAX_NS       256
/* requests a controller keeps for reuse: beyond, completed ones are freed */
#define NVMF_HOST_REQ_CACHE 1024

struct nvmf_req;
struct nvmf_hq;

typedef void (*nvmf_req_done_fn)(struct nvmf_req *req);

enum nvmf_req_flags {
	NVMF_REQ_TO_HOST = 1u << 0, /* data moves controller -> host */
	NVMF_REQ_INTERNAL = 1u
			    << 1,  /* part of an association: dropped with it */
	NVMF_REQ_NO_TMO = 1u << 2, /* Asynchronous Event Request */
	NVMF_REQ_ADMIN = 1u << 3,  /* goes to the admin queue */
	NVMF_REQ_OWN_BUF = 1u << 4, /* buf is freed with the request */
	NVMF_REQ_QPAIR = 1u << 5,   /* a queue owner's: see struct nvmf_qpair */
};

/* A command and its data, from submission to completion. */
struct nvmf_req {
	TAILQ_ENTRY(nvmf_req) link;
	union nvme_command cmd; /* without command id and data pointer */
	void *buf;
	uint32_t len;
	uint32_t flags;
	uint64_t deadline_ms; /* while on a queue, 0 = none */
	struct nvmf_hq *hq;   /* while on a queue */
	uint16_t cid;
	uint16_t status; /* CQE status >> 1 */
	int err;	 /* < 0: host-side failure */
	int timeouts;	 /* times it timed out (io_timeout) */
	uint32_t dw0;
	uint64_t result; /* completion dwords 0-1 */
	nvmf_req_done_fn done;
	void *arg;
	nvmf_io_cb user_cb;
	void *user_arg;
};

TAILQ_HEAD(nvmf_req_list, nvmf_req);

/* Slot tracking of one queue: command id = slot index. */
struct nvmf_slots {
	uint16_t depth; /* commands that may be outstanding */
	uint16_t nr_free;
	uint16_t *free; /* stack of free slot indexes */
	struct nvmf_req **reqs;
};

int nvmf_slots_init(struct nvmf_slots *s, uint16_t depth);
void nvmf_slots_fini(struct nvmf_slots *s);
/* Return: the command id, or -1 when the queue is full. */
int nvmf_slots_get(struct nvmf_slots *s, struct nvmf_req *req);
/* Return: the request of a command id, or NULL if none is outstanding. */
struct nvmf_req *nvmf_slots_find(const struct nvmf_slots *s, uint16_t cid);
void nvmf_slots_put(struct nvmf_slots *s, uint16_t cid);
/* Take every outstanding request out, in command id order. */
void nvmf_slots_drain(struct nvmf_slots *s, struct nvmf_req_list *out);

enum nvmf_hq_state {
	NVMF_HQ_DOWN,
	NVMF_HQ_TRANSPORT, /* transport connecting */
	NVMF_HQ_CONNECT,   /* fabrics Connect in flight */
	NVMF_HQ_LIVE,
};

/*
 * An I/O queue owned by an application thread (nvmf_qpair_alloc): that
 * thread submits and reaps on it directly (no hop to the loop thread, no
 * lock shared with other threads); the loop thread still connects it,
 * tears it down and reconnects it.  Whatever touches the queue - its
 * transport objects, its slots, the lists below - holds lock: the owner
 * in nvmf_qpair_submit()/_poll() (uncontended: the loop thread takes it
 * only for connection events, timeouts, recovery and memory
 * registration), the loop thread around every entry into the transport
 * for that queue (hq_lock()).  Recursive: the loop thread's recovery
 * re-enters it.
 *
 * The owner's requests (NVMF_REQ_QPAIR) are never on the controller's
 * lists: waiting to be sent they are on backlog (the queue is not live,
 * or full), completed on done, whose callbacks only the owner's
 * nvmf_qpair_poll() calls.  Requests of the controller on an owned queue
 * that the owner reaps (shared I/O still in flight when the queue was
 * taken; never its Connect: an owner polls only once the controller is
 * live) go to to_loop, completed on the loop thread.
 */
struct nvmf_qpair {
	pthread_mutex_t lock;
	struct nvmf_ctrl *ctrl;
	pthread_t owner;
	uint16_t qid;
	/* under lock */
	struct nvmf_req_list backlog;
	struct nvmf_req_list done;
	struct nvmf_req_list to_loop;
	bool to_loop_posted;
	bool err_posted; /* a failure seen by the owner, for the loop */
	char err_why[120];
	uint32_t err_gen; /* of the transport queue it was seen on */
	bool open;	  /* the controller is live and so is the queue */
	int fail_err;	  /* not open: fail submissions with it (0: wait) */
	bool plugged;	  /* the owner sends a batch: one doorbell at its end */
	/* the owner's only */
	struct nvmf_req_list free;
	/* submitted from its callbacks: sent together after them */
	struct nvmf_req_list held;
	bool in_callbacks;
	struct nvmf_req *reqs;
	struct nvme_dsm_range *ranges; /* one per request (deallocate) */
	uint32_t nr_reqs;
	uint32_t outstanding; /* submitted and not yet called back */
	uint32_t max_io;
	unsigned int ns_gen;
	int nr_ns;
	struct nvmf_ns_info *ns; /* NVMF_HOST_MAX_NS, copied on change */
	/* enum nvmf_ctrl_stat of this queue: one writer at a time (lock) */
	uint64_t stats[NVMF_STAT_NR];
};

/* One queue pair, transport-neutral part. */
struct nvmf_hq {
	struct nvmf_ctrl *ctrl;
	uint16_t qid;
	uint16_t size; /* entries (hrqsize); size - 1 may be outstanding */
	enum nvmf_hq_state state;
	struct nvmf_slots slots;
	void *tp;	       /* the transport's queue */
	struct nvmf_qpair *qp; /* owned by an application thread, or NULL */
	uint64_t *stats;       /* the controller's, or qp's */
	uint32_t gen;	       /* tells this queue from earlier ones */
};

/*
 * Loop thread, before any work on hq (a transport's event or timer for
 * that queue): an owned queue's lock, or NULL.  Keep the returned mutex
 * to unlock: the work may free hq.
 */
static inline pthread_mutex_t *hq_lock(const struct nvmf_hq *hq)
{
	pthread_mutex_t *m = hq && hq->qp ? &hq->qp->lock : NULL;

	if (m)
		pthread_mutex_lock(m);
	return m;
}

static inline void hq_unlock(pthread_mutex_t *m)
{
	if (m)
		pthread_mutex_unlock(m);
}

/*
 * The queue's owner reaps it (a live owned queue): the transport asks
 * for no completion events and does not read it from the loop thread.
 */
static inline bool hq_owner_polls(const struct nvmf_hq *hq)
{
	return hq->qp && hq->state == NVMF_HQ_LIVE;
}

/* A data path counter of hq: under its lock, or on the loop thread. */
static inline void hq_stat(struct nvmf_hq *hq, enum nvmf_ctrl_stat s,
			   uint64_t n)
{
	nvmf_counter_add(&hq->stats[s], n);
}

/* ---- transport ops ---------------------------------------------------------- */

struct nvmf_host_transport_ops {
	const char *name;
	/*
	 * The data of a command is described by keyed SGLs (the host's
	 * memory, which the controller reads or writes remotely): a
	 * controller that does not support them cannot be used.
	 */
	bool keyed_sgls;
	/* Per controller state; called once at creation, once at free. */
	int (*ctrl_init)(struct nvmf_ctrl *ctrl);
	void (*ctrl_fini)(struct nvmf_ctrl *ctrl);
	/*
	 * Start connecting a queue; later call nvmf_hq_transport_up() or
	 * nvmf_hq_transport_error().  Return: 0, or < 0 (nothing to undo).
	 */
	int (*queue_connect)(struct nvmf_hq *hq);
	/* Release every object of the queue now; no callback follows. */
	void (*queue_teardown)(struct nvmf_hq *hq);
	/* Release what the controller holds on the device (after all queues). */
	void (*ctrl_release)(struct nvmf_ctrl *ctrl);
	/* Send req on hq (slot req->cid is taken).  Return: 0 or < 0. */
	int (*submit)(struct nvmf_hq *hq, struct nvmf_req *req);
	/* Reap completions without waiting.  Return: how many, or < 0. */
	int (*poll)(struct nvmf_hq *hq);
	/*
	 * Optional: ask for a completion event again (after busy polling,
	 * which leaves completion queues unarmed).  Return: 0 or < 0.
	 */
	int (*arm)(struct nvmf_hq *hq);
	/*
	 * Optional: send now what submissions from a completion pass held
	 * back to send together at its end; called before the loop's thread
	 * waits inside a call (ctrl_wait).
	 */
	void (*flush)(struct nvmf_hq *hq);
	/* Memory regions: (re)registered on the current device. */
	int (*mr_add)(struct nvmf_ctrl *ctrl, void *buf, size_t len);
	void (*mr_del)(struct nvmf_ctrl *ctrl, void *buf);
	/*
	 * Optional: where command cid of hq stands on the wire, for the
	 * message that says it timed out.
	 */
	void (*slot_state)(struct nvmf_hq *hq, uint16_t cid, char *buf,
			   size_t len);
};

extern const struct nvmf_host_transport_ops nvmf_host_rdma_ops;
extern const struct nvmf_host_transport_ops nvmf_host_tcp_ops;
/* Add a transport (ops->name is its trtype).  Return: 0 or -ENOSPC. */
int nvmf_host_transport_register(const struct nvmf_host_transport_ops *ops);

/* Transport -> controller. */
void nvmf_hq_transport_up(struct nvmf_hq *hq);
void nvmf_hq_transport_error(struct nvmf_hq *hq, int err, const char *why);
/* A response capsule arrived and its send completed. */
void nvmf_hq_complete(struct nvmf_hq *hq, const struct nvme_completion *cqe);
/* The controller's device failed (removal, fatal error). */
void nvmf_ctrl_transport_error(struct nvmf_ctrl *ctrl, const char *why);

/* ---- buffer pool ------------------------------------------------------------ */

/* Fixed-size chunks carved from one region. */
struct nvmf_pool {
	uint8_t *base;
	size_t chunk;
	uint32_t nr;
	uint32_t nr_free;
	uint32_t *free;
	pthread_mutex_t lock;
};

int nvmf_pool_init(struct nvmf_pool *p, size_t chunk, uint32_t nr);
void nvmf_pool_fini(struct nvmf_pool *p);
void *nvmf_pool_get(struct nvmf_pool *p);
/* Return: 0, or -EINVAL if buf is not a chunk of p handed out. */
int nvmf_pool_put(struct nvmf_pool *p, void *buf);
bool nvmf_pool_owns(const struct nvmf_pool *p, const void *buf);

/* ---- command builders (cmd.c) ---------------------------------------------- */

void nvmf_cmd_connect(union nvme_command *cmd, uint16_t qid, uint16_t sqsize,
		      uint32_t kato_ms);
void nvmf_connect_data_fill(struct nvmf_connect_data *d, const uint8_t *hostid,
			    uint16_t cntlid, const char *subnqn,
			    const char *hostnqn);
void nvmf_cmd_prop_get(union nvme_command *cmd, uint32_t off, bool size8);
void nvmf_cmd_prop_set(union nvme_command *cmd, uint32_t off, uint64_t val);
void nvmf_cmd_identify(union nvme_command *cmd, uint8_t cns, uint32_t nsid);
void nvmf_cmd_get_log(union nvme_command *cmd, uint8_t lid, uint32_t nsid,
		      uint64_t off, uint32_t len);
void nvmf_cmd_set_features(union nvme_command *cmd, uint8_t fid, uint32_t dw11);
/* I/O: Return: 0, or -EINVAL when not block aligned or out of range. */
int nvmf_cmd_io(union nvme_command *cmd, const struct nvmf_io *io,
		uint32_t block_size, uint64_t blocks);

/*
 * Data pointer of a command: in-capsule when the data goes to the
 * controller and fits (icd_max > 0), else keyed (asking the target to
 * invalidate rkey with its response when invalidate).
 * Return: true when the data goes in the capsule.
 */
bool nvmf_sgl_build(union nvme_command *cmd, uint32_t len, bool to_host,
		    uint32_t icd_max, uint64_t addr, uint32_t rkey,
		    bool invalidate);

/*
 * The largest transfer: the controller's MDTS (Identify, a power of two of
 * 4 KiB pages, 0: no limit), at most cap.  A target's MDTS of 20 or more
 * (4 GiB and up) is above any cap, not a shift that overflows.
 */
uint32_t nvmf_max_transfer(uint8_t mdts, uint32_t cap);

/* Largest in-capsule data the controller takes (0 if none). */
uint32_t nvmf_icd_max(const struct nvme_id_ctrl *id, bool io_queue);

/* ---- the controller ------------------------------------------------------ */

enum nvmf_init_step {
	INIT_IDLE,
	INIT_ADMIN_QUEUE,
	INIT_CONNECT_ADMIN,
	INIT_CAP,
	INIT_VS,
	INIT_CC_ENABLE,
	INIT_WAIT_RDY,
	INIT_IDENTIFY,
	INIT_NR_QUEUES,
	INIT_IO_QUEUES,
	INIT_NS_LIST,
	INIT_NS_IDENTIFY,
	INIT_AEN_CONFIG,
	INIT_DONE,
};

struct nvmf_ctrl {
	struct nvmf_trid trid;
	struct nvmf_ctrl_opts opts;
	const struct nvmf_host_transport_ops *ops;
	void *tp; /* the transport's controller */
	struct nvmf_loop *loop;
	pthread_t thread;
	bool own_thread;
	/* the API's threading rules (include/nvmf/host.h), any thread */
	atomic_int api_users; /* calls inside the library */
	atomic_bool closing;  /* nvmf_ctrl_shutdown() or _disconnect() */
	int loop_depth;	      /* poll mode: the owner is running the loop */
	/*
	 * Poll mode, loop thread: the owner busy polls (the busy_poll option,
	 * and nvmf_ctrl_poll with timeout 0), so completion queues are left
	 * unarmed until its next wait; the loop's own events are looked at
	 * once a millisecond (busy_loop_ms).
	 */
	bool cqs_unarmed;
	uint64_t busy_loop_ms;
	/* loop thread: nvmf_io_plug() depth; submissions held until 0 */
	int plugged;
	bool discovery;
	char name[300]; /* log prefix */
	uint8_t hostid[16];

	/* under lock: read by other threads */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum nvmf_ctrl_state state;
	struct nvmf_ctrl_info info;
	struct nvmf_ns_info ns[NVMF_HOST_MAX_NS];
	int nr_ns;
	struct nvmf_req_list incoming; /* submitted from other threads */
	bool incoming_posted;
	/* completed requests for other threads' submissions to reuse */
	struct nvmf_req_list req_cache;
	bool first_done; /* the first connect finished (ok or not) */
	int first_err;
	char first_why[160];

	/* bumped (under lock) when ns[] changes: owned queues copy it */
	unsigned int ns_gen;

	/* loop thread only; an owned queue's entry under its lock too */
	struct nvmf_hq *queues[NVMF_HOST_MAX_QUEUES + 1];
	struct nvmf_qpair *qpairs[NVMF_HOST_MAX_QUEUES + 1]; /* and lock */
	uint16_t nr_qpairs;
	uint32_t hq_gen;
	uint16_t nr_io_queues;
	uint16_t next_io_queue;
	struct nvmf_req_list pending; /* waiting for a live queue or a slot */
	/*
	 * Completed requests, reused by submissions on the loop thread; the
	 * next hop of other threads' submissions moves them to req_cache.
	 */
	struct nvmf_req_list req_done;
	uint32_t nr_reqs; /* allocated and not freed; atomic */
	enum nvmf_init_step step;
	uint64_t cap;
	uint32_t vs;
	uint32_t cc_enabled; /* the CC value that enabled the controller */
	uint64_t rdy_deadline;
	struct nvme_id_ctrl *id;
	uint32_t icd_max;
	uint32_t max_io;
	struct nvme_ns_list *ns_list;
	struct nvme_id_ns *id_ns;
	int ns_scan_idx;
	struct nvmf_ns_info ns_new[NVMF_HOST_MAX_NS];
	int nr_ns_new;
	bool ns_rescan;	   /* a namespace change notice came in */
	bool rdy_poll;	   /* step_timer: poll CSTS again */
	uint16_t io_live;  /* I/O queues connected in this attempt */
	bool reconnecting; /* not the first connect */
	uint64_t attempt_start;
	uint64_t loss_start;
	struct nvmf_timer *reconnect_timer;
	struct nvmf_timer *step_timer;
	struct nvmf_timer *ka_timer;
	struct nvmf_timer *tick_timer;
	struct nvmf_timer *loss_timer;
	struct nvmf_timer *failfast_timer;
	bool ka_outstanding;
	struct nvmf_pool pool;
	bool pool_ready;
	/* enum nvmf_ctrl_stat; relaxed atomics (some are counted anywhere) */
	uint64_t stats[NVMF_STAT_NR];
};

static inline void ctrl_stat(struct nvmf_ctrl *c, enum nvmf_ctrl_stat s,
			     uint64_t n)
{
	__atomic_fetch_add(&c->stats[s], n, __ATOMIC_RELAXED);
}

/* The same on the loop thread, the counter's only writer: no locked add. */
static inline void ctrl_stat_loop(struct nvmf_ctrl *c, enum nvmf_ctrl_stat s,
				  uint64_t n)
{
	nvmf_counter_add(&c->stats[s], n);
}

/*
 * Submissions to hq are held and go out together, with one doorbell, at
 * the end of the batch (ops->flush): the controller's nvmf_io_plug(), or
 * an owned queue's own batch.
 */
static inline bool hq_plugged(const struct nvmf_hq *hq)
{
	return hq->qp ? hq->qp->plugged : hq->ctrl->plugged > 0;
}

#define ctrl_info(c, ...)  nvmf_obj_info((c)->name, __VA_ARGS__)
#define ctrl_warn(c, ...)  nvmf_obj_warn((c)->name, __VA_ARGS__)
#define ctrl_err(c, ...)   nvmf_obj_err((c)->name, __VA_ARGS__)
#define ctrl_debug(c, ...) nvmf_obj_debug((c)->name, __VA_ARGS__)

/* Allowed state transitions (REFERENCE section 8); exposed for tests. */
bool nvmf_ctrl_state_allowed(enum nvmf_ctrl_state from,
			     enum nvmf_ctrl_state to);

#endif /* NVMF_HOST_INTERNAL_H */

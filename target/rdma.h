/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to nvmf-tgt's RDMA transport: rdma.c (devices, connection
 * manager, listeners, ops table), rdma_queue.c (queue setup and teardown)
 * and rdma_io.c (the data path).  See rdma.c for who owns what.
 */
#ifndef NVMF_TARGET_RDMA_H
#define NVMF_TARGET_RDMA_H

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "nvmet.h"
#include "range_map.h"
#include "rdma_dev.h"

#define RDMA_LISTEN_BACKLOG 128
#define RDMA_POLL_BATCH	    32
#define RDMA_CMD_SIZE	    sizeof(union nvme_command)

enum rdma_ctx_type { CTX_LISTENER, CTX_QUEUE };

enum rdma_wr_type { WR_RECV, WR_SEND, WR_READ };

struct rdma_wr_ctx {
	enum rdma_wr_type type;
};

/*
 * The data buffer pool of one worker on one device (rdma_pool.c): regions
 * of NVMET_RDMA_POOL_REGION bytes, registered as the I/O in flight needs
 * them, cut into runs of 4 KiB pages.
 */
#define NVMET_RDMA_POOL_PAGE   4096u
#define NVMET_RDMA_POOL_REGION (2u << 20)
#define NVMET_RDMA_POOL_MAX    (64u << 20) /* default, per worker and device */

_Static_assert(NVMET_RDMA_POOL_REGION >= NVMET_MAX_XFER,
	       "a region holds the largest transfer");
_Static_assert(NVMET_RDMA_POOL_REGION / NVMET_RDMA_POOL_PAGE <= UINT16_MAX,
	       "struct rdma_buf counts pages in 16 bits");

struct rdma_pool_region {
	void *buf;
	struct ibv_mr *mr;
	int ring_buf; /* its index in the worker's io_uring, or -1 */
	struct nvmet_range_map *map;
};

/* A data buffer taken from a pool; pages 0: none. */
struct rdma_buf {
	void *addr;
	uint32_t lkey;
	uint16_t region;
	uint16_t start;
	uint16_t pages;
};

struct rdma_rsp;

struct rdma_pool {
	struct ibv_pd *pd;
	struct nvmet_worker *w;		  /* the pool's worker (its counters) */
	struct rdma_pool_region *regions; /* max_regions */
	int nr_regions;
	int max_regions;
	unsigned int pages_used;
	bool warned;
	TAILQ_HEAD(, rdma_rsp) waiters; /* no room: in order, any queue */
	/*
	 * The worker's started queues on the device, and the end-of-pass
	 * work that reaps their send CQs when a request starts waiting
	 * (the buffers of responses sent but not reaped come back).
	 */
	TAILQ_HEAD(, rdma_queue) queues;
	struct nvmet_flush reap;
};

/*
 * Our PD on a device context, shared by the queues on it, and a data
 * buffer pool per worker.  Each queue holds a reference and drops it
 * before its cm_id is destroyed: the context is librdmacm's, kept open by
 * the cm_ids bound to it (rdma_dev.h).
 */
struct rdma_dev {
	struct ibv_context *verbs;
	struct ibv_pd *pd;
	struct ibv_device_attr attr; /* queried once, in dev_get() */
	struct rdma_pool **pools;    /* one per worker */
	int nr_pools;
	TAILQ_HEAD(, rdma_srq) srqs; /* main thread: created as queues come */
	bool no_srq;		     /* cannot: each queue posts its own */
	int refs;
	TAILQ_ENTRY(rdma_dev) link;
};

/*
 * A worker's shared receive queue on a device (rdma_srq.c): the command
 * capsules of every queue of that worker on the device whose port has this
 * in-capsule data size, so that a new queue posts, maps and registers no
 * receive buffers of its own (the kernel target's use_srq).  It holds at
 * least as many buffers as its queues' depths add up to, so a host that
 * keeps to its queue size never finds it empty: it grows by chunks as
 * queues join.  Created by the main thread with the first such queue,
 * posted to by the worker, destroyed with the device's last queue.
 */
struct rdma_srq_chunk {
	void *bufs; /* capsules, then in-capsule data: one registration */
	size_t bufs_size;
	struct ibv_mr *mr;
	int ring_buf; /* bufs in the worker's io_uring, or -1 */
	struct rdma_cmd *cmds;
	SLIST_ENTRY(rdma_srq_chunk) link;
};

struct rdma_srq {
	struct ibv_srq *srq;
	struct nvmet_worker *w;
	uint32_t inline_size;
	/* main thread */
	char dev_name[64]; /* its device's, for nvmet_rdma_srq_warm() */
	int max_wr;	   /* buffers the SRQ can hold */
	int step;	   /* buffers a chunk adds (--srq-size) */
	int depth;	   /* buffers posted to it, all chunks */
	int need;	   /* the depths of the queues on it, added up */
	int need_max;	   /* the most need has been */
	bool full_said;
	SLIST_HEAD(, rdma_srq_chunk) chunks;
	int lent; /* worker: taken from completions, not given back yet */
	/* worker: receives given back during a pass, posted at its end */
	struct nvmet_flush flush;
	struct ibv_recv_wr *recv_head, *recv_tail;
	TAILQ_ENTRY(rdma_srq) link;
};

struct rdma_listener {
	enum rdma_ctx_type type;
	struct nvmet_port *port;
	struct rdma_cm_id *cm_id;
	struct nvmf_rdma_dev *rdev; /* when bound to one device's address */
	/*
	 * Growing that device's shared receive queues back to what they
	 * held before it went, then holding them for the hosts to return
	 */
	struct rdma_dev *warm;
	struct nvmf_timer *warm_timer;
	uint64_t warm_start_ns;
	bool warm_grown;
};

struct rdma_queue;

struct rdma_srq;

/*
 * A receive buffer: one command capsule.  Those of a shared receive queue
 * belong to it and are lent to the queue whose QP received into them.
 */
struct rdma_cmd {
	struct rdma_wr_ctx ctx;
	struct rdma_queue *q; /* the queue it was received on */
	struct rdma_srq *srq; /* its shared receive queue, or NULL */
	int ring_buf;	      /* shared: its chunk's in the io_uring */
	union nvme_command *sqe;
	void *inline_data;
	struct ibv_sge sge[2];
	struct ibv_recv_wr wr;
	uint32_t inline_len; /* in-capsule bytes received after the SQE */
	TAILQ_ENTRY(rdma_cmd) link; /* waiting for a response context */
};

/* A response context: the request being processed. */
struct rdma_rsp {
	struct nvmet_req req;
	struct rdma_queue *q;
	struct rdma_cmd *cmd;
	struct rdma_wr_ctx send_ctx;
	struct rdma_wr_ctx read_ctx;
	struct ibv_sge send_sge;
	struct ibv_sge data_sge;
	struct ibv_send_wr send_wr;
	struct ibv_send_wr rdma_wr;
	struct rdma_buf buf; /* keyed SGL data, from the queue's pool */
	uint64_t remote_addr;
	uint32_t rkey;
	bool invalidate;
	int credits;		    /* send queue entries held */
	TAILQ_ENTRY(rdma_rsp) link; /* free list or a wait list */
};

enum rdma_queue_state {
	Q_CONNECTING,
	Q_LIVE,
	Q_STOPPING, /* handed to the worker to stop */
};

struct rdma_queue {
	enum rdma_ctx_type type;
	struct nvmet_sq sq;
	struct nvmet_tgt *tgt;
	struct rdma_cm_id *cm_id;
	struct nvmf_rdma_dev *rdev; /* the cm_id's device reference */
	struct rdma_dev *dev;	    /* our PD on it */
	struct rdma_srq *srq;	    /* receive buffers: shared, or our own */
	struct ibv_comp_channel *channel;
	/*
	 * Receives complete on cq, armed whenever the worker may sleep: a
	 * command wakes it.  Sends, RDMA WRITEs and READs complete on scq,
	 * reaped with each pass and armed only while something waits for
	 * them (rdma_io.c: scq_needed): a response's send completion would
	 * otherwise cost a wake-up of its own.
	 */
	struct ibv_cq *cq;
	struct ibv_cq *scq;
	bool scq_armed;			   /* worker */
	bool on_pool;			   /* worker: in pool->queues */
	TAILQ_ENTRY(rdma_queue) pool_link; /* worker */

	struct nvmf_watch *watch;    /* worker */
	struct nvmet_poller poller;  /* worker, with --poll-us */
	enum rdma_queue_state state; /* main thread */
	bool stopping;		     /* worker */
	bool released;		     /* worker: release posted */
	bool fatal;		     /* worker: disconnect requested */
	int recv_depth;
	int srq_held;	/* worker: shared buffers it holds (<= recv_depth) */
	int send_depth; /* max_send_wr */
	int send_credits;
	int read_credits;
	int read_max; /* read_credits with no RDMA READ in flight */
	/*
	 * One mapping, one registration: the command capsules and their
	 * in-capsule data (without a shared receive queue), and the
	 * completions sent back.
	 */
	void *bufs;
	size_t bufs_size;
	struct ibv_mr *mr;
	int ring_buf; /* bufs in the worker's io_uring, or -1 */
	struct rdma_cmd *cmds;
	void *cmd_buf;	  /* in bufs */
	void *inline_buf; /* in bufs */
	struct rdma_rsp *rsps;
	int nr_rsps;
	struct nvme_completion *cqes; /* in bufs */
	struct rdma_pool *pool;	      /* data buffers: the worker's, on dev */
	TAILQ_HEAD(, rdma_rsp) free_rsps;
	TAILQ_HEAD(, rdma_cmd) wait_cmds; /* no free response context */
	TAILQ_HEAD(, rdma_rsp) wait_data; /* a buffer, no READ credits */
	TAILQ_HEAD(, rdma_rsp) wait_send; /* no send queue credits */
	TAILQ_ENTRY(rdma_queue) link;	  /* main thread list */
	/* worker: posts chained during a pass, posted once at its end */
	struct nvmet_flush flush;
	struct ibv_send_wr *send_head, *send_tail;
	struct ibv_recv_wr *recv_head, *recv_tail;
};

/* A command's data descriptor, checked (rdma_sgl.c). */
struct rdma_sgl {
	enum { RDMA_SGL_NONE, RDMA_SGL_INLINE, RDMA_SGL_KEYED } kind;
	uint32_t off; /* in-capsule: offset in the in-capsule data */
	uint32_t len;
	uint64_t addr; /* keyed: the host's buffer */
	uint32_t key;
	bool invalidate;
};

uint16_t nvmet_rdma_parse_sgl(const union nvme_command *cmd,
			      enum nvmet_data_dir dir, uint32_t data_len,
			      uint32_t inline_size, uint32_t received,
			      struct rdma_sgl *out);

/* rdma.c */
void nvmet_rdma_dev_put(struct rdma_dev *d);
void nvmet_rdma_queue_forget(struct rdma_queue *q);

/* rdma_io.c */
void nvmet_rdma_queue_flush(struct nvmet_flush *f);

/* rdma_queue.c */
void *nvmet_rdma_alloc_buf(size_t size);
void nvmet_rdma_free_buf(void *p, size_t size);
int nvmet_rdma_queue_alloc_bufs(struct rdma_queue *q);
int nvmet_rdma_queue_alloc_cmds(struct rdma_queue *q);
int nvmet_rdma_queue_alloc_rsps(struct rdma_queue *q);
int nvmet_rdma_queue_create_cq(struct rdma_queue *q);
int nvmet_rdma_queue_create_qp(struct rdma_queue *q);
void nvmet_rdma_queue_release(void *arg);
bool nvmet_rdma_queues_releasing(void);
void nvmet_rdma_queue_start(void *arg);
void nvmet_rdma_queue_stop(void *arg);
/*
 * The room of one receive buffer's in-capsule data: whole pages, so that
 * the data is page aligned for O_DIRECT whatever the port's
 * inline_data_size (as the kernel target's pages are).
 */
#define RDMA_INLINE_ALIGN 4096
static inline size_t nvmet_rdma_inline_stride(uint32_t inline_size)
{
	return ((size_t)inline_size + RDMA_INLINE_ALIGN - 1) &
	       ~(size_t)(RDMA_INLINE_ALIGN - 1);
}

/*
 * n receive buffers in one area: their capsules, then from a page boundary
 * their in-capsule data.  Return: the area's size; *inl_off: where the
 * in-capsule data starts.
 */
static inline size_t nvmet_rdma_recvs_size(size_t n, uint32_t inline_size,
					   size_t *inl_off)
{
	*inl_off = (n * RDMA_CMD_SIZE + RDMA_INLINE_ALIGN - 1) &
		   ~(size_t)(RDMA_INLINE_ALIGN - 1);
	return *inl_off + n * nvmet_rdma_inline_stride(inline_size);
}

void nvmet_rdma_cmds_init(struct rdma_cmd *cmds, int n, void *cmd_buf,
			  void *inline_buf, uint32_t inline_size,
			  uint32_t lkey);

/* rdma_srq.c */
struct rdma_srq *nvmet_rdma_srq_get(struct rdma_dev *d, struct nvmet_worker *w,
				    uint32_t inline_size, int step,
				    int queue_depth);
void nvmet_rdma_srq_put(struct rdma_srq *s, int queue_depth);
bool nvmet_rdma_srq_hinted(const char *dev_name);
int nvmet_rdma_srq_warm(struct rdma_dev *d, struct nvmet_tgt *tgt, int step);
bool nvmet_rdma_srq_back(struct rdma_dev *d);
void nvmet_rdma_srqs_destroy(struct rdma_dev *d);
void nvmet_rdma_srq_hints_free(void);
void nvmet_rdma_srq_flush(struct nvmet_flush *f);
void nvmet_rdma_disconnect_queue(struct nvmet_sq *sq);

/* rdma_pool.c */
struct rdma_pool *nvmet_rdma_pool_create(struct ibv_pd *pd, size_t max_bytes,
					 struct nvmet_worker *w);
void nvmet_rdma_pool_destroy(struct rdma_pool *p);
/* Return: 0; -EAGAIN: wait for a buffer to come back; else cannot. */
int nvmet_rdma_pool_get(struct rdma_pool *p, uint32_t len, struct rdma_buf *b);
void nvmet_rdma_pool_put(struct rdma_pool *p, struct rdma_buf *b);

/* rdma_io.c */
void nvmet_rdma_pool_kick(struct rdma_pool *p);
void nvmet_rdma_pool_reap(struct nvmet_flush *f);
void nvmet_rdma_queue_drop_waiters(struct rdma_queue *q);
int nvmet_rdma_post_recv(struct rdma_cmd *cmd);
void nvmet_rdma_queue_return_cmds(struct rdma_queue *q);
void nvmet_rdma_queue_fatal(struct rdma_queue *q, const char *why);
void nvmet_rdma_queue_response(struct nvmet_req *req);
void nvmet_rdma_cq_event(void *arg, uint32_t events);
int nvmet_rdma_queue_watch(struct rdma_queue *q);
/* Return: the work completions it took. */
int nvmet_rdma_poll_cq(struct rdma_queue *q);

#endif /* NVMF_TARGET_RDMA_H */

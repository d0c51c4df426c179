/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmf-tgt core: subsystems, namespaces, controllers, queues and requests,
 * independent of the transport.  A transport (target/rdma.c) implements
 * struct nvmet_transport_ops and drives requests through:
 *
 *   nvmet_req_init()      parse the SQE; sets req->data_len and direction
 *   (transport)           map the data: in-capsule, or RDMA READ for host
 *                         writes, or a local buffer for host reads
 *   nvmet_req_execute()   run the command; it completes, maybe later, with
 *   nvmet_req_complete()  which calls ops->queue_response(req): RDMA WRITE
 *                         of read data (if any) chained before the SEND of
 *                         the CQE
 *
 * Threads: the main thread runs the configuration, the listeners and the
 * connection manager; each worker thread owns a loop, an io_uring, and the
 * data path of the queues assigned to it.  A request lives on its queue's
 * worker.  Controllers are shared by queues on several workers: their
 * mutable state is under ctrl->lock.  Subsystem controller lists are under
 * subsys->lock.
 */
#ifndef NVMF_TARGET_NVMET_H
#define NVMF_TARGET_NVMET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>
#include <time.h>

#include "config.h"
#include "loop.h"
#include "nvme_spec.h"
#include "util.h"

#define NVMET_MDTS	    5 /* 2^5 pages of 4 KiB: 128 KiB */
#define NVMET_MAX_XFER	    (4096u << NVMET_MDTS)
#define NVMET_MAX_IO_QUEUES 64
#define NVMET_AERL	    3 /* 0-based: 4 outstanding AERs */
#define NVMET_ACL	    3
#define NVMET_KAS	    10	 /* keep-alive granularity, 100 ms */
#define NVMET_KATO_GRACE_MS 5000 /* added to KATO, as the kernel does */
#define NVMET_ELPE	    127
#define NVMET_FIRMWARE	    "0.1"
#define NVMET_DEFAULT_MODEL "Linux"

struct nvmet_tgt;
struct nvmet_worker;
struct nvmet_port;
struct nvmet_subsys;
struct nvmet_ctrl;
struct nvmet_sq;
struct nvmet_req;

/* ---- namespaces and backends --------------------------------------------- */

struct nvmet_ns {
	const struct nvmf_cfg_ns *cfg;
	struct nvmet_subsys *subsys;
	uint32_t nsid;
	bool enabled;
	int fd; /* -1 when not open */
	bool blkdev;
	unsigned int blksz_shift;
	uint64_t nr_blocks;
	uint8_t uuid[16]; /* configured or derived (stable) */
	uint8_t nguid[16];
	bool has_nguid;
};

/* ---- subsystems ------------------------------------------------------------ */

struct nvmet_subsys {
	const struct nvmf_cfg_subsys *cfg;
	char nqn[NVME_NQN_FIELD];
	char serial[21];
	uint32_t version; /* VS and Identify VER */
	bool discovery;
	struct nvmet_ns *ns;
	int nr_ns;
	pthread_mutex_t lock; /* ctrls, next_cntlid */
	TAILQ_HEAD(, nvmet_ctrl) ctrls;
	uint16_t next_cntlid;
	/* SMART counters, updated with atomics from the workers */
	atomic_uint_fast64_t host_reads;
	atomic_uint_fast64_t host_writes;
	atomic_uint_fast64_t blocks_read; /* in 512-byte units */
	atomic_uint_fast64_t blocks_written;
};

/* ---- ports ------------------------------------------------------------------ */

enum nvmet_port_state {
	NVMET_PORT_DISABLED,
	NVMET_PORT_LIVE,
	NVMET_PORT_REPAIRING,
};

struct nvmet_port {
	struct nvmet_tgt *tgt;
	const struct nvmf_cfg_port *cfg;
	char log_prefix[16]; /* "port 1" */
	enum nvmet_port_state state;
	uint64_t state_since_ms;
	struct timespec state_since;  /* wall clock, for the state files */
	unsigned int repair_attempts; /* since the port last went live */
	char last_error[256];
	void *priv; /* transport listener */
};

/* ---- controllers ------------------------------------------------------------- */

struct nvmet_ctrl {
	char log_prefix[32]; /* "ctrl 3" */
	struct nvmet_subsys *subsys;
	struct nvmet_port *port;
	struct nvmet_tgt *tgt;
	uint16_t cntlid;
	char hostnqn[NVME_NQN_FIELD];
	uint8_t hostid[16];
	atomic_int refs;	      /* one per queue */
	TAILQ_ENTRY(nvmet_ctrl) link; /* subsys->ctrls */

	pthread_mutex_t lock; /* everything below */
	uint64_t cap;
	uint32_t cc;
	uint32_t csts;
	uint32_t kato_ms;
	uint32_t aen_enabled;
	bool wce;   /* volatile write cache enabled */
	bool fatal; /* torn down: refuse new queues */
	struct nvmet_sq *sqs[NVMET_MAX_IO_QUEUES + 1]; /* [0] = admin */
	struct nvmet_req *aer_reqs[NVMET_AERL + 1];
	int nr_aer_reqs;
	uint32_t changed_ns[NVME_NS_LIST_MAX];
	int nr_changed_ns;
	struct nvmf_timer *ka_timer; /* on the admin queue's worker */
	uint64_t last_ka_ms;
};

/* ---- queues and requests ------------------------------------------------------ */

/* The transport's side of a queue; the core only reads these fields. */
struct nvmet_sq {
	struct nvmet_ctrl *ctrl; /* NULL until Connect */
	struct nvmet_port *port;
	struct nvmet_worker *worker;
	const struct nvmet_transport_ops *ops;
	uint16_t qid;
	uint16_t size; /* entries (sqsize + 1) */
	uint16_t sqhd;
	bool sqhd_disabled;
	uint32_t inline_data_size;
	unsigned int io_inflight; /* backend operations, worker only */
	char log_prefix[32];	  /* "queue 3/1" */
};

/* One backend operation of a request, on its worker's io_uring. */
struct nvmet_io {
	struct nvmet_req *req;
	uint8_t op; /* IORING_OP_* */
	int rw_flags;
	int mode; /* fallocate */
	uint64_t off;
	uint64_t len;
	uint32_t done; /* bytes done of a short read/write */
	int range;     /* Dataset Management: next range */
	TAILQ_ENTRY(nvmet_io) link;
};

enum nvmet_data_dir {
	NVMET_DATA_NONE,
	NVMET_DATA_TO_CTRL, /* host write: data comes from the host */
	NVMET_DATA_TO_HOST, /* host read: data goes to the host */
};

struct nvmet_req {
	struct nvmet_sq *sq;
	union nvme_command *cmd;
	struct nvme_completion *cqe;
	struct nvmet_ns *ns;
	enum nvmet_data_dir dir;
	uint32_t data_len; /* bytes the command transfers */
	void *data;	   /* mapped by the transport */
	void (*execute)(struct nvmet_req *req);
	struct nvmet_io io;
	void *priv; /* transport */
};

struct nvmet_transport_ops {
	const char *name;
	/* Start/stop listening on a port; main thread. */
	int (*listen)(struct nvmet_port *port);
	void (*stop_listen)(struct nvmet_port *port);
	/* Send the completion (and read data); the queue's worker. */
	void (*queue_response)(struct nvmet_req *req);
	/* Ask the transport to disconnect a queue; any thread. */
	void (*disconnect_queue)(struct nvmet_sq *sq);
	/* The local address a queue is connected to (for wildcard ports). */
	void (*local_traddr)(struct nvmet_sq *sq, char *buf, size_t size);
};

/* ---- the target and its workers ------------------------------------------------ */

struct io_uring;

struct nvmet_worker {
	struct nvmet_tgt *tgt;
	int index;
	pthread_t thread;
	struct nvmf_loop *loop;
	struct io_uring *ring;
	int ring_efd;
	struct nvmf_watch *ring_watch;
	unsigned int ring_inflight;
	TAILQ_HEAD(, nvmet_io) ring_wait; /* waiting for an SQE */
};

struct nvmet_tgt {
	struct nvmf_cfg *cfg;
	struct nvmf_loop *loop;	     /* main thread */
	struct nvmet_subsys *subsys; /* [0] is the discovery subsystem */
	int nr_subsys;
	struct nvmet_port *ports;
	int nr_ports;
	struct nvmet_worker *workers;
	int nr_workers;
	atomic_uint next_worker;
	atomic_uint_fast64_t genctr; /* discovery generation counter */
	unsigned int repair_interval_ms;
	const char *run_dir; /* port state files, or NULL */
};

/* subsys.c */
int nvmet_tgt_build(struct nvmet_tgt *tgt, struct nvmf_cfg *cfg, char *err,
		    size_t errlen);
void nvmet_tgt_release(struct nvmet_tgt *tgt);
struct nvmet_subsys *nvmet_find_subsys(struct nvmet_tgt *tgt, const char *nqn);
bool nvmet_host_allowed(const struct nvmet_subsys *subsys, const char *hostnqn);
bool nvmet_port_has_subsys(const struct nvmet_port *port,
			   const struct nvmet_subsys *subsys);
struct nvmet_ns *nvmet_find_ns(struct nvmet_subsys *subsys, uint32_t nsid);
struct nvmet_worker *nvmet_pick_worker(struct nvmet_tgt *tgt);

/* ctrl.c */
struct nvmet_ctrl *nvmet_ctrl_alloc(struct nvmet_subsys *subsys,
				    struct nvmet_port *port,
				    const char *hostnqn, const uint8_t *hostid,
				    uint32_t kato_ms);
struct nvmet_ctrl *nvmet_ctrl_find_get(struct nvmet_subsys *subsys,
				       uint16_t cntlid, const char *hostnqn);
void nvmet_ctrl_put(struct nvmet_ctrl *ctrl);
int nvmet_ctrl_install_sq(struct nvmet_ctrl *ctrl, struct nvmet_sq *sq);
void nvmet_ctrl_remove_sq(struct nvmet_ctrl *ctrl, struct nvmet_sq *sq);
void nvmet_ctrl_fatal(struct nvmet_ctrl *ctrl, const char *why);
void nvmet_ctrl_start_keep_alive(struct nvmet_ctrl *ctrl);
void nvmet_ctrl_keep_alive(struct nvmet_ctrl *ctrl);

/* core.c: request lifecycle */
uint16_t nvmet_req_init(struct nvmet_req *req, struct nvmet_sq *sq);
void nvmet_req_execute(struct nvmet_req *req);
void nvmet_req_complete(struct nvmet_req *req, uint16_t status);
void nvmet_set_result(struct nvmet_req *req, uint32_t result);
void nvmet_sq_init(struct nvmet_sq *sq);

/* parsers; each sets req->execute, req->dir and req->data_len */
uint16_t nvmet_parse_fabrics_cmd(struct nvmet_req *req);
uint16_t nvmet_parse_connect_cmd(struct nvmet_req *req);
uint16_t nvmet_parse_admin_cmd(struct nvmet_req *req);
uint16_t nvmet_parse_discovery_cmd(struct nvmet_req *req);
uint16_t nvmet_parse_io_cmd(struct nvmet_req *req);

/* admin.c helpers shared with discovery.c */
uint32_t nvmet_get_log_page_len(const union nvme_command *cmd);
uint64_t nvmet_get_log_page_offset(const union nvme_command *cmd);
bool nvmet_parse_common_admin(struct nvmet_req *req);
void nvmet_fill_id_ctrl_common(struct nvmet_req *req, struct nvme_id_ctrl *id);
uint16_t nvmet_copy_log(struct nvmet_req *req, const void *page, size_t size);

/* backend.c: namespace I/O on the worker's io_uring */
int nvmet_ns_open(struct nvmet_ns *ns, char *err, size_t errlen);
void nvmet_ns_close(struct nvmet_ns *ns);
int nvmet_worker_ring_init(struct nvmet_worker *w);
void nvmet_worker_ring_exit(struct nvmet_worker *w);
void nvmet_worker_ring_reap(struct nvmet_worker *w);
void nvmet_bdev_rw(struct nvmet_req *req, bool write, uint64_t offset);
void nvmet_bdev_flush(struct nvmet_req *req);
void nvmet_bdev_write_zeroes(struct nvmet_req *req, uint64_t off, uint64_t len);
void nvmet_bdev_dsm(struct nvmet_req *req);

/* rdma.c */
extern const struct nvmet_transport_ops nvmet_rdma_ops;
int nvmet_rdma_init(struct nvmet_tgt *tgt);
void nvmet_rdma_exit(struct nvmet_tgt *tgt);
void nvmet_rdma_disconnect_all(void);
bool nvmet_rdma_idle(void);

/* port.c */
void nvmet_port_set_state(struct nvmet_port *port, enum nvmet_port_state state,
			  const char *why);
const char *nvmet_port_state_name(enum nvmet_port_state state);
void nvmet_port_set_error(struct nvmet_port *port, const char *error);
void nvmet_port_publish(struct nvmet_port *port);

static inline uint16_t nvmet_status(unsigned int sct, unsigned int sc)
{
	return nvme_status(sct, sc, 1);
}

#endif /* NVMF_TARGET_NVMET_H */

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

#define NVMET_MDTS	    8 /* 2^8 pages of 4 KiB: 1 MiB, as the kernel */
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
	struct nvmf_cfg_ns cfg; /* device path and identifiers; path owned */
	struct nvmet_subsys *subsys; /* may go first once it is unlinked */
	struct nvmet_tgt *tgt;
	uint32_t nsid;
	bool enabled;	     /* serves I/O; written under the model lock */
	atomic_int inflight; /* requests holding it (nvmet_ns_get) */
	uint32_t ana_grpid;
	bool resv_enable;
	/* Namespace Write Protection (feature 0x84): set by any host */
	atomic_bool readonly;
	TAILQ_ENTRY(nvmet_ns)
	link;		       /* subsys->nss, ascending nsid; or
				     * tgt->ns_retired */
	uint64_t retire_epoch; /* freed after this grace round */
	int fd;		       /* -1 when not open */
	int file_slot;	       /* in the workers' io_uring file tables, or -1 */
	bool blkdev;
	unsigned int blksz_shift;
	uint64_t nr_blocks;
	uint8_t uuid[16]; /* configured or derived (stable) */
	uint8_t nguid[16];
	bool has_nguid;
};

/* ---- subsystems ------------------------------------------------------------ */

/* An allowed_hosts entry (a symlink to hosts/NQN in the tree). */
struct nvmet_host_link {
	char name[NVME_NQN_FIELD];
	struct nvmet_host *host;
	TAILQ_ENTRY(nvmet_host_link) link;
};

struct nvmet_host {
	char nqn[NVME_NQN_FIELD];
	char dhchap_key[256];
	char dhchap_ctrl_key[256];
	char dhchap_hash[32];
	char dhchap_dhgroup[32];
	unsigned int nr_links; /* allowed_hosts entries pointing here */
	TAILQ_ENTRY(nvmet_host) link;
};

struct nvmet_subsys {
	struct nvmet_tgt *tgt;
	char nqn[NVME_NQN_FIELD];
	char serial[21];
	char model[41];
	char firmware[9];
	uint32_t version; /* VS and Identify VER */
	uint32_t ieee_oui;
	uint16_t cntlid_min;
	uint16_t cntlid_max;
	uint16_t qid_max;
	bool allow_any_host;
	bool pi_enable;
	atomic_bool discovered; /* a host identified it: identity fixed */
	bool discovery;
	atomic_int refs; /* the model's, one per controller */
	TAILQ_HEAD(nvmet_ns_head, nvmet_ns) nss; /* under the model lock */
	TAILQ_HEAD(, nvmet_host_link) hosts;	 /* under the model lock */
	unsigned int nr_port_links;		 /* ports linking it */
	TAILQ_ENTRY(nvmet_subsys) link;		 /* tgt->subsystems */
	pthread_mutex_t lock;			 /* ctrls, next_cntlid */
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

/* A ports/ID/subsystems entry (a symlink to subsystems/NQN). */
struct nvmet_subsys_link {
	char name[NVME_NQN_FIELD];
	struct nvmet_subsys *subsys;
	TAILQ_ENTRY(nvmet_subsys_link) link;
};

/* A discovery referral: another discovery service, listed in the log. */
struct nvmet_referral {
	char name[64];
	struct nvmf_cfg_port addr; /* portid, trtype, adrfam, traddr, trsvcid */
	char treq[32];
	bool enabled;
	TAILQ_ENTRY(nvmet_referral) link;
};

#define NVMET_MAX_ANAGRPS 128

struct nvmet_port {
	struct nvmet_tgt *tgt;
	struct nvmf_cfg_port cfg; /* address and parameters (no list) */
	char treq[32];
	char tsas[32];
	int param_inline_data_size; /* as written; -1: the default */
	int param_max_queue_size;
	bool pi_enable;
	/* ANA group states, 0 when the group does not exist, else 1 + index */
	uint8_t ana_state[NVMET_MAX_ANAGRPS + 1];
	TAILQ_HEAD(, nvmet_subsys_link) subsystems; /* under the model lock */
	TAILQ_HEAD(, nvmet_referral) referrals;	    /* under the model lock */
	TAILQ_ENTRY(nvmet_port) link;		    /* tgt->ports */
	unsigned int nr_queues; /* transport queues using it; main thread */
	bool removed;	     /* out of the model, freed with its last queue */
	char log_prefix[16]; /* "port 1" */
	enum nvmet_port_state state;
	uint64_t state_since_ms;
	struct timespec state_since;  /* wall clock, for the state files */
	unsigned int repair_attempts; /* since the port last went live */
	char last_error[400];
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
	bool ns_aen_masked;   /* sent; masked until the log page is read */
	bool disc_aen_masked; /* the same for the discovery log page */
	uint32_t pending_aen; /* an event waiting for an AER, or 0 */
	struct nvmf_timer *ka_timer; /* on the admin queue's worker */
	uint64_t last_ka_ms;
};

/* ---- queues and requests ------------------------------------------------------ */

/*
 * The namespaces an I/O queue used last, valid while the model's
 * generation (tgt->ns_gen) has not moved: the lookup of an I/O command
 * takes no lock (nvmet_sq_ns_get).  Worker only.
 */
#define NVMET_SQ_NS_CACHE 4
struct nvmet_sq_ns {
	uint32_t nsid;
	struct nvmet_ns *ns;
};

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
	unsigned int io_inflight;	  /* backend operations, worker only */
	char log_prefix[32];		  /* "queue 3/1" */
	struct nvmet_peer *peer;	  /* admitted from (main thread) */
	bool connected;			  /* Connect succeeded (worker) */
	struct nvmf_timer *connect_timer; /* Connect deadline (worker) */
	uint64_t ns_gen;		  /* of ns_cache */
	unsigned int ns_next;		  /* the entry to replace next */
	struct nvmet_sq_ns ns_cache[NVMET_SQ_NS_CACHE];
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
	/*
	 * The worker's registered buffer data lies in
	 * (nvmet_worker_buf_register), or -1; set by the transport.
	 */
	int buf_index;
	void (*execute)(struct nvmet_req *req);
	struct nvmet_io io;
	void *priv; /* transport */
};

struct nvmet_transport_ops {
	const char *name;
	uint8_t trtype; /* NVMF_TRTYPE_*: the ports it serves */
	/* Optional: start and end with the target; main thread. */
	int (*init)(struct nvmet_tgt *tgt);
	void (*exit)(struct nvmet_tgt *tgt);
	/* Optional: shutdown: disconnect every queue; true once all are gone. */
	void (*disconnect_all)(void);
	bool (*idle)(void);
	/*
	 * Optional: a Connect names the queue's id and size, which the
	 * transport learns only then (TCP; the queue's worker).
	 * Return: 0, -EINVAL (qid), -ERANGE (size) or -ENOMEM.
	 */
	int (*install_queue)(struct nvmet_sq *sq, uint16_t qid, uint32_t size);
	/* Optional: the discovery log entry's transport specific address subtype. */
	void (*disc_tsas)(union nvmf_tsas *tsas);
	/* Start/stop listening on a port; main thread. */
	int (*listen)(struct nvmet_port *port);
	void (*stop_listen)(struct nvmet_port *port);
	/* Send the completion (and read data); the queue's worker. */
	void (*queue_response)(struct nvmet_req *req);
	/* Ask the transport to disconnect a queue; any thread. */
	void (*disconnect_queue)(struct nvmet_sq *sq);
	/*
	 * Optional: the queue's Connect succeeded (the resources a host
	 * gets only once it is let in); the queue's worker.
	 */
	void (*queue_connected)(struct nvmet_sq *sq);
	/* The local address a queue is connected to (for wildcard ports). */
	void (*local_traddr)(struct nvmet_sq *sq, char *buf, size_t size);
};

/* ---- the target and its workers ------------------------------------------------ */

struct io_uring;

/*
 * Data path counters of a worker (what each I/O costs): written by the
 * worker only, read by the main thread for RUN_DIR/stats.json, both with
 * relaxed atomic accesses (plain loads and stores on x86: nothing shared
 * is locked or bounced per I/O).
 */
enum nvmet_stat {
	NVMET_STAT_COMMANDS,	  /* commands completed, admin and I/O */
	NVMET_STAT_IOS,		  /* of which on I/O queues */
	NVMET_STAT_WAKEUPS,	  /* completion channel events (a CQ woke us) */
	NVMET_STAT_CQ_ARMS,	  /* ibv_req_notify_cq calls */
	NVMET_STAT_POLLS,	  /* ibv_poll_cq calls */
	NVMET_STAT_WCS,		  /* work completions polled */
	NVMET_STAT_SEND_POSTS,	  /* ibv_post_send calls: one doorbell each */
	NVMET_STAT_SEND_WRS,	  /* work requests they posted */
	NVMET_STAT_RECV_POSTS,	  /* ibv_post_recv calls */
	NVMET_STAT_RECV_WRS,	  /* receives they posted */
	NVMET_STAT_URING_ENTERS,  /* io_uring_submit calls (io_uring_enter) */
	NVMET_STAT_URING_SQES,	  /* backend operations they submitted */
	NVMET_STAT_URING_WAKEUPS, /* the ring's eventfd woke us */
	NVMET_STAT_URING_FIXED,	  /* operations on a registered file */
	NVMET_STAT_URING_FIXED_BUFS, /* reads and writes on a registered buffer */
	NVMET_STAT_ALLOCS,	 /* data buffer regions registered on demand */
	NVMET_STAT_SPINS,	 /* busy polls of the pollers (--poll-us) */
	NVMET_STAT_SPIN_HITS,	 /* of which found completions */
	NVMET_STAT_SRQ_TAKEN,	 /* shared receive buffers a command came in */
	NVMET_STAT_SRQ_RETURNED, /* of which given back: equal when idle */
	NVMET_STAT_POOL_WAITS,	 /* requests that waited for a data buffer */
	NVMET_STAT_NR,
};

extern const char *const nvmet_stat_names[NVMET_STAT_NR];

/*
 * The main thread's counters (connection handling, which it does alone):
 * how long setting up a queue took before it was accepted - what a burst
 * of reconnects waits for, one queue after the other - the main thread's
 * CPU time in it, and the time of the phases a transport reports.
 */
enum nvmet_main_stat {
	NVMET_MSTAT_QUEUE_SETUPS,	/* queues set up and accepted */
	NVMET_MSTAT_QUEUE_SETUP_US,	/* the time that took, in all */
	NVMET_MSTAT_QUEUE_SETUP_MAX_US, /* the longest one */
	NVMET_MSTAT_QUEUE_SETUP_CPU_US, /* the main thread's CPU time in them */
	NVMET_MSTAT_SETUP_SRQ_US,	/* growing the shared receive queue */
	NVMET_MSTAT_SETUP_CQ_US,	/* its completion channel and CQ */
	NVMET_MSTAT_SETUP_QP_US,	/* creating the queue pair */
	NVMET_MSTAT_SETUP_MEM_US,	/* mapping, registering its buffers */
	NVMET_MSTAT_SETUP_ACCEPT_US,	/* accepting the connection */
	NVMET_MSTAT_SRQ_BUFFERS,     /* shared receive buffers there are now */
	NVMET_MSTAT_SRQ_BUFFERS_MAX, /* the most there were */
	NVMET_MSTAT_NR,
};

/* what nvmet_stats_write() compares with the previous write */
#define NVMET_STATS_LAST_NR (NVMET_STAT_NR + NVMET_MSTAT_NR)

/*
 * Main thread: timing one queue's setup.  Start it; around the phases a
 * transport reports, begin a phase and end it with its counter (an end
 * begins the next phase too); what lies outside the phases is only in the
 * total.  Count the setup when the queue is accepted.
 */
struct nvmet_setup_timer {
	uint64_t start_ns, mark_ns, cpu_ns;
	uint64_t phase_us[NVMET_MSTAT_NR]; /* NVMET_MSTAT_SETUP_* */
};

void nvmet_setup_timer_start(struct nvmet_setup_timer *t);
void nvmet_setup_phase_begin(struct nvmet_setup_timer *t);
void nvmet_setup_phase_end(struct nvmet_setup_timer *t,
			   enum nvmet_main_stat phase);
/* Return: the setup's time in microseconds. */
uint64_t nvmet_stat_queue_setup(struct nvmet_tgt *tgt,
				const struct nvmet_setup_timer *t);

/*
 * A transport's deferred work of one pass of a worker (posts chained per
 * queue): run once when the outermost batch ends.
 */
struct nvmet_flush {
	void (*fn)(struct nvmet_flush *f);
	bool recv; /* posts receives: runs before those that post sends */
	bool queued;
	TAILQ_ENTRY(nvmet_flush) link;
};

/*
 * Hybrid polling (--poll-us): a source of completions a worker can poll
 * without waiting (an RDMA queue's CQ).  poll() takes what completed and
 * returns how many; arm() makes the next completion wake the worker's loop
 * (a CQ notification) and returns what completed meanwhile, as poll().
 * While a worker spins its pollers stay disarmed; it arms them only
 * before it sleeps.  A poller without poll() and arm() is a queue whose
 * events come from the loop's own wait (a socket): while such a poller is
 * added, each spin step returns to the loop, which looks at its fds
 * without sleeping (epoll_wait with timeout 0: one system call for all the
 * worker's sockets) and calls the idle hook again.  Added and removed on
 * the worker's thread.
 */
struct nvmet_poller {
	int (*poll)(struct nvmet_poller *p);
	int (*arm)(struct nvmet_poller *p);
	bool armed;
	bool added;
	TAILQ_ENTRY(nvmet_poller) link;
};

/*
 * Each worker's io_uring has a table of registered files, one slot per open
 * namespace (the same slot in every worker): an I/O then skips the
 * kernel's per-call file lookup and reference.  A namespace beyond the
 * table is served through its plain fd.
 */
#define NVMET_FILE_SLOTS 1024
/*
 * And a table of registered buffers, which transports fill with the
 * regions they read and write data in (RDMA: the pool's regions and each
 * queue's in-capsule buffers): a read or write there skips the kernel's
 * per-call page pinning.  Beyond the table, data is read and written
 * as before.
 */
#define NVMET_BUF_SLOTS 1024

struct nvmet_worker {
	struct nvmet_tgt *tgt;
	int index;
	pthread_t thread;
	struct nvmf_loop *loop;
	struct io_uring *ring;
	bool ring_files; /* the ring has a file table (NVMET_FILE_SLOTS) */
	bool ring_bufs;	 /* and a buffer table (NVMET_BUF_SLOTS) */
	uint64_t buf_slots[NVMET_BUF_SLOTS / 64]; /* in use */
	int ring_efd;
	struct nvmf_watch *ring_watch;
	unsigned int ring_inflight;
	TAILQ_HEAD(, nvmet_io) ring_wait; /* waiting for an SQE */
	/* one pass: everything posted and submitted once, at its end */
	unsigned int batch; /* nesting depth of the current pass */
	bool ring_pending;  /* SQEs prepared, not submitted yet */
	TAILQ_HEAD(, nvmet_flush) flush;
	uint64_t stats[NVMET_STAT_NR];
	/* hybrid polling (poll.c): the bound, and the adaptive budget */
	TAILQ_HEAD(, nvmet_poller) pollers;
	uint64_t spin_max_ns;	   /* --poll-us; 0: off */
	uint64_t spin_ns;	   /* how long the next spin may last */
	uint64_t spin_work;	   /* completions counted at the last look */
	uint64_t spin_last_ns;	   /* when completions were last seen */
	unsigned int loop_pollers; /* pollers the loop's wait serves */
	bool spinning;		   /* spun since the last work */
	uint64_t sleep_start_ns;   /* when it last went to sleep, or 0 */
};

/*
 * Worker: hybrid polling.  With a bound, the worker's loop calls
 * nvmet_worker_idle() before each wait: after activity it polls its
 * pollers (and the ring) for up to the budget instead of sleeping; the
 * budget halves after a spin that found nothing and returns to the bound
 * when work came back sooner than the bound after a sleep.
 */
void nvmet_worker_poll_init(struct nvmet_worker *w, unsigned int poll_us);
int nvmet_worker_idle(void *arg);
void nvmet_poller_add(struct nvmet_worker *w, struct nvmet_poller *p);
void nvmet_poller_del(struct nvmet_worker *w, struct nvmet_poller *p);
/* Worker: whether its completion sources are armed only before a sleep. */
static inline bool nvmet_worker_hybrid(const struct nvmet_worker *w)
{
	return w->spin_max_ns != 0;
}

static inline void nvmet_stat_add(struct nvmet_worker *w, enum nvmet_stat s,
				  uint64_t n)
{
	nvmf_counter_add(&w->stats[s], n);
}

/*
 * Worker: a pass over completions.  Inside one, backend operations are
 * prepared but submitted at its end, and transports defer their posts to
 * it (nvmet_worker_defer); the ring's eventfd stays quiet meanwhile.
 */
void nvmet_worker_batch_begin(struct nvmet_worker *w);
void nvmet_worker_batch_end(struct nvmet_worker *w);
/* Return: true if f will run at the end of the current pass. */
bool nvmet_worker_defer(struct nvmet_worker *w, struct nvmet_flush *f);
/*
 * Register [addr, addr + len) with the worker's io_uring: reads and writes
 * of requests whose buf_index is the returned index skip page pinning.
 * Return: the index, or -1 (no table, or it is full: the data path works
 * without).  Unregister before the memory is unmapped; any thread.
 */
int nvmet_worker_buf_register(struct nvmet_worker *w, void *addr, size_t len);
void nvmet_worker_buf_unregister(struct nvmet_worker *w, int index);

/*
 * stats.c: RUN_DIR/stats.json; main thread.  last: NVMET_STATS_LAST_NR
 * counters as last written, or NULL.
 */
int nvmet_stats_write(struct nvmet_tgt *tgt, uint64_t *last);

/*
 * The configuration model.  Only the main thread changes it, holding
 * model_lock for writing; other threads read it under model_lock held for
 * reading (the main thread reads it without).
 */
/* Admission of new queues (admit.c); 0 for a count: none admitted. */
#define NVMET_DEFAULT_MAX_QUEUES	 4096
#define NVMET_DEFAULT_MAX_HOST_QUEUES	 1024
#define NVMET_DEFAULT_MAX_CONNECTING	 128
#define NVMET_DEFAULT_CONNECT_TIMEOUT_MS 10000

struct nvmet_limits {
	unsigned int max_queues;	 /* transport queues in all */
	unsigned int max_host_queues;	 /* from one host address */
	unsigned int max_connecting;	 /* admitted, no Connect yet */
	unsigned int connect_timeout_ms; /* 0: no deadline */
};

struct nvmet_peer;
struct sockaddr;

struct nvmet_tgt {
	struct nvmf_loop *loop; /* main thread */
	pthread_rwlock_t model_lock;
	bool model_writer;	    /* model_lock is held for writing */
	pthread_mutex_t state_lock; /* ports' state, state_since, last_error */
	struct nvmet_subsys *disc;  /* the discovery subsystem */
	TAILQ_HEAD(, nvmet_subsys) subsystems;
	TAILQ_HEAD(, nvmet_port) ports;
	TAILQ_HEAD(, nvmet_host) hosts;
	int nr_subsys;
	int nr_ports;
	bool started; /* ports are enabled as they are linked */
	/*
	 * --save's restore runs: a link to a port that cannot listen yet is
	 * kept and the port repaired, as at start with -c, instead of
	 * refused as the kernel refuses it (main thread, model lock).
	 */
	bool restoring;
	/* the transports it serves, NULL-terminated (transport.c) */
	const struct nvmet_transport_ops *const *transports;
	struct nvmet_worker *workers;
	int nr_workers;
	/* slots of the workers' io_uring file tables in use (backend.c) */
	uint64_t file_slots[NVMET_FILE_SLOTS / 64];
	atomic_uint next_worker;
	atomic_uint_fast64_t genctr; /* discovery generation counter */
	unsigned int repair_interval_ms;
	unsigned int poll_us; /* hybrid polling bound (--poll-us), 0: off */
	/* RDMA: receive buffers a worker shares on a device (--srq-size) */
	unsigned int srq_size;
#define NVMET_RDMA_SRQ_SIZE 1024 /* the default, as the kernel target's */
/*
 * What an SRQ may grow to (unless --srq-size is more, or the device less):
 * 63 queues of 128.  Its ring is made when it is created, for this many
 * (soft-RoCE: 8192 slots, one kept free, of 64 or 128 bytes).
 */
#define NVMET_RDMA_SRQ_MAX_WR 8191
	const char *run_dir; /* port state files, or NULL */
	struct nvmet_limits limits;
	TAILQ_HEAD(, nvmet_peer) peers;	     /* main thread */
	unsigned int nr_queues;		     /* main thread */
	unsigned int admit_warned;	     /* main thread */
	uint64_t main_stats[NVMET_MSTAT_NR]; /* main thread */
	atomic_uint nr_connecting;
	/*
	 * Moves with every change of the model (nvmet_model_unlock after a
	 * write): what an I/O queue cached of it is stale.
	 */
	atomic_uint_fast64_t ns_gen;
	/*
	 * Namespaces freed while a worker may still hold a stale pointer to
	 * them in a queue's cache: destroyed once every worker has finished
	 * the pass it was in (a grace round: a no-op posted to each).
	 */
	pthread_mutex_t retire_lock; /* the list and the epochs */
	TAILQ_HEAD(, nvmet_ns) ns_retired;
	uint64_t retire_epoch; /* the next round's number */
	bool grace_running;    /* main thread */
	uint64_t grace_epoch;  /* the round running */
	atomic_int grace_acks; /* workers through it */
};

/* admit.c */
void nvmet_limits_default(struct nvmet_limits *l);
int nvmet_queue_admit(struct nvmet_tgt *tgt, struct nvmet_sq *sq,
		      const struct sockaddr *peer);
void nvmet_queue_leave(struct nvmet_tgt *tgt, struct nvmet_sq *sq);
void nvmet_sq_release(struct nvmet_tgt *tgt, struct nvmet_sq *sq);
void nvmet_peers_free(struct nvmet_tgt *tgt);
int nvmet_sq_start(struct nvmet_sq *sq);
void nvmet_sq_connected(struct nvmet_sq *sq);
void nvmet_sq_stop(struct nvmet_sq *sq);

/*
 * model.c: the configuration model.  Functions that change it run on the
 * main thread with the model lock held for writing (nvmet_model_lock());
 * they return 0 or a negative errno, the one the kernel's configfs
 * returns for the same change.  Lookups need the lock held either way.
 */
int nvmet_tgt_init(struct nvmet_tgt *tgt);
int nvmet_tgt_apply(struct nvmet_tgt *tgt, const struct nvmf_cfg *cfg,
		    char *err, size_t errlen);
int nvmet_tgt_build(struct nvmet_tgt *tgt, struct nvmf_cfg *cfg, char *err,
		    size_t errlen);
void nvmet_tgt_release(struct nvmet_tgt *tgt);
void nvmet_model_lock(struct nvmet_tgt *tgt);
void nvmet_model_unlock(struct nvmet_tgt *tgt);
void nvmet_model_rdlock(struct nvmet_tgt *tgt);

struct nvmet_host *nvmet_find_host(struct nvmet_tgt *tgt, const char *nqn);
int nvmet_host_add(struct nvmet_tgt *tgt, const char *nqn,
		   struct nvmet_host **out);
int nvmet_host_del(struct nvmet_tgt *tgt, struct nvmet_host *host);

struct nvmet_subsys *nvmet_find_subsys(struct nvmet_tgt *tgt, const char *nqn);
int nvmet_subsys_add(struct nvmet_tgt *tgt, const char *nqn,
		     struct nvmet_subsys **out);
int nvmet_subsys_del(struct nvmet_tgt *tgt, struct nvmet_subsys *s);
void nvmet_subsys_get(struct nvmet_subsys *s);
void nvmet_subsys_put(struct nvmet_subsys *s);
int nvmet_allow_host(struct nvmet_subsys *s, const char *name,
		     struct nvmet_host *host);
int nvmet_disallow_host(struct nvmet_subsys *s, struct nvmet_host_link *l);
bool nvmet_host_allowed(const struct nvmet_subsys *subsys, const char *hostnqn);

struct nvmet_ns *nvmet_find_ns_any(struct nvmet_subsys *s, uint32_t nsid);
int nvmet_ns_add(struct nvmet_subsys *s, uint32_t nsid, const char *where,
		 struct nvmet_ns **out);
int nvmet_ns_enable(struct nvmet_ns *ns, char *err, size_t errlen);
void nvmet_ns_disable(struct nvmet_ns *ns);
void nvmet_ns_unlink(struct nvmet_ns *ns);
void nvmet_ns_drain(struct nvmet_ns *ns);
void nvmet_ns_free(struct nvmet_ns *ns);
struct nvmet_ns *nvmet_ns_get(struct nvmet_subsys *subsys, uint32_t nsid);
struct nvmet_ns *nvmet_sq_ns_get(struct nvmet_sq *sq, uint32_t nsid);
void nvmet_ns_put(struct nvmet_ns *ns);
/* Main thread: advance the grace rounds that free retired namespaces. */
void nvmet_grace_poll(struct nvmet_tgt *tgt);
uint32_t nvmet_max_nsid(struct nvmet_subsys *s);

struct nvmet_port *nvmet_find_port(struct nvmet_tgt *tgt, uint16_t portid);
int nvmet_port_add(struct nvmet_tgt *tgt, uint16_t portid,
		   struct nvmet_port **out);
int nvmet_port_del(struct nvmet_tgt *tgt, struct nvmet_port *port);
bool nvmet_port_enabled(const struct nvmet_port *port);
int nvmet_port_link(struct nvmet_port *port, const char *name,
		    struct nvmet_subsys *s);
void nvmet_port_unlink(struct nvmet_port *port, struct nvmet_subsys_link *l);
bool nvmet_port_has_subsys(const struct nvmet_port *port,
			   const struct nvmet_subsys *subsys);
void nvmet_port_queue_get(struct nvmet_port *port);
void nvmet_port_queue_put(struct nvmet_port *port);
void nvmet_disc_changed(struct nvmet_tgt *tgt);
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
void nvmet_ns_changed(struct nvmet_subsys *subsys, uint32_t nsid);
void nvmet_disc_notify(struct nvmet_subsys *disc);
void nvmet_ctrl_aer_submit(struct nvmet_ctrl *ctrl, struct nvmet_req *req);
void nvmet_subsys_del_ctrls(struct nvmet_subsys *subsys,
			    struct nvmet_port *port, const char *why);

/* core.c: request lifecycle */
uint16_t nvmet_req_init(struct nvmet_req *req, struct nvmet_sq *sq);
void nvmet_req_execute(struct nvmet_req *req);
void nvmet_req_complete(struct nvmet_req *req, uint16_t status);
void nvmet_set_result(struct nvmet_req *req, uint32_t result);
void nvmet_sq_init(struct nvmet_sq *sq);
void nvmet_req_release(struct nvmet_req *req);

/* parsers; each sets req->execute, req->dir and req->data_len */
uint16_t nvmet_parse_fabrics_cmd(struct nvmet_req *req);
uint16_t nvmet_parse_connect_cmd(struct nvmet_req *req);
uint16_t nvmet_parse_admin_cmd(struct nvmet_req *req);
uint16_t nvmet_parse_discovery_cmd(struct nvmet_req *req);
uint16_t nvmet_parse_io_cmd(struct nvmet_req *req);

/* admin.c helpers shared with discovery.c */
uint64_t nvmet_get_log_page_len(const union nvme_command *cmd);
uint16_t nvmet_subsys_max_qid(const struct nvmet_subsys *s);

/*
 * devpath.c: resolve a device path (absolute) to one without symlinks that
 * is outside every nvmf-tgt configfs tree.  Return: 0, -EXDEV (inside a
 * tree), -EINVAL (not absolute), or another negative errno.
 */
int nvmet_devpath_resolve(const char *path, char *out, size_t size);
uint64_t nvmet_get_log_page_offset(const union nvme_command *cmd);
bool nvmet_parse_common_admin(struct nvmet_req *req);
void nvmet_fill_id_ctrl_common(struct nvmet_req *req, struct nvme_id_ctrl *id);
uint16_t nvmet_copy_log(struct nvmet_req *req, const void *page, size_t size);

/* backend.c: namespace I/O on the worker's io_uring */
int nvmet_ns_open(struct nvmet_ns *ns, char *err, size_t errlen);
void nvmet_ns_close(struct nvmet_ns *ns);
bool nvmet_ns_revalidate(struct nvmet_ns *ns);
int nvmet_worker_ring_init(struct nvmet_worker *w);
void nvmet_worker_ring_exit(struct nvmet_worker *w);
void nvmet_worker_ring_reap(struct nvmet_worker *w);
void nvmet_bdev_rw(struct nvmet_req *req, bool write, uint64_t offset);
void nvmet_bdev_flush(struct nvmet_req *req);
void nvmet_bdev_write_zeroes(struct nvmet_req *req, uint64_t off, uint64_t len);
void nvmet_bdev_dsm(struct nvmet_req *req);

/* rdma.c, tcp.c */
extern const struct nvmet_transport_ops nvmet_rdma_ops;
extern const struct nvmet_transport_ops nvmet_tcp_ops;

/* transport.c: the transports nvmf-tgt serves, and the calls to all */
extern const struct nvmet_transport_ops *const nvmet_transports[];
/* Return: the target's transport for trtype, or NULL. */
const struct nvmet_transport_ops *
nvmet_transport_find(const struct nvmet_tgt *tgt, uint8_t trtype);
int nvmet_transports_init(struct nvmet_tgt *tgt);
void nvmet_transports_exit(struct nvmet_tgt *tgt);
void nvmet_transports_disconnect_all(struct nvmet_tgt *tgt);
bool nvmet_transports_idle(struct nvmet_tgt *tgt);

/* port.c */
struct sockaddr_storage;
/* The port's numeric address.  Return: 0, or -EINVAL. */
int nvmet_port_sockaddr(const struct nvmf_cfg_port *c,
			struct sockaddr_storage *ss);
int nvmet_port_enable(struct nvmet_port *port, bool repair);
void nvmet_port_disable(struct nvmet_port *port, const char *why);
void nvmet_port_set_state(struct nvmet_port *port, enum nvmet_port_state state,
			  const char *why);
const char *nvmet_port_state_name(enum nvmet_port_state state);
void nvmet_port_set_error(struct nvmet_port *port, const char *error);
void nvmet_port_publish(struct nvmet_port *port);
void nvmet_port_state_since(const struct nvmet_port *port, char *buf,
			    size_t size);

static inline uint16_t nvmet_status(unsigned int sct, unsigned int sc)
{
	return nvme_status(sct, sc, 1);
}

#endif /* NVMF_TARGET_NVMET_H */

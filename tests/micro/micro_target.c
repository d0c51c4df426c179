// SPDX-License-Identifier: GPL-2.0
/*
 * What one I/O costs nvmf-tgt's core, without RDMA: a fake transport
 * feeds 4 KiB reads to an I/O queue in passes of QD commands (as the RDMA
 * transport does with one poll of its completion queue), on a namespace
 * that completes at submission (a file read through the page cache,
 * which holds all of it: io_uring answers inline, as a null backend
 * would).  Counted per I/O, over
 * the measured passes only:
 *   - heap allocations (malloc, calloc, realloc, posix_memalign): must be
 *     0, the data path allocates nothing - the only failure condition;
 *   - io_uring_enter calls and the ring's wake-ups, from the worker's
 *     counters, and how many backend operations used a registered file;
 *   - mutex and rwlock acquisitions (pthread_*lock), interposed here.
 * The figures are deterministic: the same on every run.
 *
 * Usage: micro_target [IOS] [QD]   (default 65536 reads, QD 32)
 */
#include <dlfcn.h>
#include <endian.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "nvmet.h"

/* ---- counting interposers ---------------------------------------------------- */

static __thread int counting;
static unsigned long nr_allocs, nr_mutex, nr_rwlock;

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);

void *malloc(size_t size)
{
	nr_allocs += counting;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	nr_allocs += counting;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	nr_allocs += counting;
	return __libc_realloc(p, size);
}

int posix_memalign(void **p, size_t align, size_t size)
{
	nr_allocs += counting;
	*p = __libc_memalign(align, size);
	return *p ? 0 : 12 /* ENOMEM */;
}

#define REAL(name)                        \
	static typeof(name) *real_##name; \
	if (!real_##name)                 \
	real_##name = (typeof(name) *)dlsym(RTLD_NEXT, #name)

int pthread_mutex_lock(pthread_mutex_t *m)
{
	REAL(pthread_mutex_lock);
	nr_mutex += counting;
	return real_pthread_mutex_lock(m);
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	REAL(pthread_rwlock_rdlock);
	nr_rwlock += counting;
	return real_pthread_rwlock_rdlock(l);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	REAL(pthread_rwlock_wrlock);
	nr_rwlock += counting;
	return real_pthread_rwlock_wrlock(l);
}

/* ---- a fake transport ----------------------------------------------------------- */

static unsigned long completions;

static void fake_response(struct nvmet_req *req)
{
	(void)req;
	completions++;
}

static void fake_disconnect(struct nvmet_sq *sq)
{
	(void)sq;
}

static const struct nvmet_transport_ops fake_ops = {
	.name = "fake",
	.queue_response = fake_response,
	.disconnect_queue = fake_disconnect,
};

struct mreq {
	struct nvmet_req req;
	union nvme_command cmd;
	struct nvme_completion cqe;
};

static void die(const char *what)
{
	fprintf(stderr, "micro_target: FAIL: %s\n", what);
	exit(1);
}

static void sq_setup(struct nvmet_sq *sq, struct nvmet_tgt *tgt,
		     struct nvmet_worker *w, uint16_t qid)
{
	memset(sq, 0, sizeof(*sq));
	nvmet_sq_init(sq);
	sq->port = TAILQ_FIRST(&tgt->ports);
	sq->worker = w;
	sq->ops = &fake_ops;
	sq->qid = qid;
	sq->size = qid ? 128 : 32;
	strcpy(sq->log_prefix, "micro");
}

/* Run one command to completion (setup: Connect, Property Set). */
static uint16_t run_one(struct nvmet_sq *sq, struct mreq *m, void *data)
{
	unsigned long before = completions;
	uint16_t st;

	m->req.cmd = &m->cmd;
	m->req.cqe = &m->cqe;
	st = nvmet_req_init(&m->req, sq);
	if (st) {
		nvmet_req_complete(&m->req, st);
	} else {
		m->req.data = data;
		nvmet_req_execute(&m->req);
	}
	if (completions != before + 1)
		die("a setup command did not complete at once");
	return le16toh(m->cqe.status);
}

static void connect_queue(struct nvmet_sq *sq, const char *nqn, uint16_t cntlid)
{
	static struct nvmf_connect_data d;
	struct mreq m = { 0 };

	m.cmd.connect.opcode = nvme_fabrics_command;
	m.cmd.connect.fctype = nvme_fabrics_type_connect;
	m.cmd.connect.qid = htole16(sq->qid);
	m.cmd.connect.sqsize = htole16(sq->qid ? 127 : 31);
	memset(&d, 0, sizeof(d));
	d.cntlid = htole16(cntlid);
	strcpy(d.subsysnqn, nqn);
	strcpy(d.hostnqn, "nqn.2014-08.org.test:micro-host");
	if (run_one(sq, &m, &d))
		die("Connect failed");
}

#define NQN	   "nqn.2014-08.org.test:micro"
#define IMG_BLOCKS 4096 /* 16 MiB */

int main(int argc, char **argv)
{
	unsigned long ios = argc > 1 ? strtoul(argv[1], NULL, 0) : 65536;
	unsigned long qd = argc > 2 ? strtoul(argv[2], NULL, 0) : 32;
	static uint8_t bufs[128][4096] __attribute__((aligned(4096)));
	char img[] = "/var/tmp/micro-target-XXXXXX", doc[1024], err[256];
	struct nvmet_tgt tgt = { 0 };
	struct nvmet_worker w = { 0 };
	struct nvmet_sq asq, iosq;
	struct nvmf_cfg *cfg;
	struct mreq *m, pm = { 0 };
	uint64_t s0[NVMET_STAT_NR];
	unsigned long i, done = 0;
	int fd;

	if (!ios || !qd || qd > 128)
		die("usage: micro_target [IOS] [QD 1-128]");
	nvmf_log_set_level(NVMF_LOG_WARN);
	/* written once: its pages are in the page cache for the reads */
	fd = mkstemp(img);
	if (fd < 0)
		die("cannot create a file in /var/tmp");
	for (i = 0; i < IMG_BLOCKS; i++)
		if (pwrite(fd, bufs[0], 4096, (off_t)i * 4096) != 4096)
			die("cannot write the namespace file");
	close(fd);
	snprintf(doc, sizeof(doc),
		 "{\"hosts\":[],\"subsystems\":[{\"nqn\":\"" NQN "\","
		 "\"attr\":{\"allow_any_host\":\"1\"},\"namespaces\":["
		 "{\"nsid\":1,\"enable\":1,\"buffered_io\":1,"
		 "\"device\":{\"path\":\"%s\"}}]}],"
		 "\"ports\":[{\"portid\":1,\"addr\":{\"trtype\":\"rdma\","
		 "\"adrfam\":\"ipv4\",\"traddr\":\"10.0.0.1\",\"trsvcid\":"
		 "\"4420\"},\"subsystems\":[\"" NQN "\"]}]}",
		 img);
	if (nvmf_cfg_parse(doc, "micro", &cfg, err, sizeof(err)) ||
	    nvmet_tgt_build(&tgt, cfg, err, sizeof(err))) {
		unlink(img);
		die(err);
	}
	unlink(img); /* the namespace keeps it open */
	w.tgt = &tgt;
	w.loop = nvmf_loop_create();
	if (!w.loop)
		die("loop");
	nvmf_loop_bind_thread(w.loop);
	if (nvmet_worker_ring_init(&w))
		die("io_uring");
	sq_setup(&asq, &tgt, &w, 0);
	sq_setup(&iosq, &tgt, &w, 1);
	connect_queue(&asq, NQN, 0xffff);
	pm.cmd.prop_set.opcode = nvme_fabrics_command;
	pm.cmd.prop_set.fctype = nvme_fabrics_type_property_set;
	pm.cmd.prop_set.offset = htole32(NVME_REG_CC);
	pm.cmd.prop_set.value =
		htole64(NVME_CC_EN | 6u << NVME_CC_IOSQES_SHIFT |
			4u << NVME_CC_IOCQES_SHIFT);
	if (run_one(&asq, &pm, NULL))
		die("Property Set CC.EN failed");
	connect_queue(&iosq, NQN, asq.ctrl->cntlid);

	m = calloc(qd, sizeof(*m));
	if (!m)
		die("out of memory");
	memcpy(s0, w.stats, sizeof(s0));
	counting = 1;
	while (done < ios) {
		unsigned long n = ios - done < qd ? ios - done : qd;
		unsigned long want = completions + n;

		/* one pass: n commands arrive together, as in one CQ poll */
		nvmet_worker_batch_begin(&w);
		for (i = 0; i < n; i++) {
			struct mreq *r = &m[i];

			memset(&r->cmd, 0, sizeof(r->cmd));
			r->cmd.rw.opcode = nvme_cmd_read;
			r->cmd.rw.flags = NVME_CMD_SGL_METABUF;
			r->cmd.rw.nsid = htole32(1);
			r->cmd.rw.slba = htole64((done + i) % IMG_BLOCKS);
			r->req.cmd = &r->cmd;
			r->req.cqe = &r->cqe;
			if (nvmet_req_init(&r->req, &iosq))
				die("a read was refused");
			r->req.data = bufs[i];
			nvmet_req_execute(&r->req);
		}
		nvmet_worker_batch_end(&w);
		/* what did not complete at submission comes by the eventfd */
		while (completions < want)
			nvmf_loop_run_once(w.loop, 1000);
		for (i = 0; i < n; i++)
			if (m[i].cqe.status)
				die("a read failed");
		done += n;
	}
	counting = 0;

#define PER_IO(x) ((double)(x) / (double)ios)
	printf("micro_target: %lu reads of 4 KiB, QD %lu (passes of %lu)\n",
	       ios, qd, qd);
	printf("per I/O: allocations %.3f, io_uring_enter %.3f, ring wake-ups "
	       "%.3f, mutex locks %.3f, rwlock locks %.3f\n",
	       PER_IO(nr_allocs),
	       PER_IO(w.stats[NVMET_STAT_URING_ENTERS] -
		      s0[NVMET_STAT_URING_ENTERS]),
	       PER_IO(w.stats[NVMET_STAT_URING_WAKEUPS] -
		      s0[NVMET_STAT_URING_WAKEUPS]),
	       PER_IO(nr_mutex), PER_IO(nr_rwlock));
	printf("backend operations on a registered file: %.3f per I/O%s\n",
	       PER_IO(w.stats[NVMET_STAT_URING_FIXED] -
		      s0[NVMET_STAT_URING_FIXED]),
	       w.ring_files ? "" : " (no io_uring file table here)");
	printf("I/Os counted by the worker: %llu\n",
	       (unsigned long long)(w.stats[NVMET_STAT_IOS] -
				    s0[NVMET_STAT_IOS]));
	nvmet_ctrl_remove_sq(iosq.ctrl, &iosq);
	nvmet_ctrl_put(iosq.ctrl);
	nvmet_ctrl_remove_sq(asq.ctrl, &asq);
	nvmet_ctrl_put(asq.ctrl);
	nvmet_worker_ring_exit(&w);
	nvmf_loop_destroy(w.loop);
	nvmet_tgt_release(&tgt);
	nvmf_cfg_free(cfg);
	free(m);
	if (nr_allocs) {
		printf("FAIL: %lu allocations on the data path\n", nr_allocs);
		return 1;
	}
	printf("PASS: no allocation on the data path\n");
	return 0;
}

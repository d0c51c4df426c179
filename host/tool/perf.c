// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-host perf: a fixed queue depth of reads and writes against one
 * namespace for a time (the shape of SPDK's perf), in-process over the
 * library's poll mode with registered buffers (no copies).  Prints IOPS,
 * MiB/s and latency (avg, p50, p99, p99.9, max).
 *
 * --verify: every write carries a pattern of (block, generation); every
 * read is checked against the last write of its block; blocks are first
 * filled when the workload reads, and everything is read back and checked
 * at the end.  A block is never read and written at the same time.
 *
 * --threads N: N threads, each owning an I/O queue (nvmf_qpair_alloc) and
 * a slice of the namespace of its own, each with the queue depth; the
 * library's thread keeps the controller (keep-alive, reconnects).  An
 * owned queue has no completion event: its thread polls it, and without
 * --busy-poll sleeps 20 us when a poll found nothing.
 *
 * SIGINT or SIGTERM ends the timed run early: what is in flight completes,
 * the figures are printed and, with --verify, everything is read back.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "tool.h"

#define PERF_LAT_MAX (4u << 20) /* latencies kept (per thread) */

static const struct nvmf_opt perf_opts[] = {
	{ "transport-id", 'r', required_argument, "TRID",
	  "'trtype:rdma|tcp adrfam:ipv4 traddr:A trsvcid:4420 subnqn:NQN'" },
	{ "queue-depth", 'q', required_argument, "N",
	  "I/Os in flight (1-1024)" },
	{ "io-size", 'o', required_argument, "BYTES", "bytes per I/O" },
	{ "workload", 'w', required_argument, "PATTERN",
	  "read, write, randread, randwrite or randrw" },
	{ "rwmixread", 'M', required_argument, "PCT",
	  "reads in percent for randrw (default 50)" },
	{ "time", 't', required_argument, "S", "seconds to run" },
	{ "nsid", 'n', required_argument, "NSID", "namespace (default first)" },
	{ "size", OPT_SIZE, required_argument, "BYTES",
	  "bytes of the namespace to use (default all)" },
	{ "offset", OPT_OFFSET, required_argument, "BYTES",
	  "where in the namespace they start (default 0; a multiple of "
	  "io-size)" },
	{ "verify", OPT_VERIFY, no_argument, NULL,
	  "check every read against what was written" },
	{ "busy-poll", OPT_BUSY_POLL, no_argument, NULL,
	  "poll completions in a loop instead of waiting for events" },
	{ "threads", OPT_THREADS, required_argument, "N",
	  "N threads, each with an I/O queue of its own and a slice of the "
	  "namespace (1-16; default: none, the library's poll mode)" },
	{ "reconnect-delay", 'c', required_argument, "S",
	  "seconds between reconnect attempts (default 10)" },
	{ "ctrl-loss-tmo", 'l', required_argument, "S",
	  "seconds of reconnecting before giving up (default 600, -1 "
	  "forever)" },
	{ "persistent-rkeys", OPT_PERSISTENT_RKEYS, no_argument, NULL,
	  "open the buffers to the target for the whole run, not per I/O "
	  "(to measure what per-I/O memory windows cost)" },
	{ "hdr_digest", 'g', no_argument, NULL,
	  "NVMe/TCP header digests (CRC32C)" },
	{ "data_digest", 'G', no_argument, NULL,
	  "NVMe/TCP data digests (CRC32C)" },
	{ "hostnqn", 'H', required_argument, "NQN", "host NQN" },
	{ "log-level", OPT_LOG_LEVEL, required_argument, "LEVEL",
	  "error, warn (default), info or debug" },
	NVMF_OPT_HELP,
	{ 0 },
};

static const struct nvmf_cmd perf_cmd = {
	.prog = "nvmf-host perf",
	.synopsis = "-r TRID -q QD -o BYTES -w PATTERN -t SECONDS [--verify]",
	.summary = "Measure I/O to a namespace: IOPS, bandwidth and latency "
		   "percentiles.",
	.opts = perf_opts,
};

struct perf {
	struct nvmf_ctrl *ctrl;
	struct nvmf_qpair *qp; /* --threads: this thread's queue */
	uint64_t unit0;	       /* --threads: the slice's first unit */
	uint64_t base_unit;    /* --offset, in units */
	pthread_t thread;
	pthread_barrier_t *barrier;
	struct perf_io *ioset; /* --threads: this thread's I/Os */
	int ret;
	int threads;
	uint64_t run_ns;
	uint32_t nsid;
	uint32_t io_size;
	uint64_t units; /* io_size units in the working set */
	int qd;
	bool seq, write_only, read_only, verify;
	bool filled; /* every unit was written before the run */
	bool busy_poll;
	bool pass; /* a full pass: each unit once */
	int read_pct;
	uint64_t next_seq;
	uint64_t deadline_ns;
	bool stopping;
	int inflight;
	uint64_t ios, bytes, errors, mismatches, checked;
	uint64_t *lat; /* ns, one per I/O */
	uint64_t nlat, lat_cap;
	uint32_t *gen; /* verify: generation of each unit's last write */
	uint8_t *busy; /* verify: unit has an I/O in flight */
	uint64_t rng;
};

struct perf_io {
	struct perf *p;
	void *buf;
	bool pool;
	uint64_t unit;
	bool write;
	uint64_t start_ns;
};

/* SIGINT, SIGTERM: end the timed run now */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static uint64_t rnd(struct perf *p)
{
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	return p->rng;
}

/* Word i of unit's content after its write number gen. */
static uint64_t pattern(uint64_t unit, uint32_t gen, uint32_t i)
{
	return unit << 32 ^ (uint64_t)gen << 8 ^ i ^ 0x5a5a000000000000ull;
}

/* The namespace's unit number of a unit of this run (or thread's slice). */
static uint64_t abs_unit(const struct perf *p, uint64_t unit)
{
	return p->base_unit + p->unit0 + unit;
}

static void fill(struct perf *p, void *buf, uint64_t unit, uint32_t gen)
{
	uint64_t *w = buf;
	uint32_t i;

	for (i = 0; i < p->io_size / 8; i++)
		w[i] = pattern(abs_unit(p, unit), gen, i);
}

static bool check(struct perf *p, const void *buf, uint64_t unit)
{
	const uint64_t *w = buf;
	uint32_t gen = p->gen[unit], i;

	if (!gen && !p->filled)
		return true; /* never written */

	for (i = 0; i < p->io_size / 8; i++) {
		if (w[i] != pattern(abs_unit(p, unit), gen, i)) {
			if (p->mismatches < 5)
				fprintf(stderr,
					"verify: unit %llu (offset %llu)"
					" word %u: got 0x%016llx, generation "
					"%u expected\n",
					(unsigned long long)abs_unit(p, unit),
					(unsigned long long)abs_unit(p, unit) *
						p->io_size,
					i, (unsigned long long)w[i], gen);
			return false;
		}
	}
	return true;
}

static void io_start(struct perf_io *io);

static void io_done(void *arg, int status)
{
	struct perf_io *io = arg;
	struct perf *p = io->p;
	uint64_t now = nvmf_now_ns();

	p->inflight--;
	if (status) {
		if (p->errors++ < 5)
			fprintf(stderr,
				"I/O error: %s at offset %llu: %d (%s)\n",
				io->write ? "write" : "read",
				(unsigned long long)abs_unit(p, io->unit) *
					p->io_size,
				status,
				status < 0 ? strerror(-status) : "NVMe status");
	} else {
		if (p->verify && !io->write) {
			p->checked++;
			if (!check(p, io->buf, io->unit))
				p->mismatches++;
		}
		p->ios++;
		p->bytes += p->io_size;
		if (p->nlat < p->lat_cap)
			p->lat[p->nlat++] = now - io->start_ns;
	}
	if (p->verify)
		p->busy[io->unit] = 0;
	/* a full pass (fill, read-back) goes on when interrupted */
	if (!p->stopping && now < p->deadline_ns && (p->pass || !interrupted))
		io_start(io);
}

static uint64_t pick_unit(struct perf *p)
{
	uint64_t u;
	int tries;

	if (p->seq) {
		u = p->next_seq++ % p->units;
		return u;
	}
	for (tries = 0; tries < 64; tries++) {
		u = rnd(p) % p->units;
		if (!p->verify || !p->busy[u])
			return u;
	}
	return u;
}

static void io_start(struct perf_io *io)
{
	struct perf *p = io->p;
	struct nvmf_io cmd = { .nsid = p->nsid,
			       .len = p->io_size,
			       .buf = io->buf };
	int ret;

	if (p->pass && p->next_seq >= p->units)
		return;
	io->unit = pick_unit(p);
	if (p->verify && p->busy[io->unit])
		return; /* all candidates busy: this slot retires */
	io->write = p->write_only ||
		    (!p->read_only && (int)(rnd(p) % 100) >= p->read_pct);
	cmd.op = io->write ? NVMF_IO_WRITE : NVMF_IO_READ;
	cmd.offset = abs_unit(p, io->unit) * p->io_size;
	if (p->verify) {
		p->busy[io->unit] = 1;
		if (io->write)
			fill(p, io->buf, io->unit, ++p->gen[io->unit]);
	}
	io->start_ns = nvmf_now_ns();
	ret = p->qp ? nvmf_qpair_submit(p->qp, &cmd, io_done, io) :
		      nvmf_io_submit(p->ctrl, &cmd, io_done, io);
	if (ret) {
		fprintf(stderr, "submit: %s\n", strerror(-ret));
		p->errors++;
		if (p->verify)
			p->busy[io->unit] = 0;
		return;
	}
	p->inflight++;
}

/* Reap: the controller's loop (poll mode), or this thread's queue. */
static void perf_poll(struct perf *p)
{
	static const struct timespec idle = { .tv_nsec = 20000 };

	if (!p->qp)
		nvmf_ctrl_poll(p->ctrl, p->busy_poll ? 0 : 100);
	else if (nvmf_qpair_poll(p->qp) == 0 && !p->busy_poll)
		nanosleep(&idle, NULL); /* an owned queue has no event */
}

/* Run qd I/Os until deadline; sequential pass when seq_pass (fill/readback). */
static void run_phase(struct perf *p, struct perf_io *ios, uint64_t dur_ns)
{
	int i;

	p->stopping = false;
	p->deadline_ns = nvmf_now_ns() + dur_ns;
	for (i = 0; i < p->qd; i++)
		io_start(&ios[i]);
	while (p->inflight) {
		perf_poll(p);
		if (nvmf_now_ns() >= p->deadline_ns || interrupted)
			p->stopping = true;
	}
}

/* One sequential pass over every unit: write (fill) or read (check). */
static void full_pass(struct perf *p, struct perf_io *ios, bool write)
{
	bool wo = p->write_only, ro = p->read_only, seq = p->seq;
	int i;

	p->write_only = write;
	p->read_only = !write;
	p->seq = true;
	p->next_seq = 0;
	p->pass = true;
	p->lat_cap = 0;
	p->stopping = false;
	p->deadline_ns = UINT64_MAX;
	for (i = 0; i < p->qd; i++)
		io_start(&ios[i]);
	while (p->inflight)
		perf_poll(p);
	p->pass = false;
	p->write_only = wo;
	p->read_only = ro;
	p->seq = seq;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const struct perf *p, double q)
{
	uint64_t i;

	if (!p->nlat)
		return 0;
	i = (uint64_t)ceil(q * (double)p->nlat) - 1;
	if (i >= p->nlat)
		i = p->nlat - 1;
	return (double)p->lat[i] / 1000.0;
}

/* What each I/O of the timed run cost, from the library's counters. */
static void report_costs(const uint64_t *s0, const uint64_t *s1)
{
	double ios = (double)(s1[NVMF_STAT_IOS] - s0[NVMF_STAT_IOS]);
	int i;

	if (ios < 1)
		return;
	printf("per_io:");
	for (i = 0; i < NVMF_STAT_NR; i++)
		if (i != NVMF_STAT_IOS)
			printf(" %s=%.3f", nvmf_ctrl_stat_name(i),
			       (double)(s1[i] - s0[i]) / ios);
	printf(" ios=%.0f\n", ios);
}

static void report(struct perf *p, const char *workload, double secs)
{
	double sum = 0;
	uint64_t i;

	qsort(p->lat, p->nlat, sizeof(*p->lat), cmp_u64);
	for (i = 0; i < p->nlat; i++)
		sum += (double)p->lat[i];
	printf("nvmf-host perf: %s, %u-byte I/O, QD %d, %.1f s%s", workload,
	       p->io_size, p->qd, secs, p->busy_poll ? ", busy polling" : "");
	if (p->threads)
		printf(", %d threads with a queue each (QD per thread)",
		       p->threads);
	printf("\n");
	printf("IOPS %.1f  MiB/s %.2f  latency us: avg %.1f  p50 %.1f  p99 "
	       "%.1f  p99.9 %.1f  max %.1f\n",
	       (double)p->ios / secs, (double)p->bytes / secs / 1048576.0,
	       p->nlat ? sum / (double)p->nlat / 1000.0 : 0.0, pct(p, 0.50),
	       pct(p, 0.99), pct(p, 0.999),
	       p->nlat ? (double)p->lat[p->nlat - 1] / 1000.0 : 0.0);
	printf("result: iops=%.1f mibps=%.2f lat_avg_us=%.1f lat_p50_us=%.1f "
	       "lat_p99_us=%.1f lat_p999_us=%.1f errors=%llu\n",
	       (double)p->ios / secs, (double)p->bytes / secs / 1048576.0,
	       p->nlat ? sum / (double)p->nlat / 1000.0 : 0.0, pct(p, 0.50),
	       pct(p, 0.99), pct(p, 0.999), (unsigned long long)p->errors);
}

/* --threads: one thread's run on its own queue and slice. */
static void *perf_thread(void *arg)
{
	struct perf *p = arg;
	uint64_t lat_cap = p->lat_cap;
	int ret = nvmf_qpair_alloc(p->ctrl, &p->qp);

	if (ret) {
		fprintf(stderr,
			"nvmf-host perf: no I/O queue for a thread: %s\n",
			strerror(-ret));
		p->ret = -1;
	}
	if (!p->ret && p->verify && !p->write_only) {
		full_pass(p, p->ioset, true);
		p->filled = true;
	}
	p->ios = p->bytes = p->nlat = 0; /* the fill is not measured */
	p->lat_cap = lat_cap;
	pthread_barrier_wait(p->barrier); /* the timed run starts */
	if (!p->ret)
		run_phase(p, p->ioset, p->run_ns);
	pthread_barrier_wait(p->barrier); /* and ends */
	if (!p->ret && p->verify)
		full_pass(p, p->ioset, false);
	while (p->qp && (ret = nvmf_qpair_free(p->qp)) == -EBUSY)
		perf_poll(p);
	if (p->qp && ret)
		fprintf(stderr,
			"nvmf-host perf: freeing a thread's queue: %s\n",
			strerror(-ret));
	return NULL;
}

/*
 * --threads: split the units among n threads, run them, and gather what
 * they did into p.  Return: 0, or -1 (a thread could not run).
 */
static int run_threads(struct perf *p, int n, double *elapsed, uint64_t *s0,
		       uint64_t *s1)
{
	pthread_barrier_t barrier;
	struct perf *t = calloc((size_t)n, sizeof(*t));
	uint64_t t0, nlat = 0;
	int k, i, started = 0, ret = 0;

	if (!t || pthread_barrier_init(&barrier, NULL, (unsigned int)n + 1)) {
		free(t);
		return -1;
	}
	for (k = 0; k < n; k++) {
		struct perf *q = &t[k];

		*q = *p;
		q->unit0 = p->units * (uint64_t)k / (uint64_t)n;
		q->units =
			p->units * (uint64_t)(k + 1) / (uint64_t)n - q->unit0;
		q->rng = p->rng ^ (0x9e3779b97f4a7c15ull * (uint64_t)(k + 1));
		q->barrier = &barrier;
		q->lat = malloc(sizeof(*q->lat) * q->lat_cap);
		if (p->verify) {
			q->gen = p->gen + q->unit0;
			q->busy = p->busy + q->unit0;
		}
		q->ioset = calloc((size_t)p->qd, sizeof(*q->ioset));
		if (!q->lat || !q->ioset || !q->units) {
			fprintf(stderr, "nvmf-host perf: out of memory\n");
			ret = -1;
			break;
		}
		for (i = 0; i < p->qd; i++) {
			struct perf_io *io = &q->ioset[i];

			io->p = q;
			io->buf = nvmf_buf_alloc(p->ctrl, p->io_size);
			io->pool = io->buf != NULL;
			if (!io->buf &&
			    posix_memalign(&io->buf, 4096, p->io_size)) {
				fprintf(stderr,
					"nvmf-host perf: out of memory\n");
				ret = -1;
				break;
			}
		}
		if (ret)
			break;
	}
	for (k = 0; !ret && k < n; k++) {
		if (pthread_create(&t[k].thread, NULL, perf_thread, &t[k])) {
			/* those started wait at the barrier for this one */
			fprintf(stderr,
				"nvmf-host perf: cannot start a thread\n");
			exit(NVMF_EXIT_FAILURE);
		}
		started++;
	}
	if (started == n) {
		pthread_barrier_wait(&barrier);
		nvmf_ctrl_get_stats(p->ctrl, s0, NVMF_STAT_NR);
		t0 = nvmf_now_ns();
		pthread_barrier_wait(&barrier);
		*elapsed = (double)(nvmf_now_ns() - t0) / 1e9;
		nvmf_ctrl_get_stats(p->ctrl, s1, NVMF_STAT_NR);
	}
	for (k = 0; k < started; k++)
		pthread_join(t[k].thread, NULL);
	free(p->lat);
	p->lat = NULL;
	for (k = 0; k < n; k++)
		nlat += t[k].nlat;
	p->lat = malloc(sizeof(*p->lat) * (nlat ? nlat : 1));
	p->nlat = 0;
	for (k = 0; k < n; k++) {
		struct perf *q = &t[k];

		if (q->ret)
			ret = -1;
		p->ios += q->ios;
		p->bytes += q->bytes;
		p->errors += q->errors;
		p->mismatches += q->mismatches;
		p->checked += q->checked;
		if (p->lat) {
			memcpy(p->lat + p->nlat, q->lat,
			       sizeof(*q->lat) * q->nlat);
			p->nlat += q->nlat;
		}
		for (i = 0; q->ioset && i < p->qd; i++) {
			if (q->ioset[i].pool)
				nvmf_buf_free(p->ctrl, q->ioset[i].buf);
			else
				free(q->ioset[i].buf);
		}
		free(q->ioset);
		free(q->lat);
	}
	pthread_barrier_destroy(&barrier);
	free(t);
	return p->lat ? ret : -1;
}

static int parse_workload(struct perf *p, const char *w)
{
	p->seq = !strcmp(w, "read") || !strcmp(w, "write");
	p->write_only = !strcmp(w, "write") || !strcmp(w, "randwrite");
	p->read_only = !strcmp(w, "read") || !strcmp(w, "randread");
	if (!p->seq && !p->write_only && !p->read_only && strcmp(w, "randrw"))
		return -1;
	return 0;
}

static int perf_setup(struct perf *p, uint64_t size, uint64_t offset, long secs)
{
	struct nvmf_ns_info ns;
	struct nvmf_ctrl_info info;

	if (nvmf_ctrl_find_ns(p->ctrl, p->nsid, &ns)) {
		fprintf(stderr, "nvmf-host perf: namespace %u not found\n",
			p->nsid);
		return -1;
	}
	p->nsid = ns.nsid;
	nvmf_ctrl_get_info(p->ctrl, &info);
	if (p->io_size % ns.block_size || p->io_size > info.max_io_bytes) {
		fprintf(stderr,
			"nvmf-host perf: io-size %u is not a multiple "
			"of the block size %u or above the largest transfer\n",
			p->io_size, ns.block_size);
		return -1;
	}
	if (offset % p->io_size || offset >= ns.blocks * ns.block_size) {
		fprintf(stderr,
			"nvmf-host perf: offset %llu is not a multiple of "
			"io-size %u or not inside the namespace (%llu bytes)\n",
			(unsigned long long)offset, p->io_size,
			(unsigned long long)(ns.blocks * ns.block_size));
		return -1;
	}
	p->base_unit = offset / p->io_size;
	if (!size || size > ns.blocks * ns.block_size - offset)
		size = ns.blocks * ns.block_size - offset;
	p->units = size / p->io_size;
	if (!p->units) {
		fprintf(stderr,
			"nvmf-host perf: size %llu: less than one I/O\n",
			(unsigned long long)size);
		return -1;
	}
	/* latencies of up to 200k I/Os a second, at most 4 Mi (32 MiB) */
	p->lat_cap = 200000 * (uint64_t)(secs > 0 ? secs : 1);
	if (p->lat_cap > PERF_LAT_MAX)
		p->lat_cap = PERF_LAT_MAX;
	p->lat = malloc(sizeof(*p->lat) * p->lat_cap);
	if (p->verify) {
		p->gen = calloc(p->units, sizeof(*p->gen));
		p->busy = calloc(p->units, 1);
	}
	if (!p->lat || (p->verify && (!p->gen || !p->busy))) {
		fprintf(stderr, "nvmf-host perf: out of memory\n");
		return -1;
	}
	return 0;
}

int cmd_perf(int argc, char **argv)
{
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2], err[256];
	struct perf p = { .qd = 1,
			  .io_size = 4096,
			  .read_pct = 50,
			  .rng = 0x9e3779b97f4a7c15ull };
	struct nvmf_ctrl_opts opts;
	struct nvmf_trid trid;
	const char *workload = NULL;
	struct perf_io *ios = NULL;
	long v, secs = 10;
	uint64_t size = 0, offset = 0, t0, lat_cap;
	double elapsed = 0;
	uint64_t s0[NVMF_STAT_NR] = { 0 }, s1[NVMF_STAT_NR] = { 0 };
	bool have_trid = false;
	int opt, i, ret = NVMF_EXIT_FAILURE;
	static const char *const levels[] = { "error", "warn", "info", "debug",
					      NULL };

	nvmf_ctrl_opts_init(&opts);
	opts.poll = true;
	opts.nr_io_queues = 1;
	nvmf_args_build(&perf_cmd, longopts, shortopts);
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'r':
			if (nvmf_trid_parse(&trid, optarg, err, sizeof(err))) {
				nvmf_args_error(&perf_cmd, "transport-id: %s",
						err);
				return NVMF_EXIT_USAGE;
			}
			have_trid = true;
			break;
		case 'q':
			if (nvmf_parse_long(&perf_cmd, "queue-depth", optarg, 1,
					    1024, &v))
				return NVMF_EXIT_USAGE;
			p.qd = (int)v;
			break;
		case 'o':
			if (nvmf_parse_long(&perf_cmd, "io-size", optarg, 512,
					    128 * 1024, &v))
				return NVMF_EXIT_USAGE;
			p.io_size = (uint32_t)v;
			break;
		case 'w':
			workload = optarg;
			if (parse_workload(&p, optarg)) {
				nvmf_args_error(&perf_cmd,
						"workload '%s': use "
						"read, write, randread, "
						"randwrite or randrw",
						optarg);
				return NVMF_EXIT_USAGE;
			}
			break;
		case 'M':
			if (nvmf_parse_long(&perf_cmd, "rwmixread", optarg, 0,
					    100, &v))
				return NVMF_EXIT_USAGE;
			p.read_pct = (int)v;
			break;
		case 't':
			if (nvmf_parse_long(&perf_cmd, "time", optarg, 1, 86400,
					    &secs))
				return NVMF_EXIT_USAGE;
			break;
		case 'n':
			if (nvmf_parse_long(&perf_cmd, "nsid", optarg, 1,
					    0xfffffffe, &v))
				return NVMF_EXIT_USAGE;
			p.nsid = (uint32_t)v;
			break;
		case OPT_OFFSET:
			if (nvmf_parse_long(&perf_cmd, "offset", optarg, 0,
					    1L << 50, &v))
				return NVMF_EXIT_USAGE;
			offset = (uint64_t)v;
			break;
		case OPT_SIZE:
			if (nvmf_parse_long(&perf_cmd, "size", optarg, 4096,
					    1L << 50, &v))
				return NVMF_EXIT_USAGE;
			size = (uint64_t)v;
			break;
		case OPT_VERIFY:
			p.verify = true;
			break;
		case OPT_BUSY_POLL:
			p.busy_poll = true;
			opts.busy_poll = true;
			break;
		case OPT_PERSISTENT_RKEYS:
			opts.persistent_rkeys = true;
			break;
		case OPT_THREADS:
			if (nvmf_parse_long(&perf_cmd, "threads", optarg, 1, 16,
					    &v))
				return NVMF_EXIT_USAGE;
			p.threads = (int)v;
			break;
		case 'c':
			if (nvmf_parse_long(&perf_cmd, "reconnect-delay",
					    optarg, 1, 3600, &v))
				return NVMF_EXIT_USAGE;
			opts.reconnect_delay = (int)v;
			break;
		case 'l':
			if (nvmf_parse_long(&perf_cmd, "ctrl-loss-tmo", optarg,
					    -1, 86400 * 365, &v))
				return NVMF_EXIT_USAGE;
			opts.ctrl_loss_tmo = (int)v;
			break;
		case 'g':
			opts.hdr_digest = true;
			break;
		case 'G':
			opts.data_digest = true;
			break;
		case 'H':
			snprintf(opts.hostnqn, sizeof(opts.hostnqn), "%s",
				 optarg);
			break;
		case OPT_LOG_LEVEL:
			if (nvmf_parse_choice(&perf_cmd, "log-level", optarg,
					      levels, &i))
				return NVMF_EXIT_USAGE;
			nvmf_log_set_level(i);
			break;
		case 'h':
			nvmf_args_usage(&perf_cmd, stdout);
			return NVMF_EXIT_OK;
		default:
			return opt_error(&perf_cmd, opt, argv);
		}
	}
	if (!have_trid || !workload) {
		nvmf_args_error(&perf_cmd,
				"-r TRID and -w PATTERN are required");
		return NVMF_EXIT_USAGE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	opts.queue_size = p.qd + 1 > 128 ? p.qd + 1 : 128;
	if (opts.queue_size > 1024)
		opts.queue_size = 1024;
	if (p.threads) {
		/* the library's thread keeps the controller; one queue shared */
		opts.poll = false;
		opts.nr_io_queues = p.threads + 1;
	}
	if (nvmf_ctrl_connect(&trid, &opts, &p.ctrl, err, sizeof(err))) {
		fprintf(stderr, "nvmf-host perf: %s:%s: %s\n", trid.traddr,
			trid.trsvcid[0] ? trid.trsvcid : "4420", err);
		return NVMF_EXIT_FAILURE;
	}
	ios = calloc((size_t)p.qd, sizeof(*ios));
	if (!ios || perf_setup(&p, size, offset, secs))
		goto out;
	if (p.threads) {
		struct nvmf_ctrl_info info;

		nvmf_ctrl_get_info(p.ctrl, &info);
		if ((int)info.nr_io_queues < p.threads + 1) {
			fprintf(stderr,
				"nvmf-host perf: --threads %d needs %d I/O "
				"queues; the controller granted %u\n",
				p.threads, p.threads + 1, info.nr_io_queues);
			goto out;
		}
		if (p.units < (uint64_t)p.threads) {
			fprintf(stderr,
				"nvmf-host perf: --threads %d: fewer units "
				"than threads\n",
				p.threads);
			goto out;
		}
		p.run_ns = (uint64_t)secs * 1000000000ull;
		if (run_threads(&p, p.threads, &elapsed, s0, s1))
			goto out;
		report(&p, workload, elapsed);
		report_costs(s0, s1);
		if (p.verify)
			printf("verify: %llu reads checked, %llu mismatches\n",
			       (unsigned long long)p.checked,
			       (unsigned long long)p.mismatches);
		goto done;
	}
	for (i = 0; i < p.qd; i++) {
		ios[i].p = &p;
		ios[i].buf = nvmf_buf_alloc(p.ctrl, p.io_size);
		ios[i].pool = ios[i].buf != NULL;
		if (!ios[i].buf && posix_memalign(&ios[i].buf, 4096, p.io_size))
			goto out;
	}
	lat_cap = p.lat_cap;
	if (p.verify && !p.write_only) {
		full_pass(&p, ios, true);
		p.filled = true;
		printf("verify: filled %llu units of %u bytes\n",
		       (unsigned long long)p.units, p.io_size);
	}
	p.ios = p.bytes = p.nlat = 0;
	p.lat_cap = lat_cap;
	nvmf_ctrl_get_stats(p.ctrl, s0, NVMF_STAT_NR);
	t0 = nvmf_now_ns();
	run_phase(&p, ios, (uint64_t)secs * 1000000000ull);
	elapsed = (double)(nvmf_now_ns() - t0) / 1e9;
	nvmf_ctrl_get_stats(p.ctrl, s1, NVMF_STAT_NR);
	report(&p, workload, elapsed);
	report_costs(s0, s1);
	if (p.verify) {
		/* read back every unit written */
		full_pass(&p, ios, false);
		printf("verify: %llu reads checked, %llu mismatches\n",
		       (unsigned long long)p.checked,
		       (unsigned long long)p.mismatches);
	}
done:
	ret = p.errors || p.mismatches ? NVMF_EXIT_FAILURE : NVMF_EXIT_OK;
	if (p.errors)
		printf("errors: %llu\n", (unsigned long long)p.errors);
out:
	for (i = 0; ios && i < p.qd; i++) {
		if (ios[i].pool)
			nvmf_buf_free(p.ctrl, ios[i].buf);
		else
			free(ios[i].buf);
	}
	free(ios);
	free(p.lat);
	free(p.gen);
	free(p.busy);
	nvmf_ctrl_disconnect(p.ctrl);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt's data path counters, readable while it runs: RUN_DIR/stats.json
 * has each worker's counters (enum nvmet_stat), their sum and the main
 * thread's (enum nvmet_main_stat: queue setup), rewritten by
 * the main thread 4 times a second while they change.  The benches divide
 * them by the I/Os to print what each I/O costs (doorbells, CQ re-arms,
 * io_uring_enter calls, wake-ups, allocations).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "loop.h"
#include "nvmet.h"

static const char *const main_stat_names[NVMET_MSTAT_NR] = {
	[NVMET_MSTAT_QUEUE_SETUPS] = "queue_setups",
	[NVMET_MSTAT_QUEUE_SETUP_US] = "queue_setup_us",
	[NVMET_MSTAT_QUEUE_SETUP_MAX_US] = "queue_setup_max_us",
	[NVMET_MSTAT_QUEUE_SETUP_CPU_US] = "queue_setup_cpu_us",
	[NVMET_MSTAT_SETUP_SRQ_US] = "setup_srq_us",
	[NVMET_MSTAT_SETUP_CQ_US] = "setup_cq_us",
	[NVMET_MSTAT_SETUP_QP_US] = "setup_qp_us",
	[NVMET_MSTAT_SETUP_MEM_US] = "setup_mem_us",
	[NVMET_MSTAT_SETUP_ACCEPT_US] = "setup_accept_us",
	[NVMET_MSTAT_SRQ_BUFFERS] = "srq_buffers",
	[NVMET_MSTAT_SRQ_BUFFERS_MAX] = "srq_buffers_max",
};

static void stats_object(FILE *f, const uint64_t *v, const char *const *names,
			 int nr, const char *indent)
{
	int i;

	fprintf(f, "{");
	for (i = 0; i < nr; i++)
		fprintf(f, "%s\n%s  \"%s\": %llu", i ? "," : "", indent,
			names[i], (unsigned long long)v[i]);
	fprintf(f, "\n%s}", indent);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void nvmet_setup_timer_start(struct nvmet_setup_timer *t)
{
	memset(t, 0, sizeof(*t));
	t->start_ns = nvmf_now_ns();
	t->mark_ns = t->start_ns;
	t->cpu_ns = thread_cpu_ns();
}

void nvmet_setup_phase_begin(struct nvmet_setup_timer *t)
{
	t->mark_ns = nvmf_now_ns();
}

void nvmet_setup_phase_end(struct nvmet_setup_timer *t,
			   enum nvmet_main_stat phase)
{
	uint64_t now = nvmf_now_ns();

	t->phase_us[phase] += (now - t->mark_ns) / 1000;
	t->mark_ns = now;
}

uint64_t nvmet_stat_queue_setup(struct nvmet_tgt *tgt,
				const struct nvmet_setup_timer *t)
{
	uint64_t *m = tgt->main_stats;
	uint64_t us = (nvmf_now_ns() - t->start_ns) / 1000;
	int i;

	m[NVMET_MSTAT_QUEUE_SETUPS]++;
	m[NVMET_MSTAT_QUEUE_SETUP_US] += us;
	if (us > m[NVMET_MSTAT_QUEUE_SETUP_MAX_US])
		m[NVMET_MSTAT_QUEUE_SETUP_MAX_US] = us;
	m[NVMET_MSTAT_QUEUE_SETUP_CPU_US] +=
		(thread_cpu_ns() - t->cpu_ns) / 1000;
	for (i = NVMET_MSTAT_SETUP_SRQ_US; i <= NVMET_MSTAT_SETUP_ACCEPT_US;
	     i++)
		m[i] += t->phase_us[i];
	return us;
}

/*
 * Main thread.  Return: 1 if written, 0 if nothing changed since *last
 * (the sum of the previous write), or a negative errno.
 */
int nvmet_stats_write(struct nvmet_tgt *tgt, uint64_t *last)
{
	uint64_t sum[NVMET_STATS_LAST_NR] = { 0 }, (*v)[NVMET_STAT_NR];
	char path[512], tmp[520];
	int i, s, ret = 0;
	FILE *f;

	if (!tgt->run_dir)
		return 0;
	v = calloc((size_t)tgt->nr_workers + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* one reading of each counter: the sum is of what is written */
	for (i = 0; i < tgt->nr_workers; i++)
		for (s = 0; s < NVMET_STAT_NR; s++) {
			v[i][s] = __atomic_load_n(&tgt->workers[i].stats[s],
						  __ATOMIC_RELAXED);
			sum[s] += v[i][s];
		}
	memcpy(sum + NVMET_STAT_NR, tgt->main_stats, sizeof(tgt->main_stats));
	if (last && !memcmp(sum, last, sizeof(sum)))
		goto out;
	if (mkdir(tgt->run_dir, 0755) && errno != EEXIST) {
		ret = -errno;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/stats.json", tgt->run_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		ret = -errno;
		goto out;
	}
	fprintf(f, "{\n  \"workers\": [");
	for (i = 0; i < tgt->nr_workers; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		stats_object(f, v[i], nvmet_stat_names, NVMET_STAT_NR, "    ");
	}
	fprintf(f, "\n  ],\n  \"total\": ");
	stats_object(f, sum, nvmet_stat_names, NVMET_STAT_NR, "  ");
	fprintf(f, ",\n  \"main\": ");
	stats_object(f, tgt->main_stats, main_stat_names, NVMET_MSTAT_NR, "  ");
	fprintf(f, "\n}\n");
	if (fclose(f) || rename(tmp, path)) {
		ret = -errno;
		goto out;
	}
	if (last)
		memcpy(last, sum, sizeof(sum));
	ret = 1;
out:
	free(v);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt RDMA transport: the data buffer pool of one worker on one
 * device, shared by the worker's queues on that device.
 *
 * A queue used to pin recv_depth buffers of MDTS bytes (16 MiB for 128
 * commands of 128 KiB) whether or not they carried any I/O.  The pool
 * instead grows by registered regions of NVMET_RDMA_POOL_REGION bytes as
 * the I/O in flight needs them, up to NVMET_RDMA_POOL_MAX bytes, and
 * hands out page-aligned runs of 4 KiB pages, as large as the transfer:
 * memory follows the I/O actually in flight, and MDTS can be 1 MiB.
 *
 * Threads: the main thread creates the pools with their device and
 * destroys them when the device's last queue is released (no worker uses
 * them then).  Everything else runs on the pool's worker, so the data path
 * takes no lock and touches no shared cache line.  A request that finds
 * no room waits on the pool's list, in order across the worker's queues,
 * until a buffer comes back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rdma.h"

struct rdma_pool *nvmet_rdma_pool_create(struct ibv_pd *pd, size_t max_bytes,
					 struct nvmet_worker *w)
{
	struct rdma_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pd = pd;
	p->w = w;
	p->max_regions = (int)(max_bytes / NVMET_RDMA_POOL_REGION);
	if (p->max_regions < 1)
		p->max_regions = 1;
	p->regions = calloc((size_t)p->max_regions, sizeof(*p->regions));
	if (!p->regions) {
		free(p);
		return NULL;
	}
	TAILQ_INIT(&p->waiters);
	TAILQ_INIT(&p->queues);
	p->reap.fn = nvmet_rdma_pool_reap;
	return p;
}

static void region_free(struct rdma_pool *p, struct rdma_pool_region *r)
{
	nvmet_worker_buf_unregister(p->w, r->ring_buf);
	if (r->mr)
		ibv_dereg_mr(r->mr);
	nvmet_rdma_free_buf(r->buf, NVMET_RDMA_POOL_REGION);
	free(r->map);
	*r = (struct rdma_pool_region){ 0 };
}

/* Main thread, when the device's last queue is gone. */
void nvmet_rdma_pool_destroy(struct rdma_pool *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < p->nr_regions; i++)
		region_free(p, &p->regions[i]);
	free(p->regions);
	free(p);
}

/* One more region (an anonymous mapping: page aligned for O_DIRECT). */
static int pool_grow(struct rdma_pool *p)
{
	struct rdma_pool_region *r = &p->regions[p->nr_regions];

	if (p->nr_regions >= p->max_regions)
		return -ENOSPC;
	r->ring_buf = -1;
	r->buf = nvmet_rdma_alloc_buf(NVMET_RDMA_POOL_REGION);
	if (!r->buf)
		return -ENOMEM;
	r->map = nvmet_range_map_alloc(NVMET_RDMA_POOL_REGION /
				       NVMET_RDMA_POOL_PAGE);
	r->mr = ibv_reg_mr(p->pd, r->buf, NVMET_RDMA_POOL_REGION,
			   IBV_ACCESS_LOCAL_WRITE);
	if (!r->map || !r->mr) {
		int ret = r->mr ? -ENOMEM : -errno;

		region_free(p, r);
		return ret;
	}
	/* the backend reads and writes it without pinning pages per call */
	r->ring_buf =
		nvmet_worker_buf_register(p->w, r->buf, NVMET_RDMA_POOL_REGION);
	p->nr_regions++;
	nvmet_stat_add(p->w, NVMET_STAT_ALLOCS, 1);
	return 0;
}

static int region_get(struct rdma_pool *p, int i, unsigned int pages,
		      struct rdma_buf *b)
{
	struct rdma_pool_region *r = &p->regions[i];
	int start = nvmet_range_get(r->map, pages);

	if (start < 0)
		return -1;
	b->addr = (uint8_t *)r->buf + (size_t)start * NVMET_RDMA_POOL_PAGE;
	b->lkey = r->mr->lkey;
	b->region = (uint16_t)i;
	b->start = (uint16_t)start;
	b->pages = (uint16_t)pages;
	p->pages_used += pages;
	return 0;
}

int nvmet_rdma_pool_get(struct rdma_pool *p, uint32_t len, struct rdma_buf *b)
{
	unsigned int pages =
		(len + NVMET_RDMA_POOL_PAGE - 1) / NVMET_RDMA_POOL_PAGE;
	int i, ret;

	if (!pages || len > NVMET_RDMA_POOL_REGION)
		return -EINVAL;
	for (i = 0; i < p->nr_regions; i++)
		if (!region_get(p, i, pages, b))
			return 0;
	ret = pool_grow(p);
	if (!ret && !region_get(p, p->nr_regions - 1, pages, b))
		return 0;
	if (!ret)
		ret = -ENOMEM; /* cannot happen: a new region is empty */
	/* what is in use comes back: wait for it */
	if (p->pages_used)
		return -EAGAIN;
	if (ret != -ENOSPC && !p->warned) {
		nvmf_warn("rdma: data buffer pool cannot grow: %s",
			  strerror(-ret));
		p->warned = true;
	}
	return ret;
}

void nvmet_rdma_pool_put(struct rdma_pool *p, struct rdma_buf *b)
{
	if (!b->pages)
		return;
	nvmet_range_put(p->regions[b->region].map, b->start, b->pages);
	p->pages_used -= b->pages;
	*b = (struct rdma_buf){ 0 };
}

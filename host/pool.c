// SPDX-License-Identifier: GPL-2.0
/*
 * The registered buffer pool: fixed-size chunks from one anonymous
 * mapping, handed out by nvmf_buf_alloc() and registered with the
 * transport like any region given to nvmf_ctrl_register().  Any thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

int nvmf_pool_init(struct nvmf_pool *p, size_t chunk, uint32_t nr)
{
	uint32_t i;

	if (!chunk || !nr || chunk % 4096)
		return -EINVAL;
	p->base = mmap(NULL, chunk * nr, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->base == MAP_FAILED) {
		p->base = NULL;
		return -ENOMEM;
	}
	p->free = calloc(nr, sizeof(*p->free));
	if (!p->free) {
		munmap(p->base, chunk * nr);
		p->base = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++)
		p->free[i] = nr - 1 - i;
	p->chunk = chunk;
	p->nr = p->nr_free = nr;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void nvmf_pool_fini(struct nvmf_pool *p)
{
	if (!p->base)
		return;
	munmap(p->base, p->chunk * p->nr);
	free(p->free);
	pthread_mutex_destroy(&p->lock);
	p->base = NULL;
}

void *nvmf_pool_get(struct nvmf_pool *p)
{
	void *buf = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->nr_free)
		buf = p->base + p->free[--p->nr_free] * p->chunk;
	pthread_mutex_unlock(&p->lock);
	return buf;
}

bool nvmf_pool_owns(const struct nvmf_pool *p, const void *buf)
{
	const uint8_t *b = buf;

	return p->base && b >= p->base && b < p->base + p->chunk * p->nr;
}

int nvmf_pool_put(struct nvmf_pool *p, void *buf)
{
	size_t off;
	uint32_t i;

	if (!nvmf_pool_owns(p, buf))
		return -EINVAL;
	off = (size_t)((uint8_t *)buf - p->base);
	if (off % p->chunk)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	/* a double free would hand the chunk out twice: refuse it */
	for (i = 0; i < p->nr_free; i++) {
		if (p->free[i] == off / p->chunk) {
			pthread_mutex_unlock(&p->lock);
			return -EINVAL;
		}
	}
	p->free[p->nr_free++] = (uint32_t)(off / p->chunk);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

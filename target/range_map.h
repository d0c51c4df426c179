/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A first-fit allocator of runs of units over a bitmap, one bit per unit
 * (nvmf-tgt's data buffer pool hands out runs of 4 KiB pages of a
 * registered region with it).  Not thread safe: one owner uses it.
 */
#ifndef NVMF_TARGET_RANGE_MAP_H
#define NVMF_TARGET_RANGE_MAP_H

#include <stdint.h>

struct nvmet_range_map {
	unsigned int nr;      /* units */
	unsigned int nr_free; /* units not in use */
	uint64_t bits[];      /* bit set: in use */
};

/* A map of nr free units, or NULL without memory (free() it). */
struct nvmet_range_map *nvmet_range_map_alloc(unsigned int nr);

/* Take the first run of n free units.  Return: its first unit, or -1. */
int nvmet_range_get(struct nvmet_range_map *m, unsigned int n);

/* Give back the run of n units at start (as nvmet_range_get() gave it). */
void nvmet_range_put(struct nvmet_range_map *m, unsigned int start,
		     unsigned int n);

#endif /* NVMF_TARGET_RANGE_MAP_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Request tracking of a host queue: the command id of an outstanding
 * command is the index of its slot, so a response finds its request in
 * O(1), and a slot is reused only after its command completed (or its
 * queue was torn down).
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

int nvmf_slots_init(struct nvmf_slots *s, uint16_t depth)
{
	uint16_t i;

	s->depth = depth;
	s->free = calloc(depth, sizeof(*s->free));
	s->reqs = calloc(depth, sizeof(*s->reqs));
	if (!s->free || !s->reqs) {
		nvmf_slots_fini(s);
		return -ENOMEM;
	}
	/* lowest command ids first */
	for (i = 0; i < depth; i++)
		s->free[i] = depth - 1 - i;
	s->nr_free = depth;
	return 0;
}

void nvmf_slots_fini(struct nvmf_slots *s)
{
	free(s->free);
	free(s->reqs);
	s->free = NULL;
	s->reqs = NULL;
	s->nr_free = s->depth = 0;
}

int nvmf_slots_get(struct nvmf_slots *s, struct nvmf_req *req)
{
	uint16_t cid;

	if (!s->nr_free)
		return -1;
	cid = s->free[--s->nr_free];
	s->reqs[cid] = req;
	req->cid = cid;
	return cid;
}

struct nvmf_req *nvmf_slots_find(const struct nvmf_slots *s, uint16_t cid)
{
	if (cid >= s->depth)
		return NULL;
	return s->reqs[cid];
}

void nvmf_slots_put(struct nvmf_slots *s, uint16_t cid)
{
	if (cid >= s->depth || !s->reqs[cid])
		return;
	s->reqs[cid] = NULL;
	s->free[s->nr_free++] = cid;
}

void nvmf_slots_drain(struct nvmf_slots *s, struct nvmf_req_list *out)
{
	uint16_t cid;

	for (cid = 0; cid < s->depth; cid++) {
		if (!s->reqs[cid])
			continue;
		TAILQ_INSERT_TAIL(out, s->reqs[cid], link);
		nvmf_slots_put(s, cid);
	}
}

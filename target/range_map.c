// SPDX-License-Identifier: GPL-2.0
/*
 * First-fit runs of units over a bitmap.  A search skips whole words in
 * use and counts whole free words at once, so a 1 MiB run of 4 KiB pages
 * costs a few word tests, and a 4 KiB one usually a single bit scan.
 */
#include <assert.h>
#include <stdlib.h>

#include "range_map.h"

#define WORD_BITS 64u

struct nvmet_range_map *nvmet_range_map_alloc(unsigned int nr)
{
	unsigned int words = (nr + WORD_BITS - 1) / WORD_BITS;
	struct nvmet_range_map *m;

	m = calloc(1, sizeof(*m) + words * sizeof(uint64_t));
	if (!m)
		return NULL;
	m->nr = nr;
	m->nr_free = nr;
	/* the units past nr in the last word are never free */
	if (nr % WORD_BITS)
		m->bits[words - 1] = ~0ull << (nr % WORD_BITS);
	return m;
}

static void set_run(struct nvmet_range_map *m, unsigned int start,
		    unsigned int n, int used)
{
	unsigned int i = start, end = start + n;

	while (i < end) {
		unsigned int bit = i % WORD_BITS;
		unsigned int len = WORD_BITS - bit;
		uint64_t mask;

		if (len > end - i)
			len = end - i;
		mask = (len == WORD_BITS ? ~0ull : ((1ull << len) - 1)) << bit;
		if (used) {
			assert(!(m->bits[i / WORD_BITS] & mask));
			m->bits[i / WORD_BITS] |= mask;
		} else {
			assert((m->bits[i / WORD_BITS] & mask) == mask);
			m->bits[i / WORD_BITS] &= ~mask;
		}
		i += len;
	}
}

int nvmet_range_get(struct nvmet_range_map *m, unsigned int n)
{
	unsigned int i = 0, run = 0, start = 0;

	if (!n || n > m->nr_free)
		return -1;
	while (i < m->nr) {
		uint64_t w = m->bits[i / WORD_BITS] >> (i % WORD_BITS);
		unsigned int left = WORD_BITS - i % WORD_BITS;

		if (!w) {
			/* the rest of this word is free */
			if (!run)
				start = i;
			run += left;
			i += left;
		} else if (w & 1) {
			/* in use: skip the used bits (~w is 0 if all are) */
			run = 0;
			i += ~w ? (unsigned int)__builtin_ctzll(~w) : left;
		} else {
			unsigned int fr = (unsigned int)__builtin_ctzll(w);

			if (!run)
				start = i;
			run += fr;
			i += fr;
			if (run < n)
				run = 0;
		}
		if (run >= n && start + n <= m->nr) {
			set_run(m, start, n, 1);
			m->nr_free -= n;
			return (int)start;
		}
	}
	return -1;
}

void nvmet_range_put(struct nvmet_range_map *m, unsigned int start,
		     unsigned int n)
{
	assert(start + n <= m->nr);
	set_run(m, start, n, 0);
	m->nr_free += n;
}

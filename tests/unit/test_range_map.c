// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt's data buffer pool hands out runs of pages with
 * nvmet_range_get(): check it against a plain array model, and the edges
 * (a map whose size is not a multiple of 64, a run across words, full).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "range_map.h"

/* The first run of n free units in the model, or -1. */
static int model_first_fit(const uint8_t *used, unsigned int nr, unsigned int n)
{
	unsigned int i, run = 0;

	for (i = 0; i < nr; i++) {
		run = used[i] ? 0 : run + 1;
		if (run == n)
			return (int)(i + 1 - n);
	}
	return -1;
}

static void test_edges(void **state)
{
	struct nvmet_range_map *m = nvmet_range_map_alloc(130);

	(void)state;
	assert_non_null(m);
	assert_int_equal(nvmet_range_get(m, 0), -1);
	assert_int_equal(nvmet_range_get(m, 131), -1);
	assert_int_equal(nvmet_range_get(m, 60), 0);
	/* 70 units from 60: across the first word into the third */
	assert_int_equal(nvmet_range_get(m, 70), 60);
	assert_int_equal(m->nr_free, 0);
	assert_int_equal(nvmet_range_get(m, 1), -1);
	nvmet_range_put(m, 0, 60);
	/* the units past 130 in the last word are never handed out */
	assert_int_equal(nvmet_range_get(m, 61), -1);
	assert_int_equal(nvmet_range_get(m, 60), 0);
	nvmet_range_put(m, 60, 70);
	assert_int_equal(nvmet_range_get(m, 70), 60);
	assert_int_equal(nvmet_range_get(m, 1), -1);
	free(m);

	/* a whole region's worth: 512 pages at once, then none */
	m = nvmet_range_map_alloc(512);
	assert_non_null(m);
	assert_int_equal(nvmet_range_get(m, 512), 0);
	assert_int_equal(nvmet_range_get(m, 1), -1);
	nvmet_range_put(m, 0, 512);
	assert_int_equal(nvmet_range_get(m, 1), 0);
	assert_int_equal(nvmet_range_get(m, 512), -1);
	assert_int_equal(nvmet_range_get(m, 511), 1);
	free(m);
}

/* Random gets and puts of 1-256 units, each checked against the model. */
static void test_random(void **state)
{
	enum { NR = 512, SLOTS = 64 };
	struct nvmet_range_map *m = nvmet_range_map_alloc(NR);
	uint8_t used[NR] = { 0 };
	struct {
		int start;
		unsigned int n;
	} held[SLOTS] = { 0 };
	unsigned int seed = 12345, round, i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < SLOTS; i++)
		held[i].start = -1;
	for (round = 0; round < 200000; round++) {
		unsigned int s = (unsigned int)rand_r(&seed) % SLOTS;

		if (held[s].start >= 0) {
			nvmet_range_put(m, (unsigned int)held[s].start,
					held[s].n);
			memset(used + held[s].start, 0, held[s].n);
			held[s].start = -1;
		} else {
			/* mostly small, sometimes up to 1 MiB of pages */
			unsigned int n = rand_r(&seed) % 8 ?
						 1 + rand_r(&seed) % 32 :
						 1 + rand_r(&seed) % 256;
			int want = model_first_fit(used, NR, n);
			int got = nvmet_range_get(m, n);

			assert_int_equal(got, want);
			if (got >= 0) {
				memset(used + got, 1, n);
				held[s].start = got;
				held[s].n = n;
			}
		}
		if (!(round % 1000)) {
			unsigned int f = 0;

			for (i = 0; i < NR; i++)
				f += !used[i];
			assert_int_equal(m->nr_free, f);
		}
	}
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

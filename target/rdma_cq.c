// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt RDMA transport: completion queues made ahead after a reset.
 *
 * Each queue has a completion channel and a CQ of its own, made on the
 * main thread when it connects: about a fifth of a queue's setup there in
 * the lab once the shared receive queues were grown back ahead (2.0 of
 * 9.5 ms, stats.json main setup_cq_us).  A device reset brings every
 * queue back at once, with the same sizes.  So when a device goes, the
 * most queues it had at once of each CQ size are remembered by device
 * name; when a port listens on that device again, its listener makes that
 * many channels and CQs ahead (nvmet_rdma_cq_warm(), a few per turn of the
 * main loop, after the SRQs), and a reconnecting queue takes one of the
 * right size instead of making its own.  Those not taken are destroyed
 * when the listener stops holding the device (the queues are back, or a
 * minute has passed) or with the device.
 *
 * A spare is a fresh channel and CQ nothing has used: no completion, no
 * event, not armed.  Main thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rdma.h"

struct cq_hint {
	char dev_name[64];
	int cqe;
	int count; /* the most queues with a CQ of this size at once */
	SLIST_ENTRY(cq_hint) link;
};
static SLIST_HEAD(, cq_hint) cq_hints = SLIST_HEAD_INITIALIZER(cq_hints);
static int nr_cq_hints;
#define CQ_HINTS_MAX 256 /* devices x CQ sizes (RDMA_CQ_SIZES each) */

static struct rdma_cq_count *count_of(struct rdma_dev *d, int cqe)
{
	for (int i = 0; i < d->nr_cq_counts; i++)
		if (d->cq_counts[i].cqe == cqe)
			return &d->cq_counts[i];
	if (d->nr_cq_counts == RDMA_CQ_SIZES)
		return NULL; /* not counted: no spares of this size */
	d->cq_counts[d->nr_cq_counts].cqe = cqe;
	return &d->cq_counts[d->nr_cq_counts++];
}

/* A queue's CQ of cqe entries on d was made (+1) or destroyed (-1). */
void nvmet_rdma_cq_count(struct rdma_dev *d, int cqe, int delta)
{
	struct rdma_cq_count *c = count_of(d, cqe);

	if (!c)
		return;
	c->live += delta;
	if (c->live > c->peak)
		c->peak = c->live;
}

/*
 * Take a spare of cqe entries for a queue.  Return: 0 and *channel, *cq;
 * -ENOENT: none, the caller makes its own.
 */
int nvmet_rdma_cq_take(struct rdma_dev *d, int cqe,
		       struct ibv_comp_channel **channel, struct ibv_cq **cq)
{
	struct rdma_cq_spare *s;

	SLIST_FOREACH(s, &d->spare_cqs, link)
		if (s->cqe == cqe)
			break;
	if (!s)
		return -ENOENT;
	SLIST_REMOVE(&d->spare_cqs, s, rdma_cq_spare, link);
	*channel = s->channel;
	*cq = s->cq;
	d->nr_spare_cqs--;
	d->spare_cqs_taken++;
	free(s);
	return 0;
}

/* Destroy the spares nobody took.  Return: how many. */
int nvmet_rdma_cq_spares_free(struct rdma_dev *d)
{
	struct rdma_cq_spare *s;
	int n = 0;

	while ((s = SLIST_FIRST(&d->spare_cqs))) {
		SLIST_REMOVE_HEAD(&d->spare_cqs, link);
		ibv_destroy_cq(s->cq);
		ibv_destroy_comp_channel(s->channel);
		free(s);
		n++;
	}
	d->nr_spare_cqs = 0;
	return n;
}

static void hints_drop(const char *dev_name)
{
	struct cq_hint *h = SLIST_FIRST(&cq_hints), *next;

	for (; h; h = next) {
		next = SLIST_NEXT(h, link);
		if (strcmp(h->dev_name, dev_name))
			continue;
		SLIST_REMOVE(&cq_hints, h, cq_hint, link);
		free(h);
		nr_cq_hints--;
	}
}

/*
 * d goes (dev_free): what its queues had replaces what the device of that
 * name had before.  A device that never had a queue leaves the earlier
 * record alone (a listener's hold that ended before the hosts came).
 */
void nvmet_rdma_cq_hints_record(struct rdma_dev *d)
{
	const char *name;
	struct cq_hint *h;
	int i;

	for (i = 0; i < d->nr_cq_counts && !d->cq_counts[i].peak; i++)
		;
	if (i == d->nr_cq_counts)
		return;
	name = ibv_get_device_name(d->verbs->device);
	hints_drop(name);
	for (i = 0; i < d->nr_cq_counts; i++) {
		if (!d->cq_counts[i].peak || nr_cq_hints >= CQ_HINTS_MAX)
			continue;
		h = calloc(1, sizeof(*h));
		if (!h)
			return;
		snprintf(h->dev_name, sizeof(h->dev_name), "%s", name);
		h->cqe = d->cq_counts[i].cqe;
		h->count = d->cq_counts[i].peak;
		SLIST_INSERT_HEAD(&cq_hints, h, link);
		nr_cq_hints++;
	}
}

bool nvmet_rdma_cq_hinted(const char *dev_name)
{
	struct cq_hint *h;

	SLIST_FOREACH(h, &cq_hints, link)
		if (!strcmp(h->dev_name, dev_name))
			return true;
	return false;
}

void nvmet_rdma_cq_hints_free(void)
{
	struct cq_hint *h;

	while ((h = SLIST_FIRST(&cq_hints))) {
		SLIST_REMOVE_HEAD(&cq_hints, link);
		free(h);
	}
	nr_cq_hints = 0;
}

static int spares_of(const struct rdma_dev *d, int cqe)
{
	const struct rdma_cq_spare *s;
	int n = 0;

	SLIST_FOREACH(s, &d->spare_cqs, link)
		n += s->cqe == cqe;
	return n;
}

/*
 * One step of making d's spares: up to max channels and CQs, so that
 * queues already back plus spares reach what the device of that name had.
 * Return: 1 while there is more to do, 0 when done, or a negative errno
 * (said; the queues make their own).
 */
int nvmet_rdma_cq_warm(struct rdma_dev *d, int max)
{
	const char *name = ibv_get_device_name(d->verbs->device);
	struct rdma_cq_spare *s;
	struct rdma_cq_count *c;
	struct cq_hint *h;
	int made = 0, ret;

	SLIST_FOREACH(h, &cq_hints, link) {
		if (strcmp(h->dev_name, name))
			continue;
		c = count_of(d, h->cqe);
		if (!c)
			continue;
		while (c->live + spares_of(d, h->cqe) < h->count) {
			if (made == max)
				return 1;
			s = calloc(1, sizeof(*s));
			if (!s)
				return -ENOMEM;
			s->cqe = h->cqe;
			s->channel = ibv_create_comp_channel(d->verbs);
			if (s->channel)
				s->cq = ibv_create_cq(d->verbs, h->cqe, NULL,
						      s->channel, 0);
			if (!s->cq) {
				ret = errno ? -errno : -ENOMEM;
				if (s->channel)
					ibv_destroy_comp_channel(s->channel);
				free(s);
				nvmf_info("rdma: %s: cannot make a completion "
					  "queue of %d entries ahead: %s",
					  name, h->cqe, strerror(-ret));
				return ret;
			}
			SLIST_INSERT_HEAD(&d->spare_cqs, s, link);
			d->nr_spare_cqs++;
			d->spare_cqs_made++;
			made++;
		}
	}
	return 0;
}

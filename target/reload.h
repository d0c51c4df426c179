/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SIGHUP's reload of the -c file: its difference from the running model
 * applied live (reload.c).
 */
#ifndef NVMET_RELOAD_H
#define NVMET_RELOAD_H

#include "config.h"

struct nvmet_tgt;
struct nvmet_reload;

/* tgt->loop, when set, polls the drains of removed namespaces. */
struct nvmet_reload *nvmet_reload_create(struct nvmet_tgt *tgt);

/*
 * After the workers stopped: close and free what is still draining.
 */
void nvmet_reload_destroy(struct nvmet_reload *r);

/*
 * Make the model what cfg describes, changing only what differs.  Main
 * thread; takes the model lock.  Each change and each failure is logged;
 * a failure does not stop the rest.
 * Return: the number of failures; *changes the number of changes.
 */
int nvmet_reload_apply(struct nvmet_reload *r, const struct nvmf_cfg *cfg,
		       int *changes);

/* Namespaces still waiting for their last request. */
int nvmet_reload_draining(const struct nvmet_reload *r);

#endif /* NVMET_RELOAD_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * librdmacm device-list resync after a device removal (see rdma_resync.h).
 */
#include <rdma/rdma_cma.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "rdma_resync.h"

#define RESYNC_PERIOD_MS 100
#define RESYNC_MAX_MS	 30000

static bool device_listed(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	bool found = false;
	int i;

	for (i = 0; list && list[i]; i++)
		if (strcmp(ibv_get_device_name(list[i]), name) == 0)
			found = true;
	ibv_free_device_list(list);
	return found;
}

static void resync_fire(void *arg)
{
	struct nvmf_rdma_resync *r = arg;
	struct ibv_context **devs;
	bool gone = !device_listed(r->dev);

	devs = rdma_get_devices(NULL);
	if (devs)
		rdma_free_devices(devs);
	if (gone || nvmf_now_ms() > r->until) {
		/* "still listed": it was not being removed after all */
		nvmf_obj_log(gone ? NVMF_LOG_INFO : NVMF_LOG_DEBUG,
			     r->log_prefix, "rdma: %s %s", r->dev,
			     gone ? "released" :
				    "still listed; resync stopped");
		nvmf_timer_disarm(r->timer);
	}
}

int nvmf_rdma_resync_init(struct nvmf_rdma_resync *r, struct nvmf_loop *loop,
			  const char *log_prefix)
{
	memset(r, 0, sizeof(*r));
	r->log_prefix = log_prefix;
	r->timer = nvmf_timer_create(loop, resync_fire, r);
	return r->timer ? 0 : -1;
}

void nvmf_rdma_resync_fini(struct nvmf_rdma_resync *r)
{
	nvmf_timer_destroy(r->timer);
	r->timer = NULL;
}

void nvmf_rdma_resync_start(struct nvmf_rdma_resync *r, const char *dev)
{
	snprintf(r->dev, sizeof(r->dev), "%s", dev);
	r->until = nvmf_now_ms() + RESYNC_MAX_MS;
	if (!nvmf_timer_armed(r->timer))
		nvmf_timer_arm(r->timer, RESYNC_PERIOD_MS, RESYNC_PERIOD_MS);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * After an RDMA device is removed, librdmacm keeps a verbs context of its
 * own on it until a device-list resync finds the device gone and unused;
 * until then `rdma link delete` blocks.  The device leaves the list only
 * once the connection manager let go of it (all our cm_ids on it
 * destroyed), so after a removal we resync every 100 ms until the device
 * has left the list (at most 30 s).  Loop thread only.
 */
#ifndef NVMF_COMMON_RDMA_RESYNC_H
#define NVMF_COMMON_RDMA_RESYNC_H

#include <infiniband/verbs.h>
#include <stdint.h>

#include "loop.h"

struct nvmf_rdma_resync {
	struct nvmf_timer *timer;
	uint64_t until;
	char dev[IBV_SYSFS_NAME_MAX];
	const char *log_prefix;
};

int nvmf_rdma_resync_init(struct nvmf_rdma_resync *r, struct nvmf_loop *loop,
			  const char *log_prefix);
void nvmf_rdma_resync_fini(struct nvmf_rdma_resync *r);
/* dev was removed (or failed): resync until it is gone. */
void nvmf_rdma_resync_start(struct nvmf_rdma_resync *r, const char *dev);

#endif /* NVMF_COMMON_RDMA_RESYNC_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RDMA devices this process reaches through librdmacm, and the release
 * of a removed device's verbs context, so that `rdma link delete` of a
 * node's last RDMA device returns while we run (see rdma_dev.c for the
 * librdmacm facts and why this is safe).
 *
 * Rules for the transports:
 *  - Every cm_id bound to a device holds a reference on it: take it with
 *    nvmf_rdma_dev_get() when the cm_id first shows its verbs context
 *    (CONNECT_REQUEST, ADDR_RESOLVED, a bind to a local address), and
 *    destroy the cm_id with nvmf_rdma_destroy_id(), which drops it.
 *  - Every verbs object created on a cm_id's context (PD, CQ, QP,
 *    completion channel, MR) is destroyed BEFORE the last cm_id through
 *    which it was reached: librdmacm may close the context when that
 *    cm_id goes.
 *  - A DEVICE_REMOVAL event on a cm_id marks its device removed
 *    (nvmf_rdma_dev_removed()); the transport then releases everything on
 *    it.  Removals nobody was told about (no cm_id on the device) are
 *    found when the device's node leaves /dev/infiniband: attach
 *    nvmf_rdma_devs_watch() to the loop that owns the cm_ids.
 *  - librdmacm calls that can resync its device list (bind, listen,
 *    get_cm_event, destroy_id) go through the wrappers below, which
 *    serialise them with the release.
 *
 * Threading: every function may be called from any thread; one
 * process-wide mutex protects the registry.  A device reference may be
 * dropped on another thread than the one that took it.
 */
#ifndef NVMF_COMMON_RDMA_DEV_H
#define NVMF_COMMON_RDMA_DEV_H

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "loop.h"

struct nvmf_rdma_dev;

/* A reference on the device of verbs (a cm_id's context).  Return: NULL on ENOMEM. */
struct nvmf_rdma_dev *nvmf_rdma_dev_get(struct ibv_context *verbs);
void nvmf_rdma_dev_put(struct nvmf_rdma_dev *dev);

/* The device is being removed (RDMA_CM_EVENT_DEVICE_REMOVAL). */
void nvmf_rdma_dev_removed(struct nvmf_rdma_dev *dev);

/* The device's name ("rxe0"), for logs. */
const char *nvmf_rdma_dev_name(const struct nvmf_rdma_dev *dev);

/*
 * Look for devices whose node left /dev/infiniband and release those no
 * cm_id uses any more.  Called by the watch below; also after a device
 * reported a fatal error.
 */
void nvmf_rdma_devs_check(void);

/*
 * Watch /dev/infiniband on loop (loop thread) and run nvmf_rdma_devs_check()
 * when a node goes.  Return: the watch, or NULL with errno set.
 */
struct nvmf_watch *nvmf_rdma_devs_watch(struct nvmf_loop *loop);

/* Devices in the registry, and how many were released by us / by librdmacm. */
struct nvmf_rdma_devs_stats {
	int devices;
	unsigned int released_by_us;
	unsigned int released_by_librdmacm;
};
void nvmf_rdma_devs_stats(struct nvmf_rdma_devs_stats *st);

/*
 * Before the first RDMA use of a tool (not of the library): without the
 * connection manager's device (/dev/infiniband/rdma_cm), load rdma_ucm
 * (it brings ib_uverbs), as rdma-core's udev rules do when a device
 * appears on a system that runs udevd.
 */
void nvmf_rdma_load_modules(void);

/* ---- librdmacm calls serialised with the release ------------------------ */

int nvmf_rdma_get_cm_event(struct rdma_event_channel *ch,
			   struct rdma_cm_event **ev);
int nvmf_rdma_bind_addr(struct rdma_cm_id *id, struct sockaddr *addr);
int nvmf_rdma_listen(struct rdma_cm_id *id, int backlog);

/*
 * Destroy a cm_id (its QP already destroyed) and drop the reference *devp
 * holds (taken now if the cm_id was bound without the caller noticing).
 * Sets *devp to NULL.  Return: rdma_destroy_id()'s.
 */
int nvmf_rdma_destroy_id(struct rdma_cm_id *id, struct nvmf_rdma_dev **devp);

#endif /* NVMF_COMMON_RDMA_DEV_H */

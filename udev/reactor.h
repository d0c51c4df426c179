/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The udev reactor: tells an event loop when an RDMA device is added or
 * removed and when a network interface is added or changes, so a daemon
 * can repair a port or reconnect at once instead of at its next retry.
 *
 * It listens to udevd's events when systemd-udevd runs (devices are then
 * fully set up) and to the kernel's uevents otherwise (no udevd needed;
 * works in minimal systems such as the lab's VMs).  Subsystems watched:
 * "infiniband" (add, remove) and "net" (add, change, move).
 *
 * Threading: create, destroy and the callback run on the loop's thread.
 */
#ifndef NVMF_UDEV_REACTOR_H
#define NVMF_UDEV_REACTOR_H

#include "loop.h"

struct nvmf_reactor;

enum nvmf_reactor_event {
	NVMF_REACTOR_RDMA_ADD,
	NVMF_REACTOR_RDMA_REMOVE,
	NVMF_REACTOR_NET_CHANGE, /* add, change or move of an interface */
	NVMF_REACTOR_ADDR_ADD,	 /* an IP address added (rtnetlink) */
};

/* name: the device's sysname ("rxe0", "eth0"). */
typedef void (*nvmf_reactor_fn)(void *arg, enum nvmf_reactor_event event,
				const char *name);

/*
 * Start watching.  source: "udev", "kernel" or NULL (udev when udevd runs,
 * else kernel).
 * Return: the reactor, or NULL with errno set.
 */
struct nvmf_reactor *nvmf_reactor_create(struct nvmf_loop *loop,
					 const char *source, nvmf_reactor_fn fn,
					 void *arg);
void nvmf_reactor_destroy(struct nvmf_reactor *r);

/* "udev" or "kernel": where events come from. */
const char *nvmf_reactor_source(const struct nvmf_reactor *r);

const char *nvmf_reactor_event_name(enum nvmf_reactor_event event);

#endif /* NVMF_UDEV_REACTOR_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * udev reactor over libudev's monitor (see reactor.h).
 */
#include <errno.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "reactor.h"

#define UDEVD_CONTROL "/run/udev/control"

struct nvmf_reactor {
	struct udev *udev;
	struct udev_monitor *mon;
	struct nvmf_watch *watch;
	const char *source;
	nvmf_reactor_fn fn;
	void *arg;
};

const char *nvmf_reactor_event_name(enum nvmf_reactor_event event)
{
	switch (event) {
	case NVMF_REACTOR_RDMA_ADD:
		return "rdma-add";
	case NVMF_REACTOR_RDMA_REMOVE:
		return "rdma-remove";
	case NVMF_REACTOR_NET_CHANGE:
		return "net-change";
	}
	return "?";
}

const char *nvmf_reactor_source(const struct nvmf_reactor *r)
{
	return r->source;
}

/* Map a uevent to a reactor event; return: 0, or -1 to ignore it. */
static int classify(struct udev_device *dev, enum nvmf_reactor_event *ev)
{
	const char *subsys = udev_device_get_subsystem(dev);
	const char *action = udev_device_get_action(dev);

	if (!subsys || !action)
		return -1;
	if (strcmp(subsys, "infiniband") == 0) {
		if (strcmp(action, "add") == 0)
			*ev = NVMF_REACTOR_RDMA_ADD;
		else if (strcmp(action, "remove") == 0)
			*ev = NVMF_REACTOR_RDMA_REMOVE;
		else
			return -1;
		return 0;
	}
	if (strcmp(subsys, "net") == 0 &&
	    (strcmp(action, "add") == 0 || strcmp(action, "change") == 0 ||
	     strcmp(action, "move") == 0)) {
		*ev = NVMF_REACTOR_NET_CHANGE;
		return 0;
	}
	return -1;
}

static void reactor_cb(void *arg, uint32_t events)
{
	struct nvmf_reactor *r = arg;
	enum nvmf_reactor_event ev;
	struct udev_device *dev;
	const char *name;

	(void)events;
	/* the monitor socket is non-blocking: drain what is queued */
	while ((dev = udev_monitor_receive_device(r->mon))) {
		name = udev_device_get_sysname(dev);
		if (!classify(dev, &ev) && name) {
			nvmf_debug("udev (%s): %s %s", r->source,
				   nvmf_reactor_event_name(ev), name);
			r->fn(r->arg, ev, name);
		}
		udev_device_unref(dev);
	}
}

static int monitor_open(struct nvmf_reactor *r, const char *source)
{
	r->mon = udev_monitor_new_from_netlink(r->udev, source);
	if (!r->mon)
		return -errno ? -errno : -ENOMEM;
	if (udev_monitor_filter_add_match_subsystem_devtype(
		    r->mon, "infiniband", NULL) ||
	    udev_monitor_filter_add_match_subsystem_devtype(r->mon, "net",
							    NULL) ||
	    udev_monitor_enable_receiving(r->mon))
		return -EIO;
	return 0;
}

struct nvmf_reactor *nvmf_reactor_create(struct nvmf_loop *loop,
					 const char *source, nvmf_reactor_fn fn,
					 void *arg)
{
	struct nvmf_reactor *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fn = fn;
	r->arg = arg;
	if (!source)
		source = access(UDEVD_CONTROL, F_OK) == 0 ? "udev" : "kernel";
	r->source = strcmp(source, "udev") == 0 ? "udev" : "kernel";
	r->udev = udev_new();
	if (!r->udev) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = monitor_open(r, r->source);
	if (ret)
		goto out_unref;
	r->watch = nvmf_watch_add(loop, udev_monitor_get_fd(r->mon), EPOLLIN,
				  reactor_cb, r);
	if (!r->watch) {
		ret = -errno;
		goto out_unref;
	}
	nvmf_info("udev reactor: watching RDMA and network devices (%s events)",
		  r->source);
	return r;

out_unref:
	if (r->mon)
		udev_monitor_unref(r->mon);
	udev_unref(r->udev);
out_free:
	free(r);
	errno = -ret;
	return NULL;
}

void nvmf_reactor_destroy(struct nvmf_reactor *r)
{
	if (!r)
		return;
	nvmf_watch_del(r->watch);
	udev_monitor_unref(r->mon);
	udev_unref(r->udev);
	free(r);
}

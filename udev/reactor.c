// SPDX-License-Identifier: GPL-2.0
/*
 * udev reactor over libudev's monitor (see reactor.h), and rtnetlink's
 * address notices (libnl): udev says nothing when an address is added,
 * which is what a TCP listener bound to that address waits for.
 */
#include <errno.h>
#include <libudev.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
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
	struct nl_sock *nl; /* address notices, or NULL */
	struct nvmf_watch *nl_watch;
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
	case NVMF_REACTOR_ADDR_ADD:
		return "addr-add";
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

/* One rtnetlink message: an address added is an event. */
static int addr_msg(struct nl_msg *msg, void *arg)
{
	struct nvmf_reactor *r = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	const struct ifaddrmsg *ifa;
	char name[IF_NAMESIZE] = "?";

	if (h->nlmsg_type != RTM_NEWADDR ||
	    nlmsg_datalen(h) < (int)sizeof(*ifa))
		return NL_OK;
	ifa = nlmsg_data(h);
	if_indextoname(ifa->ifa_index, name);
	nvmf_debug("rtnetlink: addr-add on %s", name);
	r->fn(r->arg, NVMF_REACTOR_ADDR_ADD, name);
	return NL_OK;
}

static void addr_cb(void *arg, uint32_t events)
{
	struct nvmf_reactor *r = arg;

	(void)events;
	/* non-blocking: what is queued, then -NLE_AGAIN */
	while (nl_recvmsgs_default(r->nl) >= 0)
		;
}

/* Address notices of this network namespace; optional (a warning). */
static void addr_open(struct nvmf_reactor *r, struct nvmf_loop *loop)
{
	r->nl = nl_socket_alloc();
	if (!r->nl)
		goto fail;
	nl_socket_disable_seq_check(r->nl);
	nl_socket_disable_auto_ack(r->nl);
	if (nl_socket_modify_cb(r->nl, NL_CB_VALID, NL_CB_CUSTOM, addr_msg,
				r) ||
	    nl_connect(r->nl, NETLINK_ROUTE) ||
	    nl_socket_add_memberships(r->nl, RTNLGRP_IPV4_IFADDR,
				      RTNLGRP_IPV6_IFADDR, 0) ||
	    nl_socket_set_nonblocking(r->nl))
		goto fail;
	r->nl_watch = nvmf_watch_add(loop, nl_socket_get_fd(r->nl), EPOLLIN,
				     addr_cb, r);
	if (r->nl_watch)
		return;
fail:
	nvmf_warn("reactor: no address notices (rtnetlink)");
	if (r->nl)
		nl_socket_free(r->nl);
	r->nl = NULL;
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
	addr_open(r, loop);
	nvmf_info("udev reactor: watching RDMA and network devices (%s "
		  "events)%s",
		  r->source, r->nl ? " and IP addresses" : "");
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
	nvmf_watch_del(r->nl_watch);
	if (r->nl)
		nl_socket_free(r->nl);
	udev_monitor_unref(r->mon);
	udev_unref(r->udev);
	free(r);
}

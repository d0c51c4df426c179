// SPDX-License-Identifier: GPL-2.0
/*
 * The RDMA devices this process reaches through librdmacm (rdma_dev.h).
 *
 * The problem.  librdmacm (rdma-core v44 in Debian 12, unchanged to v64)
 * opens one verbs context per device the first time a cm_id binds to it
 * (ucma_get_device -> ucma_init_device) and caches it in a private list
 * for the life of the process.  A cm_id's `verbs` is that context; its
 * cmd_fd (/dev/infiniband/uverbsN) and async_fd keep the kernel's uverbs
 * file of the device open.  The cached context is closed only by
 * remove_cma_dev(), which runs (a) from sync_devices_list() for a device
 * that left ibv_get_device_list() while no cm_id uses it, or (b) from
 * ucma_put_device()/rdma_free_devices() for a device an earlier sync marked
 * dead.  sync_devices_list() returns ENODEV before it diffs anything when
 * no device is left.  So after the removal of a node's only RDMA device
 * the context stays open for good, and rxe (no disassociate_ucontext)
 * makes ib_uverbs_remove_one() - and `rdma link delete` - wait for it.
 *
 * What we do.  Once a device is known to be going away (DEVICE_REMOVAL on
 * one of its cm_ids, or its uverbs node gone from /dev/infiniband, which
 * the kernel does at the start of ib_uverbs_remove_one()) and no cm_id of
 * ours is bound to it any more, we close the two descriptors of
 * librdmacm's context ourselves and set them to -1 in the context.  The
 * kernel then destroys the ucontext (and librdmacm's PD, already
 * deallocated by ucma_put_device() at refcount 0) and the removal
 * completes.  We never call rdma_get_devices(): it would open contexts on
 * every other device too, and those would then block their own deletion.
 *
 * Why it is safe - what librdmacm does later with that context:
 *  - It is never handed out again.  ucma_get_cma_device() matches a
 *    device by node GUID and kernel device index; a device that comes back
 *    (or any other) gets a new index (ib_core allocates indexes
 *    cyclically), so the lookup misses and resyncs.  rdma_get_devices()
 *    resyncs first, and the device is no longer listed by then.
 *  - The next successful resync (a lookup miss once any device exists)
 *    finds the old device gone with refcount 0 and calls remove_cma_dev():
 *    its PD and XRCD are NULL, and ibv_close_device() -> the provider's
 *    free_context -> verbs_uninit_context() skips descriptors that are -1
 *    (close(-1) would be harmless anyway), drops the device reference and
 *    frees the context.  No descriptor number we closed is closed again.
 *  - Until then the list entry costs a few hundred bytes and nothing else.
 *  - We close only a context we have proof is still open: the descriptor
 *    number we recorded while it was open still refers to the same file
 *    (device and inode; the uverbs node of a removed device cannot be
 *    opened again), and the context still holds those numbers.  Any
 *    librdmacm call that could close a context (the resyncs in bind,
 *    listen, get_cm_event, and destroy_id's put) runs under our mutex
 *    through the wrappers, so it cannot close it between that check and
 *    our close.  A context librdmacm already closed is left alone.
 *  - Only a device that is really going away is touched: DEVICE_REMOVAL
 *    is sent only from the kernel's cma_process_remove(), and the node's
 *    link count drops to 0 only when ib_uverbs_remove_one() deletes it.
 *    A fatal device error alone does not count (the device may stay).
 *  - We do it only when no cm_id of ours is bound to the device, so
 *    librdmacm holds no reference on it (its PD is already freed) and no
 *    thread of ours uses an object on it (the transports destroy their
 *    verbs objects before the cm_ids, see rdma_dev.h).
 * The same holds with hardware that disassociates (no blocking there, but
 * the stale context is released as well).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "rdma_dev.h"

#define RDMA_CDEV_DIR "/dev/infiniband"

struct nvmf_rdma_dev {
	TAILQ_ENTRY(nvmf_rdma_dev) link;
	struct ibv_context *verbs; /* librdmacm's cached context */
	char name[IBV_SYSFS_NAME_MAX];
	int refs;     /* cm_ids bound to the device */
	bool removed; /* going away: release when refs reaches 0 */
	/* librdmacm's descriptors, recorded while the context was open */
	int cmd_fd;
	int async_fd;
	struct stat cmd_st;
};

static pthread_mutex_t devs_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, nvmf_rdma_dev) devs = TAILQ_HEAD_INITIALIZER(devs);
static struct nvmf_rdma_devs_stats stats;
static int inotify_fd = -1;
static bool inotify_watching;

/* ---- the context's identity ----------------------------------------------- */

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_rdev == b->st_rdev;
}

/*
 * Is the context still open, with the descriptors we recorded?  Only the
 * descriptor table is read until that is known: the context's memory may
 * be gone if librdmacm closed it.
 */
static bool context_open(const struct nvmf_rdma_dev *d, struct stat *now)
{
	if (d->cmd_fd < 0 || fstat(d->cmd_fd, now) ||
	    !same_file(now, &d->cmd_st))
		return false;
	return d->verbs->cmd_fd == d->cmd_fd &&
	       d->verbs->async_fd == d->async_fd;
}

/* ---- release ------------------------------------------------------------------ */

static void dev_free(struct nvmf_rdma_dev *d)
{
	TAILQ_REMOVE(&devs, d, link);
	free(d);
}

/* devs_lock held; the device is going away and no cm_id of ours uses it. */
static void dev_release(struct nvmf_rdma_dev *d)
{
	struct stat st;

	if (context_open(d, &st)) {
		d->verbs->cmd_fd = -1;
		d->verbs->async_fd = -1;
		close(d->async_fd);
		close(d->cmd_fd);
		stats.released_by_us++;
		nvmf_info("rdma: %s released: closed librdmacm's cached "
			  "context on it (fds %d, %d)",
			  d->name, d->cmd_fd, d->async_fd);
	} else {
		stats.released_by_librdmacm++;
		nvmf_info("rdma: %s released by librdmacm", d->name);
	}
	dev_free(d);
}

static void mark_removed(struct nvmf_rdma_dev *d, const char *how)
{
	if (d->removed)
		return;
	d->removed = true;
	nvmf_info("rdma: %s is being removed (%s); %d connection(s) on it",
		  d->name, how, d->refs);
}

/*
 * devs_lock held: a device nobody was told about may be gone (its node
 * left /dev/infiniband); release what is gone and unused.
 */
static void check_locked(void)
{
	struct nvmf_rdma_dev *d, *tmp;
	struct stat st;

	for (d = TAILQ_FIRST(&devs); d; d = tmp) {
		tmp = TAILQ_NEXT(d, link);
		if (!d->removed && !context_open(d, &st)) {
			/* librdmacm closed it after a resync: nothing to do */
			if (!d->refs) {
				stats.released_by_librdmacm++;
				nvmf_debug("rdma: %s released by librdmacm",
					   d->name);
				dev_free(d);
			}
			continue;
		}
		if (!d->removed && st.st_nlink == 0)
			mark_removed(d, "its node left " RDMA_CDEV_DIR);
		if (d->removed && !d->refs)
			dev_release(d);
	}
}

/* ---- references ---------------------------------------------------------------- */

/* devs_lock held: watch the node directory once a device is known. */
static void inotify_arm(void)
{
	if (inotify_watching)
		return;
	if (inotify_fd < 0)
		inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (inotify_fd >= 0 &&
	    inotify_add_watch(inotify_fd, RDMA_CDEV_DIR,
			      IN_DELETE | IN_DELETE_SELF) >= 0)
		inotify_watching = true;
}

/* devs_lock held. */
static struct nvmf_rdma_dev *get_locked(struct ibv_context *verbs)
{
	struct nvmf_rdma_dev *d, *tmp;
	struct stat st;

	for (d = TAILQ_FIRST(&devs); d; d = tmp) {
		tmp = TAILQ_NEXT(d, link);
		if (d->verbs != verbs)
			continue;
		if (context_open(d, &st) || d->cmd_fd < 0) {
			d->refs++;
			return d;
		}
		/* a new context at the address of one librdmacm closed */
		if (!d->refs)
			dev_free(d);
		break;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->verbs = verbs;
	snprintf(d->name, sizeof(d->name), "%s",
		 ibv_get_device_name(verbs->device));
	d->refs = 1;
	d->cmd_fd = verbs->cmd_fd;
	d->async_fd = verbs->async_fd;
	if (d->cmd_fd < 0 || fstat(d->cmd_fd, &d->cmd_st)) {
		/* a context someone already closed: never touch it */
		d->cmd_fd = -1;
		d->removed = true;
	}
	TAILQ_INSERT_TAIL(&devs, d, link);
	inotify_arm();
	nvmf_debug("rdma: %s: librdmacm context (fds %d, %d)", d->name,
		   d->cmd_fd, d->async_fd);
	return d;
}

/* devs_lock held. */
static void put_locked(struct nvmf_rdma_dev *d)
{
	if (--d->refs)
		return;
	/* the last connection on it went: was it because the device went? */
	check_locked();
}

struct nvmf_rdma_dev *nvmf_rdma_dev_get(struct ibv_context *verbs)
{
	struct nvmf_rdma_dev *d;

	pthread_mutex_lock(&devs_lock);
	d = get_locked(verbs);
	pthread_mutex_unlock(&devs_lock);
	return d;
}

void nvmf_rdma_dev_put(struct nvmf_rdma_dev *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&devs_lock);
	put_locked(d);
	pthread_mutex_unlock(&devs_lock);
}

void nvmf_rdma_dev_removed(struct nvmf_rdma_dev *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&devs_lock);
	mark_removed(d, "DEVICE_REMOVAL");
	pthread_mutex_unlock(&devs_lock);
}

const char *nvmf_rdma_dev_name(const struct nvmf_rdma_dev *d)
{
	return d ? d->name : "?";
}

void nvmf_rdma_devs_check(void)
{
	pthread_mutex_lock(&devs_lock);
	check_locked();
	pthread_mutex_unlock(&devs_lock);
}

void nvmf_rdma_devs_stats(struct nvmf_rdma_devs_stats *st)
{
	struct nvmf_rdma_dev *d;

	pthread_mutex_lock(&devs_lock);
	*st = stats;
	st->devices = 0;
	TAILQ_FOREACH(d, &devs, link)
		st->devices++;
	pthread_mutex_unlock(&devs_lock);
}

/* ---- noticing removals ---------------------------------------------------------- */

static void inotify_cb(void *arg, uint32_t events)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	(void)arg;
	(void)events;
	pthread_mutex_lock(&devs_lock);
	/* several loops may watch this descriptor: whoever reads, checks */
	while ((n = read(inotify_fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_IGNORED)
				inotify_watching = false; /* directory gone */
		}
	}
	check_locked();
	pthread_mutex_unlock(&devs_lock);
}

struct nvmf_watch *nvmf_rdma_devs_watch(struct nvmf_loop *loop)
{
	int fd;

	pthread_mutex_lock(&devs_lock);
	if (inotify_fd < 0)
		inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	fd = inotify_fd;
	if (!TAILQ_EMPTY(&devs))
		inotify_arm();
	pthread_mutex_unlock(&devs_lock);
	if (fd < 0)
		return NULL;
	return nvmf_watch_add(loop, fd, EPOLLIN, inotify_cb, NULL);
}

/* ---- librdmacm calls that may resync its device list ------------------------- */

int nvmf_rdma_get_cm_event(struct rdma_event_channel *ch,
			   struct rdma_cm_event **ev)
{
	int ret;

	pthread_mutex_lock(&devs_lock);
	ret = rdma_get_cm_event(ch, ev);
	pthread_mutex_unlock(&devs_lock);
	return ret;
}

int nvmf_rdma_bind_addr(struct rdma_cm_id *id, struct sockaddr *addr)
{
	int ret;

	pthread_mutex_lock(&devs_lock);
	ret = rdma_bind_addr(id, addr);
	pthread_mutex_unlock(&devs_lock);
	return ret;
}

int nvmf_rdma_listen(struct rdma_cm_id *id, int backlog)
{
	int ret;

	pthread_mutex_lock(&devs_lock);
	ret = rdma_listen(id, backlog);
	pthread_mutex_unlock(&devs_lock);
	return ret;
}

int nvmf_rdma_destroy_id(struct rdma_cm_id *id, struct nvmf_rdma_dev **devp)
{
	struct nvmf_rdma_dev *d = *devp;
	int ret, err;

	pthread_mutex_lock(&devs_lock);
	/* bound without the caller noticing: learn the context while it is open */
	if (!d && id->verbs)
		d = get_locked(id->verbs);
	ret = rdma_destroy_id(id);
	err = errno;
	if (d)
		put_locked(d);
	pthread_mutex_unlock(&devs_lock);
	*devp = NULL;
	errno = err;
	return ret;
}

void nvmf_rdma_load_modules(void)
{
	if (!access("/dev/infiniband/rdma_cm", F_OK))
		return;
	if (nvmf_modprobe("rdma_ucm"))
		nvmf_debug("no /dev/infiniband/rdma_cm, and \"modprobe "
			   "rdma_ucm\" failed");
	else
		nvmf_info("loaded rdma_ucm (/dev/infiniband/rdma_cm was "
			  "missing)");
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Namespace backends: regular files and block devices, read and written
 * through the worker's io_uring so that the event loop never blocks.
 * O_DIRECT unless the namespace asks for buffered I/O (as the kernel's
 * buffered_io attribute); Write Zeroes and deallocation use fallocate().
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "nvmet.h"

#define RING_ENTRIES	 256
#define FILE_BLKSZ_SHIFT 12 /* files: 4 KiB blocks, as the kernel */

static int ns_size(struct nvmet_ns *ns, const struct stat *st, char *err,
		   size_t errlen)
{
	uint64_t bytes;
	int bsz;

	if (S_ISBLK(st->st_mode)) {
		if (ioctl(ns->fd, BLKGETSIZE64, &bytes) < 0 ||
		    ioctl(ns->fd, BLKSSZGET, &bsz) < 0)
			goto out_errno;
		ns->blkdev = true;
		ns->blksz_shift =
			(unsigned int)__builtin_ctz((unsigned int)bsz);
	} else if (S_ISREG(st->st_mode)) {
		bytes = (uint64_t)st->st_size;
		ns->blksz_shift = FILE_BLKSZ_SHIFT;
	} else {
		snprintf(err, errlen,
			 "%s.device.path: '%s' is not a file or block device",
			 ns->cfg.where, ns->cfg.path);
		return -EINVAL;
	}
	ns->nr_blocks = bytes >> ns->blksz_shift;
	if (!ns->nr_blocks) {
		snprintf(err, errlen, "%s.device.path: '%s' is empty",
			 ns->cfg.where, ns->cfg.path);
		return -EINVAL;
	}
	return 0;

out_errno:
	snprintf(err, errlen, "%s.device.path: '%s': %s", ns->cfg.where,
		 ns->cfg.path, strerror(errno));
	return -errno;
}

/* ---- registered files ---------------------------------------------------------- */

/* A free bit of map (nwords 64-bit words), now taken; -1 if none. */
static int slot_get(uint64_t *map, unsigned int nwords)
{
	unsigned int i;

	for (i = 0; i < nwords; i++) {
		uint64_t v = __atomic_load_n(&map[i], __ATOMIC_RELAXED);

		while (~v) {
			int b = __builtin_ctzll(~v);

			if (__atomic_compare_exchange_n(
				    &map[i], &v, v | 1ull << b, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				return (int)(i * 64 + (unsigned int)b);
		}
	}
	return -1;
}

static void slot_put(uint64_t *map, int slot)
{
	__atomic_fetch_and(&map[slot / 64], ~(1ull << (slot % 64)),
			   __ATOMIC_RELAXED);
}

/*
 * Put fd (or -1: empty) in slot of the file tables of the first n workers.
 * io_uring_register may be called from any thread: the ring's own lock
 * orders it with the worker's submissions.
 */
static int ring_files_set(struct nvmet_tgt *tgt, int n, int slot, int fd)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		struct nvmet_worker *w = &tgt->workers[i];

		if (!w->ring_files)
			continue;
		ret = io_uring_register_files_update(
			w->ring, (unsigned int)slot, &fd, 1);
		if (ret < 0)
			return i;
	}
	return n;
}

/*
 * A namespace just opened gets a slot in every worker's file table, before
 * it serves I/O; without one (the table is full, or an update failed) its
 * I/O uses the plain fd.
 */
static void ns_files_register(struct nvmet_ns *ns)
{
	struct nvmet_tgt *tgt = ns->tgt;
	int slot, done;

	if (!tgt)
		return;
	slot = slot_get(tgt->file_slots, NVMET_FILE_SLOTS / 64);
	if (slot < 0) {
		nvmf_debug("%s: nsid %u: no free io_uring file slot",
			   ns->subsys->nqn, ns->nsid);
		return;
	}
	done = ring_files_set(tgt, tgt->nr_workers, slot, ns->fd);
	if (done < tgt->nr_workers) {
		nvmf_debug(
			"%s: nsid %u: worker %d: io_uring file update failed",
			ns->subsys->nqn, ns->nsid, done);
		ring_files_set(tgt, done, slot, -1);
		slot_put(tgt->file_slots, slot);
		return;
	}
	ns->file_slot = slot;
}

/* Before its fd is closed: no request holds the namespace any more. */
static void ns_files_unregister(struct nvmet_ns *ns)
{
	if (ns->file_slot < 0)
		return;
	ring_files_set(ns->tgt, ns->tgt->nr_workers, ns->file_slot, -1);
	slot_put(ns->tgt->file_slots, ns->file_slot);
	ns->file_slot = -1;
}

int nvmet_worker_buf_register(struct nvmet_worker *w, void *addr, size_t len)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };
	__u64 tag = 0;
	int i;

	if (!w->ring || !w->ring_bufs)
		return -1;
	i = slot_get(w->buf_slots, NVMET_BUF_SLOTS / 64);
	if (i < 0)
		return -1;
	if (io_uring_register_buffers_update_tag(w->ring, (unsigned int)i, &iov,
						 &tag, 1) < 0) {
		nvmf_debug("worker %d: io_uring buffer registration failed",
			   w->index);
		slot_put(w->buf_slots, i);
		return -1;
	}
	return i;
}

void nvmet_worker_buf_unregister(struct nvmet_worker *w, int index)
{
	struct iovec iov = { 0 }; /* an empty slot */
	__u64 tag = 0;

	if (index < 0 || !w->ring)
		return;
	io_uring_register_buffers_update_tag(w->ring, (unsigned int)index, &iov,
					     &tag, 1);
	slot_put(w->buf_slots, index);
}

/*
 * A new worker's ring: a file table, with the namespaces already open, and
 * an empty buffer table.  A ring without them (an older kernel) serves
 * every namespace by its fd and pins pages per call.
 */
static void ring_tables_init(struct nvmet_worker *w)
{
	struct nvmet_subsys *s;
	struct nvmet_ns *ns;

	if (io_uring_register_buffers_sparse(w->ring, NVMET_BUF_SLOTS) < 0)
		nvmf_debug("worker %d: no io_uring buffer table", w->index);
	else
		w->ring_bufs = true;
	if (io_uring_register_files_sparse(w->ring, NVMET_FILE_SLOTS) < 0) {
		nvmf_debug("worker %d: no io_uring file table", w->index);
		return;
	}
	w->ring_files = true;
	if (!w->tgt)
		return;
	TAILQ_FOREACH(s, &w->tgt->subsystems, link)
		TAILQ_FOREACH(ns, &s->nss, link)
			if (ns->file_slot >= 0 &&
			    io_uring_register_files_update(
				    w->ring, (unsigned int)ns->file_slot,
				    &ns->fd, 1) < 0) {
				nvmf_debug(
					"worker %d: io_uring file update failed",
					w->index);
				w->ring_files = false;
				return;
			}
}

int nvmet_ns_open(struct nvmet_ns *ns, char *err, size_t errlen)
{
	int flags = O_RDWR | O_CLOEXEC;
	char path[PATH_MAX];
	struct stat st;
	int ret;

	ret = nvmet_devpath_resolve(ns->cfg.path, path, sizeof(path));
	if (ret) {
		snprintf(err, errlen, "%s.device.path: '%s': %s", ns->cfg.where,
			 ns->cfg.path,
			 ret == -EXDEV	? "inside an nvmf-tgt configfs tree" :
			 ret == -EINVAL ? "not an absolute path" :
					  strerror(-ret));
		return ret == -EXDEV ? -EINVAL : ret;
	}
	if (!ns->cfg.buffered_io)
		flags |= O_DIRECT;
	ns->fd = open(path, flags);
	if (ns->fd < 0 && errno == EINVAL && (flags & O_DIRECT)) {
		/* e.g. tmpfs: no O_DIRECT; serve it buffered, and say so */
		nvmf_warn(
			"%s: '%s' does not support O_DIRECT, using buffered I/O",
			ns->cfg.where, ns->cfg.path);
		ns->fd = open(path, flags & ~O_DIRECT);
	}
	if (ns->fd < 0 || fstat(ns->fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s.device.path: '%s': %s", ns->cfg.where,
			 ns->cfg.path, strerror(errno));
		nvmet_ns_close(ns);
		return ret;
	}
	ret = ns_size(ns, &st, err, errlen);
	if (ret) {
		nvmet_ns_close(ns);
		return ret;
	}
	ns_files_register(ns);
	nvmf_info("%s: nsid %u: %s, %llu blocks of %u bytes%s", ns->subsys->nqn,
		  ns->nsid, ns->cfg.path, (unsigned long long)ns->nr_blocks,
		  1u << ns->blksz_shift, flags & O_DIRECT ? "" : " (buffered)");
	return 0;
}

/* Re-read the device size.  Return: true when it changed. */
bool nvmet_ns_revalidate(struct nvmet_ns *ns)
{
	uint64_t old = ns->nr_blocks;
	struct stat st;
	char err[256];

	if (ns->fd < 0 || fstat(ns->fd, &st) ||
	    ns_size(ns, &st, err, sizeof(err)))
		return false;
	return ns->nr_blocks != old;
}

void nvmet_ns_close(struct nvmet_ns *ns)
{
	if (ns->fd >= 0) {
		ns_files_unregister(ns);
		fsync(ns->fd);
		close(ns->fd);
	}
	ns->fd = -1;
	ns->enabled = false;
}

/* ---- submission and completion ---------------------------------------------- */

static uint16_t errno_to_status(struct nvmet_io *io, int err)
{
	switch (err) {
	case ENOSPC:
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_CAP_EXCEEDED);
	case EIO:
		if (io->op == IORING_OP_READ)
			return nvme_status(NVME_SCT_MEDIA, 0x81, 0);
		if (io->op == IORING_OP_WRITE)
			return nvme_status(NVME_SCT_MEDIA, 0x80, 0);
		break;
	}
	return nvme_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL, 0);
}

static bool io_prep(struct nvmet_worker *w, struct nvmet_io *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(w->ring);
	struct nvmet_req *req = io->req;
	int fd = req->ns->fd;
	bool fixed = w->ring_files && req->ns->file_slot >= 0;
	int op;

	if (!sqe)
		return false;
	if (fixed)
		fd = req->ns->file_slot;
	switch (io->op) {
	case IORING_OP_READ:
	case IORING_OP_WRITE:
		op = io->op;
		if (req->buf_index >= 0) /* registered: no page pinning */
			op = op == IORING_OP_READ ? IORING_OP_READ_FIXED :
						    IORING_OP_WRITE_FIXED;
		io_uring_prep_rw(op, sqe, fd, (uint8_t *)req->data + io->done,
				 (unsigned int)(io->len - io->done),
				 io->off + io->done);
		if (req->buf_index >= 0)
			sqe->buf_index = (__u16)req->buf_index;
		sqe->rw_flags = io->rw_flags;
		break;
	case IORING_OP_FSYNC:
		io_uring_prep_fsync(sqe, fd, 0);
		break;
	case IORING_OP_FALLOCATE:
		io_uring_prep_fallocate(sqe, fd, io->mode, io->off, io->len);
		break;
	}
	if (fixed) {
		sqe->flags |= IOSQE_FIXED_FILE;
		nvmet_stat_add(w, NVMET_STAT_URING_FIXED, 1);
	}
	if (sqe->opcode == IORING_OP_READ_FIXED ||
	    sqe->opcode == IORING_OP_WRITE_FIXED)
		nvmet_stat_add(w, NVMET_STAT_URING_FIXED_BUFS, 1);
	io_uring_sqe_set_data(sqe, io);
	w->ring_inflight++;
	return true;
}

/* Submit what is prepared: one io_uring_enter for everything. */
static void ring_submit(struct nvmet_worker *w)
{
	int n;

	w->ring_pending = false;
	if (!io_uring_sq_ready(w->ring))
		return;
	n = io_uring_submit(w->ring);
	nvmet_stat_add(w, NVMET_STAT_URING_ENTERS, 1);
	if (n > 0)
		nvmet_stat_add(w, NVMET_STAT_URING_SQES, (uint64_t)n);
}

/* Prepared SQEs go now, or at the end of the worker's pass. */
static void ring_kick(struct nvmet_worker *w)
{
	if (w->batch)
		w->ring_pending = true;
	else
		ring_submit(w);
}

static void io_submit(struct nvmet_io *io)
{
	struct nvmet_worker *w = io->req->sq->worker;

	if (!TAILQ_EMPTY(&w->ring_wait) || !io_prep(w, io)) {
		TAILQ_INSERT_TAIL(&w->ring_wait, io, link);
		return;
	}
	ring_kick(w);
}

static void dsm_next(struct nvmet_io *io);

/* The request's backend work is over: complete it. */
static void io_done(struct nvmet_req *req, uint16_t status)
{
	req->sq->io_inflight--;
	nvmet_req_complete(req, status);
}

static void io_complete(struct nvmet_io *io, int res)
{
	struct nvmet_req *req = io->req;

	if (res < 0 && io->op == IORING_OP_FALLOCATE && req->cmd &&
	    req->cmd->common.opcode == nvme_cmd_dsm &&
	    (res == -EOPNOTSUPP || res == -EINVAL)) {
		res = 0; /* deallocation is advisory */
	}
	if (res < 0) {
		nvmf_obj_warn(req->sq->log_prefix,
			      "nsid %u: backend op %u at %llu: %s",
			      req->ns->nsid, io->op,
			      (unsigned long long)io->off, strerror(-res));
		io_done(req, errno_to_status(io, -res));
		return;
	}
	if ((io->op == IORING_OP_READ || io->op == IORING_OP_WRITE) &&
	    io->done + (uint64_t)res < io->len) {
		if (res == 0) { /* end of file: past the namespace */
			io_done(req, errno_to_status(io, EIO));
			return;
		}
		io->done += (uint32_t)res;
		io_submit(io);
		return;
	}
	if (req->cmd->common.opcode == nvme_cmd_dsm) {
		dsm_next(io);
		return;
	}
	io_done(req, 0);
}

/*
 * Complete what the ring has finished.  Called on its eventfd and, to save
 * a wake-up per command, after each batch of transport completions (a RAM
 * or page-cache backed operation often completes during submission).
 */
void nvmet_worker_ring_reap(struct nvmet_worker *w)
{
	struct io_uring_cqe *cqe;
	struct nvmet_io *io;
	unsigned int head, n = 0;

	if (!w->ring_inflight)
		return;
	for (;;) {
		io_uring_for_each_cqe(w->ring, head, cqe) {
			n++;
			w->ring_inflight--;
			io_complete(io_uring_cqe_get_data(cqe), cqe->res);
		}
		io_uring_cq_advance(w->ring, n);
		if (!n)
			break;
		n = 0;
		/* room again: start waiting operations */
		while ((io = TAILQ_FIRST(&w->ring_wait)) && io_prep(w, io))
			TAILQ_REMOVE(&w->ring_wait, io, link);
		ring_kick(w);
	}
}

/* ---- a worker's pass ------------------------------------------------------------ */

const char *const nvmet_stat_names[NVMET_STAT_NR] = {
	[NVMET_STAT_COMMANDS] = "commands",
	[NVMET_STAT_IOS] = "ios",
	[NVMET_STAT_WAKEUPS] = "cq_wakeups",
	[NVMET_STAT_CQ_ARMS] = "cq_arms",
	[NVMET_STAT_POLLS] = "cq_polls",
	[NVMET_STAT_WCS] = "work_completions",
	[NVMET_STAT_SEND_POSTS] = "send_doorbells",
	[NVMET_STAT_SEND_WRS] = "send_wrs",
	[NVMET_STAT_RECV_POSTS] = "recv_posts",
	[NVMET_STAT_RECV_WRS] = "recv_wrs",
	[NVMET_STAT_URING_ENTERS] = "uring_enters",
	[NVMET_STAT_URING_SQES] = "uring_sqes",
	[NVMET_STAT_URING_WAKEUPS] = "uring_wakeups",
	[NVMET_STAT_URING_FIXED] = "uring_fixed_files",
	[NVMET_STAT_URING_FIXED_BUFS] = "uring_fixed_buffers",
	[NVMET_STAT_ALLOCS] = "allocations",
	[NVMET_STAT_SPINS] = "spins",
	[NVMET_STAT_SPIN_HITS] = "spin_hits",
	[NVMET_STAT_SRQ_TAKEN] = "srq_taken",
	[NVMET_STAT_SRQ_RETURNED] = "srq_returned",
	[NVMET_STAT_POOL_WAITS] = "pool_waits",
};

void nvmet_worker_batch_begin(struct nvmet_worker *w)
{
	if (w->batch++)
		return;
	/* completions are reaped at the end of the pass: no wake-up for them */
	io_uring_cq_eventfd_toggle(w->ring, false);
}

bool nvmet_worker_defer(struct nvmet_worker *w, struct nvmet_flush *f)
{
	if (!w->batch)
		return false;
	if (!f->queued) {
		f->queued = true;
		/* a host answered at once must find its receive posted */
		if (f->recv)
			TAILQ_INSERT_HEAD(&w->flush, f, link);
		else
			TAILQ_INSERT_TAIL(&w->flush, f, link);
	}
	return true;
}

/*
 * The end of the outermost pass: one io_uring_enter for the backend
 * operations prepared, their completions reaped at once (a RAM or
 * page-cache backed operation completes during submission), then each
 * transport queue posts what it chained - until none of these makes more.
 */
void nvmet_worker_batch_end(struct nvmet_worker *w)
{
	struct nvmet_flush *f;

	if (w->batch > 1) {
		w->batch--;
		return;
	}
	for (;;) {
		for (;;) {
			if (w->ring_pending)
				ring_submit(w);
			nvmet_worker_ring_reap(w);
			f = TAILQ_FIRST(&w->flush);
			if (f) {
				TAILQ_REMOVE(&w->flush, f, link);
				f->queued = false;
				f->fn(f);
			} else if (!w->ring_pending) {
				break;
			}
		}
		w->batch = 0;
		io_uring_cq_eventfd_toggle(w->ring, true);
		/* what completed while the eventfd was off wakes nobody */
		if (!w->ring_inflight || !io_uring_cq_ready(w->ring))
			return;
		nvmet_worker_batch_begin(w);
	}
}

static void ring_cb(void *arg, uint32_t events)
{
	struct nvmet_worker *w = arg;
	uint64_t cnt;

	(void)events;
	if (read(w->ring_efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	nvmet_stat_add(w, NVMET_STAT_URING_WAKEUPS, 1);
	nvmet_worker_batch_begin(w);
	nvmet_worker_ring_reap(w);
	nvmet_worker_batch_end(w);
}

int nvmet_worker_ring_init(struct nvmet_worker *w)
{
	int ret;

	w->ring = calloc(1, sizeof(*w->ring));
	if (!w->ring)
		return -ENOMEM;
	TAILQ_INIT(&w->ring_wait);
	TAILQ_INIT(&w->flush);
	ret = io_uring_queue_init(RING_ENTRIES, w->ring, 0);
	if (ret < 0)
		goto out_free;
	w->ring_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->ring_efd < 0) {
		ret = -errno;
		goto out_exit;
	}
	ret = io_uring_register_eventfd(w->ring, w->ring_efd);
	if (ret < 0)
		goto out_close;
	ring_tables_init(w);
	w->ring_watch =
		nvmf_watch_add(w->loop, w->ring_efd, EPOLLIN, ring_cb, w);
	if (!w->ring_watch) {
		ret = -errno;
		goto out_close;
	}
	return 0;

out_close:
	close(w->ring_efd);
out_exit:
	io_uring_queue_exit(w->ring);
out_free:
	free(w->ring);
	w->ring = NULL;
	return ret;
}

void nvmet_worker_ring_exit(struct nvmet_worker *w)
{
	if (!w->ring)
		return;
	nvmf_watch_del(w->ring_watch);
	io_uring_queue_exit(w->ring);
	close(w->ring_efd);
	free(w->ring);
	w->ring = NULL;
	w->ring_files = w->ring_bufs = false;
}

/* ---- operations --------------------------------------------------------------- */

static void io_init(struct nvmet_req *req, uint8_t op, uint64_t off,
		    uint64_t len)
{
	struct nvmet_io *io = &req->io;

	memset(io, 0, sizeof(*io));
	req->sq->io_inflight++;
	io->req = req;
	io->op = op;
	io->off = off;
	io->len = len;
}

void nvmet_bdev_rw(struct nvmet_req *req, bool write, uint64_t offset)
{
	io_init(req, write ? IORING_OP_WRITE : IORING_OP_READ, offset,
		req->data_len);
	/* without a volatile write cache, writes must be durable */
	if (write && !req->sq->ctrl->wce)
		req->io.rw_flags = RWF_DSYNC;
	io_submit(&req->io);
}

void nvmet_bdev_flush(struct nvmet_req *req)
{
	io_init(req, IORING_OP_FSYNC, 0, 0);
	io_submit(&req->io);
}

void nvmet_bdev_write_zeroes(struct nvmet_req *req, uint64_t off, uint64_t len)
{
	io_init(req, IORING_OP_FALLOCATE, off, len);
	req->io.mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	io_submit(&req->io);
}

/* Dataset Management: deallocate the ranges one after another. */
static void dsm_next(struct nvmet_io *io)
{
	struct nvmet_req *req = io->req;
	const struct nvme_dsm_range *r = req->data;
	int nr = (int)(req->data_len / sizeof(*r));
	struct nvmet_ns *ns = req->ns;
	uint64_t slba, nlb;

	while (io->range < nr) {
		slba = le64toh(r[io->range].slba);
		nlb = le32toh(r[io->range].nlb);
		io->range++;
		if (!nlb)
			continue;
		if (slba >= ns->nr_blocks || nlb > ns->nr_blocks - slba) {
			io_done(req, nvmet_status(NVME_SCT_GENERIC,
						  NVME_SC_LBA_RANGE));
			return;
		}
		io->op = IORING_OP_FALLOCATE;
		io->mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		io->off = slba << ns->blksz_shift;
		io->len = nlb << ns->blksz_shift;
		io_submit(io);
		return;
	}
	io_done(req, 0);
}

void nvmet_bdev_dsm(struct nvmet_req *req)
{
	/* only the deallocate attribute has an effect; others are hints */
	io_init(req, IORING_OP_FALLOCATE, 0, 0);
	req->io.range =
		(le32toh(req->cmd->common.cdw11) & NVME_DSMGMT_AD) ?
			0 :
			(int)(req->data_len / sizeof(struct nvme_dsm_range));
	dsm_next(&req->io);
}

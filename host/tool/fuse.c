// SPDX-License-Identifier: GPL-2.0
/*
 * The namespaces of a controller as files, through FUSE (low-level API):
 * DIR/nNSID, one regular file per namespace, the size of the namespace.
 * Every open is direct I/O (no page cache), so each read or write of an
 * application is one NVMe command (or a few, above the largest
 * transfer), and asynchronous direct I/O is enabled, so fio's libaio
 * queue depth reaches the fabric.
 *
 * Everything runs on the daemon's loop thread: the FUSE device is a
 * watched, non-blocking descriptor; a request is submitted to the
 * controller from the FUSE handler and answered from its completion.
 * While the controller reconnects, requests wait (the application sees
 * latency, not errors) unless fast_io_fail_tmo expired.
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "tool.h"

#define ROOT_INO      FUSE_ROOT_ID
#define NS_INO(nsid)  ((fuse_ino_t)(nsid) + 1)
#define INO_NSID(ino) ((uint32_t)((ino)-1))
#define ATTR_TMO      1.0

struct nvmf_fuse {
	struct nvmf_ctrl *ctrl;
	struct fuse_session *se;
	struct nvmf_watch *watch;
	struct fuse_buf fbuf;
	char *dir;
	char name[32];
	uint32_t max_io;
	bool mounted;
};

/* One FUSE read or write, split in commands of at most max_io bytes. */
struct fuse_io {
	struct nvmf_fuse *f;
	fuse_req_t req;
	bool write;
	uint8_t *buf; /* whole aligned range */
	bool pool;    /* buf from the registered pool */
	size_t skip;  /* read: bytes before the caller's offset */
	size_t size;  /* the caller's size */
	int remaining;
	int err;
};

static bool ns_get(struct nvmf_fuse *f, uint32_t nsid, struct nvmf_ns_info *out)
{
	return nsid && !nvmf_ctrl_find_ns(f->ctrl, nsid, out);
}

static void ns_stat(const struct nvmf_ns_info *ns, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = NS_INO(ns->nsid);
	st->st_mode = S_IFREG | (ns->write_protected ? 0400 : 0600);
	st->st_nlink = 1;
	st->st_size = (off_t)(ns->blocks * ns->block_size);
	st->st_blksize = ns->block_size;
	st->st_blocks = st->st_size / 512;
}

static void root_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ROOT_INO;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct nvmf_fuse *f = fuse_req_userdata(req);
	struct fuse_entry_param e = { 0 };
	struct nvmf_ns_info ns;
	unsigned int nsid;
	char tail;

	if (parent != ROOT_INO || sscanf(name, "n%u%c", &nsid, &tail) != 1 ||
	    !ns_get(f, nsid, &ns)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = NS_INO(nsid);
	e.attr_timeout = e.entry_timeout = ATTR_TMO;
	ns_stat(&ns, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct nvmf_fuse *f = fuse_req_userdata(req);
	struct nvmf_ns_info ns;
	struct stat st;

	(void)fi;
	if (ino == ROOT_INO) {
		root_stat(&st);
	} else if (ns_get(f, INO_NSID(ino), &ns)) {
		ns_stat(&ns, &st);
	} else {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fuse_reply_attr(req, &st, ATTR_TMO);
}

/* Like a block device, the size does not change: truncation is ignored. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	(void)attr;
	(void)to_set;
	op_getattr(req, ino, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct nvmf_fuse *f = fuse_req_userdata(req);
	struct nvmf_ns_info ns[64];
	char buf[4096], name[16];
	size_t used = 0, len;
	struct stat st;
	int i, n;

	(void)fi;
	if (ino != ROOT_INO) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	n = nvmf_ctrl_get_ns(f->ctrl, ns, 64);
	n = n < 64 ? n : 64;
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (i = (int)off; i < n + 2; i++) {
		if (i < 2) {
			root_stat(&st);
			snprintf(name, sizeof(name), "%s", i ? ".." : ".");
		} else {
			ns_stat(&ns[i - 2], &st);
			snprintf(name, sizeof(name), "n%u", ns[i - 2].nsid);
		}
		len = fuse_add_direntry(req, buf + used, size - used, name, &st,
					i + 1);
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct nvmf_fuse *f = fuse_req_userdata(req);
	struct nvmf_ns_info ns;

	if (ino == ROOT_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (!ns_get(f, INO_NSID(ino), &ns)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* root is not stopped by the mode: a write protected namespace */
	if (ns.write_protected && (fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void fio_free(struct fuse_io *io)
{
	export_buf_free(io->f->ctrl, io->buf, io->pool);
	free(io);
}

static void fio_done(void *arg, int status)
{
	struct fuse_io *io = arg;

	if (status && !io->err) {
		io->err = export_errno(status);
		nvmf_warn("%s: %s failed: %s", io->f->name,
			  io->write ? "write" : "read",
			  status < 0 ? strerror(-status) : "NVMe error status");
	}
	if (--io->remaining)
		return;
	if (io->err)
		fuse_reply_err(io->req, io->err);
	else if (io->write)
		fuse_reply_write(io->req, io->size);
	else
		fuse_reply_buf(io->req, (char *)io->buf + io->skip, io->size);
	fio_free(io);
}

/* Submit [off, off + len) of io->buf in commands of at most max_io. */
static void fio_submit(struct fuse_io *io, uint32_t nsid, uint64_t off,
		       size_t len)
{
	size_t done = 0, n;
	int ret;

	io->remaining = 1; /* held until every command is submitted */
	while (done < len) {
		struct nvmf_io cmd = {
			.op = io->write ? NVMF_IO_WRITE : NVMF_IO_READ,
			.nsid = nsid,
			.offset = off + done,
			.buf = io->buf + done,
		};

		n = len - done < io->f->max_io ? len - done : io->f->max_io;
		cmd.len = (uint32_t)n;
		io->remaining++;
		ret = nvmf_io_submit(io->f->ctrl, &cmd, fio_done, io);
		if (ret) {
			io->remaining--;
			io->err = export_errno(ret);
			break;
		}
		done += n;
	}
	fio_done(io, 0);
}

static struct fuse_io *fio_alloc(struct nvmf_fuse *f, fuse_req_t req,
				 size_t len)
{
	struct fuse_io *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	io->f = f;
	io->req = req;
	io->buf = export_buf_alloc(f->ctrl, len, f->max_io, &io->pool);
	if (!io->buf) {
		free(io);
		return NULL;
	}
	return io;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct nvmf_fuse *f = fuse_req_userdata(req);
	struct nvmf_ns_info ns;
	uint64_t end, aoff, aend, dev_size;
	struct fuse_io *io;

	(void)fi;
	if (!ns_get(f, INO_NSID(ino), &ns)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	dev_size = ns.blocks * ns.block_size;
	if ((uint64_t)off >= dev_size || !size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	end = (uint64_t)off + size > dev_size ? dev_size : (uint64_t)off + size;
	/* an unaligned read reads the blocks around it */
	aoff = (uint64_t)off / ns.block_size * ns.block_size;
	aend = (end + ns.block_size - 1) / ns.block_size * ns.block_size;
	io = fio_alloc(f, req, aend - aoff);
	if (!io) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	io->skip = (size_t)((uint64_t)off - aoff);
	io->size = (size_t)(end - (uint64_t)off);
	fio_submit(io, ns.nsid, aoff, aend - aoff);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct nvmf_fuse *f = fuse_req_userdata(req);
	struct nvmf_ns_info ns;
	struct fuse_io *io;

	(void)fi;
	if (!ns_get(f, INO_NSID(ino), &ns)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((uint64_t)off % ns.block_size || size % ns.block_size) {
		/* no read-modify-write: write whole blocks */
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((uint64_t)off + size > ns.blocks * ns.block_size) {
		fuse_reply_err(req, ENOSPC);
		return;
	}
	io = fio_alloc(f, req, size);
	if (!io) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* the FUSE buffer is reused once we return: keep a copy */
	memcpy(io->buf, buf, size);
	io->write = true;
	io->size = size;
	fio_submit(io, ns.nsid, (uint64_t)off, size);
}

static void simple_done(void *arg, int status)
{
	fuse_reply_err(arg, status ? export_errno(status) : 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	struct nvmf_fuse *f = fuse_req_userdata(req);
	struct nvmf_io io = { .op = NVMF_IO_FLUSH, .nsid = INO_NSID(ino) };
	int ret;

	(void)datasync;
	(void)fi;
	ret = nvmf_io_submit(f->ctrl, &io, simple_done, req);
	if (ret)
		fuse_reply_err(req, export_errno(ret));
}

/*
 * fallocate: zero range or punch hole, as Write Zeroes or Deallocate
 * commands of at most FALLOC_CHUNK_BLOCKS blocks each (Write Zeroes counts
 * blocks in 16 bits), one at a time, the next from the previous one's
 * completion.
 */
#define FALLOC_CHUNK_BLOCKS 0x10000u

struct fuse_falloc {
	struct nvmf_fuse *f;
	fuse_req_t req;
	struct nvmf_io io; /* the next command */
	uint64_t end;
	uint32_t chunk; /* bytes */
};

static void falloc_next(struct fuse_falloc *a);

static void falloc_done(void *arg, int status)
{
	struct fuse_falloc *a = arg;

	a->io.offset += a->io.len;
	if (status || a->io.offset == a->end) {
		fuse_reply_err(a->req, status ? export_errno(status) : 0);
		free(a);
		return;
	}
	falloc_next(a);
}

static void falloc_next(struct fuse_falloc *a)
{
	uint64_t left = a->end - a->io.offset;
	int ret;

	a->io.len = left < a->chunk ? (uint32_t)left : a->chunk;
	ret = nvmf_io_submit(a->f->ctrl, &a->io, falloc_done, a);
	if (ret) {
		fuse_reply_err(a->req, export_errno(ret));
		free(a);
	}
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off,
			 off_t len, struct fuse_file_info *fi)
{
	struct nvmf_fuse *f = fuse_req_userdata(req);
	struct fuse_falloc *a;
	struct nvmf_ns_info ns;
	enum nvmf_io_op op;
	uint64_t size, chunk;

	(void)fi;
	if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		op = NVMF_IO_DEALLOCATE;
	else if (mode & FALLOC_FL_ZERO_RANGE)
		op = NVMF_IO_WRITE_ZEROES;
	else {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (!ns_get(f, INO_NSID(ino), &ns)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	size = ns.blocks * ns.block_size;
	/* the whole range inside the namespace, in whole blocks */
	if (!ns.block_size || ns.block_size > 1u << 30 || off < 0 || len <= 0 ||
	    (uint64_t)off > size || (uint64_t)len > size - (uint64_t)off ||
	    off % ns.block_size || len % ns.block_size) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	a->f = f;
	a->req = req;
	a->io.op = op;
	a->io.nsid = ns.nsid;
	a->io.offset = (uint64_t)off;
	a->end = (uint64_t)off + (uint64_t)len;
	/* no command of more than 1 GiB, whatever the block size */
	chunk = (uint64_t)FALLOC_CHUNK_BLOCKS * ns.block_size;
	if (chunk > 1u << 30)
		chunk = (1u << 30) / ns.block_size * ns.block_size;
	a->chunk = (uint32_t)chunk;
	falloc_next(a);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct nvmf_fuse *f = userdata;

	conn->max_write = f->max_io;
	conn->max_read = f->max_io;
	if (conn->capable & FUSE_CAP_ASYNC_DIO)
		conn->want |= FUSE_CAP_ASYNC_DIO;
	conn->want &=
		~(unsigned int)(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
				FUSE_CAP_SPLICE_MOVE);
}

static const struct fuse_lowlevel_ops fuse_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.fsync = op_fsync,
	.fallocate = op_fallocate,
};

static void fuse_event(void *arg, uint32_t events)
{
	struct nvmf_fuse *f = arg;
	int i, n;

	(void)events;
	for (i = 0; i < 64 && !fuse_session_exited(f->se); i++) {
		n = fuse_session_receive_buf(f->se, &f->fbuf);
		if (n == -EAGAIN || n == -EINTR)
			return;
		if (n <= 0) {
			nvmf_warn("%s: FUSE session ended (%d)", f->name, n);
			nvmf_watch_del(f->watch);
			f->watch = NULL;
			return;
		}
		fuse_session_process_buf(f->se, &f->fbuf);
	}
}

int nvmf_fuse_start(struct nvmf_fuse **out, struct nvmf_ctrl *ctrl,
		    struct nvmf_loop *loop, const char *dir, const char *name)
{
	struct nvmf_fuse *f = calloc(1, sizeof(*f));
	struct nvmf_ctrl_info info;
	char max_read[64], fsname[64];
	char *argv[] = { "nvmf-host", "-o", max_read, "-o", fsname, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(5, argv);
	int fd, ret = -ENOMEM;

	if (!f)
		return -ENOMEM;
	nvmf_ctrl_get_info(ctrl, &info);
	f->ctrl = ctrl;
	f->max_io = info.max_io_bytes;
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(max_read, sizeof(max_read), "max_read=%u", f->max_io);
	snprintf(fsname, sizeof(fsname), "fsname=nvmf-host:%s", name);
	f->dir = strdup(dir);
	if (!f->dir)
		goto out_free;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		ret = -errno;
		goto out_free;
	}
	f->se = fuse_session_new(&args, &fuse_ops, sizeof(fuse_ops), f);
	fuse_opt_free_args(&args); /* parsing may have copied them */
	if (!f->se) {
		ret = -EINVAL;
		goto out_free;
	}
	nvmf_fuse_module();
	if (fuse_session_mount(f->se, dir)) {
		ret = -EIO;
		goto out_free;
	}
	f->mounted = true;
	fd = fuse_session_fd(f->se);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	f->watch = nvmf_watch_add(loop, fd, EPOLLIN, fuse_event, f);
	if (!f->watch)
		goto out_free;
	*out = f;
	return 0;
out_free:
	nvmf_fuse_stop(f);
	return ret;
}

void nvmf_fuse_stop(struct nvmf_fuse *f)
{
	if (!f)
		return;
	nvmf_watch_del(f->watch);
	if (f->se) {
		if (f->mounted)
			fuse_session_unmount(f->se);
		fuse_session_destroy(f->se);
	}
	if (f->dir)
		rmdir(f->dir);
	free(f->fbuf.mem);
	free(f->dir);
	free(f);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The namespaces of a controller as block devices, through the kernel's
 * NBD driver configured over its generic netlink family ("nbd").
 *
 * Each namespace gets one NBD device with one connection per I/O queue
 * (at most NBD_MAX_CONNS): a socketpair whose one end is given to the
 * kernel, the other watched on the daemon's loop.  A request read from a
 * socket becomes NVMe commands (split at the controller's largest
 * transfer); its completion is the reply.  Everything runs on the
 * daemon's loop thread, as with FUSE.
 *
 * Surviving the daemon (the model is ublk's USER_RECOVERY): the device is
 * configured with a request timeout and a dead-connection timeout.  When
 * the daemon dies, the kernel sees its sockets close, keeps the device,
 * and (drivers/block/nbd.c of 6.1)
 *   - requests that were in flight time out after the request timeout and
 *     are requeued (nbd_xmit_timeout: more than one connection, or one
 *     with a timeout set);
 *   - requests submitted while no connection is alive wait for one
 *     (wait_for_reconnect) up to the dead-connection timeout.
 * A new daemon ("nvmf-host recover NAME") connects the controller again
 * and gives the same devices new sockets (NBD_CMD_RECONFIGURE).  Writes
 * that were in flight are sent again: a block may be written twice with
 * the same data (ublk's RECOVERY_REISSUE says the same).  The pause the
 * application sees is about the request timeout.
 *
 * The same happens without a crash when the kernel times a request out
 * (a reconnect that takes longer than the request timeout): it shuts the
 * socket down and requeues.  The daemon then waits until every request it
 * read from that socket has completed - so that an old write cannot land
 * after a newer one - and only then gives the device a new socket.
 *
 * Not supported by the 6.1 driver, so not offered: write-zeroes (the
 * block layer writes zeroes instead) and FUA (emulated with a flush).
 *
 * Namespace changes (nvmf_nbd_update, after the controller's rescan on a
 * namespace-changed event): a new size is given to the live device
 * (NBD_CMD_RECONFIGURE takes NBD_ATTR_SIZE_BYTES); a removed namespace's
 * device is disconnected, so its I/O fails; a new namespace gets a new
 * device.  A write protected namespace's device is read-only; a change of
 * write protection later is logged (the driver takes the flag at connect
 * only) and writes fail with an error meanwhile.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nbd-netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "tool.h"
#include "util.h"

/* ---- the NBD wire protocol (transmission phase) ------------------------- */

#define NBD_REQ_MAGIC	0x25609513u
#define NBD_REPLY_MAGIC 0x67446698u

enum {
	NBD_OP_READ = 0,
	NBD_OP_WRITE = 1,
	NBD_OP_DISC = 2,
	NBD_OP_FLUSH = 3,
	NBD_OP_TRIM = 4,
};

#define NBD_SRV_HAS_FLAGS  (1u << 0)
#define NBD_SRV_READ_ONLY  (1u << 1)
#define NBD_SRV_SEND_FLUSH (1u << 2)
#define NBD_SRV_SEND_TRIM  (1u << 5)
#define NBD_SRV_MULTI_CONN (1u << 8)

struct nbd_wire_req {
	uint32_t magic; /* big endian, as every field */
	uint32_t type;	/* command in the low 16 bits, flags above */
	uint8_t handle[8];
	uint64_t from;
	uint32_t len;
} __attribute__((packed));

struct nbd_wire_reply {
	uint32_t magic;
	uint32_t error;
	uint8_t handle[8];
} __attribute__((packed));

_Static_assert(sizeof(struct nbd_wire_req) == 28, "nbd request size");
_Static_assert(offsetof(struct nbd_wire_req, handle) == 8, "nbd handle");
_Static_assert(offsetof(struct nbd_wire_req, from) == 16, "nbd from");
_Static_assert(offsetof(struct nbd_wire_req, len) == 24, "nbd len");
_Static_assert(sizeof(struct nbd_wire_reply) == 16, "nbd reply size");
_Static_assert(offsetof(struct nbd_wire_reply, handle) == 8, "nbd handle");

/* The kernel sends at most max_hw_sectors (65536 sectors) per request. */
#define NBD_MAX_REQ  (32u << 20)
#define NBD_SOCK_BUF (4 << 20)
#define NBD_RX_BATCH 64 /* reads per event, for fairness */
/*
 * Requests are read in bulk, replies sent in bulk: at queue depth 32 the
 * kernel has many requests in the socket when the daemon looks, and a
 * batch of completions gives many replies; one system call for each
 * instead of one (or two) per request.
 */
#define NBD_RX_BUF    (16u << 10)
#define NBD_TX_IOV    64
#define NBD_MAX_CONNS 4

/* ---- state --------------------------------------------------------------- */

struct nbd_io;

struct nbd_sock {
	struct nbd_dev *dev;
	unsigned int idx;
	int fd; /* ours; -1 while dead and draining */
	unsigned int gen;
	struct nvmf_watch *watch;
	uint32_t inflight;	  /* read from this socket, not yet answered */
	bool used;		  /* a request came on the current socket */
	unsigned int idle_deaths; /* sockets in a row that ended unused */
	/* receiving: what the last reads brought, not yet taken */
	uint8_t *rxb; /* NBD_RX_BUF bytes */
	size_t rxb_len, rxb_off;
	struct nbd_wire_req hdr; /* of the write in rx */
	struct nbd_io *rx;	 /* a write whose data is still arriving */
	size_t data_got;
	/* replies not yet (completely) sent, in order */
	struct nbd_io *txq_head, *txq_tail;
	size_t tx_off;
	bool want_out;
	struct nvmf_defer tx_defer; /* sends them at the end of the batch */
};

struct nbd_dev {
	struct nvmf_nbd *n;
	uint32_t nsid;
	uint32_t block_size;
	uint64_t size;
	int index; /* /dev/nbdINDEX */
	bool ro;   /* configured read-only (write protected namespace) */
	bool gone; /* its namespace was removed: disconnected for good */
	unsigned int nr_socks;
	struct nbd_sock socks[NBD_MAX_CONNS];
};

struct nvmf_nbd {
	struct nvmf_ctrl *ctrl;
	struct nvmf_loop *loop;
	struct nl_sock *nl;
	int family;
	char name[32];
	uint32_t max_io;
	unsigned int conns; /* per new device */
	unsigned int nr_devs;
	struct nbd_dev devs[NVMF_NBD_MAX_NS];
	struct nvmf_nbd_conf conf;
	bool stopping;
	struct nvmf_nbd_stats stats;
};

struct nbd_io {
	struct nbd_sock *s;
	unsigned int gen;
	struct nbd_io *next;
	struct nbd_wire_reply reply;
	uint8_t *buf;
	uint32_t len;
	bool pool;
	bool read; /* the reply carries buf */
	int remaining;
	int err;
};

static void sock_kill(struct nbd_sock *s, const char *why);
static void sock_try_attach(struct nbd_sock *s);

/* ---- netlink ------------------------------------------------------------- */

static int nl_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *attrs[NBD_ATTR_MAX + 1];
	int *index = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, NBD_ATTR_MAX, NULL))
		return NL_SKIP;
	if (attrs[NBD_ATTR_INDEX])
		*index = (int)nla_get_u32(attrs[NBD_ATTR_INDEX]);
	return NL_OK;
}

/* The "nbd" family, loading the module if it is not there. */
static int nbd_nl_open(struct nvmf_nbd *n, char *why, size_t len)
{
	n->nl = nl_socket_alloc();
	if (!n->nl) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	if (genl_connect(n->nl)) {
		snprintf(why, len, "cannot open a generic netlink socket");
		return -EIO;
	}
	n->family = genl_ctrl_resolve(n->nl, "nbd");
	if (n->family >= 0)
		return 0;
	nvmf_modprobe("nbd");
	n->family = genl_ctrl_resolve(n->nl, "nbd");
	if (n->family >= 0)
		return 0;
	snprintf(why, len,
		 "no NBD driver: the kernel has no \"nbd\" netlink family and "
		 "\"modprobe nbd\" did not add it (use --export fuse)");
	return -ENODEV;
}

static void nl_put_socks(struct nl_msg *msg, const int *fds, unsigned int nr)
{
	struct nlattr *socks, *item;
	unsigned int i;

	socks = nla_nest_start(msg, NBD_ATTR_SOCKETS);
	for (i = 0; i < nr; i++) {
		item = nla_nest_start(msg, NBD_SOCK_ITEM);
		nla_put_u32(msg, NBD_SOCK_FD, (uint32_t)fds[i]);
		nla_nest_end(msg, item);
	}
	nla_nest_end(msg, socks);
}

/* Real errno values from the kernel's netlink answer (libnl maps them). */
static int nl_errno(int nlret)
{
	switch (-nlret) {
	case NLE_BUSY:
		return -EBUSY;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

static int nl_ack_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	*(bool *)arg = true;
	return NL_STOP;
}

/*
 * Send msg (freed) and wait for the kernel's answer: the reply (CONNECT's
 * device index) comes in a datagram of its own before the ACK, so read
 * until the ACK - nl_send_sync() reads once, and would leave the ACK for
 * the next request to mistake for its own.  Return: 0 or -errno.
 */
static int nbd_nl_send(struct nvmf_nbd *n, struct nl_msg *msg, int *index)
{
	bool acked = false;
	int dummy, ret;

	nl_socket_modify_cb(n->nl, NL_CB_VALID, NL_CB_CUSTOM, nl_valid_cb,
			    index ? index : &dummy);
	nl_socket_modify_cb(n->nl, NL_CB_ACK, NL_CB_CUSTOM, nl_ack_cb, &acked);
	ret = nl_send_auto(n->nl, msg);
	nlmsg_free(msg);
	while (ret >= 0 && !acked)
		ret = nl_recvmsgs_default(n->nl);
	if (ret < 0 && nl_errno(ret) == -EIO) /* say what EIO stands for */
		nvmf_warn("%s: nbd netlink: %s", n->name, nl_geterror(ret));
	return ret < 0 ? nl_errno(ret) : 0;
}

static struct nl_msg *nl_msg_new(struct nvmf_nbd *n, uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, n->family, 0, 0,
				cmd, 0)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static uint64_t dead_conn_tmo(const struct nvmf_nbd *n)
{
	/* the device waits for a new daemon as long as the controller
	 * would have waited for its target; "forever" is a year */
	if (n->conf.ctrl_loss_tmo < 0)
		return 365ull * 24 * 3600;
	return (uint64_t)n->conf.ctrl_loss_tmo + (uint64_t)n->conf.timeout;
}

/* /sys/block/nbdN/backend: nvmf-SERIAL-nNSID */
static void backend_ident(const struct nbd_dev *dev, char *buf, size_t len)
{
	snprintf(buf, len, "%s-n%u", dev->n->conf.ident, dev->nsid);
}

static int nbd_nl_connect(struct nbd_dev *dev, const int *fds, bool ro)
{
	struct nvmf_nbd *n = dev->n;
	struct nl_msg *msg = nl_msg_new(n, NBD_CMD_CONNECT);
	uint64_t flags = NBD_SRV_HAS_FLAGS | NBD_SRV_SEND_FLUSH |
			 NBD_SRV_SEND_TRIM | NBD_SRV_MULTI_CONN;
	char ident[96];
	int index = -1, ret;

	if (!msg)
		return -ENOMEM;
	if (ro)
		flags |= NBD_SRV_READ_ONLY;
	backend_ident(dev, ident, sizeof(ident));
	nla_put_u64(msg, NBD_ATTR_SIZE_BYTES, dev->size);
	nla_put_u64(msg, NBD_ATTR_BLOCK_SIZE_BYTES, dev->block_size);
	nla_put_u64(msg, NBD_ATTR_TIMEOUT, (uint64_t)n->conf.timeout);
	nla_put_u64(msg, NBD_ATTR_DEAD_CONN_TIMEOUT, dead_conn_tmo(n));
	nla_put_u64(msg, NBD_ATTR_SERVER_FLAGS, flags);
	nla_put_string(msg, NBD_ATTR_BACKEND_IDENTIFIER, ident);
	nl_put_socks(msg, fds, dev->nr_socks);
	ret = nbd_nl_send(n, msg, &index);
	if (ret)
		return ret;
	if (index < 0) {
		nvmf_warn("%s: nbd netlink: no device index in the kernel's "
			  "answer to connect",
			  n->name);
		return -EIO;
	}
	dev->index = index;
	return 0;
}

/*
 * NBD_CMD_RECONFIGURE of dev: a device configured with a backend
 * identifier wants it again.  Return: the message, or NULL (ENOMEM).
 */
static struct nl_msg *nl_reconfigure_msg(struct nbd_dev *dev)
{
	struct nl_msg *msg = nl_msg_new(dev->n, NBD_CMD_RECONFIGURE);
	char ident[96];

	if (!msg)
		return NULL;
	backend_ident(dev, ident, sizeof(ident));
	nla_put_string(msg, NBD_ATTR_BACKEND_IDENTIFIER, ident);
	nla_put_u32(msg, NBD_ATTR_INDEX, (uint32_t)dev->index);
	return msg;
}

static int nbd_nl_reconfigure(struct nbd_dev *dev, const int *fds,
			      unsigned int nr)
{
	struct nvmf_nbd *n = dev->n;
	struct nl_msg *msg = nl_reconfigure_msg(dev);

	if (!msg)
		return -ENOMEM;
	nla_put_u64(msg, NBD_ATTR_TIMEOUT, (uint64_t)n->conf.timeout);
	nla_put_u64(msg, NBD_ATTR_DEAD_CONN_TIMEOUT, dead_conn_tmo(n));
	nl_put_socks(msg, fds, nr);
	return nbd_nl_send(n, msg, NULL);
}

/* A new size (and block size) for a live device: the kernel tells udev. */
static int nbd_nl_resize(struct nbd_dev *dev, uint64_t size, uint32_t bs)
{
	struct nl_msg *msg = nl_reconfigure_msg(dev);

	if (!msg)
		return -ENOMEM;
	nla_put_u64(msg, NBD_ATTR_SIZE_BYTES, size);
	nla_put_u64(msg, NBD_ATTR_BLOCK_SIZE_BYTES, bs);
	return nbd_nl_send(dev->n, msg, NULL);
}

static int nbd_nl_disconnect(struct nvmf_nbd *n, int index)
{
	struct nl_msg *msg = nl_msg_new(n, NBD_CMD_DISCONNECT);

	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, NBD_ATTR_INDEX, (uint32_t)index);
	return nbd_nl_send(n, msg, NULL);
}

/* ---- requests ------------------------------------------------------------ */

static void io_free(struct nbd_io *io)
{
	if (io->buf)
		export_buf_free(io->s->dev->n->ctrl, io->buf, io->pool);
	free(io);
}

static struct nbd_io *io_alloc(struct nbd_sock *s, uint32_t len)
{
	struct nvmf_nbd *n = s->dev->n;
	struct nbd_io *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	io->s = s;
	io->gen = s->gen;
	io->len = len;
	if (len) {
		io->buf = export_buf_alloc(n->ctrl, len, n->max_io, &io->pool);
		if (!io->buf) {
			free(io);
			return NULL;
		}
	}
	return io;
}

static size_t reply_size(const struct nbd_io *io)
{
	return sizeof(io->reply) + (io->read ? io->len : 0);
}

/*
 * Send what can be sent of the reply queue without blocking: as many
 * replies as NBD_TX_IOV vectors hold, per call.
 */
static void sock_flush(struct nbd_sock *s)
{
	while (s->txq_head && s->fd >= 0) {
		struct iovec iov[NBD_TX_IOV];
		struct nbd_io *io;
		size_t off = s->tx_off, left;
		int niov = 0;
		ssize_t r;

		for (io = s->txq_head; io && niov + 2 <= NBD_TX_IOV;
		     io = io->next, off = 0) {
			size_t hl = sizeof(io->reply);

			if (off < hl) {
				iov[niov].iov_base =
					(uint8_t *)&io->reply + off;
				iov[niov++].iov_len = hl - off;
			}
			if (io->read) {
				size_t d = off > hl ? off - hl : 0;

				iov[niov].iov_base = io->buf + d;
				iov[niov++].iov_len = io->len - d;
			}
		}
		struct msghdr mh = { .msg_iov = iov,
				     .msg_iovlen = (size_t)niov };

		r = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		s->dev->n->stats.send_calls++;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (!s->want_out) {
					s->want_out = true;
					nvmf_watch_modify(s->watch,
							  EPOLLIN | EPOLLOUT);
				}
				return;
			}
			sock_kill(s, strerror(errno));
			return;
		}
		/* the replies sent whole go; a part sent is remembered */
		for (left = (size_t)r; left;) {
			io = s->txq_head;
			if (left < reply_size(io) - s->tx_off) {
				s->tx_off += left;
				break;
			}
			left -= reply_size(io) - s->tx_off;
			s->tx_off = 0;
			s->txq_head = io->next;
			if (!s->txq_head)
				s->txq_tail = NULL;
			s->inflight--;
			io_free(io);
		}
	}
	if (s->want_out && s->fd >= 0) {
		s->want_out = false;
		nvmf_watch_modify(s->watch, EPOLLIN);
	}
}

static void sock_flush_deferred(void *arg)
{
	sock_flush(arg);
}

/* The request is finished: queue its reply (or drop it: socket gone). */
static void io_finish(struct nbd_io *io)
{
	struct nbd_sock *s = io->s;

	if (io->gen != s->gen || s->fd < 0) {
		/* its socket died meanwhile: the kernel sends it again */
		s->inflight--;
		io_free(io);
		if (s->fd < 0)
			sock_try_attach(s);
		return;
	}
	io->reply.magic = htobe32(NBD_REPLY_MAGIC);
	io->reply.error =
		htobe32(io->err ? (uint32_t)export_errno(io->err) : 0);
	if (io->err)
		io->read = false;
	io->next = NULL;
	if (s->txq_tail)
		s->txq_tail->next = io;
	else
		s->txq_head = io;
	s->txq_tail = io;
	/*
	 * The only request in flight: nothing to send it with, at once; else
	 * with the other replies of this batch of events (unless blocked).
	 */
	if (s->inflight == 1 && s->txq_head == io)
		sock_flush(s);
	else if (!s->want_out)
		nvmf_loop_defer(s->dev->n->loop, &s->tx_defer);
}

static void io_done(void *arg, int status)
{
	struct nbd_io *io = arg;

	if (status && !io->err) {
		io->err = status;
		nvmf_warn("%s: nbd%d: request failed: %s", io->s->dev->n->name,
			  io->s->dev->index,
			  status < 0 ? strerror(-status) : "NVMe error status");
	}
	if (--io->remaining)
		return;
	io_finish(io);
}

/*
 * Submit [off, off + len) in commands of at most chunk bytes (a flush is
 * one command).
 */
static void io_submit(struct nbd_io *io, enum nvmf_io_op op, uint64_t off,
		      uint64_t len, uint32_t chunk)
{
	struct nbd_dev *dev = io->s->dev;
	uint64_t done = 0;
	bool first = true;
	int ret;

	io->remaining = 1; /* held until every command is submitted */
	while (done < len || (first && op == NVMF_IO_FLUSH)) {
		uint64_t k = len - done < chunk ? len - done : chunk;
		struct nvmf_io cmd = {
			.op = op,
			.nsid = dev->nsid,
			.offset = off + done,
			.len = (uint32_t)k,
			.buf = io->buf ? io->buf + done : NULL,
		};

		first = false;
		io->remaining++;
		ret = nvmf_io_submit(dev->n->ctrl, &cmd, io_done, io);
		if (ret) {
			io->remaining--;
			io->err = ret;
			break;
		}
		done += k;
	}
	io_done(io, 0);
}

/* A whole request (with its data for a write) has arrived. */
static void req_dispatch(struct nbd_sock *s, struct nbd_io *io, uint32_t type,
			 uint64_t from, uint32_t len)
{
	struct nbd_dev *dev = s->dev;
	struct nvmf_nbd *n = dev->n;

	/* bounds: the kernel never sends these, a bug might */
	if ((type == NBD_OP_READ || type == NBD_OP_WRITE ||
	     type == NBD_OP_TRIM) &&
	    (from % dev->block_size || len % dev->block_size ||
	     from > dev->size || len > dev->size - from))
		type = UINT32_MAX;
	switch (type) {
	case NBD_OP_READ:
		io->read = true;
		io_submit(io, NVMF_IO_READ, from, len, n->max_io);
		break;
	case NBD_OP_WRITE:
		io_submit(io, NVMF_IO_WRITE, from, len, n->max_io);
		break;
	case NBD_OP_FLUSH:
		io_submit(io, NVMF_IO_FLUSH, 0, 0, 1);
		break;
	case NBD_OP_TRIM:
		/* Deallocate: no more than 1 GiB per command */
		io_submit(io, NVMF_IO_DEALLOCATE, from, len,
			  (1u << 30) / dev->block_size * dev->block_size);
		break;
	default:
		io->err = -EINVAL;
		io_finish(io);
		break;
	}
}

/* A request's header is in s->hdr: take it.  Return: false if dead. */
static bool sock_take_req(struct nbd_sock *s)
{
	uint32_t type, len;
	struct nbd_io *io;

	if (be32toh(s->hdr.magic) != NBD_REQ_MAGIC) {
		sock_kill(s, "bad request magic");
		return false;
	}
	type = be32toh(s->hdr.type) & 0xffff;
	len = be32toh(s->hdr.len);
	if (type == NBD_OP_DISC) {
		sock_kill(s, "disconnect requested");
		return false;
	}
	if ((type == NBD_OP_READ || type == NBD_OP_WRITE) &&
	    (len > NBD_MAX_REQ || !len)) {
		sock_kill(s, "request too large");
		return false;
	}
	io = io_alloc(s, type == NBD_OP_READ || type == NBD_OP_WRITE ? len : 0);
	if (!io) {
		/* no way to skip a write's data */
		sock_kill(s, "out of memory");
		return false;
	}
	memcpy(io->reply.handle, s->hdr.handle, 8);
	s->dev->n->stats.requests++;
	s->inflight++;
	s->used = true;
	if (type == NBD_OP_WRITE) {
		s->rx = io;
		s->data_got = 0;
		return true;
	}
	req_dispatch(s, io, type, be64toh(s->hdr.from), len);
	return s->fd >= 0;
}

/* The write in s->rx has all its data: run it.  Return: false if dead. */
static bool sock_take_write(struct nbd_sock *s)
{
	struct nbd_io *io = s->rx;

	s->rx = NULL;
	req_dispatch(s, io, NBD_OP_WRITE, be64toh(s->hdr.from), io->len);
	return s->fd >= 0;
}

/* One read, counted; a short one means the socket is empty (*drained). */
static ssize_t sock_recv(struct nbd_sock *s, void *buf, size_t want,
			 bool *drained)
{
	ssize_t r = recv(s->fd, buf, want, MSG_DONTWAIT);

	s->dev->n->stats.recv_calls++;
	if (r > 0)
		*drained = (size_t)r < want;
	return r;
}

/*
 * Read what arrived: into the socket's buffer, from which headers (and
 * the start of a write's data) are taken; the rest of a write's data
 * goes straight to its I/O buffer.  A read that returned less than asked
 * emptied the socket: the loop calls again when more comes, without a
 * read that would fail with EAGAIN.  Return: false once the socket is
 * dead.
 */
static bool sock_read(struct nbd_sock *s)
{
	bool drained = false;
	size_t have, want;
	int reads = 0;
	ssize_t r;

	/* what is buffered is always taken: only the reads are bounded */
	for (;;) {
		have = s->rxb_len - s->rxb_off;
		if (s->rx) { /* the data of a write */
			want = s->rx->len - s->data_got;
			if (have) {
				if (have > want)
					have = want;
				memcpy(s->rx->buf + s->data_got,
				       s->rxb + s->rxb_off, have);
				s->rxb_off += have;
				s->data_got += have;
			} else {
				if (drained || ++reads > NBD_RX_BATCH)
					return true;
				r = sock_recv(s, s->rx->buf + s->data_got, want,
					      &drained);
				if (r <= 0)
					goto failed;
				s->data_got += (size_t)r;
			}
			if (s->data_got == s->rx->len && !sock_take_write(s))
				return false;
			continue;
		}
		if (have >= sizeof(s->hdr)) {
			memcpy(&s->hdr, s->rxb + s->rxb_off, sizeof(s->hdr));
			s->rxb_off += sizeof(s->hdr);
			if (!sock_take_req(s))
				return false;
			continue;
		}
		if (drained || ++reads > NBD_RX_BATCH)
			return true;
		/* keep the start of a header, read behind it */
		memmove(s->rxb, s->rxb + s->rxb_off, have);
		s->rxb_off = 0;
		s->rxb_len = have;
		want = NBD_RX_BUF - have;
		r = sock_recv(s, s->rxb + have, want, &drained);
		if (r <= 0)
			goto failed;
		s->rxb_len += (size_t)r;
	}

failed:
	if (r == 0) {
		sock_kill(s, "closed by the kernel");
		return false;
	}
	if (errno == EINTR || errno == EAGAIN)
		return true; /* level triggered: called again if more comes */
	sock_kill(s, strerror(errno));
	return false;
}

static void sock_event(void *arg, uint32_t events)
{
	struct nbd_sock *s = arg;
	struct nvmf_nbd *n = s->dev->n;

	n->stats.socket_events++;
	if (events & EPOLLOUT)
		sock_flush(s);
	if (s->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		/* the commands of the requests read go out together */
		bool plugged = !nvmf_io_plug(n->ctrl);

		sock_read(s);
		if (plugged)
			nvmf_io_unplug(n->ctrl);
	}
}

/* ---- sockets ------------------------------------------------------------- */

/* A new socketpair: ours in s, the kernel's returned.  Return: fd or -errno. */
static int sock_open(struct nbd_sock *s)
{
	int sv[2], sz = NBD_SOCK_BUF;

	if (!s->rxb && !(s->rxb = malloc(NBD_RX_BUF)))
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	for (int i = 0; i < 2; i++) {
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	s->watch =
		nvmf_watch_add(s->dev->n->loop, sv[0], EPOLLIN, sock_event, s);
	if (!s->watch) {
		close(sv[0]);
		close(sv[1]);
		return -ENOMEM;
	}
	s->fd = sv[0];
	s->gen++;
	s->rxb_len = s->rxb_off = 0;
	s->rx = NULL;
	s->want_out = false;
	s->tx_defer.fn = sock_flush_deferred;
	s->tx_defer.arg = s;
	return sv[1];
}

static void sock_close(struct nbd_sock *s)
{
	struct nbd_io *io;

	nvmf_watch_del(s->watch);
	s->watch = NULL;
	nvmf_loop_defer_cancel(s->dev->n->loop, &s->tx_defer);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->rx) { /* a write whose data never came */
		s->inflight--;
		io_free(s->rx);
		s->rx = NULL;
	}
	while ((io = s->txq_head)) { /* answered, never delivered */
		s->txq_head = io->next;
		s->inflight--;
		io_free(io);
	}
	s->txq_tail = NULL;
	s->tx_off = 0;
}

/*
 * The kernel shut the socket down (a request timed out; it requeues) or
 * asked to disconnect: drop it, and give the device a new one once every
 * request read from it has completed.
 */
static void sock_kill(struct nbd_sock *s, const char *why)
{
	struct nvmf_nbd *n = s->dev->n;

	if (s->fd < 0)
		return;
	if (!n->stopping)
		nvmf_warn("%s: nbd%d: connection %u ended (%s); %u requests "
			  "still running",
			  n->name, s->dev->index, s->idx, why, s->inflight);
	sock_close(s);
	sock_try_attach(s);
}

static void sock_try_attach(struct nbd_sock *s)
{
	struct nvmf_nbd *n = s->dev->n;
	int kfd, ret;

	if (n->stopping || s->dev->gone || s->fd >= 0 || s->inflight)
		return;
	/*
	 * A socket the kernel did not take (it had no dead connection to
	 * replace) ends at once, unused: do not loop on that.
	 */
	s->idle_deaths = s->used ? 0 : s->idle_deaths + 1;
	if (s->idle_deaths > 3) {
		nvmf_err("%s: nbd%d: connection %u: the kernel ended %u new "
			 "sockets unused; giving up on it",
			 n->name, s->dev->index, s->idx, s->idle_deaths - 1);
		return;
	}
	s->used = false;
	kfd = sock_open(s);
	if (kfd < 0) {
		nvmf_err("%s: nbd%d: no new connection: %s", n->name,
			 s->dev->index, strerror(-kfd));
		return;
	}
	ret = nbd_nl_reconfigure(s->dev, &kfd, 1);
	close(kfd);
	if (ret) {
		nvmf_err("%s: nbd%d: cannot give the device a new connection: "
			 "%s",
			 n->name, s->dev->index, strerror(-ret));
		sock_close(s);
		return;
	}
	nvmf_info("%s: nbd%d: connection %u replaced", n->name, s->dev->index,
		  s->idx);
}

/* ---- devices ------------------------------------------------------------- */

static int dev_start(struct nbd_dev *dev, const struct nvmf_ns_info *ns,
		     int index, char *why, size_t len)
{
	struct nvmf_nbd *n = dev->n;
	int kfds[NBD_MAX_CONNS] = { -1, -1, -1, -1 };
	unsigned int i;
	int ret;

	dev->nsid = ns->nsid;
	dev->block_size = ns->block_size;
	dev->size = ns->blocks * ns->block_size;
	dev->index = index;
	dev->ro = n->conf.read_only || ns->write_protected;
	dev->gone = false;
	ret = nvmf_nbd_geometry_check(ns, why, len);
	if (ret)
		return ret;
	for (i = 0; i < dev->nr_socks; i++) {
		dev->socks[i].dev = dev;
		dev->socks[i].idx = i;
		dev->socks[i].fd = -1;
		kfds[i] = sock_open(&dev->socks[i]);
		if (kfds[i] < 0) {
			ret = kfds[i];
			break;
		}
	}
	if (!ret)
		ret = index < 0 ? nbd_nl_connect(dev, kfds, dev->ro) :
				  nbd_nl_reconfigure(dev, kfds, dev->nr_socks);
	while (i-- > 0)
		if (kfds[i] >= 0)
			close(kfds[i]);
	if (ret) {
		if (index < 0)
			snprintf(why, len, "namespace %u: no NBD device: %s",
				 ns->nsid,
				 ret == -EBUSY ? "every device is in use" :
						 strerror(-ret));
		else
			snprintf(why, len,
				 "namespace %u: cannot re-attach /dev/nbd%d: "
				 "%s%s",
				 ns->nsid, index, strerror(-ret),
				 ret == -EINVAL ? " (not configured any more, "
						  "or still attached)" :
						  "");
		for (i = 0; i < dev->nr_socks; i++)
			sock_close(&dev->socks[i]);
		return ret;
	}
	return 0;
}

int nvmf_nbd_start(struct nvmf_nbd **out, struct nvmf_ctrl *ctrl,
		   struct nvmf_loop *loop, const char *name,
		   const struct nvmf_nbd_conf *conf, char *why, size_t len)
{
	struct nvmf_nbd *n = calloc(1, sizeof(*n));
	struct nvmf_ns_info ns[NVMF_NBD_MAX_NS];
	struct nvmf_ctrl_info info;
	unsigned int conns;
	int i, nr, ret;

	if (!n) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	n->ctrl = ctrl;
	n->loop = loop;
	n->conf = *conf;
	snprintf(n->name, sizeof(n->name), "%s", name);
	nvmf_ctrl_get_info(ctrl, &info);
	n->max_io = info.max_io_bytes;
	conns = info.nr_io_queues ? info.nr_io_queues : 1;
	if (conf->conns)
		conns = conf->conns;
	if (conns > NBD_MAX_CONNS)
		conns = NBD_MAX_CONNS;
	n->conns = conns;
	ret = nbd_nl_open(n, why, len);
	if (ret)
		goto fail;
	nr = nvmf_ctrl_get_ns(ctrl, ns, NVMF_NBD_MAX_NS);
	if (nr > NVMF_NBD_MAX_NS)
		nr = NVMF_NBD_MAX_NS;
	for (i = 0; i < nr; i++) {
		struct nbd_dev *dev = &n->devs[n->nr_devs];
		int index = -1;

		dev->nr_socks = conns;
		for (unsigned int k = 0; k < conf->nr_attach; k++)
			if (conf->attach[k].nsid == ns[i].nsid) {
				index = conf->attach[k].index;
				/* the kernel has that many to replace */
				dev->nr_socks = conf->attach[k].conns;
			}
		if (conf->nr_attach && index < 0)
			continue; /* a namespace that appeared meanwhile */
		if (!dev->nr_socks || dev->nr_socks > NBD_MAX_CONNS) {
			snprintf(why, len, "namespace %u: %u connections",
				 ns[i].nsid, dev->nr_socks);
			ret = -EINVAL;
			goto fail;
		}
		dev->n = n;
		ret = dev_start(dev, &ns[i], index, why, len);
		if (ret)
			goto fail;
		n->nr_devs++;
		nvmf_info("%s: namespace %u is /dev/nbd%d (%u connections)%s%s",
			  name, ns[i].nsid, dev->index, conns,
			  dev->ro ? ", read-only" : "",
			  index >= 0 ? ", re-attached" : "");
	}
	/* devices whose namespace is gone: nothing will serve them again */
	for (unsigned int k = 0; k < conf->nr_attach; k++) {
		bool found = false;

		for (unsigned int d = 0; d < n->nr_devs; d++)
			found |= n->devs[d].index == conf->attach[k].index;
		if (found)
			continue;
		nvmf_warn("%s: namespace %u is gone: disconnecting /dev/nbd%d",
			  name, conf->attach[k].nsid, conf->attach[k].index);
		nbd_nl_disconnect(n, conf->attach[k].index);
	}
	*out = n;
	return 0;
fail:
	/* a re-attach that failed leaves the devices for another try */
	if (conf->nr_attach) {
		n->stopping = true;
		for (unsigned int d = 0; d < n->nr_devs; d++)
			for (unsigned int k = 0; k < n->devs[d].nr_socks; k++)
				sock_close(&n->devs[d].socks[k]);
		n->nr_devs = 0;
	}
	nvmf_nbd_free(n);
	return ret;
}

void nvmf_nbd_get_stats(const struct nvmf_nbd *n, struct nvmf_nbd_stats *out)
{
	*out = n->stats;
}

int nvmf_nbd_devices(const struct nvmf_nbd *n, struct nvmf_nbd_attach *out,
		     int max)
{
	unsigned int i;
	int nr = 0;

	if (!n)
		return 0;
	for (i = 0; i < n->nr_devs && nr < max; i++) {
		if (n->devs[i].gone)
			continue;
		out[nr].nsid = n->devs[i].nsid;
		out[nr].index = n->devs[i].index;
		out[nr].conns = n->devs[i].nr_socks;
		nr++;
	}
	return nr;
}

/*
 * The namespace was removed: disconnect its device (the kernel fails what
 * is queued and every later request; the device goes back to size 0 once
 * nothing holds it open) and never re-attach it.
 */
static void dev_remove(struct nbd_dev *dev)
{
	struct nvmf_nbd *n = dev->n;
	int ret;

	dev->gone = true;
	ret = nbd_nl_disconnect(n, dev->index);
	nvmf_warn("%s: namespace %u was removed: /dev/nbd%d disconnected, its "
		  "I/O fails%s%s",
		  n->name, dev->nsid, dev->index, ret ? ": disconnect: " : "",
		  ret ? strerror(-ret) : "");
	for (unsigned int k = 0; k < dev->nr_socks; k++)
		sock_close(&dev->socks[k]);
}

/*
 * The receive buffers of a device whose sockets are closed (sock_close()
 * also cancelled their deferred sends).
 */
static void dev_free_bufs(struct nbd_dev *dev)
{
	for (unsigned int k = 0; k < NBD_MAX_CONNS; k++) {
		free(dev->socks[k].rxb);
		dev->socks[k].rxb = NULL;
	}
}

/* A slot for a new device: unused, or of a removed one that is drained. */
static struct nbd_dev *dev_slot(struct nvmf_nbd *n)
{
	for (unsigned int d = 0; d < n->nr_devs; d++) {
		struct nbd_dev *dev = &n->devs[d];
		bool busy = !dev->gone;

		for (unsigned int k = 0; k < dev->nr_socks; k++)
			busy |= dev->socks[k].inflight != 0;
		if (!busy) {
			dev_free_bufs(dev);
			memset(dev, 0, sizeof(*dev));
			return dev;
		}
	}
	if (n->nr_devs == NVMF_NBD_MAX_NS)
		return NULL;
	return &n->devs[n->nr_devs++];
}

static void dev_update(struct nbd_dev *dev, const struct nvmf_ns_info *ns)
{
	struct nvmf_nbd *n = dev->n;
	uint64_t size = ns->blocks * ns->block_size;
	char why[160];
	int ret;

	if (size != dev->size || ns->block_size != dev->block_size) {
		ret = nvmf_nbd_geometry_check(ns, why, sizeof(why));
		if (!ret)
			ret = nbd_nl_resize(dev, size, ns->block_size);
		else
			nvmf_err("%s: %s", n->name, why);
		if (ret) {
			nvmf_err("%s: namespace %u changed to %llu bytes in "
				 "%u-byte blocks; /dev/nbd%d cannot follow "
				 "(%s): removing it",
				 n->name, ns->nsid, (unsigned long long)size,
				 ns->block_size, dev->index, strerror(-ret));
			dev_remove(dev);
			return;
		}
		nvmf_info("%s: namespace %u resized: /dev/nbd%d is now %llu "
			  "bytes in %u-byte blocks (was %llu)",
			  n->name, ns->nsid, dev->index,
			  (unsigned long long)size, ns->block_size,
			  (unsigned long long)dev->size);
		dev->size = size;
		dev->block_size = ns->block_size;
	}
	if (ns->write_protected != dev->ro && !n->conf.read_only) {
		/* the 6.1 driver takes the read-only flag at connect only */
		nvmf_warn("%s: namespace %u is %s write protected: writes to "
			  "/dev/nbd%d %s",
			  n->name, ns->nsid,
			  ns->write_protected ? "now" : "no longer", dev->index,
			  ns->write_protected ? "fail with an I/O error" :
						"succeed again");
		dev->ro = ns->write_protected;
	}
}

bool nvmf_nbd_update(struct nvmf_nbd *n)
{
	struct nvmf_ns_info ns[NVMF_NBD_MAX_NS];
	bool changed = false, found;
	unsigned int d;
	char why[200];
	int i, nr;

	if (!n || n->stopping)
		return false;
	nr = nvmf_ctrl_get_ns(n->ctrl, ns, NVMF_NBD_MAX_NS);
	if (nr > NVMF_NBD_MAX_NS)
		nr = NVMF_NBD_MAX_NS;
	for (d = 0; d < n->nr_devs; d++) {
		struct nbd_dev *dev = &n->devs[d];

		if (dev->gone)
			continue;
		for (i = 0; i < nr && ns[i].nsid != dev->nsid; i++)
			;
		if (i == nr) {
			dev_remove(dev);
			changed = true;
		} else {
			dev_update(dev, &ns[i]);
			changed |= dev->gone;
		}
	}
	for (i = 0; i < nr; i++) {
		struct nbd_dev *dev;

		found = false;
		for (d = 0; d < n->nr_devs; d++)
			found |= !n->devs[d].gone &&
				 n->devs[d].nsid == ns[i].nsid;
		if (found)
			continue;
		dev = dev_slot(n);
		if (!dev) {
			nvmf_err("%s: namespace %u: no room for a device (%d "
				 "at most)",
				 n->name, ns[i].nsid, NVMF_NBD_MAX_NS);
			continue;
		}
		dev->n = n;
		dev->nr_socks = n->conns;
		if (dev_start(dev, &ns[i], -1, why, sizeof(why))) {
			nvmf_err("%s: %s", n->name, why);
			dev->gone = true; /* an empty slot */
			continue;
		}
		changed = true;
		nvmf_info("%s: namespace %u was added: it is /dev/nbd%d (%u "
			  "connections)%s",
			  n->name, ns[i].nsid, dev->index, dev->nr_socks,
			  dev->ro ? ", read-only" : "");
	}
	return changed;
}

void nvmf_nbd_stop(struct nvmf_nbd *n)
{
	unsigned int d, k;
	int ret;

	if (!n || n->stopping)
		return;
	n->stopping = true;
	for (d = 0; d < n->nr_devs; d++) {
		struct nbd_dev *dev = &n->devs[d];

		if (dev->gone)
			continue;
		/* the kernel fails what is still queued, then lets go */
		ret = nbd_nl_disconnect(n, dev->index);
		if (ret)
			nvmf_warn("%s: nbd%d: disconnect: %s", n->name,
				  dev->index, strerror(-ret));
		for (k = 0; k < dev->nr_socks; k++)
			sock_close(&dev->socks[k]);
	}
}

void nvmf_nbd_free(struct nvmf_nbd *n)
{
	if (!n)
		return;
	nvmf_nbd_stop(n); /* every socket closed: removed devices' before */
	for (unsigned int d = 0; d < n->nr_devs; d++)
		dev_free_bufs(&n->devs[d]);
	if (n->nl)
		nl_socket_free(n->nl);
	free(n);
}

/* Disconnect devices left by a daemon that is gone (nvmf-host disconnect). */
int nvmf_nbd_release(const struct nvmf_nbd_attach *devs, int nr, char *why,
		     size_t len)
{
	struct nvmf_nbd n = { .family = -1 };
	int i, ret, first = 0;

	ret = nbd_nl_open(&n, why, len);
	for (i = 0; !ret && i < nr; i++) {
		ret = nbd_nl_disconnect(&n, devs[i].index);
		if (ret && !first) {
			first = ret;
			snprintf(why, len, "/dev/nbd%d: %s", devs[i].index,
				 strerror(-ret));
		}
		ret = 0;
	}
	if (n.nl)
		nl_socket_free(n.nl);
	return ret ? ret : first;
}

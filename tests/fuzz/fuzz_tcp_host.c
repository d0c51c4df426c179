// SPDX-License-Identifier: GPL-2.0
/*
 * The host library's NVMe/TCP transport against a hostile target: a
 * "target" thread in this process listens on the loopback, answers each
 * ICReq (digests as the host asked), and answers each command capsule the
 * host sends with the next record of the input, framed as PDUs: read data
 * in a C2HData PDU, then the response capsule - or, for a record marked
 * raw, the record's bytes as they are (header, lengths, digests and all).
 * A write whose data the host holds back gets an R2T first.
 *
 * Input: [flags] then records as fuzz_host's (whose seeds serve here):
 * [16-byte CQE][how][n][n * 16 bytes of data].  flags bit 0: the
 * discovery subsystem (bit 1: its log printed as json); bit 2: header
 * digests; bit 3: data digests.  how bit 0: keep the CQE's command id
 * (else the command's own); bit 1: no answer to this command; bit 2: raw.
 * When the input is used up, the target closes the connections.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "internal.h"
#include "log.h"
#include "nvme_tcp.h"
#include "tool.h"

#define MAX_CONNS 4

/*
 * The host's clock runs 50 times faster (linked with --wrap, as
 * fuzz_host's): a command the target leaves unanswered times out in
 * 200 ms, not 10 s; loopback TCP still connects in time (60 ms).
 */
#define SPEEDUP 50

uint64_t __real_nvmf_now_ns(void);
int __real_timerfd_settime(int fd, int flags, const struct itimerspec *new,
			   struct itimerspec *old);

uint64_t __wrap_nvmf_now_ns(void)
{
	return __real_nvmf_now_ns() * SPEEDUP;
}

uint64_t __wrap_nvmf_now_ms(void)
{
	return __real_nvmf_now_ns() * SPEEDUP / 1000000;
}

static void scale(struct timespec *ts)
{
	uint64_t ns = (uint64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;

	if (!ns)
		return;
	ns = ns / SPEEDUP ?: 1;
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

int __wrap_timerfd_settime(int fd, int flags, const struct itimerspec *new,
			   struct itimerspec *old)
{
	struct itimerspec its = *new;

	scale(&its.it_value);
	scale(&its.it_interval);
	return __real_timerfd_settime(fd, flags, &its, old);
}

struct conn {
	int fd;
	bool hd, dd;
	uint8_t buf[NVME_TCP_MAX_HLEN + 8192 + 64];
	uint32_t got;
	uint32_t skip; /* PDU bytes not kept (large H2CData) */
};

static const uint8_t *in;
static size_t in_len;
static int lfd = -1;
static uint16_t lport;
static atomic_bool stop;
static struct conn conns[MAX_CONNS];
static int nr_conns;
static FILE *devnull;

static bool take(void *dst, size_t n)
{
	if (in_len < n)
		return false;
	if (dst)
		memcpy(dst, in, n);
	in += n;
	in_len -= n;
	return true;
}

static void put(struct conn *c, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n && !stop) {
		w = send(c->fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

/* A PDU with its digests: header of hlen bytes, then data. */
static void put_pdu(struct conn *c, void *hdr, uint8_t hlen, const void *data,
		    uint32_t len)
{
	struct nvme_tcp_hdr *h = hdr;
	uint32_t hd = c->hd ? 4 : 0, dd = c->dd && len ? 4 : 0, dgst;

	h->hlen = hlen;
	h->pdo = len ? (uint8_t)(hlen + hd) : 0;
	h->plen = htole32(hlen + hd + len + dd);
	h->flags |= (c->hd ? NVME_TCP_F_HDGST : 0) |
		    (dd ? NVME_TCP_F_DDGST : 0);
	put(c, hdr, hlen);
	if (hd) {
		dgst = htole32(nvme_tcp_digest(hdr, hlen));
		put(c, &dgst, 4);
	}
	if (!len)
		return;
	put(c, data, len);
	if (dd) {
		dgst = htole32(nvme_tcp_digest(data, len));
		put(c, &dgst, 4);
	}
}

static void answer_icreq(struct conn *c)
{
	const struct nvme_tcp_icreq_pdu *ic = (const void *)c->buf;
	struct nvme_tcp_icresp_pdu r = { 0 };

	c->hd = ic->digest & NVME_TCP_HDR_DIGEST_ENABLE;
	c->dd = ic->digest & NVME_TCP_DATA_DIGEST_ENABLE;
	r.hdr.type = nvme_tcp_icresp;
	r.hdr.hlen = sizeof(r);
	r.hdr.plen = htole32(sizeof(r));
	r.digest = ic->digest;
	r.maxdata = htole32(128 * 1024);
	put(c, &r, sizeof(r));
}

/* A command capsule: the next record answers it. */
static void answer_cmd(struct conn *c)
{
	const struct nvme_tcp_cmd_pdu *p = (const void *)c->buf;
	const union nvme_command *cmd = &p->cmd;
	uint32_t len = le32toh(cmd->common.dptr.sgl.length);
	struct nvme_completion cqe;
	uint8_t how, blocks;
	size_t n;

	if (cmd->common.dptr.sgl.type == NVME_TCP_SGL_TYPE_TRANSPORT && len &&
	    (cmd->common.opcode & 1)) {
		struct nvme_tcp_r2t_pdu r2t = { .hdr.type = nvme_tcp_r2t };

		r2t.command_id = cmd->common.command_id;
		r2t.r2t_length = htole32(len);
		put_pdu(c, &r2t, sizeof(r2t), NULL, 0);
	}
	if (!take(&cqe, sizeof(cqe)) || !take(&how, 1) || !take(&blocks, 1)) {
		stop = true;
		return;
	}
	n = (size_t)blocks * 16;
	if (n > in_len)
		n = in_len;
	if (how & 2) {
		take(NULL, n);
		return;
	}
	if (how & 4) { /* raw bytes */
		put(c, in, n);
		take(NULL, n);
		return;
	}
	if (!(how & 1))
		cqe.command_id = cmd->common.command_id;
	if (n && (cmd->common.opcode & 3) == 2) {
		struct nvme_tcp_data_pdu d = { .hdr.type = nvme_tcp_c2h_data,
					       .hdr.flags =
						       NVME_TCP_F_DATA_LAST };

		d.command_id = cqe.command_id;
		d.data_length = htole32((uint32_t)n);
		put_pdu(c, &d, sizeof(d), in, (uint32_t)n);
	}
	take(NULL, n);
	{
		struct nvme_tcp_rsp_pdu r = { .hdr.type = nvme_tcp_rsp };

		r.cqe = cqe;
		put_pdu(c, &r, sizeof(r), NULL, 0);
	}
}

/* Bytes from the host: act on each PDU as it completes. */
static void from_host(struct conn *c)
{
	const struct nvme_tcp_hdr *h = (const void *)c->buf;
	uint32_t plen;
	ssize_t r;

	r = recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, 0);
	if (r <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	c->got += (uint32_t)r;
	while (c->got >= sizeof(*h) && !stop) {
		plen = le32toh(h->plen);
		if (plen < sizeof(*h)) {
			stop = true;
			return;
		}
		if (c->got < plen && c->got < sizeof(c->buf))
			return;
		if (h->type == nvme_tcp_icreq)
			answer_icreq(c);
		else if (h->type == nvme_tcp_cmd)
			answer_cmd(c);
		if (plen > c->got) { /* larger than the buffer: drop the rest */
			c->skip = plen - c->got;
			c->got = 0;
			return;
		}
		memmove(c->buf, c->buf + plen, c->got - plen);
		c->got -= plen;
	}
}

static void *target(void *arg)
{
	struct pollfd pfd[MAX_CONNS + 1];
	uint8_t sink[4096];
	int i, n;

	(void)arg;
	while (!stop) {
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (i = 0; i < nr_conns; i++)
			pfd[n++] = (struct pollfd){ .fd = conns[i].fd,
						    .events = POLLIN };
		if (poll(pfd, (nfds_t)n, 10) <= 0)
			continue;
		if ((pfd[0].revents & POLLIN) && nr_conns < MAX_CONNS) {
			conns[nr_conns].fd = accept(lfd, NULL, NULL);
			conns[nr_conns].got = conns[nr_conns].skip = 0;
			if (conns[nr_conns].fd >= 0)
				nr_conns++;
		}
		for (i = 0; i < nr_conns && !stop; i++) {
			struct conn *c = &conns[i];

			if (c->fd < 0 ||
			    !(pfd[i + 1].revents & (POLLIN | POLLHUP)))
				continue;
			if (c->skip) {
				ssize_t r = recv(c->fd, sink,
						 c->skip < sizeof(sink) ?
							 c->skip :
							 sizeof(sink),
						 0);

				if (r <= 0) {
					close(c->fd);
					c->fd = -1;
				} else {
					c->skip -= (uint32_t)r;
				}
				continue;
			}
			from_host(c);
		}
	}
	/* the input is used up: the connections go */
	for (i = 0; i < nr_conns; i++)
		if (conns[i].fd >= 0)
			shutdown(conns[i].fd, SHUT_RDWR);
	return NULL;
}

static void listen_once(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 16) || getsockname(lfd, (struct sockaddr *)&sa, &len))
		abort();
	lport = ntohs(sa.sin_port);
}

static void do_io(struct nvmf_ctrl *c)
{
	struct nvmf_ns_info ns;
	struct nvmf_io io = { 0 };

	if (nvmf_ctrl_get_ns(c, &ns, 1) < 1 || !ns.block_size)
		return;
	io.op = NVMF_IO_READ;
	io.nsid = ns.nsid;
	io.len = ns.block_size <= 8192 ? ns.block_size : 8192;
	io.buf = nvmf_buf_alloc(c, 8192);
	if (!io.buf)
		return;
	nvmf_io_sync(c, &io);
	nvmf_buf_free(c, io.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvmf_ctrl_opts opts;
	struct nvmf_trid trid = { 0 };
	struct nvmf_ctrl *c;
	pthread_t thr;
	char err[256];
	uint8_t flags;
	int i;

	if (lfd < 0) {
		nvmf_log_set_level(getenv("FZ_TRACE") ? NVMF_LOG_DEBUG :
							NVMF_LOG_ERROR + 0);
		devnull = fopen("/dev/null", "w");
		listen_once();
	}
	if (size < 1)
		return 0;
	flags = data[0];
	in = data + 1;
	in_len = size - 1;
	stop = false;
	nr_conns = 0;
	if (pthread_create(&thr, NULL, target, NULL))
		abort();
	strcpy(trid.trtype, "tcp");
	strcpy(trid.traddr, "127.0.0.1");
	snprintf(trid.trsvcid, sizeof(trid.trsvcid), "%u", lport);
	strcpy(trid.subnqn,
	       flags & 1 ? NVMF_DISCOVERY_NQN : "nqn.2014-08.org.fuzz:sub");
	nvmf_ctrl_opts_init(&opts);
	strcpy(opts.hostnqn, "nqn.2014-08.org.fuzz:host");
	strcpy(opts.hostid, "6ee6a4b6-2c1b-4a4e-9d2c-2a6e1e0a0f01");
	opts.poll = true;
	opts.nr_io_queues = 1;
	opts.queue_size = 16;
	opts.keep_alive_tmo = 0;
	opts.ctrl_loss_tmo = 0;
	opts.io_timeout = 1;
	opts.hdr_digest = flags & 4;
	opts.data_digest = flags & 8;
	if (!nvmf_ctrl_connect(&trid, &opts, &c, err, sizeof(err))) {
		if (flags & 1) {
			uint8_t *log;
			uint64_t n;

			if (!disclog_read(c, &log, &n)) {
				disclog_print(devnull, log, n, flags & 2);
				free(log);
			}
		} else {
			do_io(c);
		}
		nvmf_ctrl_disconnect(c);
	}
	stop = true;
	pthread_join(thr, NULL);
	for (i = 0; i < nr_conns; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt NVMe/TCP transport: the PDU stream of a queue, on its worker.
 *
 * Receiving: the socket is read in blocks into a buffer of the worker's
 * (large data straight into the command's buffer) and the bytes go through
 * nvmet_tcp_rx(), a state machine that never looks at more than it has:
 * header (with its digest), padding, data, data digest.  Everything in a
 * header is checked before it is used: a PDU that breaks the protocol ends
 * the connection with a C2HTermReq naming the field (never a crash); a
 * command the core refuses completes with its status once its in-capsule
 * data has been read past.
 *
 * Sending: PDUs are lists of iovecs on the queue's send list, written with
 * one sendmsg() for as many as fit, at the end of the worker's pass; what
 * the socket does not take waits for EPOLLOUT.
 *
 * Data: a command's buffer is its own (page aligned, for O_DIRECT), kept
 * for the next command up to TCP_KEEP_BUF, so steady I/O allocates nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "tcp.h"

/* the worker's read buffer: the stream is consumed as it is read */
static __thread uint8_t rx_buf[TCP_RX_BUF];
static const uint8_t zeros[NVME_TCP_MAX_HLEN];

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t hdgst_len(const struct tcp_queue *q)
{
	return q->hdgst ? NVME_TCP_DIGEST_LEN : 0;
}

static uint32_t ddgst_len(const struct tcp_queue *q)
{
	return q->ddgst ? NVME_TCP_DIGEST_LEN : 0;
}

static void cmd_init(struct tcp_cmd *cmd, struct tcp_queue *q, uint16_t ttag)
{
	cmd->q = q;
	cmd->ttag = ttag;
	cmd->req.cmd = &cmd->sqe;
	cmd->req.cqe = &cmd->cqe;
	cmd->req.sq = &q->sq;
}

void nvmet_tcp_queue_init(struct tcp_queue *q)
{
	q->rx_state = RX_HDR;
	q->pdu_need = sizeof(struct nvme_tcp_hdr);
	TAILQ_INIT(&q->sends);
	TAILQ_INIT(&q->free_cmds);
	q->flush.fn = nvmet_tcp_flush;
	cmd_init(&q->connect, q, 0);
	TAILQ_INSERT_TAIL(&q->free_cmds, &q->connect, link);
}

/* ---- sending ------------------------------------------------------------------- */

static void arm_out(struct tcp_queue *q, bool on)
{
	if (q->out_armed == on || !q->watch)
		return;
	q->out_armed = on;
	if (nvmf_watch_modify(q->watch, EPOLLIN | (on ? EPOLLOUT : 0)))
		nvmet_tcp_fatal(q, 0, 0, "cannot watch the socket");
}

/* Worker: write what is queued, as much as the socket takes. */
void nvmet_tcp_flush(struct nvmet_flush *f)
{
	struct tcp_queue *q = container_of(f, struct tcp_queue, flush);
	struct iovec iov[TCP_TX_IOV];
	struct tcp_send *s;
	struct msghdr m;
	size_t left;
	ssize_t r;
	int n, i;

	while (!q->stopping && (s = TAILQ_FIRST(&q->sends))) {
		n = 0;
		TAILQ_FOREACH(s, &q->sends, link) {
			for (i = s->idx; i < s->nr && n < TCP_TX_IOV; i++)
				iov[n++] = s->iov[i];
			if (n == TCP_TX_IOV)
				break;
		}
		memset(&m, 0, sizeof(m));
		m.msg_iov = iov;
		m.msg_iovlen = (size_t)n;
		r = sendmsg(q->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		nvmet_stat_add(q->sq.worker, NVMET_STAT_SEND_POSTS, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				arm_out(q, true);
				return;
			}
			nvmet_tcp_fatal(q, 0, 0, "cannot send");
			return;
		}
		left = (size_t)r;
		while ((s = TAILQ_FIRST(&q->sends))) {
			while (s->idx < s->nr) {
				struct iovec *v = &s->iov[s->idx];

				if (v->iov_len > left) {
					v->iov_base =
						(uint8_t *)v->iov_base + left;
					v->iov_len -= left;
					left = 0;
					break;
				}
				left -= v->iov_len;
				s->idx++;
			}
			if (s->idx < s->nr)
				break;
			TAILQ_REMOVE(&q->sends, s, link);
			s->queued = false;
			nvmet_stat_add(q->sq.worker, NVMET_STAT_SEND_WRS, 1);
			s->done(s);
		}
	}
	arm_out(q, false);
}

static void queue_send(struct tcp_queue *q, struct tcp_send *s)
{
	s->idx = 0;
	s->queued = true;
	TAILQ_INSERT_TAIL(&q->sends, s, link);
	if (!nvmet_worker_defer(q->sq.worker, &q->flush))
		nvmet_tcp_flush(&q->flush);
}

static void send_add(struct tcp_send *s, const void *p, size_t len)
{
	s->iov[s->nr].iov_base = (void *)p;
	s->iov[s->nr].iov_len = len;
	s->nr++;
}

/* A header, and its digest when negotiated. */
static void send_hdr(struct tcp_queue *q, struct tcp_send *s, void *hdr,
		     uint8_t hlen, nvme_le32 *dgst)
{
	send_add(s, hdr, hlen);
	if (q->hdgst) {
		*dgst = htole32(nvme_tcp_digest(hdr, hlen));
		send_add(s, dgst, NVME_TCP_DIGEST_LEN);
	}
}

static void ctl_done(struct tcp_send *s)
{
	(void)s;
}

/*
 * The host broke the protocol: send a C2HTermReq (fes 0: none) with the
 * offending header, as far as the socket takes it now, and close.
 */
void nvmet_tcp_fatal(struct tcp_queue *q, uint16_t fes, uint32_t fei,
		     const char *why)
{
	struct nvme_tcp_term_pdu *t = &q->ctl.t.term;
	struct tcp_send *s = &q->ctl_send;
	uint32_t hlen = min_u32(q->pdu_got, sizeof(q->ctl.t.hdr));

	if (q->stopping)
		return;
	nvmf_obj_warn(q->sq.log_prefix, "%s: disconnecting", why);
	/* the ICResp of this pass may still be waiting in the context */
	if (s->queued)
		nvmet_tcp_flush(&q->flush);
	if (!fes || !q->watch || s->queued) {
		nvmet_tcp_queue_stop(q);
		return;
	}
	memset(t, 0, sizeof(*t));
	memcpy(q->ctl.t.hdr, q->pdu.raw, hlen);
	nvme_tcp_hdr_init(&t->hdr, nvme_tcp_c2h_term, 0, sizeof(*t), 0,
			  (uint32_t)sizeof(*t) + hlen);
	t->fes = htole16(fes);
	t->fei = htole32(fei);
	s->nr = 0;
	send_add(s, t, sizeof(*t));
	send_add(s, q->ctl.t.hdr, hlen);
	s->done = ctl_done;
	s->idx = 0;
	s->queued = true;
	TAILQ_INSERT_TAIL(&q->sends, s, link);
	nvmet_tcp_flush(&q->flush);
	nvmet_tcp_queue_stop(q);
}

/* ---- commands -------------------------------------------------------------------- */

void nvmet_tcp_cmd_free(struct tcp_cmd *cmd)
{
	struct tcp_queue *q = cmd->q;

	nvmet_req_release(&cmd->req);
	if (cmd->buf_size > TCP_KEEP_BUF) {
		free(cmd->buf);
		cmd->buf = NULL;
		cmd->buf_size = 0;
	}
	cmd->state = CMD_FREE;
	/* the Connect's context serves no other command once there are others */
	if (cmd == &q->connect && q->cmds)
		return;
	TAILQ_INSERT_HEAD(&q->free_cmds, cmd, link);
}

static void cmd_sent(struct tcp_send *s)
{
	nvmet_tcp_cmd_free(container_of(s, struct tcp_cmd, send));
}

/* nvmet_transport_ops.queue_response: the command is done. */
void nvmet_tcp_queue_response(struct nvmet_req *req)
{
	struct tcp_cmd *cmd = container_of(req, struct tcp_cmd, req);
	struct tcp_queue *q = cmd->q;
	struct tcp_send *s = &cmd->send;
	uint32_t len = req->data_len, hd = hdgst_len(q), dd = ddgst_len(q);
	uint8_t flags, pdo;

	if (q->stopping) {
		nvmet_tcp_cmd_free(cmd);
		if (!q->sq.io_inflight)
			nvmet_tcp_queue_stop(q); /* finish the handover */
		return;
	}
	s->nr = 0;
	s->done = cmd_sent;
	cmd->state = CMD_SEND;
	if (req->dir == NVMET_DATA_TO_HOST && len && !req->cqe->status) {
		/* with SQ flow control off the data PDU says it succeeded */
		flags = NVME_TCP_F_DATA_LAST |
			(q->hdgst ? NVME_TCP_F_HDGST : 0) |
			(q->ddgst ? NVME_TCP_F_DDGST : 0) |
			(q->sq.sqhd_disabled ? NVME_TCP_F_DATA_SUCCESS : 0);
		pdo = q->c2h_pdo;
		nvme_tcp_hdr_init(&cmd->c2h.hdr, nvme_tcp_c2h_data, flags,
				  sizeof(cmd->c2h), pdo, pdo + len + dd);
		cmd->c2h.command_id = req->cqe->command_id;
		cmd->c2h.ttag = 0;
		cmd->c2h.data_offset = 0;
		cmd->c2h.data_length = htole32(len);
		memset(cmd->c2h.rsvd, 0, sizeof(cmd->c2h.rsvd));
		send_hdr(q, s, &cmd->c2h, sizeof(cmd->c2h), &cmd->hdgst[0]);
		if (pdo > sizeof(cmd->c2h) + hd)
			send_add(s, zeros, pdo - sizeof(cmd->c2h) - hd);
		send_add(s, req->data, len);
		if (q->ddgst) {
			cmd->ddgst = htole32(nvme_tcp_digest(req->data, len));
			send_add(s, &cmd->ddgst, dd);
		}
		if (q->sq.sqhd_disabled) {
			queue_send(q, s);
			return;
		}
	}
	nvme_tcp_hdr_init(&cmd->rsp.hdr, nvme_tcp_rsp,
			  q->hdgst ? NVME_TCP_F_HDGST : 0, sizeof(cmd->rsp), 0,
			  sizeof(cmd->rsp) + hd);
	cmd->rsp.cqe = *req->cqe;
	send_hdr(q, s, &cmd->rsp, sizeof(cmd->rsp), &cmd->hdgst[1]);
	queue_send(q, s);
}

static void cmd_execute(struct tcp_cmd *cmd)
{
	cmd->state = CMD_EXEC;
	nvmet_req_execute(&cmd->req);
}

static void cmd_complete(struct tcp_cmd *cmd, uint16_t status)
{
	cmd->state = CMD_EXEC;
	nvmet_req_complete(&cmd->req, status);
}

static void r2t_sent(struct tcp_send *s)
{
	struct tcp_cmd *cmd = container_of(s, struct tcp_cmd, send);

	/* only now may its data come: the send context is free again */
	cmd->state = CMD_WAIT_H2C;
}

/* Ask the host for the command's data: one R2T for all of it. */
static void send_r2t(struct tcp_cmd *cmd)
{
	struct tcp_queue *q = cmd->q;
	struct tcp_send *s = &cmd->send;

	cmd->state = CMD_EXEC; /* until the R2T is out: no data expected */
	nvme_tcp_hdr_init(&cmd->r2t.hdr, nvme_tcp_r2t,
			  q->hdgst ? NVME_TCP_F_HDGST : 0, sizeof(cmd->r2t), 0,
			  sizeof(cmd->r2t) + hdgst_len(q));
	cmd->r2t.command_id = cmd->sqe.common.command_id;
	cmd->r2t.ttag = cmd->ttag;
	cmd->r2t.r2t_offset = htole32(cmd->rbytes);
	cmd->r2t.r2t_length = htole32(cmd->req.data_len - cmd->rbytes);
	memset(cmd->r2t.rsvd, 0, sizeof(cmd->r2t.rsvd));
	s->nr = 0;
	s->done = r2t_sent;
	send_hdr(q, s, &cmd->r2t, sizeof(cmd->r2t), &cmd->hdgst[0]);
	queue_send(q, s);
}

/* A data buffer of at least len bytes.  Return: 0 or a status. */
static uint16_t cmd_buf(struct tcp_cmd *cmd, uint32_t len)
{
	uint32_t size = (len + 4095u) & ~4095u;
	void *p;

	if (cmd->buf_size >= len)
		return 0;
	free(cmd->buf);
	cmd->buf = NULL;
	cmd->buf_size = 0;
	if (posix_memalign(&p, 4096, size))
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INTERNAL);
	cmd->buf = p;
	cmd->buf_size = size;
	return 0;
}

/*
 * The command's data descriptor: in-capsule (icd bytes follow the SQE)
 * or a transport SGL data block (the data comes in H2CData PDUs, or goes
 * in C2HData PDUs).  Return: 0, or the status to complete it with.
 */
static uint16_t cmd_map(struct tcp_cmd *cmd, uint32_t icd)
{
	const union nvme_data_ptr *dptr = &cmd->sqe.common.dptr;
	struct nvmet_req *req = &cmd->req;
	uint32_t len = le32toh(dptr->sgl.length);
	uint64_t off;
	uint16_t status;

	if (!req->data_len) {
		if (icd)
			return nvmet_status(NVME_SCT_GENERIC,
					    NVME_SC_SGL_INVALID_DATA);
		return 0;
	}
	if (len != req->data_len || len > NVMET_MAX_XFER)
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_DATA);
	switch (dptr->sgl.type) {
	case NVME_SGL_TYPE_INLINE:
		off = le64toh(dptr->sgl.addr);
		if (req->dir != NVMET_DATA_TO_CTRL)
			return nvmet_status(NVME_SCT_GENERIC,
					    NVME_SC_INVALID_FIELD);
		if (off > icd || len > icd - off)
			return nvmet_status(NVME_SCT_GENERIC,
					    NVME_SC_SGL_INVALID_OFFSET);
		status = cmd_buf(cmd, icd);
		if (status)
			return status;
		cmd->data_off = (uint32_t)off;
		req->data = (uint8_t *)cmd->buf + off;
		return 0;
	case NVME_TCP_SGL_TYPE_TRANSPORT:
		if (icd)
			return nvmet_status(NVME_SCT_GENERIC,
					    NVME_SC_SGL_INVALID_DATA);
		status = cmd_buf(cmd, len);
		if (status)
			return status;
		req->data = cmd->buf;
		return 0;
	}
	return nvmet_status(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE);
}

/* ---- receiving ------------------------------------------------------------------- */

static void rx_next_pdu(struct tcp_queue *q)
{
	q->rx_state = RX_HDR;
	q->pdu_got = 0;
	q->pdu_need = sizeof(struct nvme_tcp_hdr);
	q->rx_cmd = NULL;
}

/* Data follows the header: pad bytes, then len bytes to dst (or dropped). */
static void rx_expect_data(struct tcp_queue *q, struct tcp_cmd *cmd,
			   uint8_t *dst, uint32_t pad, uint32_t len)
{
	q->rx_cmd = cmd;
	q->data_dst = dst;
	q->data_len = len;
	q->data_left = len;
	q->pad_left = pad;
	q->crc = ~0u;
	q->ddgst_got = 0;
	q->rx_state = pad ? RX_PAD : RX_DATA;
}

/*
 * The data layout of a command or H2CData PDU (header checked): data of
 * *len bytes after *pad bytes.  Return: 0, or -1 after a fatal error.
 */
static int pdu_data(struct tcp_queue *q, uint32_t *len, uint32_t *pad)
{
	const struct nvme_tcp_hdr *h = &q->pdu.hdr;
	uint32_t plen = le32toh(h->plen), hd = hdgst_len(q), dd = ddgst_len(q);

	*len = *pad = 0;
	if (plen == h->hlen + hd)
		return 0;
	if (h->pdo < h->hlen + hd || h->pdo >= plen) {
		nvmet_tcp_fatal(q, NVME_TCP_FES_INVALID_PDU_HDR,
				offsetof(struct nvme_tcp_hdr, pdo),
				"PDU data offset out of range");
		return -1;
	}
	if (plen - h->pdo <= dd) {
		nvmet_tcp_fatal(q, NVME_TCP_FES_INVALID_PDU_HDR,
				offsetof(struct nvme_tcp_hdr, plen),
				"PDU length leaves no data");
		return -1;
	}
	*pad = h->pdo - h->hlen - hd;
	*len = plen - h->pdo - dd;
	return 0;
}

static void handle_icreq(struct tcp_queue *q)
{
	const struct nvme_tcp_icreq_pdu *ic = &q->pdu.icreq;
	struct nvme_tcp_icresp_pdu *r = &q->ctl.icresp;
	struct tcp_send *s = &q->ctl_send;
	uint32_t align;

	if (le16toh(ic->pfv) != NVME_TCP_PFV_1_0) {
		nvmet_tcp_fatal(q, NVME_TCP_FES_UNSUPPORTED_PARAM,
				offsetof(struct nvme_tcp_icreq_pdu, pfv),
				"ICReq: unsupported PDU format version");
		return;
	}
	if (ic->hpda > 31) {
		nvmet_tcp_fatal(q, NVME_TCP_FES_UNSUPPORTED_PARAM,
				offsetof(struct nvme_tcp_icreq_pdu, hpda),
				"ICReq: host PDU data alignment out of range");
		return;
	}
	q->hdgst = ic->digest & NVME_TCP_HDR_DIGEST_ENABLE;
	q->ddgst = ic->digest & NVME_TCP_DATA_DIGEST_ENABLE;
	/* C2HData's data starts where the host's alignment wants it */
	align = (ic->hpda + 1u) * 4;
	q->c2h_pdo = (uint8_t)((sizeof(struct nvme_tcp_data_pdu) +
				hdgst_len(q) + align - 1) /
			       align * align);
	memset(r, 0, sizeof(*r));
	nvme_tcp_hdr_init(&r->hdr, nvme_tcp_icresp, 0, sizeof(*r), 0,
			  sizeof(*r));
	r->pfv = htole16(NVME_TCP_PFV_1_0);
	r->cpda = 0;
	r->digest = ic->digest &
		    (NVME_TCP_HDR_DIGEST_ENABLE | NVME_TCP_DATA_DIGEST_ENABLE);
	r->maxdata = htole32(TCP_MAXH2CDATA);
	s->nr = 0;
	send_add(s, r, sizeof(*r));
	s->done = ctl_done;
	q->state = TQ_LIVE;
	nvmf_obj_debug(q->sq.log_prefix,
		       "ICReq: header digest %s, data "
		       "digest %s, hpda %u",
		       q->hdgst ? "on" : "off", q->ddgst ? "on" : "off",
		       ic->hpda);
	queue_send(q, s);
	rx_next_pdu(q);
}

static void handle_cmd(struct tcp_queue *q)
{
	struct tcp_cmd *cmd = TAILQ_FIRST(&q->free_cmds);
	uint32_t icd, pad;
	uint16_t status;

	if (!cmd) {
		nvmet_tcp_fatal(q, NVME_TCP_FES_PDU_SEQ_ERR, 0,
				"more commands than the queue holds");
		return;
	}
	if (pdu_data(q, &icd, &pad))
		return;
	TAILQ_REMOVE(&q->free_cmds, cmd, link);
	memcpy(&cmd->sqe, &q->pdu.cmd.cmd, sizeof(cmd->sqe));
	cmd->rbytes = 0;
	cmd->data_off = 0;
	cmd->status = 0;
	rx_next_pdu(q);
	status = nvmet_req_init(&cmd->req, &q->sq);
	/* in-capsule data beyond what the queue takes is read past */
	if (!status && icd > q->sq.inline_data_size)
		status = nvmet_status(NVME_SCT_GENERIC,
				      NVME_SC_SGL_INVALID_DATA);
	if (!status)
		status = cmd_map(cmd, icd);
	if (icd) {
		cmd->status = status;
		cmd->state = CMD_RECV_ICD;
		rx_expect_data(q, cmd, status ? NULL : cmd->buf, pad, icd);
		return;
	}
	if (status) {
		cmd_complete(cmd, status);
		return;
	}
	if (cmd->req.dir == NVMET_DATA_TO_CTRL && cmd->req.data_len) {
		send_r2t(cmd);
		return;
	}
	cmd_execute(cmd);
}

static struct tcp_cmd *ttag_cmd(struct tcp_queue *q, uint16_t ttag)
{
	if (!ttag)
		return &q->connect;
	if (ttag > q->nr_cmds)
		return NULL;
	return &q->cmds[ttag - 1];
}

static void handle_h2c(struct tcp_queue *q)
{
	const struct nvme_tcp_data_pdu *d = &q->pdu.data;
	uint32_t off = le32toh(d->data_offset), len = le32toh(d->data_length);
	struct tcp_cmd *cmd = ttag_cmd(q, d->ttag);
	uint32_t dlen, pad;

	if (!cmd || cmd->state != CMD_WAIT_H2C ||
	    cmd->sqe.common.command_id != d->command_id) {
		nvmf_obj_debug(
			q->sq.log_prefix,
			"H2CData ttag %u cid %u: context state %d cid %u",
			d->ttag, d->command_id, cmd ? (int)cmd->state : -1,
			cmd ? cmd->sqe.common.command_id : 0);
		nvmet_tcp_fatal(q, NVME_TCP_FES_INVALID_PDU_HDR,
				offsetof(struct nvme_tcp_data_pdu, ttag),
				"H2CData for no R2T");
		return;
	}
	if (pdu_data(q, &dlen, &pad))
		return;
	if (!len || len != dlen) {
		nvmet_tcp_fatal(q, NVME_TCP_FES_INVALID_PDU_HDR,
				offsetof(struct nvme_tcp_data_pdu, data_length),
				"H2CData length does not match its PDU");
		return;
	}
	if (off != cmd->rbytes || len > cmd->req.data_len - off) {
		nvmet_tcp_fatal(q, NVME_TCP_FES_DATA_OUT_OF_RANGE,
				offsetof(struct nvme_tcp_data_pdu, data_offset),
				"H2CData out of range");
		return;
	}
	if (len > TCP_MAXH2CDATA) {
		nvmet_tcp_fatal(q, NVME_TCP_FES_DATA_LIMIT_EXCEEDED,
				offsetof(struct nvme_tcp_data_pdu, data_length),
				"H2CData above MAXH2CDATA");
		return;
	}
	rx_next_pdu(q);
	rx_expect_data(q, cmd, (uint8_t *)cmd->buf + off, pad, len);
}

/* The data of a PDU is in (and its digest checked). */
static void rx_data_done(struct tcp_queue *q)
{
	struct tcp_cmd *cmd = q->rx_cmd;

	rx_next_pdu(q);
	if (cmd->state == CMD_RECV_ICD) {
		if (cmd->status)
			cmd_complete(cmd, cmd->status);
		else
			cmd_execute(cmd);
		return;
	}
	cmd->rbytes += q->data_len;
	if (cmd->rbytes == cmd->req.data_len)
		cmd_execute(cmd);
}

/* The common header is in: check it and size the rest of the header. */
static int rx_hdr_check(struct tcp_queue *q)
{
	const struct nvme_tcp_hdr *h = &q->pdu.hdr;
	uint32_t plen = le32toh(h->plen), hlen;

	if (q->state == TQ_IC) {
		/* a TLS record (handshake 0x16, version 3.x): not offered */
		if (h->type == 0x16 && h->flags == 0x03) {
			nvmet_tcp_fatal(
				q, NVME_TCP_FES_PDU_SEQ_ERR, 0,
				"a TLS handshake: TLS is not supported "
				"(the discovery log says sectype none)");
			return -1;
		}
		if (h->type != nvme_tcp_icreq) {
			nvmet_tcp_fatal(q, NVME_TCP_FES_PDU_SEQ_ERR, 0,
					"a PDU before ICReq");
			return -1;
		}
		if (h->hlen != sizeof(struct nvme_tcp_icreq_pdu) ||
		    plen != sizeof(struct nvme_tcp_icreq_pdu)) {
			nvmet_tcp_fatal(q, NVME_TCP_FES_INVALID_PDU_HDR,
					offsetof(struct nvme_tcp_hdr, hlen),
					"ICReq of a wrong length");
			return -1;
		}
		q->pdu_need = h->hlen;
		return 0;
	}
	switch (h->type) {
	case nvme_tcp_cmd:
		hlen = sizeof(struct nvme_tcp_cmd_pdu);
		break;
	case nvme_tcp_h2c_data:
		hlen = sizeof(struct nvme_tcp_data_pdu);
		break;
	case nvme_tcp_h2c_term:
		hlen = sizeof(struct nvme_tcp_term_pdu);
		break;
	default:
		nvmet_tcp_fatal(q,
				h->type == nvme_tcp_icreq ?
					NVME_TCP_FES_PDU_SEQ_ERR :
					NVME_TCP_FES_INVALID_PDU_HDR,
				0, "unexpected PDU type");
		return -1;
	}
	if (h->hlen != hlen) {
		nvmet_tcp_fatal(q, NVME_TCP_FES_INVALID_PDU_HDR,
				offsetof(struct nvme_tcp_hdr, hlen),
				"PDU header length");
		return -1;
	}
	/* a termination request carries no digest */
	if (h->type != nvme_tcp_h2c_term)
		hlen += hdgst_len(q);
	if (plen < hlen) {
		nvmet_tcp_fatal(q, NVME_TCP_FES_INVALID_PDU_HDR,
				offsetof(struct nvme_tcp_hdr, plen),
				"PDU shorter than its header");
		return -1;
	}
	q->pdu_need = hlen;
	return 0;
}

/* The whole header is in: check its digest and act on it. */
static void rx_hdr_done(struct tcp_queue *q)
{
	const struct nvme_tcp_hdr *h = &q->pdu.hdr;
	const struct nvme_tcp_term_pdu *t = &q->pdu.term;
	uint32_t dgst;

	if (q->state == TQ_LIVE && q->hdgst && h->type != nvme_tcp_h2c_term) {
		memcpy(&dgst, q->pdu.raw + h->hlen, sizeof(dgst));
		if (le32toh(dgst) != nvme_tcp_digest(q->pdu.raw, h->hlen)) {
			nvmet_tcp_fatal(q, NVME_TCP_FES_HDR_DIGEST_ERR, 0,
					"header digest error");
			return;
		}
	}
	switch (h->type) {
	case nvme_tcp_icreq:
		handle_icreq(q);
		break;
	case nvme_tcp_cmd:
		handle_cmd(q);
		break;
	case nvme_tcp_h2c_data:
		handle_h2c(q);
		break;
	case nvme_tcp_h2c_term:
		nvmf_obj_warn(q->sq.log_prefix,
			      "the host ended the connection: H2CTermReq "
			      "status 0x%x, field 0x%x",
			      le16toh(t->fes), le32toh(t->fei));
		nvmet_tcp_queue_stop(q);
		break;
	}
}

static int rx_ddgst_check(struct tcp_queue *q)
{
	uint32_t dgst;

	memcpy(&dgst, q->ddgst_buf, sizeof(dgst));
	if (q->data_dst && le32toh(dgst) != ~q->crc) {
		nvmet_tcp_fatal(q, 0, 0, "data digest error");
		return -1;
	}
	return 0;
}

static void rx_data(struct tcp_queue *q, const uint8_t *p, uint32_t k)
{
	if (q->data_dst) {
		if (p != q->data_dst)
			memcpy(q->data_dst, p, k);
		if (q->ddgst)
			q->crc = nvme_tcp_crc32c(q->crc, q->data_dst, k);
		q->data_dst += k;
	}
	q->data_left -= k;
	if (q->data_left)
		return;
	if (q->ddgst)
		q->rx_state = RX_DDGST;
	else
		rx_data_done(q);
}

int nvmet_tcp_rx(struct tcp_queue *q, const uint8_t *p, uint32_t n)
{
	uint32_t k;

	while (n && !q->stopping) {
		switch (q->rx_state) {
		case RX_HDR:
			k = min_u32(n, q->pdu_need - q->pdu_got);
			memcpy(q->pdu.raw + q->pdu_got, p, k);
			q->pdu_got += k;
			if (q->pdu_got < q->pdu_need)
				break;
			if (q->pdu_need == sizeof(struct nvme_tcp_hdr)) {
				if (rx_hdr_check(q))
					return -1;
				if (q->pdu_got < q->pdu_need)
					break;
			}
			rx_hdr_done(q);
			break;
		case RX_PAD:
			k = min_u32(n, q->pad_left);
			q->pad_left -= k;
			if (!q->pad_left)
				q->rx_state = RX_DATA;
			break;
		case RX_DATA:
			k = min_u32(n, q->data_left);
			rx_data(q, p, k);
			break;
		case RX_DDGST:
		default:
			k = min_u32(n, NVME_TCP_DIGEST_LEN - q->ddgst_got);
			memcpy(q->ddgst_buf + q->ddgst_got, p, k);
			q->ddgst_got += k;
			if (q->ddgst_got < NVME_TCP_DIGEST_LEN)
				break;
			if (rx_ddgst_check(q))
				return -1;
			rx_data_done(q);
			break;
		}
		p += k;
		n -= k;
	}
	return q->stopping ? -1 : 0;
}

/* Read what the socket has; large data goes straight to its buffer. */
static void rx_read(struct tcp_queue *q)
{
	ssize_t r;

	for (int budget = 16; budget-- > 0 && !q->stopping;) {
		if (q->rx_state == RX_DATA && q->data_dst &&
		    q->data_left >= TCP_RX_BUF / 4)
			r = recv(q->fd, q->data_dst, q->data_left,
				 MSG_DONTWAIT);
		else
			r = recv(q->fd, rx_buf, sizeof(rx_buf), MSG_DONTWAIT);
		nvmet_stat_add(q->sq.worker, NVMET_STAT_RECV_POSTS, 1);
		if (r == 0) {
			nvmf_obj_debug(q->sq.log_prefix, "closed by the host");
			nvmet_tcp_queue_stop(q);
			return;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			nvmf_obj_debug(q->sq.log_prefix, "receive: %s",
				       strerror(errno));
			nvmet_tcp_queue_stop(q);
			return;
		}
		if (q->rx_state == RX_DATA && q->data_dst &&
		    q->data_left >= TCP_RX_BUF / 4) {
			rx_data(q, q->data_dst, (uint32_t)r);
			continue;
		}
		if (nvmet_tcp_rx(q, rx_buf, (uint32_t)r))
			return;
	}
}

/* The socket is readable or writable: one pass of the worker. */
void nvmet_tcp_io_event(void *arg, uint32_t events)
{
	struct tcp_queue *q = arg;
	struct nvmet_worker *w = q->sq.worker;

	nvmet_stat_add(w, NVMET_STAT_WAKEUPS, 1);
	nvmet_worker_batch_begin(w);
	if (events & EPOLLOUT)
		nvmet_tcp_flush(&q->flush);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		rx_read(q);
	nvmet_worker_batch_end(w);
}

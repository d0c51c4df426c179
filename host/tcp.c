// SPDX-License-Identifier: GPL-2.0
/*
 * The host's NVMe/TCP transport (NVMe/TCP 1.0, no TLS): one TCP connection
 * per NVMe queue, opened without blocking, then ICReq/ICResp (digests as
 * the options ask), then command capsules.  Write data goes in the capsule
 * when the controller takes it (I/O queues, up to its IOCCSZ), else in
 * H2CData PDUs when the controller asks with an R2T (admin queue: up to
 * 8 KiB in the capsule, as the kernel host); read data comes in
 * C2HData PDUs straight into the request's buffer.  No memory
 * registration: buffers are the application's.
 *
 * Ownership: a queue's socket, watch, timer and slots belong to its
 * struct tcp_hq, released in queue_teardown() only.  Callbacks into the
 * controller (completions, errors) may tear the queue down under us: the
 * receive path holds the queue (busy) and frees it on the way out.
 *
 * Everything is checked before use: a PDU for no outstanding command, data
 * out of range, a wrong digest end the queue with a clear reason (the
 * controller reconnects), never a crash or a write outside the buffer.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ctrl.h"
#include "names.h"
#include "nvme_tcp.h"

#define CONNECT_TMO_MS 3000 /* TCP connect and ICReq/ICResp */
#define RX_BUF	       (64u * 1024)
#define TX_IOV	       64
#define IOV_PER_SEND   5 /* hdr, hdgst, pad, data, ddgst */

struct tcp_send {
	struct iovec iov[IOV_PER_SEND];
	int nr, idx;
	TAILQ_ENTRY(tcp_send) link;
	bool queued;
};

enum {
	SLOT_SENT = 1, /* the capsule is out: the command is outstanding */
	SLOT_R2T = 2,  /* H2CData of an R2T being sent */
	SLOT_C2H = 4,  /* read data is coming */
};

/* One command slot (command id = index). */
struct tcp_slot {
	struct nvme_tcp_cmd_pdu pdu;
	struct nvme_tcp_data_pdu h2c;
	nvme_le32 hdgst;
	nvme_le32 ddgst;
	uint8_t flags;
	uint32_t rbytes;  /* C2H data received */
	uint32_t r2t_off; /* the next H2CData's offset */
	uint32_t r2t_end; /* the R2T's end */
	uint16_t ttag;
	struct tcp_send send; /* the capsule, then H2CData PDUs */
};

enum tcp_hq_state { HQ_CONNECTING, HQ_IC, HQ_LIVE };
enum rx_state { RX_HDR, RX_PAD, RX_DATA, RX_DDGST };

struct tcp_hq {
	struct nvmf_hq *hq;
	struct nvmf_ctrl *ctrl;
	int fd;
	struct nvmf_watch *watch;
	struct nvmf_timer *timer;
	enum tcp_hq_state state;
	bool failed;
	int busy;  /* in the receive path */
	bool torn; /* torn down while busy: freed on the way out */
	bool out_armed;
	bool hdgst, ddgst;
	uint32_t maxh2c;
	uint32_t cpda; /* the controller's data alignment, bytes */
	uint32_t icd_max;
	struct nvme_tcp_icreq_pdu icreq;
	struct tcp_send ic_send;
	TAILQ_HEAD(, tcp_send) sends;
	struct tcp_slot *slots;
	/* receiving */
	enum rx_state rx_state;
	union {
		struct nvme_tcp_hdr hdr;
		struct nvme_tcp_icresp_pdu icresp;
		struct nvme_tcp_rsp_pdu rsp;
		struct nvme_tcp_data_pdu data;
		struct nvme_tcp_r2t_pdu r2t;
		struct nvme_tcp_term_pdu term;
		uint8_t raw[NVME_TCP_MAX_HLEN + NVME_TCP_DIGEST_LEN];
	} pdu;
	uint32_t pdu_got, pdu_need;
	uint32_t pad_left, data_left, data_len;
	uint8_t *data_dst;
	uint16_t data_cid;
	bool data_success; /* C2HData with SUCCESS: no response follows */
	uint32_t crc;
	uint8_t ddgst_buf[NVME_TCP_DIGEST_LEN];
	uint32_t ddgst_got;
	int completed; /* completions in this receive pass */
};

static __thread uint8_t rx_buf[RX_BUF];
static const uint8_t zeros[128];

static void hq_fail(struct tcp_hq *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void hq_fail(struct tcp_hq *t, int err, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	if (t->failed)
		return;
	t->failed = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	nvmf_hq_transport_error(t->hq, err, why);
}

static uint32_t hd_len(const struct tcp_hq *t)
{
	return t->hdgst ? NVME_TCP_DIGEST_LEN : 0;
}

static uint32_t dd_len(const struct tcp_hq *t)
{
	return t->ddgst ? NVME_TCP_DIGEST_LEN : 0;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* ---- sending --------------------------------------------------------------------- */

/*
 * The loop thread watches the socket for responses, except on a live
 * queue that its owner reads (nvmf_qpair_poll); for room to send, when a
 * send could not finish (from the owner's thread too: the watch changes
 * only under the queue's lock).
 */
static int arm_out(struct tcp_hq *t, bool on)
{
	if (t->out_armed == on || !t->watch)
		return 0;
	t->out_armed = on;
	return nvmf_watch_modify(t->watch,
				 (hq_owner_polls(t->hq) ? 0 : EPOLLIN) |
					 (on ? EPOLLOUT : 0));
}

static void send_done(struct tcp_hq *t, struct tcp_send *s);

/*
 * Write what is queued, as much as the socket takes now; the rest when it
 * is writable.  A failure fails the queue only when may_fail (not inside
 * a submission, whose caller must not see its queue go): else the next
 * writable event finds it again.
 */
static void flush(struct tcp_hq *t, bool may_fail)
{
	struct iovec iov[TX_IOV];
	struct tcp_send *s;
	struct msghdr m;
	size_t left;
	ssize_t r;
	int n, i;

	while (!t->failed && !TAILQ_EMPTY(&t->sends)) {
		n = 0;
		TAILQ_FOREACH(s, &t->sends, link) {
			for (i = s->idx; i < s->nr && n < TX_IOV; i++)
				iov[n++] = s->iov[i];
			if (n == TX_IOV)
				break;
		}
		memset(&m, 0, sizeof(m));
		m.msg_iov = iov;
		m.msg_iovlen = (size_t)n;
		r = sendmsg(t->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		hq_stat(t->hq, NVMF_STAT_SEND_DOORBELLS, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    !may_fail) {
				if (arm_out(t, true) && may_fail)
					hq_fail(t, -EIO,
						"cannot watch the socket");
				return;
			}
			hq_fail(t, -errno, "send: %s", strerror(errno));
			return;
		}
		left = (size_t)r;
		while ((s = TAILQ_FIRST(&t->sends))) {
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
			TAILQ_REMOVE(&t->sends, s, link);
			s->queued = false;
			hq_stat(t->hq, NVMF_STAT_SEND_WRS, 1);
			send_done(t, s);
		}
	}
	if (arm_out(t, false) && may_fail)
		hq_fail(t, -EIO, "cannot watch the socket");
}

static void send_add(struct tcp_send *s, const void *p, size_t len)
{
	s->iov[s->nr].iov_base = (void *)p;
	s->iov[s->nr].iov_len = len;
	s->nr++;
}

static void send_queue(struct tcp_hq *t, struct tcp_send *s)
{
	s->idx = 0;
	s->queued = true;
	TAILQ_INSERT_TAIL(&t->sends, s, link);
}

/* Where data starts after a header of hlen: the controller's alignment. */
static uint8_t data_pdo(const struct tcp_hq *t, uint32_t hlen)
{
	uint32_t off = hlen + hd_len(t);

	return (uint8_t)((off + t->cpda - 1) / t->cpda * t->cpda);
}

/* A header with its digest, padding to pdo, len bytes of data and digest. */
static void send_pdu(struct tcp_hq *t, struct tcp_send *s, void *hdr,
		     uint8_t hlen, nvme_le32 *hdgst, const void *data,
		     uint32_t len, nvme_le32 *ddgst)
{
	const struct nvme_tcp_hdr *h = hdr;

	s->nr = 0;
	send_add(s, hdr, hlen);
	if (t->hdgst) {
		*hdgst = htole32(nvme_tcp_digest(hdr, hlen));
		send_add(s, hdgst, NVME_TCP_DIGEST_LEN);
	}
	if (!len)
		return;
	if (h->pdo > hlen + hd_len(t))
		send_add(s, zeros, h->pdo - hlen - hd_len(t));
	send_add(s, data, len);
	if (t->ddgst) {
		*ddgst = htole32(nvme_tcp_digest(data, len));
		send_add(s, ddgst, NVME_TCP_DIGEST_LEN);
	}
}

/* The next H2CData PDU of the slot's R2T. */
static void send_h2c(struct tcp_hq *t, uint16_t cid)
{
	struct tcp_slot *sl = &t->slots[cid];
	struct nvmf_req *req = nvmf_slots_find(&t->hq->slots, cid);
	uint32_t len = min_u32(sl->r2t_end - sl->r2t_off, t->maxh2c);
	bool last = sl->r2t_off + len == sl->r2t_end;
	uint8_t pdo = data_pdo(t, sizeof(sl->h2c));

	nvme_tcp_hdr_init(&sl->h2c.hdr, nvme_tcp_h2c_data,
			  (t->hdgst ? NVME_TCP_F_HDGST : 0) |
				  (t->ddgst ? NVME_TCP_F_DDGST : 0) |
				  (last ? NVME_TCP_F_DATA_LAST : 0),
			  sizeof(sl->h2c), pdo, pdo + len + dd_len(t));
	sl->h2c.command_id = cid;
	sl->h2c.ttag = sl->ttag;
	sl->h2c.data_offset = htole32(sl->r2t_off);
	sl->h2c.data_length = htole32(len);
	memset(sl->h2c.rsvd, 0, sizeof(sl->h2c.rsvd));
	send_pdu(t, &sl->send, &sl->h2c, sizeof(sl->h2c), &sl->hdgst,
		 (uint8_t *)req->buf + sl->r2t_off, len, &sl->ddgst);
	sl->r2t_off += len;
	send_queue(t, &sl->send);
}

static void send_done(struct tcp_hq *t, struct tcp_send *s)
{
	struct tcp_slot *sl;
	uint16_t cid;

	if (s == &t->ic_send)
		return;
	sl = container_of(s, struct tcp_slot, send);
	cid = (uint16_t)(sl - t->slots);
	if (!(sl->flags & SLOT_R2T))
		return;
	if (sl->r2t_off < sl->r2t_end)
		send_h2c(t, cid);
	else
		sl->flags &= (uint8_t)~SLOT_R2T;
}

/* ---- receiving ------------------------------------------------------------------- */

static void rx_next(struct tcp_hq *t)
{
	t->rx_state = RX_HDR;
	t->pdu_got = 0;
	t->pdu_need = sizeof(struct nvme_tcp_hdr);
}

static void rx_expect_data(struct tcp_hq *t, uint8_t *dst, uint32_t pad,
			   uint32_t len)
{
	t->data_dst = dst;
	t->data_len = t->data_left = len;
	t->pad_left = pad;
	t->crc = ~0u;
	t->ddgst_got = 0;
	t->rx_state = pad ? RX_PAD : RX_DATA;
}

/* Return: the outstanding request of a command id, or NULL (failed). */
static struct nvmf_req *rx_req(struct tcp_hq *t, uint16_t cid, const char *pdu)
{
	struct nvmf_req *req = cid < t->hq->slots.depth ?
				       nvmf_slots_find(&t->hq->slots, cid) :
				       NULL;

	if (!req || !(t->slots[cid].flags & SLOT_SENT)) {
		hq_fail(t, -EPROTO, "%s for command id %u, not outstanding",
			pdu, cid);
		return NULL;
	}
	return req;
}

static void complete(struct tcp_hq *t, const struct nvme_completion *cqe)
{
	uint16_t cid = cqe->command_id;
	struct tcp_slot *sl = &t->slots[cid];

	/* its data must not be in flight any more: the buffer goes back */
	if (sl->send.queued || (sl->flags & SLOT_R2T)) {
		hq_fail(t, -EPROTO,
			"response for command id %u while sending its data",
			cid);
		return;
	}
	sl->flags = 0;
	t->completed++;
	nvmf_hq_complete(t->hq, cqe);
}

static void handle_icresp(struct tcp_hq *t)
{
	const struct nvme_tcp_icresp_pdu *r = &t->pdu.icresp;
	uint8_t want = t->icreq.digest;

	if (le16toh(r->pfv) != NVME_TCP_PFV_1_0 || r->cpda > 31 ||
	    le32toh(r->maxdata) < NVME_TCP_MIN_MAXH2CDATA ||
	    (r->digest & ~want)) {
		hq_fail(t, -EPROTO,
			"ICResp: pfv %u, cpda %u, maxdata %u, digest 0x%x "
			"(asked 0x%x)",
			le16toh(r->pfv), r->cpda, le32toh(r->maxdata),
			r->digest, want);
		return;
	}
	if (r->digest != want) {
		hq_fail(t, -EPROTO,
			"the controller refused the digests asked (0x%x, "
			"granted 0x%x)",
			want, r->digest);
		return;
	}
	t->hdgst = r->digest & NVME_TCP_HDR_DIGEST_ENABLE;
	t->ddgst = r->digest & NVME_TCP_DATA_DIGEST_ENABLE;
	t->maxh2c = le32toh(r->maxdata);
	t->cpda = (r->cpda + 1u) * 4;
	t->state = HQ_LIVE;
	nvmf_timer_disarm(t->timer);
	rx_next(t);
	nvmf_hq_transport_up(t->hq);
}

/* Data after a header: pad and length checked against plen. */
static int pdu_data(struct tcp_hq *t, uint32_t *len, uint32_t *pad)
{
	const struct nvme_tcp_hdr *h = &t->pdu.hdr;
	uint32_t plen = le32toh(h->plen), hd = hd_len(t), dd = dd_len(t);

	*len = *pad = 0;
	if (plen == h->hlen + hd)
		return 0;
	if (h->pdo < h->hlen + hd || h->pdo >= plen || plen - h->pdo <= dd) {
		hq_fail(t, -EPROTO, "PDU type %u: data offset %u, length %u",
			h->type, h->pdo, plen);
		return -1;
	}
	*pad = h->pdo - h->hlen - hd;
	*len = plen - h->pdo - dd;
	return 0;
}

static void handle_c2h(struct tcp_hq *t)
{
	const struct nvme_tcp_data_pdu *d = &t->pdu.data;
	uint32_t off = le32toh(d->data_offset), len = le32toh(d->data_length);
	uint16_t cid = d->command_id;
	struct nvmf_req *req = rx_req(t, cid, "C2HData");
	uint32_t dlen, pad;

	if (!req || pdu_data(t, &dlen, &pad))
		return;
	if (!(req->flags & NVMF_REQ_TO_HOST) || !len || len != dlen ||
	    off != t->slots[cid].rbytes || off > req->len ||
	    len > req->len - off) {
		hq_fail(t, -EPROTO,
			"C2HData for command id %u: offset %u, length %u of "
			"%u bytes",
			cid, off, len, req->len);
		return;
	}
	if ((d->hdr.flags & NVME_TCP_F_DATA_SUCCESS) &&
	    (!(d->hdr.flags & NVME_TCP_F_DATA_LAST) || off + len != req->len)) {
		hq_fail(t, -EPROTO, "C2HData SUCCESS before the last data");
		return;
	}
	t->data_cid = cid;
	t->data_success = d->hdr.flags & NVME_TCP_F_DATA_SUCCESS;
	rx_next(t);
	rx_expect_data(t, (uint8_t *)req->buf + off, pad, len);
}

static void handle_r2t(struct tcp_hq *t)
{
	const struct nvme_tcp_r2t_pdu *r = &t->pdu.r2t;
	uint32_t off = le32toh(r->r2t_offset), len = le32toh(r->r2t_length);
	uint16_t cid = r->command_id;
	struct nvmf_req *req = rx_req(t, cid, "R2T");
	struct tcp_slot *sl;

	if (!req)
		return;
	sl = &t->slots[cid];
	if ((req->flags & NVMF_REQ_TO_HOST) || !len || off > req->len ||
	    len > req->len - off || (sl->flags & SLOT_R2T) || sl->send.queued) {
		hq_fail(t, -EPROTO,
			"R2T for command id %u: offset %u, length %u of %u "
			"bytes",
			cid, off, len, req->len);
		return;
	}
	sl->flags |= SLOT_R2T;
	sl->ttag = r->ttag;
	sl->r2t_off = off;
	sl->r2t_end = off + len;
	rx_next(t);
	send_h2c(t, cid);
}

static void rx_data_done(struct tcp_hq *t)
{
	struct nvme_completion cqe;

	t->slots[t->data_cid].rbytes += t->data_len;
	rx_next(t);
	if (!t->data_success)
		return;
	memset(&cqe, 0, sizeof(cqe));
	cqe.command_id = t->data_cid;
	complete(t, &cqe);
}

static int rx_hdr_check(struct tcp_hq *t)
{
	const struct nvme_tcp_hdr *h = &t->pdu.hdr;
	uint32_t plen = le32toh(h->plen), hlen;

	switch (h->type) {
	case nvme_tcp_icresp:
		hlen = sizeof(struct nvme_tcp_icresp_pdu);
		break;
	case nvme_tcp_rsp:
		hlen = sizeof(struct nvme_tcp_rsp_pdu);
		break;
	case nvme_tcp_c2h_data:
		hlen = sizeof(struct nvme_tcp_data_pdu);
		break;
	case nvme_tcp_r2t:
		hlen = sizeof(struct nvme_tcp_r2t_pdu);
		break;
	case nvme_tcp_c2h_term:
		hlen = sizeof(struct nvme_tcp_term_pdu);
		break;
	default:
		hq_fail(t, -EPROTO, "unexpected PDU type 0x%x", h->type);
		return -1;
	}
	if ((t->state == HQ_IC) != (h->type == nvme_tcp_icresp) &&
	    h->type != nvme_tcp_c2h_term) {
		hq_fail(t, -EPROTO, "PDU type 0x%x out of order", h->type);
		return -1;
	}
	if (h->hlen != hlen || plen < hlen ||
	    (h->type == nvme_tcp_icresp && plen != hlen)) {
		hq_fail(t, -EPROTO, "PDU type 0x%x: hlen %u, plen %u", h->type,
			h->hlen, plen);
		return -1;
	}
	if (h->type != nvme_tcp_icresp && h->type != nvme_tcp_c2h_term)
		hlen += hd_len(t);
	if (plen < hlen) {
		hq_fail(t, -EPROTO, "PDU type 0x%x: plen %u", h->type, plen);
		return -1;
	}
	t->pdu_need = hlen;
	return 0;
}

static void rx_hdr_done(struct tcp_hq *t)
{
	const struct nvme_tcp_hdr *h = &t->pdu.hdr;
	struct nvme_completion cqe;
	uint32_t dgst;

	if (t->hdgst && h->type != nvme_tcp_icresp &&
	    h->type != nvme_tcp_c2h_term) {
		memcpy(&dgst, t->pdu.raw + h->hlen, sizeof(dgst));
		if (le32toh(dgst) != nvme_tcp_digest(t->pdu.raw, h->hlen)) {
			hq_fail(t, -EPROTO, "header digest error");
			return;
		}
	}
	switch (h->type) {
	case nvme_tcp_icresp:
		handle_icresp(t);
		break;
	case nvme_tcp_rsp:
		if (le32toh(h->plen) != h->hlen + hd_len(t)) {
			hq_fail(t, -EPROTO, "response capsule with data");
			return;
		}
		cqe = t->pdu.rsp.cqe;
		rx_next(t);
		if (rx_req(t, cqe.command_id, "response"))
			complete(t, &cqe);
		break;
	case nvme_tcp_c2h_data:
		handle_c2h(t);
		break;
	case nvme_tcp_r2t:
		handle_r2t(t);
		break;
	case nvme_tcp_c2h_term:
		hq_fail(t, -ECONNRESET,
			"the controller ended the connection: C2HTermReq "
			"status 0x%x, field 0x%x",
			le16toh(t->pdu.term.fes), le32toh(t->pdu.term.fei));
		break;
	}
}

static void rx_data(struct tcp_hq *t, const uint8_t *p, uint32_t k)
{
	if (p != t->data_dst)
		memcpy(t->data_dst, p, k);
	if (t->ddgst)
		t->crc = nvme_tcp_crc32c(t->crc, t->data_dst, k);
	t->data_dst += k;
	t->data_left -= k;
	if (t->data_left)
		return;
	if (t->ddgst)
		t->rx_state = RX_DDGST;
	else
		rx_data_done(t);
}

/* Consume n bytes of the stream; stops when the queue failed. */
static void rx(struct tcp_hq *t, const uint8_t *p, uint32_t n)
{
	uint32_t k, dgst;

	while (n && !t->failed && !t->torn) {
		switch (t->rx_state) {
		case RX_HDR:
			k = min_u32(n, t->pdu_need - t->pdu_got);
			memcpy(t->pdu.raw + t->pdu_got, p, k);
			t->pdu_got += k;
			if (t->pdu_got < t->pdu_need)
				break;
			if (t->pdu_need == sizeof(struct nvme_tcp_hdr)) {
				if (rx_hdr_check(t))
					return;
				if (t->pdu_got < t->pdu_need)
					break;
			}
			rx_hdr_done(t);
			break;
		case RX_PAD:
			k = min_u32(n, t->pad_left);
			t->pad_left -= k;
			if (!t->pad_left)
				t->rx_state = RX_DATA;
			break;
		case RX_DATA:
			k = min_u32(n, t->data_left);
			rx_data(t, p, k);
			break;
		case RX_DDGST:
		default:
			k = min_u32(n, NVME_TCP_DIGEST_LEN - t->ddgst_got);
			memcpy(t->ddgst_buf + t->ddgst_got, p, k);
			t->ddgst_got += k;
			if (t->ddgst_got < NVME_TCP_DIGEST_LEN)
				break;
			memcpy(&dgst, t->ddgst_buf, sizeof(dgst));
			if (le32toh(dgst) != ~t->crc) {
				hq_fail(t, -EPROTO, "data digest error");
				return;
			}
			rx_data_done(t);
			break;
		}
		p += k;
		n -= k;
	}
}

static void hq_free(struct tcp_hq *t);

/* Read what the socket has (the queue held).  Return: completions. */
static int rx_read(struct tcp_hq *t)
{
	bool direct;
	ssize_t r;

	t->completed = 0;
	for (int budget = 16; budget-- > 0 && !t->failed && !t->torn;) {
		direct = t->rx_state == RX_DATA && t->data_left >= RX_BUF / 4;
		r = recv(t->fd, direct ? t->data_dst : rx_buf,
			 direct ? t->data_left : sizeof(rx_buf), MSG_DONTWAIT);
		hq_stat(t->hq, NVMF_STAT_RECV_POSTS, 1);
		if (r == 0) {
			hq_fail(t, -ECONNRESET,
				"the controller closed the "
				"connection");
			break;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				hq_fail(t, -errno, "receive: %s",
					strerror(errno));
			break;
		}
		if (direct)
			rx_data(t, t->data_dst, (uint32_t)r);
		else
			rx(t, rx_buf, (uint32_t)r);
	}
	/* what the completions submitted goes out together */
	if (!t->failed && !t->torn)
		flush(t, true);
	return t->completed;
}

/* Hold the queue across calls that may tear it down. */
static void hold(struct tcp_hq *t)
{
	t->busy++;
}

/* Return: true if the queue was torn down meanwhile (it is gone now). */
static bool unhold(struct tcp_hq *t)
{
	if (--t->busy || !t->torn)
		return false;
	hq_free(t);
	return true;
}

/* ---- connecting ------------------------------------------------------------------ */

static void send_icreq(struct tcp_hq *t)
{
	struct nvme_tcp_icreq_pdu *ic = &t->icreq;
	const struct nvmf_ctrl_opts *o = &t->ctrl->opts;

	memset(ic, 0, sizeof(*ic));
	nvme_tcp_hdr_init(&ic->hdr, nvme_tcp_icreq, 0, sizeof(*ic), 0,
			  sizeof(*ic));
	ic->pfv = htole16(NVME_TCP_PFV_1_0);
	ic->hpda = 0;
	ic->digest = (o->hdr_digest ? NVME_TCP_HDR_DIGEST_ENABLE : 0) |
		     (o->data_digest ? NVME_TCP_DATA_DIGEST_ENABLE : 0);
	ic->maxr2t = 0; /* one R2T outstanding per command */
	t->ic_send.nr = 0;
	send_add(&t->ic_send, ic, sizeof(*ic));
	send_queue(t, &t->ic_send);
	t->state = HQ_IC;
	flush(t, true);
}

static void sock_event(void *arg, uint32_t events)
{
	struct tcp_hq *t = arg;
	pthread_mutex_t *m = hq_lock(t->hq);
	socklen_t len = sizeof(int);
	int err = 0;

	hold(t);
	if (t->state == HQ_CONNECTING) {
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
			hq_fail(t, -(err ? err : errno), "connect to %s:%s: %s",
				t->ctrl->trid.traddr, t->ctrl->trid.trsvcid,
				strerror(err ? err : errno));
		else if (events & EPOLLOUT) {
			t->out_armed = true;
			send_icreq(t);
		}
		goto out;
	}
	if (events & EPOLLOUT)
		flush(t, true);
	if (!t->failed && !t->torn && hq_owner_polls(t->hq) &&
	    !(events & (EPOLLHUP | EPOLLERR))) {
		/* its owner reads it from now on: stop watching for input */
		if (nvmf_watch_modify(t->watch, t->out_armed ? EPOLLOUT : 0))
			hq_fail(t, -EIO, "cannot watch the socket");
		goto out;
	}
	if (!t->failed && !t->torn &&
	    (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		rx_read(t);
out:
	unhold(t);
	hq_unlock(m);
}

static void connect_timeout(void *arg)
{
	struct tcp_hq *t = arg;
	pthread_mutex_t *m = hq_lock(t->hq);

	hq_fail(t, -ETIMEDOUT, "no %s within %u ms",
		t->state == HQ_CONNECTING ? "connection" : "ICResp",
		CONNECT_TMO_MS);
	hq_unlock(m);
}

static int sock_open(struct tcp_hq *t)
{
	const struct nvmf_trid *tr = &t->ctrl->trid;
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
		.ai_family = nvmf_adrfam_ip_af(tr->adrfam),
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *dst = NULL, *src = NULL;
	int one = 1, ret = 0;

	if (getaddrinfo(tr->traddr, tr->trsvcid[0] ? tr->trsvcid : "4420",
			&hints, &dst))
		return -EINVAL;
	if (tr->host_traddr[0] &&
	    getaddrinfo(tr->host_traddr, NULL, &hints, &src)) {
		ret = -EINVAL;
		goto out;
	}
	t->fd = socket(dst->ai_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		ret = -errno;
		goto out;
	}
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src && bind(t->fd, src->ai_addr, src->ai_addrlen)) {
		ret = -errno;
		goto out;
	}
	if (connect(t->fd, dst->ai_addr, dst->ai_addrlen) &&
	    errno != EINPROGRESS)
		ret = -errno;
out:
	freeaddrinfo(dst);
	if (src)
		freeaddrinfo(src);
	return ret;
}

static void hq_free(struct tcp_hq *t)
{
	free(t->slots);
	free(t);
}

/* Release the queue's objects now; freed at once unless it is busy. */
static void tcp_queue_teardown(struct nvmf_hq *hq)
{
	struct tcp_hq *t = hq->tp;

	if (!t)
		return;
	hq->tp = NULL;
	nvmf_watch_del(t->watch);
	t->watch = NULL;
	nvmf_timer_destroy(t->timer);
	t->timer = NULL;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->failed = true;
	TAILQ_INIT(&t->sends);
	if (t->busy) {
		t->torn = true;
		return;
	}
	hq_free(t);
}

static int tcp_queue_connect(struct nvmf_hq *hq)
{
	struct nvmf_ctrl *c = hq->ctrl;
	struct tcp_hq *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	t->hq = hq;
	t->ctrl = c;
	t->fd = -1;
	t->cpda = 4;
	TAILQ_INIT(&t->sends);
	rx_next(t);
	hq->tp = t;
	/*
	 * In-capsule data up to what the controller takes: on I/O queues
	 * its IOCCSZ; on the admin queue (Connect's data before any
	 * Identify) 8 KiB, as the kernel host sends.  The kernel's target
	 * never asks with an R2T for a write it could have taken in the
	 * capsule: such a write must come in it.
	 */
	t->icd_max = hq->qid ? c->icd_max : NVME_TCP_ADMIN_CCSZ;
	t->slots = calloc(hq->slots.depth, sizeof(*t->slots));
	t->timer = nvmf_timer_create(c->loop, connect_timeout, t);
	if (!t->slots || !t->timer) {
		ret = -ENOMEM;
		goto out;
	}
	ret = sock_open(t);
	if (ret)
		goto out;
	t->watch = nvmf_watch_add(c->loop, t->fd, EPOLLOUT | EPOLLIN,
				  sock_event, t);
	if (!t->watch) {
		ret = -errno;
		goto out;
	}
	nvmf_timer_arm(t->timer, CONNECT_TMO_MS, 0);
	return 0;
out:
	tcp_queue_teardown(hq);
	return ret;
}

/* ---- submission ------------------------------------------------------------------ */

static int tcp_submit(struct nvmf_hq *hq, struct nvmf_req *req)
{
	struct tcp_hq *t = hq->tp;
	bool to_host = req->flags & NVMF_REQ_TO_HOST;
	uint16_t cid = req->cid;
	struct tcp_slot *sl;
	union nvme_command *cmd;
	uint32_t icd;
	uint8_t pdo;

	if (!t || t->failed || t->state != HQ_LIVE ||
	    req->len > NVMF_HOST_MAX_IO || cid >= hq->slots.depth)
		return -EIO;
	sl = &t->slots[cid];
	cmd = &sl->pdu.cmd;
	*cmd = req->cmd;
	cmd->common.command_id = cid;
	cmd->common.flags = NVME_CMD_SGL_METABUF;
	icd = req->len && !to_host && req->len <= t->icd_max ? req->len : 0;
	if (icd) {
		nvme_sgl_set_inline(&cmd->common.dptr, 0, icd);
	} else {
		/* a transport data block; of length 0 without data */
		memset(&cmd->common.dptr, 0, sizeof(cmd->common.dptr));
		cmd->common.dptr.sgl.length = htole32(req->len);
		cmd->common.dptr.sgl.type = NVME_TCP_SGL_TYPE_TRANSPORT;
	}
	pdo = icd ? data_pdo(t, sizeof(sl->pdu)) : 0;
	nvme_tcp_hdr_init(&sl->pdu.hdr, nvme_tcp_cmd,
			  (t->hdgst ? NVME_TCP_F_HDGST : 0) |
				  (icd && t->ddgst ? NVME_TCP_F_DDGST : 0),
			  sizeof(sl->pdu), pdo,
			  icd ? pdo + icd + dd_len(t) :
				(uint32_t)sizeof(sl->pdu) + hd_len(t));
	send_pdu(t, &sl->send, &sl->pdu, sizeof(sl->pdu), &sl->hdgst, req->buf,
		 icd, &sl->ddgst);
	sl->flags = SLOT_SENT;
	sl->rbytes = 0;
	send_queue(t, &sl->send);
	/*
	 * completions being handled send together at the end of the pass,
	 * submissions under a plug at the unplug
	 */
	if (!t->busy && !hq_plugged(hq))
		flush(t, false);
	return 0;
}

/* Busy polling: read without waiting. */
static int tcp_poll(struct nvmf_hq *hq)
{
	struct tcp_hq *t = hq->tp;

	int n;

	if (!t || t->failed || t->state != HQ_LIVE)
		return 0;
	hold(t);
	n = rx_read(t);
	return unhold(t) ? -1 : n;
}

/* ---- controller lifetime ----------------------------------------------------- */

static int tcp_ctrl_init(struct nvmf_ctrl *c)
{
	(void)c;
	return 0;
}

static void tcp_ctrl_fini(struct nvmf_ctrl *c)
{
	(void)c;
}

static void tcp_ctrl_release(struct nvmf_ctrl *c)
{
	(void)c;
}

/* Buffers need no registration: the socket reads and writes them. */
static int tcp_mr_add(struct nvmf_ctrl *c, void *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return 0;
}

static void tcp_mr_del(struct nvmf_ctrl *c, void *buf)
{
	(void)c;
	(void)buf;
}

/* The loop reads the socket again (its owner gave the queue back). */
static int tcp_arm(struct nvmf_hq *hq)
{
	struct tcp_hq *t = hq->tp;

	if (!t || !t->watch || t->failed)
		return 0;
	return nvmf_watch_modify(t->watch,
				 EPOLLIN | (t->out_armed ? EPOLLOUT : 0));
}

/* Before the loop's thread waits inside a call: nothing stays queued. */
static void tcp_flush(struct nvmf_hq *hq)
{
	struct tcp_hq *t = hq->tp;

	if (t && !t->failed && !t->torn)
		flush(t, false);
}

const struct nvmf_host_transport_ops nvmf_host_tcp_ops = {
	.name = "tcp",
	.keyed_sgls = false,
	.ctrl_init = tcp_ctrl_init,
	.ctrl_fini = tcp_ctrl_fini,
	.queue_connect = tcp_queue_connect,
	.queue_teardown = tcp_queue_teardown,
	.ctrl_release = tcp_ctrl_release,
	.submit = tcp_submit,
	.poll = tcp_poll,
	.arm = tcp_arm,
	.flush = tcp_flush,
	.mr_add = tcp_mr_add,
	.mr_del = tcp_mr_del,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-wire-test: a deliberately misbehaving NVMe-oF RDMA host.  It sends
 * bad CM private data and bad command capsules to a target and checks that
 * each gets the reject code or NVMe status the specification (and the
 * kernel target) give, and that a queue with more commands in flight than
 * its size is disconnected.  Synchronous and blocking: it is a test tool.
 *
 * Usage: nvmf-wire-test -a ADDR [-s PORT] -n OPEN_NQN -r RESTRICTED_NQN
 *                       [-c MAX_CONNECTING -t CONNECT_TIMEOUT_S]
 *   OPEN_NQN admits any host; RESTRICTED_NQN must not admit this tool's
 *   host NQN (nqn.2014-08.org.nvmf-lab:wire-test).  With -c and -t, the
 *   target runs with --max-connecting and --connect-timeout set to these
 *   values, and nothing else connects meanwhile: queues that never send a
 *   Connect are refused beyond the limit and disconnected in time.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <rdma/rdma_cma.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "nvme_rdma.h"
#include "nvme_spec.h"

#define HOSTNQN	   "nqn.2014-08.org.nvmf-lab:wire-test"
#define NR_RECV	   8
#define BUF_SIZE   (256 * 1024)
#define TIMEOUT_MS 5000

struct conn {
	struct rdma_event_channel *ec;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	uint8_t *buf; /* [0] SQE + inline, [4096] CQEs, [8192] data */
	uint16_t cid;
	uint16_t cntlid;
};

static const char *addr, *port = "4420", *open_nqn, *restricted_nqn;
static long max_connecting, connect_timeout_s;
static int passed, failed;

static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

static struct rdma_cm_event *cm_wait(struct conn *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->ec->fd, .events = POLLIN };
	struct rdma_cm_event *ev;

	if (poll(&pfd, 1, timeout_ms) != 1 || rdma_get_cm_event(c->ec, &ev))
		return NULL;
	return ev;
}

/* Wait for one CM event of the given type; Return: 0 or -1. */
static int cm_expect(struct conn *c, enum rdma_cm_event_type type)
{
	struct rdma_cm_event *ev = cm_wait(c, TIMEOUT_MS);
	int ok;

	if (!ev)
		return -1;
	ok = ev->event == type;
	if (!ok)
		fprintf(stderr, "  expected %s, got %s\n", rdma_event_str(type),
			rdma_event_str(ev->event));
	rdma_ack_cm_event(ev);
	return ok ? 0 : -1;
}

static void conn_close(struct conn *c)
{
	if (c->id && c->id->qp) {
		rdma_disconnect(c->id);
		rdma_destroy_qp(c->id);
	}
	if (c->mr)
		ibv_dereg_mr(c->mr);
	if (c->cq)
		ibv_destroy_cq(c->cq);
	if (c->pd)
		ibv_dealloc_pd(c->pd);
	if (c->id)
		rdma_destroy_id(c->id);
	if (c->ec)
		rdma_destroy_event_channel(c->ec);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

static int post_recv(struct conn *c, int i)
{
	struct ibv_sge sge = { (uintptr_t)(c->buf + 4096 + i * 16), 16,
			       c->mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = (uint64_t)i,
				  .sg_list = &sge,
				  .num_sge = 1 },
			   *bad;

	return ibv_post_recv(c->id->qp, &wr, &bad);
}

/* Set up a QP and connect with the given private data. */
static int conn_setup(struct conn *c)
{
	struct addrinfo *res;
	struct ibv_qp_init_attr qa = { 0 };
	int i;

	c->ec = rdma_create_event_channel();
	if (!c->ec || rdma_create_id(c->ec, &c->id, c, RDMA_PS_TCP) ||
	    getaddrinfo(addr, port, NULL, &res))
		return -1;
	i = rdma_resolve_addr(c->id, NULL, res->ai_addr, 2000);
	freeaddrinfo(res);
	if (i || cm_expect(c, RDMA_CM_EVENT_ADDR_RESOLVED) ||
	    rdma_resolve_route(c->id, 2000) ||
	    cm_expect(c, RDMA_CM_EVENT_ROUTE_RESOLVED))
		return -1;
	c->cq = ibv_create_cq(c->id->verbs, 64, NULL, NULL, 0);
	c->buf = aligned_alloc(4096, BUF_SIZE);
	if (!c->cq || !c->buf)
		return -1;
	memset(c->buf, 0, BUF_SIZE);
	c->pd = ibv_alloc_pd(c->id->verbs);
	if (!c->pd)
		return -1;
	c->mr = ibv_reg_mr(c->pd, c->buf, BUF_SIZE,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_WRITE);
	if (!c->mr)
		return -1;
	qa.send_cq = qa.recv_cq = c->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = 16;
	qa.cap.max_recv_wr = NR_RECV;
	qa.cap.max_send_sge = qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(c->id, c->pd, &qa))
		return -1;
	for (i = 0; i < NR_RECV; i++)
		if (post_recv(c, i))
			return -1;
	return 0;
}

/*
 * Connect with private data pd (len bytes).  Return: 0 when established,
 * the reject status (> 0) when rejected, -1 on other failures.
 */
static int conn_open(struct conn *c, const void *pd, uint8_t len)
{
	struct rdma_conn_param p = { .private_data = pd,
				     .private_data_len = len,
				     .responder_resources = 16,
				     .initiator_depth = 16,
				     .retry_count = 7,
				     .rnr_retry_count = 7,
				     .flow_control = 1 };
	struct rdma_cm_event *ev;
	int ret = -1;

	if (conn_setup(c) || rdma_connect(c->id, &p))
		return -1;
	ev = cm_wait(c, TIMEOUT_MS);
	if (!ev)
		return -1;
	if (ev->event == RDMA_CM_EVENT_ESTABLISHED) {
		ret = 0;
	} else if (ev->event == RDMA_CM_EVENT_REJECTED &&
		   ev->param.conn.private_data_len >= 4) {
		const struct nvme_rdma_cm_rej *rej =
			ev->param.conn.private_data;

		ret = le16toh(rej->sts);
	} else {
		fprintf(stderr, "  connect: %s\n", rdma_event_str(ev->event));
	}
	rdma_ack_cm_event(ev);
	return ret;
}

static int conn_open_queue(struct conn *c, uint16_t qid, uint16_t depth)
{
	struct nvme_rdma_cm_req req = {
		.qid = htole16(qid),
		.hrqsize = htole16(depth),
		.hsqsize = htole16(depth - 1),
	};

	return conn_open(c, &req, sizeof(req));
}

/*
 * Send one command (plus in-capsule data) and wait for its completion.
 * Return: the CQE status field (without the phase bit), or -1.
 */
static int submit(struct conn *c, union nvme_command *cmd, const void *inl,
		  uint32_t inl_len, uint32_t *dw0)
{
	struct ibv_sge sge = { (uintptr_t)c->buf, 64 + inl_len, c->mr->lkey };
	struct ibv_send_wr wr = { .sg_list = &sge,
				  .num_sge = 1,
				  .opcode = IBV_WR_SEND,
				  .send_flags = IBV_SEND_SIGNALED },
			   *bad;
	struct timespec start, now;
	struct nvme_completion *cqe;
	struct ibv_wc wc;
	int n;

	cmd->common.command_id = ++c->cid;
	memcpy(c->buf, cmd, 64);
	if (inl_len)
		memcpy(c->buf + 64, inl, inl_len);
	if (ibv_post_send(c->id->qp, &wr, &bad))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		n = ibv_poll_cq(c->cq, 1, &wc);
		if (n < 0)
			return -1;
		if (n == 1) {
			if (wc.status != IBV_WC_SUCCESS) {
				fprintf(stderr, "  wc: %s\n",
					ibv_wc_status_str(wc.status));
				return -1;
			}
			if (wc.opcode & IBV_WC_RECV)
				break;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
			    (now.tv_nsec - start.tv_nsec) / 1000000 >
		    TIMEOUT_MS)
			return -1;
	}
	cqe = (struct nvme_completion *)(c->buf + 4096 + wc.wr_id * 16);
	n = le16toh(cqe->status) & ~1;
	if (dw0)
		*dw0 = le32toh(cqe->result.u32);
	if (cqe->command_id != c->cid)
		n = -1;
	post_recv(c, (int)wc.wr_id);
	return n;
}

static void set_keyed(struct conn *c, union nvme_command *cmd, uint32_t len)
{
	cmd->common.flags = NVME_CMD_SGL_METABUF;
	nvme_sgl_set_keyed(&cmd->common.dptr, (uintptr_t)(c->buf + 8192), len,
			   c->mr->rkey, 0);
}

static int connect_cmd(struct conn *c, uint16_t qid, uint16_t sqsize,
		       const char *subnqn, const char *hostnqn, uint16_t cntlid,
		       uint16_t recfmt, uint32_t *dw0)
{
	struct nvmf_connect_data *d = (void *)(c->buf + 8192);
	union nvme_command cmd = { 0 };

	memset(d, 0, sizeof(*d));
	d->cntlid = htole16(cntlid);
	d->hostid[0] = 0x42;
	snprintf(d->subsysnqn, sizeof(d->subsysnqn), "%s", subnqn);
	snprintf(d->hostnqn, sizeof(d->hostnqn), "%s", hostnqn);
	cmd.connect.opcode = nvme_fabrics_command;
	cmd.connect.fctype = nvme_fabrics_type_connect;
	cmd.connect.recfmt = htole16(recfmt);
	cmd.connect.qid = htole16(qid);
	cmd.connect.sqsize = htole16(sqsize);
	cmd.connect.kato = htole32(qid ? 0 : 30000);
	set_keyed(c, &cmd, sizeof(*d));
	return submit(c, &cmd, NULL, 0, dw0);
}

static void expect(const char *what, int got, unsigned int sct, unsigned int sc)
{
	uint16_t want = nvme_status(sct, sc, 1);

	if (got < 0)
		result(false, "%s: no completion", what);
	else
		result((uint16_t)got == want,
		       "%s: status sct %u sc 0x%02x dnr %d (want sct %u sc 0x%02x dnr 1)",
		       what, nvme_status_sct((uint16_t)got),
		       nvme_status_sc((uint16_t)got),
		       nvme_status_dnr((uint16_t)got), sct, sc);
}

/* ---- the cases ------------------------------------------------------------ */

static void cm_cases(void)
{
	struct nvme_rdma_cm_req req = { .hrqsize = htole16(32),
					.hsqsize = htole16(31) };
	struct conn c = { 0 };
	int ret;

	/*
	 * Over RoCE the CM pads private data to 56 bytes: a 4-byte request
	 * reaches the target with hrqsize and hsqsize zeroed.
	 */
	ret = conn_open(&c, &req, 4);
	result(ret == NVME_RDMA_CM_INVALID_LEN ||
		       ret == NVME_RDMA_CM_INVALID_HRQSIZE,
	       "CM private data of 4 bytes: reject status %d (want 1 or 5)",
	       ret);
	conn_close(&c);
	ret = conn_open(&c, NULL, 0);
	result(ret == NVME_RDMA_CM_INVALID_LEN ||
		       ret == NVME_RDMA_CM_INVALID_HRQSIZE,
	       "CM without private data: reject status %d (want 1 or 5)", ret);
	conn_close(&c);

	req.recfmt = htole16(1);
	ret = conn_open(&c, &req, sizeof(req));
	result(ret == NVME_RDMA_CM_INVALID_RECFMT,
	       "CM recfmt 1: reject status %d (want 2)", ret);
	conn_close(&c);

	req.recfmt = 0;
	req.hsqsize = htole16(64);
	ret = conn_open(&c, &req, sizeof(req));
	result(ret == NVME_RDMA_CM_INVALID_HSQSIZE,
	       "CM admin hsqsize 64: reject status %d (want 4)", ret);
	conn_close(&c);
}

static int property_set_cc(struct conn *c, uint32_t cc)
{
	union nvme_command cmd = { 0 };

	cmd.prop_set.opcode = nvme_fabrics_command;
	cmd.prop_set.fctype = nvme_fabrics_type_property_set;
	cmd.prop_set.offset = htole32(NVME_REG_CC);
	cmd.prop_set.value = htole64(cc);
	set_keyed(c, &cmd, 0); /* a null keyed SGL, as the kernel host */
	return submit(c, &cmd, NULL, 0, NULL);
}

static void admin_cases(struct conn *a)
{
	union nvme_command cmd = { 0 };
	uint32_t dw0;
	int st;

	/* a command before Connect */
	cmd.common.opcode = nvme_admin_identify;
	cmd.common.cdw10 = htole32(NVME_ID_CNS_CTRL);
	set_keyed(a, &cmd, 4096);
	expect("Identify before Connect", submit(a, &cmd, NULL, 0, NULL),
	       NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	expect("Connect with recfmt 1",
	       connect_cmd(a, 0, 31, open_nqn, HOSTNQN, 0xffff, 1, NULL),
	       NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_FORMAT);
	expect("Connect to an unknown subsystem",
	       connect_cmd(a, 0, 31, "nqn.2014-08.org.nvmf-lab:nonexistent",
			   HOSTNQN, 0xffff, 0, NULL),
	       NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM);
	expect("Connect from a disallowed host",
	       connect_cmd(a, 0, 31, restricted_nqn, HOSTNQN, 0xffff, 0, NULL),
	       NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_HOST);
	expect("admin Connect with cntlid 5 (not 0xffff)",
	       connect_cmd(a, 0, 31, open_nqn, HOSTNQN, 5, 0, NULL),
	       NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM);
	st = connect_cmd(a, 0, 31, open_nqn, HOSTNQN, 0xffff, 0, &dw0);
	result(st == 0, "admin Connect: status 0x%x, cntlid %u", st,
	       dw0 & 0xffff);
	a->cntlid = dw0 & 0xffff;

	memset(&cmd, 0, sizeof(cmd));
	cmd.common.opcode = 0xc1;
	set_keyed(a, &cmd, 0);
	expect("unknown admin opcode 0xc1", submit(a, &cmd, NULL, 0, NULL),
	       NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	memset(&cmd, 0, sizeof(cmd));
	cmd.fabrics.opcode = nvme_fabrics_command;
	cmd.fabrics.fctype = 0x05;
	set_keyed(a, &cmd, 0);
	expect("unknown fabrics type 0x05", submit(a, &cmd, NULL, 0, NULL),
	       NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	memset(&cmd, 0, sizeof(cmd));
	cmd.common.opcode = nvme_admin_identify;
	cmd.common.cdw10 = htole32(NVME_ID_CNS_CTRL);
	set_keyed(a, &cmd, 4096);
	cmd.common.dptr.sgl.type = 0x20; /* SGL segment: not supported */
	expect("Identify with SGL type 0x20", submit(a, &cmd, NULL, 0, NULL),
	       NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE);
	memset(&cmd, 0, sizeof(cmd));
	cmd.prop_set.opcode = nvme_fabrics_command;
	cmd.prop_set.fctype = nvme_fabrics_type_property_set;
	cmd.prop_set.offset = htole32(NVME_REG_CSTS);
	cmd.prop_set.value = htole64(1);
	set_keyed(a, &cmd, 0);
	expect("Property Set of CSTS (read-only)",
	       submit(a, &cmd, NULL, 0, NULL), NVME_SCT_GENERIC,
	       NVME_SC_INVALID_FIELD);
	/* enable: IOSQES 6, IOCQES 4 */
	st = property_set_cc(a, NVME_CC_EN | 6u << NVME_CC_IOSQES_SHIFT |
					4u << NVME_CC_IOCQES_SHIFT);
	result(st == 0, "Property Set CC.EN: status 0x%x", st);
}

/* A Write of blocks at slba (away from the kernel host's area). */
static void write_inline(union nvme_command *cmd, uint16_t blocks, uint64_t off,
			 uint32_t len)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->rw.opcode = nvme_cmd_write;
	cmd->rw.flags = NVME_CMD_SGL_METABUF;
	cmd->rw.nsid = htole32(1);
	cmd->rw.slba = htole64(200000);
	cmd->rw.length = htole16(blocks - 1);
	cmd->common.dptr.sgl.addr = htole64(off);
	cmd->common.dptr.sgl.length = htole32(len);
	cmd->common.dptr.sgl.type = NVME_SGL_TYPE_INLINE;
}

/*
 * In-capsule data described beyond what the capsule holds: the target
 * must not take the data from elsewhere in its memory.
 */
static void inline_cases(struct conn *q)
{
	static uint8_t data[4096];
	union nvme_command cmd;

	/* offset + length wraps around 2^64 to 256 */
	write_inline(&cmd, 1, ~0ull - 255, 512);
	expect("Write with in-capsule offset 2^64-256 (wraps)",
	       submit(q, &cmd, data, 512, NULL), NVME_SCT_GENERIC,
	       NVME_SC_SGL_INVALID_OFFSET);
	write_inline(&cmd, 1, 8192, 512);
	expect("Write with in-capsule offset 8192 (beyond 4 KiB)",
	       submit(q, &cmd, data, 512, NULL), NVME_SCT_GENERIC,
	       NVME_SC_SGL_INVALID_OFFSET);
	/* the SGL says 4 KiB in the capsule; 512 bytes came */
	write_inline(&cmd, 8, 0, 4096);
	expect("Write of 4 KiB in a capsule carrying 512 bytes",
	       submit(q, &cmd, data, 512, NULL), NVME_SCT_GENERIC,
	       NVME_SC_SGL_INVALID_DATA);
}

static void io_cases(struct conn *a)
{
	union nvme_command cmd = { 0 };
	struct conn q = { 0 };
	int st;

	if (conn_open_queue(&q, 1, 32)) {
		result(false, "I/O queue CM connect");
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.rw.opcode = nvme_cmd_read;
	cmd.rw.nsid = htole32(1);
	set_keyed(&q, &cmd, 4096);
	expect("Read before the I/O queue's Connect",
	       submit(&q, &cmd, NULL, 0, NULL), NVME_SCT_GENERIC,
	       NVME_SC_INVALID_OPCODE);
	expect("I/O queue Connect with a wrong cntlid",
	       connect_cmd(&q, 1, 31, open_nqn, HOSTNQN, a->cntlid + 100, 0,
			   NULL),
	       NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM);
	st = connect_cmd(&q, 1, 31, open_nqn, HOSTNQN, a->cntlid, 0, NULL);
	result(st == 0, "I/O queue Connect: status 0x%x", st);
	inline_cases(&q);

	/* 4096 blocks of at least 512 bytes: 2 MiB, above MDTS (1 MiB) */
	memset(&cmd, 0, sizeof(cmd));
	cmd.rw.opcode = nvme_cmd_read;
	cmd.rw.nsid = htole32(1);
	cmd.rw.length = htole16(4095);
	set_keyed(&q, &cmd, 2048 * 1024 - 8192);
	expect("Read of 4096 blocks (above MDTS)",
	       submit(&q, &cmd, NULL, 0, NULL), NVME_SCT_GENERIC,
	       NVME_SC_INVALID_FIELD);
	memset(&cmd, 0, sizeof(cmd));
	cmd.rw.opcode = nvme_cmd_read;
	cmd.rw.nsid = htole32(1);
	cmd.rw.slba = htole64(1ull << 40);
	set_keyed(&q, &cmd, 4096);
	expect("Read beyond the namespace", submit(&q, &cmd, NULL, 0, NULL),
	       NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
	memset(&cmd, 0, sizeof(cmd));
	cmd.rw.opcode = 0x7e;
	cmd.rw.nsid = htole32(1);
	set_keyed(&q, &cmd, 0);
	expect("unknown I/O opcode 0x7e", submit(&q, &cmd, NULL, 0, NULL),
	       NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	memset(&cmd, 0, sizeof(cmd));
	cmd.rw.opcode = nvme_cmd_read;
	cmd.rw.nsid = htole32(77);
	set_keyed(&q, &cmd, 4096);
	expect("Read of an unknown namespace", submit(&q, &cmd, NULL, 0, NULL),
	       NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	memset(&cmd, 0, sizeof(cmd));
	cmd.rw.opcode = nvme_cmd_read;
	cmd.rw.nsid = htole32(1);
	set_keyed(&q, &cmd, 100); /* not the command's transfer size */
	expect("Read whose SGL length differs from the transfer",
	       submit(&q, &cmd, NULL, 0, NULL), NVME_SCT_GENERIC,
	       NVME_SC_SGL_INVALID_DATA);
	memset(&cmd, 0, sizeof(cmd));
	cmd.rw.opcode = nvme_cmd_read;
	cmd.rw.nsid = htole32(1);
	set_keyed(&q, &cmd, 0);
	cmd.rw.length = 0;
	st = submit(&q, &cmd, NULL, 0, NULL);
	expect("Read with a zero-length SGL", st, NVME_SCT_GENERIC,
	       NVME_SC_SGL_INVALID_DATA);
	conn_close(&q);
}

/*
 * More commands in flight than the queue's size: three Asynchronous Event
 * Requests (which stay outstanding) on an admin queue of two.  The
 * target's shared receive buffers are sized for the queues' sizes, and
 * other hosts count on them: it must disconnect this queue.
 */
static void overrun_case(void)
{
	struct ibv_sge sge = { 0 };
	struct ibv_send_wr wr = { .sg_list = &sge,
				  .num_sge = 1,
				  .opcode = IBV_WR_SEND },
			   *bad;
	union nvme_command *cmd;
	struct rdma_cm_event *ev;
	struct conn c = { 0 };
	bool gone = false;
	int i, st;

	if (conn_open_queue(&c, 0, 2)) {
		result(false, "admin queue of 2: CM connect");
		conn_close(&c);
		return;
	}
	st = connect_cmd(&c, 0, 1, open_nqn, HOSTNQN, 0xffff, 0, NULL);
	if (st) {
		result(false, "admin queue of 2: Connect: status 0x%x", st);
		conn_close(&c);
		return;
	}
	/* one capsule each, sent back to back without waiting */
	for (i = 0; i < 3; i++) {
		cmd = (union nvme_command *)(c.buf + 16384 + i * 64);
		memset(cmd, 0, sizeof(*cmd));
		cmd->common.opcode = nvme_admin_async_event;
		cmd->common.command_id = ++c.cid;
		set_keyed(&c, cmd, 0); /* no data */
		sge = (struct ibv_sge){ (uintptr_t)cmd, 64, c.mr->lkey };
		if (ibv_post_send(c.id->qp, &wr, &bad))
			break;
	}
	while (!gone && (ev = cm_wait(&c, TIMEOUT_MS))) {
		gone = ev->event == RDMA_CM_EVENT_DISCONNECTED;
		rdma_ack_cm_event(ev);
	}
	result(i == 3 && gone,
	       "3 Asynchronous Event Requests on an admin queue of 2: "
	       "%s",
	       gone ? "disconnected by the target" :
		      "still connected after 5 s");
	conn_close(&c);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Queues that never send a Connect: at most max_connecting at a time, and
 * each disconnected by the target connect_timeout_s after it came in.
 */
static void admit_cases(void)
{
	struct nvme_rdma_cm_req req = { .hrqsize = htole16(32),
					.hsqsize = htole16(31) };
	struct conn *c = calloc((size_t)max_connecting + 1, sizeof(*c));
	struct rdma_cm_event *ev;
	double start, first = 0, last = 0;
	int i, ret, open = 0, gone = 0;

	start = now_s();
	for (i = 0; i < max_connecting; i++)
		open += conn_open(&c[i], &req, sizeof(req)) == 0;
	result(open == max_connecting,
	       "%d queues without a Connect: %d established (want all)",
	       (int)max_connecting, open);
	ret = conn_open(&c[max_connecting], &req, sizeof(req));
	result(ret == NVME_RDMA_CM_NO_RSC,
	       "one more without a Connect: reject status %d (want 6)", ret);
	conn_close(&c[max_connecting]);
	/* the target disconnects each at its deadline, not before */
	for (i = 0; i < max_connecting; i++) {
		if (!c[i].ec)
			continue;
		ev = cm_wait(&c[i], (int)(connect_timeout_s * 1000) + 20000);
		if (!ev)
			continue;
		if (ev->event == RDMA_CM_EVENT_DISCONNECTED) {
			last = now_s() - start;
			if (!gone++)
				first = last;
		}
		rdma_ack_cm_event(ev);
	}
	result(gone == max_connecting && first >= connect_timeout_s - 0.5,
	       "disconnected by the target: %d of %d, %.1f-%.1f s after "
	       "they came in (want all, after %ld s)",
	       gone, (int)max_connecting, first, last, connect_timeout_s);
	for (i = 0; i <= max_connecting; i++)
		conn_close(&c[i]);
	/*
	 * Each counts until its release, some milliseconds after its
	 * disconnect (its buffers are freed on its worker first): refused
	 * meanwhile with status 6, which a host retries.
	 */
	start = now_s();
	while ((ret = conn_open(&c[0], &req, sizeof(req))) ==
		       NVME_RDMA_CM_NO_RSC &&
	       now_s() - start < 5) {
		conn_close(&c[0]);
		usleep(50 * 1000);
	}
	result(ret == 0,
	       "a new queue after they went: %s %.2f s after the "
	       "disconnects (want established within 5 s)",
	       ret ? "refused" : "established", now_s() - start);
	conn_close(&c[0]);
	free(c);
}

int main(int argc, char **argv)
{
	struct conn a = { 0 };
	int c;

	while ((c = getopt(argc, argv, "a:s:n:r:c:t:h")) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 's':
			port = optarg;
			break;
		case 'n':
			open_nqn = optarg;
			break;
		case 'r':
			restricted_nqn = optarg;
			break;
		case 'c':
			max_connecting = strtol(optarg, NULL, 0);
			break;
		case 't':
			connect_timeout_s = strtol(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: nvmf-wire-test -a ADDR [-s PORT] "
				"-n OPEN_NQN -r RESTRICTED_NQN "
				"[-c MAX_CONNECTING -t CONNECT_TIMEOUT_S]\n");
			return c == 'h' ? NVMF_EXIT_OK : NVMF_EXIT_USAGE;
		}
	}
	if (!addr || !open_nqn || !restricted_nqn) {
		fprintf(stderr, "nvmf-wire-test: -a, -n and -r are required\n");
		return NVMF_EXIT_USAGE;
	}
	cm_cases();
	if (conn_open_queue(&a, 0, 32)) {
		result(false, "admin queue CM connect");
	} else {
		admin_cases(&a);
		io_cases(&a);
	}
	conn_close(&a);
	overrun_case();
	if (max_connecting > 0 && max_connecting < 1000 &&
	    connect_timeout_s > 0)
		admit_cases();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? NVMF_EXIT_FAILURE : NVMF_EXIT_OK;
}

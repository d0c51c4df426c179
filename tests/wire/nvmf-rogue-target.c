// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-rogue-target: a target that keeps the rkeys a host gave it.  It
 * accepts one admin queue and answers the host's first commands as a
 * target would, then uses the rkey of a command the host has seen
 * complete (the host sent its next command): an RDMA READ of the Connect
 * data (-m read) or an RDMA WRITE into the Identify buffer (-m write).
 * The same access with the command's rkey while it was outstanding must
 * succeed (the control).  A host that opens its memory per request
 * refuses the stale access (a remote access error); a host that keeps
 * its buffers registered for remote access lets it through.
 * Synchronous and blocking: it is a test tool.
 *
 * Usage: nvmf-rogue-target -a ADDR [-s PORT] -m read|write
 *                          -e refused|accepted
 * Exit: 0 when the stale access had the expected outcome, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <rdma/rdma_cma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvme_rdma.h"
#include "nvme_spec.h"

#define NR_RECV	   32
#define CAPSULE	   64
#define DATA_SIZE  4096
#define TIMEOUT_MS 10000
#define WR_RECV	   (1ull << 32)

struct rogue {
	struct rdma_event_channel *ec;
	struct rdma_cm_id *listen, *id;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	/* [0, NR_RECV * CAPSULE) capsules, then a CQE, then the data buffer */
	uint8_t *buf;
	bool cc_en;
};

static uint8_t *cqe_buf(struct rogue *r)
{
	return r->buf + NR_RECV * CAPSULE;
}

static uint8_t *data_buf(struct rogue *r)
{
	return r->buf + NR_RECV * CAPSULE + 64;
}

static void die(const char *what)
{
	fprintf(stderr, "nvmf-rogue-target: %s: %s\n", what, strerror(errno));
	exit(2);
}

static struct rdma_cm_event *cm_wait(struct rogue *r,
				     enum rdma_cm_event_type type)
{
	struct pollfd pfd = { .fd = r->ec->fd, .events = POLLIN };
	struct rdma_cm_event *ev = NULL;

	if (poll(&pfd, 1, 120000) != 1 || rdma_get_cm_event(r->ec, &ev))
		die("waiting for a CM event");
	if (ev->event != type) {
		fprintf(stderr, "nvmf-rogue-target: expected %s, got %s\n",
			rdma_event_str(type), rdma_event_str(ev->event));
		exit(2);
	}
	return ev;
}

static void post_recv(struct rogue *r, uint32_t i)
{
	struct ibv_sge sge = { (uintptr_t)(r->buf + i * CAPSULE), CAPSULE,
			       r->mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = WR_RECV | i,
				  .sg_list = &sge,
				  .num_sge = 1 },
			   *bad;

	if (ibv_post_recv(r->id->qp, &wr, &bad))
		die("ibv_post_recv");
}

/* Wait for the completion of wr_id (receives: any).  Return: its status. */
static enum ibv_wc_status wait_wc(struct rogue *r, uint64_t wr_id,
				  uint32_t *recv_slot)
{
	struct timespec ms = { 0, 1000000 };
	struct ibv_wc wc;
	int n, waited = 0;

	while (waited < TIMEOUT_MS) {
		n = ibv_poll_cq(r->cq, 1, &wc);
		if (n < 0)
			die("ibv_poll_cq");
		if (!n) {
			nanosleep(&ms, NULL);
			waited++;
			continue;
		}
		if (wr_id == WR_RECV && (wc.wr_id & WR_RECV)) {
			*recv_slot = (uint32_t)wc.wr_id;
			return wc.status;
		}
		if (wc.wr_id == wr_id)
			return wc.status;
		if (wc.status != IBV_WC_SUCCESS) {
			fprintf(stderr,
				"nvmf-rogue-target: completion %#llx: %s\n",
				(unsigned long long)wc.wr_id,
				ibv_wc_status_str(wc.status));
			exit(2);
		}
	}
	fprintf(stderr, "nvmf-rogue-target: no completion in %d ms\n",
		TIMEOUT_MS);
	exit(2);
}

static enum ibv_wc_status rdma_op(struct rogue *r, enum ibv_wr_opcode op,
				  uint64_t addr, uint32_t key, uint32_t len)
{
	static uint64_t seq = 1;
	struct ibv_sge sge = { (uintptr_t)data_buf(r), len, r->mr->lkey };
	struct ibv_send_wr wr = { .wr_id = seq++,
				  .sg_list = &sge,
				  .num_sge = 1,
				  .opcode = op,
				  .send_flags = IBV_SEND_SIGNALED },
			   *bad;

	wr.wr.rdma.remote_addr = addr;
	wr.wr.rdma.rkey = key;
	if (ibv_post_send(r->id->qp, &wr, &bad))
		die("ibv_post_send (RDMA)");
	return wait_wc(r, wr.wr_id, NULL);
}

static void respond(struct rogue *r, uint16_t cid, uint64_t result)
{
	struct nvme_completion *cqe = (void *)cqe_buf(r);
	struct ibv_sge sge = { (uintptr_t)cqe, sizeof(*cqe), r->mr->lkey };
	struct ibv_send_wr wr = { .wr_id = 0x5e4d,
				  .sg_list = &sge,
				  .num_sge = 1,
				  .opcode = IBV_WR_SEND,
				  .send_flags = IBV_SEND_SIGNALED },
			   *bad;

	memset(cqe, 0, sizeof(*cqe));
	cqe->result.u64 = htole64(result);
	cqe->command_id = cid;
	if (ibv_post_send(r->id->qp, &wr, &bad))
		die("ibv_post_send (response)");
	if (wait_wc(r, wr.wr_id, NULL) != IBV_WC_SUCCESS) {
		fprintf(stderr, "nvmf-rogue-target: response not sent\n");
		exit(2);
	}
}

/* Identify Controller data the host accepts (it goes on to its next step). */
static void id_ctrl(uint8_t *b)
{
	static const char nqn[] = "nqn.2014-08.org.nvmf-lab:rogue";

	memset(b, 0, DATA_SIZE);
	memcpy(b + 4, "ROGU", 4);
	memcpy(b + 24, "rogue target", 12);
	memcpy(b + 64, "1.0 ", 4);
	b[77] = 5;
	b[78] = 1;
	b[81] = 0x03, b[82] = 0x01;
	b[111] = 1;
	b[259] = 3;
	b[512] = 0x66, b[513] = 0x44;
	b[514] = 32;
	b[516] = 1;
	b[536] = 0x05, b[538] = 0x10;
	memcpy(b + 768, nqn, sizeof(nqn));
	b[1792] = 4, b[1796] = 1, b[1803] = 1;
}

static void accept_admin_queue(struct rogue *r, const char *addr,
			       const char *port)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE }, *res;
	struct ibv_qp_init_attr qa = { 0 };
	struct nvme_rdma_cm_rep rep = { 0 };
	struct rdma_conn_param p = { .private_data = &rep,
				     .private_data_len = sizeof(rep),
				     .responder_resources = 16,
				     .initiator_depth = 16,
				     .rnr_retry_count = 7 };
	struct rdma_cm_event *ev;
	const struct nvme_rdma_cm_req *req;
	uint32_t i;

	r->ec = rdma_create_event_channel();
	if (!r->ec || rdma_create_id(r->ec, &r->listen, r, RDMA_PS_TCP))
		die("rdma_create_id");
	if (getaddrinfo(addr, port, &hints, &res))
		die("getaddrinfo");
	if (rdma_bind_addr(r->listen, res->ai_addr) ||
	    rdma_listen(r->listen, 4))
		die("rdma_bind_addr/rdma_listen");
	freeaddrinfo(res);
	printf("listening on %s:%s\n", addr, port);
	fflush(stdout);
	ev = cm_wait(r, RDMA_CM_EVENT_CONNECT_REQUEST);
	r->id = ev->id;
	req = ev->param.conn.private_data;
	if (ev->param.conn.private_data_len < sizeof(*req) || req->qid) {
		fprintf(stderr, "nvmf-rogue-target: not an admin queue\n");
		exit(2);
	}
	rep.crqsize = req->hrqsize;
	r->pd = ibv_alloc_pd(r->id->verbs);
	r->cq = ibv_create_cq(r->id->verbs, 128, NULL, NULL, 0);
	r->buf = aligned_alloc(4096, 2 * DATA_SIZE + NR_RECV * CAPSULE);
	if (!r->pd || !r->cq || !r->buf)
		die("verbs objects");
	r->mr = ibv_reg_mr(r->pd, r->buf, 2 * DATA_SIZE + NR_RECV * CAPSULE,
			   IBV_ACCESS_LOCAL_WRITE);
	if (!r->mr)
		die("ibv_reg_mr");
	qa.send_cq = qa.recv_cq = r->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = 16;
	qa.cap.max_recv_wr = NR_RECV;
	qa.cap.max_send_sge = qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(r->id, r->pd, &qa))
		die("rdma_create_qp");
	for (i = 0; i < NR_RECV; i++)
		post_recv(r, i);
	if (rdma_accept(r->id, &p))
		die("rdma_accept");
	rdma_ack_cm_event(ev);
	rdma_ack_cm_event(cm_wait(r, RDMA_CM_EVENT_ESTABLISHED));
	printf("admin queue established\n");
}

struct stale {
	bool set;
	enum ibv_wr_opcode op;
	uint64_t addr;
	uint32_t key, len;
	const char *what;
};

/* Answer one command; remember the data descriptor the test is about. */
static void answer(struct rogue *r, const union nvme_command *cmd,
		   bool write_mode, struct stale *st)
{
	const struct nvme_keyed_sgl_desc *k = &cmd->common.dptr.ksgl;
	uint64_t addr = le64toh(k->addr), result = 0;
	uint32_t key = nvme_sgl_keyed_key(k), len = nvme_sgl_keyed_len(k);
	uint32_t cdw10 = le32toh(cmd->common.cdw10);
	uint32_t cdw11 = le32toh(cmd->common.cdw11);
	enum ibv_wc_status s;

	if (cmd->common.opcode == 0x7f && cmd->fabrics.fctype == 0x01) {
		/* Connect: read the host's data, as any target does */
		if (len > DATA_SIZE)
			len = DATA_SIZE;
		s = rdma_op(r, IBV_WR_RDMA_READ, addr, key, len);
		printf("Connect data: RDMA READ of %u bytes with rkey 0x%x "
		       "while outstanding: %s\n",
		       len, key, ibv_wc_status_str(s));
		if (s != IBV_WC_SUCCESS)
			exit(1); /* the control failed */
		if (!write_mode)
			*st = (struct stale){ true, IBV_WR_RDMA_READ, addr, key,
					      len,  "Connect data" };
		result = 1; /* cntlid */
	} else if (cmd->common.opcode == 0x7f && cmd->fabrics.fctype == 0x04) {
		if (cdw11 == 0x00)
			result = 31 | 1 << 16 | 20 << 24 | 1ull << 37;
		else if (cdw11 == 0x08)
			result = 0x10300;
		else if (cdw11 == 0x1c)
			result = r->cc_en;
	} else if (cmd->common.opcode == 0x7f && cmd->fabrics.fctype == 0x00) {
		if (cdw11 == 0x14)
			r->cc_en = le64toh(cmd->prop_set.value) & 1;
	} else if (cmd->common.opcode == 0x06 && (cdw10 & 0xff) == 1) {
		if (len > DATA_SIZE)
			len = DATA_SIZE;
		id_ctrl(data_buf(r));
		s = rdma_op(r, IBV_WR_RDMA_WRITE, addr, key, len);
		printf("Identify: RDMA WRITE of %u bytes with rkey 0x%x while "
		       "outstanding: %s\n",
		       len, key, ibv_wc_status_str(s));
		if (s != IBV_WC_SUCCESS)
			exit(1);
		if (write_mode)
			*st = (struct stale){ true, IBV_WR_RDMA_WRITE,
					      addr, key,
					      len,  "Identify buffer" };
	}
	respond(r, cmd->common.command_id, result);
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *port = "4420", *mode = NULL, *expect = NULL;
	struct rogue r = { 0 };
	struct stale st = { 0 };
	enum ibv_wc_status s;
	bool refused;
	uint32_t slot;
	int opt;

	while ((opt = getopt(argc, argv, "a:s:m:e:h")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 's':
			port = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'e':
			expect = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: nvmf-rogue-target -a ADDR [-s PORT] "
				"-m read|write -e refused|accepted\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!addr || !mode || !expect ||
	    (strcmp(mode, "read") && strcmp(mode, "write")) ||
	    (strcmp(expect, "refused") && strcmp(expect, "accepted"))) {
		fprintf(stderr, "nvmf-rogue-target: -a, -m read|write and "
				"-e refused|accepted are needed\n");
		return 2;
	}
	accept_admin_queue(&r, addr, port);
	for (;;) {
		union nvme_command cmd;

		if (wait_wc(&r, WR_RECV, &slot) != IBV_WC_SUCCESS) {
			fprintf(stderr, "nvmf-rogue-target: receive failed\n");
			return 2;
		}
		memcpy(&cmd, r.buf + slot * CAPSULE, sizeof(cmd));
		post_recv(&r, slot);
		if (st.set)
			break; /* the host has seen the response */
		answer(&r, &cmd, !strcmp(mode, "write"), &st);
	}
	/* the host sent its next command: the old command is complete */
	memset(data_buf(&r), 0xee, DATA_SIZE);
	s = rdma_op(&r, st.op, st.addr, st.key, st.len);
	refused = s != IBV_WC_SUCCESS;
	printf("%s: RDMA %s with rkey 0x%x after its command completed: %s "
	       "(%s)\n",
	       st.what, st.op == IBV_WR_RDMA_READ ? "READ" : "WRITE", st.key,
	       refused ? "refused" : "ACCEPTED", ibv_wc_status_str(s));
	/* leave the host to notice the broken queue; exit without cleanup */
	if (refused == !strcmp(expect, "refused")) {
		printf("result: as expected (%s)\n", expect);
		return 0;
	}
	printf("result: FAIL: expected %s\n", expect);
	return 1;
}

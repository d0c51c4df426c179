// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt's transport-neutral core, driven through a fake transport:
 * Connect rules, properties, Identify, log pages, cntlid allocation and
 * I/O command checks - everything a host sees apart from the RDMA wire.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "nvmet.h"

#define OPEN   "nqn.2014-08.org.test:open"
#define CLOSED "nqn.2014-08.org.test:closed"
#define HOST   "nqn.2014-08.org.test:host"

struct fixture {
	struct nvmet_tgt tgt;
	struct nvmf_cfg *cfg;
	struct nvmet_worker worker;
	char img[64];
};

static int completions;
static void fake_response(struct nvmet_req *req)
{
	(void)req;
	completions++;
}

static int disconnects;
static void fake_disconnect(struct nvmet_sq *sq)
{
	(void)sq;
	disconnects++;
}

static int listens, stop_listens;
static int fake_listen(struct nvmet_port *port)
{
	(void)port;
	listens++;
	return 0;
}

static void fake_stop_listen(struct nvmet_port *port)
{
	(void)port;
	stop_listens++;
}

static void fake_disc_tsas(union nvmf_tsas *tsas)
{
	tsas->rdma.qptype = NVMF_RDMA_QPTYPE_CONNECTED;
	tsas->rdma.cms = NVMF_RDMA_CMS_RDMA_CM;
}

static bool fake_idle(void)
{
	return disconnects > 0;
}

/* the fixture's transport: its ports are rdma's */
static const struct nvmet_transport_ops fake_ops = {
	.name = "fake",
	.trtype = NVMF_TRTYPE_RDMA,
	.idle = fake_idle,
	.disc_tsas = fake_disc_tsas,
	.listen = fake_listen,
	.stop_listen = fake_stop_listen,
	.queue_response = fake_response,
	.disconnect_queue = fake_disconnect,
};

static const struct nvmet_transport_ops *const fake_transports[] = { &fake_ops,
								     NULL };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char doc[2048], err[256];
	int fd;

	strcpy(f->img, "/tmp/nvmet-core-XXXXXX");
	fd = mkstemp(f->img);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 << 20), 0); /* 1024 blocks of 4K */
	close(fd);
	snprintf(doc, sizeof(doc),
		 "{\"hosts\":[{\"nqn\":\"nqn.2014-08.org.test:other\"}],"
		 "\"subsystems\":[{\"nqn\":\"" OPEN "\",\"attr\":{"
		 "\"allow_any_host\":\"1\",\"cntlid_min\":\"10\","
		 "\"cntlid_max\":\"12\",\"serial\":\"SN1\"},\"namespaces\":["
		 "{\"nsid\":3,\"enable\":1,\"device\":{\"path\":\"%s\"}},"
		 "{\"nsid\":1,\"enable\":1,\"device\":{\"path\":\"%s\"}},"
		 "{\"nsid\":2,\"enable\":0,\"device\":{\"path\":\"\"}}]},"
		 "{\"nqn\":\"" CLOSED "\",\"allowed_hosts\":["
		 "\"nqn.2014-08.org.test:other\"]}],"
		 "\"ports\":[{\"portid\":7,\"addr\":{\"trtype\":\"rdma\","
		 "\"adrfam\":\"ipv4\",\"traddr\":\"10.0.0.1\",\"trsvcid\":"
		 "\"4420\"},\"subsystems\":[\"" OPEN "\",\"" CLOSED "\"]},"
		 "{\"portid\":8,\"addr\":{\"trtype\":\"rdma\","
		 "\"adrfam\":\"ipv4\",\"traddr\":\"10.0.0.1\",\"trsvcid\":"
		 "\"4421\"},\"subsystems\":[\"" OPEN "\"]}]}",
		 f->img, f->img);
	assert_int_equal(nvmf_cfg_parse(doc, "t", &f->cfg, err, sizeof(err)),
			 0);
	if (nvmet_tgt_build(&f->tgt, f->cfg, err, sizeof(err)))
		fail_msg("build: %s", err);
	f->tgt.transports = fake_transports;
	f->worker.loop = nvmf_loop_create();
	f->worker.tgt = &f->tgt;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nvmet_tgt_release(&f->tgt);
	nvmf_cfg_free(f->cfg);
	nvmf_loop_destroy(f->worker.loop);
	unlink(f->img);
	free(f);
	return 0;
}

/* A request with its own command, completion and data buffer. */
struct treq {
	struct nvmet_req req;
	union nvme_command cmd;
	struct nvme_completion cqe;
	uint8_t data[8192];
};

static void sq_init(struct fixture *f, struct nvmet_sq *sq, uint16_t qid)
{
	memset(sq, 0, sizeof(*sq));
	nvmet_sq_init(sq);
	sq->port = TAILQ_FIRST(&f->tgt.ports);
	sq->worker = &f->worker;
	sq->ops = &fake_ops;
	sq->qid = qid;
	sq->size = qid ? 128 : 32;
	strcpy(sq->log_prefix, "test");
}

/* Run a command; return its status (the data stays in t->data). */
static uint16_t run(struct nvmet_sq *sq, struct treq *t)
{
	uint16_t st;
	int before = completions;

	t->req.cmd = &t->cmd;
	t->req.cqe = &t->cqe;
	st = nvmet_req_init(&t->req, sq);
	if (st) {
		nvmet_req_complete(&t->req, st);
	} else {
		t->req.data = t->data;
		nvmet_req_execute(&t->req);
	}
	assert_int_equal(completions, before + 1);
	return le16toh(t->cqe.status);
}

static uint16_t do_connect(struct nvmet_sq *sq, const char *subnqn,
			   const char *hostnqn, uint16_t cntlid,
			   uint16_t sqsize, uint16_t *result)
{
	struct treq t = { 0 };
	struct nvmf_connect_data *d = (void *)t.data;
	uint16_t st;

	t.cmd.connect.opcode = nvme_fabrics_command;
	t.cmd.connect.fctype = nvme_fabrics_type_connect;
	t.cmd.connect.qid = htole16(sq->qid);
	t.cmd.connect.sqsize = htole16(sqsize);
	t.cmd.connect.kato = htole32(sq->qid ? 0 : 5000);
	t.req.cmd = &t.cmd;
	t.req.cqe = &t.cqe;
	st = nvmet_req_init(&t.req, sq);
	if (st)
		return st;
	assert_int_equal(t.req.data_len, 1024);
	assert_int_equal(t.req.dir, NVMET_DATA_TO_CTRL);
	d->cntlid = htole16(cntlid);
	strcpy(d->subsysnqn, subnqn);
	strcpy(d->hostnqn, hostnqn);
	t.req.data = d;
	nvmet_req_execute(&t.req);
	if (result)
		*result = le16toh(t.cqe.result.u16);
	return le16toh(t.cqe.status);
}

#define ST(sct, sc) nvme_status(sct, sc, 1)

static void test_connect_rules(void **state)
{
	struct fixture *f = *state;
	struct nvmet_sq sq;
	uint16_t cntlid;

	sq_init(f, &sq, 0);
	assert_int_equal(do_connect(&sq, OPEN, HOST, 5, 31, NULL),
			 ST(NVME_SCT_CMD_SPECIFIC,
			    NVME_SC_CONNECT_INVALID_PARAM));
	assert_int_equal(do_connect(&sq, "nqn.2014-08.org.test:none", HOST,
				    0xffff, 31, NULL),
			 ST(NVME_SCT_CMD_SPECIFIC,
			    NVME_SC_CONNECT_INVALID_PARAM));
	assert_int_equal(do_connect(&sq, CLOSED, HOST, 0xffff, 31, NULL),
			 ST(NVME_SCT_CMD_SPECIFIC,
			    NVME_SC_CONNECT_INVALID_HOST));
	assert_int_equal(do_connect(&sq, OPEN, HOST, 0xffff, 0, NULL),
			 ST(NVME_SCT_CMD_SPECIFIC,
			    NVME_SC_CONNECT_INVALID_PARAM));
	assert_int_equal(do_connect(&sq, OPEN, HOST, 0xffff, 31, &cntlid), 0);
	assert_int_equal(cntlid, 10); /* cntlid_min */
	assert_non_null(sq.ctrl);
	/* a second Connect on the same queue is a sequence error */
	assert_int_equal(do_connect(&sq, OPEN, HOST, 0xffff, 31, NULL),
			 ST(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR));
	nvmet_ctrl_remove_sq(sq.ctrl, &sq);
	nvmet_ctrl_put(sq.ctrl);
}

static uint16_t prop_set(struct nvmet_sq *sq, uint32_t off, uint64_t val);

/* Parse a Connect now, execute it later (its data came by RDMA READ). */
static void connect_init(struct nvmet_sq *sq, struct treq *t,
			 const char *subnqn, uint16_t cntlid)
{
	struct nvmf_connect_data *d = (void *)t->data;

	t->cmd.connect.opcode = nvme_fabrics_command;
	t->cmd.connect.fctype = nvme_fabrics_type_connect;
	t->cmd.connect.qid = htole16(sq->qid);
	t->cmd.connect.sqsize = htole16(31);
	t->cmd.connect.kato = htole32(sq->qid ? 0 : 5000);
	t->req.cmd = &t->cmd;
	t->req.cqe = &t->cqe;
	assert_int_equal(nvmet_req_init(&t->req, sq), 0);
	d->cntlid = htole16(cntlid);
	strcpy(d->subsysnqn, subnqn);
	strcpy(d->hostnqn, HOST);
	t->req.data = d;
}

/*
 * Two Connects pipelined on one queue: both pass the parse-time check;
 * the second must fail when it executes and leave the first controller
 * on the queue (it replaced it before: a use after free later, when the
 * first controller's keep-alive expired).
 */
static void test_pipelined_connects(void **state)
{
	struct fixture *f = *state;
	struct treq *t = calloc(4, sizeof(*t));
	struct nvmet_sq asq, iosq;
	struct nvmet_ctrl *first;
	uint16_t cntlid;

	sq_init(f, &asq, 0);
	connect_init(&asq, &t[0], OPEN, 0xffff);
	connect_init(&asq, &t[1], OPEN, 0xffff);
	nvmet_req_execute(&t[0].req);
	assert_int_equal(le16toh(t[0].cqe.status), 0);
	first = asq.ctrl;
	assert_non_null(first);
	cntlid = le16toh(t[0].cqe.result.u16);
	nvmet_req_execute(&t[1].req);
	assert_int_equal(le16toh(t[1].cqe.status),
			 ST(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR));
	assert_ptr_equal(asq.ctrl, first);
	assert_ptr_equal(first->sqs[0], &asq);
	assert_int_equal(atomic_load(&first->refs), 1);

	/* the same on an I/O queue (the controller enabled first) */
	assert_int_equal(prop_set(&asq, NVME_REG_CC,
				  NVME_CC_EN | 6u << NVME_CC_IOSQES_SHIFT |
					  4u << NVME_CC_IOCQES_SHIFT),
			 0);
	sq_init(f, &iosq, 1);
	connect_init(&iosq, &t[2], OPEN, cntlid);
	connect_init(&iosq, &t[3], OPEN, cntlid);
	nvmet_req_execute(&t[2].req);
	assert_int_equal(le16toh(t[2].cqe.status), 0);
	nvmet_req_execute(&t[3].req);
	assert_int_equal(le16toh(t[3].cqe.status),
			 ST(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR));
	assert_ptr_equal(first->sqs[1], &iosq);
	assert_int_equal(atomic_load(&first->refs), 2);
	nvmet_ctrl_remove_sq(first, &iosq);
	nvmet_ctrl_put(first);
	nvmet_ctrl_remove_sq(first, &asq);
	nvmet_ctrl_put(first);
	free(t);
}

/* A KATO set by Set Features after a Connect with KATO 0 is enforced. */
static void test_kato_set_later(void **state)
{
	struct fixture *f = *state;
	struct treq t = { 0 };
	struct nvmet_sq sq;
	int before = disconnects;

	sq_init(f, &sq, 0);
	connect_init(&sq, &t, OPEN, 0xffff);
	t.cmd.connect.kato = 0;
	nvmet_req_execute(&t.req);
	assert_int_equal(le16toh(t.cqe.status), 0);
	memset(&t, 0, sizeof(t));
	t.cmd.common.opcode = nvme_admin_set_features;
	t.cmd.common.flags = NVME_CMD_SGL_METABUF;
	t.cmd.common.cdw10 = htole32(NVME_FEAT_KATO);
	t.cmd.common.cdw11 = htole32(1000);
	assert_int_equal(run(&sq, &t), 0);
	/* no Keep Alive for longer than KATO + grace: the next tick ends it */
	sq.ctrl->last_ka_ms = nvmf_now_ms() - 1000 - NVMET_KATO_GRACE_MS - 1;
	/*
	 * a wait may end early (EINTR: io_uring task work that an earlier
	 * test's ring left to this thread), so wait until the tick's deadline
	 */
	for (uint64_t end = nvmf_now_ms() + 1500;
	     disconnects == before && nvmf_now_ms() < end;)
		nvmf_loop_run_once(f->worker.loop, 100);
	assert_int_equal(disconnects, before + 1);
	assert_true(sq.ctrl->fatal);
	nvmet_ctrl_remove_sq(sq.ctrl, &sq);
	nvmet_ctrl_put(sq.ctrl);
}

static uint16_t prop_set(struct nvmet_sq *sq, uint32_t off, uint64_t val)
{
	struct treq t = { 0 };

	t.cmd.prop_set.opcode = nvme_fabrics_command;
	t.cmd.prop_set.fctype = nvme_fabrics_type_property_set;
	t.cmd.prop_set.offset = htole32(off);
	t.cmd.prop_set.value = htole64(val);
	return run(sq, &t);
}

static uint64_t prop_get(struct nvmet_sq *sq, uint32_t off, bool eight)
{
	struct treq t = { 0 };

	t.cmd.prop_get.opcode = nvme_fabrics_command;
	t.cmd.prop_get.fctype = nvme_fabrics_type_property_get;
	t.cmd.prop_get.offset = htole32(off);
	t.cmd.prop_get.attrib = eight;
	assert_int_equal(run(sq, &t), 0);
	return le64toh(t.cqe.result.u64);
}

static void test_properties_and_io_queue(void **state)
{
	struct fixture *f = *state;
	struct nvmet_sq asq, iosq;
	uint64_t cap;

	sq_init(f, &asq, 0);
	assert_int_equal(do_connect(&asq, OPEN, HOST, 0xffff, 31, NULL), 0);
	cap = prop_get(&asq, NVME_REG_CAP, true);
	assert_int_equal(NVME_CAP_MQES(cap), 127);
	assert_true(cap & NVME_CAP_CSS_NVM);
	assert_int_equal(prop_get(&asq, NVME_REG_VS, false), 0x10300);
	assert_int_equal(prop_set(&asq, NVME_REG_CAP, 0),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));

	/* an I/O queue cannot connect before CC.EN */
	sq_init(f, &iosq, 1);
	assert_int_equal(
		do_connect(&iosq, OPEN, HOST, asq.ctrl->cntlid, 127, NULL),
		ST(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM));
	assert_int_equal(prop_set(&asq, NVME_REG_CC,
				  NVME_CC_EN | 6u << NVME_CC_IOSQES_SHIFT |
					  4u << NVME_CC_IOCQES_SHIFT),
			 0);
	assert_int_equal(prop_get(&asq, NVME_REG_CSTS, false), NVME_CSTS_RDY);
	/* wrong cntlid, wrong host, then right */
	assert_int_equal(
		do_connect(&iosq, OPEN, HOST, asq.ctrl->cntlid + 1, 127, NULL),
		ST(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM));
	assert_int_equal(do_connect(&iosq, OPEN, "nqn.2014-08.org.test:x",
				    asq.ctrl->cntlid, 127, NULL),
			 ST(NVME_SCT_CMD_SPECIFIC,
			    NVME_SC_CONNECT_INVALID_PARAM));
	/* through another port: refused (unlinking that port would miss it) */
	sq_init(f, &iosq, 1);
	iosq.port = TAILQ_NEXT(asq.port, link);
	assert_non_null(iosq.port);
	assert_int_equal(
		do_connect(&iosq, OPEN, HOST, asq.ctrl->cntlid, 127, NULL),
		ST(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM));
	/* attr_qid_max 2: queue 3 is refused, as Number of Queues said */
	nvmet_find_subsys(&f->tgt, OPEN)->qid_max = 2;
	sq_init(f, &iosq, 3);
	assert_int_equal(
		do_connect(&iosq, OPEN, HOST, asq.ctrl->cntlid, 127, NULL),
		ST(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM));
	sq_init(f, &iosq, 1);
	assert_int_equal(
		do_connect(&iosq, OPEN, HOST, asq.ctrl->cntlid, 127, NULL), 0);
	assert_ptr_equal(iosq.ctrl, asq.ctrl);

	/* shutdown */
	assert_int_equal(prop_set(&asq, NVME_REG_CC,
				  NVME_CC_EN | NVME_CC_SHN_NORMAL),
			 0);
	assert_int_equal(prop_get(&asq, NVME_REG_CSTS, false) &
				 NVME_CSTS_SHST_MASK,
			 NVME_CSTS_SHST_CMPLT);
	nvmet_ctrl_remove_sq(iosq.ctrl, &iosq);
	nvmet_ctrl_put(iosq.ctrl);
	nvmet_ctrl_remove_sq(asq.ctrl, &asq);
	nvmet_ctrl_put(asq.ctrl);
}

static void identify(struct treq *t, uint8_t cns, uint32_t nsid)
{
	memset(t, 0, sizeof(*t));
	t->cmd.common.opcode = nvme_admin_identify;
	t->cmd.common.flags = NVME_CMD_SGL_METABUF;
	t->cmd.common.nsid = htole32(nsid);
	t->cmd.common.cdw10 = htole32(cns);
}

static void test_identify(void **state)
{
	struct fixture *f = *state;
	struct nvmet_sq sq;
	struct treq t;
	struct nvme_id_ctrl *id = (void *)t.data;
	struct nvme_id_ns *ns = (void *)t.data;
	struct nvme_ns_list *list = (void *)t.data;
	uint8_t uuid[16];

	sq_init(f, &sq, 0);
	assert_int_equal(do_connect(&sq, OPEN, HOST, 0xffff, 31, NULL), 0);
	identify(&t, NVME_ID_CNS_CTRL, 0);
	assert_int_equal(run(&sq, &t), 0);
	assert_int_equal(t.req.data_len, 4096);
	assert_int_equal(id->mdts, NVMET_MDTS);
	assert_int_equal(le16toh(id->cntlid), sq.ctrl->cntlid);
	assert_memory_equal(id->sn, "SN1 ", 4);
	assert_string_equal(id->subnqn, OPEN);
	assert_int_equal(le16toh(id->kas), NVMET_KAS);
	assert_true(le32toh(id->sgls) & NVME_CTRL_SGLS_KSDBDS);
	assert_true(le32toh(id->sgls) & NVME_CTRL_SGLS_OFFSET);
	assert_int_equal(le32toh(id->ioccsz), (64 + 4096) / 16);
	assert_int_equal(le32toh(id->iorcsz), 1);
	assert_int_equal(id->cntrltype, NVME_CTRL_CNTRLTYPE_IO);

	identify(&t, NVME_ID_CNS_NS_ACTIVE_LIST, 0);
	assert_int_equal(run(&sq, &t), 0);
	assert_int_equal(le32toh(list->ns[0]), 1); /* ascending */
	assert_int_equal(le32toh(list->ns[1]), 3);
	assert_int_equal(list->ns[2], 0); /* 2 is disabled */
	identify(&t, NVME_ID_CNS_NS_ACTIVE_LIST, 1);
	assert_int_equal(run(&sq, &t), 0);
	assert_int_equal(le32toh(list->ns[0]), 3);

	identify(&t, NVME_ID_CNS_NS, 3);
	assert_int_equal(run(&sq, &t), 0);
	assert_int_equal(le64toh(ns->nsze), 1024);
	assert_int_equal(ns->lbaf[0].ds, 12);
	identify(&t, NVME_ID_CNS_NS, 2); /* inactive: zeroes */
	assert_int_equal(run(&sq, &t), 0);
	assert_int_equal(ns->nsze, 0);

	identify(&t, NVME_ID_CNS_NS_DESC_LIST, 3);
	assert_int_equal(run(&sq, &t), 0);
	assert_int_equal(t.data[0], NVME_NIDT_UUID);
	assert_int_equal(t.data[1], 16);
	memcpy(uuid, t.data + 4, 16);
	assert_int_equal(uuid[6] >> 4, 4);
	/* stable: the same subsystem and nsid give the same UUID */
	identify(&t, NVME_ID_CNS_NS_DESC_LIST, 3);
	assert_int_equal(run(&sq, &t), 0);
	assert_memory_equal(t.data + 4, uuid, 16);

	identify(&t, 0x10, 0);
	assert_int_equal(run(&sq, &t),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	nvmet_ctrl_remove_sq(sq.ctrl, &sq);
	nvmet_ctrl_put(sq.ctrl);
}

static void test_cntlid_range(void **state)
{
	struct fixture *f = *state;
	struct nvmet_sq sq[4];
	uint16_t id;
	int i;

	for (i = 0; i < 3; i++) {
		sq_init(f, &sq[i], 0);
		assert_int_equal(
			do_connect(&sq[i], OPEN, HOST, 0xffff, 31, &id), 0);
		assert_true(id >= 10 && id <= 12);
	}
	/* the range 10..12 is used up */
	sq_init(f, &sq[3], 0);
	assert_int_equal(do_connect(&sq[3], OPEN, HOST, 0xffff, 31, NULL),
			 ST(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_CTRL_BUSY));
	id = sq[1].ctrl->cntlid;
	nvmet_ctrl_remove_sq(sq[1].ctrl, &sq[1]);
	nvmet_ctrl_put(sq[1].ctrl);
	assert_int_equal(do_connect(&sq[3], OPEN, HOST, 0xffff, 31, &id), 0);
	for (i = 0; i < 4; i++) {
		if (i == 1)
			continue;
		nvmet_ctrl_remove_sq(sq[i].ctrl, &sq[i]);
		nvmet_ctrl_put(sq[i].ctrl);
	}
}

static void test_discovery_log(void **state)
{
	struct fixture *f = *state;
	struct nvmf_disc_log_page_hdr *hdr;
	struct nvmf_disc_log_entry *e;
	struct nvmet_sq sq;
	struct treq t = { 0 };

	sq_init(f, &sq, 0);
	assert_int_equal(do_connect(&sq, NVME_DISC_NQN, HOST, 0xffff, 31, NULL),
			 0);
	t.cmd.common.opcode = nvme_admin_get_log_page;
	t.cmd.common.flags = NVME_CMD_SGL_METABUF;
	/* 3 KiB: NUMD 0-based in dwords */
	t.cmd.common.cdw10 = htole32(NVME_LOG_DISC | (3072 / 4 - 1) << 16);
	assert_int_equal(run(&sq, &t), 0);
	hdr = (void *)t.data;
	e = (void *)(t.data + 1024);
	/* the current discovery subsystem and OPEN; CLOSED is not ours */
	assert_int_equal(le64toh(hdr->numrec), 2);
	assert_int_equal(e[0].subtype, NVME_NQN_CURR_DISC);
	assert_string_equal(e[1].subnqn, OPEN);
	assert_int_equal(le16toh(e[1].portid), 7);
	assert_memory_equal(e[1].traddr, "10.0.0.1 ", 9);
	assert_memory_equal(e[1].trsvcid, "4420 ", 5);
	/* the transport's address subtype */
	assert_int_equal(e[1].tsas.rdma.qptype, NVMF_RDMA_QPTYPE_CONNECTED);
	assert_int_equal(e[1].tsas.rdma.cms, NVMF_RDMA_CMS_RDMA_CM);
	/* an offset into the page: the second entry alone */
	memset(&t, 0, sizeof(t));
	t.cmd.common.opcode = nvme_admin_get_log_page;
	t.cmd.common.flags = NVME_CMD_SGL_METABUF;
	t.cmd.common.cdw10 = htole32(NVME_LOG_DISC | (1024 / 4 - 1) << 16);
	t.cmd.common.cdw12 = htole32(2048);
	assert_int_equal(run(&sq, &t), 0);
	assert_string_equal(((struct nvmf_disc_log_entry *)t.data)->subnqn,
			    OPEN);
	/* a discovery controller has no namespaces to identify */
	identify(&t, NVME_ID_CNS_NS, 1);
	assert_int_equal(run(&sq, &t),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	nvmet_ctrl_remove_sq(sq.ctrl, &sq);
	nvmet_ctrl_put(sq.ctrl);
}

/* Connect an admin queue to OPEN, enable the controller, add I/O queue 1. */
static void connect_io_queue(struct nvmet_sq *asq, struct nvmet_sq *iosq)
{
	assert_int_equal(do_connect(asq, OPEN, HOST, 0xffff, 31, NULL), 0);
	prop_set(asq, NVME_REG_CC,
		 NVME_CC_EN | 6u << NVME_CC_IOSQES_SHIFT |
			 4u << NVME_CC_IOCQES_SHIFT);
	assert_int_equal(
		do_connect(iosq, OPEN, HOST, asq->ctrl->cntlid, 31, NULL), 0);
}

static void test_io_checks(void **state)
{
	struct fixture *f = *state;
	struct nvmet_sq asq, iosq;
	struct treq t;

	sq_init(f, &asq, 0);
	sq_init(f, &iosq, 1);
	memset(&t, 0, sizeof(t));
	t.cmd.rw.opcode = nvme_cmd_read;
	t.cmd.rw.flags = NVME_CMD_SGL_METABUF;
	t.cmd.rw.nsid = htole32(1);
	t.req.cmd = &t.cmd;
	t.req.cqe = &t.cqe;
	assert_int_equal(nvmet_req_init(&t.req, &iosq),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE));
	connect_io_queue(&asq, &iosq);

	/* valid: 8 blocks at LBA 1016 of 1024 */
	t.cmd.rw.slba = htole64(1016);
	t.cmd.rw.length = htole16(7);
	assert_int_equal(nvmet_req_init(&t.req, &iosq), 0);
	assert_int_equal(t.req.data_len, 8 * 4096);
	assert_int_equal(t.req.dir, NVMET_DATA_TO_HOST);
	/* one block too far */
	t.cmd.rw.slba = htole64(1017);
	assert_int_equal(nvmet_req_init(&t.req, &iosq),
			 ST(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE));
	/* 256 blocks of 4 KiB: MDTS (1 MiB, as the kernel target) */
	t.cmd.rw.slba = 0;
	t.cmd.rw.length = htole16(255);
	assert_int_equal(nvmet_req_init(&t.req, &iosq), 0);
	assert_int_equal(t.req.data_len, 1 << 20);
	nvmet_req_release(&t.req);
	/* 257 blocks: above MDTS */
	t.cmd.rw.length = htole16(256);
	assert_int_equal(nvmet_req_init(&t.req, &iosq),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	t.cmd.rw.length = 0;
	t.cmd.rw.nsid = htole32(2); /* disabled */
	assert_int_equal(nvmet_req_init(&t.req, &iosq),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_NS));
	t.cmd.rw.nsid = htole32(1);
	t.cmd.rw.opcode = 0x7e;
	assert_int_equal(nvmet_req_init(&t.req, &iosq),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE));
	t.cmd.rw.opcode = nvme_cmd_dsm;
	t.cmd.common.cdw10 = htole32(3); /* 4 ranges */
	assert_int_equal(nvmet_req_init(&t.req, &iosq), 0);
	assert_int_equal(t.req.data_len, 64);
	t.cmd.rw.opcode = nvme_cmd_write;
	t.cmd.rw.flags = 0; /* PRPs are not for fabrics */
	assert_int_equal(nvmet_req_init(&t.req, &iosq),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	nvmet_ctrl_remove_sq(iosq.ctrl, &iosq);
	nvmet_ctrl_put(iosq.ctrl);
	nvmet_ctrl_remove_sq(asq.ctrl, &asq);
	nvmet_ctrl_put(asq.ctrl);
}

/* Set or get feature 0x84 (Namespace Write Protection Config). */
static void feat_wp(struct treq *t, bool set, uint32_t nsid, uint32_t val)
{
	memset(t, 0, sizeof(*t));
	t->cmd.common.opcode = set ? nvme_admin_set_features :
				     nvme_admin_get_features;
	t->cmd.common.flags = NVME_CMD_SGL_METABUF;
	t->cmd.common.nsid = htole32(nsid);
	t->cmd.common.cdw10 = htole32(NVME_FEAT_WRITE_PROTECT);
	t->cmd.common.cdw11 = htole32(val);
}

/* Run a command that may complete later (a backend flush). */
static uint16_t run_async(struct fixture *f, struct nvmet_sq *sq,
			  struct treq *t)
{
	int before = completions;
	uint16_t st;

	t->req.cmd = &t->cmd;
	t->req.cqe = &t->cqe;
	st = nvmet_req_init(&t->req, sq);
	if (st)
		return st;
	t->req.data = t->data;
	nvmet_req_execute(&t->req);
	for (int i = 0; i < 100 && completions == before; i++)
		nvmf_loop_run_once(f->worker.loop, 10);
	assert_int_equal(completions, before + 1);
	return le16toh(t->cqe.status);
}

/*
 * The status nvmet_req_init gives an I/O command on namespace nsid; the
 * request is let go (its hold on the namespace given back).
 */
static uint16_t io_check(struct nvmet_sq *sq, uint8_t opcode, uint32_t nsid)
{
	struct treq t;
	uint16_t st;

	memset(&t, 0, sizeof(t));
	t.cmd.rw.opcode = opcode;
	t.cmd.rw.flags = NVME_CMD_SGL_METABUF;
	t.cmd.rw.nsid = htole32(nsid);
	t.req.cmd = &t.cmd;
	t.req.cqe = &t.cqe;
	st = nvmet_req_init(&t.req, sq);
	nvmet_req_release(&t.req);
	return st;
}

/*
 * Namespace Write Protection as the kernel target offers it: write
 * protect and none (not until power cycle, not permanent); NSATTR shows
 * it; writes, Write Zeroes and Dataset Management fail with Namespace
 * Write Protected, reads and flushes go on; other namespaces are not
 * affected.
 */
static void test_write_protect(void **state)
{
	struct fixture *f = *state;
	struct nvme_id_ctrl *id;
	struct nvme_id_ns *ns;
	struct nvmet_sq asq, iosq;
	struct treq t;
	const uint16_t wp = ST(NVME_SCT_GENERIC, NVME_SC_NS_WRITE_PROTECTED);

	nvmf_loop_bind_thread(f->worker.loop);
	assert_int_equal(nvmet_worker_ring_init(&f->worker), 0);
	sq_init(f, &asq, 0);
	sq_init(f, &iosq, 1);
	connect_io_queue(&asq, &iosq);
	id = (void *)t.data;
	identify(&t, NVME_ID_CNS_CTRL, 0);
	assert_int_equal(run(&asq, &t), 0);
	assert_int_equal(id->nwpc, 1);

	feat_wp(&t, false, 1, 0);
	assert_int_equal(run(&asq, &t), 0);
	assert_int_equal(le32toh(t.cqe.result.u32), NVME_NS_NO_WRITE_PROTECT);
	feat_wp(&t, true, 1, NVME_NS_WRITE_PROTECT_POWER_CYCLE);
	assert_int_equal(run(&asq, &t),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	feat_wp(&t, true, 1, NVME_NS_WRITE_PROTECT_PERMANENT);
	assert_int_equal(run(&asq, &t),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	feat_wp(&t, true, 0xffffffff, NVME_NS_WRITE_PROTECT);
	assert_int_equal(run(&asq, &t),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_NS));
	feat_wp(&t, true, 2, NVME_NS_WRITE_PROTECT); /* disabled */
	assert_int_equal(run(&asq, &t),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_NS));

	/* protect namespace 1: flushed first, then writes fail */
	feat_wp(&t, true, 1, NVME_NS_WRITE_PROTECT);
	assert_int_equal(run_async(f, &asq, &t), 0);
	feat_wp(&t, false, 1, 0);
	assert_int_equal(run(&asq, &t), 0);
	assert_int_equal(le32toh(t.cqe.result.u32), NVME_NS_WRITE_PROTECT);
	ns = (void *)t.data;
	identify(&t, NVME_ID_CNS_NS, 1);
	assert_int_equal(run(&asq, &t), 0);
	assert_int_equal(ns->nsattr & NVME_NS_ATTR_RO, NVME_NS_ATTR_RO);
	identify(&t, NVME_ID_CNS_NS, 3);
	assert_int_equal(run(&asq, &t), 0);
	assert_int_equal(ns->nsattr, 0);
	assert_int_equal(io_check(&iosq, nvme_cmd_write, 1), wp);
	assert_int_equal(io_check(&iosq, nvme_cmd_write_zeroes, 1), wp);
	assert_int_equal(io_check(&iosq, nvme_cmd_dsm, 1), wp);
	assert_int_equal(io_check(&iosq, nvme_cmd_read, 1), 0);
	assert_int_equal(io_check(&iosq, nvme_cmd_flush, 1), 0);
	assert_int_equal(io_check(&iosq, nvme_cmd_write, 3), 0);

	/* and lift it */
	feat_wp(&t, true, 1, NVME_NS_NO_WRITE_PROTECT);
	assert_int_equal(run_async(f, &asq, &t), 0);
	assert_int_equal(io_check(&iosq, nvme_cmd_write, 1), 0);
	identify(&t, NVME_ID_CNS_NS, 1);
	assert_int_equal(run(&asq, &t), 0);
	assert_int_equal(ns->nsattr, 0);

	nvmet_ctrl_remove_sq(iosq.ctrl, &iosq);
	nvmet_ctrl_put(iosq.ctrl);
	nvmet_ctrl_remove_sq(asq.ctrl, &asq);
	nvmet_ctrl_put(asq.ctrl);
	nvmet_worker_ring_exit(&f->worker);
}

/*
 * An I/O queue's namespace cache: a namespace disabled, removed or added
 * through the model is seen by the next command (the model's generation
 * moved); holds are given back.
 */
static void test_ns_cache(void **state)
{
	struct fixture *f = *state;
	struct nvmet_sq asq, iosq;
	struct nvmet_subsys *s;
	struct nvmet_ns *ns1, *ns3;
	const uint16_t inv = ST(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	char err[256];
	uint64_t gen;

	sq_init(f, &asq, 0);
	sq_init(f, &iosq, 1);
	connect_io_queue(&asq, &iosq);
	s = iosq.ctrl->subsys;
	ns1 = nvmet_find_ns_any(s, 1);
	ns3 = nvmet_find_ns_any(s, 3);
	assert_int_equal(io_check(&iosq, nvme_cmd_read, 1), 0);
	assert_int_equal(io_check(&iosq, nvme_cmd_read, 3), 0);
	assert_int_equal(io_check(&iosq, nvme_cmd_read, 1),
			 0); /* from the cache */
	assert_ptr_equal(iosq.ns_cache[0].ns, ns1);
	assert_ptr_equal(iosq.ns_cache[1].ns, ns3);
	assert_int_equal(io_check(&iosq, nvme_cmd_read, 2),
			 inv); /* disabled: not cached */
	assert_int_equal(atomic_load(&ns1->inflight), 0);
	assert_int_equal(atomic_load(&ns3->inflight), 0);

	/* a read lock does not move the generation; a write lock does */
	gen = atomic_load(&f->tgt.ns_gen);
	nvmet_model_rdlock(&f->tgt);
	nvmet_model_unlock(&f->tgt);
	assert_int_equal(atomic_load(&f->tgt.ns_gen), gen);
	nvmet_model_lock(&f->tgt);
	nvmet_ns_disable(ns1);
	nvmet_model_unlock(&f->tgt);
	assert_int_equal(atomic_load(&f->tgt.ns_gen), gen + 1);
	assert_int_equal(io_check(&iosq, nvme_cmd_read, 1), inv);
	assert_int_equal(io_check(&iosq, nvme_cmd_read, 3), 0);
	nvmet_model_lock(&f->tgt);
	assert_int_equal(nvmet_ns_enable(ns1, err, sizeof(err)), 0);
	nvmet_model_unlock(&f->tgt);
	assert_int_equal(io_check(&iosq, nvme_cmd_read, 1), 0);
	assert_int_equal(atomic_load(&ns1->inflight), 0);

	nvmet_ctrl_remove_sq(iosq.ctrl, &iosq);
	nvmet_ctrl_put(iosq.ctrl);
	nvmet_ctrl_remove_sq(asq.ctrl, &asq);
	nvmet_ctrl_put(asq.ctrl);
}

/* a transport queue's deferred posts: how often the pass ran them */
static int flushes;
static void fake_flush(struct nvmet_flush *fl)
{
	(void)fl;
	flushes++;
}

#define BATCH 16

/*
 * One pass of a worker: reads started inside it are submitted with one
 * io_uring_enter at its end, deferred transport work runs once, and the
 * counters say so; outside a pass a read goes at once.
 */
static void test_batched_pass(void **state)
{
	static uint8_t bufs[BATCH][4096] __attribute__((aligned(4096)));
	struct fixture *f = *state;
	struct nvmet_worker *w = &f->worker;
	struct nvmet_flush fl = { .fn = fake_flush };
	struct nvmet_sq asq, iosq;
	struct treq *t = calloc(BATCH, sizeof(*t));
	uint64_t enters, ios;
	int i, before;

	assert_non_null(t);
	nvmf_loop_bind_thread(w->loop);
	assert_int_equal(nvmet_worker_ring_init(w), 0);
	sq_init(f, &asq, 0);
	sq_init(f, &iosq, 1);
	connect_io_queue(&asq, &iosq);
	enters = w->stats[NVMET_STAT_URING_ENTERS];
	ios = w->stats[NVMET_STAT_IOS];
	before = completions;

	/* outside a pass: nothing is deferred */
	assert_false(nvmet_worker_defer(w, &fl));

	nvmet_worker_batch_begin(w);
	nvmet_worker_batch_begin(w); /* nested: the outer one counts */
	for (i = 0; i < BATCH; i++) {
		t[i].cmd.rw.opcode = nvme_cmd_read;
		t[i].cmd.rw.flags = NVME_CMD_SGL_METABUF;
		t[i].cmd.rw.nsid = htole32(1);
		t[i].cmd.rw.slba = htole64((uint64_t)i);
		t[i].req.cmd = &t[i].cmd;
		t[i].req.cqe = &t[i].cqe;
		assert_int_equal(nvmet_req_init(&t[i].req, &iosq), 0);
		assert_int_equal(t[i].req.data_len, 4096);
		t[i].req.data = bufs[i];
		nvmet_req_execute(&t[i].req);
	}
	assert_true(nvmet_worker_defer(w, &fl));
	assert_true(nvmet_worker_defer(w, &fl)); /* queued once */
	nvmet_worker_batch_end(w);
	/* still inside the outer pass: nothing submitted, nothing flushed */
	assert_int_equal(w->stats[NVMET_STAT_URING_ENTERS], enters);
	assert_int_equal(flushes, 0);
	nvmet_worker_batch_end(w);
	assert_int_equal(flushes, 1);
	assert_int_equal(w->stats[NVMET_STAT_URING_ENTERS], enters + 1);
	assert_int_equal(w->stats[NVMET_STAT_URING_SQES], BATCH);
	for (i = 0; i < 200 && completions < before + BATCH; i++)
		nvmf_loop_run_once(w->loop, 10);
	assert_int_equal(completions, before + BATCH);
	for (i = 0; i < BATCH; i++)
		assert_int_equal(le16toh(t[i].cqe.status), 0);
	assert_int_equal(w->stats[NVMET_STAT_IOS], ios + BATCH);
	/* reaped without another submission */
	assert_int_equal(w->stats[NVMET_STAT_URING_ENTERS], enters + 1);

	/* outside a pass, a read is submitted at once */
	assert_int_equal(run_async(f, &iosq, &t[0]), 0);
	assert_int_equal(w->stats[NVMET_STAT_URING_ENTERS], enters + 2);
	assert_int_equal(w->stats[NVMET_STAT_ALLOCS], 0);

	nvmet_ctrl_remove_sq(iosq.ctrl, &iosq);
	nvmet_ctrl_put(iosq.ctrl);
	nvmet_ctrl_remove_sq(asq.ctrl, &asq);
	nvmet_ctrl_put(asq.ctrl);
	nvmet_worker_ring_exit(w);
	free(t);
}

/* hybrid polling: a poller whose completions the test hands out */
struct fake_poller {
	struct nvmet_poller p;
	struct nvmet_worker *w;
	int pending, polls, arms;
};

static int fake_poll(struct nvmet_poller *p)
{
	struct fake_poller *fp = container_of(p, struct fake_poller, p);
	int n = fp->pending;

	fp->polls++;
	fp->pending = 0;
	nvmet_stat_add(fp->w, NVMET_STAT_WCS, (uint64_t)n);
	return n;
}

static int fake_arm(struct nvmet_poller *p)
{
	struct fake_poller *fp = container_of(p, struct fake_poller, p);

	fp->arms++;
	p->armed = true;
	return fake_poll(p);
}

/* a completion woke the worker: its poller is disarmed, work was done */
static void fake_wakeup(struct fake_poller *fp)
{
	fp->p.armed = false;
	nvmet_stat_add(fp->w, NVMET_STAT_WCS, 1);
}

static void test_hybrid_poll(void **state)
{
	struct fixture *f = *state;
	struct nvmet_worker *w = &f->worker;
	struct fake_poller fp = {
		.p = { .poll = fake_poll, .arm = fake_arm },
		.w = w,
	};
	const uint64_t max = 1000 * 1000; /* --poll-us 1000 */
	uint64_t t0, spins;
	int i;

	nvmf_loop_bind_thread(w->loop);
	assert_int_equal(nvmet_worker_ring_init(w), 0);
	nvmet_worker_poll_init(w, 1000);
	assert_true(nvmet_worker_hybrid(w));
	nvmet_poller_add(w, &fp.p);

	/* no activity yet: no spin; armed before the sleep */
	assert_int_equal(nvmet_worker_idle(w), -1);
	assert_int_equal(w->stats[NVMET_STAT_SPINS], 0);
	assert_int_equal(fp.arms, 1);
	assert_true(fp.p.armed);

	/* after a wake-up: polls, disarmed, for the budget; then halves it */
	fake_wakeup(&fp);
	t0 = nvmf_now_ns();
	assert_int_equal(nvmet_worker_idle(w), -1);
	assert_true(nvmf_now_ns() - t0 >= max);
	assert_true(nvmf_now_ns() - t0 < 1000 * max); /* bounded */
	assert_true(w->stats[NVMET_STAT_SPINS] > 0);
	assert_int_equal(w->stats[NVMET_STAT_SPIN_HITS], 0);
	assert_int_equal(w->spin_ns, max / 2);
	assert_int_equal(fp.arms, 2);

	/* a completion found by the spin: handled without arming */
	fake_wakeup(&fp);
	fp.pending = 3;
	assert_int_equal(nvmet_worker_idle(w), 0);
	assert_int_equal(w->stats[NVMET_STAT_SPIN_HITS], 1);
	assert_false(fp.p.armed);
	assert_int_equal(fp.arms, 2);

	/* sparse work (gaps over the bound) and empty spins: down to 0 */
	for (i = 0; i < 20 && w->spin_ns; i++) {
		usleep(3000);
		fake_wakeup(&fp);
		assert_int_equal(nvmet_worker_idle(w), -1);
	}
	assert_int_equal(w->spin_ns, 0);
	usleep(3000);
	fake_wakeup(&fp);
	spins = w->stats[NVMET_STAT_SPINS];
	assert_int_equal(nvmet_worker_idle(w), -1);
	assert_int_equal(w->stats[NVMET_STAT_SPINS], spins);
	assert_true(fp.p.armed);

	/* work again within the bound of the last: the whole budget back */
	fake_wakeup(&fp);
	fp.pending = 1; /* found as soon as it polls */
	assert_int_equal(nvmet_worker_idle(w), 0);
	assert_int_equal(w->spin_ns, max);

	nvmet_poller_del(w, &fp.p);
	assert_false(fp.p.added);
	nvmet_poller_del(w, &fp.p); /* twice: no effect */
	nvmet_worker_ring_exit(w);
}

/* a socket's queue: its events come from the loop's wait (a pipe here) */
struct fake_socket {
	struct nvmet_worker *w;
	int fd[2];
	int events;
};

static void fake_socket_event(void *arg, uint32_t events)
{
	struct fake_socket *fs = arg;
	char c;

	(void)events;
	if (read(fs->fd[0], &c, 1) == 1) {
		fs->events++;
		nvmet_stat_add(fs->w, NVMET_STAT_COMMANDS, 1);
	}
}

/* the loop as nvmf_loop_run() drives it: idle hook, then the wait */
static int loop_step(struct nvmet_worker *w)
{
	int timeout = nvmet_worker_idle(w);

	if (timeout != -1)
		assert_int_equal(nvmf_loop_run_once(w->loop, timeout), 0);
	return timeout;
}

/*
 * Hybrid polling with a queue that has nothing to poll (TCP): each spin
 * step hands back to the loop, which looks at the fds without sleeping;
 * what it finds counts as a hit; with nothing, the budget halves.
 */
static void test_hybrid_poll_socket(void **state)
{
	struct fixture *f = *state;
	struct nvmet_worker *w = &f->worker;
	struct nvmet_poller sp = { 0 }; /* no poll(), no arm() */
	struct fake_socket fs = { .w = w };
	/* a wide bound (50 ms): what comes "within" it cannot be late */
	const uint64_t max = 50 * 1000 * 1000;
	struct nvmf_watch *watch;
	uint64_t t0, spins;
	int steps = 0;

	nvmf_loop_bind_thread(w->loop);
	assert_int_equal(nvmet_worker_ring_init(w), 0);
	assert_int_equal(pipe(fs.fd), 0);
	watch = nvmf_watch_add(w->loop, fs.fd[0], EPOLLIN, fake_socket_event,
			       &fs);
	assert_non_null(watch);
	nvmet_worker_poll_init(w, 50 * 1000);
	nvmet_poller_add(w, &sp);
	assert_int_equal(w->loop_pollers, 1);

	/* no activity yet: sleeps at once */
	assert_int_equal(nvmet_worker_idle(w), -1);
	assert_int_equal(w->stats[NVMET_STAT_SPINS], 0);

	/* a command: the worker then looks (timeout 0) for the budget */
	assert_int_equal(write(fs.fd[1], "c", 1), 1);
	assert_int_equal(nvmf_loop_run_once(w->loop, 0), 1);
	assert_int_equal(fs.events, 1);
	t0 = nvmf_now_ns();
	while (loop_step(w) == 0)
		steps++;
	assert_true(nvmf_now_ns() - t0 >= max);
	assert_true(nvmf_now_ns() - t0 < 20 * max); /* bounded */
	assert_true(steps > 0);
	assert_int_equal(w->stats[NVMET_STAT_SPINS], (uint64_t)steps);
	assert_int_equal(w->stats[NVMET_STAT_SPIN_HITS], 0);
	assert_int_equal(w->spin_ns, max / 2);

	/*
	 * a command, and the next one while the worker spins: the look finds
	 * it (a hit), and as it came within the bound the budget is back
	 */
	assert_int_equal(write(fs.fd[1], "c", 1), 1);
	assert_int_equal(nvmf_loop_run_once(w->loop, 0), 1);
	assert_int_equal(loop_step(w), 0); /* spins (half the bound) */
	spins = w->stats[NVMET_STAT_SPINS];
	assert_int_equal(write(fs.fd[1], "c", 1), 1);
	assert_int_equal(nvmf_loop_run_once(w->loop, 0), 1); /* the look */
	assert_int_equal(fs.events, 3);
	assert_int_equal(loop_step(w), 0);
	assert_int_equal(w->stats[NVMET_STAT_SPIN_HITS], 1);
	assert_int_equal(w->spin_ns, max);
	assert_true(w->stats[NVMET_STAT_SPINS] > spins);

	nvmet_poller_del(w, &sp);
	assert_int_equal(w->loop_pollers, 0);
	nvmet_poller_del(w, &sp); /* twice: no effect */
	assert_int_equal(w->loop_pollers, 0);
	nvmf_watch_del(watch);
	close(fs.fd[0]);
	close(fs.fd[1]);
	nvmet_worker_ring_exit(w);
}

static void read_attr(const char *dir, const char *name, char *buf, size_t size)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ports/7/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, (int)size, f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static void test_port_state_files(void **state)
{
	struct fixture *f = *state;
	struct nvmet_port *port = TAILQ_FIRST(&f->tgt.ports);
	char dir[] = "/tmp/nvmet-run-XXXXXX", buf[256];

	assert_non_null(mkdtemp(dir));
	f->tgt.run_dir = dir;
	nvmet_port_set_state(port, NVMET_PORT_LIVE, "test");
	read_attr(dir, "state", buf, sizeof(buf));
	assert_string_equal(buf, "live");
	read_attr(dir, "repair_attempts", buf, sizeof(buf));
	assert_string_equal(buf, "0");

	nvmet_port_set_error(port, "RDMA_CM_EVENT_DEVICE_REMOVAL");
	nvmet_port_set_state(port, NVMET_PORT_REPAIRING, "test");
	port->repair_attempts = 3;
	nvmet_port_publish(port);
	read_attr(dir, "state", buf, sizeof(buf));
	assert_string_equal(buf, "repairing");
	read_attr(dir, "repair_attempts", buf, sizeof(buf));
	assert_string_equal(buf, "3");
	read_attr(dir, "last_error", buf, sizeof(buf));
	assert_string_equal(buf, "RDMA_CM_EVENT_DEVICE_REMOVAL");
	read_attr(dir, "state_since", buf, sizeof(buf));
	/* 2026-11-21T08:07:15.355Z */
	assert_int_equal(strlen(buf), 24);
	assert_int_equal(buf[10], 'T');
	assert_int_equal(buf[23], 'Z');

	nvmet_port_set_state(port, NVMET_PORT_LIVE, "test");
	read_attr(dir, "repair_attempts", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	nvmet_port_set_state(port, NVMET_PORT_DISABLED, "test");
	read_attr(dir, "state", buf, sizeof(buf));
	assert_string_equal(buf, "disabled");
	f->tgt.run_dir = NULL;
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	assert_int_equal(system(buf), 0);
}

/*
 * The core reaches a port's transport by its trtype: a port whose trtype
 * has none cannot listen, with the kernel's error and a message naming it.
 */
static void test_transport_registry(void **state)
{
	struct fixture *f = *state;
	struct nvmet_port *port = TAILQ_FIRST(&f->tgt.ports);
	int l = listens, s = stop_listens;

	assert_ptr_equal(nvmet_transport_find(&f->tgt, NVMF_TRTYPE_RDMA),
			 &fake_ops);
	assert_null(nvmet_transport_find(&f->tgt, NVMF_TRTYPE_TCP));
	assert_int_equal(nvmet_port_enable(port, false), 0);
	assert_int_equal(listens, l + 1);
	assert_int_equal(port->state, NVMET_PORT_LIVE);
	nvmet_port_disable(port, "test");
	assert_int_equal(stop_listens, s + 1);

	port->cfg.trtype = NVMF_TRTYPE_TCP;
	assert_int_equal(nvmet_port_enable(port, false), -EINVAL);
	assert_int_equal(listens, l + 1);
	assert_non_null(
		strstr(port->last_error, "no transport for trtype tcp"));
	nvmet_port_disable(port, "test"); /* nothing to stop */
	assert_int_equal(stop_listens, s + 1);
	port->cfg.trtype = NVMF_TRTYPE_RDMA;

	disconnects = 0;
	assert_false(nvmet_transports_idle(&f->tgt));
	disconnects = 1;
	assert_true(nvmet_transports_idle(&f->tgt));
	/* no init or exit: nothing to start */
	assert_int_equal(nvmet_transports_init(&f->tgt), 0);
	nvmet_transports_exit(&f->tgt);
}

/*
 * RUN_DIR/stats.json: every worker's counters and their sum, rewritten
 * only when they changed.
 */
static void test_stats_file(void **state)
{
	struct fixture *f = *state;
	struct nvmet_worker w[2];
	uint64_t last[NVMET_STATS_LAST_NR] = { 0 };
	char dir[] = "/tmp/nvmet-run-XXXXXX", path[64], buf[4096];
	struct nvmet_setup_timer timer;
	unsigned long long v;
	const char *p;
	FILE *fp;
	size_t n;

	memset(w, 0, sizeof(w));
	assert_non_null(mkdtemp(dir));
	f->tgt.run_dir = dir;
	f->tgt.workers = w;
	f->tgt.nr_workers = 2;
	assert_int_equal(nvmet_stats_write(&f->tgt, last), 0); /* all 0 */
	nvmet_stat_add(&w[0], NVMET_STAT_IOS, 5);
	nvmet_stat_add(&w[1], NVMET_STAT_IOS, 7);
	nvmet_stat_add(&w[1], NVMET_STAT_SEND_POSTS, 3);
	assert_int_equal(nvmet_stats_write(&f->tgt, last), 1);
	assert_int_equal(nvmet_stats_write(&f->tgt, last), 0); /* unchanged */
	snprintf(path, sizeof(path), "%s/stats.json", dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	assert_non_null(strstr(buf, "\"ios\": 5,"));
	assert_non_null(strstr(buf, "\"ios\": 7,"));
	assert_non_null(strstr(buf, "\"total\": {\n    \"commands\": 0,\n    "
				    "\"ios\": 12,"));
	assert_non_null(strstr(buf, "\"send_doorbells\": 3,"));
	/*
	 * the main thread's queue setups: a change of its own is written;
	 * two setups begun 3 s and 1 s ago, with their phases (only the
	 * phases' own slots are summed)
	 */
	nvmet_setup_timer_start(&timer);
	nvmet_setup_phase_begin(&timer);
	nvmet_setup_phase_end(&timer, NVMET_MSTAT_SETUP_QP_US);
	assert_true(timer.mark_ns >= timer.start_ns);
	memset(timer.phase_us, 0, sizeof(timer.phase_us));
	timer.start_ns -= 3000000000ULL;
	timer.phase_us[NVMET_MSTAT_QUEUE_SETUP_US] = 999;
	timer.phase_us[NVMET_MSTAT_SETUP_SRQ_US] = 5;
	timer.phase_us[NVMET_MSTAT_SETUP_CQ_US] = 3;
	timer.phase_us[NVMET_MSTAT_SETUP_QP_US] = 7;
	timer.phase_us[NVMET_MSTAT_SETUP_MEM_US] = 11;
	timer.phase_us[NVMET_MSTAT_SETUP_ACCEPT_US] = 13;
	nvmet_stat_queue_setup(&f->tgt, &timer);
	timer.start_ns += 2000000000ULL;
	nvmet_stat_queue_setup(&f->tgt, &timer);
	assert_int_equal(nvmet_stats_write(&f->tgt, last), 1);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	assert_non_null(strstr(buf, "\"main\": {\n    \"queue_setups\": 2,\n"));
	p = strstr(buf, "\"queue_setup_us\": ");
	assert_non_null(p);
	v = strtoull(p + 18, NULL, 10);
	assert_true(v >= 4000000 && v < 4500000);
	p = strstr(buf, "\"queue_setup_max_us\": ");
	assert_non_null(p);
	v = strtoull(p + 22, NULL, 10);
	assert_true(v >= 3000000 && v < 3250000);
	assert_non_null(strstr(buf, "\"setup_srq_us\": 10,\n"
				    "    \"setup_cq_us\": 6,\n"
				    "    \"setup_qp_us\": 14,\n"
				    "    \"setup_mem_us\": 22,\n"
				    "    \"setup_accept_us\": 26,\n"
				    "    \"srq_buffers\": 0,\n"
				    "    \"srq_buffers_max\": 0\n  }"));
	memset(f->tgt.main_stats, 0, sizeof(f->tgt.main_stats));
	f->tgt.workers = NULL;
	f->tgt.nr_workers = 0;
	f->tgt.run_dir = NULL;
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	assert_int_equal(system(buf), 0);
}

/* A submitted AER, outstanding until an event. */
static void submit_aer(struct nvmet_sq *sq, struct treq *t)
{
	memset(t, 0, sizeof(*t));
	t->cmd.common.opcode = nvme_admin_async_event;
	t->cmd.common.flags = NVME_CMD_SGL_METABUF;
	t->req.cmd = &t->cmd;
	t->req.cqe = &t->cqe;
	assert_int_equal(nvmet_req_init(&t->req, sq), 0);
	nvmet_req_execute(&t->req);
}

/* Enable (or disable) namespace nsid on OPEN as the tree does. */
static void ns_set(struct fixture *f, uint32_t nsid, bool on)
{
	struct nvmet_subsys *s = nvmet_find_subsys(&f->tgt, OPEN);
	struct nvmet_ns *ns;
	char err[256];

	nvmet_model_lock(&f->tgt);
	ns = nvmet_find_ns_any(s, nsid);
	if (!ns) {
		assert_int_equal(nvmet_ns_add(s, nsid, "test", &ns), 0);
		ns->cfg.path = strdup(f->img);
	}
	if (on)
		assert_int_equal(nvmet_ns_enable(ns, err, sizeof(err)), 0);
	else
		nvmet_ns_disable(ns);
	nvmet_model_unlock(&f->tgt);
}

static void test_ns_changed_aen(void **state)
{
	struct fixture *f = *state;
	struct treq aer, t = { 0 };
	struct nvme_ns_list *list = (void *)t.data;
	struct nvmet_sq sq;
	int before;

	nvmf_loop_bind_thread(f->worker.loop);
	sq_init(f, &sq, 0);
	assert_int_equal(do_connect(&sq, OPEN, HOST, 0xffff, 31, NULL), 0);
	/* namespace attribute notices, as the kernel host enables them */
	t.cmd.common.opcode = nvme_admin_set_features;
	t.cmd.common.flags = NVME_CMD_SGL_METABUF;
	t.cmd.common.cdw10 = htole32(NVME_FEAT_ASYNC_EVENT);
	t.cmd.common.cdw11 = htole32(NVME_CTRL_OAES_NS_ATTR);
	assert_int_equal(run(&sq, &t), 0);
	before = completions;
	submit_aer(&sq, &aer);
	assert_int_equal(completions, before); /* outstanding */

	ns_set(f, 5, true);
	nvmf_loop_run_once(f->worker.loop, 100);
	assert_int_equal(completions, before + 1);
	assert_int_equal(le16toh(aer.cqe.status), 0);
	assert_int_equal(le32toh(aer.cqe.result.u32),
			 NVME_AER_RESULT(NVME_AER_TYPE_NOTICE,
					 NVME_AER_NOTICE_NS_CHANGED,
					 NVME_LOG_CHANGED_NS));

	/* masked until the log is read: the next change waits */
	submit_aer(&sq, &aer);
	ns_set(f, 5, false);
	nvmf_loop_run_once(f->worker.loop, 20);
	assert_int_equal(completions, before + 1);
	/* NUMD 0xffffffff: 2^32 dwords, not a zero-length read that clears */
	memset(&t, 0, sizeof(t));
	t.cmd.common.opcode = nvme_admin_get_log_page;
	t.cmd.common.flags = NVME_CMD_SGL_METABUF;
	t.cmd.common.nsid = htole32(0xffffffff);
	t.cmd.common.cdw10 = htole32(NVME_LOG_CHANGED_NS | 0xffffu << 16);
	t.cmd.common.cdw11 = htole32(0xffff);
	assert_int_equal(run(&sq, &t),
			 ST(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
	memset(&t, 0, sizeof(t));
	t.cmd.common.opcode = nvme_admin_get_log_page;
	t.cmd.common.flags = NVME_CMD_SGL_METABUF;
	t.cmd.common.nsid = htole32(0xffffffff);
	t.cmd.common.cdw10 =
		htole32(NVME_LOG_CHANGED_NS | (4096 / 4 - 1) << 16);
	assert_int_equal(run(&sq, &t), 0);
	assert_int_equal(le32toh(list->ns[0]), 5);
	assert_int_equal(list->ns[1], 0);
	/* read: the next change is announced again */
	before = completions;
	ns_set(f, 5, true);
	nvmf_loop_run_once(f->worker.loop, 100);
	assert_int_equal(completions, before + 1);
	nvmet_ctrl_remove_sq(sq.ctrl, &sq);
	nvmet_ctrl_put(sq.ctrl);
}

/*
 * A discovery controller whose host asked for log change notices gets one
 * when a subsystem is linked to a port, then none until it reads the
 * discovery log (without RAE), as the kernel target does.
 */
static void test_disc_changed_aen(void **state)
{
	struct fixture *f = *state;
	struct nvmet_subsys *s = nvmet_find_subsys(&f->tgt, OPEN);
	struct nvmet_port *port = TAILQ_FIRST(&f->tgt.ports);
	struct nvmet_subsys_link *l;
	struct treq aer, t = { 0 };
	struct nvme_id_ctrl *id = (void *)t.data;
	struct nvmet_sq sq;
	int before;

	nvmf_loop_bind_thread(f->worker.loop);
	sq_init(f, &sq, 0);
	assert_int_equal(do_connect(&sq, NVME_DISC_NQN, HOST, 0xffff, 31, NULL),
			 0);
	identify(&t, NVME_ID_CNS_CTRL, 0);
	assert_int_equal(run(&sq, &t), 0);
	assert_int_equal(le32toh(id->oaes), NVME_AEN_CFG_DISC_CHANGE);
	memset(&t, 0, sizeof(t));
	t.cmd.common.opcode = nvme_admin_set_features;
	t.cmd.common.flags = NVME_CMD_SGL_METABUF;
	t.cmd.common.cdw10 = htole32(NVME_FEAT_ASYNC_EVENT);
	t.cmd.common.cdw11 = htole32(NVME_AEN_CFG_DISC_CHANGE);
	assert_int_equal(run(&sq, &t), 0);
	before = completions;
	submit_aer(&sq, &aer);
	assert_int_equal(completions, before); /* outstanding */

	/* unlinked from its port: the log changed */
	nvmet_model_lock(&f->tgt);
	TAILQ_FOREACH(l, &port->subsystems, link)
		if (l->subsys == s)
			break;
	assert_non_null(l);
	nvmet_port_unlink(port, l);
	nvmet_model_unlock(&f->tgt);
	nvmf_loop_run_once(f->worker.loop, 100);
	assert_int_equal(completions, before + 1);
	assert_int_equal(le16toh(aer.cqe.status), 0);
	assert_int_equal(le32toh(aer.cqe.result.u32),
			 NVME_AER_RESULT(NVME_AER_TYPE_NOTICE,
					 NVME_AER_NOTICE_DISC_CHANGED,
					 NVME_LOG_DISC));

	/* masked: linked again, no event until the log is read */
	submit_aer(&sq, &aer);
	nvmet_model_lock(&f->tgt);
	assert_int_equal(nvmet_port_link(port, s->nqn, s), 0);
	nvmet_model_unlock(&f->tgt);
	nvmf_loop_run_once(f->worker.loop, 20);
	assert_int_equal(completions, before + 1);
	/* a read with Retain Asynchronous Event keeps it masked */
	memset(&t, 0, sizeof(t));
	t.cmd.common.opcode = nvme_admin_get_log_page;
	t.cmd.common.flags = NVME_CMD_SGL_METABUF;
	t.cmd.common.cdw10 =
		htole32(NVME_LOG_DISC | NVME_LOG_RAE | (1024 / 4 - 1) << 16);
	assert_int_equal(run(&sq, &t), 0);
	nvmet_model_lock(&f->tgt);
	nvmet_disc_changed(&f->tgt);
	nvmet_model_unlock(&f->tgt);
	nvmf_loop_run_once(f->worker.loop, 20);
	assert_int_equal(completions, before + 2); /* the log read only */
	/* read without RAE: the next change is announced again */
	t.cmd.common.cdw10 = htole32(NVME_LOG_DISC | (1024 / 4 - 1) << 16);
	assert_int_equal(run(&sq, &t), 0);
	before = completions;
	nvmet_model_lock(&f->tgt);
	nvmet_disc_changed(&f->tgt);
	nvmet_model_unlock(&f->tgt);
	nvmf_loop_run_once(f->worker.loop, 100);
	assert_int_equal(completions, before + 1);
	assert_int_equal(le32toh(aer.cqe.result.u32),
			 NVME_AER_RESULT(NVME_AER_TYPE_NOTICE,
					 NVME_AER_NOTICE_DISC_CHANGED,
					 NVME_LOG_DISC));
	nvmet_ctrl_remove_sq(sq.ctrl, &sq);
	nvmet_ctrl_put(sq.ctrl);
}

/*
 * A drain that timed out leaves the old device open; a later enable must
 * not serve it after device_path changed (it did: 1024 blocks of the old
 * file, not the new one's 2048).
 */
static void test_ns_stale_device(void **state)
{
	struct fixture *f = *state;
	struct nvmet_subsys *s = nvmet_find_subsys(&f->tgt, OPEN);
	char img2[] = "/tmp/nvmet-core2-XXXXXX", err[256];
	struct nvmet_ns *ns, *held;
	int fd;

	fd = mkstemp(img2);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8 << 20), 0); /* 2048 blocks */
	close(fd);
	held = nvmet_ns_get(s, 1);
	assert_non_null(held);
	assert_int_equal(held->nr_blocks, 1024);
	nvmet_model_lock(&f->tgt);
	ns = nvmet_find_ns_any(s, 1);
	nvmet_ns_disable(ns); /* the drain gave up: fd still open */
	free(ns->cfg.path);
	ns->cfg.path = strdup(img2);
	assert_int_equal(nvmet_ns_enable(ns, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "still running on the previous device"));
	assert_false(ns->enabled);
	nvmet_model_unlock(&f->tgt);
	nvmet_ns_put(held);
	nvmet_model_lock(&f->tgt);
	assert_int_equal(nvmet_ns_enable(ns, err, sizeof(err)), 0);
	assert_int_equal(ns->nr_blocks, 2048);
	nvmet_model_unlock(&f->tgt);
	unlink(img2);
}

static uint8_t io_buf[4][4096] __attribute__((aligned(4096)));

/*
 * Read or write one block of nsid 1, LBA lba, from io_buf[slot] (a write
 * fills it with byte first), with the worker's registered buffer buf_index
 * (or -1); return the status.
 */
static uint16_t rw_block(struct fixture *f, struct nvmet_sq *sq, bool write,
			 uint64_t lba, uint8_t byte, int slot, int buf_index)
{
	uint8_t *buf = io_buf[slot];
	int before = completions;
	struct treq t;
	uint16_t st;

	memset(&t, 0, sizeof(t));
	if (write)
		memset(buf, byte, 4096);
	t.cmd.rw.opcode = write ? nvme_cmd_write : nvme_cmd_read;
	t.cmd.rw.flags = NVME_CMD_SGL_METABUF;
	t.cmd.rw.nsid = htole32(1);
	t.cmd.rw.slba = htole64(lba);
	t.req.cmd = &t.cmd;
	t.req.cqe = &t.cqe;
	st = nvmet_req_init(&t.req, sq);
	if (st)
		return st;
	assert_int_equal(t.req.buf_index, -1); /* unless the transport says */
	t.req.data = buf;
	t.req.buf_index = buf_index;
	nvmet_req_execute(&t.req);
	for (int i = 0; i < 100 && completions == before; i++)
		nvmf_loop_run_once(f->worker.loop, 10);
	assert_int_equal(completions, before + 1);
	return le16toh(t.cqe.status);
}

static uint16_t write_block(struct fixture *f, struct nvmet_sq *sq,
			    uint64_t lba, uint8_t byte)
{
	return rw_block(f, sq, true, lba, byte, 0, -1);
}

static bool file_has(const char *path, uint64_t lba, uint8_t byte)
{
	uint8_t buf[4096];
	int fd = open(path, O_RDONLY);
	bool ok;

	assert_true(fd >= 0);
	ok = pread(fd, buf, sizeof(buf), (off_t)(lba * 4096)) == sizeof(buf);
	close(fd);
	for (size_t i = 0; ok && i < sizeof(buf); i++)
		ok = buf[i] == byte;
	return ok;
}

static int slots_used(struct nvmet_tgt *tgt)
{
	int n = 0;

	for (int i = 0; i < NVMET_FILE_SLOTS / 64; i++)
		n += __builtin_popcountll(tgt->file_slots[i]);
	return n;
}

/*
 * The worker's io_uring reaches namespaces through its table of registered
 * files, one slot per open namespace; a namespace given another device
 * gets the new file in its slot, so writes land on the new device.
 */
static void test_ns_registered_file(void **state)
{
	struct fixture *f = *state;
	struct nvmet_worker *w = &f->worker;
	struct nvmet_subsys *s = nvmet_find_subsys(&f->tgt, OPEN);
	char img2[] = "/tmp/nvmet-core3-XXXXXX", err[256];
	struct nvmet_sq asq, iosq;
	struct nvmet_ns *ns;
	uint64_t fixed;
	int fd;

	nvmf_loop_bind_thread(w->loop);
	assert_int_equal(nvmet_worker_ring_init(w), 0);
	if (!w->ring_files)
		skip(); /* a kernel without sparse file tables (< 5.19) */
	f->tgt.workers = w;
	f->tgt.nr_workers = 1;
	assert_int_equal(slots_used(&f->tgt), 2); /* nsid 1 and 3 are open */
	sq_init(f, &asq, 0);
	sq_init(f, &iosq, 1);
	connect_io_queue(&asq, &iosq);
	fixed = w->stats[NVMET_STAT_URING_FIXED];
	assert_int_equal(write_block(f, &iosq, 5, 0xa5), 0);
	assert_int_equal(w->stats[NVMET_STAT_URING_FIXED], fixed + 1);
	assert_true(file_has(f->img, 5, 0xa5));

	/* another device: the slot is given back, the new file gets one */
	fd = mkstemp(img2);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8 << 20), 0); /* 2048 blocks */
	close(fd);
	nvmet_model_lock(&f->tgt);
	ns = nvmet_find_ns_any(s, 1);
	nvmet_ns_disable(ns);
	nvmet_model_unlock(&f->tgt);
	nvmet_ns_drain(ns);
	assert_int_equal(ns->file_slot, -1);
	assert_int_equal(slots_used(&f->tgt), 1);
	nvmet_model_lock(&f->tgt);
	free(ns->cfg.path);
	ns->cfg.path = strdup(img2);
	assert_int_equal(nvmet_ns_enable(ns, err, sizeof(err)), 0);
	nvmet_model_unlock(&f->tgt);
	assert_true(ns->file_slot >= 0);
	assert_int_equal(slots_used(&f->tgt), 2);
	assert_int_equal(write_block(f, &iosq, 5, 0x3c), 0);
	assert_int_equal(write_block(f, &iosq, 2000, 0x3c), 0);
	assert_int_equal(w->stats[NVMET_STAT_URING_FIXED], fixed + 3);
	assert_true(file_has(img2, 5, 0x3c));
	assert_true(file_has(img2, 2000, 0x3c));
	assert_true(file_has(f->img, 5, 0xa5)); /* the old device untouched */

	/* a registered buffer: reads and writes there say so */
	assert_true(w->ring_bufs); /* sparse tables came in one kernel */
	{
		uint64_t fb = w->stats[NVMET_STAT_URING_FIXED_BUFS];
		int idx = nvmet_worker_buf_register(w, io_buf[1],
						    3 * sizeof(io_buf[1]));

		assert_true(idx >= 0);
		assert_int_equal(rw_block(f, &iosq, true, 7, 0x5a, 2, idx), 0);
		assert_true(file_has(img2, 7, 0x5a));
		memset(io_buf[3], 0, sizeof(io_buf[3]));
		assert_int_equal(rw_block(f, &iosq, false, 7, 0, 3, idx), 0);
		assert_int_equal(io_buf[3][0], 0x5a);
		assert_int_equal(io_buf[3][4095], 0x5a);
		assert_int_equal(w->stats[NVMET_STAT_URING_FIXED_BUFS], fb + 2);
		/* the kernel holds it to the registered range */
		assert_int_not_equal(rw_block(f, &iosq, true, 7, 0, 0, idx), 0);
		assert_true(file_has(img2, 7, 0x5a));
		nvmet_worker_buf_unregister(w, idx);
		/* the slot is free again */
		assert_int_equal(nvmet_worker_buf_register(w, io_buf[1], 4096),
				 idx);
		nvmet_worker_buf_unregister(w, idx);
	}
	unlink(img2);
	nvmet_ctrl_remove_sq(iosq.ctrl, &iosq);
	nvmet_ctrl_put(iosq.ctrl);
	nvmet_ctrl_remove_sq(asq.ctrl, &asq);
	nvmet_ctrl_put(asq.ctrl);
	f->tgt.workers = NULL;
	f->tgt.nr_workers = 0;
	nvmet_worker_ring_exit(w);
}

static struct sockaddr *ipv4(struct sockaddr_in *sin, const char *addr)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(40000);
	assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
	return (struct sockaddr *)sin;
}

/* New queues within the limits: in all, per host address, connecting. */
static void test_admission_limits(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in a, b;
	struct nvmet_sq sq[5];

	f->tgt.limits = (struct nvmet_limits){ .max_queues = 3,
					       .max_host_queues = 2,
					       .max_connecting = 2 };
	for (int i = 0; i < 5; i++)
		sq_init(f, &sq[i], 1);
	assert_int_equal(
		nvmet_queue_admit(&f->tgt, &sq[0], ipv4(&a, "10.0.0.2")), 0);
	assert_int_equal(
		nvmet_queue_admit(&f->tgt, &sq[1], ipv4(&a, "10.0.0.2")), 0);
	/* two still connecting: nobody else */
	assert_int_equal(nvmet_queue_admit(&f->tgt, &sq[2],
					   ipv4(&b, "10.0.0.3")),
			 -EBUSY);
	nvmet_sq_connected(&sq[0]);
	/* 10.0.0.2 has its two (the port does not matter) */
	a.sin_port = htons(40001);
	assert_int_equal(nvmet_queue_admit(&f->tgt, &sq[2],
					   (struct sockaddr *)&a),
			 -EBUSY);
	assert_int_equal(
		nvmet_queue_admit(&f->tgt, &sq[2], ipv4(&b, "10.0.0.3")), 0);
	nvmet_sq_connected(&sq[2]);
	/* three in all */
	assert_int_equal(nvmet_queue_admit(&f->tgt, &sq[3],
					   ipv4(&b, "10.0.0.3")),
			 -EBUSY);
	nvmet_queue_leave(&f->tgt, &sq[1]); /* went away before its Connect */
	assert_int_equal(atomic_load(&f->tgt.nr_connecting), 0);
	assert_int_equal(
		nvmet_queue_admit(&f->tgt, &sq[3], ipv4(&b, "10.0.0.3")), 0);
	nvmet_queue_leave(&f->tgt, &sq[0]);
	nvmet_queue_leave(&f->tgt, &sq[2]);
	nvmet_queue_leave(&f->tgt, &sq[3]);
	nvmet_queue_leave(&f->tgt, &sq[4]); /* never admitted: nothing */
	assert_int_equal(f->tgt.nr_queues, 0);
	assert_int_equal(atomic_load(&f->tgt.nr_connecting), 0);
	assert_true(TAILQ_EMPTY(&f->tgt.peers));
}

/* A queue without a Connect is disconnected at its deadline, not before. */
static void test_connect_deadline(void **state)
{
	struct fixture *f = *state;
	struct nvmet_sq idle, good;
	int before = disconnects;
	uint64_t start;

	nvmf_loop_bind_thread(f->worker.loop);
	f->tgt.limits.connect_timeout_ms = 50;
	sq_init(f, &idle, 0);
	sq_init(f, &good, 0);
	start = nvmf_now_ms();
	assert_int_equal(nvmet_sq_start(&idle), 0);
	assert_int_equal(nvmet_sq_start(&good), 0);
	assert_int_equal(do_connect(&good, OPEN, HOST, 0xffff, 31, NULL), 0);
	assert_true(good.connected);
	while (disconnects == before && nvmf_now_ms() - start < 2000)
		nvmf_loop_run_once(f->worker.loop, 10);
	assert_int_equal(disconnects, before + 1);
	assert_true(nvmf_now_ms() - start >= 50);
	/* the connected one stays */
	nvmf_loop_run_once(f->worker.loop, 100);
	assert_int_equal(disconnects, before + 1);
	nvmet_sq_stop(&idle);
	nvmet_sq_stop(&good);
	nvmet_ctrl_remove_sq(good.ctrl, &good);
	nvmet_ctrl_put(good.ctrl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_admission_limits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ns_registered_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ns_stale_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_connects, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kato_set_later, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_disc_changed_aen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ns_changed_aen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_properties_and_io_queue,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_identify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cntlid_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_discovery_log, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_protect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_io_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ns_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hybrid_poll, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hybrid_poll_socket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_batched_pass, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_transport_registry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_state_files, setup,
						teardown),
	};

	nvmf_log_set_level(NVMF_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

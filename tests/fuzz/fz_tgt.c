// SPDX-License-Identifier: GPL-2.0
/*
 * The target core for fuzz harnesses (see fz_tgt.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fz_tgt.h"
#include "log.h"
#include "rdma.h"

static int completions;

static void fz_response(struct nvmet_req *req)
{
	(void)req;
	completions++;
}

static void fz_disconnect(struct nvmet_sq *sq)
{
	(void)sq;
}

static const struct nvmet_transport_ops fz_ops = {
	.name = "fuzz",
	.trtype = NVMF_TRTYPE_RDMA, /* the fixture's ports' */
	.queue_response = fz_response,
	.disconnect_queue = fz_disconnect,
};

static const struct nvmet_transport_ops *const fz_transports[] = { &fz_ops,
								   NULL };

struct fz_tgt *fz_tgt_get(void)
{
	static struct fz_tgt *f;
	char doc[2048], err[256], img[] = "/dev/shm/nvmf-fuzz-XXXXXX";
	int fd;

	if (f)
		return f;
	nvmf_log_set_level(NVMF_LOG_ERROR);
	f = calloc(1, sizeof(*f));
	f->buf = aligned_alloc(4096, NVMET_MAX_XFER);
	fd = mkstemp(img);
	if (!f || !f->buf || fd < 0 || ftruncate(fd, 4 << 20))
		abort();
	close(fd);
	snprintf(
		doc, sizeof(doc),
		"{\"hosts\":[{\"nqn\":\"" FZ_HOST "\"}],"
		"\"subsystems\":[{\"nqn\":\"" FZ_OPEN "\",\"attr\":{"
		"\"allow_any_host\":\"1\",\"serial\":\"FUZZ\"},\"namespaces\":["
		"{\"nsid\":1,\"enable\":1,\"device\":{\"path\":\"%s\"}},"
		"{\"nsid\":7,\"enable\":1,\"device\":{\"path\":\"%s\"}},"
		"{\"nsid\":2,\"enable\":0,\"device\":{\"path\":\"\"}}]},"
		"{\"nqn\":\"" FZ_CLOSED "\",\"allowed_hosts\":[\"" FZ_HOST
		"\"]}],"
		"\"ports\":[{\"portid\":1,\"addr\":{\"trtype\":\"rdma\","
		"\"adrfam\":\"ipv4\",\"traddr\":\"10.0.0.1\",\"trsvcid\":"
		"\"4420\"},\"subsystems\":[\"" FZ_OPEN "\",\"" FZ_CLOSED "\"],"
		"\"referrals\":[{\"name\":\"r\",\"addr\":{\"trtype\":\"rdma\","
		"\"adrfam\":\"ipv4\",\"traddr\":\"10.0.0.9\",\"trsvcid\":"
		"\"4420\"},\"portid\":9}]},"
		"{\"portid\":2,\"addr\":{\"trtype\":\"rdma\","
		"\"adrfam\":\"ipv4\",\"traddr\":\"10.0.0.1\",\"trsvcid\":"
		"\"4421\"},\"subsystems\":[\"" FZ_OPEN "\"]}]}",
		img, img);
	if (nvmf_cfg_parse(doc, "fuzz", &f->cfg, err, sizeof(err)) ||
	    nvmet_tgt_build(&f->tgt, f->cfg, err, sizeof(err))) {
		fprintf(stderr, "fuzz fixture: %s\n", err);
		abort();
	}
	unlink(img); /* open: gone with the process */
	f->tgt.transports = fz_transports;
	f->worker.tgt = &f->tgt;
	f->worker.loop = nvmf_loop_create();
	if (!f->worker.loop)
		abort();
	nvmf_loop_bind_thread(f->worker.loop);
	if (nvmet_worker_ring_init(&f->worker))
		abort();
	f->tgt.workers = &f->worker;
	f->tgt.nr_workers = 1;
	return f;
}

void fz_sq_init(struct fz_tgt *f, struct nvmet_sq *sq, uint16_t qid,
		uint16_t portid)
{
	memset(sq, 0, sizeof(*sq));
	nvmet_sq_init(sq);
	sq->port = nvmet_find_port(&f->tgt, portid);
	sq->worker = &f->worker;
	sq->ops = &fz_ops;
	sq->qid = qid;
	sq->size = qid ? 128 : 32;
	sq->inline_data_size = qid ? 4096 : 0;
	strcpy(sq->log_prefix, "fuzz");
}

static void wait_completion(struct fz_tgt *f, int before)
{
	uint64_t start = nvmf_now_ms();

	while (completions == before) {
		nvmf_loop_run_once(f->worker.loop, 1);
		if (nvmf_now_ms() - start > 10000) {
			fprintf(stderr, "a command did not complete in 10 s\n");
			abort();
		}
	}
}

static uint16_t trace(const struct nvmet_sq *sq, const struct fz_req *r,
		      uint16_t st)
{
	static int on = -1;

	if (on < 0)
		on = getenv("FZ_TRACE") != NULL;
	if (on)
		fprintf(stderr, "fz: qid %u opcode 0x%02x -> status 0x%x\n",
			sq->qid, r->cmd.common.opcode, st);
	return st;
}

uint16_t fz_run(struct fz_tgt *f, struct nvmet_sq *sq, struct fz_req *r,
		uint32_t received, const uint8_t *fill, size_t fill_len)
{
	int before = completions;
	struct rdma_sgl sgl;
	uint16_t st;

	memset(&r->req, 0, sizeof(r->req));
	memset(&r->cqe, 0, sizeof(r->cqe));
	r->req.cmd = &r->cmd;
	r->req.cqe = &r->cqe;
	st = nvmet_req_init(&r->req, sq);
	if (!st)
		st = nvmet_rdma_parse_sgl(&r->cmd, r->req.dir, r->req.data_len,
					  sq->inline_data_size, received, &sgl);
	if (st) {
		nvmet_req_complete(&r->req, st);
		return trace(sq, r, le16toh(r->cqe.status) >> 1);
	}
	switch (sgl.kind) {
	case RDMA_SGL_INLINE:
		r->req.data = r->inl + sgl.off;
		break;
	case RDMA_SGL_KEYED:
		/* the transport's buffer: what an RDMA READ would bring */
		if (sgl.len > NVMET_MAX_XFER)
			abort();
		memset(f->buf, 0xa5, sgl.len);
		if (r->req.dir == NVMET_DATA_TO_CTRL && fill)
			memcpy(f->buf, fill,
			       fill_len < sgl.len ? fill_len : sgl.len);
		r->req.data = f->buf;
		break;
	case RDMA_SGL_NONE:
		r->req.data = NULL;
		break;
	}
	nvmet_req_execute(&r->req);
	if (!sq->qid && r->cmd.common.opcode == nvme_admin_async_event &&
	    completions == before)
		return trace(sq, r, 0xffff); /* outstanding until an event */
	wait_completion(f, before);
	return trace(sq, r, le16toh(r->cqe.status) >> 1);
}

uint16_t fz_connect(struct fz_tgt *f, struct nvmet_sq *sq, const char *subnqn,
		    uint16_t cntlid, uint16_t *result)
{
	uint16_t st;

	static struct fz_req r;
	struct nvmf_connect_data *d = (void *)r.inl;

	memset(&r, 0, sizeof(r));
	r.cmd.connect.opcode = nvme_fabrics_command;
	r.cmd.connect.fctype = nvme_fabrics_type_connect;
	r.cmd.connect.qid = htole16(sq->qid);
	r.cmd.connect.sqsize = htole16(sq->qid ? 127 : 31);
	r.cmd.connect.kato = htole32(sq->qid ? 0 : 5000);
	if (sq->qid) {
		r.cmd.connect.dptr.sgl.type = NVME_SGL_TYPE_INLINE;
		r.cmd.connect.dptr.sgl.length = htole32(sizeof(*d));
	} else { /* no in-capsule data on an admin queue: keyed */
		r.cmd.connect.dptr.ksgl.type = NVME_SGL_TYPE_KEYED;
		r.cmd.connect.dptr.ksgl.length[0] = sizeof(*d) & 0xff;
		r.cmd.connect.dptr.ksgl.length[1] = sizeof(*d) >> 8;
	}
	d->cntlid = htole16(cntlid);
	strcpy(d->subsysnqn, subnqn);
	strcpy(d->hostnqn, FZ_HOST);
	st = fz_run(f, sq, &r, sizeof(*d), r.inl, sizeof(*d));
	if (!st && result)
		*result = le16toh(r.cqe.result.u16);
	return st;
}

void fz_enable(struct fz_tgt *f, struct nvmet_sq *asq)
{
	static struct fz_req r;

	memset(&r, 0, sizeof(r));
	r.cmd.prop_set.opcode = nvme_fabrics_command;
	r.cmd.prop_set.fctype = nvme_fabrics_type_property_set;
	r.cmd.prop_set.offset = htole32(NVME_REG_CC);
	r.cmd.prop_set.value = htole64(0x460001);
	fz_run(f, asq, &r, 0, NULL, 0);
}

void fz_sq_fini(struct nvmet_sq *sq)
{
	struct nvmet_ctrl *ctrl = sq->ctrl;

	nvmet_sq_stop(sq);
	if (!ctrl)
		return;
	nvmet_ctrl_remove_sq(ctrl, sq);
	nvmet_ctrl_put(ctrl);
	sq->ctrl = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Request lifecycle: parse, execute, complete.
 */
#include <string.h>

#include "log.h"
#include "nvmet.h"

void nvmet_sq_init(struct nvmet_sq *sq)
{
	sq->ctrl = NULL;
	sq->sqhd = 0;
	sq->sqhd_disabled = false;
}

static uint16_t nvmet_parse(struct nvmet_req *req)
{
	struct nvmet_sq *sq = req->sq;

	if (req->cmd->common.opcode == nvme_fabrics_command)
		return nvmet_parse_fabrics_cmd(req);
	if (!sq->ctrl) {
		nvmf_obj_debug(sq->log_prefix, "opcode 0x%02x before Connect",
			       req->cmd->common.opcode);
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	}
	if (sq->qid)
		return nvmet_parse_io_cmd(req);
	if (sq->ctrl->subsys->discovery)
		return nvmet_parse_discovery_cmd(req);
	return nvmet_parse_admin_cmd(req);
}

/*
 * Return: 0 when the command is valid and req->execute is set (with
 * req->dir and req->data_len), or the NVMe status to complete it with.
 */
uint16_t nvmet_req_init(struct nvmet_req *req, struct nvmet_sq *sq)
{
	uint8_t flags = req->cmd->common.flags;

	req->sq = sq;
	req->ns = NULL;
	req->dir = NVMET_DATA_NONE;
	req->data_len = 0;
	req->data = NULL;
	req->buf_index = -1;
	req->execute = NULL;
	memset(req->cqe, 0, sizeof(*req->cqe));
	req->cqe->command_id = req->cmd->common.command_id;
	req->cqe->sq_id = htole16(sq->qid);

	/* fused operations are not supported; SGLs are mandatory here */
	if (flags & 0x3)
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	if ((flags & 0xc0) != NVME_CMD_SGL_METABUF &&
	    req->cmd->common.opcode != nvme_fabrics_command)
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	return nvmet_parse(req);
}

void nvmet_req_execute(struct nvmet_req *req)
{
	req->execute(req);
}

void nvmet_set_result(struct nvmet_req *req, uint32_t result)
{
	req->cqe->result.u32 = htole32(result);
}

/* Drop what the request holds (its namespace); safe to call again. */
void nvmet_req_release(struct nvmet_req *req)
{
	if (req->ns)
		nvmet_ns_put(req->ns);
	req->ns = NULL;
}

void nvmet_req_complete(struct nvmet_req *req, uint16_t status)
{
	struct nvmet_sq *sq = req->sq;

	if (status)
		nvmf_obj_debug(
			sq->log_prefix,
			"cid %u opcode 0x%02x: status sct %u sc 0x%02x%s",
			req->cmd->common.command_id, req->cmd->common.opcode,
			nvme_status_sct(status), nvme_status_sc(status),
			nvme_status_dnr(status) ? " dnr" : "");
	if (sq->sqhd_disabled) {
		req->cqe->sq_head = htole16(0xffff);
	} else {
		sq->sqhd = (uint16_t)((sq->sqhd + 1) % sq->size);
		req->cqe->sq_head = htole16(sq->sqhd);
	}
	req->cqe->status = htole16(status);
	nvmet_req_release(req);
	if (sq->worker) {
		nvmet_stat_add(sq->worker, NVMET_STAT_COMMANDS, 1);
		if (sq->qid)
			nvmet_stat_add(sq->worker, NVMET_STAT_IOS, 1);
	}
	sq->ops->queue_response(req);
}

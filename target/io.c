// SPDX-License-Identifier: GPL-2.0
/*
 * The NVM command set: Read, Write, Flush, Write Zeroes and Dataset
 * Management, checked here and carried out by backend.c.
 */
#include "log.h"
#include "nvmet.h"

#define DSM_MAX_RANGES 256

static void execute_rw(struct nvmet_req *req)
{
	struct nvmet_subsys *s = req->ns->subsys;
	bool write = req->cmd->rw.opcode == nvme_cmd_write;
	uint64_t off = le64toh(req->cmd->rw.slba) << req->ns->blksz_shift;

	if (write) {
		atomic_fetch_add(&s->host_writes, 1);
		atomic_fetch_add(&s->blocks_written, req->data_len >> 9);
	} else {
		atomic_fetch_add(&s->host_reads, 1);
		atomic_fetch_add(&s->blocks_read, req->data_len >> 9);
	}
	nvmet_bdev_rw(req, write, off);
}

static void execute_write_zeroes(struct nvmet_req *req)
{
	struct nvmet_ns *ns = req->ns;
	uint64_t nlb = (uint64_t)le16toh(req->cmd->rw.length) + 1;

	nvmet_bdev_write_zeroes(req,
				le64toh(req->cmd->rw.slba) << ns->blksz_shift,
				nlb << ns->blksz_shift);
}

/* The LBA range of a Read, Write or Write Zeroes; 0 when it fits. */
static uint16_t check_range(struct nvmet_req *req)
{
	uint64_t slba = le64toh(req->cmd->rw.slba);
	uint64_t nlb = (uint64_t)le16toh(req->cmd->rw.length) + 1;

	if (slba >= req->ns->nr_blocks || nlb > req->ns->nr_blocks - slba)
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
	return 0;
}

static uint16_t parse_rw(struct nvmet_req *req)
{
	uint64_t nlb = (uint64_t)le16toh(req->cmd->rw.length) + 1;
	uint64_t len = nlb << req->ns->blksz_shift;
	uint16_t status = check_range(req);

	if (status)
		return status;
	if (len > NVMET_MAX_XFER) {
		nvmf_obj_debug(req->sq->log_prefix,
			       "transfer of %llu bytes exceeds MDTS",
			       (unsigned long long)len);
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
	}
	req->data_len = (uint32_t)len;
	req->dir = req->cmd->rw.opcode == nvme_cmd_write ? NVMET_DATA_TO_CTRL :
							   NVMET_DATA_TO_HOST;
	req->execute = execute_rw;
	return 0;
}

uint16_t nvmet_parse_io_cmd(struct nvmet_req *req)
{
	uint32_t nsid = le32toh(req->cmd->common.nsid);
	uint16_t status;

	req->ns = nvmet_sq_ns_get(req->sq, nsid);
	if (!req->ns)
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_NS);
	if (atomic_load_explicit(&req->ns->readonly, memory_order_relaxed) &&
	    req->cmd->common.opcode != nvme_cmd_read &&
	    req->cmd->common.opcode != nvme_cmd_flush)
		return nvmet_status(NVME_SCT_GENERIC,
				    NVME_SC_NS_WRITE_PROTECTED);
	switch (req->cmd->common.opcode) {
	case nvme_cmd_read:
	case nvme_cmd_write:
		return parse_rw(req);
	case nvme_cmd_flush:
		req->execute = nvmet_bdev_flush;
		return 0;
	case nvme_cmd_write_zeroes:
		status = check_range(req);
		if (status)
			return status;
		req->execute = execute_write_zeroes;
		return 0;
	case nvme_cmd_dsm:
		req->dir = NVMET_DATA_TO_CTRL;
		req->data_len = ((le32toh(req->cmd->common.cdw10) & 0xff) + 1) *
				sizeof(struct nvme_dsm_range);
		req->execute = nvmet_bdev_dsm;
		return 0;
	}
	nvmf_obj_debug(req->sq->log_prefix, "unsupported I/O opcode 0x%02x",
		       req->cmd->common.opcode);
	return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
}

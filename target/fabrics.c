// SPDX-License-Identifier: GPL-2.0
/*
 * Fabrics commands: Connect (admin and I/O queues), Property Get/Set and
 * Disconnect.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "nqn.h"
#include "nvmet.h"

/* Connect failure with "invalid parameter" and the offending offset. */
static void connect_invalid(struct nvmet_req *req, bool in_data, size_t off)
{
	/* dw0: bits 15:0 offset, bit 16 "in the data" (IATTR) */
	nvmet_set_result(req, (uint32_t)off | (in_data ? 1u << 16 : 0));
	nvmet_req_complete(req, nvmet_status(NVME_SCT_CMD_SPECIFIC,
					     NVME_SC_CONNECT_INVALID_PARAM));
}

static void connect_fail(struct nvmet_req *req, unsigned int sc)
{
	nvmet_req_complete(req, nvmet_status(NVME_SCT_CMD_SPECIFIC, sc));
}

static bool nqn_field_ok(const char *field)
{
	return memchr(field, '\0', NVME_NQN_FIELD) != NULL;
}

/*
 * Look up the subsystem and check the host's access; completes on error.
 * Return: the subsystem with a reference for the caller, or NULL.
 */
static struct nvmet_subsys *connect_subsys(struct nvmet_req *req,
					   struct nvmf_connect_data *d)
{
	struct nvmet_port *port = req->sq->port;
	struct nvmet_subsys *subsys;

	if (!nqn_field_ok(d->subsysnqn) || !nqn_field_ok(d->hostnqn) ||
	    nvmf_nqn_validate(d->hostnqn, NULL)) {
		connect_invalid(req, true,
				offsetof(struct nvmf_connect_data, hostnqn));
		return NULL;
	}
	nvmet_model_rdlock(port->tgt);
	subsys = nvmet_find_subsys(port->tgt, d->subsysnqn);
	if (subsys && (!nvmet_port_has_subsys(port, subsys) ||
		       !nvmet_host_allowed(subsys, d->hostnqn))) {
		if (nvmet_port_has_subsys(port, subsys)) {
			nvmet_model_unlock(port->tgt);
			nvmf_obj_info(req->sq->log_prefix,
				      "connect from %s to %s: host not allowed",
				      d->hostnqn, subsys->nqn);
			connect_fail(req, NVME_SC_CONNECT_INVALID_HOST);
			return NULL;
		}
		subsys = NULL;
	}
	if (subsys)
		nvmet_subsys_get(subsys);
	nvmet_model_unlock(port->tgt);
	if (!subsys) {
		nvmf_obj_info(req->sq->log_prefix,
			      "connect from %s to unknown subsystem %.*s",
			      d->hostnqn, NVME_NQN_MAX, d->subsysnqn);
		connect_invalid(req, true,
				offsetof(struct nvmf_connect_data, subsysnqn));
		return NULL;
	}
	return subsys;
}

static void connect_admin(struct nvmet_req *req, struct nvmf_connect_data *d)
{
	struct nvmf_connect_command *c = &req->cmd->connect;
	struct nvmet_subsys *subsys;
	struct nvmet_ctrl *ctrl;

	if (le16toh(d->cntlid) != NVME_CNTLID_DYNAMIC) {
		connect_invalid(req, true,
				offsetof(struct nvmf_connect_data, cntlid));
		return;
	}
	subsys = connect_subsys(req, d);
	if (!subsys)
		return;
	ctrl = nvmet_ctrl_alloc(subsys, req->sq->port, d->hostnqn, d->hostid,
				le32toh(c->kato));
	nvmet_subsys_put(subsys);
	if (!ctrl) {
		connect_fail(req, NVME_SC_CONNECT_CTRL_BUSY);
		return;
	}
	if (nvmet_ctrl_install_sq(ctrl, req->sq)) {
		nvmet_ctrl_put(ctrl);
		connect_fail(req, NVME_SC_CONNECT_CTRL_BUSY);
		return;
	}
	snprintf(req->sq->log_prefix, sizeof(req->sq->log_prefix), "queue %u/0",
		 ctrl->cntlid);
	nvmet_ctrl_start_keep_alive(ctrl);
	nvmet_set_result(req, ctrl->cntlid);
	nvmet_req_complete(req, 0);
}

static void connect_io(struct nvmf_connect_command *c, struct nvmet_req *req,
		       struct nvmf_connect_data *d)
{
	uint16_t qid = le16toh(c->qid), cntlid = le16toh(d->cntlid);
	struct nvmet_subsys *subsys;
	struct nvmet_ctrl *ctrl;

	subsys = connect_subsys(req, d);
	if (!subsys)
		return;
	ctrl = nvmet_ctrl_find_get(subsys, cntlid, d->hostnqn);
	nvmet_subsys_put(subsys);
	if (!ctrl) {
		nvmf_obj_info(req->sq->log_prefix,
			      "I/O queue %u connect: no controller %u for %s",
			      qid, cntlid, d->hostnqn);
		connect_invalid(req, true,
				offsetof(struct nvmf_connect_data, cntlid));
		return;
	}
	/*
	 * A controller lives on one port (its admin queue's): I/O queues
	 * through another port would outlive an unlink from that port.
	 */
	if (ctrl->port != req->sq->port) {
		nvmf_obj_info(req->sq->log_prefix,
			      "I/O queue %u connect: controller %u is on "
			      "another port",
			      qid, cntlid);
		nvmet_ctrl_put(ctrl);
		connect_invalid(req, true,
				offsetof(struct nvmf_connect_data, cntlid));
		return;
	}
	if (qid > nvmet_subsys_max_qid(ctrl->subsys) ||
	    !(ctrl->cc & NVME_CC_EN)) {
		nvmet_ctrl_put(ctrl);
		connect_invalid(req, false,
				offsetof(struct nvmf_connect_command, qid));
		return;
	}
	if (le16toh(c->sqsize) > NVME_CAP_MQES(ctrl->cap)) {
		nvmet_ctrl_put(ctrl);
		connect_invalid(req, false,
				offsetof(struct nvmf_connect_command, sqsize));
		return;
	}
	if (nvmet_ctrl_install_sq(ctrl, req->sq)) {
		nvmet_ctrl_put(ctrl);
		connect_invalid(req, false,
				offsetof(struct nvmf_connect_command, qid));
		return;
	}
	snprintf(req->sq->log_prefix, sizeof(req->sq->log_prefix),
		 "queue %u/%u", ctrl->cntlid, qid);
	nvmf_obj_debug(req->sq->log_prefix, "connected (%u entries)",
		       req->sq->size);
	nvmet_set_result(req, ctrl->cntlid);
	nvmet_req_complete(req, 0);
}

static void execute_connect(struct nvmet_req *req)
{
	struct nvmf_connect_command *c = &req->cmd->connect;
	struct nvmf_connect_data *d = req->data;

	/*
	 * Connects pipelined on one queue all pass the parse-time check
	 * (their data arrives later); they execute one by one on the
	 * queue's worker, so only the first may attach a controller.
	 */
	if (req->sq->ctrl) {
		nvmf_obj_info(req->sq->log_prefix,
			      "a second Connect on a connected queue");
		nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC,
						     NVME_SC_CMD_SEQ_ERROR));
		return;
	}
	if (le16toh(c->recfmt) != 0) {
		nvmf_obj_info(req->sq->log_prefix,
			      "connect with record format %u",
			      le16toh(c->recfmt));
		connect_fail(req, NVME_SC_CONNECT_FORMAT);
		return;
	}
	if (req->sq->ops->install_queue) {
		int ret = c->sqsize ? req->sq->ops->install_queue(
					      req->sq, le16toh(c->qid),
					      le16toh(c->sqsize) + 1u) :
				      0;

		if (ret == -ENOMEM) {
			nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC,
							     NVME_SC_INTERNAL));
			return;
		}
		if (ret) {
			connect_invalid(
				req, false,
				ret == -ERANGE ?
					offsetof(struct nvmf_connect_command,
						 sqsize) :
					offsetof(struct nvmf_connect_command,
						 qid));
			return;
		}
	}
	if (le16toh(c->qid) != req->sq->qid) {
		connect_invalid(req, false,
				offsetof(struct nvmf_connect_command, qid));
		return;
	}
	/* sqsize is 0-based; the transport sized the queue (RDMA CM, above) */
	if (!c->sqsize || le16toh(c->sqsize) + 1u > req->sq->size) {
		connect_invalid(req, false,
				offsetof(struct nvmf_connect_command, sqsize));
		return;
	}
	if (c->cattr & NVMF_CONNECT_CATTR_DISABLE_SQFLOW)
		req->sq->sqhd_disabled = true;
	if (req->sq->qid == 0)
		connect_admin(req, d);
	else
		connect_io(c, req, d);
}

uint16_t nvmet_parse_connect_cmd(struct nvmet_req *req)
{
	if (req->cmd->common.opcode != nvme_fabrics_command ||
	    req->cmd->fabrics.fctype != nvme_fabrics_type_connect) {
		nvmf_obj_debug(req->sq->log_prefix,
			       "opcode 0x%02x fctype 0x%02x before Connect",
			       req->cmd->common.opcode,
			       req->cmd->fabrics.fctype);
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	}
	if (req->sq->ctrl) /* a second Connect on a connected queue */
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_CMD_SEQ_ERROR);
	req->dir = NVMET_DATA_TO_CTRL;
	req->data_len = sizeof(struct nvmf_connect_data);
	req->execute = execute_connect;
	return 0;
}

/* ---- properties ------------------------------------------------------------ */

static uint16_t prop_set_cc(struct nvmet_ctrl *ctrl, uint32_t new)
{
	uint32_t old = ctrl->cc;

	if ((new &NVME_CC_EN) && !(old & NVME_CC_EN)) {
		/* IOSQES 6 (64 B) and IOCQES 4 (16 B), MPS 4 KiB, NVM set */
		if (!ctrl->subsys->discovery &&
		    (((new >> NVME_CC_IOSQES_SHIFT) & 0xf) != 6 ||
		     ((new >> NVME_CC_IOCQES_SHIFT) & 0xf) != 4)) {
			ctrl->csts |= NVME_CSTS_CFS;
			return 0;
		}
		if (((new >> 7) & 0xf) != 0 || ((new >> 4) & 0x7) != 0) {
			ctrl->csts |= NVME_CSTS_CFS;
			return 0;
		}
		ctrl->csts |= NVME_CSTS_RDY;
	}
	if (!(new &NVME_CC_EN) && (old & NVME_CC_EN))
		ctrl->csts &= ~(NVME_CSTS_RDY | NVME_CSTS_SHST_MASK);
	if ((new &NVME_CC_SHN_MASK) && !(old & NVME_CC_SHN_MASK)) {
		ctrl->csts &= ~NVME_CSTS_RDY;
		ctrl->csts = (ctrl->csts & ~NVME_CSTS_SHST_MASK) |
			     NVME_CSTS_SHST_CMPLT;
	}
	if (!(new &NVME_CC_SHN_MASK) && (old & NVME_CC_SHN_MASK))
		ctrl->csts &= ~NVME_CSTS_SHST_MASK;
	ctrl->cc = new;
	return 0;
}

static void execute_prop_set(struct nvmet_req *req)
{
	struct nvmf_property_set_command *c = &req->cmd->prop_set;
	struct nvmet_ctrl *ctrl = req->sq->ctrl;
	uint16_t status;

	if (c->attrib & NVMF_PROP_SIZE_8 || le32toh(c->offset) != NVME_REG_CC) {
		/* only CC is writable, and it is 4 bytes */
		status = nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
		nvmf_obj_debug(req->sq->log_prefix,
			       "property set of read-only offset 0x%x",
			       le32toh(c->offset));
		nvmet_req_complete(req, status);
		return;
	}
	pthread_mutex_lock(&ctrl->lock);
	status = prop_set_cc(ctrl, (uint32_t)le64toh(c->value));
	pthread_mutex_unlock(&ctrl->lock);
	nvmet_req_complete(req, status);
}

static void execute_prop_get(struct nvmet_req *req)
{
	struct nvmf_property_get_command *c = &req->cmd->prop_get;
	struct nvmet_ctrl *ctrl = req->sq->ctrl;
	bool eight = c->attrib & NVMF_PROP_SIZE_8;
	uint16_t status = 0;
	uint64_t val = 0;

	pthread_mutex_lock(&ctrl->lock);
	switch (le32toh(c->offset)) {
	case NVME_REG_CAP:
		if (eight)
			val = ctrl->cap;
		else
			status = NVME_SC_INVALID_FIELD;
		break;
	case NVME_REG_VS:
		val = ctrl->subsys->version;
		break;
	case NVME_REG_CC:
		val = ctrl->cc;
		break;
	case NVME_REG_CSTS:
		val = ctrl->csts;
		break;
	case NVME_REG_CRTO:
		val = 15u << 16 | 15u; /* ready timeouts, 500 ms units */
		break;
	default:
		status = NVME_SC_INVALID_FIELD;
	}
	pthread_mutex_unlock(&ctrl->lock);
	if (eight && le32toh(c->offset) != NVME_REG_CAP && !status)
		status = NVME_SC_INVALID_FIELD;
	if (status) {
		nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC, status));
		return;
	}
	req->cqe->result.u64 = htole64(val);
	nvmet_req_complete(req, 0);
}

static void execute_disconnect(struct nvmet_req *req)
{
	/* complete first; the host then tears the queue down */
	nvmet_req_complete(req, 0);
}

uint16_t nvmet_parse_fabrics_cmd(struct nvmet_req *req)
{
	struct nvmf_common_command *c = &req->cmd->fabrics;

	if (c->fctype == nvme_fabrics_type_connect)
		return nvmet_parse_connect_cmd(req);
	if (!req->sq->ctrl) {
		nvmf_obj_debug(req->sq->log_prefix,
			       "fabrics command 0x%02x before Connect",
			       c->fctype);
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	}
	switch (c->fctype) {
	case nvme_fabrics_type_property_set:
		if (req->sq->qid)
			break;
		req->execute = execute_prop_set;
		return 0;
	case nvme_fabrics_type_property_get:
		if (req->sq->qid)
			break;
		req->execute = execute_prop_get;
		return 0;
	case nvme_fabrics_type_disconnect:
		req->execute = execute_disconnect;
		return 0;
	}
	nvmf_obj_debug(req->sq->log_prefix, "invalid fabrics command 0x%02x",
		       c->fctype);
	return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
}

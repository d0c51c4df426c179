// SPDX-License-Identifier: GPL-2.0
/*
 * Admin commands of I/O controllers: Identify, Get Log Page, Set/Get
 * Features, Keep Alive, Asynchronous Event Request, Abort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nvmet.h"

#define INVALID_FIELD nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD)

/* The highest I/O queue id of the subsystem's controllers (attr_qid_max). */
uint16_t nvmet_subsys_max_qid(const struct nvmet_subsys *s)
{
	return s->qid_max && s->qid_max < NVMET_MAX_IO_QUEUES ?
		       s->qid_max :
		       NVMET_MAX_IO_QUEUES;
}

/* Number of Queues: I/O submission and completion queues, 0-based */
static uint32_t num_queues_result(const struct nvmet_subsys *s)
{
	uint32_t n = nvmet_subsys_max_qid(s);

	return (n - 1) | (n - 1) << 16;
}

uint64_t nvmet_get_log_page_len(const union nvme_command *cmd)
{
	uint32_t numdl = le32toh(cmd->common.cdw10) >> 16;
	uint32_t numdu = le32toh(cmd->common.cdw11) & 0xffff;

	/* NUMD is 0-based, in dwords: 0xffffffff + 1 must not wrap to 0 */
	return ((uint64_t)(numdu << 16 | numdl) + 1) * 4;
}

uint64_t nvmet_get_log_page_offset(const union nvme_command *cmd)
{
	return le32toh(cmd->common.cdw12) | (uint64_t)le32toh(cmd->common.cdw13)
						    << 32;
}

/* Copy [offset, offset + data_len) of a log page, zero past its end. */
uint16_t nvmet_copy_log(struct nvmet_req *req, const void *page, size_t size)
{
	uint64_t off = nvmet_get_log_page_offset(req->cmd);
	size_t n = 0;

	if (off & 3)
		return INVALID_FIELD;
	if (off < size) {
		n = size - off < req->data_len ? size - off : req->data_len;
		memcpy(req->data, (const uint8_t *)page + off, n);
	}
	memset((uint8_t *)req->data + n, 0, req->data_len - n);
	return 0;
}

void nvmet_fill_id_ctrl_common(struct nvmet_req *req, struct nvme_id_ctrl *id)
{
	struct nvmet_ctrl *ctrl = req->sq->ctrl;
	struct nvmet_subsys *s = ctrl->subsys;
	struct nvmet_port *port = req->sq->port;

	nvme_strpad(id->sn, sizeof(id->sn), s->serial);
	nvme_strpad(id->mn, sizeof(id->mn), s->model);
	nvme_strpad(id->fr, sizeof(id->fr), s->firmware);
	id->ieee[0] = (uint8_t)s->ieee_oui;
	id->ieee[1] = (uint8_t)(s->ieee_oui >> 8);
	id->ieee[2] = (uint8_t)(s->ieee_oui >> 16);
	atomic_store(&s->discovered, true);
	id->mdts = NVMET_MDTS;
	id->cntlid = htole16(ctrl->cntlid);
	id->ver = htole32(s->version);
	id->ctratt = htole32(NVME_CTRL_CTRATT_128_ID);
	id->kas = htole16(NVMET_KAS);
	id->sqes = (6 << 4) | 6;
	id->cqes = (4 << 4) | 4;
	id->maxcmd = htole16(port->cfg.max_queue_size);
	id->sgls = htole32(
		NVME_CTRL_SGLS_SUPPORTED | NVME_CTRL_SGLS_KSDBDS |
		(port->cfg.inline_data_size ? NVME_CTRL_SGLS_OFFSET : 0));
	snprintf(id->subnqn, sizeof(id->subnqn), "%s", s->nqn);
	id->ioccsz = htole32(
		(sizeof(union nvme_command) + port->cfg.inline_data_size) / 16);
	id->iorcsz = htole32(sizeof(struct nvme_completion) / 16);
	id->icdoff = 0;
	id->msdbd = 1;
	id->elpe = NVMET_ELPE;
}

static void execute_identify_ctrl(struct nvmet_req *req)
{
	struct nvmet_ctrl *ctrl = req->sq->ctrl;
	struct nvme_id_ctrl *id = req->data;
	uint32_t nn;

	memset(id, 0, sizeof(*id));
	nvmet_fill_id_ctrl_common(req, id);
	id->rab = 6;
	id->cmic = 1 << 0 | 1 << 1; /* multi-port, multi-controller */
	id->oaes = htole32(NVME_CTRL_OAES_NS_ATTR);
	id->cntrltype = NVME_CTRL_CNTRLTYPE_IO;
	id->acl = NVMET_ACL;
	id->aerl = NVMET_AERL;
	id->frmw = 1 << 0 | 1 << 1; /* slot 1 read-only, 1 slot */
	id->lpa = 1 << 0 | NVME_CTRL_LPA_CMD_EFFECTS | 1 << 2;
	id->npss = 0;
	nvmet_model_rdlock(ctrl->tgt);
	nn = nvmet_max_nsid(ctrl->subsys);
	nvmet_model_unlock(ctrl->tgt);
	id->nn = htole32(nn > NVME_NS_LIST_MAX ? nn : NVME_NS_LIST_MAX);
	id->mnan = id->nn;
	id->oncs = htole16(NVME_CTRL_ONCS_DSM | NVME_CTRL_ONCS_WRITE_ZEROES);
	id->vwc = 1;	   /* volatile write cache present */
	id->nwpc = 1 << 0; /* no write protect and write protect */
	id->awupf = 0;
	/* power state 0: 25 W, as the kernel target reports */
	id->psd[0].data[0] = 0xc4;
	id->psd[0].data[1] = 0x09;
	nvmet_req_complete(req, 0);
}

static void execute_identify_ns(struct nvmet_req *req)
{
	uint32_t nsid = le32toh(req->cmd->common.nsid);
	struct nvme_id_ns *id = req->data;
	struct nvmet_ns *ns;

	memset(id, 0, sizeof(*id));
	if (nsid == 0 || nsid == 0xffffffff) {
		nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC,
						     NVME_SC_INVALID_NS));
		return;
	}
	ns = req->ns = nvmet_ns_get(req->sq->ctrl->subsys, nsid);
	if (!ns) {
		/* an inactive namespace: zeroed data, success */
		nvmet_req_complete(req, 0);
		return;
	}
	id->nsze = htole64(ns->nr_blocks);
	id->ncap = id->nsze;
	id->nuse = id->nsze;
	id->nlbaf = 0;
	id->flbas = 0;
	id->lbaf[0].ds = (uint8_t)ns->blksz_shift;
	id->nmic = 1; /* may be attached to several controllers */
	if (atomic_load(&ns->readonly))
		id->nsattr |= NVME_NS_ATTR_RO;
	if (ns->has_nguid)
		memcpy(id->nguid, ns->nguid, 16);
	nvmet_req_complete(req, 0);
}

static void execute_identify_ns_list(struct nvmet_req *req)
{
	uint32_t start = le32toh(req->cmd->common.nsid);
	struct nvmet_subsys *s = req->sq->ctrl->subsys;
	struct nvme_ns_list *list = req->data;
	uint32_t prev = start;
	struct nvmet_ns *ns;
	int n = 0;

	memset(list, 0, sizeof(*list));
	if (start >= 0xfffffffe) {
		nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC,
						     NVME_SC_INVALID_NS));
		return;
	}
	/* the model keeps namespaces in ascending nsid order */
	nvmet_model_rdlock(s->tgt);
	TAILQ_FOREACH(ns, &s->nss, link) {
		if (n == NVME_NS_LIST_MAX)
			break;
		if (ns->enabled && ns->nsid > prev)
			list->ns[n++] = htole32(ns->nsid);
	}
	nvmet_model_unlock(s->tgt);
	nvmet_req_complete(req, 0);
}

static size_t add_desc(uint8_t *buf, size_t off, uint8_t type, const void *id,
		       uint8_t len)
{
	struct nvme_ns_id_desc *d = (struct nvme_ns_id_desc *)(buf + off);

	d->nidt = type;
	d->nidl = len;
	memcpy(buf + off + sizeof(*d), id, len);
	return off + sizeof(*d) + len;
}

static void execute_identify_desclist(struct nvmet_req *req)
{
	uint32_t nsid = le32toh(req->cmd->common.nsid);
	uint8_t *buf = req->data, csi = 0;
	struct nvmet_ns *ns;
	size_t off = 0;

	memset(buf, 0, req->data_len);
	ns = req->ns = nvmet_ns_get(req->sq->ctrl->subsys, nsid);
	if (!ns) {
		nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC,
						     NVME_SC_INVALID_NS));
		return;
	}
	off = add_desc(buf, off, NVME_NIDT_UUID, ns->uuid, 16);
	if (ns->has_nguid)
		off = add_desc(buf, off, NVME_NIDT_NGUID, ns->nguid, 16);
	add_desc(buf, off, NVME_NIDT_CSI, &csi, 1);
	nvmet_req_complete(req, 0);
}

static uint16_t parse_identify(struct nvmet_req *req)
{
	uint8_t cns = le32toh(req->cmd->common.cdw10) & 0xff;

	req->dir = NVMET_DATA_TO_HOST;
	req->data_len = NVME_IDENTIFY_DATA_SIZE;
	switch (cns) {
	case NVME_ID_CNS_NS:
		req->execute = execute_identify_ns;
		return 0;
	case NVME_ID_CNS_CTRL:
		req->execute = execute_identify_ctrl;
		return 0;
	case NVME_ID_CNS_NS_ACTIVE_LIST:
		req->execute = execute_identify_ns_list;
		return 0;
	case NVME_ID_CNS_NS_DESC_LIST:
		req->execute = execute_identify_desclist;
		return 0;
	}
	nvmf_obj_debug(req->sq->log_prefix, "identify CNS 0x%02x unsupported",
		       cns);
	return INVALID_FIELD;
}

/* ---- log pages ------------------------------------------------------------ */

/* Store a 64-bit counter in a 128-bit little-endian SMART field. */
static void put_u128(uint8_t field[16], uint64_t v)
{
	v = htole64(v);
	memcpy(field, &v, 8);
}

static void execute_get_log_page(struct nvmet_req *req)
{
	uint8_t lid = le32toh(req->cmd->common.cdw10) & 0xff;
	struct nvmet_ctrl *ctrl = req->sq->ctrl;
	struct nvmet_subsys *s = ctrl->subsys;
	uint16_t status = 0;
	union {
		struct nvme_error_log err[1];
		struct nvme_smart_log smart;
		struct nvme_fw_slot_log fw;
		struct nvme_ns_list changed;
		struct nvme_effects_log effects;
	} * page;
	int i;

	page = calloc(1, sizeof(*page));
	if (!page) {
		nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC,
						     NVME_SC_INTERNAL));
		return;
	}
	switch (lid) {
	case NVME_LOG_ERROR:
		/* no errors are recorded: NVMET_ELPE+1 zeroed entries */
		status = nvmet_copy_log(req, page, sizeof(page->err));
		break;
	case NVME_LOG_SMART:
		/* data units are thousands of 512-byte units, rounded up */
		put_u128(page->smart.data_units_read,
			 (atomic_load(&s->blocks_read) + 999) / 1000);
		put_u128(page->smart.data_units_written,
			 (atomic_load(&s->blocks_written) + 999) / 1000);
		put_u128(page->smart.host_reads, atomic_load(&s->host_reads));
		put_u128(page->smart.host_writes, atomic_load(&s->host_writes));
		status = nvmet_copy_log(req, page, sizeof(page->smart));
		break;
	case NVME_LOG_FW_SLOT:
		page->fw.afi = 1;
		nvme_strpad(page->fw.frs[0], 8, NVMET_FIRMWARE);
		status = nvmet_copy_log(req, page, sizeof(page->fw));
		break;
	case NVME_LOG_CHANGED_NS:
		pthread_mutex_lock(&ctrl->lock);
		for (i = 0; i < ctrl->nr_changed_ns; i++)
			page->changed.ns[i] = htole32(ctrl->changed_ns[i]);
		ctrl->nr_changed_ns = 0;
		ctrl->ns_aen_masked = false;
		pthread_mutex_unlock(&ctrl->lock);
		status = nvmet_copy_log(req, page, sizeof(page->changed));
		break;
	case NVME_LOG_CMD_EFFECTS: {
		static const uint8_t admin[] = {
			nvme_admin_get_log_page, nvme_admin_identify,
			nvme_admin_abort,	 nvme_admin_set_features,
			nvme_admin_get_features, nvme_admin_async_event,
			nvme_admin_keep_alive,
		};
		for (i = 0; i < (int)sizeof(admin); i++)
			page->effects.acs[admin[i]] =
				htole32(NVME_CMD_EFFECTS_CSUPP);
		page->effects.iocs[nvme_cmd_read] =
			htole32(NVME_CMD_EFFECTS_CSUPP);
		page->effects.iocs[nvme_cmd_flush] =
			htole32(NVME_CMD_EFFECTS_CSUPP);
		page->effects.iocs[nvme_cmd_write] =
			htole32(NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC);
		page->effects.iocs[nvme_cmd_write_zeroes] =
			htole32(NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC);
		page->effects.iocs[nvme_cmd_dsm] =
			htole32(NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC);
		status = nvmet_copy_log(req, page, sizeof(page->effects));
		break;
	}
	default:
		status = nvmet_status(NVME_SCT_CMD_SPECIFIC,
				      NVME_SC_INVALID_LOG_PAGE);
	}
	free(page);
	nvmet_req_complete(req, status);
}

static uint16_t parse_get_log_page(struct nvmet_req *req)
{
	uint64_t len = nvmet_get_log_page_len(req->cmd);

	if (len > NVMET_MAX_XFER)
		return INVALID_FIELD;
	req->dir = NVMET_DATA_TO_HOST;
	req->data_len = (uint32_t)len;
	req->execute = execute_get_log_page;
	return 0;
}

/* ---- features ------------------------------------------------------------ */

/*
 * Namespace Write Protection Config: write protect and no write protect
 * (until power cycle and permanent are not offered: nwpc bit 0 only).
 * Protecting flushes the namespace, as the kernel target does, so that
 * what was written before is stable; every controller of the subsystem
 * gets a namespace-changed event.
 */
static void set_feat_write_protect(struct nvmet_req *req, uint32_t cdw11)
{
	uint32_t nsid = le32toh(req->cmd->common.nsid);
	struct nvmet_ns *ns;
	bool ro, was;

	if (nsid == 0 || nsid == 0xffffffff) {
		nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC,
						     NVME_SC_INVALID_NS));
		return;
	}
	switch (cdw11 & 7) {
	case NVME_NS_NO_WRITE_PROTECT:
		ro = false;
		break;
	case NVME_NS_WRITE_PROTECT:
		ro = true;
		break;
	default:
		nvmet_req_complete(req, INVALID_FIELD);
		return;
	}
	ns = req->ns = nvmet_ns_get(req->sq->ctrl->subsys, nsid);
	if (!ns) {
		nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC,
						     NVME_SC_INVALID_NS));
		return;
	}
	was = atomic_exchange(&ns->readonly, ro);
	if (was != ro) {
		nvmf_obj_info(req->sq->log_prefix, "namespace %u: %s", nsid,
			      ro ? "write protected" : "write protect removed");
		nvmet_ns_changed(ns->subsys, nsid);
	}
	if (ro)
		nvmet_bdev_flush(req); /* completes req */
	else
		nvmet_req_complete(req, 0);
}

static void get_feat_write_protect(struct nvmet_req *req)
{
	uint32_t nsid = le32toh(req->cmd->common.nsid);
	struct nvmet_ns *ns;

	ns = req->ns = nvmet_ns_get(req->sq->ctrl->subsys, nsid);
	if (!ns) {
		nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC,
						     NVME_SC_INVALID_NS));
		return;
	}
	nvmet_set_result(req, atomic_load(&ns->readonly) ?
				      NVME_NS_WRITE_PROTECT :
				      NVME_NS_NO_WRITE_PROTECT);
	nvmet_req_complete(req, 0);
}

static void execute_set_features(struct nvmet_req *req)
{
	uint32_t cdw10 = le32toh(req->cmd->common.cdw10);
	uint32_t cdw11 = le32toh(req->cmd->common.cdw11);
	struct nvmet_ctrl *ctrl = req->sq->ctrl;
	uint16_t status = 0;

	if (cdw10 & (1u << 31)) { /* SV: nothing is saveable */
		nvmet_req_complete(req,
				   nvmet_status(NVME_SCT_CMD_SPECIFIC,
						NVME_SC_FEATURE_NOT_SAVEABLE));
		return;
	}
	if ((cdw10 & 0xff) == NVME_FEAT_WRITE_PROTECT) {
		set_feat_write_protect(req, cdw11);
		return;
	}
	pthread_mutex_lock(&ctrl->lock);
	switch (cdw10 & 0xff) {
	case NVME_FEAT_NUM_QUEUES:
		if ((cdw11 & 0xffff) == 0xffff || (cdw11 >> 16) == 0xffff) {
			status = INVALID_FIELD;
			break;
		}
		nvmet_set_result(req, num_queues_result(ctrl->subsys));
		break;
	case NVME_FEAT_ASYNC_EVENT:
		ctrl->aen_enabled = cdw11;
		break;
	case NVME_FEAT_KATO:
		ctrl->kato_ms = cdw11;
		ctrl->last_ka_ms = nvmf_now_ms();
		break;
	case NVME_FEAT_VOLATILE_WC:
		ctrl->wce = cdw11 & 1;
		break;
	default:
		status = INVALID_FIELD;
	}
	pthread_mutex_unlock(&ctrl->lock);
	nvmet_req_complete(req, status);
}

static void execute_get_features(struct nvmet_req *req)
{
	uint32_t cdw10 = le32toh(req->cmd->common.cdw10);
	struct nvmet_ctrl *ctrl = req->sq->ctrl;
	uint16_t status = 0;
	uint32_t result = 0;

	if ((cdw10 & 0xff) == NVME_FEAT_WRITE_PROTECT) {
		get_feat_write_protect(req);
		return;
	}
	pthread_mutex_lock(&ctrl->lock);
	switch (cdw10 & 0xff) {
	case NVME_FEAT_NUM_QUEUES:
		result = num_queues_result(ctrl->subsys);
		break;
	case NVME_FEAT_ASYNC_EVENT:
		result = ctrl->aen_enabled;
		break;
	case NVME_FEAT_KATO:
		result = ctrl->kato_ms;
		break;
	case NVME_FEAT_VOLATILE_WC:
		result = ctrl->wce;
		break;
	default:
		status = INVALID_FIELD;
	}
	pthread_mutex_unlock(&ctrl->lock);
	nvmet_set_result(req, result);
	nvmet_req_complete(req, status);
}

static void execute_keep_alive(struct nvmet_req *req)
{
	nvmet_ctrl_keep_alive(req->sq->ctrl);
	nvmet_req_complete(req, 0);
}

/*
 * AERs stay outstanding until an event; they are released with their
 * queue (the transport owns the requests).
 */
static void execute_async_event(struct nvmet_req *req)
{
	nvmet_ctrl_aer_submit(req->sq->ctrl, req);
}

static void execute_abort(struct nvmet_req *req)
{
	/* dw0 bit 0 set: the command was not aborted */
	nvmet_set_result(req, 1);
	nvmet_req_complete(req, 0);
}

/* Admin commands without data that I/O and discovery controllers share. */
static const struct {
	uint8_t opcode;
	void (*execute)(struct nvmet_req *req);
} common_admin[] = {
	{ nvme_admin_set_features, execute_set_features },
	{ nvme_admin_get_features, execute_get_features },
	{ nvme_admin_keep_alive, execute_keep_alive },
	{ nvme_admin_async_event, execute_async_event },
};

bool nvmet_parse_common_admin(struct nvmet_req *req)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(common_admin); i++) {
		if (common_admin[i].opcode == req->cmd->common.opcode) {
			req->execute = common_admin[i].execute;
			return true;
		}
	}
	return false;
}

uint16_t nvmet_parse_admin_cmd(struct nvmet_req *req)
{
	if (nvmet_parse_common_admin(req))
		return 0;
	switch (req->cmd->common.opcode) {
	case nvme_admin_identify:
		return parse_identify(req);
	case nvme_admin_get_log_page:
		return parse_get_log_page(req);
	case nvme_admin_abort:
		req->execute = execute_abort;
		return 0;
	}
	nvmf_obj_debug(req->sq->log_prefix, "unsupported admin opcode 0x%02x",
		       req->cmd->common.opcode);
	return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
}

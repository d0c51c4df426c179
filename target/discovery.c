// SPDX-License-Identifier: GPL-2.0
/*
 * The discovery subsystem: its controller's Identify and the discovery log
 * page (LID 0x70) listing, for the port the host connected through, the
 * current discovery subsystem and the subsystems linked to that port that
 * the host may access.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nvmet.h"

#define NVMF_TREQ_DISABLE_SQFLOW (1u << 2)

static bool is_wildcard(const char *traddr)
{
	return strcmp(traddr, "0.0.0.0") == 0 || strcmp(traddr, "::") == 0;
}

/* What the transport of trtype says (zero for one we do not serve). */
static void fill_tsas(const struct nvmet_tgt *tgt, uint8_t trtype,
		      union nvmf_tsas *tsas)
{
	const struct nvmet_transport_ops *t = nvmet_transport_find(tgt, trtype);

	if (t && t->disc_tsas)
		t->disc_tsas(tsas);
}

/*
 * For a wildcard port, report the address the host reached us on, as the
 * kernel target does, so that the entry can be connected to.
 */
static void fill_entry(struct nvmf_disc_log_entry *e, struct nvmet_sq *sq,
		       const char *nqn, uint8_t subtype)
{
	const struct nvmf_cfg_port *c = &sq->port->cfg;
	char addr[NVMF_TRADDR_SIZE];

	e->trtype = c->trtype;
	e->adrfam = c->adrfam;
	e->subtype = subtype;
	e->treq = NVMF_TREQ_NOT_SPECIFIED | NVMF_TREQ_DISABLE_SQFLOW;
	e->portid = htole16(c->portid);
	e->cntlid = htole16(NVME_CNTLID_DYNAMIC);
	e->asqsz = htole16(NVME_AQ_DEPTH);
	nvme_strpad(e->trsvcid, sizeof(e->trsvcid), c->trsvcid);
	snprintf(addr, sizeof(addr), "%s", c->traddr);
	if (is_wildcard(addr) && sq->ops->local_traddr)
		sq->ops->local_traddr(sq, addr, sizeof(addr));
	nvme_strpad(e->traddr, sizeof(e->traddr), addr);
	snprintf(e->subnqn, sizeof(e->subnqn), "%s", nqn);
	fill_tsas(sq->port->tgt, c->trtype, &e->tsas);
}

/* A referral: another discovery service, as configured. */
static void fill_referral(const struct nvmet_tgt *tgt,
			  struct nvmf_disc_log_entry *e,
			  const struct nvmet_referral *r)
{
	e->trtype = r->addr.trtype;
	e->adrfam = r->addr.adrfam;
	e->subtype = NVME_NQN_REFERRAL;
	e->treq = NVMF_TREQ_NOT_SPECIFIED;
	e->portid = htole16(r->addr.portid);
	e->cntlid = htole16(NVME_CNTLID_DYNAMIC);
	e->asqsz = htole16(NVME_AQ_DEPTH);
	nvme_strpad(e->trsvcid, sizeof(e->trsvcid), r->addr.trsvcid);
	nvme_strpad(e->traddr, sizeof(e->traddr), r->addr.traddr);
	snprintf(e->subnqn, sizeof(e->subnqn), "%s", NVME_DISC_NQN);
	fill_tsas(tgt, r->addr.trtype, &e->tsas);
}

static size_t count_entries(struct nvmet_port *port)
{
	struct nvmet_referral *r;
	size_t n = 1 + (size_t)port->tgt->nr_subsys;

	TAILQ_FOREACH(r, &port->referrals, link)
		n++;
	return n;
}

static void execute_disc_get_log_page(struct nvmet_req *req)
{
	struct nvmet_ctrl *ctrl = req->sq->ctrl;
	struct nvmet_tgt *tgt = ctrl->tgt;
	struct nvmf_disc_log_page_hdr *hdr;
	struct nvmet_port *port = req->sq->port;
	struct nvmf_disc_log_entry *e;
	struct nvmet_referral *r;
	struct nvmet_subsys *s;
	uint64_t n = 0;
	uint16_t status;

	if (!(le32toh(req->cmd->common.cdw10) & NVME_LOG_RAE)) {
		/* read: the next change is notified again */
		pthread_mutex_lock(&ctrl->lock);
		ctrl->disc_aen_masked = false;
		pthread_mutex_unlock(&ctrl->lock);
	}
	nvmet_model_rdlock(tgt);
	/* header + the current discovery subsystem + subsystems + referrals */
	hdr = calloc(1, sizeof(*hdr) + count_entries(port) * sizeof(*e));
	if (!hdr) {
		nvmet_model_unlock(tgt);
		nvmet_req_complete(req, nvmet_status(NVME_SCT_GENERIC,
						     NVME_SC_INTERNAL));
		return;
	}
	e = (struct nvmf_disc_log_entry *)(hdr + 1);
	fill_entry(&e[n++], req->sq, NVME_DISC_NQN, NVME_NQN_CURR_DISC);
	TAILQ_FOREACH(s, &tgt->subsystems, link) {
		if (!nvmet_port_has_subsys(port, s) ||
		    !nvmet_host_allowed(s, ctrl->hostnqn))
			continue;
		fill_entry(&e[n++], req->sq, s->nqn, NVME_NQN_NVME);
	}
	TAILQ_FOREACH(r, &port->referrals, link)
		if (r->enabled)
			fill_referral(tgt, &e[n++], r);
	hdr->genctr = htole64(atomic_load(&tgt->genctr));
	nvmet_model_unlock(tgt);
	hdr->numrec = htole64(n);
	hdr->recfmt = 0;
	status = nvmet_copy_log(req, hdr, sizeof(*hdr) + n * sizeof(*e));
	free(hdr);
	nvmet_req_complete(req, status);
}

static void execute_disc_identify(struct nvmet_req *req)
{
	struct nvme_id_ctrl *id = req->data;

	memset(id, 0, sizeof(*id));
	nvmet_fill_id_ctrl_common(req, id);
	id->cntrltype = NVME_CTRL_CNTRLTYPE_DISC;
	/* discovery log change notices, as the kernel target offers them */
	id->oaes = htole32(NVME_AEN_CFG_DISC_CHANGE);
	id->lpa = 1 << 2; /* extended data for Get Log Page */
	/*
	 * maxcmd stays the port's queue size, as the kernel target has it:
	 * with 32 the kernel host logs "sqsize 128 > ctrl maxcmd 32,
	 * clamping down" for every discovery controller.
	 */
	id->ioccsz = 0;
	id->iorcsz = 0;
	nvmet_req_complete(req, 0);
}

uint16_t nvmet_parse_discovery_cmd(struct nvmet_req *req)
{
	uint32_t cdw10 = le32toh(req->cmd->common.cdw10);

	if (nvmet_parse_common_admin(req))
		return 0;
	switch (req->cmd->common.opcode) {
	case nvme_admin_get_log_page:
		if ((cdw10 & 0xff) != NVME_LOG_DISC)
			break;
		if (nvmet_get_log_page_len(req->cmd) > NVMET_MAX_XFER)
			break;
		req->dir = NVMET_DATA_TO_HOST;
		req->data_len = (uint32_t)nvmet_get_log_page_len(req->cmd);
		req->execute = execute_disc_get_log_page;
		return 0;
	case nvme_admin_identify:
		if ((cdw10 & 0xff) != NVME_ID_CNS_CTRL)
			break;
		req->dir = NVMET_DATA_TO_HOST;
		req->data_len = NVME_IDENTIFY_DATA_SIZE;
		req->execute = execute_disc_identify;
		return 0;
	default:
		return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE);
	}
	return nvmet_status(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Command builders of the host: fabrics Connect and Property Get/Set,
 * the admin commands of controller setup, I/O commands, and the data
 * pointer (keyed or in-capsule SGL).  Pure functions: unit tested.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

void nvmf_cmd_connect(union nvme_command *cmd, uint16_t qid, uint16_t sqsize,
		      uint32_t kato_ms)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->connect.opcode = nvme_fabrics_command;
	cmd->connect.fctype = nvme_fabrics_type_connect;
	cmd->connect.recfmt = htole16(0);
	cmd->connect.qid = htole16(qid);
	cmd->connect.sqsize = htole16(sqsize);
	cmd->connect.kato = htole32(qid ? 0 : kato_ms);
}

void nvmf_connect_data_fill(struct nvmf_connect_data *d, const uint8_t *hostid,
			    uint16_t cntlid, const char *subnqn,
			    const char *hostnqn)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->hostid, hostid, sizeof(d->hostid));
	d->cntlid = htole16(cntlid);
	strncpy(d->subsysnqn, subnqn, sizeof(d->subsysnqn) - 1);
	strncpy(d->hostnqn, hostnqn, sizeof(d->hostnqn) - 1);
}

void nvmf_cmd_prop_get(union nvme_command *cmd, uint32_t off, bool size8)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->prop_get.opcode = nvme_fabrics_command;
	cmd->prop_get.fctype = nvme_fabrics_type_property_get;
	cmd->prop_get.attrib = size8 ? NVMF_PROP_SIZE_8 : 0;
	cmd->prop_get.offset = htole32(off);
}

void nvmf_cmd_prop_set(union nvme_command *cmd, uint32_t off, uint64_t val)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->prop_set.opcode = nvme_fabrics_command;
	cmd->prop_set.fctype = nvme_fabrics_type_property_set;
	cmd->prop_set.offset = htole32(off);
	cmd->prop_set.value = htole64(val);
}

void nvmf_cmd_identify(union nvme_command *cmd, uint8_t cns, uint32_t nsid)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->common.opcode = nvme_admin_identify;
	cmd->common.nsid = htole32(nsid);
	cmd->common.cdw10 = htole32(cns);
}

void nvmf_cmd_get_log(union nvme_command *cmd, uint8_t lid, uint32_t nsid,
		      uint64_t off, uint32_t len)
{
	uint32_t numd = len / 4 - 1;

	memset(cmd, 0, sizeof(*cmd));
	cmd->common.opcode = nvme_admin_get_log_page;
	cmd->common.nsid = htole32(nsid);
	cmd->common.cdw10 = htole32(lid | (numd & 0xffff) << 16);
	cmd->common.cdw11 = htole32(numd >> 16);
	cmd->common.cdw12 = htole32((uint32_t)off);
	cmd->common.cdw13 = htole32((uint32_t)(off >> 32));
}

void nvmf_cmd_set_features(union nvme_command *cmd, uint8_t fid, uint32_t dw11)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->common.opcode = nvme_admin_set_features;
	cmd->common.cdw10 = htole32(fid);
	cmd->common.cdw11 = htole32(dw11);
}

static int io_range(const struct nvmf_io *io, uint32_t bs, uint64_t blocks,
		    uint64_t *slba, uint32_t *nlb)
{
	if (!bs || io->offset % bs || io->len % bs || !io->len)
		return -EINVAL;
	*slba = io->offset / bs;
	*nlb = io->len / bs;
	if (*slba >= blocks || *nlb > blocks - *slba || *nlb > 0x10000)
		return -EINVAL;
	return 0;
}

int nvmf_cmd_io(union nvme_command *cmd, const struct nvmf_io *io,
		uint32_t block_size, uint64_t blocks)
{
	static const uint8_t opcode[] = {
		[NVMF_IO_READ] = nvme_cmd_read,
		[NVMF_IO_WRITE] = nvme_cmd_write,
		[NVMF_IO_FLUSH] = nvme_cmd_flush,
		[NVMF_IO_WRITE_ZEROES] = nvme_cmd_write_zeroes,
		[NVMF_IO_DEALLOCATE] = nvme_cmd_dsm,
	};
	uint64_t slba;
	uint32_t nlb;

	if ((unsigned int)io->op >= ARRAY_SIZE(opcode))
		return -EINVAL;
	memset(cmd, 0, sizeof(*cmd));
	cmd->common.opcode = opcode[io->op];
	cmd->common.nsid = htole32(io->nsid);
	if (io->op == NVMF_IO_FLUSH)
		return 0;
	if (io_range(io, block_size, blocks, &slba, &nlb))
		return -EINVAL;
	if (io->op == NVMF_IO_DEALLOCATE) {
		/* one range; the range itself is the data (see ctrl.c) */
		cmd->common.cdw10 = htole32(0); /* NR, 0-based */
		cmd->common.cdw11 = htole32(NVME_DSMGMT_AD);
		return 0;
	}
	cmd->rw.slba = htole64(slba);
	cmd->rw.length = htole16((uint16_t)(nlb - 1));
	return 0;
}

bool nvmf_sgl_build(union nvme_command *cmd, uint32_t len, bool to_host,
		    uint32_t icd_max, uint64_t addr, uint32_t rkey,
		    bool invalidate)
{
	cmd->common.flags = NVME_CMD_SGL_METABUF;
	if (len && !to_host && len <= icd_max) {
		nvme_sgl_set_inline(&cmd->common.dptr, 0, len);
		return true;
	}
	/* no data: a null keyed descriptor, as the kernel host sends */
	nvme_sgl_set_keyed(&cmd->common.dptr, len ? addr : 0, len,
			   len ? rkey : 0, len && invalidate);
	return false;
}

uint32_t nvmf_icd_max(const struct nvme_id_ctrl *id, bool io_queue)
{
	uint32_t ioccsz = le32toh(id->ioccsz);

	/* in-capsule data needs SGL offsets and ICDOFF 0; I/O queues only */
	if (!io_queue || !(le32toh(id->sgls) & NVME_CTRL_SGLS_OFFSET) ||
	    id->icdoff || ioccsz <= 4)
		return 0;
	return ioccsz * 16 - (uint32_t)sizeof(union nvme_command);
}

/* "key:value key:value ..." (SPDK's transport id form). */
int nvmf_trid_parse(struct nvmf_trid *t, const char *str, char *err,
		    size_t errlen)
{
	static const struct {
		const char *key;
		size_t off, size;
	} keys[] = {
		{ "trtype", offsetof(struct nvmf_trid, trtype),
		  sizeof(t->trtype) },
		{ "adrfam", offsetof(struct nvmf_trid, adrfam),
		  sizeof(t->adrfam) },
		{ "traddr", offsetof(struct nvmf_trid, traddr),
		  sizeof(t->traddr) },
		{ "trsvcid", offsetof(struct nvmf_trid, trsvcid),
		  sizeof(t->trsvcid) },
		{ "subnqn", offsetof(struct nvmf_trid, subnqn),
		  sizeof(t->subnqn) },
		{ "hostaddr", offsetof(struct nvmf_trid, host_traddr),
		  sizeof(t->host_traddr) },
	};
	char word[512], *colon;
	const char *p = str;
	size_t i, n;

	memset(t, 0, sizeof(*t));
	while (*p) {
		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (!n)
			break;
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "'%.40s...' is too long", p);
			return -EINVAL;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		colon = strchr(word, ':');
		if (!colon) {
			snprintf(err, errlen, "'%s' is not key:value", word);
			return -EINVAL;
		}
		*colon++ = '\0';
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (!strcasecmp(word, keys[i].key))
				break;
		if (i == ARRAY_SIZE(keys)) {
			snprintf(err, errlen, "unknown key '%s'", word);
			return -EINVAL;
		}
		if (strlen(colon) >= keys[i].size) {
			snprintf(err, errlen, "%s '%s' is too long", word,
				 colon);
			return -EINVAL;
		}
		strcpy((char *)t + keys[i].off, colon);
	}
	for (i = 0; t->trtype[i]; i++)
		t->trtype[i] = (char)tolower((unsigned char)t->trtype[i]);
	for (i = 0; t->adrfam[i]; i++)
		t->adrfam[i] = (char)tolower((unsigned char)t->adrfam[i]);
	if (!t->trtype[0] || !t->traddr[0] || !t->subnqn[0]) {
		snprintf(err, errlen, "trtype, traddr and subnqn are required");
		return -EINVAL;
	}
	return 0;
}

uint32_t nvmf_max_transfer(uint8_t mdts, uint32_t cap)
{
	/* 2^mdts units of 4 KiB (CAP.MPSMIN 0); 0 means no limit */
	if (!mdts || mdts >= 32 - 12)
		return cap;
	return 4096u << mdts < cap ? 4096u << mdts : cap;
}

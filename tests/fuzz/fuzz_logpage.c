// SPDX-License-Identifier: GPL-2.0
/*
 * Get Log Page (and Identify, Get/Set Features) with hostile dwords, on a
 * controller of a subsystem and on a discovery controller.
 *
 * Input: records of [which][opcode][nsid, cdw10..cdw15: 28 bytes].  which
 * bit 0: the discovery controller.  The SGL is keyed and as long as the
 * command's data (as a host that reads the page would send it).
 */
#include <string.h>

#include "fz_tgt.h"

static const uint8_t opcodes[] = {
	nvme_admin_get_log_page, nvme_admin_get_log_page, nvme_admin_identify,
	nvme_admin_get_features, nvme_admin_set_features, nvme_admin_keep_alive,
};

static uint32_t data_len(const union nvme_command *c)
{
	switch (c->common.opcode) {
	case nvme_admin_get_log_page:
		return (uint32_t)nvmet_get_log_page_len(c);
	case nvme_admin_identify:
		return NVME_IDENTIFY_DATA_SIZE;
	default:
		return 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_tgt *f = fz_tgt_get();
	static struct fz_req r;
	struct nvmet_sq asq;
	uint64_t len;
	int i;

	if (size < 1)
		return 0;
	fz_sq_init(f, &asq, 0, 1);
	if (fz_connect(f, &asq, data[0] & 1 ? NVME_DISC_NQN : FZ_OPEN, 0xffff,
		       NULL))
		return 0;
	data++;
	size--;
	for (i = 0; i < 16 && size >= 2 + 28; i++) {
		memset(&r, 0, sizeof(r));
		r.cmd.common.opcode = opcodes[data[1] % sizeof(opcodes)];
		memcpy(&r.cmd.common.nsid, data + 2, 4);
		memcpy(&r.cmd.common.cdw10, data + 6, 24);
		len = data_len(&r.cmd);
		r.cmd.common.flags = NVME_CMD_SGL_METABUF;
		r.cmd.common.dptr.ksgl.type = NVME_SGL_TYPE_KEYED;
		r.cmd.common.dptr.ksgl.length[0] = len & 0xff;
		r.cmd.common.dptr.ksgl.length[1] = (len >> 8) & 0xff;
		r.cmd.common.dptr.ksgl.length[2] = (len >> 16) & 0xff;
		fz_run(f, &asq, &r, 0, NULL, 0);
		data += 30;
		size -= 30;
	}
	fz_sq_fini(&asq);
	return 0;
}

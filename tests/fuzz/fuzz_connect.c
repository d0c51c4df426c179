// SPDX-License-Identifier: GPL-2.0
/*
 * The Connect path: Connect commands and their data from a hostile host,
 * on admin and I/O queues, alone or pipelined on one queue.
 *
 * Input: [mode][Connect SQE bytes 4..63][1024 bytes of Connect data]...
 * mode bit 0: an I/O queue of a valid, enabled association (a cntlid of
 * 0xfffe in the data becomes that association's); bit 1: two Connects on
 * the same queue; bit 2: through the second port.
 */
#include <string.h>

#include "fz_tgt.h"

static void one_connect(struct fz_tgt *f, struct nvmet_sq *sq, struct fz_req *r,
			const uint8_t *p, size_t n, uint16_t cntlid)
{
	struct nvmf_connect_data *d = (void *)r->inl;
	uint8_t sqe[64] = { 0 };
	uint32_t len;

	memcpy(sqe, p, n < 64 ? n : 64);
	memset(r, 0, sizeof(*r));
	memcpy(&r->cmd, sqe, 64);
	r->cmd.connect.opcode = nvme_fabrics_command;
	r->cmd.connect.fctype = nvme_fabrics_type_connect;
	if (n > 64)
		memcpy(r->inl, p + 64, n - 64 < 1024 ? n - 64 : 1024);
	if (cntlid && le16toh(d->cntlid) == 0xfffe)
		d->cntlid = htole16(cntlid);
	/* the length the SGL claims, so that it reaches the command */
	len = sizeof(*d);
	if (sq->inline_data_size && sqe[15] == NVME_SGL_TYPE_INLINE) {
		r->cmd.common.dptr.sgl.length = htole32(len);
	} else if (!(sqe[15] & 1)) {
		r->cmd.common.dptr.ksgl.type = NVME_SGL_TYPE_KEYED;
		r->cmd.common.dptr.ksgl.length[0] = len & 0xff;
		r->cmd.common.dptr.ksgl.length[1] = len >> 8;
		r->cmd.common.dptr.ksgl.length[2] = 0;
	}
	fz_run(f, sq, r, sizeof(*d), r->inl, sizeof(*d));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_tgt *f = fz_tgt_get();
	static struct fz_req r[2];
	struct nvmet_sq asq, sq;
	uint16_t cntlid = 0, port;
	size_t rec = 64 + 1024, n;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	port = mode & 4 ? 2 : 1;
	fz_sq_init(f, &asq, 0, 1);
	if (mode & 1) {
		if (fz_connect(f, &asq, FZ_OPEN, 0xffff, &cntlid))
			return 0;
		fz_enable(f, &asq);
	}
	fz_sq_init(f, &sq, mode & 1 ? 1 : 0, port);
	n = size < rec ? size : rec;
	one_connect(f, &sq, &r[0], data, n, cntlid);
	if (mode & 2 && size > rec) {
		data += rec;
		size -= rec;
		one_connect(f, &sq, &r[1], data, size < rec ? size : rec,
			    cntlid);
	}
	fz_sq_fini(&sq);
	fz_sq_fini(&asq);
	return 0;
}

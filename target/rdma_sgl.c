// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-tgt RDMA transport: the data descriptor of a command capsule.
 * Everything in it comes from the host, so it is checked here, apart
 * from the verbs, where a fuzzer can reach it (tests/fuzz).
 */
#include "rdma.h"

/*
 * Check cmd's SGL against the command (dir, data_len set by
 * nvmet_req_init()) and what arrived: in-capsule data of received bytes,
 * of at most inline_size.  Return: 0 with *out filled, or the NVMe status.
 */
uint16_t nvmet_rdma_parse_sgl(const union nvme_command *cmd,
			      enum nvmet_data_dir dir, uint32_t data_len,
			      uint32_t inline_size, uint32_t received,
			      struct rdma_sgl *out)
{
	const union nvme_data_ptr *dptr = &cmd->common.dptr;
	uint64_t off;
	uint32_t len;

	*out = (struct rdma_sgl){ .kind = RDMA_SGL_NONE };
	/* a command without data: accept a null descriptor of either kind */
	if (!data_len && !dptr->sgl.length &&
	    dptr->sgl.type == NVME_SGL_FMT_DATA_DESC)
		return 0;
	switch (dptr->sgl.type) {
	case NVME_SGL_TYPE_INLINE:
		/*
		 * Offset and length come from the host: no arithmetic that
		 * can wrap, and checked against the bytes that really
		 * arrived (a short capsule would otherwise hand the
		 * namespace the buffer's previous contents).
		 */
		off = le64toh(dptr->sgl.addr);
		len = le32toh(dptr->sgl.length);
		if (dir != NVMET_DATA_TO_CTRL || !inline_size)
			return nvmet_status(NVME_SCT_GENERIC,
					    NVME_SC_INVALID_FIELD);
		if (off > inline_size || len > inline_size - off)
			return nvmet_status(NVME_SCT_GENERIC,
					    NVME_SC_SGL_INVALID_OFFSET);
		if (off > received || len > received - off)
			return nvmet_status(NVME_SCT_GENERIC,
					    NVME_SC_SGL_INVALID_DATA);
		if (len != data_len)
			return nvmet_status(NVME_SCT_GENERIC,
					    NVME_SC_SGL_INVALID_DATA);
		out->kind = RDMA_SGL_INLINE;
		out->off = (uint32_t)off;
		out->len = len;
		return 0;
	case NVME_SGL_TYPE_KEYED:
	case NVME_SGL_TYPE_KEYED_INV:
		len = nvme_sgl_keyed_len(&dptr->ksgl);
		/* a data buffer holds NVMET_MAX_XFER bytes */
		if (len != data_len || len > NVMET_MAX_XFER)
			return nvmet_status(NVME_SCT_GENERIC,
					    NVME_SC_SGL_INVALID_DATA);
		out->kind = len ? RDMA_SGL_KEYED : RDMA_SGL_NONE;
		out->len = len;
		out->addr = le64toh(dptr->ksgl.addr);
		out->key = nvme_sgl_keyed_key(&dptr->ksgl);
		out->invalidate = dptr->sgl.type == NVME_SGL_TYPE_KEYED_INV;
		return 0;
	}
	return nvmet_status(NVME_SCT_GENERIC, NVME_SC_SGL_INVALID_TYPE);
}

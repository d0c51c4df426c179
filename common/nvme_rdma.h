/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe over Fabrics RDMA transport wire formats: the RDMA CM private data
 * of a queue's connection (the NVMe RDMA transport binding), as the
 * kernel keeps them in include/linux/nvme-rdma.h apart from nvme.h.
 */
#ifndef NVME_RDMA_H
#define NVME_RDMA_H

#include "nvme_spec.h"

/* ---- RDMA CM private data (32 bytes each) -------------------------------- */

struct nvme_rdma_cm_req {
	nvme_le16 recfmt;
	nvme_le16 qid;
	nvme_le16 hrqsize;
	nvme_le16 hsqsize;
	nvme_le16 cntlid;
	uint8_t rsvd[22];
} NVME_PACKED;

struct nvme_rdma_cm_rep {
	nvme_le16 recfmt;
	nvme_le16 crqsize;
	uint8_t rsvd[28];
} NVME_PACKED;

struct nvme_rdma_cm_rej {
	nvme_le16 recfmt;
	nvme_le16 sts;
	uint8_t rsvd[28];
} NVME_PACKED;

enum nvme_rdma_cm_status {
	NVME_RDMA_CM_INVALID_LEN = 0x01,
	NVME_RDMA_CM_INVALID_RECFMT = 0x02,
	NVME_RDMA_CM_INVALID_QID = 0x03,
	NVME_RDMA_CM_INVALID_HSQSIZE = 0x04,
	NVME_RDMA_CM_INVALID_HRQSIZE = 0x05,
	NVME_RDMA_CM_NO_RSC = 0x06,
	NVME_RDMA_CM_INVALID_IRD = 0x07,
	NVME_RDMA_CM_INVALID_ORD = 0x08,
	NVME_RDMA_CM_INVALID_CNTLID = 0x09,
};

#define NVME_RDMA_CM_FMT_1_0 0x0000

NVME_ASSERT_SIZE(struct nvme_rdma_cm_req, 32);
NVME_ASSERT_OFF(struct nvme_rdma_cm_req, qid, 2);
NVME_ASSERT_OFF(struct nvme_rdma_cm_req, hrqsize, 4);
NVME_ASSERT_OFF(struct nvme_rdma_cm_req, hsqsize, 6);
NVME_ASSERT_OFF(struct nvme_rdma_cm_req, cntlid, 8);
NVME_ASSERT_SIZE(struct nvme_rdma_cm_rep, 32);
NVME_ASSERT_OFF(struct nvme_rdma_cm_rep, crqsize, 2);
NVME_ASSERT_SIZE(struct nvme_rdma_cm_rej, 32);
NVME_ASSERT_OFF(struct nvme_rdma_cm_rej, sts, 2);

#endif /* NVME_RDMA_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The target core for fuzz harnesses: one target built once per process
 * (a subsystem with two namespaces on a scratch file, a closed subsystem,
 * two ports), a fake transport, and a worker with a real io_uring.
 */
#ifndef NVMF_FZ_TGT_H
#define NVMF_FZ_TGT_H

#include <stddef.h>
#include <stdint.h>

#include "nvmet.h"

#define FZ_OPEN	  "nqn.2014-08.org.fuzz:open"
#define FZ_CLOSED "nqn.2014-08.org.fuzz:closed"
#define FZ_HOST	  "nqn.2014-08.org.fuzz:host"

struct fz_tgt {
	struct nvmet_tgt tgt;
	struct nvmf_cfg *cfg;
	struct nvmet_worker worker;
	uint8_t *buf; /* a transport data buffer: NVMET_MAX_XFER bytes */
};

struct fz_req {
	struct nvmet_req req;
	union nvme_command cmd;
	struct nvme_completion cqe;
	uint8_t inl[8192]; /* in-capsule data */
};

struct fz_tgt *fz_tgt_get(void);
void fz_sq_init(struct fz_tgt *f, struct nvmet_sq *sq, uint16_t qid,
		uint16_t portid);
/*
 * A valid Connect.  Return: its status (0: sq->ctrl is set, and *cntlid
 * if not NULL has the controller ID).
 */
uint16_t fz_connect(struct fz_tgt *f, struct nvmet_sq *sq, const char *subnqn,
		    uint16_t cntlid, uint16_t *result);
/*
 * Run r->cmd on sq as the RDMA transport would: parse, check the SGL
 * against the received in-capsule bytes, map the data (the transport's
 * buffer filled with fill for host writes), execute, wait for the
 * completion.  Return: the completion status (0xffff: none came, an
 * AER).
 */
uint16_t fz_run(struct fz_tgt *f, struct nvmet_sq *sq, struct fz_req *r,
		uint32_t received, const uint8_t *fill, size_t fill_len);
/* Property Set CC.EN (IOSQES 6, IOCQES 4) on the admin queue asq. */
void fz_enable(struct fz_tgt *f, struct nvmet_sq *asq);
/* Drop sq's controller as the transport does when a queue goes. */
void fz_sq_fini(struct nvmet_sq *sq);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe over Fabrics TCP transport wire formats (NVMe/TCP transport
 * specification 1.0, section 3): the PDUs of a connection, as the kernel
 * keeps them in include/linux/nvme-tcp.h apart from nvme.h.
 *
 * Every PDU starts with an 8-byte common header; hlen is the header's
 * length (common header included), pdo the offset of the data from the
 * start of the PDU, plen the whole PDU's length (header, header digest,
 * padding, data, data digest).
 */
#ifndef NVME_TCP_H
#define NVME_TCP_H

#include "nvme_spec.h"

#define NVME_TCP_DISC_PORT	8009
#define NVME_TCP_ADMIN_CCSZ	8192 /* the kernel host's admin in-capsule data */
#define NVME_TCP_DIGEST_LEN	4    /* CRC32C */
#define NVME_TCP_PFV_1_0	0x0
#define NVME_TCP_MAX_HLEN	128 /* the longest header: ICReq, ICResp */
#define NVME_TCP_MIN_MAXH2CDATA 4096

enum nvme_tcp_pdu_type {
	nvme_tcp_icreq = 0x00,
	nvme_tcp_icresp = 0x01,
	nvme_tcp_h2c_term = 0x02,
	nvme_tcp_c2h_term = 0x03,
	nvme_tcp_cmd = 0x04,
	nvme_tcp_rsp = 0x05,
	nvme_tcp_h2c_data = 0x06,
	nvme_tcp_c2h_data = 0x07,
	nvme_tcp_r2t = 0x09,
};

enum nvme_tcp_pdu_flags {
	NVME_TCP_F_HDGST = 1u << 0,
	NVME_TCP_F_DDGST = 1u << 1,
	NVME_TCP_F_DATA_LAST = 1u << 2,
	NVME_TCP_F_DATA_SUCCESS = 1u << 3,
};

/* ICReq/ICResp digest field */
enum nvme_tcp_digest_option {
	NVME_TCP_HDR_DIGEST_ENABLE = 1u << 0,
	NVME_TCP_DATA_DIGEST_ENABLE = 1u << 1,
};

/* Fatal error status of a termination PDU (FES) */
enum nvme_tcp_fatal_error_status {
	NVME_TCP_FES_INVALID_PDU_HDR = 0x01,
	NVME_TCP_FES_PDU_SEQ_ERR = 0x02,
	NVME_TCP_FES_HDR_DIGEST_ERR = 0x03,
	NVME_TCP_FES_DATA_OUT_OF_RANGE = 0x04,
	NVME_TCP_FES_R2T_LIMIT_EXCEEDED = 0x05,
	NVME_TCP_FES_DATA_LIMIT_EXCEEDED = 0x05,
	NVME_TCP_FES_UNSUPPORTED_PARAM = 0x06,
};

/* The transport SGL data block a command's data is sent apart with. */
#define NVME_TCP_SGL_TYPE_TRANSPORT (0x5 << 4 | 0xa)

struct nvme_tcp_hdr {
	uint8_t type;
	uint8_t flags;
	uint8_t hlen;
	uint8_t pdo;
	nvme_le32 plen;
} NVME_PACKED;

struct nvme_tcp_icreq_pdu {
	struct nvme_tcp_hdr hdr;
	nvme_le16 pfv;
	uint8_t hpda; /* host PDU data alignment, 4-byte units, 0-based */
	uint8_t digest;
	nvme_le32 maxr2t; /* outstanding R2Ts per command, 0-based */
	uint8_t rsvd2[112];
} NVME_PACKED;

struct nvme_tcp_icresp_pdu {
	struct nvme_tcp_hdr hdr;
	nvme_le16 pfv;
	uint8_t cpda; /* controller PDU data alignment */
	uint8_t digest;
	nvme_le32 maxdata; /* MAXH2CDATA: the largest H2CData PDU data */
	uint8_t rsvd[112];
} NVME_PACKED;

/* H2CTermReq and C2HTermReq: header, then the offending PDU header. */
struct nvme_tcp_term_pdu {
	struct nvme_tcp_hdr hdr;
	nvme_le16 fes;
	nvme_le32 fei; /* field error information */
	uint8_t rsvd[10];
} NVME_PACKED;

struct nvme_tcp_cmd_pdu {
	struct nvme_tcp_hdr hdr;
	union nvme_command cmd;
} NVME_PACKED;

struct nvme_tcp_rsp_pdu {
	struct nvme_tcp_hdr hdr;
	struct nvme_completion cqe;
} NVME_PACKED;

struct nvme_tcp_r2t_pdu {
	struct nvme_tcp_hdr hdr;
	uint16_t command_id;
	uint16_t ttag;
	nvme_le32 r2t_offset;
	nvme_le32 r2t_length;
	uint8_t rsvd[4];
} NVME_PACKED;

/* H2CData and C2HData (ttag reserved in the latter) */
struct nvme_tcp_data_pdu {
	struct nvme_tcp_hdr hdr;
	uint16_t command_id;
	uint16_t ttag;
	nvme_le32 data_offset;
	nvme_le32 data_length;
	uint8_t rsvd[4];
} NVME_PACKED;

NVME_ASSERT_SIZE(struct nvme_tcp_hdr, 8);
NVME_ASSERT_OFF(struct nvme_tcp_hdr, hlen, 2);
NVME_ASSERT_OFF(struct nvme_tcp_hdr, pdo, 3);
NVME_ASSERT_OFF(struct nvme_tcp_hdr, plen, 4);
NVME_ASSERT_SIZE(struct nvme_tcp_icreq_pdu, 128);
NVME_ASSERT_OFF(struct nvme_tcp_icreq_pdu, pfv, 8);
NVME_ASSERT_OFF(struct nvme_tcp_icreq_pdu, hpda, 10);
NVME_ASSERT_OFF(struct nvme_tcp_icreq_pdu, digest, 11);
NVME_ASSERT_OFF(struct nvme_tcp_icreq_pdu, maxr2t, 12);
NVME_ASSERT_SIZE(struct nvme_tcp_icresp_pdu, 128);
NVME_ASSERT_OFF(struct nvme_tcp_icresp_pdu, cpda, 10);
NVME_ASSERT_OFF(struct nvme_tcp_icresp_pdu, digest, 11);
NVME_ASSERT_OFF(struct nvme_tcp_icresp_pdu, maxdata, 12);
NVME_ASSERT_SIZE(struct nvme_tcp_term_pdu, 24);
NVME_ASSERT_OFF(struct nvme_tcp_term_pdu, fes, 8);
NVME_ASSERT_OFF(struct nvme_tcp_term_pdu, fei, 10);
NVME_ASSERT_SIZE(struct nvme_tcp_cmd_pdu, 72);
NVME_ASSERT_OFF(struct nvme_tcp_cmd_pdu, cmd, 8);
NVME_ASSERT_SIZE(struct nvme_tcp_rsp_pdu, 24);
NVME_ASSERT_OFF(struct nvme_tcp_rsp_pdu, cqe, 8);
NVME_ASSERT_SIZE(struct nvme_tcp_r2t_pdu, 24);
NVME_ASSERT_OFF(struct nvme_tcp_r2t_pdu, command_id, 8);
NVME_ASSERT_OFF(struct nvme_tcp_r2t_pdu, ttag, 10);
NVME_ASSERT_OFF(struct nvme_tcp_r2t_pdu, r2t_offset, 12);
NVME_ASSERT_OFF(struct nvme_tcp_r2t_pdu, r2t_length, 16);
NVME_ASSERT_SIZE(struct nvme_tcp_data_pdu, 24);
NVME_ASSERT_OFF(struct nvme_tcp_data_pdu, command_id, 8);
NVME_ASSERT_OFF(struct nvme_tcp_data_pdu, ttag, 10);
NVME_ASSERT_OFF(struct nvme_tcp_data_pdu, data_offset, 12);
NVME_ASSERT_OFF(struct nvme_tcp_data_pdu, data_length, 16);

/* Fill a PDU's common header (host and target alike). */
static inline void nvme_tcp_hdr_init(struct nvme_tcp_hdr *h, uint8_t type,
				     uint8_t flags, uint8_t hlen, uint8_t pdo,
				     uint32_t plen)
{
	h->type = type;
	h->flags = flags;
	h->hlen = hlen;
	h->pdo = pdo;
	h->plen = htole32(plen);
}

/* CRC32C (Castagnoli) of the header and data digests (common/crc32c.c) */
uint32_t nvme_tcp_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t nvme_tcp_crc32c_sw(uint32_t crc, const void *buf, size_t len);
/* The digest of buf: CRC32C seeded with ~0, inverted; stored little endian */
static inline uint32_t nvme_tcp_digest(const void *buf, size_t len)
{
	return ~nvme_tcp_crc32c(~0u, buf, len);
}

#endif /* NVME_TCP_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe and NVMe over Fabrics wire formats (a transport's own: nvme_rdma.h).
 *
 * Every structure here is a byte-exact image of what crosses the wire or a
 * data buffer, little endian, packed.  Sizes and the offsets the peers rely
 * on are checked at compile time at the end of the file, so a wrong field
 * breaks the build instead of the protocol.  Multi-byte fields are stored
 * little endian: read them with le16toh()/le32toh()/le64toh() and write them
 * with htole16()/htole32()/htole64() (nvme_le*() below), as the kernel does
 * with __le types.
 */
#ifndef NVMF_COMMON_NVME_SPEC_H
#define NVMF_COMMON_NVME_SPEC_H

#include <endian.h>
#include <stddef.h>
#include <string.h>
#include <stdint.h>

typedef uint16_t nvme_le16;
typedef uint32_t nvme_le32;
typedef uint64_t nvme_le64;

#define NVME_PACKED __attribute__((packed))

/* ---- constants ------------------------------------------------------- */

#define NVME_NQN_MAX	     223 /* bytes, without the terminating NUL */
#define NVME_NQN_FIELD	     256 /* size of an NQN field on the wire */
#define NVME_DISC_NQN	     "nqn.2014-08.org.nvmexpress.discovery"
#define NVME_UUID_NQN_PREFIX "nqn.2014-08.org.nvmexpress:uuid:"

#define NVME_ADMIN_QID	     0
#define NVME_AQ_DEPTH	     32 /* admin queue entries (hsqsize 31) */
#define NVME_CNTLID_DYNAMIC  0xffff

enum nvme_admin_opcode {
	nvme_admin_get_log_page = 0x02,
	nvme_admin_identify = 0x06,
	nvme_admin_abort = 0x08,
	nvme_admin_set_features = 0x09,
	nvme_admin_get_features = 0x0a,
	nvme_admin_async_event = 0x0c,
	nvme_admin_keep_alive = 0x18,
};

enum nvme_io_opcode {
	nvme_cmd_flush = 0x00,
	nvme_cmd_write = 0x01,
	nvme_cmd_read = 0x02,
	nvme_cmd_write_zeroes = 0x08,
	nvme_cmd_dsm = 0x09,
};

#define nvme_fabrics_command 0x7f

enum nvmf_fabrics_type {
	nvme_fabrics_type_property_set = 0x00,
	nvme_fabrics_type_connect = 0x01,
	nvme_fabrics_type_property_get = 0x04,
	nvme_fabrics_type_disconnect = 0x08,
};

enum nvme_identify_cns {
	NVME_ID_CNS_NS = 0x00,
	NVME_ID_CNS_CTRL = 0x01,
	NVME_ID_CNS_NS_ACTIVE_LIST = 0x02,
	NVME_ID_CNS_NS_DESC_LIST = 0x03,
	NVME_ID_CNS_CS_CTRL = 0x06,
};

enum nvme_log_page {
	NVME_LOG_ERROR = 0x01,
	NVME_LOG_SMART = 0x02,
	NVME_LOG_FW_SLOT = 0x03,
	NVME_LOG_CHANGED_NS = 0x04,
	NVME_LOG_CMD_EFFECTS = 0x05,
	NVME_LOG_DISC = 0x70,
};

enum nvme_feature {
	NVME_FEAT_VOLATILE_WC = 0x06,
	NVME_FEAT_NUM_QUEUES = 0x07,
	NVME_FEAT_ASYNC_EVENT = 0x0b,
	NVME_FEAT_KATO = 0x0f,
	NVME_FEAT_WRITE_PROTECT = 0x84, /* per namespace */
};

/* Namespace Write Protection Config (feature 0x84) states. */
enum nvme_ns_write_protect {
	NVME_NS_NO_WRITE_PROTECT = 0,
	NVME_NS_WRITE_PROTECT = 1,
	NVME_NS_WRITE_PROTECT_POWER_CYCLE = 2,
	NVME_NS_WRITE_PROTECT_PERMANENT = 3,
};

#define NVME_NS_ATTR_RO (1u << 0) /* id_ns.nsattr: write protected */

/* Controller properties (register offsets) for Property Get/Set. */
enum nvme_property {
	NVME_REG_CAP = 0x00, /* 8 bytes */
	NVME_REG_VS = 0x08,
	NVME_REG_CC = 0x14,
	NVME_REG_CSTS = 0x1c,
	NVME_REG_NSSR = 0x20,
	NVME_REG_CRTO = 0x68,
};

#define NVME_CC_EN	     (1u << 0)
#define NVME_CC_SHN_SHIFT    14
#define NVME_CC_SHN_MASK     (3u << NVME_CC_SHN_SHIFT)
#define NVME_CC_SHN_NORMAL   (1u << NVME_CC_SHN_SHIFT)
#define NVME_CC_SHN_ABRUPT   (2u << NVME_CC_SHN_SHIFT)
#define NVME_CC_IOSQES_SHIFT 16
#define NVME_CC_IOCQES_SHIFT 20

#define NVME_CSTS_RDY	     (1u << 0)
#define NVME_CSTS_CFS	     (1u << 1)
#define NVME_CSTS_SHST_SHIFT 2
#define NVME_CSTS_SHST_MASK  (3u << NVME_CSTS_SHST_SHIFT)
#define NVME_CSTS_SHST_CMPLT (2u << NVME_CSTS_SHST_SHIFT)

/* CAP fields */
#define NVME_CAP_MQES(cap) ((uint32_t)((cap)&0xffff))
#define NVME_CAP_TO(cap)   ((uint32_t)(((cap) >> 24) & 0xff))
#define NVME_CAP_CSS_NVM   (1ull << 37)

/* Status code types and codes (CQE status bits 9-11 and 1-8). */
enum nvme_sct {
	NVME_SCT_GENERIC = 0x0,
	NVME_SCT_CMD_SPECIFIC = 0x1,
	NVME_SCT_MEDIA = 0x2,
	NVME_SCT_PATH = 0x3,
};

enum nvme_generic_sc {
	NVME_SC_SUCCESS = 0x00,
	NVME_SC_INVALID_OPCODE = 0x01,
	NVME_SC_INVALID_FIELD = 0x02,
	NVME_SC_CMDID_CONFLICT = 0x03,
	NVME_SC_DATA_XFER_ERROR = 0x04,
	NVME_SC_INTERNAL = 0x06,
	NVME_SC_ABORT_REQ = 0x07,
	NVME_SC_ABORT_QUEUE = 0x08,
	NVME_SC_INVALID_NS = 0x0b,
	NVME_SC_CMD_SEQ_ERROR = 0x0c,
	NVME_SC_SGL_INVALID_LAST = 0x0d,
	NVME_SC_SGL_INVALID_COUNT = 0x0e,
	NVME_SC_SGL_INVALID_DATA = 0x0f,
	NVME_SC_SGL_INVALID_TYPE = 0x11,
	NVME_SC_SGL_INVALID_OFFSET = 0x16,
	NVME_SC_KA_TIMEOUT_EXPIRED = 0x19,
	NVME_SC_KA_TIMEOUT_INVALID = 0x1a,
	NVME_SC_NS_WRITE_PROTECTED = 0x20,
	NVME_SC_LBA_RANGE = 0x80,
	NVME_SC_CAP_EXCEEDED = 0x81,
	NVME_SC_NS_NOT_READY = 0x82,
};

enum nvme_cmd_specific_sc {
	NVME_SC_INVALID_QID = 0x01,
	NVME_SC_INVALID_QUEUE_SIZE = 0x02,
	NVME_SC_ABORT_LIMIT = 0x03,
	NVME_SC_ASYNC_LIMIT = 0x05,
	NVME_SC_INVALID_LOG_PAGE = 0x09,
	NVME_SC_FEATURE_NOT_SAVEABLE = 0x0d,
	NVME_SC_FEATURE_NOT_CHANGEABLE = 0x0e,
	NVME_SC_CONNECT_FORMAT = 0x80,
	NVME_SC_CONNECT_CTRL_BUSY = 0x81,
	NVME_SC_CONNECT_INVALID_PARAM = 0x82,
	NVME_SC_CONNECT_RESTART_DISC = 0x83,
	NVME_SC_CONNECT_INVALID_HOST = 0x84,
};

enum nvme_path_sc {
	NVME_SC_PATH_INTERNAL = 0x00,
	NVME_SC_CTRL_PATH_ERROR = 0x70,
	NVME_SC_HOST_PATH_ERROR = 0x71,
	NVME_SC_HOST_ABORTED_CMD = 0x72,
};

/*
 * CQE status field (bits 15:0 of dword 3): phase bit 0, SC bits 1-8,
 * SCT bits 9-11, CRD bits 12-13, More bit 14, DNR bit 15.
 */
#define NVME_STATUS_DNR (1u << 15)

static inline uint16_t nvme_status(unsigned int sct, unsigned int sc, int dnr)
{
	return (uint16_t)(((sct & 0x7) << 9) | ((sc & 0xff) << 1) |
			  (dnr ? NVME_STATUS_DNR : 0));
}

static inline unsigned int nvme_status_sct(uint16_t status)
{
	return (status >> 9) & 0x7;
}

static inline unsigned int nvme_status_sc(uint16_t status)
{
	return (status >> 1) & 0xff;
}

static inline int nvme_status_dnr(uint16_t status)
{
	return !!(status & NVME_STATUS_DNR);
}

/* ---- SGL descriptor (16 bytes) ------------------------------------------ */

/* The type byte: descriptor type in the high nibble, subtype in the low. */
#define NVME_SGL_FMT_DATA_DESC	     0x00
#define NVME_SGL_FMT_KEYED_DATA_DESC 0x40
#define NVME_SGL_FMT_ADDRESS	     0x00
#define NVME_SGL_FMT_OFFSET	     0x01
#define NVME_SGL_FMT_INVALIDATE	     0x0f
#define NVME_SGL_TYPE_INLINE	     (NVME_SGL_FMT_DATA_DESC | NVME_SGL_FMT_OFFSET)
#define NVME_SGL_TYPE_KEYED	     (NVME_SGL_FMT_KEYED_DATA_DESC)
#define NVME_SGL_TYPE_KEYED_INV \
	(NVME_SGL_FMT_KEYED_DATA_DESC | NVME_SGL_FMT_INVALIDATE)

#define NVME_SGL_KEYED_LEN_MAX 0xffffffu /* 24-bit length */

struct nvme_sgl_desc {
	nvme_le64 addr;
	nvme_le32 length;
	uint8_t rsvd[3];
	uint8_t type;
} NVME_PACKED;

struct nvme_keyed_sgl_desc {
	nvme_le64 addr;
	uint8_t length[3]; /* 24-bit little endian */
	uint8_t key[4];	   /* 32-bit little endian, unaligned */
	uint8_t type;
} NVME_PACKED;

union nvme_data_ptr {
	struct nvme_sgl_desc sgl;
	struct nvme_keyed_sgl_desc ksgl;
};

/* ---- SQE (64 bytes) and CQE (16 bytes) ---------------------------------- */

/* SQE flags byte: PSDT bits 6-7, 01b = SGL for data, buffer for metadata. */
#define NVME_CMD_SGL_METABUF (1u << 6)

struct nvme_common_command {
	uint8_t opcode;
	uint8_t flags;
	uint16_t command_id; /* opaque to the controller */
	nvme_le32 nsid;
	nvme_le32 cdw2;
	nvme_le32 cdw3;
	nvme_le64 metadata;
	union nvme_data_ptr dptr;
	nvme_le32 cdw10;
	nvme_le32 cdw11;
	nvme_le32 cdw12;
	nvme_le32 cdw13;
	nvme_le32 cdw14;
	nvme_le32 cdw15;
} NVME_PACKED;

/* Read, Write, Write Zeroes: SLBA in cdw10-11, NLB (0-based) in cdw12. */
struct nvme_rw_command {
	uint8_t opcode;
	uint8_t flags;
	uint16_t command_id;
	nvme_le32 nsid;
	nvme_le32 cdw2;
	nvme_le32 cdw3;
	nvme_le64 metadata;
	union nvme_data_ptr dptr;
	nvme_le64 slba;
	nvme_le16 length; /* number of logical blocks, 0-based */
	nvme_le16 control;
	nvme_le32 dsmgmt;
	nvme_le32 reftag;
	nvme_le16 apptag;
	nvme_le16 appmask;
} NVME_PACKED;

/* Fabrics commands share opcode 0x7f; fctype at byte 4. */
struct nvmf_common_command {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t command_id;
	uint8_t fctype;
	uint8_t rsvd2[19];
	union nvme_data_ptr dptr;
	uint8_t ts[24];
} NVME_PACKED;

#define NVMF_CONNECT_CATTR_DISABLE_SQFLOW (1u << 2)

struct nvmf_connect_command {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t command_id;
	uint8_t fctype;
	uint8_t rsvd2[19];
	union nvme_data_ptr dptr;
	nvme_le16 recfmt;
	nvme_le16 qid;
	nvme_le16 sqsize; /* 0-based */
	uint8_t cattr;
	uint8_t rsvd3;
	nvme_le32 kato; /* milliseconds, admin queue only */
	uint8_t rsvd4[12];
} NVME_PACKED;

/* Property Get/Set attrib bit 0: 8-byte property. */
#define NVMF_PROP_SIZE_8 1

struct nvmf_property_set_command {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t command_id;
	uint8_t fctype;
	uint8_t rsvd2[35];
	uint8_t attrib;
	uint8_t rsvd3[3];
	nvme_le32 offset;
	nvme_le64 value;
	uint8_t rsvd4[8];
} NVME_PACKED;

struct nvmf_property_get_command {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t command_id;
	uint8_t fctype;
	uint8_t rsvd2[35];
	uint8_t attrib;
	uint8_t rsvd3[3];
	nvme_le32 offset;
	uint8_t rsvd4[16];
} NVME_PACKED;

struct nvmf_disconnect_command {
	uint8_t opcode;
	uint8_t rsvd1;
	uint16_t command_id;
	uint8_t fctype;
	uint8_t rsvd2[19];
	union nvme_data_ptr dptr;
	nvme_le16 recfmt;
	uint8_t rsvd3[22];
} NVME_PACKED;

union nvme_command {
	struct nvme_common_command common;
	struct nvme_rw_command rw;
	struct nvmf_common_command fabrics;
	struct nvmf_connect_command connect;
	struct nvmf_property_set_command prop_set;
	struct nvmf_property_get_command prop_get;
	struct nvmf_disconnect_command disconnect;
};

struct nvme_completion {
	union {
		nvme_le16 u16;
		nvme_le32 u32;
		nvme_le64 u64; /* Property Get of an 8-byte property */
	} result;
	nvme_le16 sq_head;
	nvme_le16 sq_id;
	uint16_t command_id;
	nvme_le16 status;
} NVME_PACKED;

/* Connect data: 1024 bytes, sent with the Connect command. */
struct nvmf_connect_data {
	uint8_t hostid[16];
	nvme_le16 cntlid;
	uint8_t rsvd4[238];
	char subsysnqn[NVME_NQN_FIELD];
	char hostnqn[NVME_NQN_FIELD];
	uint8_t rsvd5[256];
} NVME_PACKED;

/* Dataset Management range (16 bytes). */
#define NVME_DSMGMT_AD (1u << 2) /* cdw11: deallocate */

struct nvme_dsm_range {
	nvme_le32 cattr;
	nvme_le32 nlb;
	nvme_le64 slba;
} NVME_PACKED;

/* ---- Identify ----------------------------------------------------------- */

struct nvme_id_power_state {
	uint8_t data[32];
} NVME_PACKED;

/* SGLS bits the kernel host checks */
#define NVME_CTRL_SGLS_SUPPORTED    (1u << 0)
#define NVME_CTRL_SGLS_KSDBDS	    (1u << 2)  /* keyed SGL data block */
#define NVME_CTRL_SGLS_OFFSET	    (1u << 20) /* in-capsule offsets */
#define NVME_CTRL_LPA_CMD_EFFECTS   (1u << 1)
#define NVME_CTRL_ONCS_DSM	    (1u << 2)
#define NVME_CTRL_ONCS_WRITE_ZEROES (1u << 3)
#define NVME_CTRL_OAES_NS_ATTR	    (1u << 8)
/* Asynchronous Event Request completion dword 0: type, info, log page */
#define NVME_AER_TYPE_NOTICE	     2u
#define NVME_AER_NOTICE_NS_CHANGED   0u
#define NVME_AER_NOTICE_DISC_CHANGED 0xf0u /* discovery log page changed */
/* Get Log Page cdw10: Retain Asynchronous Event (keep the event masked) */
#define NVME_LOG_RAE (1u << 15)
/* Asynchronous Event Configuration (feature 0x0b): discovery log notices */
#define NVME_AEN_CFG_DISC_CHANGE (1u << 31)
#define NVME_AER_RESULT(type, info, lid) \
	((type) | ((uint32_t)(info) << 8) | ((uint32_t)(lid) << 16))
#define NVME_CTRL_CTRATT_128_ID	 (1u << 0)
#define NVME_CTRL_CNTRLTYPE_IO	 1
#define NVME_CTRL_CNTRLTYPE_DISC 2

struct nvme_id_ctrl {
	nvme_le16 vid;
	nvme_le16 ssvid;
	char sn[20];
	char mn[40];
	char fr[8];
	uint8_t rab;
	uint8_t ieee[3];
	uint8_t cmic;
	uint8_t mdts;
	nvme_le16 cntlid;
	nvme_le32 ver;
	nvme_le32 rtd3r;
	nvme_le32 rtd3e;
	nvme_le32 oaes;
	nvme_le32 ctratt;
	nvme_le16 rrls;
	uint8_t rsvd102[9];
	uint8_t cntrltype;
	uint8_t fguid[16];
	nvme_le16 crdt1;
	nvme_le16 crdt2;
	nvme_le16 crdt3;
	uint8_t rsvd134[119];
	uint8_t nvmsr;
	uint8_t vwci;
	uint8_t mec;
	nvme_le16 oacs;
	uint8_t acl;
	uint8_t aerl;
	uint8_t frmw;
	uint8_t lpa;
	uint8_t elpe;
	uint8_t npss;
	uint8_t avscc;
	uint8_t apsta;
	nvme_le16 wctemp;
	nvme_le16 cctemp;
	nvme_le16 mtfa;
	nvme_le32 hmpre;
	nvme_le32 hmmin;
	uint8_t tnvmcap[16];
	uint8_t unvmcap[16];
	nvme_le32 rpmbs;
	nvme_le16 edstt;
	uint8_t dsto;
	uint8_t fwug;
	nvme_le16 kas;
	nvme_le16 hctma;
	nvme_le16 mntmt;
	nvme_le16 mxtmt;
	nvme_le32 sanicap;
	nvme_le32 hmminds;
	nvme_le16 hmmaxd;
	nvme_le16 nsetidmax;
	nvme_le16 endgidmax;
	uint8_t anatt;
	uint8_t anacap;
	nvme_le32 anagrpmax;
	nvme_le32 nanagrpid;
	nvme_le32 pels;
	nvme_le16 domainid;
	uint8_t rsvd358[10];
	uint8_t megcap[16];
	uint8_t rsvd384[128];
	uint8_t sqes;
	uint8_t cqes;
	nvme_le16 maxcmd;
	nvme_le32 nn;
	nvme_le16 oncs;
	nvme_le16 fuses;
	uint8_t fna;
	uint8_t vwc;
	nvme_le16 awun;
	nvme_le16 awupf;
	uint8_t icsvscc;
	uint8_t nwpc;
	nvme_le16 acwu;
	nvme_le16 ocfs;
	nvme_le32 sgls;
	nvme_le32 mnan;
	uint8_t maxdna[16];
	nvme_le32 maxcna;
	uint8_t rsvd564[204];
	char subnqn[NVME_NQN_FIELD];
	uint8_t rsvd1024[768];
	/* Fabrics only */
	nvme_le32 ioccsz; /* I/O command capsule size, 16-byte units */
	nvme_le32 iorcsz; /* I/O response capsule size, 16-byte units */
	nvme_le16 icdoff;
	uint8_t fcatt;
	uint8_t msdbd;
	nvme_le16 ofcs;
	uint8_t rsvd1806[242];
	struct nvme_id_power_state psd[32];
	uint8_t vs[1024];
} NVME_PACKED;

struct nvme_lbaf {
	nvme_le16 ms;
	uint8_t ds; /* log2 of the LBA data size */
	uint8_t rp;
} NVME_PACKED;

struct nvme_id_ns {
	nvme_le64 nsze;
	nvme_le64 ncap;
	nvme_le64 nuse;
	uint8_t nsfeat;
	uint8_t nlbaf;
	uint8_t flbas;
	uint8_t mc;
	uint8_t dpc;
	uint8_t dps;
	uint8_t nmic;
	uint8_t rescap;
	uint8_t fpi;
	uint8_t dlfeat;
	nvme_le16 nawun;
	nvme_le16 nawupf;
	nvme_le16 nacwu;
	nvme_le16 nabsn;
	nvme_le16 nabo;
	nvme_le16 nabspf;
	nvme_le16 noiob;
	uint8_t nvmcap[16];
	nvme_le16 npwg;
	nvme_le16 npwa;
	nvme_le16 npdg;
	nvme_le16 npda;
	nvme_le16 nows;
	nvme_le16 mssrl;
	nvme_le32 mcl;
	uint8_t msrc;
	uint8_t rsvd81;
	uint8_t nulbaf;
	uint8_t rsvd83[9];
	nvme_le32 anagrpid;
	uint8_t rsvd96[3];
	uint8_t nsattr;
	nvme_le16 nvmsetid;
	nvme_le16 endgid;
	uint8_t nguid[16];
	uint8_t eui64[8];
	struct nvme_lbaf lbaf[64];
	uint8_t vs[3712];
} NVME_PACKED;

/* Namespace identification descriptor (CNS 0x03), followed by nidl bytes. */
enum nvme_nidt {
	NVME_NIDT_EUI64 = 0x01,
	NVME_NIDT_NGUID = 0x02,
	NVME_NIDT_UUID = 0x03,
	NVME_NIDT_CSI = 0x04,
};

struct nvme_ns_id_desc {
	uint8_t nidt;
	uint8_t nidl;
	nvme_le16 rsvd;
} NVME_PACKED;

#define NVME_IDENTIFY_DATA_SIZE 4096
#define NVME_NS_LIST_MAX	1024

/* Active namespace list (CNS 0x02) and Changed Namespace List (LID 0x04). */
struct nvme_ns_list {
	nvme_le32 ns[NVME_NS_LIST_MAX];
} NVME_PACKED;

/* ---- log pages ---------------------------------------------------------- */

struct nvme_error_log {
	nvme_le64 error_count;
	nvme_le16 sqid;
	nvme_le16 cmdid;
	nvme_le16 status_field;
	nvme_le16 param_error_location;
	nvme_le64 lba;
	nvme_le32 nsid;
	uint8_t vs;
	uint8_t trtype;
	uint8_t rsvd30[2];
	nvme_le64 cs;
	nvme_le16 trtype_spec_info;
	uint8_t rsvd42[22];
} NVME_PACKED;

struct nvme_smart_log {
	uint8_t critical_warning;
	uint8_t temperature[2]; /* Kelvin, little endian */
	uint8_t avail_spare;
	uint8_t spare_thresh;
	uint8_t percent_used;
	uint8_t endu_grp_crit_warn_sumry;
	uint8_t rsvd7[25];
	uint8_t data_units_read[16];
	uint8_t data_units_written[16];
	uint8_t host_reads[16];
	uint8_t host_writes[16];
	uint8_t ctrl_busy_time[16];
	uint8_t power_cycles[16];
	uint8_t power_on_hours[16];
	uint8_t unsafe_shutdowns[16];
	uint8_t media_errors[16];
	uint8_t num_err_log_entries[16];
	nvme_le32 warning_temp_time;
	nvme_le32 critical_comp_time;
	nvme_le16 temp_sensor[8];
	nvme_le32 thm_temp1_trans_count;
	nvme_le32 thm_temp2_trans_count;
	nvme_le32 thm_temp1_total_time;
	nvme_le32 thm_temp2_total_time;
	uint8_t rsvd232[280];
} NVME_PACKED;

struct nvme_fw_slot_log {
	uint8_t afi;
	uint8_t rsvd1[7];
	char frs[7][8];
	uint8_t rsvd64[448];
} NVME_PACKED;

/* Commands Supported and Effects: CSUPP bit 0, LBCC bit 1, NCC bit 2... */
#define NVME_CMD_EFFECTS_CSUPP (1u << 0)
#define NVME_CMD_EFFECTS_LBCC  (1u << 1)

struct nvme_effects_log {
	nvme_le32 acs[256];
	nvme_le32 iocs[256];
	uint8_t rsvd[2048];
} NVME_PACKED;

/* ---- discovery log page (LID 0x70) ------------------------------------ */

enum nvmf_trtype {
	NVMF_TRTYPE_RDMA = 1,
	NVMF_TRTYPE_FC = 2,
	NVMF_TRTYPE_TCP = 3,
	NVMF_TRTYPE_LOOP = 254,
};

enum nvmf_adrfam {
	NVMF_ADDR_FAMILY_IP4 = 1,
	NVMF_ADDR_FAMILY_IP6 = 2,
};

enum nvmf_subtype {
	NVME_NQN_REFERRAL = 1,
	NVME_NQN_NVME = 2,
	NVME_NQN_CURR_DISC = 3,
};

#define NVMF_TREQ_NOT_SPECIFIED	       0
#define NVMF_TREQ_NOT_REQUIRED	       2
#define NVMF_RDMA_QPTYPE_CONNECTED     1
#define NVMF_RDMA_PRTYPE_NOT_SPECIFIED 1
#define NVMF_RDMA_CMS_RDMA_CM	       1
#define NVMF_TRSVCID_SIZE	       32
#define NVMF_TRADDR_SIZE	       256

struct nvmf_rdma_tsas {
	uint8_t qptype;
	uint8_t prtype;
	uint8_t cms;
	uint8_t rsvd3[5];
	nvme_le16 pkey;
	uint8_t rsvd10[246];
} NVME_PACKED;

/* A discovery log entry's transport specific address subtype */
/* TCP: the security type (NVMF_TCP_SECTYPE_*) */
#define NVMF_TCP_SECTYPE_NONE 0
struct nvmf_tcp_tsas {
	uint8_t sectype;
	uint8_t rsvd[255];
} NVME_PACKED;

union nvmf_tsas {
	struct nvmf_rdma_tsas rdma;
	struct nvmf_tcp_tsas tcp;
	uint8_t common[256];
};

struct nvmf_disc_log_entry {
	uint8_t trtype;
	uint8_t adrfam;
	uint8_t subtype;
	uint8_t treq;
	nvme_le16 portid;
	nvme_le16 cntlid;
	nvme_le16 asqsz;
	nvme_le16 eflags;
	uint8_t rsvd12[20];
	char trsvcid[NVMF_TRSVCID_SIZE]; /* space padded */
	uint8_t rsvd64[192];
	char subnqn[NVME_NQN_FIELD];
	char traddr[NVMF_TRADDR_SIZE]; /* space padded */
	union nvmf_tsas tsas;
} NVME_PACKED;

struct nvmf_disc_log_page_hdr {
	nvme_le64 genctr;
	nvme_le64 numrec;
	nvme_le16 recfmt;
	uint8_t rsvd18[1006];
} NVME_PACKED;

/* ---- encode/decode helpers ------------------------------------------------ */

/* Fill a keyed SGL data block descriptor (type 0x40, or 0x4f to invalidate). */
static inline void nvme_sgl_set_keyed(union nvme_data_ptr *dptr, uint64_t addr,
				      uint32_t len, uint32_t key,
				      int invalidate)
{
	struct nvme_keyed_sgl_desc *d = &dptr->ksgl;

	d->addr = htole64(addr);
	d->length[0] = len & 0xff;
	d->length[1] = (len >> 8) & 0xff;
	d->length[2] = (len >> 16) & 0xff;
	d->key[0] = key & 0xff;
	d->key[1] = (key >> 8) & 0xff;
	d->key[2] = (key >> 16) & 0xff;
	d->key[3] = (key >> 24) & 0xff;
	d->type = invalidate ? NVME_SGL_TYPE_KEYED_INV : NVME_SGL_TYPE_KEYED;
}

static inline uint32_t nvme_sgl_keyed_len(const struct nvme_keyed_sgl_desc *d)
{
	return d->length[0] | (d->length[1] << 8) |
	       ((uint32_t)d->length[2] << 16);
}

static inline uint32_t nvme_sgl_keyed_key(const struct nvme_keyed_sgl_desc *d)
{
	return d->key[0] | (d->key[1] << 8) | ((uint32_t)d->key[2] << 16) |
	       ((uint32_t)d->key[3] << 24);
}

/* Fill an in-capsule (data block, offset subtype) descriptor. */
static inline void nvme_sgl_set_inline(union nvme_data_ptr *dptr,
				       uint64_t offset, uint32_t len)
{
	dptr->sgl.addr = htole64(offset);
	dptr->sgl.length = htole32(len);
	dptr->sgl.rsvd[0] = dptr->sgl.rsvd[1] = dptr->sgl.rsvd[2] = 0;
	dptr->sgl.type = NVME_SGL_TYPE_INLINE;
}

/*
 * Copy a string into a fixed-size wire field padded with spaces (Identify
 * sn/mn/fr, discovery trsvcid/traddr) - no terminating NUL.
 */
static inline void nvme_strpad(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; i < size && src[i]; i++)
		dst[i] = src[i];
	for (; i < size; i++)
		dst[i] = ' ';
}

/*
 * The reverse: a fixed-size, space (or NUL) padded wire field as a C string
 * without the padding, truncated to fit size bytes with the NUL.
 */
static inline void nvme_strunpad(char *dst, size_t size, const char *src,
				 size_t len)
{
	size_t n = len < size - 1 ? len : size - 1;

	memcpy(dst, src, n);
	dst[n] = '\0';
	while (n && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		dst[--n] = '\0';
}

/* ---- compile-time layout checks ----------------------------------------- */

#define NVME_ASSERT_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), #type " must be " #size " bytes")
#define NVME_ASSERT_OFF(type, field, off)              \
	_Static_assert(offsetof(type, field) == (off), \
		       #type "." #field " must be at offset " #off)

NVME_ASSERT_SIZE(struct nvme_sgl_desc, 16);
NVME_ASSERT_OFF(struct nvme_sgl_desc, length, 8);
NVME_ASSERT_OFF(struct nvme_sgl_desc, type, 15);
NVME_ASSERT_SIZE(struct nvme_keyed_sgl_desc, 16);
NVME_ASSERT_OFF(struct nvme_keyed_sgl_desc, length, 8);
NVME_ASSERT_OFF(struct nvme_keyed_sgl_desc, key, 11);
NVME_ASSERT_OFF(struct nvme_keyed_sgl_desc, type, 15);

NVME_ASSERT_SIZE(struct nvme_common_command, 64);
NVME_ASSERT_OFF(struct nvme_common_command, command_id, 2);
NVME_ASSERT_OFF(struct nvme_common_command, nsid, 4);
NVME_ASSERT_OFF(struct nvme_common_command, dptr, 24);
NVME_ASSERT_OFF(struct nvme_common_command, cdw10, 40);
NVME_ASSERT_OFF(struct nvme_common_command, cdw15, 60);
NVME_ASSERT_SIZE(struct nvme_rw_command, 64);
NVME_ASSERT_OFF(struct nvme_rw_command, slba, 40);
NVME_ASSERT_OFF(struct nvme_rw_command, length, 48);
NVME_ASSERT_SIZE(union nvme_command, 64);

NVME_ASSERT_SIZE(struct nvmf_common_command, 64);
NVME_ASSERT_OFF(struct nvmf_common_command, fctype, 4);
NVME_ASSERT_OFF(struct nvmf_common_command, dptr, 24);
NVME_ASSERT_SIZE(struct nvmf_connect_command, 64);
NVME_ASSERT_OFF(struct nvmf_connect_command, fctype, 4);
NVME_ASSERT_OFF(struct nvmf_connect_command, dptr, 24);
NVME_ASSERT_OFF(struct nvmf_connect_command, recfmt, 40);
NVME_ASSERT_OFF(struct nvmf_connect_command, qid, 42);
NVME_ASSERT_OFF(struct nvmf_connect_command, sqsize, 44);
NVME_ASSERT_OFF(struct nvmf_connect_command, cattr, 46);
NVME_ASSERT_OFF(struct nvmf_connect_command, kato, 48);
NVME_ASSERT_SIZE(struct nvmf_property_set_command, 64);
NVME_ASSERT_OFF(struct nvmf_property_set_command, attrib, 40);
NVME_ASSERT_OFF(struct nvmf_property_set_command, offset, 44);
NVME_ASSERT_OFF(struct nvmf_property_set_command, value, 48);
NVME_ASSERT_SIZE(struct nvmf_property_get_command, 64);
NVME_ASSERT_OFF(struct nvmf_property_get_command, attrib, 40);
NVME_ASSERT_OFF(struct nvmf_property_get_command, offset, 44);
NVME_ASSERT_SIZE(struct nvmf_disconnect_command, 64);
NVME_ASSERT_OFF(struct nvmf_disconnect_command, recfmt, 40);

NVME_ASSERT_SIZE(struct nvme_completion, 16);
NVME_ASSERT_OFF(struct nvme_completion, sq_head, 8);
NVME_ASSERT_OFF(struct nvme_completion, sq_id, 10);
NVME_ASSERT_OFF(struct nvme_completion, command_id, 12);
NVME_ASSERT_OFF(struct nvme_completion, status, 14);

NVME_ASSERT_SIZE(struct nvmf_connect_data, 1024);
NVME_ASSERT_OFF(struct nvmf_connect_data, cntlid, 16);
NVME_ASSERT_OFF(struct nvmf_connect_data, subsysnqn, 256);
NVME_ASSERT_OFF(struct nvmf_connect_data, hostnqn, 512);

NVME_ASSERT_SIZE(struct nvme_dsm_range, 16);
NVME_ASSERT_OFF(struct nvme_dsm_range, nlb, 4);
NVME_ASSERT_OFF(struct nvme_dsm_range, slba, 8);

NVME_ASSERT_SIZE(struct nvme_id_ctrl, 4096);
NVME_ASSERT_OFF(struct nvme_id_ctrl, sn, 4);
NVME_ASSERT_OFF(struct nvme_id_ctrl, mn, 24);
NVME_ASSERT_OFF(struct nvme_id_ctrl, fr, 64);
NVME_ASSERT_OFF(struct nvme_id_ctrl, ieee, 73);
NVME_ASSERT_OFF(struct nvme_id_ctrl, mdts, 77);
NVME_ASSERT_OFF(struct nvme_id_ctrl, cntlid, 78);
NVME_ASSERT_OFF(struct nvme_id_ctrl, ver, 80);
NVME_ASSERT_OFF(struct nvme_id_ctrl, oaes, 92);
NVME_ASSERT_OFF(struct nvme_id_ctrl, ctratt, 96);
NVME_ASSERT_OFF(struct nvme_id_ctrl, cntrltype, 111);
NVME_ASSERT_OFF(struct nvme_id_ctrl, oacs, 256);
NVME_ASSERT_OFF(struct nvme_id_ctrl, aerl, 259);
NVME_ASSERT_OFF(struct nvme_id_ctrl, lpa, 261);
NVME_ASSERT_OFF(struct nvme_id_ctrl, elpe, 262);
NVME_ASSERT_OFF(struct nvme_id_ctrl, kas, 320);
NVME_ASSERT_OFF(struct nvme_id_ctrl, sqes, 512);
NVME_ASSERT_OFF(struct nvme_id_ctrl, cqes, 513);
NVME_ASSERT_OFF(struct nvme_id_ctrl, maxcmd, 514);
NVME_ASSERT_OFF(struct nvme_id_ctrl, nn, 516);
NVME_ASSERT_OFF(struct nvme_id_ctrl, oncs, 520);
NVME_ASSERT_OFF(struct nvme_id_ctrl, vwc, 525);
NVME_ASSERT_OFF(struct nvme_id_ctrl, sgls, 536);
NVME_ASSERT_OFF(struct nvme_id_ctrl, subnqn, 768);
NVME_ASSERT_OFF(struct nvme_id_ctrl, ioccsz, 1792);
NVME_ASSERT_OFF(struct nvme_id_ctrl, iorcsz, 1796);
NVME_ASSERT_OFF(struct nvme_id_ctrl, icdoff, 1800);
NVME_ASSERT_OFF(struct nvme_id_ctrl, msdbd, 1803);
NVME_ASSERT_OFF(struct nvme_id_ctrl, psd, 2048);
NVME_ASSERT_OFF(struct nvme_id_ctrl, vs, 3072);

NVME_ASSERT_SIZE(struct nvme_lbaf, 4);
NVME_ASSERT_SIZE(struct nvme_id_ns, 4096);
NVME_ASSERT_OFF(struct nvme_id_ns, ncap, 8);
NVME_ASSERT_OFF(struct nvme_id_ns, nuse, 16);
NVME_ASSERT_OFF(struct nvme_id_ns, nsfeat, 24);
NVME_ASSERT_OFF(struct nvme_id_ns, nlbaf, 25);
NVME_ASSERT_OFF(struct nvme_id_ns, flbas, 26);
NVME_ASSERT_OFF(struct nvme_id_ns, dlfeat, 33);
NVME_ASSERT_OFF(struct nvme_id_ns, anagrpid, 92);
NVME_ASSERT_OFF(struct nvme_id_ns, nguid, 104);
NVME_ASSERT_OFF(struct nvme_id_ns, eui64, 120);
NVME_ASSERT_OFF(struct nvme_id_ns, lbaf, 128);
NVME_ASSERT_OFF(struct nvme_id_ns, vs, 384);
NVME_ASSERT_SIZE(struct nvme_ns_id_desc, 4);
NVME_ASSERT_SIZE(struct nvme_ns_list, 4096);

NVME_ASSERT_SIZE(struct nvme_error_log, 64);
NVME_ASSERT_OFF(struct nvme_error_log, sqid, 8);
NVME_ASSERT_OFF(struct nvme_error_log, status_field, 12);
NVME_ASSERT_OFF(struct nvme_error_log, lba, 16);
NVME_ASSERT_OFF(struct nvme_error_log, nsid, 24);
NVME_ASSERT_OFF(struct nvme_error_log, cs, 32);
NVME_ASSERT_SIZE(struct nvme_smart_log, 512);
NVME_ASSERT_OFF(struct nvme_smart_log, temperature, 1);
NVME_ASSERT_OFF(struct nvme_smart_log, avail_spare, 3);
NVME_ASSERT_OFF(struct nvme_smart_log, percent_used, 5);
NVME_ASSERT_OFF(struct nvme_smart_log, data_units_read, 32);
NVME_ASSERT_OFF(struct nvme_smart_log, host_reads, 64);
NVME_ASSERT_OFF(struct nvme_smart_log, power_on_hours, 128);
NVME_ASSERT_OFF(struct nvme_smart_log, num_err_log_entries, 176);
NVME_ASSERT_OFF(struct nvme_smart_log, temp_sensor, 200);
NVME_ASSERT_SIZE(struct nvme_fw_slot_log, 512);
NVME_ASSERT_OFF(struct nvme_fw_slot_log, frs, 8);
NVME_ASSERT_SIZE(struct nvme_effects_log, 4096);
NVME_ASSERT_OFF(struct nvme_effects_log, iocs, 1024);

NVME_ASSERT_SIZE(struct nvmf_disc_log_page_hdr, 1024);
NVME_ASSERT_OFF(struct nvmf_disc_log_page_hdr, numrec, 8);
NVME_ASSERT_OFF(struct nvmf_disc_log_page_hdr, recfmt, 16);
NVME_ASSERT_SIZE(struct nvmf_disc_log_entry, 1024);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, adrfam, 1);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, subtype, 2);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, treq, 3);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, portid, 4);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, cntlid, 6);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, asqsz, 8);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, eflags, 10);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, trsvcid, 32);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, subnqn, 256);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, traddr, 512);
NVME_ASSERT_OFF(struct nvmf_disc_log_entry, tsas, 768);
NVME_ASSERT_SIZE(struct nvmf_rdma_tsas, 256);
NVME_ASSERT_SIZE(struct nvmf_tcp_tsas, 256);
NVME_ASSERT_SIZE(union nvmf_tsas, 256);
NVME_ASSERT_OFF(struct nvmf_rdma_tsas, prtype, 1);
NVME_ASSERT_OFF(struct nvmf_rdma_tsas, cms, 2);
NVME_ASSERT_OFF(struct nvmf_rdma_tsas, pkey, 8);

#endif /* NVMF_COMMON_NVME_SPEC_H */

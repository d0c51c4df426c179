// SPDX-License-Identifier: GPL-2.0
/*
 * Wire formats: the sizes and offsets are checked at compile time in
 * nvme_spec.h; these tests check the encoders and decoders byte by byte
 * against the layouts of ../shared/REFERENCE.md sections 3-7.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nvme_rdma.h"
#include "nvme_spec.h"
#include "nvme_tcp.h"

static uint16_t get16(const void *buf, size_t off)
{
	const uint8_t *p = (const uint8_t *)buf + off;

	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const void *buf, size_t off)
{
	const uint8_t *p = (const uint8_t *)buf + off;

	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const void *buf, size_t off)
{
	return get32(buf, off) | (uint64_t)get32(buf, off + 4) << 32;
}

static void test_keyed_sgl_round_trip(void **state)
{
	union nvme_command cmd;
	const uint8_t *raw = (const uint8_t *)&cmd;

	(void)state;
	memset(&cmd, 0xee, sizeof(cmd));
	nvme_sgl_set_keyed(&cmd.common.dptr, 0x1122334455667788ull, 0xabcdef,
			   0xdeadbeef, 0);
	/* descriptor at SQE offset 24: address @0, 24-bit length @8, key @11 */
	assert_int_equal(get64(raw, 24), 0x1122334455667788ull);
	assert_int_equal(raw[24 + 8], 0xef);
	assert_int_equal(raw[24 + 9], 0xcd);
	assert_int_equal(raw[24 + 10], 0xab);
	assert_int_equal(get32(raw, 24 + 11), 0xdeadbeef);
	assert_int_equal(raw[24 + 15], 0x40);
	assert_int_equal(nvme_sgl_keyed_len(&cmd.common.dptr.ksgl), 0xabcdef);
	assert_int_equal(nvme_sgl_keyed_key(&cmd.common.dptr.ksgl), 0xdeadbeef);

	nvme_sgl_set_keyed(&cmd.common.dptr, 0, 4096, 7, 1);
	assert_int_equal(raw[24 + 15], 0x4f);
	assert_int_equal(nvme_sgl_keyed_len(&cmd.common.dptr.ksgl), 4096);
	/* bytes outside the descriptor untouched */
	assert_int_equal(raw[23], 0xee);
	assert_int_equal(raw[40], 0xee);
}

static void test_inline_sgl(void **state)
{
	union nvme_command cmd;
	const uint8_t *raw = (const uint8_t *)&cmd;

	(void)state;
	memset(&cmd, 0xee, sizeof(cmd));
	nvme_sgl_set_inline(&cmd.common.dptr, 0, 4096);
	assert_int_equal(get64(raw, 24), 0);
	assert_int_equal(get32(raw, 24 + 8), 4096);
	assert_int_equal(raw[24 + 12], 0);
	assert_int_equal(raw[24 + 14], 0);
	assert_int_equal(raw[24 + 15], 0x01);
}

static void test_status_encode_decode(void **state)
{
	uint16_t st;

	(void)state;
	st = nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_CONNECT_INVALID_PARAM,
			 1);
	assert_int_equal(nvme_status_sct(st), 1);
	assert_int_equal(nvme_status_sc(st), 0x82);
	assert_true(nvme_status_dnr(st));
	assert_int_equal(st & 1, 0); /* phase bit stays clear */
	assert_int_equal(st, (1 << 9) | (0x82 << 1) | (1 << 15));

	st = nvme_status(NVME_SCT_PATH, NVME_SC_HOST_PATH_ERROR, 0);
	assert_int_equal(nvme_status_sct(st), 3);
	assert_int_equal(nvme_status_sc(st), 0x71);
	assert_false(nvme_status_dnr(st));
	assert_int_equal(nvme_status(0, 0, 0), 0);
}

static void test_connect_command_layout(void **state)
{
	union nvme_command cmd;
	const uint8_t *raw = (const uint8_t *)&cmd;

	(void)state;
	memset(&cmd, 0, sizeof(cmd));
	cmd.connect.opcode = nvme_fabrics_command;
	cmd.connect.fctype = nvme_fabrics_type_connect;
	cmd.connect.command_id = 0x1234;
	cmd.connect.recfmt = htole16(0);
	cmd.connect.qid = htole16(3);
	cmd.connect.sqsize = htole16(127);
	cmd.connect.cattr = NVMF_CONNECT_CATTR_DISABLE_SQFLOW;
	cmd.connect.kato = htole32(5000);
	assert_int_equal(raw[0], 0x7f);
	assert_int_equal(raw[4], 0x01);
	assert_int_equal(get16(raw, 2), 0x1234);
	assert_int_equal(get16(raw, 42), 3);
	assert_int_equal(get16(raw, 44), 127);
	assert_int_equal(raw[46], 0x04);
	assert_int_equal(get32(raw, 48), 5000);
}

static void test_property_commands(void **state)
{
	union nvme_command cmd;
	const uint8_t *raw = (const uint8_t *)&cmd;

	(void)state;
	memset(&cmd, 0, sizeof(cmd));
	cmd.prop_set.opcode = nvme_fabrics_command;
	cmd.prop_set.fctype = nvme_fabrics_type_property_set;
	cmd.prop_set.offset = htole32(NVME_REG_CC);
	cmd.prop_set.value = htole64(0x460001);
	assert_int_equal(raw[4], 0x00);
	assert_int_equal(get32(raw, 44), 0x14);
	assert_int_equal(get64(raw, 48), 0x460001);

	memset(&cmd, 0, sizeof(cmd));
	cmd.prop_get.fctype = nvme_fabrics_type_property_get;
	cmd.prop_get.attrib = NVMF_PROP_SIZE_8;
	cmd.prop_get.offset = htole32(NVME_REG_CAP);
	assert_int_equal(raw[4], 0x04);
	assert_int_equal(raw[40], 1);
	assert_int_equal(get32(raw, 44), 0);
}

static void test_completion_layout(void **state)
{
	struct nvme_completion cqe;
	const uint8_t *raw = (const uint8_t *)&cqe;

	(void)state;
	memset(&cqe, 0, sizeof(cqe));
	cqe.result.u32 = htole32(0xaabbccdd);
	cqe.sq_head = htole16(5);
	cqe.sq_id = htole16(2);
	cqe.command_id = 0x4321;
	cqe.status = htole16(nvme_status(0, NVME_SC_LBA_RANGE, 1));
	assert_int_equal(get32(raw, 0), 0xaabbccdd);
	assert_int_equal(get16(raw, 8), 5);
	assert_int_equal(get16(raw, 10), 2);
	assert_int_equal(get16(raw, 12), 0x4321);
	assert_int_equal(get16(raw, 14), (0x80 << 1) | (1 << 15));
}

static void test_connect_data_layout(void **state)
{
	struct nvmf_connect_data d;
	const uint8_t *raw = (const uint8_t *)&d;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.cntlid = htole16(NVME_CNTLID_DYNAMIC);
	strcpy(d.subsysnqn, "nqn.2014-08.org.example:sub");
	strcpy(d.hostnqn, "nqn.2014-08.org.example:host");
	assert_int_equal(get16(raw, 16), 0xffff);
	assert_string_equal((const char *)raw + 256,
			    "nqn.2014-08.org.example:sub");
	assert_string_equal((const char *)raw + 512,
			    "nqn.2014-08.org.example:host");
}

static void test_cm_private_data(void **state)
{
	struct nvme_rdma_cm_req req = {
		.recfmt = htole16(0),
		.qid = htole16(1),
		.hrqsize = htole16(128),
		.hsqsize = htole16(127),
		.cntlid = htole16(9),
	};
	struct nvme_rdma_cm_rej rej = {
		.recfmt = htole16(0),
		.sts = htole16(NVME_RDMA_CM_INVALID_HSQSIZE),
	};
	struct nvme_rdma_cm_rep rep = { .crqsize = htole16(128) };

	(void)state;
	assert_int_equal(get16(&req, 2), 1);
	assert_int_equal(get16(&req, 4), 128);
	assert_int_equal(get16(&req, 6), 127);
	assert_int_equal(get16(&req, 8), 9);
	assert_int_equal(get16(&rej, 2), 4);
	assert_int_equal(get16(&rep, 2), 128);
}

static void test_discovery_entry(void **state)
{
	struct nvmf_disc_log_entry e;
	const uint8_t *raw = (const uint8_t *)&e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.trtype = NVMF_TRTYPE_RDMA;
	e.adrfam = NVMF_ADDR_FAMILY_IP4;
	e.subtype = NVME_NQN_NVME;
	e.portid = htole16(1);
	e.cntlid = htole16(NVME_CNTLID_DYNAMIC);
	e.asqsz = htole16(32);
	nvme_strpad(e.trsvcid, sizeof(e.trsvcid), "4420");
	nvme_strpad(e.traddr, sizeof(e.traddr), "10.0.0.1");
	e.tsas.rdma.qptype = NVMF_RDMA_QPTYPE_CONNECTED;
	e.tsas.rdma.cms = NVMF_RDMA_CMS_RDMA_CM;
	assert_int_equal(raw[0], 1);
	assert_int_equal(raw[1], 1);
	assert_int_equal(raw[2], 2);
	assert_int_equal(get16(raw, 4), 1);
	assert_int_equal(get16(raw, 6), 0xffff);
	assert_int_equal(get16(raw, 8), 32);
	assert_memory_equal(raw + 32, "4420    ", 8);
	assert_int_equal(raw[32 + 31], ' ');
	assert_memory_equal(raw + 512, "10.0.0.1 ", 9);
	assert_int_equal(raw[768], 1);
	assert_int_equal(raw[770], 1);
}

static void test_strpad(void **state)
{
	char f[8];

	(void)state;
	nvme_strpad(f, sizeof(f), "abc");
	assert_memory_equal(f, "abc     ", 8);
	nvme_strpad(f, sizeof(f), "0123456789");
	assert_memory_equal(f, "01234567", 8);
}

static void test_identify_fields(void **state)
{
	static struct nvme_id_ctrl id;
	static struct nvme_id_ns ns;
	const uint8_t *raw = (const uint8_t *)&id;

	(void)state;
	id.cntlid = htole16(0x21);
	id.kas = htole16(10);
	id.sgls = htole32(NVME_CTRL_SGLS_SUPPORTED | NVME_CTRL_SGLS_KSDBDS |
			  NVME_CTRL_SGLS_OFFSET);
	id.ioccsz = htole32(4 + 4096 / 16);
	id.iorcsz = htole32(1);
	id.mdts = 8;
	assert_int_equal(get16(raw, 78), 0x21);
	assert_int_equal(get16(raw, 320), 10);
	assert_int_equal(get32(raw, 536), (1u << 0) | (1u << 2) | (1u << 20));
	assert_int_equal(get32(raw, 1792), 260);
	assert_int_equal(get32(raw, 1796), 1);
	assert_int_equal(raw[77], 8);

	ns.nsze = htole64(1u << 20);
	ns.lbaf[0].ds = 12;
	assert_int_equal(get64(&ns, 0), 1u << 20);
	assert_int_equal(((const uint8_t *)&ns)[128 + 2], 12);
}

/* CRC32C: the check value of "123456789", and the two implementations agree */
static void test_crc32c(void **state)
{
	static const char check[] = "123456789";
	uint8_t buf[4099];
	const struct nvme_tcp_hdr h = { .type = nvme_tcp_rsp,
					.hlen = 24,
					.plen = htole32(28) };

	(void)state;
	assert_int_equal(nvme_tcp_digest(check, 9), 0xe3069283);
	assert_int_equal(~nvme_tcp_crc32c_sw(~0u, check, 9), 0xe3069283);
	assert_int_equal(nvme_tcp_digest("", 0), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 0; len < sizeof(buf); len += 97)
		assert_int_equal(nvme_tcp_crc32c(~0u, buf + 1, len),
				 nvme_tcp_crc32c_sw(~0u, buf + 1, len));
	/* in pieces as in one go: digests are computed as data arrives */
	assert_int_equal(nvme_tcp_crc32c(nvme_tcp_crc32c(~0u, buf, 1000),
					 buf + 1000, 3099),
			 nvme_tcp_crc32c(~0u, buf, 4099));
	/* a header's digest covers hlen bytes */
	assert_int_equal(get32(&h, 4), 28);
	assert_int_not_equal(nvme_tcp_digest(&h, 8), 0);
}

/* The PDU headers byte by byte (NVMe/TCP 1.0, section 3.6) */
static void test_tcp_pdus(void **state)
{
	struct nvme_tcp_data_pdu d = { 0 };
	struct nvme_tcp_icreq_pdu ic = { 0 };
	struct nvme_tcp_cmd_pdu c = { 0 };

	(void)state;
	d.hdr.type = nvme_tcp_c2h_data;
	d.hdr.flags = NVME_TCP_F_DATA_LAST | NVME_TCP_F_DATA_SUCCESS;
	d.hdr.hlen = sizeof(d);
	d.command_id = 0x1234;
	d.data_offset = htole32(0x1000);
	d.data_length = htole32(0x2000);
	assert_int_equal(((uint8_t *)&d)[0], 0x07);
	assert_int_equal(((uint8_t *)&d)[1], 0x0c);
	assert_int_equal(((uint8_t *)&d)[2], 24);
	assert_int_equal(get16(&d, 8), 0x1234);
	assert_int_equal(get32(&d, 12), 0x1000);
	assert_int_equal(get32(&d, 16), 0x2000);
	ic.maxr2t = htole32(3);
	ic.digest = NVME_TCP_HDR_DIGEST_ENABLE | NVME_TCP_DATA_DIGEST_ENABLE;
	assert_int_equal(get32(&ic, 12), 3);
	assert_int_equal(((uint8_t *)&ic)[11], 3);
	c.cmd.common.command_id = 7;
	assert_int_equal(get16(&c, 8 + 2), 7);
	assert_int_equal(NVME_TCP_SGL_TYPE_TRANSPORT, 0x5a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyed_sgl_round_trip),
		cmocka_unit_test(test_inline_sgl),
		cmocka_unit_test(test_status_encode_decode),
		cmocka_unit_test(test_connect_command_layout),
		cmocka_unit_test(test_property_commands),
		cmocka_unit_test(test_completion_layout),
		cmocka_unit_test(test_connect_data_layout),
		cmocka_unit_test(test_cm_private_data),
		cmocka_unit_test(test_discovery_entry),
		cmocka_unit_test(test_strpad),
		cmocka_unit_test(test_identify_fields),
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_tcp_pdus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

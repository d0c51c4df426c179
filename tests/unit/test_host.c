// SPDX-License-Identifier: GPL-2.0
/*
 * The host library without RDMA: request tracking (command id slots),
 * the registered buffer pool, command and SGL building, transport id
 * parsing, and the controller state table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

static void test_slots(void **state)
{
	struct nvmf_req reqs[4] = { 0 };
	struct nvmf_req_list out = TAILQ_HEAD_INITIALIZER(out);
	struct nvmf_slots s;
	struct nvmf_req *r;
	int cid, n;

	(void)state;
	assert_int_equal(nvmf_slots_init(&s, 3), 0);
	/* lowest ids first, each slot once */
	assert_int_equal(nvmf_slots_get(&s, &reqs[0]), 0);
	assert_int_equal(nvmf_slots_get(&s, &reqs[1]), 1);
	assert_int_equal(nvmf_slots_get(&s, &reqs[2]), 2);
	assert_int_equal(reqs[2].cid, 2);
	assert_int_equal(nvmf_slots_get(&s, &reqs[3]), -1); /* full */
	assert_ptr_equal(nvmf_slots_find(&s, 1), &reqs[1]);
	assert_null(nvmf_slots_find(&s, 3));	  /* out of range */
	assert_null(nvmf_slots_find(&s, 0xffff)); /* from a bad response */
	nvmf_slots_put(&s, 1);
	assert_null(
		nvmf_slots_find(&s, 1)); /* a late duplicate finds nothing */
	nvmf_slots_put(&s, 1);		 /* double put: ignored */
	assert_int_equal(s.nr_free, 1);
	cid = nvmf_slots_get(&s, &reqs[3]);
	assert_int_equal(cid, 1);
	assert_int_equal(nvmf_slots_get(&s, &reqs[3]), -1);
	/* teardown takes everything out, in command id order */
	nvmf_slots_drain(&s, &out);
	n = 0;
	TAILQ_FOREACH(r, &out, link)
		assert_ptr_equal(r, n++ == 0 ? &reqs[0] :
				    n == 2   ? &reqs[3] :
					       &reqs[2]);
	assert_int_equal(n, 3);
	assert_int_equal(s.nr_free, 3);
	nvmf_slots_fini(&s);
}

static void test_pool(void **state)
{
	struct nvmf_pool p;
	void *a, *b, *c;

	(void)state;
	assert_int_equal(nvmf_pool_init(&p, 1000, 2), -EINVAL); /* not pages */
	assert_int_equal(nvmf_pool_init(&p, 8192, 2), 0);
	a = nvmf_pool_get(&p);
	b = nvmf_pool_get(&p);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_null(nvmf_pool_get(&p)); /* exhausted */
	assert_true(nvmf_pool_owns(&p, (char *)b + 100));
	assert_false(nvmf_pool_owns(&p, &p));
	memset(a, 0xaa, 8192); /* chunks are usable and do not overlap */
	memset(b, 0x55, 8192);
	assert_int_equal(((unsigned char *)a)[8191], 0xaa);
	assert_int_equal(nvmf_pool_put(&p, (char *)a + 1), -EINVAL);
	assert_int_equal(nvmf_pool_put(&p, &p), -EINVAL);
	assert_int_equal(nvmf_pool_put(&p, a), 0);
	assert_int_equal(nvmf_pool_put(&p, a), -EINVAL); /* double free */
	c = nvmf_pool_get(&p);
	assert_ptr_equal(c, a);
	nvmf_pool_fini(&p);
}

static void test_sgl(void **state)
{
	union nvme_command cmd;

	(void)state;
	/* a small write in the capsule when the controller takes it */
	memset(&cmd, 0, sizeof(cmd));
	assert_true(nvmf_sgl_build(&cmd, 4096, false, 8192, 0x1000, 7, true));
	assert_int_equal(cmd.common.flags, NVME_CMD_SGL_METABUF);
	assert_int_equal(cmd.common.dptr.sgl.type, 0x01);
	assert_int_equal(le64toh(cmd.common.dptr.sgl.addr), 0);
	assert_int_equal(le32toh(cmd.common.dptr.sgl.length), 4096);
	/* too large, or a read, or no in-capsule data: keyed */
	assert_false(nvmf_sgl_build(&cmd, 8193, false, 8192, 0x1000, 7, false));
	assert_int_equal(cmd.common.dptr.ksgl.type, 0x40);
	assert_false(nvmf_sgl_build(&cmd, 4096, true, 8192, 0xabcdef12345,
				    0x11223344, false));
	assert_int_equal(cmd.common.dptr.ksgl.type, 0x40);
	assert_int_equal(le64toh(cmd.common.dptr.ksgl.addr), 0xabcdef12345);
	assert_int_equal(nvme_sgl_keyed_len(&cmd.common.dptr.ksgl), 4096);
	assert_int_equal(nvme_sgl_keyed_key(&cmd.common.dptr.ksgl), 0x11223344);
	/* a per-I/O memory window: the target invalidates it (0x4f) */
	assert_false(nvmf_sgl_build(&cmd, 4096, false, 0, 0x1000, 9, true));
	assert_int_equal(nvme_sgl_keyed_key(&cmd.common.dptr.ksgl), 9);
	assert_int_equal(cmd.common.dptr.ksgl.type, 0x4f);
	/* no data: a null keyed descriptor */
	assert_false(nvmf_sgl_build(&cmd, 0, false, 8192, 0x1000, 9, true));
	assert_int_equal(cmd.common.dptr.ksgl.type, 0x40);
	assert_int_equal(nvme_sgl_keyed_len(&cmd.common.dptr.ksgl), 0);
	assert_int_equal(nvme_sgl_keyed_key(&cmd.common.dptr.ksgl), 0);
	assert_int_equal(le64toh(cmd.common.dptr.ksgl.addr), 0);
}

static void test_icd_max(void **state)
{
	struct nvme_id_ctrl *id = calloc(1, sizeof(*id));

	(void)state;
	id->ioccsz = htole32(4 + 512); /* 8 KiB of in-capsule data */
	id->sgls = htole32(NVME_CTRL_SGLS_KSDBDS | NVME_CTRL_SGLS_OFFSET);
	assert_int_equal(nvmf_icd_max(id, true), 8192);
	assert_int_equal(nvmf_icd_max(id, false), 0); /* admin queue: never */
	id->icdoff = htole16(1);
	assert_int_equal(nvmf_icd_max(id, true), 0);
	id->icdoff = 0;
	id->sgls = htole32(NVME_CTRL_SGLS_KSDBDS);
	assert_int_equal(nvmf_icd_max(id, true), 0);
	id->sgls = htole32(NVME_CTRL_SGLS_KSDBDS | NVME_CTRL_SGLS_OFFSET);
	id->ioccsz = htole32(4);
	assert_int_equal(nvmf_icd_max(id, true), 0);
	free(id);
}

/* MDTS from a target: 0 = no limit, large values not a shift overflow. */
static void test_max_transfer(void **state)
{
	(void)state;
	assert_int_equal(nvmf_max_transfer(0, 128 * 1024), 128 * 1024);
	assert_int_equal(nvmf_max_transfer(3, 128 * 1024), 32 * 1024);
	assert_int_equal(nvmf_max_transfer(5, 128 * 1024), 128 * 1024);
	assert_int_equal(nvmf_max_transfer(8, 128 * 1024), 128 * 1024);
	assert_int_equal(nvmf_max_transfer(19, 1u << 31), 1u << 31);
	assert_int_equal(nvmf_max_transfer(20, 128 * 1024), 128 * 1024);
	assert_int_equal(nvmf_max_transfer(31, 128 * 1024), 128 * 1024);
	assert_int_equal(nvmf_max_transfer(255, 128 * 1024), 128 * 1024);
}

static void test_commands(void **state)
{
	struct nvmf_connect_data d;
	union nvme_command cmd;
	uint8_t hostid[16] = { 1, 2, 3 };
	struct nvmf_io io = {
		.op = NVMF_IO_READ, .nsid = 1, .offset = 8192, .len = 4096
	};

	(void)state;
	nvmf_cmd_connect(&cmd, 0, 31, 5000);
	assert_int_equal(cmd.connect.opcode, 0x7f);
	assert_int_equal(cmd.connect.fctype, 0x01);
	assert_int_equal(le16toh(cmd.connect.sqsize), 31);
	assert_int_equal(le32toh(cmd.connect.kato), 5000);
	nvmf_cmd_connect(&cmd, 3, 127, 5000);
	assert_int_equal(le16toh(cmd.connect.qid), 3);
	assert_int_equal(le32toh(cmd.connect.kato), 0); /* admin only */
	nvmf_connect_data_fill(&d, hostid, 0xffff, "nqn.a:b", "nqn.c:d");
	assert_int_equal(le16toh(d.cntlid), 0xffff);
	assert_string_equal(d.subsysnqn, "nqn.a:b");
	assert_string_equal(d.hostnqn, "nqn.c:d");
	assert_memory_equal(d.hostid, hostid, 16);

	nvmf_cmd_prop_get(&cmd, NVME_REG_CAP, true);
	assert_int_equal(cmd.prop_get.fctype, 0x04);
	assert_int_equal(cmd.prop_get.attrib, 1);
	nvmf_cmd_prop_set(&cmd, NVME_REG_CC, 0x460001);
	assert_int_equal(le32toh(cmd.prop_set.offset), 0x14);
	assert_int_equal(le64toh(cmd.prop_set.value), 0x460001);
	nvmf_cmd_get_log(&cmd, NVME_LOG_DISC, 0, 4096, 8192);
	assert_int_equal(le32toh(cmd.common.cdw10), 0x70 | (2047u << 16));
	assert_int_equal(le32toh(cmd.common.cdw12), 4096);

	/* I/O: LBA and 0-based count from bytes */
	assert_int_equal(nvmf_cmd_io(&cmd, &io, 512, 1024), 0);
	assert_int_equal(cmd.rw.opcode, nvme_cmd_read);
	assert_int_equal(le64toh(cmd.rw.slba), 16);
	assert_int_equal(le16toh(cmd.rw.length), 7);
	io.offset = 100; /* not block aligned */
	assert_int_equal(nvmf_cmd_io(&cmd, &io, 512, 1024), -EINVAL);
	io.offset = 1024 * 512 - 2048; /* past the end */
	assert_int_equal(nvmf_cmd_io(&cmd, &io, 512, 1024), -EINVAL);
	io.offset = 0;
	io.len = 0;
	assert_int_equal(nvmf_cmd_io(&cmd, &io, 512, 1024), -EINVAL);
	io.op = NVMF_IO_FLUSH;
	assert_int_equal(nvmf_cmd_io(&cmd, &io, 512, 1024), 0);
	assert_int_equal(cmd.common.opcode, nvme_cmd_flush);
	io.op = NVMF_IO_DEALLOCATE;
	io.len = 4096;
	assert_int_equal(nvmf_cmd_io(&cmd, &io, 512, 1024), 0);
	assert_int_equal(cmd.common.opcode, nvme_cmd_dsm);
	assert_int_equal(le32toh(cmd.common.cdw11), NVME_DSMGMT_AD);
}

static void test_trid(void **state)
{
	struct nvmf_trid t;
	char err[128];

	(void)state;
	assert_int_equal(nvmf_trid_parse(&t,
					 "trtype:RDMA adrfam:IPv4 "
					 "traddr:10.0.0.1 trsvcid:4420 "
					 "subnqn:nqn.2014-08.org.a:b",
					 err, sizeof(err)),
			 0);
	assert_string_equal(t.trtype, "rdma");
	assert_string_equal(t.adrfam, "ipv4");
	assert_string_equal(t.traddr, "10.0.0.1");
	assert_string_equal(t.trsvcid, "4420");
	assert_string_equal(t.subnqn, "nqn.2014-08.org.a:b");
	assert_int_equal(nvmf_trid_parse(&t,
					 "trtype:rdma traddr:fd77::1 "
					 "subnqn:nqn.2014-08.org.a:b",
					 err, sizeof(err)),
			 0);
	assert_string_equal(t.traddr, "fd77::1"); /* split at the first ':' */
	assert_int_equal(nvmf_trid_parse(&t, "trtype:rdma color:red", err,
					 sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "color"));
	assert_int_equal(nvmf_trid_parse(&t, "trtype", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "key:value"));
	assert_int_equal(nvmf_trid_parse(&t, "trtype:rdma traddr:1.2.3.4", err,
					 sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "required"));
}

static void test_states(void **state)
{
	enum nvmf_ctrl_state from, to;
	int allowed = 0;

	(void)state;
	assert_true(
		nvmf_ctrl_state_allowed(NVMF_CTRL_NEW, NVMF_CTRL_CONNECTING));
	assert_true(
		nvmf_ctrl_state_allowed(NVMF_CTRL_CONNECTING, NVMF_CTRL_LIVE));
	assert_true(
		nvmf_ctrl_state_allowed(NVMF_CTRL_LIVE, NVMF_CTRL_RESETTING));
	assert_true(nvmf_ctrl_state_allowed(NVMF_CTRL_RESETTING,
					    NVMF_CTRL_CONNECTING));
	assert_true(nvmf_ctrl_state_allowed(NVMF_CTRL_CONNECTING,
					    NVMF_CTRL_DELETING));
	assert_true(
		nvmf_ctrl_state_allowed(NVMF_CTRL_DELETING, NVMF_CTRL_DEAD));
	/* to LIVE only from CONNECTING; nothing leaves DEAD */
	assert_false(nvmf_ctrl_state_allowed(NVMF_CTRL_NEW, NVMF_CTRL_LIVE));
	assert_false(
		nvmf_ctrl_state_allowed(NVMF_CTRL_RESETTING, NVMF_CTRL_LIVE));
	assert_false(
		nvmf_ctrl_state_allowed(NVMF_CTRL_LIVE, NVMF_CTRL_CONNECTING));
	assert_false(nvmf_ctrl_state_allowed(NVMF_CTRL_LIVE, NVMF_CTRL_DEAD));
	for (to = NVMF_CTRL_NEW; to <= NVMF_CTRL_DEAD; to++)
		assert_false(nvmf_ctrl_state_allowed(NVMF_CTRL_DEAD, to));
	for (from = NVMF_CTRL_NEW; from <= NVMF_CTRL_DEAD; from++)
		for (to = NVMF_CTRL_NEW; to <= NVMF_CTRL_DEAD; to++)
			allowed += nvmf_ctrl_state_allowed(from, to);
	assert_int_equal(allowed, 11); /* the table, no more */
	assert_string_equal(nvmf_ctrl_state_name(NVMF_CTRL_LIVE), "live");
	assert_string_equal(nvmf_ctrl_state_name(99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_sgl),
		cmocka_unit_test(test_icd_max),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_trid),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_max_transfer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

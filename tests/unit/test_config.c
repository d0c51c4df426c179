// SPDX-License-Identifier: GPL-2.0
/* nvmetcli-format configuration loading: a good document and bad ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "config.h"
#include "names.h"
#include "nvme_spec.h"

#ifndef FIXTURES
#error "FIXTURES must name the fixtures directory"
#endif

static void test_upstream_rdma_document(void **state)
{
	struct nvmf_cfg *cfg = NULL;
	struct nvmf_cfg_subsys *s;
	struct nvmf_cfg_port *p;
	char err[256];

	(void)state;
	assert_int_equal(nvmf_cfg_load(FIXTURES "/rdma.json", &cfg, err,
				       sizeof(err)),
			 0);
	assert_int_equal(cfg->nr_hosts, 1);
	assert_int_equal(cfg->nr_subsys, 1);
	assert_int_equal(cfg->nr_ports, 1);
	s = &cfg->subsys[0];
	assert_string_equal(s->nqn, "nqn.2014-08.org.nvmf-lab:testnqn");
	assert_false(s->allow_any_host);
	assert_string_equal(s->serial, "4f1e2b3c4d5e6f70");
	assert_string_equal(s->model, "Linux");
	assert_int_equal(s->version, 0x10300);
	assert_int_equal(s->cntlid_min, 1);
	assert_int_equal(s->cntlid_max, 65519);
	assert_int_equal(s->nr_allowed_hosts, 1);
	assert_int_equal(s->nr_ns, 2);
	assert_int_equal(s->ns[0].nsid, 1);
	assert_true(s->ns[0].enable);
	assert_string_equal(s->ns[0].path, "/dev/ram0");
	assert_true(s->ns[0].has_uuid);
	assert_int_equal(s->ns[0].uuid[0], 0x4f);
	assert_true(s->ns[0].has_nguid);
	assert_int_equal(s->ns[1].nsid, 7);
	assert_false(s->ns[1].enable);
	assert_string_equal(s->ns[1].where, "subsystems[0].namespaces[1]");
	p = &cfg->ports[0];
	assert_int_equal(p->portid, 1);
	assert_int_equal(p->trtype, 1);
	assert_int_equal(p->adrfam, 1);
	assert_string_equal(p->traddr, "10.77.0.1");
	assert_string_equal(p->trsvcid, "4420");
	assert_int_equal(p->inline_data_size, 8192);
	assert_int_equal(p->max_queue_size, NVMF_DEFAULT_QUEUE_SIZE);
	assert_int_equal(p->nr_subsystems, 1);
	assert_non_null(nvmf_cfg_find_subsys(cfg, p->subsystems[0]));
	nvmf_cfg_free(cfg);
}

static void test_minimal_defaults(void **state)
{
	const char *doc =
		"{\"subsystems\":[{\"nqn\":\"nqn.2014-08.org.a:b\"}],"
		"\"ports\":[{\"portid\":2,\"addr\":{\"trtype\":\"rdma\","
		"\"adrfam\":\"ipv6\",\"traddr\":\"::\",\"trsvcid\":4420},"
		"\"subsystems\":[\"nqn.2014-08.org.a:b\"]}]}";
	struct nvmf_cfg *cfg = NULL;
	char err[256];

	(void)state;
	assert_int_equal(nvmf_cfg_parse(doc, "t", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->nr_hosts, 0);
	assert_int_equal(cfg->subsys[0].cntlid_min, NVMF_CNTLID_MIN);
	assert_int_equal(cfg->subsys[0].cntlid_max, NVMF_CNTLID_MAX);
	assert_false(cfg->subsys[0].allow_any_host);
	assert_int_equal(cfg->ports[0].adrfam, 2);
	assert_int_equal(cfg->ports[0].inline_data_size, 4096);
	nvmf_cfg_free(cfg);
}

/* Each bad document and a fragment its one-line error must contain. */
static const struct {
	const char *doc;
	const char *msg;
} bad[] = {
	{ "{\n  \"hosts\": [\n    {\"nqn\": }\n  ]\n}",
	  "t:3:13: JSON syntax error: unexpected character" },
	{ "{\"hosts\": [",
	  "t:1:12: JSON syntax error: unexpected end of file" },
	{ "{} x", "t:1:4: JSON syntax error: trailing characters" },
	{ "[]", "(top level): must be an object, not array" },
	{ "{\"hosts\": {}}",
	  "(top level): 'hosts' must be an array, not object" },
	{ "{\"hosts\":[{\"nqn\":\"iqn.x\"}]}",
	  "hosts[0]: invalid NQN 'iqn.x': must start with 'nqn.'" },
	{ "{\"hosts\":[{\"nqn\":\"nqn.2014-08.org.a:h\"},{\"nqn\":\"nqn.2014-08.org.a:h\"}]}",
	  "hosts[1]: duplicate host 'nqn.2014-08.org.a:h'" },
	{ "{\"subsystems\":[{\"nqn\":\"nqn.2014-08.org.a:b\",\"namespaces\":"
	  "[{\"nsid\":1,\"device\":{\"path\":\"/x\"}},{\"nsid\":1,\"device\":{\"path\":\"/y\"}}]}]}",
	  "subsystems[0].namespaces[1]: duplicate nsid 1" },
	{ "{\"subsystems\":[{\"nqn\":\"nqn.2014-08.org.a:b\",\"namespaces\":"
	  "[{\"nsid\":0}]}]}",
	  "subsystems[0].namespaces[0]: 'nsid': 0 is not in 1..4294967294" },
	{ "{\"subsystems\":[{\"nqn\":\"nqn.2014-08.org.a:b\",\"namespaces\":"
	  "[{\"nsid\":\"one\"}]}]}",
	  "subsystems[0].namespaces[0]: 'nsid': 'one' is not an integer" },
	{ "{\"subsystems\":[{\"nqn\":\"nqn.2014-08.org.a:b\",\"namespaces\":"
	  "[{\"nsid\":1,\"enable\":1}]}]}",
	  "subsystems[0].namespaces[0].device: an enabled namespace needs 'path'" },
	{ "{\"subsystems\":[{\"nqn\":\"nqn.2014-08.org.a:b\",\"namespaces\":"
	  "[{\"nsid\":1,\"device\":{\"path\":\"/x\",\"uuid\":\"zz\"}}]}]}",
	  "subsystems[0].namespaces[0].device: uuid: 'zz' is not a UUID" },
	{ "{\"subsystems\":[{\"nqn\":\"nqn.2014-08.org.a:b\",\"allowed_hosts\":"
	  "[\"nqn.2014-08.org.a:h\"]}]}",
	  "subsystems[0].allowed_hosts[0]: 'nqn.2014-08.org.a:h' is not listed in hosts" },
	{ "{\"subsystems\":[{\"nqn\":\"nqn.2014-08.org.a:b\",\"attr\":"
	  "{\"cntlid_min\":\"10\",\"cntlid_max\":\"5\"}}]}",
	  "subsystems[0].attr: cntlid_min 10 is above cntlid_max 5" },
	{ "{\"subsystems\":[{\"nqn\":\"nqn.2014-08.org.a:b\",\"attr\":"
	  "{\"allow_any_host\":\"yes\"}}]}",
	  "subsystems[0].attr: 'allow_any_host': 'yes' is not an integer" },
	{ "{\"subsystems\":[{\"nqn\":\"nqn.2014-08.org.nvmexpress.discovery\"}]}",
	  "subsystems[0]: 'nqn.2014-08.org.nvmexpress.discovery' is reserved" },
	{ "{\"ports\":[{\"portid\":1,\"addr\":{\"trtype\":\"rdma\",\"adrfam\":"
	  "\"ipv4\",\"traddr\":\"10.0.0.300\",\"trsvcid\":\"4420\"}}]}",
	  "ports[0].addr: traddr '10.0.0.300' is not an IPv4 address" },
	{ "{\"ports\":[{\"portid\":1,\"addr\":{\"trtype\":\"rdma\",\"adrfam\":"
	  "\"ipv4\",\"traddr\":\"10.0.0.1\",\"trsvcid\":\"70000\"}}]}",
	  "ports[0].addr: 'trsvcid': 70000 is not in 1..65535" },
	{ "{\"ports\":[{\"portid\":1,\"addr\":{\"trtype\":\"fc\",\"adrfam\":"
	  "\"ipv4\",\"traddr\":\"10.0.0.1\",\"trsvcid\":\"4420\"}}]}",
	  "ports[0].addr: trtype 'fc' is not supported (rdma, tcp)" },
	{ "{\"ports\":[{\"portid\":1,\"addr\":{\"trtype\":\"rdma\",\"adrfam\":"
	  "\"ib\",\"traddr\":\"10.0.0.1\",\"trsvcid\":\"4420\"}}]}",
	  "ports[0].addr: adrfam 'ib' is not ipv4 or ipv6" },
	{ "{\"ports\":[{\"portid\":1,\"addr\":{\"trtype\":\"rdma\",\"adrfam\":"
	  "\"ipv4\",\"traddr\":\"10.0.0.1\",\"trsvcid\":\"4420\"}},"
	  "{\"portid\":1,\"addr\":{}}]}",
	  "ports[1]: duplicate portid 1" },
	{ "{\"ports\":[{\"portid\":1,\"addr\":{\"trtype\":\"rdma\",\"adrfam\":"
	  "\"ipv4\",\"traddr\":\"10.0.0.1\",\"trsvcid\":\"4420\"},"
	  "\"subsystems\":[\"nqn.2014-08.org.a:none\"]}]}",
	  "ports[0].subsystems[0]: no subsystem 'nqn.2014-08.org.a:none'" },
	{ "{\"ports\":[{\"portid\":1,\"addr\":{\"trtype\":\"rdma\",\"adrfam\":"
	  "\"ipv4\",\"traddr\":\"10.0.0.1\",\"trsvcid\":\"4420\"},"
	  "\"param\":{\"max_queue_size\":\"4\"}}]}",
	  "ports[0].param: 'max_queue_size': 4 is not in 16..256" },
	{ "{\"ports\":[{\"portid\":1}]}", "ports[0]: missing 'addr'" },
	{ "{\"ports\":[{\"portid\":1,\"addr\":[]}]}",
	  "ports[0]: 'addr' must be an object, not array" },
};

static void test_bad_documents(void **state)
{
	struct nvmf_cfg *cfg;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg = NULL;
		if (nvmf_cfg_parse(bad[i].doc, "t", &cfg, err, sizeof(err)) !=
		    -EINVAL)
			fail_msg("bad document %zu accepted", i);
		assert_null(cfg);
		if (!strstr(err, bad[i].msg))
			fail_msg("document %zu: got '%s', want '%s'", i, err,
				 bad[i].msg);
		assert_null(strchr(err, '\n'));
	}
}

/* names.c: the one table of transport and address family names */
static void test_names(void **state)
{
	const char *tr[] = { "rdma", "fc", "tcp", "loop" };
	const char *af[] = { "pcie", "ipv4", "ipv6", "ib", "fc", "loop" };
	uint8_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tr) / sizeof(tr[0]); i++) {
		assert_int_equal(nvmf_trtype_parse(tr[i], &v), 0);
		assert_string_equal(nvmf_trtype_name(v), tr[i]);
	}
	for (i = 0; i < sizeof(af) / sizeof(af[0]); i++) {
		assert_int_equal(nvmf_adrfam_parse(af[i], &v), 0);
		assert_string_equal(nvmf_adrfam_name(v), af[i]);
	}
	assert_int_equal(nvmf_trtype_parse("rdma", &v), 0);
	assert_int_equal(v, NVMF_TRTYPE_RDMA);
	assert_int_equal(nvmf_trtype_parse("tcp", &v), 0);
	assert_int_equal(v, NVMF_TRTYPE_TCP);
	assert_int_equal(nvmf_trtype_parse("RDMA", &v), -EINVAL);
	assert_int_equal(nvmf_trtype_parse("", &v), -EINVAL);
	assert_null(nvmf_trtype_name(0));
	assert_null(nvmf_trtype_name(5));
	assert_null(nvmf_adrfam_name(5));
	assert_int_equal(nvmf_adrfam_ip_af("ipv4"), AF_INET);
	assert_int_equal(nvmf_adrfam_ip_af("ipv6"), AF_INET6);
	assert_int_equal(nvmf_adrfam_ip_af("ib"), AF_UNSPEC);
	assert_int_equal(nvmf_adrfam_ip_af("ipv5"), AF_UNSPEC);
}

static void test_missing_file(void **state)
{
	struct nvmf_cfg *cfg = NULL;
	char err[256];

	(void)state;
	assert_int_equal(nvmf_cfg_load("/nonexistent/x.json", &cfg, err,
				       sizeof(err)),
			 -ENOENT);
	assert_string_equal(err,
			    "/nonexistent/x.json: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upstream_rdma_document),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

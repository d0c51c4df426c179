// SPDX-License-Identifier: GPL-2.0
/* NQN validation (good and bad inputs) and UUID helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nqn.h"
#include "nvme_spec.h"

static void test_good_nqns(void **state)
{
	static const char *const good[] = {
		"nqn.2014-08.org.nvmexpress.discovery",
		"nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
		"nqn.2014-08.com.example:nvme:nvm-subsystem-sn-d78432",
		"nqn.2016-06.io.spdk:cnode1",
		"nqn.2026-11.io.nvmf-lab:x",
		"nqn.1999-12.a:b",
		"nqn.2014-08.com.example:\xc3\xa9t\xc3\xa9", /* UTF-8 */
	};
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		why = NULL;
		if (nvmf_nqn_validate(good[i], &why))
			fail_msg("'%s' rejected: %s", good[i], why);
	}
}

static void expect_bad(const char *nqn, const char *reason_part)
{
	const char *why = NULL;

	if (nvmf_nqn_validate(nqn, &why) != -EINVAL)
		fail_msg("'%s' accepted", nqn);
	assert_non_null(why);
	if (!strstr(why, reason_part))
		fail_msg("'%s': reason '%s' lacks '%s'", nqn, why, reason_part);
}

static void test_bad_nqns(void **state)
{
	char longnqn[300];

	(void)state;
	expect_bad("", "empty");
	expect_bad("iqn.2014-08.org.example:x", "must start with 'nqn.'");
	expect_bad("nqn.14-08.org.example:x", "year");
	expect_bad("nqn.2014-8.org.example:x", "-mm");
	expect_bad("nqn.2014-13.org.example:x", "month");
	expect_bad("nqn.2014-00.org.example:x", "month");
	expect_bad("nqn.2014-08org.example:x", "'.' after the date");
	expect_bad("nqn.2014-08.:x", "missing the reverse domain");
	expect_bad("nqn.2014-08.org..example:x", "empty label");
	expect_bad("nqn.2014-08.org.example.:x", "ends with '.'");
	expect_bad("nqn.2014-08.org.ex_ample:x", "invalid character");
	expect_bad("nqn.2014-08.org.example:", "nothing after ':'");
	expect_bad("nqn.2014-08.org.example:a b", "space");
	expect_bad("nqn.2014-08.org.example:a\tb", "control");
	expect_bad("nqn.2014-08.org.nvmexpress:uuid:not-a-uuid", "UUID");
	expect_bad(
		"nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6x",
		"UUID");

	/* 223 bytes is the limit */
	memset(longnqn, 'a', sizeof(longnqn));
	memcpy(longnqn, "nqn.2014-08.org.example:", 24);
	longnqn[NVME_NQN_MAX] = '\0';
	assert_int_equal(nvmf_nqn_validate(longnqn, NULL), 0);
	longnqn[NVME_NQN_MAX] = 'a';
	longnqn[NVME_NQN_MAX + 1] = '\0';
	expect_bad(longnqn, "223");
	assert_int_equal(nvmf_nqn_validate(NULL, NULL), -EINVAL);
}

static void test_uuid_round_trip(void **state)
{
	const char *s = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
	char out[NVMF_UUID_STR_LEN];
	uint8_t u[16];

	(void)state;
	assert_int_equal(nvmf_uuid_parse(s, u), 0);
	assert_int_equal(u[0], 0xf8);
	assert_int_equal(u[15], 0xf6);
	nvmf_uuid_format(u, out);
	assert_string_equal(out, s);
	assert_int_equal(
		nvmf_uuid_parse("F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6", u), 0);
	nvmf_uuid_format(u, out);
	assert_string_equal(out, s);
	assert_int_equal(nvmf_uuid_parse("f81d4fae7dec11d0a76500a0c91e6bf6", u),
			 -EINVAL);
	assert_int_equal(nvmf_uuid_parse("", u), -EINVAL);
}

static void test_uuid_generate_and_hostnqn(void **state)
{
	uint8_t a[16], b[16];
	char nqn[NVME_NQN_FIELD];
	char small[20];

	(void)state;
	assert_int_equal(nvmf_uuid_generate(a), 0);
	assert_int_equal(nvmf_uuid_generate(b), 0);
	assert_memory_not_equal(a, b, 16);
	assert_int_equal(a[6] >> 4, 4);	     /* version 4 */
	assert_int_equal(a[8] & 0xc0, 0x80); /* RFC 4122 variant */
	assert_int_equal(nvmf_nqn_from_uuid(a, nqn, sizeof(nqn)), 0);
	assert_int_equal(strncmp(nqn, NVME_UUID_NQN_PREFIX,
				 strlen(NVME_UUID_NQN_PREFIX)),
			 0);
	assert_int_equal(strlen(nqn), strlen(NVME_UUID_NQN_PREFIX) + 36);
	assert_int_equal(nvmf_nqn_validate(nqn, NULL), 0);
	assert_int_equal(nvmf_nqn_from_uuid(a, small, sizeof(small)), -ENOSPC);
}

/* write ROOT/path with text (directories made as needed) */
static void put(const char *root, const char *path, const char *text)
{
	char full[512], cmd[600];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", full);
	assert_int_equal(system(cmd), 0);
	f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_host_identity(void **state)
{
	char root[] = "/tmp/nvmf-nqn-XXXXXX", nqn[NVME_NQN_FIELD];
	char nqn2[NVME_NQN_FIELD], cmd[64], s[NVMF_UUID_STR_LEN];
	uint8_t id[16], id2[16];

	(void)state;
	assert_non_null(mkdtemp(root));
	/* nothing at all: no stable identity, said so */
	assert_int_equal(nvmf_host_nqn_default(root, nqn, sizeof(nqn)),
			 -ENOENT);
	/* machine-id: a uuid-form NQN, the same every time */
	put(root, "/etc/machine-id", "0123456789abcdef0123456789abcdef\n");
	assert_int_equal(nvmf_host_nqn_default(root, nqn, sizeof(nqn)), 0);
	assert_int_equal(nvmf_nqn_validate(nqn, NULL), 0);
	assert_int_equal(nvmf_host_nqn_default(root, nqn2, sizeof(nqn2)), 0);
	assert_string_equal(nqn, nqn2);
	/* a DMI product UUID wins over machine-id (all zeros does not) */
	put(root, "/sys/class/dmi/id/product_uuid",
	    "00000000-0000-0000-0000-000000000000\n");
	assert_int_equal(nvmf_host_nqn_default(root, nqn2, sizeof(nqn2)), 0);
	assert_string_equal(nqn, nqn2);
	put(root, "/sys/class/dmi/id/product_uuid",
	    "4C4C4544-0042-3510-8052-B4C04F4E4432\n");
	assert_int_equal(nvmf_host_nqn_default(root, nqn, sizeof(nqn)), 0);
	assert_string_equal(nqn, "nqn.2014-08.org.nvmexpress:uuid:"
				 "4c4c4544-0042-3510-8052-b4c04f4e4432");
	/* the host ID of a uuid-form NQN is its UUID (as libnvme) */
	assert_int_equal(nvmf_host_id_default(root, nqn, id), 0);
	nvmf_uuid_format(id, s);
	assert_string_equal(s, "4c4c4544-0042-3510-8052-b4c04f4e4432");
	/* any other NQN: a UUID derived from it, stable */
	assert_int_equal(
		nvmf_host_id_default(root, "nqn.2014-08.org.ex:h1", id), 0);
	assert_int_equal(
		nvmf_host_id_default(root, "nqn.2014-08.org.ex:h1", id2), 0);
	assert_memory_equal(id, id2, 16);
	assert_int_equal(id[6] >> 4, 4);
	assert_int_equal(
		nvmf_host_id_default(root, "nqn.2014-08.org.ex:h2", id2), 0);
	assert_memory_not_equal(id, id2, 16);
	/* the files win; a bad hostid file is an error */
	put(root, "/etc/nvme/hostnqn", "nqn.2014-08.org.ex:file\n");
	assert_int_equal(nvmf_host_nqn_default(root, nqn, sizeof(nqn)), 0);
	assert_string_equal(nqn, "nqn.2014-08.org.ex:file");
	put(root, "/etc/nvme/hostid", "1b4e28ba-2fa1-11d2-883f-0016d3cca427\n");
	assert_int_equal(nvmf_host_id_default(root, nqn, id), 0);
	nvmf_uuid_format(id, s);
	assert_string_equal(s, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
	put(root, "/etc/nvme/hostid", "not-a-uuid\n");
	assert_int_equal(nvmf_host_id_default(root, nqn, id), -EINVAL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_nqns),
		cmocka_unit_test(test_bad_nqns),
		cmocka_unit_test(test_uuid_round_trip),
		cmocka_unit_test(test_uuid_generate_and_hostnqn),
		cmocka_unit_test(test_host_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

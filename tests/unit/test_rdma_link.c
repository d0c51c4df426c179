// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf_netdev_rdma_link(): the RDMA link of a network device read from a
 * sysfs-shaped tree (DEV/ports/N/state, DEV/ports/N/gid_attrs/ndevs/0).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "rdma_link.h"

static char root[] = "/tmp/nvmf-ib-XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_netdev_link(void **state)
{
	char ib[600], cmd[600];

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(ib, sizeof(ib), "%s/infiniband", root);
	/* no RDMA device at all: no link */
	assert_int_equal(nvmf_netdev_rdma_link(ib, "eth0", false), 0);

	put("infiniband/rxe0/ports/1/state", "4: ACTIVE\n");
	put("infiniband/rxe0/ports/1/gid_attrs/ndevs/0", "eth0\n");
	put("infiniband/rxe1/ports/1/state", "1: DOWN\n");
	put("infiniband/rxe1/ports/1/gid_attrs/ndevs/0", "eth1\n");
	assert_int_equal(nvmf_netdev_rdma_link(ib, "eth0", true), 1);
	assert_int_equal(nvmf_netdev_rdma_link(ib, "eth0", false), 1);
	/* a link that is not active */
	assert_int_equal(nvmf_netdev_rdma_link(ib, "eth1", true), 0);
	assert_int_equal(nvmf_netdev_rdma_link(ib, "eth1", false), 1);
	/* another device's netdev */
	assert_int_equal(nvmf_netdev_rdma_link(ib, "eth2", false), 0);

	/* a kernel without gid_attrs: cannot tell (the caller asks `rdma`) */
	snprintf(cmd, sizeof(cmd), "rm -rf %s/infiniband/*/ports/1/gid_attrs",
		 root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(nvmf_netdev_rdma_link(ib, "eth0", true), -1);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netdev_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

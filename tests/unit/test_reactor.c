// SPDX-License-Identifier: GPL-2.0
/*
 * The udev reactor, with real kernel uevents: in a private network
 * namespace, creating a veth pair must reach the callback as two
 * net-change events through the event loop, and adding an address as an
 * addr-add event (rtnetlink).  (RDMA device events are
 * exercised in the lab.)  Skipped without the privilege to unshare.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loop.h"
#include "reactor.h"

struct seen {
	int net;
	int addr;
	int other;
	char names[4][32];
	char addr_name[32];
};

static void on_event(void *arg, enum nvmf_reactor_event ev, const char *name)
{
	struct seen *s = arg;

	if (ev == NVMF_REACTOR_ADDR_ADD) {
		if (!s->addr++)
			snprintf(s->addr_name, sizeof(s->addr_name), "%s",
				 name);
		return;
	}
	if (ev != NVMF_REACTOR_NET_CHANGE) {
		s->other++;
		return;
	}
	if (s->net < 4)
		snprintf(s->names[s->net], sizeof(s->names[0]), "%s", name);
	s->net++;
}

static bool saw(const struct seen *s, const char *name)
{
	int i;

	for (i = 0; i < s->net && i < 4; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

static void test_net_events(void **state)
{
	struct nvmf_loop *loop;
	struct nvmf_reactor *r;
	struct seen s = { 0 };
	uint64_t deadline;

	(void)state;
	if (unshare(CLONE_NEWNET)) {
		printf("skipped: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		skip();
	}
	loop = nvmf_loop_create();
	assert_non_null(loop);
	r = nvmf_reactor_create(loop, "kernel", on_event, &s);
	assert_non_null(r);
	assert_string_equal(nvmf_reactor_source(r), "kernel");
	if (system("ip link add nvmfrt0 type veth peer name nvmfrt1")) {
		nvmf_reactor_destroy(r);
		nvmf_loop_destroy(loop);
		printf("skipped: cannot create a veth pair\n");
		skip();
	}
	deadline = nvmf_now_ms() + 3000;
	while ((!saw(&s, "nvmfrt0") || !saw(&s, "nvmfrt1")) &&
	       nvmf_now_ms() < deadline)
		nvmf_loop_run_once(loop, 100);
	assert_true(saw(&s, "nvmfrt0"));
	assert_true(saw(&s, "nvmfrt1"));
	assert_int_equal(s.other, 0);
	nvmf_reactor_destroy(r);
	nvmf_loop_destroy(loop);
	(void)!system("ip link del nvmfrt0 2>/dev/null");
}

/*
 * An address added (what a TCP port bound to it waits for) is an event
 * of its own, with the interface's name: udev says nothing of addresses.
 */
static void test_addr_events(void **state)
{
	struct nvmf_loop *loop;
	struct nvmf_reactor *r;
	struct seen s = { 0 };
	uint64_t deadline;

	(void)state;
	if (unshare(CLONE_NEWNET)) {
		printf("skipped: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		skip();
	}
	loop = nvmf_loop_create();
	assert_non_null(loop);
	r = nvmf_reactor_create(loop, "kernel", on_event, &s);
	assert_non_null(r);
	if (system("ip link add nvmfra0 type dummy 2>/dev/null || "
		   "ip link add nvmfra0 type veth peer name nvmfra1")) {
		nvmf_reactor_destroy(r);
		nvmf_loop_destroy(loop);
		printf("skipped: cannot create an interface\n");
		skip();
	}
	deadline = nvmf_now_ms() + 1000;
	while (nvmf_now_ms() < deadline)
		nvmf_loop_run_once(loop, 100);
	assert_int_equal(s.addr, 0); /* a link alone has no address */
	assert_int_equal(system("ip addr add 10.211.0.1/24 dev nvmfra0"), 0);
	deadline = nvmf_now_ms() + 3000;
	while (!s.addr && nvmf_now_ms() < deadline)
		nvmf_loop_run_once(loop, 100);
	assert_true(s.addr >= 1);
	assert_string_equal(s.addr_name, "nvmfra0");
	nvmf_reactor_destroy(r);
	nvmf_loop_destroy(loop);
	(void)!system("ip link del nvmfra0 2>/dev/null");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(nvmf_reactor_event_name(NVMF_REACTOR_RDMA_ADD),
			    "rdma-add");
	assert_string_equal(nvmf_reactor_event_name(NVMF_REACTOR_RDMA_REMOVE),
			    "rdma-remove");
	assert_string_equal(nvmf_reactor_event_name(NVMF_REACTOR_NET_CHANGE),
			    "net-change");
	assert_string_equal(nvmf_reactor_event_name(NVMF_REACTOR_ADDR_ADD),
			    "addr-add");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_net_events),
		cmocka_unit_test(test_addr_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

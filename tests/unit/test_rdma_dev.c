// SPDX-License-Identifier: GPL-2.0
/*
 * The RDMA device registry (common/rdma_dev.c) with stand-in verbs
 * contexts: the "uverbs node" is a file in a temporary directory (unlinked
 * to play a removed device) and the async descriptor an eventfd.  What
 * must hold: a live device's context is never touched; a removed one is
 * closed only once no cm_id holds it; a context librdmacm already closed
 * (its descriptor numbers since reused) is left alone.
 */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "rdma_dev.h"

struct fake {
	struct ibv_device dev;
	struct ibv_context ctx;
	char node[PATH_MAX];
	int cmd_fd, async_fd;
};

static char dir[] = "/tmp/test_rdma_dev.XXXXXX";

static void fake_open(struct fake *f, const char *name)
{
	static int n;

	memset(f, 0, sizeof(*f));
	snprintf(f->dev.name, sizeof(f->dev.name), "%s", name);
	snprintf(f->node, sizeof(f->node), "%s/uverbs%d", dir, n++);
	f->cmd_fd = open(f->node, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	f->async_fd = eventfd(0, EFD_CLOEXEC);
	assert_true(f->cmd_fd >= 0 && f->async_fd >= 0);
	f->ctx.device = &f->dev;
	f->ctx.cmd_fd = f->cmd_fd;
	f->ctx.async_fd = f->async_fd;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* The test closes what the registry did not. */
static void fake_close(struct fake *f)
{
	if (f->ctx.cmd_fd >= 0)
		close(f->ctx.cmd_fd);
	if (f->ctx.async_fd >= 0)
		close(f->ctx.async_fd);
	unlink(f->node);
}

static void assert_registry(int devices, unsigned int by_us,
			    unsigned int by_librdmacm)
{
	static struct nvmf_rdma_devs_stats base;
	struct nvmf_rdma_devs_stats st;

	nvmf_rdma_devs_stats(&st);
	assert_int_equal(st.devices, devices);
	assert_int_equal(st.released_by_us - base.released_by_us, by_us);
	assert_int_equal(st.released_by_librdmacm - base.released_by_librdmacm,
			 by_librdmacm);
	if (!devices)
		base = st;
}

/* A live device: references come and go, its context stays as it is. */
static void test_live_device_untouched(void **state)
{
	struct nvmf_rdma_dev *a, *b;
	struct fake f;

	(void)state;
	fake_open(&f, "rxe0");
	a = nvmf_rdma_dev_get(&f.ctx);
	b = nvmf_rdma_dev_get(&f.ctx);
	assert_ptr_equal(a, b);
	assert_string_equal(nvmf_rdma_dev_name(a), "rxe0");
	nvmf_rdma_dev_put(a);
	nvmf_rdma_dev_put(b);
	nvmf_rdma_devs_check();
	/* idle but live: kept (librdmacm keeps its context too) */
	assert_registry(1, 0, 0);
	assert_int_equal(f.ctx.cmd_fd, f.cmd_fd);
	assert_true(fd_open(f.cmd_fd) && fd_open(f.async_fd));
	/* then the device goes while nobody uses it */
	unlink(f.node);
	nvmf_rdma_devs_check();
	assert_int_equal(f.ctx.cmd_fd, -1);
	assert_int_equal(f.ctx.async_fd, -1);
	assert_false(fd_open(f.cmd_fd));
	assert_false(fd_open(f.async_fd));
	assert_registry(0, 1, 0);
	fake_close(&f);
}

/* The node goes while a cm_id is bound: released at the last put only. */
static void test_removed_released_after_last_put(void **state)
{
	struct nvmf_rdma_dev *d;
	struct fake f;

	(void)state;
	fake_open(&f, "rxe0");
	d = nvmf_rdma_dev_get(&f.ctx);
	nvmf_rdma_dev_get(&f.ctx);
	unlink(f.node);
	nvmf_rdma_devs_check();
	assert_int_equal(f.ctx.cmd_fd, f.cmd_fd); /* still used */
	nvmf_rdma_dev_put(d);
	assert_true(fd_open(f.cmd_fd));
	nvmf_rdma_dev_put(d);
	assert_int_equal(f.ctx.cmd_fd, -1);
	assert_false(fd_open(f.cmd_fd));
	assert_registry(0, 1, 0);
	fake_close(&f);
}

/* DEVICE_REMOVAL arrives before the node leaves /dev/infiniband. */
static void test_device_removal_event(void **state)
{
	struct nvmf_rdma_dev *d;
	struct fake f;

	(void)state;
	fake_open(&f, "rxe1");
	d = nvmf_rdma_dev_get(&f.ctx);
	nvmf_rdma_dev_removed(d);
	nvmf_rdma_devs_check();
	assert_true(fd_open(f.cmd_fd));
	nvmf_rdma_dev_put(d);
	assert_int_equal(f.ctx.cmd_fd, -1);
	assert_int_equal(f.ctx.async_fd, -1);
	assert_false(fd_open(f.cmd_fd));
	assert_registry(0, 1, 0);
	fake_close(&f);
}

/*
 * librdmacm closed the context itself (a resync with another device
 * listed); its descriptor numbers now belong to other files, which must
 * survive.
 */
static void test_closed_by_librdmacm_left_alone(void **state)
{
	struct nvmf_rdma_dev *d;
	struct fake f;
	int other;

	(void)state;
	fake_open(&f, "rxe0");
	d = nvmf_rdma_dev_get(&f.ctx);
	nvmf_rdma_dev_removed(d);
	close(f.cmd_fd);
	other = open(dir, O_RDONLY | O_CLOEXEC);
	assert_int_equal(other, f.cmd_fd); /* the lowest free number */
	nvmf_rdma_dev_put(d);
	assert_true(fd_open(other));
	assert_true(fd_open(f.async_fd));
	assert_registry(0, 0, 1);
	close(other);
	f.ctx.cmd_fd = -1;
	fake_close(&f);
}

/* A new context at the address of one librdmacm freed: a new identity. */
static void test_address_reused(void **state)
{
	struct nvmf_rdma_dev *d;
	struct fake f;
	int old_cmd, old_async;

	(void)state;
	fake_open(&f, "rxe0");
	nvmf_rdma_dev_put(nvmf_rdma_dev_get(&f.ctx));
	old_cmd = f.cmd_fd;
	old_async = f.async_fd;
	fake_close(&f);
	fake_open(&f, "rxe0"); /* same struct, new descriptors */
	assert_true(f.cmd_fd == old_cmd && f.async_fd == old_async);
	d = nvmf_rdma_dev_get(&f.ctx);
	assert_registry(1, 0, 0);
	nvmf_rdma_dev_removed(d);
	nvmf_rdma_dev_put(d);
	assert_int_equal(f.ctx.cmd_fd, -1);
	assert_registry(0, 1, 0);
	fake_close(&f);
}

/* A context whose descriptors are already -1 is never touched. */
static void test_closed_context(void **state)
{
	struct nvmf_rdma_dev *d;
	struct fake f;

	(void)state;
	fake_open(&f, "rxe0");
	close(f.cmd_fd);
	close(f.async_fd);
	f.ctx.cmd_fd = f.ctx.async_fd = -1;
	d = nvmf_rdma_dev_get(&f.ctx);
	assert_non_null(d);
	nvmf_rdma_dev_put(d);
	assert_registry(0, 0, 1);
	fake_close(&f);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_device_untouched),
		cmocka_unit_test(test_removed_released_after_last_put),
		cmocka_unit_test(test_device_removal_event),
		cmocka_unit_test(test_closed_by_librdmacm_left_alone),
		cmocka_unit_test(test_address_reused),
		cmocka_unit_test(test_closed_context),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

// SPDX-License-Identifier: GPL-2.0
/* Logging: levels, names and the per-object prefix format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

/* Run fn with stderr redirected to a pipe; return what it wrote. */
static void capture(void (*fn)(void), char *out, size_t size)
{
	int fds[2], saved;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fds[0]);
}

static void log_some(void)
{
	nvmf_obj_info("port 1", "state %s -> %s", "live", "repairing");
	nvmf_obj_debug("port 1", "hidden at info level");
	nvmf_err("plain %d", 42);
}

static void test_prefix_and_levels(void **state)
{
	char buf[1024];

	(void)state;
	nvmf_log_set_ident("nvmf-test");
	nvmf_log_set_level(NVMF_LOG_INFO);
	capture(log_some, buf, sizeof(buf));
	assert_non_null(strstr(
		buf, "nvmf-test info  [port 1] state live -> repairing\n"));
	assert_null(strstr(buf, "hidden"));
	assert_non_null(strstr(buf, "nvmf-test error plain 42\n"));

	nvmf_log_set_level(NVMF_LOG_DEBUG);
	capture(log_some, buf, sizeof(buf));
	assert_non_null(strstr(buf, "debug [port 1] hidden at info level"));
	nvmf_log_set_level(NVMF_LOG_ERROR);
	capture(log_some, buf, sizeof(buf));
	assert_null(strstr(buf, "[port 1]"));
	assert_non_null(strstr(buf, "plain 42"));
}

static void log_long(void)
{
	char big[4000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	nvmf_err("%s", big);
}

static void test_long_line_truncated(void **state)
{
	char buf[4096];

	(void)state;
	nvmf_log_set_level(NVMF_LOG_INFO);
	capture(log_long, buf, sizeof(buf));
	assert_true(strlen(buf) <= 1024);
	assert_int_equal(buf[strlen(buf) - 1], '\n');
}

static void log_forged(void)
{
	nvmf_info("unknown subsystem %s",
		  "nqn.x\n12:00:00.000 nvmf-tgt info  forged\r\x7f");
}

/* Host-supplied text cannot add lines to the log. */
static void test_controls_escaped(void **state)
{
	char buf[1024];

	(void)state;
	nvmf_log_set_level(NVMF_LOG_INFO);
	capture(log_forged, buf, sizeof(buf));
	assert_non_null(strstr(buf, "unknown subsystem nqn.x\\x0a12:00:00.000 "
				    "nvmf-tgt info  forged\\x0d\\x7f\n"));
	assert_int_equal(strchr(buf, '\n') - buf, (long)strlen(buf) - 1);
}

static void test_parse_level(void **state)
{
	enum nvmf_log_level l;

	(void)state;
	assert_int_equal(nvmf_log_parse_level("debug", &l), 0);
	assert_int_equal(l, NVMF_LOG_DEBUG);
	assert_int_equal(nvmf_log_parse_level("error", &l), 0);
	assert_int_equal(l, NVMF_LOG_ERROR);
	assert_int_equal(nvmf_log_parse_level("verbose", &l), -EINVAL);
	assert_string_equal(nvmf_log_level_name(NVMF_LOG_WARN), "warn");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_and_levels),
		cmocka_unit_test(test_long_line_truncated),
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_parse_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

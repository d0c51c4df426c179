// SPDX-License-Identifier: GPL-2.0
/* The shared command-line convention: option tables, help, value parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"

enum { OPT_REPAIR = 256 };

static const struct nvmf_opt opts[] = {
	{ "config", 'c', required_argument, "FILE", "configuration file" },
	{ "foreground", 'f', no_argument, NULL, "do not daemonize" },
	{ "repair-interval", OPT_REPAIR, required_argument, "S",
	  "repair period" },
	NVMF_OPT_HELP,
	{ 0 },
};

static const struct nvmf_cmd cmd = {
	.prog = "nvmf-test",
	.synopsis = "-c FILE [options]",
	.summary = "A test command.",
	.opts = opts,
};

static void test_build_and_getopt(void **state)
{
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	char *argv[] = { "nvmf-test", "-c", "x.json", "--repair-interval",
			 "7",	      "-f", "extra",  NULL };
	int argc = 7, c, seen_c = 0, seen_f = 0, seen_r = 0;

	(void)state;
	assert_int_equal(nvmf_args_build(&cmd, longopts, shortopts), 0);
	assert_string_equal(shortopts, ":c:fh");
	assert_string_equal(longopts[2].name, "repair-interval");
	assert_int_equal(longopts[2].val, OPT_REPAIR);
	assert_null(longopts[4].name);

	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			assert_string_equal(optarg, "x.json");
			seen_c = 1;
			break;
		case 'f':
			seen_f = 1;
			break;
		case OPT_REPAIR:
			assert_string_equal(optarg, "7");
			seen_r = 1;
			break;
		default:
			fail_msg("unexpected option %d", c);
		}
	}
	assert_true(seen_c && seen_f && seen_r);
	assert_string_equal(argv[optind], "extra");
}

static void test_usage_lists_every_option(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct nvmf_opt *o;

	(void)state;
	nvmf_args_usage(&cmd, f);
	fclose(f);
	assert_non_null(strstr(buf, "Usage: nvmf-test -c FILE [options]"));
	assert_non_null(strstr(buf, "-c, --config FILE"));
	assert_non_null(strstr(buf, "    --repair-interval S"));
	for (o = opts; o->name; o++)
		assert_non_null(strstr(buf, o->help));
	free(buf);
}

static void test_parse_long(void **state)
{
	long v = -1;

	(void)state;
	assert_int_equal(nvmf_parse_long(&cmd, "threads", "4", 1, 64, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(nvmf_parse_long(&cmd, "threads", "0x10", 1, 64, &v),
			 0);
	assert_int_equal(v, 16);
	assert_int_equal(nvmf_parse_long(&cmd, "threads", "-1", -1, 64, &v), 0);
	assert_int_equal(v, -1);
	v = 99;
	assert_int_equal(nvmf_parse_long(&cmd, "threads", "0", 1, 64, &v),
			 -EINVAL);
	assert_int_equal(nvmf_parse_long(&cmd, "threads", "65", 1, 64, &v),
			 -EINVAL);
	assert_int_equal(nvmf_parse_long(&cmd, "threads", "4x", 1, 64, &v),
			 -EINVAL);
	assert_int_equal(nvmf_parse_long(&cmd, "threads", "", 1, 64, &v),
			 -EINVAL);
	assert_int_equal(nvmf_parse_long(&cmd, "threads",
					 "99999999999999999999", 1, 64, &v),
			 -EINVAL);
	assert_int_equal(v, 99); /* untouched on error */
}

static void test_parse_choice(void **state)
{
	static const char *const levels[] = { "error", "warn", "info", NULL };
	int idx = -1;

	(void)state;
	assert_int_equal(
		nvmf_parse_choice(&cmd, "log-level", "warn", levels, &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(nvmf_parse_choice(&cmd, "log-level", "loud", levels,
					   &idx),
			 -EINVAL);
	assert_int_equal(idx, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_getopt),
		cmocka_unit_test(test_usage_lists_every_option),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_choice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

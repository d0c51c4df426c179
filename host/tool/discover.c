// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-host discover: connect to a discovery controller, read its log
 * page (0x70) and print it as "nvme discover" does (normal or json).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "log.h"
#include "tool.h"

static const struct nvmf_opt discover_opts[] = {
	CONN_OPTS_ADDR,
	{ "nqn", 'n', required_argument, "NQN",
	  "discovery subsystem NQN (default the well-known one)" },
	{ "output-format", 'o', required_argument, "FMT", "normal or json" },
	NVMF_OPT_HELP,
	{ 0 },
};

static const struct nvmf_cmd discover_cmd = {
	.prog = "nvmf-host discover",
	.synopsis = "-t rdma -a ADDR [-s PORT] [options]",
	.summary = "Read the discovery log page of the discovery controller at "
		   "ADDR and print its entries.",
	.opts = discover_opts,
};

int disclog_fetch(struct conn_args *a, const char *prog, const char *origin,
		  uint8_t **log, uint64_t *n)
{
	struct nvmf_ctrl *c;
	char err[256];
	int ret;

	a->opts.keep_alive_tmo = 0;
	a->opts.poll = true;
	a->opts.nr_io_queues = 1;
	ret = nvmf_ctrl_connect(&a->trid, &a->opts, &c, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s%s:%s: %s\n", prog, origin,
			a->trid.traddr,
			a->trid.trsvcid[0] ? a->trid.trsvcid : "4420", err);
		return ret;
	}
	ret = disclog_read(c, log, n);
	nvmf_ctrl_disconnect(c);
	if (ret)
		fprintf(stderr,
			"%s: %sreading the discovery log of %s failed: %s\n",
			prog, origin, a->trid.traddr,
			ret < 0 ? strerror(-ret) : "NVMe status error");
	return ret;
}

int cmd_discover(int argc, char **argv)
{
	static const char *const formats[] = { "normal", "json", NULL };
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	struct conn_args a;
	uint8_t *log;
	uint64_t n;
	int opt, ret, fmt;

	conn_args_init(&a);
	snprintf(a.trid.subnqn, sizeof(a.trid.subnqn), "%s",
		 NVMF_DISCOVERY_NQN);
	a.opts.keep_alive_tmo = 0;
	nvmf_args_build(&discover_cmd, longopts, shortopts);
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		ret = conn_opt(&discover_cmd, opt, optarg, &a);
		if (ret < 0)
			return NVMF_EXIT_USAGE;
		if (ret)
			continue;
		if (opt == 'n') {
			snprintf(a.trid.subnqn, sizeof(a.trid.subnqn), "%s",
				 optarg);
		} else if (opt == 'o') {
			if (nvmf_parse_choice(&discover_cmd, "output-format",
					      optarg, formats, &fmt))
				return NVMF_EXIT_USAGE;
			a.json = fmt == 1;
		} else if (opt == 'h') {
			nvmf_args_usage(&discover_cmd, stdout);
			return NVMF_EXIT_OK;
		} else {
			return opt_error(&discover_cmd, opt, argv);
		}
	}
	if (conn_args_check(&discover_cmd, &a, false))
		return NVMF_EXIT_USAGE;
	if (disclog_fetch(&a, "nvmf-host discover", "", &log, &n))
		return NVMF_EXIT_FAILURE;
	disclog_print(stdout, log, n, a.json);
	free(log);
	return NVMF_EXIT_OK;
}

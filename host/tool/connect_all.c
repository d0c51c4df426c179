// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-host connect-all: read a discovery controller's log page and
 * connect every NVMe subsystem it lists (rdma entries), as "nvme
 * connect-all" does.  Each one is an ordinary "nvmf-host connect" (run as
 * a child of this process: its own daemon, recover.json and block
 * devices), given the options of this command line.  Subsystems already
 * connected at the same address are skipped.  Without -a, each line of
 * /etc/nvme/discovery.conf (nvme-cli's file: "-t rdma -a ADDR -s PORT"
 * and the like) names a discovery controller.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "log.h"
#include "nqn.h"
#include "nvme_spec.h"
#include "tool.h"

#define DISCOVERY_CONF "/etc/nvme/discovery.conf"
#define MAX_ARGS       128

static struct nvmf_cmd all_cmd = {
	.prog = "nvmf-host connect-all",
	.synopsis = "-t rdma -a ADDR [-s PORT] [connect options]",
	.summary = "Connect every NVMe subsystem the discovery controller at "
		   "ADDR lists (rdma entries),\neach as 'nvmf-host connect' "
		   "would with these options (all of connect's but\n--nqn); "
		   "subsystems connected already are skipped.  Without -a, "
		   "each line of\n" DISCOVERY_CONF " (nvme-cli's file, e.g. "
		   "'-t rdma -a 10.0.0.1 -s 4420')\nnames a discovery "
		   "controller.",
};

/* Run "nvmf-host connect ARGS": its output goes through.  Exit status. */
static int run_connect(char **args)
{
	char self[4096];
	ssize_t n;
	pid_t pid;
	int status;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return NVMF_EXIT_FAILURE;
	self[n] = '\0';
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execv(self, args);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return NVMF_EXIT_FAILURE;
	return WIFEXITED(status) ? WEXITSTATUS(status) : NVMF_EXIT_FAILURE;
}

/*
 * Connect the subsystems of one discovery controller.  argv: this
 * command's options (for connect too).  Return: NVMF_EXIT_*.
 */
static int connect_from(int argc, char **argv, const char *origin)
{
	const struct nvmf_cmd *cmd = &all_cmd;
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	char svc[NVMF_TRSVCID_SIZE + 1], nqn[NVME_NQN_FIELD + 1];
	char addr[NVMF_TRADDR_SIZE + 1], found[32];
	char *pass[MAX_ARGS + 8], *args[MAX_ARGS + 16];
	const struct nvmf_disc_log_entry *e;
	int opt, ret, npass = 0, prev, failed = 0, done = 0, i;
	struct conn_args a, d;
	uint8_t *log;
	uint64_t n, k;

	if (argc > MAX_ARGS) {
		nvmf_args_error(cmd, "too many arguments (%d)", argc);
		return NVMF_EXIT_USAGE;
	}
	conn_args_init(&a);
	nvmf_args_build(cmd, longopts, shortopts);
	optind = 1;
	prev = optind;
	/* every connect option is taken; -a/-s name the discovery controller */
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		ret = conn_opt(cmd, opt, optarg, &a);
		if (ret < 0)
			return NVMF_EXIT_USAGE;
		if (opt == 'n') {
			nvmf_args_error(cmd, "connect-all connects every "
					     "subsystem of the log: no --nqn");
			return NVMF_EXIT_USAGE;
		}
		if (!ret && (opt == '?' || opt == ':'))
			return opt_error(cmd, opt, argv);
		if (opt == 'h') {
			nvmf_args_usage(cmd, stdout);
			exit(NVMF_EXIT_OK);
		}
		if (opt == OPT_RUN_DIR)
			a.run_dir = optarg;
		if (opt != 'a' && opt != 's')
			for (i = prev; i < optind; i++)
				pass[npass++] = argv[i];
		prev = optind;
	}
	if (optind < argc) {
		nvmf_args_error(cmd, "unexpected argument '%s'", argv[optind]);
		return NVMF_EXIT_USAGE;
	}
	if (conn_args_check(cmd, &a, false))
		return NVMF_EXIT_USAGE;

	/* the discovery controller: the same host identity and address */
	d = a;
	snprintf(d.trid.subnqn, sizeof(d.trid.subnqn), "%s",
		 NVMF_DISCOVERY_NQN);
	if (disclog_fetch(&d, "nvmf-host connect-all", origin, &log, &n))
		return NVMF_EXIT_FAILURE;
	e = (const void *)(log + 1024);
	for (k = 0; k < n; k++, e++) {
		if (e->subtype != NVME_NQN_NVME ||
		    e->trtype != NVMF_TRTYPE_RDMA)
			continue;
		nvme_strunpad(svc, sizeof(svc), e->trsvcid, sizeof(e->trsvcid));
		nvme_strunpad(nqn, sizeof(nqn), e->subnqn, sizeof(e->subnqn));
		nvme_strunpad(addr, sizeof(addr), e->traddr, sizeof(e->traddr));
		/* the log comes from the target: check what it says */
		if (strlen(addr) >= sizeof(a.trid.traddr) ||
		    strlen(svc) >= sizeof(a.trid.trsvcid) ||
		    strlen(nqn) >= sizeof(a.trid.subnqn) ||
		    nvmf_nqn_validate(nqn, NULL) || !addr[0] || !svc[0]) {
			fprintf(stderr,
				"nvmf-host connect-all: log entry %llu of %s: "
				"a bad address or NQN; skipped\n",
				(unsigned long long)k, d.trid.traddr);
			failed++;
			continue;
		}
		a.trid = d.trid;
		memcpy(a.trid.traddr, addr, strlen(addr) + 1);
		memcpy(a.trid.trsvcid, svc, strlen(svc) + 1);
		memcpy(a.trid.subnqn, nqn, strlen(nqn) + 1);
		if (conn_connected(&a, found, sizeof(found))) {
			printf("%s: %s at %s:%s is connected already\n", found,
			       nqn, addr, svc);
			done++;
			continue;
		}
		i = 0;
		args[i++] = "nvmf-host";
		args[i++] = "connect";
		memcpy(args + i, pass, sizeof(*pass) * (size_t)npass);
		i += npass;
		args[i++] = "-a";
		args[i++] = addr;
		args[i++] = "-s";
		args[i++] = svc;
		args[i++] = "-n";
		args[i++] = nqn;
		args[i] = NULL;
		if (run_connect(args) == NVMF_EXIT_OK)
			done++;
		else
			failed++;
	}
	free(log);
	nvmf_info("connect-all: %d of %d subsystems of %s connected", done,
		  done + failed, d.trid.traddr);
	return failed ? NVMF_EXIT_FAILURE : NVMF_EXIT_OK;
}

/* Split a discovery.conf line into words (no quoting, as nvme-cli). */
static int split(char *line, char **words, int max)
{
	int n = 1;
	char *save = NULL, *w;

	for (w = strtok_r(line, " \t\n", &save); w && n < max;
	     w = strtok_r(NULL, " \t\n", &save))
		words[n++] = w;
	return n;
}

int cmd_connect_all(int argc, char **argv)
{
	char line[1024], *words[MAX_ARGS], where[300];
	int i, n, ret = NVMF_EXIT_OK, lines = 0, lineno = 0;
	bool has_addr = false;
	FILE *f;

	all_cmd.opts = connect_cmd_get()->opts;
	if (argc > MAX_ARGS / 2) {
		nvmf_args_error(&all_cmd, "too many arguments (%d)", argc);
		return NVMF_EXIT_USAGE;
	}
	for (i = 1; i < argc; i++)
		/* -a, -aADDR, --traddr[=ADDR]; help needs no address */
		if (!strncmp(argv[i], "-a", 2) ||
		    !strncmp(argv[i], "--traddr", 8) ||
		    !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			has_addr = true;
	if (has_addr)
		return connect_from(argc, argv, "");
	f = fopen(DISCOVERY_CONF, "re");
	if (!f) {
		fprintf(stderr,
			"nvmf-host connect-all: no --traddr, and %s: %s\n",
			DISCOVERY_CONF, strerror(errno));
		return NVMF_EXIT_USAGE;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "#")] = '\0';
		words[0] = argv[0];
		n = split(line, words, MAX_ARGS - argc);
		if (n == 1)
			continue;
		/* the command line's options come after the file's */
		for (i = 1; i < argc; i++)
			words[n++] = argv[i];
		words[n] = NULL;
		lines++;
		snprintf(where, sizeof(where), "%s:%d: ", DISCOVERY_CONF,
			 lineno);
		if (connect_from(n, words, where) != NVMF_EXIT_OK)
			ret = NVMF_EXIT_FAILURE;
	}
	fclose(f);
	if (!lines) {
		fprintf(stderr,
			"nvmf-host connect-all: no --traddr, and no discovery "
			"controller in %s\n",
			DISCOVERY_CONF);
		return NVMF_EXIT_USAGE;
	}
	return ret;
}

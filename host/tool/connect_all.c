// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-host connect-all: read a discovery controller's log page and
 * connect every NVMe subsystem it lists (the entries of its transport,
 * rdma or tcp), as "nvme
 * connect-all" does.  Each one is an ordinary "nvmf-host connect" (run as
 * a child of this process: its own daemon, recover.json and block
 * devices), given the options of this command line.  Subsystems already
 * connected at the same address are skipped.  Without -a, as nvme-cli
 * 2.x: each port of this host's subsystems in /etc/nvme/config.json
 * (libnvme's format, read by libnvme; -J FILE, or -J none) names a
 * discovery controller, and so does each line of /etc/nvme/discovery.conf
 * ("-t rdma -a ADDR -s PORT", "-t tcp ..." and the like).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "names.h"
#include "log.h"
#include "nqn.h"
#include "nvme_config.h"
#include "nvme_spec.h"
#include "tool.h"

#define DISCOVERY_CONF "/etc/nvme/discovery.conf"
#define CONFIG_JSON    "/etc/nvme/config.json"
#define HOSTID_FILE    "/etc/nvme/hostid"
#define MAX_ARGS       128
#define OPT_CONFIG     'J'
#define OPT_PERSISTENT 'p'

static struct nvmf_cmd all_cmd = {
	.prog = "nvmf-host connect-all",
	.synopsis = "-t rdma|tcp -a ADDR [-s PORT] [connect options]",
	.summary =
		"Connect every NVMe subsystem the discovery controller at "
		"ADDR lists (entries of its\ntransport), each as "
		"'nvmf-host connect' "
		"would with these options (all of connect's but\n--nqn); "
		"subsystems connected already are skipped.  Without -a, "
		"as nvme-cli: each port\nof this host's subsystems in "
		"the -J file (libnvme's format) and each line of\n" DISCOVERY_CONF
		" (e.g. '-t rdma -a 10.0.0.1 -s 4420') "
		"names a discovery controller.",
};

/* connect's options, -J and -p */
static struct nvmf_opt all_opts[NVMF_ARGS_MAX + 1];
static bool persistent;

static const struct nvmf_opt persistent_opt = {
	"persistent", OPT_PERSISTENT, no_argument, NULL,
	"keep each discovery controller connected (a daemon, listed as "
	"nvmfN): subsystems that appear in its log later are connected too"
};

static const struct nvmf_opt config_opt = {
	"config", OPT_CONFIG, required_argument, "FILE",
	"without -a: discovery controllers from FILE, nvme-cli's JSON "
	"configuration: the ports of this host's subsystems (the host found "
	"by NQN and, with -I or /etc/nvme/hostid, ID; default " CONFIG_JSON
	", 'none': not read)"
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

/* "nvmf-host connect PASS... -a ADDR -s SVC -n NQN".  Exit status. */
static int connect_one(char **pass, int npass, const char *addr,
		       const char *svc, const char *nqn)
{
	char *args[MAX_ARGS + 16];
	int i = 0;

	args[i++] = "nvmf-host";
	args[i++] = "connect";
	memcpy(args + i, pass, sizeof(*pass) * (size_t)npass);
	i += npass;
	args[i++] = "-a";
	args[i++] = (char *)addr;
	args[i++] = "-s";
	args[i++] = (char *)svc;
	args[i++] = "-n";
	args[i++] = (char *)nqn;
	args[i] = NULL;
	return run_connect(args);
}

/*
 * Parse this command's options into a, and those for connect into pass.
 * Return: NVMF_EXIT_OK, or the exit status for a bad option.
 */
static int parse_opts(int argc, char **argv, struct conn_args *a, char **pass,
		      int *npass)
{
	const struct nvmf_cmd *cmd = &all_cmd;
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	int opt, ret, prev, i;

	if (argc > MAX_ARGS) {
		nvmf_args_error(cmd, "too many arguments (%d)", argc);
		return NVMF_EXIT_USAGE;
	}
	conn_args_init(a);
	nvmf_args_build(cmd, longopts, shortopts);
	optind = 1;
	prev = optind;
	*npass = 0;
	/* every connect option is taken; -a/-s name the discovery controller */
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		ret = conn_opt(cmd, opt, optarg, a);
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
			a->run_dir = optarg;
		if (opt != 'a' && opt != 's' && opt != OPT_CONFIG &&
		    opt != OPT_PERSISTENT)
			for (i = prev; i < optind; i++)
				pass[(*npass)++] = argv[i];
		prev = optind;
	}
	if (optind < argc) {
		nvmf_args_error(cmd, "unexpected argument '%s'", argv[optind]);
		return NVMF_EXIT_USAGE;
	}
	return NVMF_EXIT_OK;
}

/*
 * Connect the subsystems of one discovery controller.  argv: this
 * command's options (for connect too).  Return: NVMF_EXIT_*.
 */
static int connect_from(int argc, char **argv, const char *origin)
{
	char svc[NVMF_TRSVCID_SIZE + 1], nqn[NVME_NQN_FIELD + 1];
	char addr[NVMF_TRADDR_SIZE + 1], found[32];
	char *pass[MAX_ARGS + 8];
	const struct nvmf_disc_log_entry *e;
	int ret, npass = 0, failed = 0, done = 0;
	struct conn_args a, d;
	uint8_t *log, trtype;
	uint64_t n, k;

	ret = parse_opts(argc, argv, &a, pass, &npass);
	if (ret != NVMF_EXIT_OK)
		return ret;
	if (conn_args_check(&all_cmd, &a, false))
		return NVMF_EXIT_USAGE;

	/* the discovery controller: the same host identity and address */
	d = a;
	snprintf(d.trid.subnqn, sizeof(d.trid.subnqn), "%s",
		 NVMF_DISCOVERY_NQN);
	if (disclog_fetch(&d, "nvmf-host connect-all", origin, &log, &n))
		return NVMF_EXIT_FAILURE;
	/* the entries of the discovery controller's own transport */
	if (nvmf_trtype_parse(d.trid.trtype, &trtype))
		trtype = NVMF_TRTYPE_RDMA;
	e = (const void *)(log + 1024);
	for (k = 0; k < n; k++, e++) {
		if (e->subtype != NVME_NQN_NVME || e->trtype != trtype)
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
		if (connect_one(pass, npass, addr, svc, nqn) == NVMF_EXIT_OK)
			done++;
		else
			failed++;
	}
	free(log);
	nvmf_info("connect-all: %d of %d subsystems of %s connected", done,
		  done + failed, d.trid.traddr);
	if (persistent && !conn_connected(&d, found, sizeof(found))) {
		/* the discovery controller itself, as a connect daemon */
		if (connect_one(pass, npass, d.trid.traddr,
				d.trid.trsvcid[0] ? d.trid.trsvcid : "4420",
				NVMF_DISCOVERY_NQN) != NVMF_EXIT_OK)
			failed++;
	} else if (persistent) {
		printf("%s: the discovery controller at %s:%s is connected "
		       "already\n",
		       found, d.trid.traddr,
		       d.trid.trsvcid[0] ? d.trid.trsvcid : "4420");
	}
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

struct json_pass {
	int argc;
	char **argv;
	const char *path;
	int found;
	int ret;
};

/* A port of the JSON file: "-t TRTYPE -a ADDR [-s SVC] [-w HOST_TRADDR]". */
static void connect_from_port(void *arg, const struct nvme_config_port *p)
{
	struct json_pass *j = arg;
	char *words[MAX_ARGS + 16], where[600];
	int i, n = 0;

	snprintf(where, sizeof(where), "%s: %s: %s %s%s%s: ", j->path,
		 p->subnqn ? p->subnqn : "", p->transport ? p->transport : "",
		 p->traddr ? p->traddr : "", p->trsvcid ? ":" : "",
		 p->trsvcid ? p->trsvcid : "");
	j->found++;
	if (!p->transport ||
	    (strcmp(p->transport, "rdma") && strcmp(p->transport, "tcp"))) {
		printf("%sskipped: nvmf-host speaks rdma and tcp\n", where);
		return;
	}
	if (!p->traddr || !*p->traddr) {
		fprintf(stderr, "nvmf-host connect-all: %sno traddr\n", where);
		j->ret = NVMF_EXIT_FAILURE;
		return;
	}
	words[n++] = j->argv[0];
	words[n++] = "-t";
	words[n++] = (char *)p->transport;
	words[n++] = "-a";
	words[n++] = (char *)p->traddr;
	if (p->trsvcid && *p->trsvcid && strcmp(p->trsvcid, "none")) {
		words[n++] = "-s";
		words[n++] = (char *)p->trsvcid;
	}
	if (p->host_traddr && *p->host_traddr &&
	    strcmp(p->host_traddr, "none")) {
		words[n++] = "-w";
		words[n++] = (char *)p->host_traddr;
	}
	/* the command line's options come after the file's */
	for (i = 1; i < j->argc; i++)
		words[n++] = j->argv[i];
	words[n] = NULL;
	if (connect_from(n, words, where) != NVMF_EXIT_OK)
		j->ret = NVMF_EXIT_FAILURE;
}

/*
 * The discovery controllers of path, nvme-cli's JSON configuration: every
 * port of every subsystem of this host, as "nvme connect-all" finds them.
 * Return: NVMF_EXIT_*; *found counts the ports.
 */
static int connect_from_json(int argc, char **argv, const char *path,
			     bool named, const char *hostnqn,
			     const char *hostid, int *found)
{
	struct json_pass j = { argc, argv, path, 0, NVMF_EXIT_OK };
	char nqn[NVME_NQN_FIELD], hid[64];
	int nsub;

	if (!hostnqn || !*hostnqn) {
		if (nvmf_host_nqn_default("", nqn, sizeof(nqn))) {
			fprintf(stderr,
				"nvmf-host connect-all: no host NQN: give "
				"--hostnqn, or write /etc/nvme/hostnqn\n");
			return NVMF_EXIT_USAGE;
		}
		hostnqn = nqn;
	}
	/* -I, else /etc/nvme/hostid: only then is the file's hostid matched */
	if (!hostid || !*hostid)
		hostid = nvmf_read_word("", HOSTID_FILE, hid, sizeof(hid)) ?
				 NULL :
				 hid;
	nsub = nvme_config_ports(path, hostnqn, hostid, connect_from_port, &j);
	if (nsub == -ENOENT && !named) {
		j.ret = NVMF_EXIT_OK; /* as nvme-cli: no file, no ports */
	} else if (nsub < 0) {
		fprintf(stderr, "nvmf-host connect-all: %s: %s\n", path,
			nsub == -EPROTO ?
				"not a JSON array of hosts (nvme-cli's "
				"configuration format)" :
				strerror(-nsub));
		j.ret = NVMF_EXIT_USAGE;
	} else if (!nsub) {
		printf("%s: no subsystem for host %s%s%s\n", path, hostnqn,
		       hostid ? " with hostid " : "", hostid ? hostid : "");
	}
	*found += j.found;
	return j.ret;
}

/* The discovery controllers of each line of DISCOVERY_CONF. */
static int connect_from_conf(int argc, char **argv, int *found)
{
	char line[1024], *words[MAX_ARGS], where[300];
	int i, n, ret = NVMF_EXIT_OK, lineno = 0;
	FILE *f;

	f = fopen(DISCOVERY_CONF, "re");
	if (!f) {
		if (errno == ENOENT)
			return NVMF_EXIT_OK;
		fprintf(stderr, "nvmf-host connect-all: %s: %s\n",
			DISCOVERY_CONF, strerror(errno));
		return NVMF_EXIT_FAILURE;
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
		(*found)++;
		snprintf(where, sizeof(where), "%s:%d: ", DISCOVERY_CONF,
			 lineno);
		if (connect_from(n, words, where) != NVMF_EXIT_OK)
			ret = NVMF_EXIT_FAILURE;
	}
	fclose(f);
	return ret;
}

int cmd_connect_all(int argc, char **argv)
{
	const struct nvmf_opt *o = connect_cmd_get()->opts;
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	const char *config = CONFIG_JSON, *hostnqn = NULL, *hostid = NULL;
	int i, opt, ret, found = 0;
	bool has_addr = false, named = false;

	for (i = 0; o[i].name && o[i].val != 'h' && i < NVMF_ARGS_MAX - 2; i++)
		all_opts[i] = o[i];
	all_opts[i++] = config_opt; /* before help and version */
	all_opts[i++] = persistent_opt;
	for (; o[i - 2].name && i < NVMF_ARGS_MAX; i++)
		all_opts[i] = o[i - 2];
	all_cmd.opts = all_opts;
	if (argc > MAX_ARGS / 2) {
		nvmf_args_error(&all_cmd, "too many arguments (%d)", argc);
		return NVMF_EXIT_USAGE;
	}
	/* a first look: -a (or help) decides; errors are reported later */
	if (nvmf_args_build(&all_cmd, longopts, shortopts))
		return NVMF_EXIT_FAILURE;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		if (opt == 'a' || opt == 'h')
			has_addr = true;
		else if (opt == OPT_PERSISTENT)
			persistent = true;
		else if (opt == OPT_CONFIG) {
			config = optarg;
			named = true;
		} else if (opt == 'q')
			hostnqn = optarg;
		else if (opt == 'I')
			hostid = optarg;
	}
	opterr = 1;
	if (has_addr)
		return connect_from(argc, argv, "");
	/* the options are checked once, before any connection */
	{
		char *pass[MAX_ARGS + 8];
		struct conn_args a;
		int npass;

		ret = parse_opts(argc, argv, &a, pass, &npass);
		if (ret != NVMF_EXIT_OK)
			return ret;
	}
	ret = NVMF_EXIT_OK;
	if (strcmp(config, "none"))
		ret = connect_from_json(argc, argv, config, named, hostnqn,
					hostid, &found);
	if (ret == NVMF_EXIT_USAGE)
		return ret;
	if (connect_from_conf(argc, argv, &found) != NVMF_EXIT_OK)
		ret = NVMF_EXIT_FAILURE;
	if (!found) {
		fprintf(stderr,
			"nvmf-host connect-all: no --traddr, and no discovery "
			"controller in %s or %s\n",
			strcmp(config, "none") ? config : "(no JSON file)",
			DISCOVERY_CONF);
		return NVMF_EXIT_USAGE;
	}
	return ret;
}

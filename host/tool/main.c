// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-host: an NVMe over Fabrics host in userspace, with nvme-cli's
 * subcommands and flags.  Each connected controller runs in a daemon of
 * its own that exports the namespaces as files through FUSE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nqn.h"
#include "nvme_spec.h"
#include "rdma_dev.h"
#include "util.h"
#include "tool.h"

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("nvmf-host %s\n", NVMF_VERSION);
	return NVMF_EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
	bool rdma; /* talks RDMA: load the modules it needs */
} cmds[] = {
	{ "discover", cmd_discover, "print a discovery controller's log",
	  true },
	{ "connect", cmd_connect,
	  "connect a controller; its namespaces become block devices", true },
	{ "connect-all", cmd_connect_all,
	  "connect every subsystem a discovery controller lists", true },
	{ "list", cmd_list, "list the connected controllers", false },
	{ "recover", cmd_recover,
	  "start a controller's daemon again; its block devices kept "
	  "their I/O",
	  true },
	{ "disconnect", cmd_disconnect, "disconnect controllers by NQN or name",
	  false },
	{ "disconnect-all", cmd_disconnect_all, "disconnect every controller",
	  false },
	{ "perf", cmd_perf, "measure I/O (IOPS, bandwidth, latency)", true },
	{ "version", cmd_version, "show the version (as \"nvme version\")",
	  false },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: nvmf-host COMMAND [options]\n\n"
		     "A userspace NVMe over Fabrics (RDMA) host that keeps its "
		     "controllers,\nnamespace files and queued I/O across "
		     "RDMA device resets.\n\nCommands:\n");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(out, "  %-16s %s\n", cmds[i].name, cmds[i].help);
	fprintf(out, "\n'nvmf-host COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	nvmf_log_set_ident("nvmf-host");
	nvmf_log_set_level(NVMF_LOG_WARN);
	if (nvmf_args_version("nvmf-host", argc, argv))
		return NVMF_EXIT_OK;
	if (argc < 2) {
		usage(stderr);
		return NVMF_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return NVMF_EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (cmds[i].rdma)
			nvmf_rdma_load_modules();
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "nvmf-host: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return NVMF_EXIT_USAGE;
}

/* ---- options shared by the commands ------------------------------------------- */

void conn_args_init(struct conn_args *a)
{
	memset(a, 0, sizeof(*a));
	nvmf_ctrl_opts_init(&a->opts);
	snprintf(a->trid.trtype, sizeof(a->trid.trtype), "rdma");
	a->run_dir = NVMF_HOST_RUN_DIR;
	a->export_nbd = true;
	a->nbd_timeout = 30;
}

static int copy_arg(const struct nvmf_cmd *cmd, const char *opt, char *dst,
		    size_t size, const char *arg)
{
	if (strlen(arg) >= size) {
		nvmf_args_error(cmd, "%s '%s' is too long (at most %zu)", opt,
				arg, size - 1);
		return -1;
	}
	strcpy(dst, arg);
	return 1;
}

static int int_arg(const struct nvmf_cmd *cmd, const char *opt, const char *arg,
		   long min, long max, int *out)
{
	long v;

	if (nvmf_parse_long(cmd, opt, arg, min, max, &v))
		return -1;
	*out = (int)v;
	return 1;
}

int conn_opt(const struct nvmf_cmd *cmd, int c, const char *arg,
	     struct conn_args *a)
{
	static const char *const levels[] = { "error", "warn", "info", "debug",
					      NULL };
	static const char *const exports[] = { "nbd", "fuse", NULL };
	struct nvmf_ctrl_opts *o = &a->opts;
	int idx;

	switch (c) {
	case 't':
		if (strcmp(arg, "rdma") && strcmp(arg, "tcp")) {
			nvmf_args_error(cmd,
					"transport '%s' is not supported "
					"(rdma, tcp)",
					arg);
			return -1;
		}
		snprintf(a->trid.trtype, sizeof(a->trid.trtype), "%s", arg);
		return 1;
	case 'g':
		o->hdr_digest = true;
		return 1;
	case 'G':
		o->data_digest = true;
		return 1;
	case 'a':
		return copy_arg(cmd, "traddr", a->trid.traddr,
				sizeof(a->trid.traddr), arg);
	case 's':
		return copy_arg(cmd, "trsvcid", a->trid.trsvcid,
				sizeof(a->trid.trsvcid), arg);
	case 'n':
		return copy_arg(cmd, "nqn", a->trid.subnqn,
				sizeof(a->trid.subnqn), arg);
	case 'q':
		return copy_arg(cmd, "hostnqn", o->hostnqn, sizeof(o->hostnqn),
				arg);
	case 'I':
		return copy_arg(cmd, "hostid", o->hostid, sizeof(o->hostid),
				arg);
	case 'w':
		return copy_arg(cmd, "host-traddr", a->trid.host_traddr,
				sizeof(a->trid.host_traddr), arg);
	case 'i':
		return int_arg(cmd, "nr-io-queues", arg, 1, 64,
			       &o->nr_io_queues);
	case 'Q':
		return int_arg(cmd, "queue-size", arg, 16, 1024,
			       &o->queue_size);
	case 'k':
		return int_arg(cmd, "keep-alive-tmo", arg, 0, 3600,
			       &o->keep_alive_tmo);
	case 'c':
		return int_arg(cmd, "reconnect-delay", arg, 1, 3600,
			       &o->reconnect_delay);
	case 'l':
		return int_arg(cmd, "ctrl-loss-tmo", arg, -1, 1000000,
			       &o->ctrl_loss_tmo);
	case 'F':
		return int_arg(cmd, "fast_io_fail_tmo", arg, -1, 1000000,
			       &o->fast_io_fail_tmo);
	case OPT_IO_TIMEOUT:
		return int_arg(cmd, "io-timeout", arg, 1, 3600, &o->io_timeout);
	case OPT_MAX_RETRIES:
		return int_arg(cmd, "max-retries", arg, 0, 100,
			       &o->max_retries);
	case OPT_EXPORT:
		if (nvmf_parse_choice(cmd, "export", arg, exports, &idx))
			return -1;
		a->export_nbd = idx == 0;
		return 1;
	case OPT_NBD_TIMEOUT:
		return int_arg(cmd, "nbd-timeout", arg, 1, 3600,
			       &a->nbd_timeout);
	case OPT_NBD_CONNS:
		return int_arg(cmd, "nbd-conns", arg, 1, 4, &a->nbd_conns);
	case OPT_LOG_LEVEL:
		if (nvmf_parse_choice(cmd, "log-level", arg, levels, &idx))
			return -1;
		nvmf_log_set_level(idx);
		return 1;
	default:
		return 0;
	}
}

static bool ip_ok(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

/*
 * An address, or a host name resolved to its first address (as nvme-cli
 * does): the controller keeps the address, and recover.json too.
 * Return: 0, or -1 with the error printed.
 */
static int resolve_addr(const struct nvmf_cmd *cmd, const char *what,
			char *addr, size_t size)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res;
	char host[NI_MAXHOST];
	int ret;

	if (ip_ok(addr))
		return 0;
	ret = getaddrinfo(addr, NULL, &hints, &res);
	if (ret) {
		nvmf_args_error(cmd,
				"%s '%s' is not an IPv4 or IPv6 address, and "
				"resolving it failed: %s",
				what, addr, gai_strerror(ret));
		return -1;
	}
	ret = getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof(host),
			  NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if (ret || strlen(host) >= size) {
		nvmf_args_error(cmd, "%s '%s': cannot use its address", what,
				addr);
		return -1;
	}
	nvmf_debug("%s %s is %s", what, addr, host);
	strcpy(addr, host);
	return 0;
}

int conn_args_check(const struct nvmf_cmd *cmd, struct conn_args *a,
		    bool need_nqn)
{
	const char *why;

	if (!a->trid.traddr[0]) {
		nvmf_args_error(cmd, "--traddr (-a) is required");
		return -1;
	}
	if (resolve_addr(cmd, "traddr", a->trid.traddr, sizeof(a->trid.traddr)))
		return -1;
	if (a->trid.host_traddr[0] &&
	    resolve_addr(cmd, "host-traddr", a->trid.host_traddr,
			 sizeof(a->trid.host_traddr)))
		return -1;
	if (need_nqn && !a->trid.subnqn[0]) {
		nvmf_args_error(cmd, "--nqn (-n) is required");
		return -1;
	}
	if (a->trid.subnqn[0] && nvmf_nqn_validate(a->trid.subnqn, &why)) {
		nvmf_args_error(cmd, "nqn '%s': %s", a->trid.subnqn, why);
		return -1;
	}
	if (a->opts.hostnqn[0] && nvmf_nqn_validate(a->opts.hostnqn, &why)) {
		nvmf_args_error(cmd, "hostnqn '%s': %s", a->opts.hostnqn, why);
		return -1;
	}
	return 0;
}

int opt_error(const struct nvmf_cmd *cmd, int c, char **argv)
{
	if (c == ':')
		nvmf_args_error(cmd, "%s needs a value", argv[optind - 1]);
	else
		nvmf_args_error(cmd, "unknown option '%s'", argv[optind - 1]);
	return NVMF_EXIT_USAGE;
}

/* ---- data buffers and errors of the exports (fuse.c, nbd.c) --------------- */

void *export_buf_alloc(struct nvmf_ctrl *ctrl, size_t len, uint32_t max_io,
		       bool *pool)
{
	void *buf = NULL;

	*pool = false;
	if (len <= max_io) {
		buf = nvmf_buf_alloc(ctrl, len);
		*pool = buf != NULL;
	}
	if (!buf && posix_memalign(&buf, 4096, len))
		buf = NULL;
	return buf;
}

void export_buf_free(struct nvmf_ctrl *ctrl, void *buf, bool pool)
{
	if (pool)
		nvmf_buf_free(ctrl, buf);
	else
		free(buf);
}

int export_errno(int status)
{
	if (status == -ENODEV || status == -ENOLINK || status == -EINVAL ||
	    status == -ENOMEM || status == -ETIMEDOUT)
		return -status;
	if ((status & 0x7ff) == NVME_SC_NS_WRITE_PROTECTED)
		return EROFS;
	return EIO;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * nvmf-host discover: connect to a discovery controller, read its log
 * page (0x70) and print it as "nvme discover" does (normal or json).
 */
#include <errno.h>
#include <json-c/json.h>
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

#define MAX_RECORDS 1024

static const char *trtype_str(uint8_t t)
{
	switch (t) {
	case NVMF_TRTYPE_RDMA:
		return "rdma";
	case NVMF_TRTYPE_TCP:
		return "tcp";
	case NVMF_TRTYPE_LOOP:
		return "loop";
	default:
		return "unrecognized";
	}
}

static const char *adrfam_str(uint8_t a)
{
	return a == NVMF_ADDR_FAMILY_IP4 ? "ipv4" :
	       a == NVMF_ADDR_FAMILY_IP6 ? "ipv6" :
					   "unrecognized";
}

static const char *subtype_str(uint8_t s)
{
	switch (s) {
	case NVME_NQN_REFERRAL:
		return "discovery subsystem referral";
	case NVME_NQN_NVME:
		return "nvme subsystem";
	case NVME_NQN_CURR_DISC:
		return "current discovery subsystem";
	default:
		return "unrecognized";
	}
}

static const char *treq_str(uint8_t t)
{
	switch (t & 3) {
	case 0:
		return "not specified";
	case 1:
		return "required";
	case 2:
		return "not required";
	default:
		return "reserved";
	}
}

static void entry_strings(const struct nvmf_disc_log_entry *e, char *svc,
			  char *nqn, char *addr)
{
	nvme_strunpad(svc, NVMF_TRSVCID_SIZE + 1, e->trsvcid,
		      sizeof(e->trsvcid));
	nvme_strunpad(nqn, NVME_NQN_FIELD + 1, e->subnqn, sizeof(e->subnqn));
	nvme_strunpad(addr, NVMF_TRADDR_SIZE + 1, e->traddr, sizeof(e->traddr));
}

static void print_normal(const struct nvmf_disc_log_page_hdr *h,
			 const struct nvmf_disc_log_entry *e, uint64_t n)
{
	char svc[NVMF_TRSVCID_SIZE + 1], nqn[NVME_NQN_FIELD + 1],
		addr[NVMF_TRADDR_SIZE + 1];
	uint64_t i;

	printf("\nDiscovery Log Number of Records %llu, Generation counter "
	       "%llu\n",
	       (unsigned long long)n, (unsigned long long)le64toh(h->genctr));
	for (i = 0; i < n; i++, e++) {
		entry_strings(e, svc, nqn, addr);
		printf("=====Discovery Log Entry %llu======\n",
		       (unsigned long long)i);
		printf("trtype:  %s\n", trtype_str(e->trtype));
		printf("adrfam:  %s\n", adrfam_str(e->adrfam));
		printf("subtype: %s\n", subtype_str(e->subtype));
		printf("treq:    %s\n", treq_str(e->treq));
		printf("portid:  %u\n", le16toh(e->portid));
		printf("trsvcid: %s\n", svc);
		printf("subnqn:  %s\n", nqn);
		printf("traddr:  %s\n", addr);
		printf("eflags:  0x%x\n", le16toh(e->eflags));
		if (e->trtype == NVMF_TRTYPE_RDMA) {
			printf("rdma_prtype: %s\n", e->tsas.rdma.prtype == 1 ?
							    "not specified" :
							    "other");
			printf("rdma_qptype: %s\n", e->tsas.rdma.qptype == 1 ?
							    "connected" :
							    "datagram");
			printf("rdma_cms:    %s\n",
			       e->tsas.rdma.cms == 1 ? "rdma-cm" : "other");
			printf("rdma_pkey: 0x%04x\n",
			       le16toh(e->tsas.rdma.pkey));
		}
	}
}

static void print_json(const struct nvmf_disc_log_page_hdr *h,
		       const struct nvmf_disc_log_entry *e, uint64_t n)
{
	char svc[NVMF_TRSVCID_SIZE + 1], nqn[NVME_NQN_FIELD + 1],
		addr[NVMF_TRADDR_SIZE + 1];
	struct json_object *root = json_object_new_object();
	struct json_object *recs = json_object_new_array();
	uint64_t i;

	json_object_object_add(root, "genctr",
			       json_object_new_uint64(le64toh(h->genctr)));
	json_object_object_add(root, "records", recs);
	for (i = 0; i < n; i++, e++) {
		struct json_object *r = json_object_new_object();

		entry_strings(e, svc, nqn, addr);
		json_object_object_add(
			r, "trtype",
			json_object_new_string(trtype_str(e->trtype)));
		json_object_object_add(
			r, "adrfam",
			json_object_new_string(adrfam_str(e->adrfam)));
		json_object_object_add(
			r, "subtype",
			json_object_new_string(subtype_str(e->subtype)));
		json_object_object_add(
			r, "treq", json_object_new_string(treq_str(e->treq)));
		json_object_object_add(r, "portid",
				       json_object_new_int(le16toh(e->portid)));
		json_object_object_add(r, "trsvcid",
				       json_object_new_string(svc));
		json_object_object_add(r, "subnqn",
				       json_object_new_string(nqn));
		json_object_object_add(r, "traddr",
				       json_object_new_string(addr));
		json_object_object_add(r, "eflags",
				       json_object_new_int(le16toh(e->eflags)));
		json_object_array_add(recs, r);
	}
	printf("%s\n",
	       json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
	json_object_put(root);
}

static int get_log(struct nvmf_ctrl *c, void *buf, uint64_t off, uint32_t len)
{
	union nvme_command cmd;
	uint32_t max = 64 * 1024, n;
	int ret;

	while (len) {
		n = len < max ? len : max;
		nvmf_cmd_get_log(&cmd, NVME_LOG_DISC, 0, off, n);
		ret = nvmf_admin_sync(c, &cmd, buf, n, true, NULL);
		if (ret)
			return ret;
		buf = (uint8_t *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Read the whole log with a stable generation counter. */
static int read_disc_log(struct nvmf_ctrl *c, uint8_t **out, uint64_t *numrec)
{
	struct nvmf_disc_log_page_hdr h;
	uint8_t *log = NULL;
	uint64_t n, gen;
	int ret, tries;

	for (tries = 0; tries < 3; tries++) {
		ret = get_log(c, &h, 0, sizeof(h));
		if (ret)
			break;
		n = le64toh(h.numrec);
		if (n > MAX_RECORDS)
			n = MAX_RECORDS;
		gen = le64toh(h.genctr);
		free(log);
		log = calloc(1, 1024 * (n + 1));
		if (!log)
			return -ENOMEM;
		ret = get_log(c, log, 0, (uint32_t)(1024 * (n + 1)));
		if (ret)
			break;
		if (le64toh(((struct nvmf_disc_log_page_hdr *)log)->genctr) ==
		    gen) {
			*out = log;
			*numrec = n;
			return 0;
		}
	}
	free(log);
	return ret ? ret : -EAGAIN;
}

int cmd_discover(int argc, char **argv)
{
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2], err[256];
	struct conn_args a;
	struct nvmf_ctrl *c;
	uint8_t *log;
	uint64_t n;
	int opt, ret;

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
			if (strcmp(optarg, "normal") &&
			    strcmp(optarg, "json")) {
				nvmf_args_error(
					&discover_cmd,
					"output-format '%s': use normal "
					"or json",
					optarg);
				return NVMF_EXIT_USAGE;
			}
			a.json = !strcmp(optarg, "json");
		} else if (opt == 'h') {
			nvmf_args_usage(&discover_cmd, stdout);
			return NVMF_EXIT_OK;
		} else {
			return opt_error(&discover_cmd, opt, argv);
		}
	}
	if (conn_args_check(&discover_cmd, &a, false))
		return NVMF_EXIT_USAGE;
	a.opts.poll = true;
	a.opts.nr_io_queues = 1;
	ret = nvmf_ctrl_connect(&a.trid, &a.opts, &c, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "nvmf-host discover: %s:%s: %s\n",
			a.trid.traddr,
			a.trid.trsvcid[0] ? a.trid.trsvcid : "4420", err);
		return NVMF_EXIT_FAILURE;
	}
	ret = read_disc_log(c, &log, &n);
	nvmf_ctrl_disconnect(c);
	if (ret) {
		fprintf(stderr,
			"nvmf-host discover: reading the discovery log "
			"failed: %s\n",
			ret < 0 ? strerror(-ret) : "NVMe status error");
		return NVMF_EXIT_FAILURE;
	}
	if (a.json)
		print_json((void *)log, (void *)(log + 1024), n);
	else
		print_normal((void *)log, (void *)(log + 1024), n);
	free(log);
	return NVMF_EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The discovery log page (0x70) as a target sends it: read with a stable
 * generation counter, and printed as "nvme discover" prints it (normal or
 * json).  Everything in it comes from the target.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "names.h"
#include "tool.h"

#define MAX_RECORDS 1024

/* nvme-cli's word for a value without a name */
static const char *trtype_str(uint8_t t)
{
	return nvmf_trtype_name(t) ?: "unrecognized";
}

static const char *adrfam_str(uint8_t a)
{
	return nvmf_adrfam_name(a) ?: "unrecognized";
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

static void print_normal(FILE *out, const struct nvmf_disc_log_page_hdr *h,
			 const struct nvmf_disc_log_entry *e, uint64_t n)
{
	char svc[NVMF_TRSVCID_SIZE + 1], nqn[NVME_NQN_FIELD + 1],
		addr[NVMF_TRADDR_SIZE + 1];
	uint64_t i;

	fprintf(out,
		"\nDiscovery Log Number of Records %llu, Generation counter "
		"%llu\n",
		(unsigned long long)n, (unsigned long long)le64toh(h->genctr));
	for (i = 0; i < n; i++, e++) {
		entry_strings(e, svc, nqn, addr);
		fprintf(out, "=====Discovery Log Entry %llu======\n",
			(unsigned long long)i);
		fprintf(out, "trtype:  %s\n", trtype_str(e->trtype));
		fprintf(out, "adrfam:  %s\n", adrfam_str(e->adrfam));
		fprintf(out, "subtype: %s\n", subtype_str(e->subtype));
		fprintf(out, "treq:    %s\n", treq_str(e->treq));
		fprintf(out, "portid:  %u\n", le16toh(e->portid));
		fprintf(out, "trsvcid: %s\n", svc);
		fprintf(out, "subnqn:  %s\n", nqn);
		fprintf(out, "traddr:  %s\n", addr);
		fprintf(out, "eflags:  0x%x\n", le16toh(e->eflags));
		if (e->trtype == NVMF_TRTYPE_RDMA) {
			fprintf(out, "rdma_prtype: %s\n",
				e->tsas.rdma.prtype == 1 ? "not specified" :
							   "other");
			fprintf(out, "rdma_qptype: %s\n",
				e->tsas.rdma.qptype == 1 ? "connected" :
							   "datagram");
			fprintf(out, "rdma_cms:    %s\n",
				e->tsas.rdma.cms == 1 ? "rdma-cm" : "other");
			fprintf(out, "rdma_pkey: 0x%04x\n",
				le16toh(e->tsas.rdma.pkey));
		}
	}
}

static void print_json(FILE *out, const struct nvmf_disc_log_page_hdr *h,
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
	fprintf(out, "%s\n",
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
int disclog_read(struct nvmf_ctrl *c, uint8_t **out, uint64_t *numrec)
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

/* Print a log read by disclog_read() as nvme-cli does. */
void disclog_print(FILE *out, const uint8_t *log, uint64_t n, bool json)
{
	if (json)
		print_json(out, (const void *)log, (const void *)(log + 1024),
			   n);
	else
		print_normal(out, (const void *)log, (const void *)(log + 1024),
			     n);
}

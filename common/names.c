// SPDX-License-Identifier: GPL-2.0
/*
 * Transport type and address family names (names.h).  The values are the
 * discovery log's (NVMe over Fabrics 1.1, figures 38 and 39); the names
 * are the kernel nvmet configfs attributes' (addr_trtype, addr_adrfam).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "names.h"
#include "nvme_spec.h"

struct nvmf_name {
	uint8_t value;
	const char *name;
};

static const struct nvmf_name trtypes[] = {
	{ NVMF_TRTYPE_RDMA, "rdma" },
	{ NVMF_TRTYPE_FC, "fc" },
	{ NVMF_TRTYPE_TCP, "tcp" },
	{ NVMF_TRTYPE_LOOP, "loop" },
	{ 0, NULL },
};

static const struct nvmf_name adrfams[] = {
	{ 0, "pcie" },
	{ NVMF_ADDR_FAMILY_IP4, "ipv4" },
	{ NVMF_ADDR_FAMILY_IP6, "ipv6" },
	{ 3, "ib" },
	{ 4, "fc" },
	{ 254, "loop" },
	{ 0, NULL },
};

static const char *name_of(const struct nvmf_name *t, uint8_t value)
{
	for (; t->name; t++)
		if (t->value == value)
			return t->name;
	return NULL;
}

static int parse(const struct nvmf_name *t, const char *name, uint8_t *out)
{
	for (; t->name; t++)
		if (!strcmp(t->name, name)) {
			*out = t->value;
			return 0;
		}
	return -EINVAL;
}

const char *nvmf_trtype_name(uint8_t trtype)
{
	return name_of(trtypes, trtype);
}

int nvmf_trtype_parse(const char *name, uint8_t *out)
{
	return parse(trtypes, name, out);
}

const char *nvmf_adrfam_name(uint8_t adrfam)
{
	return name_of(adrfams, adrfam);
}

int nvmf_adrfam_parse(const char *name, uint8_t *out)
{
	return parse(adrfams, name, out);
}

int nvmf_adrfam_ip_af(const char *name)
{
	uint8_t a;

	if (parse(adrfams, name, &a))
		return AF_UNSPEC;
	return a == NVMF_ADDR_FAMILY_IP4 ? AF_INET :
	       a == NVMF_ADDR_FAMILY_IP6 ? AF_INET6 :
					   AF_UNSPEC;
}

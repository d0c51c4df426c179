/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The names of NVMe-oF transport types (trtype) and address families
 * (adrfam) as configfs, nvmetcli and nvme-cli spell them: one table for
 * every parser and printer of the target, the host and the reactor.
 */
#ifndef NVMF_NAMES_H
#define NVMF_NAMES_H

#include <stdint.h>

/* Return: the name of a transport type, or NULL if it has none. */
const char *nvmf_trtype_name(uint8_t trtype);
/* Return: 0 with *out set, or -EINVAL for a name that is not one. */
int nvmf_trtype_parse(const char *name, uint8_t *out);
/* Return: the name of an address family, or NULL if it has none. */
const char *nvmf_adrfam_name(uint8_t adrfam);
/* Return: 0 with *out set, or -EINVAL for a name that is not one. */
int nvmf_adrfam_parse(const char *name, uint8_t *out);
/* Return: AF_INET or AF_INET6 for "ipv4" or "ipv6", else AF_UNSPEC. */
int nvmf_adrfam_ip_af(const char *name);

#endif /* NVMF_NAMES_H */

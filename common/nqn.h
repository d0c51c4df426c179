/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVMe Qualified Names and UUIDs.
 *
 * An NQN is at most 223 bytes of UTF-8 and has one of the forms
 *   nqn.yyyy-mm.reverse.domain[:anything]
 *   nqn.2014-08.org.nvmexpress:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx
 * (NVM Express Base Specification, "NVMe Qualified Names").
 */
#ifndef NVMF_COMMON_NQN_H
#define NVMF_COMMON_NQN_H

#include <stddef.h>
#include <stdint.h>

#define NVMF_UUID_STR_LEN 37 /* 36 characters and the NUL */

/*
 * Check an NQN.  On failure *why (if not NULL) points to a static string
 * saying what is wrong, for messages like "invalid NQN 'x': <why>".
 * Return: 0, or -EINVAL.
 */
int nvmf_nqn_validate(const char *nqn, const char **why);

/* Return: 0 and the 16 bytes in uuid, or -EINVAL. */
int nvmf_uuid_parse(const char *str, uint8_t uuid[16]);

/* Write the canonical lower-case form (37 bytes with the NUL). */
void nvmf_uuid_format(const uint8_t uuid[16], char str[NVMF_UUID_STR_LEN]);

/* A random (version 4) UUID.  Return: 0, or a negative errno. */
int nvmf_uuid_generate(uint8_t uuid[16]);

/*
 * "nqn.2014-08.org.nvmexpress:uuid:<uuid>" into buf.
 * Return: 0, or -ENOSPC if size is too small.
 */
int nvmf_nqn_from_uuid(const uint8_t uuid[16], char *buf, size_t size);

/* FNV-1a over len bytes, from h (0xcbf29ce484222325 to start). */
uint64_t nvmf_fnv1a(const void *data, size_t len, uint64_t h);

/* A version 4 shaped UUID that is a function of a 64-bit hash. */
void nvmf_uuid_from_hash(uint64_t hash, uint8_t uuid[16]);

/* The first word of ROOT/path ("" for /).  Return: 0, or -ENOENT. */
int nvmf_read_word(const char *root, const char *path, char *buf, size_t size);

/*
 * The host NQN when none is given, as nvme-cli finds it: ROOT/etc/nvme/
 * hostnqn, else "nqn.2014-08.org.nvmexpress:uuid:U" with U the machine's
 * DMI product UUID (ROOT/sys/class/dmi/id/product_uuid), else a UUID
 * derived from ROOT/etc/machine-id (stable across boots; nvme-cli's own
 * derivation from machine-id differs).  root is "" on a real system.
 * Return: 0, or -ENOENT when the machine has no stable identity.
 */
int nvmf_host_nqn_default(const char *root, char *nqn, size_t size);

/*
 * The host ID when none is given: ROOT/etc/nvme/hostid, else the UUID of
 * a "...:uuid:U" hostnqn (as libnvme derives it), else a UUID derived from
 * the hostnqn: the same host NQN always has the same host ID.
 * Return: 0, or -EINVAL for a ROOT/etc/nvme/hostid that is not a UUID.
 */
int nvmf_host_id_default(const char *root, const char *hostnqn, uint8_t id[16]);

#endif /* NVMF_COMMON_NQN_H */

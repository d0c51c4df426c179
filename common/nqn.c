// SPDX-License-Identifier: GPL-2.0
/*
 * NQN validation and UUID helpers (over libuuid).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include "nqn.h"
#include "nvme_spec.h"

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

/* "yyyy-mm." with a plausible month */
static int check_date(const char *p, const char **why)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!isdigit((unsigned char)p[i]))
			return fail(why, "expected a year (yyyy) after 'nqn.'");
	if (p[4] != '-' || !isdigit((unsigned char)p[5]) ||
	    !isdigit((unsigned char)p[6]))
		return fail(why, "expected '-mm' after the year");
	if ((p[5] - '0') * 10 + (p[6] - '0') < 1 ||
	    (p[5] - '0') * 10 + (p[6] - '0') > 12)
		return fail(why, "month must be 01..12");
	if (p[7] != '.')
		return fail(why, "expected '.' after the date");
	return 0;
}

/* reverse domain: labels of [A-Za-z0-9-] separated by single dots */
static int check_domain(const char *p, const char *end, const char **why)
{
	size_t label = 0;

	if (p == end)
		return fail(why, "missing the reverse domain name");
	for (; p < end; p++) {
		if (*p == '.') {
			if (label == 0)
				return fail(why,
					    "empty label in the domain name");
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return fail(why,
				    "invalid character in the domain name");
		label++;
	}
	if (label == 0)
		return fail(why, "domain name ends with '.'");
	return 0;
}

static int check_uuid_form(const char *rest, const char **why)
{
	uint8_t uuid[16];

	if (strncmp(rest, "uuid:", 5) != 0)
		return 0;
	if (nvmf_uuid_parse(rest + 5, uuid) < 0)
		return fail(why, "malformed UUID after ':uuid:'");
	return 0;
}

int nvmf_nqn_validate(const char *nqn, const char **why)
{
	const char *colon, *p;
	size_t len;
	int ret;

	if (!nqn)
		return fail(why, "missing");
	len = strnlen(nqn, NVME_NQN_FIELD);
	if (len == 0)
		return fail(why, "empty");
	if (len > NVME_NQN_MAX)
		return fail(why, "longer than 223 bytes");
	for (p = nqn; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ' ')
			return fail(why,
				    "contains a space or control character");
	if (strncmp(nqn, "nqn.", 4) != 0)
		return fail(why, "must start with 'nqn.'");
	ret = check_date(nqn + 4, why);
	if (ret)
		return ret;
	colon = strchr(nqn + 12, ':');
	ret = check_domain(nqn + 12, colon ? colon : nqn + len, why);
	if (ret)
		return ret;
	if (!colon)
		return 0;
	if (colon[1] == '\0')
		return fail(why, "nothing after ':'");
	if (strncmp(nqn, "nqn.2014-08.org.nvmexpress:", 27) == 0)
		return check_uuid_form(colon + 1, why);
	return 0;
}

int nvmf_uuid_parse(const char *str, uint8_t uuid[16])
{
	if (strlen(str) != NVMF_UUID_STR_LEN - 1 || uuid_parse(str, uuid) < 0)
		return -EINVAL;
	return 0;
}

void nvmf_uuid_format(const uint8_t uuid[16], char str[NVMF_UUID_STR_LEN])
{
	uuid_unparse_lower(uuid, str);
}

int nvmf_uuid_generate(uint8_t uuid[16])
{
	uuid_generate_random(uuid);
	return 0;
}

int nvmf_nqn_from_uuid(const uint8_t uuid[16], char *buf, size_t size)
{
	char s[NVMF_UUID_STR_LEN];
	int n;

	nvmf_uuid_format(uuid, s);
	n = snprintf(buf, size, "%s%s", NVME_UUID_NQN_PREFIX, s);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return 0;
}

uint64_t nvmf_fnv1a(const void *data, size_t len, uint64_t h)
{
	const uint8_t *p = data;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

void nvmf_uuid_from_hash(uint64_t hash, uint8_t uuid[16])
{
	uint64_t b = nvmf_fnv1a(&hash, sizeof(hash), 0x84222325cbf29ce4ull);

	memcpy(uuid, &hash, 8);
	memcpy(uuid + 8, &b, 8);
	uuid[6] = (uuid[6] & 0x0f) | 0x40;
	uuid[8] = (uuid[8] & 0x3f) | 0x80;
}

int nvmf_read_word(const char *root, const char *path, char *buf, size_t size)
{
	char full[4096];
	FILE *f;
	int ok;

	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "re");
	if (!f)
		return -ENOENT;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	if (!ok)
		return -ENOENT;
	buf[strcspn(buf, " \t\r\n")] = '\0';
	return buf[0] ? 0 : -ENOENT;
}

int nvmf_host_nqn_default(const char *root, char *nqn, size_t size)
{
	static const uint8_t zero[16];
	char word[256];
	uint8_t uuid[16];

	if (!nvmf_read_word(root, "/etc/nvme/hostnqn", word, sizeof(word))) {
		if ((size_t)snprintf(nqn, size, "%s", word) >= size)
			return -ENOSPC;
		return 0;
	}
	/* DMI: unset ones read all zeros (or all ones, "ff...") */
	if (!nvmf_read_word(root, "/sys/class/dmi/id/product_uuid", word,
			    sizeof(word)) &&
	    !nvmf_uuid_parse(word, uuid) && memcmp(uuid, zero, 16) &&
	    strspn(word, "fF-") != strlen(word))
		return nvmf_nqn_from_uuid(uuid, nqn, size);
	if (!nvmf_read_word(root, "/etc/machine-id", word, sizeof(word)) &&
	    strlen(word) == 32) {
		nvmf_uuid_from_hash(nvmf_fnv1a(word, 32,
					       0xcbf29ce484222325ull ^
						       0x6e766d652d686f73ull),
				    uuid);
		return nvmf_nqn_from_uuid(uuid, nqn, size);
	}
	return -ENOENT;
}

int nvmf_host_id_default(const char *root, const char *hostnqn, uint8_t id[16])
{
	const char *u = strstr(hostnqn, ":uuid:");
	char word[64];

	if (!nvmf_read_word(root, "/etc/nvme/hostid", word, sizeof(word)))
		return nvmf_uuid_parse(word, id) ? -EINVAL : 0;
	if (!strncmp(hostnqn, NVME_UUID_NQN_PREFIX,
		     strlen(NVME_UUID_NQN_PREFIX)) &&
	    u && !nvmf_uuid_parse(u + 6, id))
		return 0;
	nvmf_uuid_from_hash(nvmf_fnv1a(hostnqn, strlen(hostnqn),
				       0xcbf29ce484222325ull),
			    id);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * nvmetcli saved-JSON loader (json-c).
 *
 * Upstream nvmetcli stores configfs attributes as strings ("allow_any_host":
 * "1", "trsvcid": "4420") and only portid, nsid and enable as integers; we
 * accept an integer wherever a numeric string is expected, and the reverse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "names.h"
#include "nqn.h"

struct cfg_ctx {
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int
cfg_error(struct cfg_ctx *c, const char *where, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(c->err, c->errlen, "%s: ", where);
	if (n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Item paths ("subsystems[0].namespaces[1]"); truncation is harmless. */
__attribute__((format(printf, 3, 4))) static void
where_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static const char *type_name(json_object *o)
{
	return json_type_to_name(json_object_get_type(o));
}

/* A member of the expected type, or NULL when absent (or null). */
static int get_member(struct cfg_ctx *c, const char *where, json_object *obj,
		      const char *key, json_type type, json_object **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return 0;
	if (json_object_get_type(v) != type)
		return cfg_error(c, where, "'%s' must be %s %s, not %s", key,
				 strchr("aeiou", json_type_to_name(type)[0]) ?
					 "an" :
					 "a",
				 json_type_to_name(type), type_name(v));
	*out = v;
	return 0;
}

/* An integer given as a JSON integer or a decimal string. */
static int get_int(struct cfg_ctx *c, const char *where, json_object *obj,
		   const char *key, long long min, long long max, bool required,
		   long long *out)
{
	json_object *v;
	const char *s;
	char *end;
	long long val;

	if (!json_object_object_get_ex(obj, key, &v) || !v) {
		if (required)
			return cfg_error(c, where, "missing '%s'", key);
		return 1;
	}
	if (json_object_is_type(v, json_type_int)) {
		errno = 0;
		val = json_object_get_int64(v);
		if (errno)
			return cfg_error(c, where, "'%s' out of range", key);
	} else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		errno = 0;
		val = strtoll(s, &end, 0);
		if (errno || end == s || *end)
			return cfg_error(c, where,
					 "'%s': '%s' is not an integer", key,
					 s);
	} else {
		return cfg_error(c, where, "'%s' must be an integer, not %s",
				 key, type_name(v));
	}
	if (val < min || val > max)
		return cfg_error(c, where, "'%s': %lld is not in %lld..%lld",
				 key, val, min, max);
	*out = val;
	return 0;
}

/* A string member copied into buf; absent leaves buf untouched (1). */
static int get_str(struct cfg_ctx *c, const char *where, json_object *obj,
		   const char *key, char *buf, size_t size, bool required)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(obj, key, &v) || !v) {
		if (required)
			return cfg_error(c, where, "missing '%s'", key);
		return 1;
	}
	if (json_object_is_type(v, json_type_int)) {
		s = json_object_get_string(v);
	} else if (!json_object_is_type(v, json_type_string)) {
		return cfg_error(c, where, "'%s' must be a string, not %s", key,
				 type_name(v));
	} else {
		s = json_object_get_string(v);
	}
	if (strlen(s) >= size)
		return cfg_error(c, where, "'%s' is longer than %zu bytes", key,
				 size - 1);
	strcpy(buf, s);
	return 0;
}

static int check_nqn(struct cfg_ctx *c, const char *where, const char *nqn)
{
	const char *why;

	if (nvmf_nqn_validate(nqn, &why))
		return cfg_error(c, where, "invalid NQN '%s': %s", nqn, why);
	return 0;
}

/* An array of NQN strings: hosts[] entries are objects, links are strings. */
static int load_nqn_list(struct cfg_ctx *c, const char *where, json_object *arr,
			 char (**out)[NVME_NQN_FIELD], int *nr)
{
	char w[NVMF_CFG_WHERE_LEN + 16];
	size_t i, n = arr ? json_object_array_length(arr) : 0;
	json_object *e;
	int ret;

	*nr = 0;
	if (!n)
		return 0;
	*out = calloc(n, NVME_NQN_FIELD);
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		where_fmt(w, sizeof(w), "%s[%zu]", where, i);
		if (!json_object_is_type(e, json_type_string))
			return cfg_error(c, w, "must be a string, not %s",
					 type_name(e));
		if (strlen(json_object_get_string(e)) >= NVME_NQN_FIELD)
			return cfg_error(c, w, "NQN longer than 223 bytes");
		strcpy((*out)[i], json_object_get_string(e));
		ret = check_nqn(c, w, (*out)[i]);
		if (ret)
			return ret;
		*nr = (int)i + 1;
	}
	return 0;
}

static bool nqn_in(char (*list)[NVME_NQN_FIELD], int nr, const char *nqn)
{
	int i;

	for (i = 0; i < nr; i++)
		if (strcmp(list[i], nqn) == 0)
			return true;
	return false;
}

static int load_hosts(struct cfg_ctx *c, json_object *root,
		      struct nvmf_cfg *cfg)
{
	char w[NVMF_CFG_WHERE_LEN];
	json_object *arr, *h;
	size_t i, n;
	int ret;

	ret = get_member(c, "(top level)", root, "hosts", json_type_array,
			 &arr);
	if (ret || !arr)
		return ret;
	n = json_object_array_length(arr);
	cfg->hosts = calloc(n ? n : 1, NVME_NQN_FIELD);
	if (!cfg->hosts)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		h = json_object_array_get_idx(arr, i);
		where_fmt(w, sizeof(w), "hosts[%zu]", i);
		if (!json_object_is_type(h, json_type_object))
			return cfg_error(c, w, "must be an object, not %s",
					 type_name(h));
		ret = get_str(c, w, h, "nqn", cfg->hosts[i], NVME_NQN_FIELD,
			      true);
		if (ret)
			return ret;
		ret = check_nqn(c, w, cfg->hosts[i]);
		if (ret)
			return ret;
		if (nqn_in(cfg->hosts, (int)i, cfg->hosts[i]))
			return cfg_error(c, w, "duplicate host '%s'",
					 cfg->hosts[i]);
		cfg->nr_hosts = (int)i + 1;
	}
	return 0;
}

static int parse_version(struct cfg_ctx *c, const char *where, const char *s,
			 uint32_t *out)
{
	unsigned int maj, min, ter = 0;
	char extra;

	if (sscanf(s, "%u.%u.%u%c", &maj, &min, &ter, &extra) != 3 &&
	    sscanf(s, "%u.%u%c", &maj, &min, &extra) != 2)
		return cfg_error(c, where, "attr.version: '%s' is not X.Y[.Z]",
				 s);
	if (maj > 0xffff || min > 0xff || ter > 0xff)
		return cfg_error(c, where, "attr.version: '%s' out of range",
				 s);
	*out = maj << 16 | min << 8 | ter;
	return 0;
}

static int load_subsys_attr(struct cfg_ctx *c, struct nvmf_cfg_subsys *s,
			    json_object *attr)
{
	char w[NVMF_CFG_WHERE_LEN + 8], ver[32];
	long long v;
	size_t i;
	int ret;

	where_fmt(w, sizeof(w), "%s.attr", s->where);
	ret = get_int(c, w, attr, "allow_any_host", 0, 1, false, &v);
	if (ret < 0)
		return ret;
	s->allow_any_host = ret == 0 && v;
	ret = get_str(c, w, attr, "serial", s->serial, sizeof(s->serial),
		      false);
	if (ret < 0)
		return ret;
	for (i = 0; s->serial[i]; i++)
		if (s->serial[i] < 0x20 || s->serial[i] > 0x7e)
			return cfg_error(c, w,
					 "serial: non-printable character");
	ret = get_str(c, w, attr, "model", s->model, sizeof(s->model), false);
	if (ret < 0)
		return ret;
	ret = get_str(c, w, attr, "version", ver, sizeof(ver), false);
	if (ret < 0)
		return ret;
	if (ret == 0) {
		ret = parse_version(c, w, ver, &s->version);
		if (ret)
			return ret;
	}
	ret = get_int(c, w, attr, "cntlid_min", NVMF_CNTLID_MIN,
		      NVMF_CNTLID_MAX, false, &v);
	if (ret < 0)
		return ret;
	if (ret == 0)
		s->cntlid_min = (uint16_t)v;
	ret = get_int(c, w, attr, "cntlid_max", NVMF_CNTLID_MIN,
		      NVMF_CNTLID_MAX, false, &v);
	if (ret < 0)
		return ret;
	if (ret == 0)
		s->cntlid_max = (uint16_t)v;
	if (s->cntlid_min > s->cntlid_max)
		return cfg_error(c, w, "cntlid_min %u is above cntlid_max %u",
				 s->cntlid_min, s->cntlid_max);
	return 0;
}

static int load_uuid(struct cfg_ctx *c, const char *where, json_object *dev,
		     const char *key, uint8_t out[16], bool *has)
{
	char s[64];
	int ret;

	ret = get_str(c, where, dev, key, s, sizeof(s), false);
	if (ret < 0)
		return ret;
	if (ret == 1 || !s[0])
		return 0;
	if (nvmf_uuid_parse(s, out))
		return cfg_error(c, where, "%s: '%s' is not a UUID", key, s);
	*has = true;
	return 0;
}

static int load_ns(struct cfg_ctx *c, struct nvmf_cfg_subsys *s, size_t idx,
		   json_object *o)
{
	struct nvmf_cfg_ns *ns = &s->ns[idx];
	char w[NVMF_CFG_WHERE_LEN + 8], path[PATH_MAX];
	json_object *dev;
	long long v;
	int i, ret;

	where_fmt(ns->where, sizeof(ns->where), "%s.namespaces[%zu]", s->where,
		  idx);
	if (!json_object_is_type(o, json_type_object))
		return cfg_error(c, ns->where, "must be an object, not %s",
				 type_name(o));
	ret = get_int(c, ns->where, o, "nsid", 1, 0xfffffffeLL, true, &v);
	if (ret)
		return ret;
	ns->nsid = (uint32_t)v;
	for (i = 0; i < (int)idx; i++)
		if (s->ns[i].nsid == ns->nsid)
			return cfg_error(c, ns->where, "duplicate nsid %u",
					 ns->nsid);
	ret = get_int(c, ns->where, o, "enable", 0, 1, false, &v);
	if (ret < 0)
		return ret;
	ns->enable = ret == 1 || v;
	ret = get_member(c, ns->where, o, "device", json_type_object, &dev);
	if (ret)
		return ret;
	where_fmt(w, sizeof(w), "%s.device", ns->where);
	path[0] = '\0';
	if (dev) {
		ret = get_str(c, w, dev, "path", path, sizeof(path), false);
		if (ret < 0)
			return ret;
		ret = load_uuid(c, w, dev, "uuid", ns->uuid, &ns->has_uuid);
		if (ret)
			return ret;
		ret = load_uuid(c, w, dev, "nguid", ns->nguid, &ns->has_nguid);
		if (ret)
			return ret;
	}
	if (ns->enable && !path[0])
		return cfg_error(c, w, "an enabled namespace needs 'path'");
	ns->path = strdup(path);
	if (!ns->path)
		return -ENOMEM;
	ret = get_int(c, ns->where, o, "buffered_io", 0, 1, false, &v);
	if (ret < 0)
		return ret;
	ns->buffered_io = ret == 0 && v;
	return 0;
}

static int load_one_subsys(struct cfg_ctx *c, struct nvmf_cfg *cfg, size_t idx,
			   json_object *o)
{
	struct nvmf_cfg_subsys *s = &cfg->subsys[idx];
	char w[NVMF_CFG_WHERE_LEN + 32];
	json_object *attr, *arr;
	size_t i, n;
	int ret;

	where_fmt(s->where, sizeof(s->where), "subsystems[%zu]", idx);
	s->cntlid_min = NVMF_CNTLID_MIN;
	s->cntlid_max = NVMF_CNTLID_MAX;
	s->version = NVMF_DEFAULT_VERSION;
	if (!json_object_is_type(o, json_type_object))
		return cfg_error(c, s->where, "must be an object, not %s",
				 type_name(o));
	ret = get_str(c, s->where, o, "nqn", s->nqn, sizeof(s->nqn), true);
	if (ret)
		return ret;
	ret = check_nqn(c, s->where, s->nqn);
	if (ret)
		return ret;
	if (strcmp(s->nqn, NVME_DISC_NQN) == 0)
		return cfg_error(c, s->where, "'%s' is reserved for discovery",
				 s->nqn);
	for (i = 0; i < idx; i++)
		if (strcmp(cfg->subsys[i].nqn, s->nqn) == 0)
			return cfg_error(c, s->where,
					 "duplicate subsystem '%s'", s->nqn);
	ret = get_member(c, s->where, o, "attr", json_type_object, &attr);
	if (ret)
		return ret;
	if (attr) {
		ret = load_subsys_attr(c, s, attr);
		if (ret)
			return ret;
	}
	ret = get_member(c, s->where, o, "allowed_hosts", json_type_array,
			 &arr);
	if (ret)
		return ret;
	where_fmt(w, sizeof(w), "%s.allowed_hosts", s->where);
	ret = load_nqn_list(c, w, arr, &s->allowed_hosts, &s->nr_allowed_hosts);
	if (ret)
		return ret;
	for (i = 0; i < (size_t)s->nr_allowed_hosts; i++) {
		where_fmt(w, sizeof(w), "%s.allowed_hosts[%zu]", s->where, i);
		if (!nqn_in(cfg->hosts, cfg->nr_hosts, s->allowed_hosts[i]))
			return cfg_error(c, w, "'%s' is not listed in hosts",
					 s->allowed_hosts[i]);
	}
	ret = get_member(c, s->where, o, "namespaces", json_type_array, &arr);
	if (ret || !arr)
		return ret;
	n = json_object_array_length(arr);
	s->ns = calloc(n ? n : 1, sizeof(*s->ns));
	if (!s->ns)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		s->nr_ns = (int)i + 1;
		ret = load_ns(c, s, i, json_object_array_get_idx(arr, i));
		if (ret)
			return ret;
	}
	return 0;
}

static int load_subsystems(struct cfg_ctx *c, json_object *root,
			   struct nvmf_cfg *cfg)
{
	json_object *arr;
	size_t i, n;
	int ret;

	ret = get_member(c, "(top level)", root, "subsystems", json_type_array,
			 &arr);
	if (ret || !arr)
		return ret;
	n = json_object_array_length(arr);
	cfg->subsys = calloc(n ? n : 1, sizeof(*cfg->subsys));
	if (!cfg->subsys)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		cfg->nr_subsys = (int)i + 1;
		ret = load_one_subsys(c, cfg, i,
				      json_object_array_get_idx(arr, i));
		if (ret)
			return ret;
	}
	return 0;
}

static int load_port_addr(struct cfg_ctx *c, struct nvmf_cfg_port *p,
			  json_object *addr)
{
	char w[NVMF_CFG_WHERE_LEN + 8], s[64];
	unsigned char buf[sizeof(struct in6_addr)];
	long long v;
	int ret;

	where_fmt(w, sizeof(w), "%s.addr", p->where);
	ret = get_str(c, w, addr, "trtype", s, sizeof(s), true);
	if (ret)
		return ret;
	if (nvmf_trtype_parse(s, &p->trtype) ||
	    (p->trtype != NVMF_TRTYPE_RDMA && p->trtype != NVMF_TRTYPE_TCP))
		return cfg_error(c, w,
				 "trtype '%s' is not supported (rdma, tcp)", s);
	ret = get_str(c, w, addr, "adrfam", s, sizeof(s), true);
	if (ret)
		return ret;
	if (nvmf_adrfam_ip_af(s) == AF_UNSPEC)
		return cfg_error(c, w, "adrfam '%s' is not ipv4 or ipv6", s);
	nvmf_adrfam_parse(s, &p->adrfam);
	ret = get_str(c, w, addr, "traddr", p->traddr, sizeof(p->traddr), true);
	if (ret)
		return ret;
	if (inet_pton(p->adrfam == NVMF_ADDR_FAMILY_IP4 ? AF_INET : AF_INET6,
		      p->traddr, buf) != 1)
		return cfg_error(
			c, w, "traddr '%s' is not an %s address", p->traddr,
			p->adrfam == NVMF_ADDR_FAMILY_IP4 ? "IPv4" : "IPv6");
	ret = get_int(c, w, addr, "trsvcid", 1, 65535, true, &v);
	if (ret)
		return ret;
	snprintf(p->trsvcid, sizeof(p->trsvcid), "%lld", v);
	return 0;
}

static int load_port_param(struct cfg_ctx *c, struct nvmf_cfg_port *p,
			   json_object *param)
{
	char w[NVMF_CFG_WHERE_LEN + 8];
	long long v;
	int ret;

	where_fmt(w, sizeof(w), "%s.param", p->where);
	/* -1 (as the kernel shows it) means the transport default */
	ret = get_int(c, w, param, "inline_data_size", -1, NVMF_MAX_INLINE_DATA,
		      false, &v);
	if (ret < 0)
		return ret;
	if (ret == 0 && v >= 0)
		p->inline_data_size = (uint32_t)v;
	ret = get_int(c, w, param, "max_queue_size", -1, NVMF_MAX_QUEUE_SIZE,
		      false, &v);
	if (ret < 0)
		return ret;
	if (ret == 0 && v >= 0) {
		if (v < NVMF_MIN_QUEUE_SIZE)
			return cfg_error(
				c, w, "'max_queue_size': %lld is not in %d..%d",
				v, NVMF_MIN_QUEUE_SIZE, NVMF_MAX_QUEUE_SIZE);
		p->max_queue_size = (uint32_t)v;
	}
	return 0;
}

static int load_one_port(struct cfg_ctx *c, struct nvmf_cfg *cfg, size_t idx,
			 json_object *o)
{
	struct nvmf_cfg_port *p = &cfg->ports[idx];
	char w[NVMF_CFG_WHERE_LEN + 32];
	json_object *addr, *param, *arr;
	long long v;
	int i, ret;

	where_fmt(p->where, sizeof(p->where), "ports[%zu]", idx);
	p->inline_data_size = NVMF_DEFAULT_INLINE_DATA;
	p->max_queue_size = NVMF_DEFAULT_QUEUE_SIZE;
	if (!json_object_is_type(o, json_type_object))
		return cfg_error(c, p->where, "must be an object, not %s",
				 type_name(o));
	ret = get_int(c, p->where, o, "portid", 0, 65535, true, &v);
	if (ret)
		return ret;
	p->portid = (uint16_t)v;
	for (i = 0; i < (int)idx; i++)
		if (cfg->ports[i].portid == p->portid)
			return cfg_error(c, p->where, "duplicate portid %u",
					 p->portid);
	ret = get_member(c, p->where, o, "addr", json_type_object, &addr);
	if (ret)
		return ret;
	if (!addr)
		return cfg_error(c, p->where, "missing 'addr'");
	ret = load_port_addr(c, p, addr);
	if (ret)
		return ret;
	ret = get_member(c, p->where, o, "param", json_type_object, &param);
	if (ret)
		return ret;
	if (param) {
		ret = load_port_param(c, p, param);
		if (ret)
			return ret;
	}
	ret = get_member(c, p->where, o, "subsystems", json_type_array, &arr);
	if (ret)
		return ret;
	where_fmt(w, sizeof(w), "%s.subsystems", p->where);
	ret = load_nqn_list(c, w, arr, &p->subsystems, &p->nr_subsystems);
	if (ret)
		return ret;
	for (i = 0; i < p->nr_subsystems; i++) {
		where_fmt(w, sizeof(w), "%s.subsystems[%d]", p->where, i);
		if (!nvmf_cfg_find_subsys(cfg, p->subsystems[i]))
			return cfg_error(c, w, "no subsystem '%s'",
					 p->subsystems[i]);
		if (nqn_in(p->subsystems, i, p->subsystems[i]))
			return cfg_error(c, w, "'%s' linked twice",
					 p->subsystems[i]);
	}
	return 0;
}

static int load_ports(struct cfg_ctx *c, json_object *root,
		      struct nvmf_cfg *cfg)
{
	json_object *arr;
	size_t i, n;
	int ret;

	ret = get_member(c, "(top level)", root, "ports", json_type_array,
			 &arr);
	if (ret || !arr)
		return ret;
	n = json_object_array_length(arr);
	cfg->ports = calloc(n ? n : 1, sizeof(*cfg->ports));
	if (!cfg->ports)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		cfg->nr_ports = (int)i + 1;
		ret = load_one_port(c, cfg, i,
				    json_object_array_get_idx(arr, i));
		if (ret)
			return ret;
	}
	return 0;
}

/* Turn a json-c parse error offset into "name:LINE:COL: message". */
static int syntax_error(struct cfg_ctx *c, const char *text, size_t off,
			const char *name, const char *msg)
{
	size_t i, line = 1, col = 1;

	for (i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(c->err, c->errlen, "%s:%zu:%zu: JSON syntax error: %s", name,
		 line, col, msg);
	return -EINVAL;
}

static int parse_json(struct cfg_ctx *c, const char *text, const char *name,
		      json_object **root)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(text), end;
	enum json_tokener_error jerr;
	int ret = 0;

	if (!tok)
		return -ENOMEM;
	*root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		ret = syntax_error(c, text, len, name,
				   "unexpected end of file");
	} else if (jerr != json_tokener_success) {
		ret = syntax_error(c, text, end, name,
				   json_tokener_error_desc(jerr));
	} else {
		while (end < len && strchr(" \t\r\n", text[end]))
			end++;
		if (end < len)
			ret = syntax_error(
				c, text, end, name,
				"trailing characters after the document");
	}
	json_tokener_free(tok);
	if (ret && *root) {
		json_object_put(*root);
		*root = NULL;
	}
	return ret;
}

int nvmf_cfg_parse(const char *text, const char *name, struct nvmf_cfg **out,
		   char *err, size_t errlen)
{
	struct cfg_ctx c = { .err = err, .errlen = errlen };
	struct nvmf_cfg *cfg;
	json_object *root;
	int ret;

	err[0] = '\0';
	ret = parse_json(&c, text, name, &root);
	if (ret)
		return ret;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		ret = -ENOMEM;
		goto out_put;
	}
	if (!json_object_is_type(root, json_type_object)) {
		ret = cfg_error(&c, "(top level)", "must be an object, not %s",
				type_name(root));
		goto out_free;
	}
	ret = load_hosts(&c, root, cfg);
	if (!ret)
		ret = load_subsystems(&c, root, cfg);
	if (!ret)
		ret = load_ports(&c, root, cfg);
	if (ret)
		goto out_free;
	json_object_put(root);
	*out = cfg;
	return 0;

out_free:
	if (ret == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
	nvmf_cfg_free(cfg);
out_put:
	json_object_put(root);
	return ret;
}

/* Read a whole file.  Return: 0 and *text (malloc'd), or -errno with err. */
static int read_text(const char *path, char **text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	size_t size = 0;
	ssize_t n;
	int ret;

	*text = NULL;
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	n = getdelim(text, &size, '\0', f);
	if (n < 0 && ferror(f)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		free(*text);
		*text = NULL;
		return ret;
	}
	fclose(f);
	if (n < 0 || !*text) {
		free(*text);
		*text = NULL;
		snprintf(err, errlen, "%s: empty file", path);
		return -EINVAL;
	}
	return 0;
}

int nvmf_cfg_load(const char *path, struct nvmf_cfg **cfg, char *err,
		  size_t errlen)
{
	char *text;
	int ret = read_text(path, &text, err, errlen);

	if (ret)
		return ret;
	ret = nvmf_cfg_parse(text, path, cfg, err, errlen);
	free(text);
	return ret;
}

int nvmf_json_load(const char *path, json_object **root, char *err,
		   size_t errlen)
{
	struct cfg_ctx c = { .err = err, .errlen = errlen };
	char *text;
	int ret = read_text(path, &text, err, errlen);

	if (ret)
		return ret;
	ret = parse_json(&c, text, path, root);
	free(text);
	return ret;
}

void nvmf_cfg_free(struct nvmf_cfg *cfg)
{
	int i, j;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nr_subsys; i++) {
		for (j = 0; j < cfg->subsys[i].nr_ns; j++)
			free(cfg->subsys[i].ns[j].path);
		free(cfg->subsys[i].ns);
		free(cfg->subsys[i].allowed_hosts);
	}
	for (i = 0; i < cfg->nr_ports; i++)
		free(cfg->ports[i].subsystems);
	free(cfg->subsys);
	free(cfg->ports);
	free(cfg->hosts);
	free(cfg);
}

struct nvmf_cfg_subsys *nvmf_cfg_find_subsys(const struct nvmf_cfg *cfg,
					     const char *nqn)
{
	int i;

	for (i = 0; i < cfg->nr_subsys; i++)
		if (strcmp(cfg->subsys[i].nqn, nqn) == 0)
			return &cfg->subsys[i];
	return NULL;
}

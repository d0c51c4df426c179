// SPDX-License-Identifier: GPL-2.0
/*
 * nvmetcli in C: ls, save, restore and clear of an nvmet configfs tree
 * (the kernel's /sys/kernel/config/nvmet, or nvmf-tgt's), with the JSON
 * of upstream nvmetcli: sorted keys, indent 2; attribute values are
 * strings, portid, nsid, enable, grpid and ana_grpid numbers.
 *
 * The tree is handled generically, as upstream does: an object's
 * attributes are its writable files GROUP_NAME, saved as
 * "GROUP": {"NAME": "value"} (groups: attr of subsystems, device of
 * namespaces, addr and param of ports and referrals, ana of namespaces
 * and ANA groups,
 * dhchap of hosts).  It also works on a plain directory (used by the unit
 * tests): missing default directories are created.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "args.h"
#include "config.h"
#include "util.h"

#define DEFAULT_ROOT "/sys/kernel/config/nvmet"
#define DEFAULT_FILE "/etc/nvmet/config.json"
#define PATH_LEN     4096

/* statfs f_type of configfs and of FUSE (nvmf-tgt's tree) */
#define CONFIGFS_MAGIC	 0x62656570
#define FUSE_SUPER_MAGIC 0x65735546

static const char *root = DEFAULT_ROOT;
static int restore_failed;
/* save: the first directory or attribute that could not be read */
static int walk_err;
static char walk_err_path[PATH_LEN];
/* restore: attributes are created only in a plain directory tree */
static bool plain_tree;

/* ---- files ------------------------------------------------------------------- */

static void pathf(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_LEN, fmt, ap);
	va_end(ap);
}

/* Read a small attribute file, without the trailing newline. */
static int read_attr(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/*
 * Write an attribute.  On configfs and nvmf-tgt's tree an attribute that
 * does not exist is unknown (ENOENT), as upstream nvmetcli refuses it; only
 * a plain directory tree (tests, staging) gets the file created.
 */
static int write_attr(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | (plain_tree ? O_CREAT : 0),
		      0644);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	if (!err && ftruncate(fd, n) && errno != EINVAL && errno != EPERM)
		err = 0; /* configfs attributes cannot be truncated: fine */
	close(fd);
	return err;
}

static int cmp_names(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	char *ex, *ey;
	long nx = strtol(x, &ex, 10), ny = strtol(y, &ey, 10);

	if (!*ex && !*ey && *x && *y) /* numeric names: portid, nsid */
		return nx < ny ? -1 : nx > ny;
	return strcmp(x, y);
}

/* d_type, or from lstat() where the file system does not give it. */
static int entry_type(const char *dir, const struct dirent *e)
{
	char path[PATH_MAX];
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type;
	snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
	if (lstat(path, &st))
		return DT_UNKNOWN;
	return S_ISDIR(st.st_mode) ? DT_DIR :
	       S_ISLNK(st.st_mode) ? DT_LNK :
				     DT_REG;
}

/* Remember the first failure of a walk (save must not write half a tree). */
static void walk_failed(const char *path, int err)
{
	if (walk_err)
		return;
	walk_err = err;
	snprintf(walk_err_path, sizeof(walk_err_path), "%s", path);
}

/*
 * Entries of dir (without . and ..), sorted; want: DT_DIR, DT_LNK or 0.
 * A directory that does not exist has none (optional groups); any other
 * failure is remembered in walk_err.
 */
static int list_dir(const char *dir, int want, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, **tmp;
	int n = 0;

	*out = NULL;
	if (!d) {
		if (errno != ENOENT)
			walk_failed(dir, -errno);
		return 0;
	}
	errno = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (want && entry_type(dir, e) != want))
			continue;
		tmp = realloc(names, sizeof(*names) * (size_t)(n + 1));
		if (!tmp || !(tmp[n] = strdup(e->d_name))) {
			names = tmp ? tmp : names;
			walk_failed(dir, -ENOMEM);
			break;
		}
		names = tmp;
		n++;
		errno = 0;
	}
	if (errno)
		walk_failed(dir, -errno);
	closedir(d);
	if (n)
		qsort(names, (size_t)n, sizeof(*names), cmp_names);
	*out = names;
	return n;
}

static void free_names(char **names, int n)
{
	while (n--)
		free(names[n]);
	free(names);
}

/* ---- save -------------------------------------------------------------------- */

/* "GROUP": {NAME: value} of the writable GROUP_* files in dir, if any. */
static void dump_group(struct json_object *o, const char *dir,
		       const char *group)
{
	struct json_object *g = json_object_new_object();
	size_t len = strlen(group);
	char path[PATH_LEN], val[4096];
	struct stat st;
	char **names;
	int i, err, n = list_dir(dir, 0, &names);

	for (i = 0; i < n; i++) {
		if (strncmp(names[i], group, len) || names[i][len] != '_')
			continue;
		pathf(path, "%s/%s", dir, names[i]);
		if (stat(path, &st) || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & S_IWUSR))
			continue;
		err = read_attr(path, val, sizeof(val));
		if (err) {
			walk_failed(path, err);
			continue;
		}
		json_object_object_add(g, names[i] + len + 1,
				       json_object_new_string(val));
	}
	free_names(names, n);
	if (json_object_object_length(g))
		json_object_object_add(o, group, g);
	else
		json_object_put(g);
}

static void dump_int_attr(struct json_object *o, const char *key,
			  const char *path)
{
	char val[64];

	if (!read_attr(path, val, sizeof(val)))
		json_object_object_add(o, key, json_object_new_int(atoi(val)));
}

static struct json_object *dump_names(const char *dir, int type)
{
	struct json_object *a = json_object_new_array();
	char **names;
	int i, n = list_dir(dir, type, &names);

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(names[i]));
	free_names(names, n);
	return a;
}

static struct json_object *dump_namespace(const char *dir, const char *nsid)
{
	struct json_object *o = json_object_new_object();
	char path[PATH_LEN];

	dump_group(o, dir, "device");
	dump_group(o, dir, "ana");
	json_object_object_add(o, "nsid", json_object_new_int(atoi(nsid)));
	pathf(path, "%s/enable", dir);
	dump_int_attr(o, "enable", path);
	pathf(path, "%s/ana_grpid", dir);
	dump_int_attr(o, "ana_grpid", path);
	return o;
}

static struct json_object *dump_subsystem(const char *dir, const char *nqn)
{
	struct json_object *o = json_object_new_object(), *nss;
	char path[PATH_LEN], sub[PATH_LEN];
	char **names;
	int i, n;

	dump_group(o, dir, "attr");
	json_object_object_add(o, "nqn", json_object_new_string(nqn));
	pathf(path, "%s/allowed_hosts", dir);
	json_object_object_add(o, "allowed_hosts", dump_names(path, DT_LNK));
	nss = json_object_new_array();
	pathf(path, "%s/namespaces", dir);
	n = list_dir(path, DT_DIR, &names);
	for (i = 0; i < n; i++) {
		pathf(sub, "%s/%s", path, names[i]);
		json_object_array_add(nss, dump_namespace(sub, names[i]));
	}
	free_names(names, n);
	json_object_object_add(o, "namespaces", nss);
	return o;
}

static struct json_object *dump_port(const char *dir, const char *id)
{
	struct json_object *o = json_object_new_object(), *arr, *r;
	char path[PATH_LEN], sub[PATH_LEN];
	char **names;
	int i, n;

	dump_group(o, dir, "addr");
	dump_group(o, dir, "param");
	json_object_object_add(o, "portid", json_object_new_int(atoi(id)));
	pathf(path, "%s/subsystems", dir);
	json_object_object_add(o, "subsystems", dump_names(path, DT_LNK));
	arr = json_object_new_array();
	pathf(path, "%s/referrals", dir);
	n = list_dir(path, DT_DIR, &names);
	for (i = 0; i < n; i++) {
		r = json_object_new_object();
		pathf(sub, "%s/%s", path, names[i]);
		dump_group(r, sub, "addr");
		json_object_object_add(r, "name",
				       json_object_new_string(names[i]));
		json_object_array_add(arr, r);
	}
	free_names(names, n);
	json_object_object_add(o, "referrals", arr);
	arr = json_object_new_array();
	pathf(path, "%s/ana_groups", dir);
	n = list_dir(path, DT_DIR, &names);
	for (i = 0; i < n; i++) {
		r = json_object_new_object();
		pathf(sub, "%s/%s", path, names[i]);
		dump_group(r, sub, "ana");
		json_object_object_add(r, "grpid",
				       json_object_new_int(atoi(names[i])));
		json_object_array_add(arr, r);
	}
	free_names(names, n);
	if (n)
		json_object_object_add(o, "ana_groups", arr);
	else
		json_object_put(arr);
	return o;
}

static struct json_object *dump_all(const char *kind,
				    struct json_object *(*fn)(const char *,
							      const char *))
{
	struct json_object *arr = json_object_new_array();
	char path[PATH_LEN], sub[PATH_LEN];
	char **names;
	int i, n;

	pathf(path, "%s/%s", root, kind);
	n = list_dir(path, DT_DIR, &names);
	for (i = 0; i < n; i++) {
		pathf(sub, "%s/%s", path, names[i]);
		json_object_array_add(arr, fn(sub, names[i]));
	}
	free_names(names, n);
	return arr;
}

static struct json_object *dump_host(const char *dir, const char *nqn)
{
	struct json_object *o = json_object_new_object();

	dump_group(o, dir, "dhchap");
	json_object_object_add(o, "nqn", json_object_new_string(nqn));
	return o;
}

struct json_object *nvmetcli_dump(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "hosts", dump_all("hosts", dump_host));
	json_object_object_add(o, "ports", dump_all("ports", dump_port));
	json_object_object_add(o, "subsystems",
			       dump_all("subsystems", dump_subsystem));
	return o;
}

/* ---- JSON text as Python's json.dump(sort_keys=True, indent=2) ---------------- */

/* Decode one UTF-8 sequence at p; Return: its length (1 for a bad byte). */
static int utf8_decode(const unsigned char *p, unsigned int *cp)
{
	int len = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1;
	int i;

	*cp = len == 1 ? *p : *p & (0xff >> (len + 1));
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*cp = *p; /* not UTF-8: the byte itself */
			return 1;
		}
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	return len;
}

/* A string as Python's json.dump (ensure_ascii) writes it. */
static void put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int cp;

	fputc('"', f);
	while (*p) {
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
			continue;
		}
		if (*p >= 0x20 && *p < 0x7f) {
			fputc(*p++, f);
			continue;
		}
		p += utf8_decode(p, &cp);
		if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (cp > 0xffff)
			fprintf(f, "\\u%04x\\u%04x",
				0xd800 + ((cp - 0x10000) >> 10),
				0xdc00 + ((cp - 0x10000) & 0x3ff));
		else
			fprintf(f, "\\u%04x", cp);
	}
	fputc('"', f);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_json(FILE *f, struct json_object *o, int depth)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		const char **keys;

		n = (size_t)json_object_object_length(o);
		if (!n) {
			fputs("{}", f);
			return;
		}
		keys = calloc(n, sizeof(*keys));
		i = 0;
		json_object_object_foreach(o, k, v) {
			(void)v;
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(*keys), cmp_keys);
		fputs("{\n", f);
		for (i = 0; i < n; i++) {
			fprintf(f, "%*s", (depth + 1) * 2, "");
			put_string(f, keys[i]);
			fputs(": ", f);
			put_json(f, json_object_object_get(o, keys[i]),
				 depth + 1);
			fputs(i + 1 < n ? ",\n" : "\n", f);
		}
		fprintf(f, "%*s}", depth * 2, "");
		free(keys);
		return;
	}
	case json_type_array:
		n = json_object_array_length(o);
		if (!n) {
			fputs("[]", f);
			return;
		}
		fputs("[\n", f);
		for (i = 0; i < n; i++) {
			fprintf(f, "%*s", (depth + 1) * 2, "");
			put_json(f, json_object_array_get_idx(o, i), depth + 1);
			fputs(i + 1 < n ? ",\n" : "\n", f);
		}
		fprintf(f, "%*s]", depth * 2, "");
		return;
	case json_type_string:
		put_string(f, json_object_get_string(o));
		return;
	case json_type_int:
		fprintf(f, "%lld", (long long)json_object_get_int64(o));
		return;
	case json_type_boolean:
		fputs(json_object_get_boolean(o) ? "true" : "false", f);
		return;
	case json_type_null:
		fputs("null", f);
		return;
	default:
		fputs(json_object_to_json_string(o), f);
	}
}

/* Write atomically: temp file, fsync, rename, fsync of the directory. */
static int save_file(struct json_object *o, const char *file)
{
	char tmp[PATH_LEN], dir[PATH_LEN], *slash;
	FILE *f;
	int fd, err = 0;

	if (!strcmp(file, "-")) {
		put_json(stdout, o, 0);
		fputc('\n', stdout);
		return 0;
	}
	pathf(tmp, "%s.tmp.%d", file, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	put_json(f, o, 0);
	fputc('\n', f);
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, file))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* ---- restore ------------------------------------------------------------------- */

static void item_failed(const char *where, const char *what, int err)
{
	fprintf(stderr, "nvmetcli: restore: %s: %s: %s\n", where, what,
		strerror(-err));
	restore_failed++;
}

/*
 * A name from the document becomes a path component under --root: it must
 * not leave its directory.  Return: true if it is fine, else reports it.
 */
static bool name_ok(const char *where, const char *name)
{
	if (*name && !strchr(name, '/') && strcmp(name, ".") &&
	    strcmp(name, ".."))
		return true;
	fprintf(stderr,
		"nvmetcli: restore: %s: '%.200s' is not a valid name "
		"(empty, '.', '..' or with a '/')\n",
		where, name);
	restore_failed++;
	return false;
}

static int mkdir_ok(const char *path)
{
	return mkdir(path, 0755) && errno != EEXIST ? -errno : 0;
}

/* Type-checked access: NULL (and a reported error) when wrong. */
static struct json_object *get(struct json_object *o, const char *key,
			       enum json_type type, const char *where,
			       bool required)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v) {
		if (required) {
			fprintf(stderr, "nvmetcli: restore: %s.%s: missing\n",
				where, key);
			restore_failed++;
		}
		return NULL;
	}
	if (!json_object_is_type(v, type)) {
		fprintf(stderr,
			"nvmetcli: restore: %s.%s: expected %s, got %s\n",
			where, key, json_type_to_name(type),
			json_type_to_name(json_object_get_type(v)));
		restore_failed++;
		return NULL;
	}
	return v;
}

static void set_group(const char *dir, struct json_object *o, const char *group,
		      const char *where)
{
	struct json_object *g = get(o, group, json_type_object, where, false);
	char path[PATH_LEN], w[512];
	int err;

	if (!g)
		return;
	json_object_object_foreach(g, k, v) {
		snprintf(w, sizeof(w), "%s.%s.%s", where, group, k);
		if (!json_object_is_type(v, json_type_string)) {
			fprintf(stderr,
				"nvmetcli: restore: %s: expected string"
				", got %s\n",
				w, json_type_to_name(json_object_get_type(v)));
			restore_failed++;
			continue;
		}
		if (!name_ok(w, k))
			continue;
		pathf(path, "%s/%s_%s", dir, group, k);
		err = write_attr(path, json_object_get_string(v));
		if (err)
			item_failed(w, json_object_get_string(v), err);
	}
}

static void restore_namespace(const char *sdir, struct json_object *ns,
			      const char *where)
{
	struct json_object *nsid = get(ns, "nsid", json_type_int, where, true);
	struct json_object *en = get(ns, "enable", json_type_int, where, false);
	struct json_object *ana =
		get(ns, "ana_grpid", json_type_int, where, false);
	char dir[PATH_LEN], path[PATH_LEN], val[32];
	int err;

	if (!nsid)
		return;
	pathf(dir, "%s/namespaces/%d", sdir, json_object_get_int(nsid));
	err = mkdir_ok(dir);
	if (err) {
		item_failed(where, "mkdir", err);
		return;
	}
	set_group(dir, ns, "device", where);
	set_group(dir, ns, "ana", where);
	if (ana) {
		snprintf(val, sizeof(val), "%d", json_object_get_int(ana));
		pathf(path, "%s/ana_grpid", dir);
		err = write_attr(path, val);
		if (err)
			item_failed(where, "ana_grpid", err);
	}
	if (en) {
		snprintf(val, sizeof(val), "%d", json_object_get_int(en));
		pathf(path, "%s/enable", dir);
		err = write_attr(path, val);
		if (err)
			item_failed(where, "enable", err);
	}
}

/* Symlinks DIR/KEY/NAME -> ROOT/TARGET_KIND/NAME for each NAME of o[key]. */
static void link_names(const char *dir, struct json_object *o, const char *key,
		       const char *target_kind, const char *where)
{
	struct json_object *a = get(o, key, json_type_array, where, false);
	char kdir[PATH_LEN], path[PATH_LEN], target[PATH_LEN], w[512];
	const char *name;
	size_t i;
	int err;

	pathf(kdir, "%s/%s", dir, key);
	mkdir_ok(kdir); /* a default group on configfs; plain trees need it */
	for (i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *v = json_object_array_get_idx(a, i);

		if (!json_object_is_type(v, json_type_string)) {
			fprintf(stderr,
				"nvmetcli: restore: %s.%s[%zu]: "
				"expected a string\n",
				where, key, i);
			restore_failed++;
			continue;
		}
		name = json_object_get_string(v);
		snprintf(w, sizeof(w), "%s.%s[%zu] (%.200s)", where, key, i,
			 name);
		if (!name_ok(w, name))
			continue;
		pathf(path, "%s/%s", kdir, name);
		pathf(target, "%s/%s/%s", root, target_kind, name);
		err = symlink(target, path) ? -errno : 0;
		if (err && err != -EEXIST)
			item_failed(w, "link", err);
	}
}

static void restore_subsystem(struct json_object *s, const char *where)
{
	struct json_object *nqn = get(s, "nqn", json_type_string, where, true);
	struct json_object *nss =
		get(s, "namespaces", json_type_array, where, false);
	char dir[PATH_LEN], sub[PATH_LEN], w[512];
	size_t i;
	int err;

	if (!nqn || !name_ok(where, json_object_get_string(nqn)))
		return;
	pathf(dir, "%s/subsystems/%s", root, json_object_get_string(nqn));
	err = mkdir_ok(dir);
	if (err) {
		item_failed(where, json_object_get_string(nqn), err);
		return;
	}
	pathf(sub, "%s/namespaces", dir);
	mkdir_ok(sub);
	for (i = 0; nss && i < json_object_array_length(nss); i++) {
		snprintf(w, sizeof(w), "%s.namespaces[%zu]", where, i);
		restore_namespace(dir, json_object_array_get_idx(nss, i), w);
	}
	link_names(dir, s, "allowed_hosts", "hosts", where);
	set_group(dir, s, "attr", where);
}

static void restore_port(struct json_object *p, const char *where)
{
	struct json_object *id = get(p, "portid", json_type_int, where, true);
	struct json_object *refs =
		get(p, "referrals", json_type_array, where, false);
	struct json_object *ana =
		get(p, "ana_groups", json_type_array, where, false);
	char dir[PATH_LEN], sub[PATH_LEN], w[512];
	size_t i;
	int err;

	if (!id)
		return;
	pathf(dir, "%s/ports/%d", root, json_object_get_int(id));
	err = mkdir_ok(dir);
	if (err) {
		item_failed(where, "mkdir", err);
		return;
	}
	set_group(dir, p, "addr", where);
	set_group(dir, p, "param", where);
	link_names(dir, p, "subsystems", "subsystems", where);
	for (i = 0; ana && i < json_object_array_length(ana); i++) {
		struct json_object *g = json_object_array_get_idx(ana, i);
		struct json_object *gid;

		snprintf(w, sizeof(w), "%s.ana_groups[%zu]", where, i);
		gid = get(g, "grpid", json_type_int, w, true);
		if (!gid)
			continue;
		pathf(sub, "%s/ana_groups", dir);
		mkdir_ok(sub);
		pathf(sub, "%s/ana_groups/%d", dir, json_object_get_int(gid));
		err = mkdir_ok(sub);
		if (err) {
			item_failed(w, "mkdir", err);
			continue;
		}
		set_group(sub, g, "ana", w);
	}
	for (i = 0; refs && i < json_object_array_length(refs); i++) {
		struct json_object *r = json_object_array_get_idx(refs, i);
		struct json_object *name;

		snprintf(w, sizeof(w), "%s.referrals[%zu]", where, i);
		name = get(r, "name", json_type_string, w, true);
		if (!name || !name_ok(w, json_object_get_string(name)))
			continue;
		pathf(sub, "%s/referrals", dir);
		mkdir_ok(sub);
		pathf(sub, "%s/referrals/%s", dir,
		      json_object_get_string(name));
		err = mkdir_ok(sub);
		if (err) {
			item_failed(w, "mkdir", err);
			continue;
		}
		set_group(sub, r, "addr", w);
	}
}

static void restore_each(struct json_object *doc, const char *kind,
			 void (*fn)(struct json_object *, const char *))
{
	struct json_object *a = get(doc, kind, json_type_array, "(top)", false);
	char where[64], dir[PATH_LEN];
	size_t i;

	pathf(dir, "%s/%s", root, kind);
	mkdir_ok(dir);
	for (i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);

		snprintf(where, sizeof(where), "%s[%zu]", kind, i);
		if (!json_object_is_type(o, json_type_object)) {
			fprintf(stderr,
				"nvmetcli: restore: %s: expected an "
				"object\n",
				where);
			restore_failed++;
			continue;
		}
		fn(o, where);
	}
}

static void restore_host(struct json_object *h, const char *where)
{
	struct json_object *nqn = get(h, "nqn", json_type_string, where, true);
	char dir[PATH_LEN];
	int err;

	if (!nqn || !name_ok(where, json_object_get_string(nqn)))
		return;
	pathf(dir, "%s/hosts/%s", root, json_object_get_string(nqn));
	err = mkdir_ok(dir);
	if (err) {
		item_failed(where, json_object_get_string(nqn), err);
		return;
	}
	set_group(dir, h, "dhchap", where);
}

/* Return: the number of items that failed (0 = all restored). */
int nvmetcli_restore(struct json_object *doc)
{
	restore_failed = 0;
	if (!json_object_is_type(doc, json_type_object)) {
		fprintf(stderr, "nvmetcli: restore: the document is not a JSON "
				"object\n");
		return 1;
	}
	restore_each(doc, "hosts", restore_host);
	restore_each(doc, "subsystems", restore_subsystem);
	restore_each(doc, "ports", restore_port);
	return restore_failed;
}

/* ---- clear --------------------------------------------------------------------- */

/*
 * Remove a directory of the tree.  On configfs rmdir takes the default
 * groups and attributes with it; on a plain tree, remove them first.
 */
static int remove_item(const char *dir)
{
	char path[PATH_LEN];
	char **names;
	int i, n;

	if (!rmdir(dir) || errno == ENOENT)
		return 0;
	if (errno != ENOTEMPTY)
		return -errno;
	n = list_dir(dir, 0, &names);
	for (i = 0; i < n; i++) {
		pathf(path, "%s/%s", dir, names[i]);
		if (unlink(path) && (errno == EISDIR || errno == EPERM))
			remove_item(path);
	}
	free_names(names, n);
	return rmdir(dir) ? -errno : 0;
}

static void unlink_all(const char *dir)
{
	char path[PATH_LEN];
	char **names;
	int i, n = list_dir(dir, DT_LNK, &names);

	for (i = 0; i < n; i++) {
		pathf(path, "%s/%s", dir, names[i]);
		if (unlink(path))
			fprintf(stderr, "nvmetcli: clear: %s: %s\n", path,
				strerror(errno));
	}
	free_names(names, n);
}

static void remove_children(const char *dir, const char *skip)
{
	char path[PATH_LEN];
	char **names;
	int i, err, n = list_dir(dir, DT_DIR, &names);

	for (i = 0; i < n; i++) {
		if (skip && !strcmp(names[i], skip))
			continue;
		pathf(path, "%s/%s", dir, names[i]);
		err = remove_item(path);
		if (err)
			fprintf(stderr, "nvmetcli: clear: %s: %s\n", path,
				strerror(-err));
	}
	free_names(names, n);
}

static int clear_tree(void)
{
	char kind[PATH_LEN], dir[PATH_LEN], sub[PATH_LEN];
	char **names;
	int i, n;

	pathf(kind, "%s/ports", root);
	n = list_dir(kind, DT_DIR, &names);
	for (i = 0; i < n; i++) {
		pathf(dir, "%s/%s", kind, names[i]);
		pathf(sub, "%s/subsystems", dir);
		unlink_all(sub);
		pathf(sub, "%s/referrals", dir);
		remove_children(sub, NULL);
		pathf(sub, "%s/ana_groups", dir);
		remove_children(sub, "1");
		remove_children(dir, "subsystems"); /* plain trees */
	}
	free_names(names, n);
	remove_children(kind, NULL);
	pathf(kind, "%s/subsystems", root);
	n = list_dir(kind, DT_DIR, &names);
	for (i = 0; i < n; i++) {
		pathf(dir, "%s/%s/namespaces", kind, names[i]);
		{
			char **ns;
			int j, m = list_dir(dir, DT_DIR, &ns);

			for (j = 0; j < m; j++) {
				pathf(sub, "%s/%s/enable", dir, ns[j]);
				write_attr(sub, "0");
			}
			free_names(ns, m);
		}
		remove_children(dir, NULL);
		pathf(dir, "%s/%s/allowed_hosts", kind, names[i]);
		unlink_all(dir);
	}
	free_names(names, n);
	remove_children(kind, NULL);
	pathf(kind, "%s/hosts", root);
	remove_children(kind, NULL);
	return 0;
}

/* ---- ls -------------------------------------------------------------------------- */

static bool color;

static const char *paint(const char *state)
{
	if (!color)
		return "";
	return !strcmp(state, "live") || !strcmp(state, "bound") ? "\033[32m" :
								   "\033[31m";
}

static void ls_port(const char *dir, const char *id)
{
	char path[PATH_LEN], t[64] = "", a[256] = "", s[64] = "", st[64];
	char **subs;
	int i, n;

	pathf(path, "%s/addr_trtype", dir);
	read_attr(path, t, sizeof(t));
	pathf(path, "%s/addr_traddr", dir);
	read_attr(path, a, sizeof(a));
	pathf(path, "%s/addr_trsvcid", dir);
	read_attr(path, s, sizeof(s));
	pathf(path, "%s/subsystems", dir);
	n = list_dir(path, DT_LNK, &subs);
	/* nvmf-tgt's tree says; the kernel's: enabled iff linked */
	pathf(path, "%s/state", dir);
	if (read_attr(path, st, sizeof(st)))
		snprintf(st, sizeof(st), "%s", n ? "bound" : "unbound");
	printf("  | o- %s [%s %s:%s] %s%s%s\n", id, t, a, s, paint(st), st,
	       color ? "\033[0m" : "");
	for (i = 0; i < n; i++)
		printf("  |   o- %s\n", subs[i]);
	free_names(subs, n);
	/* referrals and ANA groups, as upstream shows them */
	pathf(path, "%s/referrals", dir);
	n = list_dir(path, DT_DIR, &subs);
	for (i = 0; i < n; i++) {
		char r[PATH_LEN], en[8] = "0";

		pathf(r, "%s/referrals/%s/addr_trtype", dir, subs[i]);
		read_attr(r, t, sizeof(t));
		pathf(r, "%s/referrals/%s/addr_traddr", dir, subs[i]);
		read_attr(r, a, sizeof(a));
		pathf(r, "%s/referrals/%s/addr_trsvcid", dir, subs[i]);
		read_attr(r, s, sizeof(s));
		pathf(r, "%s/referrals/%s/enable", dir, subs[i]);
		read_attr(r, en, sizeof(en));
		printf("  |   o- referral %s [%s %s:%s, %s]\n", subs[i], t, a,
		       s, en[0] == '1' ? "enabled" : "disabled");
	}
	free_names(subs, n);
	pathf(path, "%s/ana_groups", dir);
	n = list_dir(path, DT_DIR, &subs);
	for (i = 0; i < n; i++) {
		char g[PATH_LEN];

		pathf(g, "%s/ana_groups/%s/ana_state", dir, subs[i]);
		if (read_attr(g, st, sizeof(st)))
			snprintf(st, sizeof(st), "?");
		printf("  |   o- ana group %s [%s]\n", subs[i], st);
	}
	free_names(subs, n);
}

/* "[allow_any_host=1, version=1.3, serial=S, model=M]" of a subsystem. */
static void ls_subsys_attrs(const char *dir)
{
	static const char *const attrs[] = { "allow_any_host", "version",
					     "serial", "model" };
	char p[PATH_LEN], v[128];
	const char *sep = " [";
	size_t i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		pathf(p, "%s/attr_%s", dir, attrs[i]);
		v[0] = '\0';
		if (read_attr(p, v, sizeof(v)) || !v[0])
			continue;
		printf("%s%s=%s", sep, attrs[i], v);
		sep = ", ";
	}
	printf("%s\n", sep[0] == ',' ? "]" : "");
}

/* ls -o json: the saved form, and each port's state. */
static int ls_json(void)
{
	struct json_object *o = nvmetcli_dump(), *ports, *p, *id;
	char path[PATH_LEN], st[64];
	size_t i, n;
	int links;

	if (walk_err) {
		json_object_put(o);
		fprintf(stderr, "nvmetcli: ls: %s: %s\n", walk_err_path,
			strerror(-walk_err));
		return NVMF_EXIT_FAILURE;
	}
	ports = json_object_object_get(o, "ports");
	n = json_object_array_length(ports);
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(ports, i);
		if (!json_object_object_get_ex(p, "portid", &id))
			continue;
		pathf(path, "%s/ports/%d/state", root, json_object_get_int(id));
		if (read_attr(path, st, sizeof(st))) {
			links = (int)json_object_array_length(
				json_object_object_get(p, "subsystems"));
			snprintf(st, sizeof(st), "%s",
				 links ? "bound" : "unbound");
		}
		json_object_object_add(p, "state", json_object_new_string(st));
	}
	put_json(stdout, o, 0);
	fputc('\n', stdout);
	json_object_put(o);
	return NVMF_EXIT_OK;
}

static int ls_tree(void)
{
	char kind[PATH_LEN], dir[PATH_LEN], val[256];
	char **names, **ns;
	int i, j, n, m;

	printf("o- %s\n  o- hosts\n", root);
	pathf(kind, "%s/hosts", root);
	n = list_dir(kind, DT_DIR, &names);
	for (i = 0; i < n; i++)
		printf("  | o- %s\n", names[i]);
	free_names(names, n);
	printf("  o- ports\n");
	pathf(kind, "%s/ports", root);
	n = list_dir(kind, DT_DIR, &names);
	for (i = 0; i < n; i++) {
		pathf(dir, "%s/%s", kind, names[i]);
		ls_port(dir, names[i]);
	}
	free_names(names, n);
	printf("  o- subsystems\n");
	pathf(kind, "%s/subsystems", root);
	n = list_dir(kind, DT_DIR, &names);
	for (i = 0; i < n; i++) {
		printf("    o- %s", names[i]);
		pathf(dir, "%s/%s", kind, names[i]);
		ls_subsys_attrs(dir);
		pathf(dir, "%s/%s/allowed_hosts", kind, names[i]);
		m = list_dir(dir, DT_LNK, &ns);
		for (j = 0; j < m; j++)
			printf("      o- allowed host %s\n", ns[j]);
		free_names(ns, m);
		pathf(dir, "%s/%s/namespaces", kind, names[i]);
		m = list_dir(dir, DT_DIR, &ns);
		for (j = 0; j < m; j++) {
			char p[PATH_LEN], en[8] = "0";

			pathf(p, "%s/%s/device_path", dir, ns[j]);
			val[0] = '\0';
			read_attr(p, val, sizeof(val));
			pathf(p, "%s/%s/enable", dir, ns[j]);
			read_attr(p, en, sizeof(en));
			printf("      o- namespace %s [%s, %s]\n", ns[j], val,
			       en[0] == '1' ? "enabled" : "disabled");
		}
		free_names(ns, m);
	}
	free_names(names, n);
	return 0;
}

/* ---- main ------------------------------------------------------------------------ */

enum { OPT_ROOT = 256, OPT_NO_COLOR, OPT_NO_CLEAR };

static const struct nvmf_opt opts[] = {
	{ "root", OPT_ROOT, required_argument, "DIR",
	  "the nvmet tree (default " DEFAULT_ROOT ")" },
	{ "no-color", OPT_NO_COLOR, no_argument, NULL,
	  "no colors in ls, even on a terminal" },
	{ "output-format", 'o', required_argument, "FMT",
	  "ls: normal (a tree) or json (what save writes, each port with "
	  "its \"state\", for scripts)" },
	{ "no-clear", OPT_NO_CLEAR, no_argument, NULL,
	  "restore: add FILE to the existing configuration instead of "
	  "clearing it first" },
	NVMF_OPT_HELP,
	{ 0 },
};

static const struct nvmf_cmd cmd = {
	.prog = "nvmetcli",
	.synopsis =
		"[--root DIR] ls | save [FILE] | restore [--no-clear] [FILE] | clear",
	.summary =
		"Show, save, restore or clear an NVMe target configuration "
		"in configfs (the kernel's\nnvmet, or nvmf-tgt's tree). FILE "
		"defaults to " DEFAULT_FILE "; '-' is stdout.\nThe JSON is "
		"upstream nvmetcli's.",
	.opts = opts,
};

/*
 * As upstream's: the existing configuration is cleared first (unless
 * clear is false), but only once FILE was read and parsed, so a bad FILE
 * changes nothing.  A missing default FILE is not an error.
 */
static int do_restore(const char *file, bool is_default, bool clear)
{
	struct json_object *doc;
	struct statfs sfs;
	char err[512];
	int failed;

	plain_tree = !statfs(root, &sfs) && sfs.f_type != CONFIGFS_MAGIC &&
		     sfs.f_type != FUSE_SUPER_MAGIC;
	if (is_default && access(file, F_OK) && errno == ENOENT) {
		printf("No saved config file at %s, ok, exiting\n", file);
		return NVMF_EXIT_OK;
	}
	if (nvmf_json_load(file, &doc, err, sizeof(err))) {
		fprintf(stderr, "nvmetcli: restore: %s; nothing changed\n",
			err);
		return NVMF_EXIT_FAILURE;
	}
	if (clear)
		clear_tree();
	failed = nvmetcli_restore(doc);
	json_object_put(doc);
	if (failed)
		fprintf(stderr, "nvmetcli: restore: %d item(s) failed\n",
			failed);
	return failed ? NVMF_EXIT_FAILURE : NVMF_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct option longopts[NVMF_ARGS_MAX + 1];
	char shortopts[3 * NVMF_ARGS_MAX + 2];
	const char *verb, *file;
	static const char *const formats[] = { "normal", "json", NULL };
	bool no_color = false, no_clear = false, json = false;
	int fmt;
	struct stat st;
	int c, ret;

	if (nvmf_args_version("nvmetcli", argc, argv))
		return NVMF_EXIT_OK;
	nvmf_args_build(&cmd, longopts, shortopts);
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == OPT_ROOT) {
			root = optarg;
		} else if (c == OPT_NO_COLOR) {
			no_color = true;
		} else if (c == OPT_NO_CLEAR) {
			no_clear = true;
		} else if (c == 'o') {
			if (nvmf_parse_choice(&cmd, "output-format", optarg,
					      formats, &fmt))
				return NVMF_EXIT_USAGE;
			json = fmt == 1;
		} else if (c == 'h') {
			nvmf_args_usage(&cmd, stdout);
			return NVMF_EXIT_OK;
		} else {
			nvmf_args_error(&cmd, "%s '%s'",
					c == ':' ? "missing value for" :
						   "unknown option",
					argv[optind - 1]);
			return NVMF_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		nvmf_args_error(&cmd, "no command (ls, save, restore, clear)");
		return NVMF_EXIT_USAGE;
	}
	verb = argv[optind];
	file = optind + 1 < argc ? argv[optind + 1] : DEFAULT_FILE;
	if (optind + 2 < argc) {
		nvmf_args_error(&cmd, "unexpected argument '%s'",
				argv[optind + 2]);
		return NVMF_EXIT_USAGE;
	}
	if (stat(root, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr,
			"nvmetcli: %s is not a directory (is the nvmet "
			"module loaded, or nvmf-tgt's tree mounted?)\n",
			root);
		return NVMF_EXIT_FAILURE;
	}
	color = !no_color && isatty(STDOUT_FILENO);
	if (!strcmp(verb, "ls"))
		return json ? ls_json() : ls_tree();
	if (!strcmp(verb, "save")) {
		struct json_object *o = nvmetcli_dump();

		if (walk_err) {
			json_object_put(o);
			fprintf(stderr,
				"nvmetcli: save: %s: %s; %s left unchanged\n",
				walk_err_path, strerror(-walk_err), file);
			return NVMF_EXIT_FAILURE;
		}
		ret = save_file(o, file);
		json_object_put(o);
		if (ret) {
			fprintf(stderr, "nvmetcli: save: %s: %s\n", file,
				strerror(-ret));
			return NVMF_EXIT_FAILURE;
		}
		return NVMF_EXIT_OK;
	}
	if (!strcmp(verb, "restore"))
		return do_restore(file, optind + 1 >= argc, !no_clear);
	if (!strcmp(verb, "clear"))
		return clear_tree();
	nvmf_args_error(&cmd, "unknown command '%s' (ls, save, restore, clear)",
			verb);
	return NVMF_EXIT_USAGE;
}

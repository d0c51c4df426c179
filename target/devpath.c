// SPDX-License-Identifier: GPL-2.0
/*
 * A namespace's device path, resolved without ever entering an nvmf-tgt
 * configfs tree.
 *
 * The tree is served by nvmf-tgt's own FUSE thread, which waits for the
 * main thread while it runs a change.  A change that makes the main thread
 * open a file inside the tree (a device_path in the tree, directly or by a
 * symlink, then enable) would wait for that FUSE thread: both would wait
 * for good.  So the path is resolved here one component at a time - lstat
 * and readlink on directories outside the trees only, the mount points of
 * every tree (fstype fuse.nvmet, bind mounts included) taken from
 * /proc/self/mountinfo - and refused if it leads into one.  The result
 * has no symlinks left, so opening it cannot lead anywhere else.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvmet.h"

#define TREE_FSTYPE  "fuse.nvmet"
#define MAX_TREES    16
#define MAX_SYMLINKS 40 /* as the kernel's path walk */

struct trees {
	int n;
	char path[MAX_TREES][PATH_MAX];
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* Mount points of every nvmf-tgt tree.  Return: 0, or a negative errno. */
static int trees_load(struct trees *t)
{
	char line[2 * PATH_MAX], mnt[PATH_MAX], type[64];
	const char *sep;
	FILE *f;

	t->n = 0;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - TYPE SRC */
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep, " - %63s", type) != 1 ||
		    strcmp(type, TREE_FSTYPE) ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		unescape(mnt);
		if (t->n < MAX_TREES)
			snprintf(t->path[t->n++], PATH_MAX, "%s", mnt);
	}
	fclose(f);
	return 0;
}

static bool in_tree(const struct trees *t, const char *p)
{
	size_t len;
	int i;

	for (i = 0; i < t->n; i++) {
		len = strlen(t->path[i]);
		if (!strncmp(p, t->path[i], len) &&
		    (p[len] == '/' || p[len] == '\0' ||
		     !strcmp(t->path[i], "/")))
			return true;
	}
	return false;
}

/* Drop the last component of the absolute path cur ("" is the root). */
static void pop(char *cur)
{
	char *slash = strrchr(cur, '/');

	if (slash)
		*slash = '\0';
}

int nvmet_devpath_resolve(const char *path, char *out, size_t size)
{
	char rest[PATH_MAX], next[PATH_MAX], link[PATH_MAX], tmp[PATH_MAX];
	struct trees trees;
	int hops = 0, ret;
	char *comp, *save;
	struct stat st;
	ssize_t n;

	if (path[0] != '/')
		return -EINVAL; /* absolute paths only, as the kernel target */
	ret = trees_load(&trees);
	if (ret)
		return ret;
	if (snprintf(rest, sizeof(rest), "%s", path) >= (int)sizeof(rest))
		return -ENAMETOOLONG;
	out[0] = '\0';
restart:
	for (comp = strtok_r(rest, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			pop(out);
			continue;
		}
		if (snprintf(next, sizeof(next), "%s/%s", out, comp) >=
		    (int)sizeof(next))
			return -ENAMETOOLONG;
		if (in_tree(&trees, next))
			return -EXDEV;
		/* next's directory is outside every tree: lstat is safe */
		if (lstat(next, &st))
			return -errno;
		if (!S_ISLNK(st.st_mode)) {
			if (snprintf(out, size, "%s", next) >= (int)size)
				return -ENAMETOOLONG;
			continue;
		}
		if (++hops > MAX_SYMLINKS)
			return -ELOOP;
		n = readlink(next, link, sizeof(link) - 1);
		if (n < 0)
			return -errno;
		link[n] = '\0';
		/* the link's target, then what was left after it */
		if (snprintf(tmp, sizeof(tmp), "%s/%s", link,
			     save ? save : "") >= (int)sizeof(tmp))
			return -ENAMETOOLONG;
		memcpy(rest, tmp, sizeof(rest));
		if (link[0] == '/')
			out[0] = '\0';
		goto restart;
	}
	if (!out[0])
		snprintf(out, size, "/");
	return in_tree(&trees, out) ? -EXDEV : 0;
}

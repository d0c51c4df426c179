// SPDX-License-Identifier: GPL-2.0
/*
 * nvmetcli restore's JSON walker, on a plain directory tree in /dev/shm:
 * every name it creates must stay under --root, whatever the document.
 */
#define main nvmetcli_main
#include "nvmetcli.c"
#undef main

#include <ftw.h>

static char top[] = "/dev/shm/nvmf-fuzz-nvmetcli-XXXXXX";
static char tree[PATH_MAX];

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Everything created is inside tree/: nothing else appeared in top/. */
static void check_escape(void)
{
	DIR *d = opendir(top);
	struct dirent *e;

	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "tree")) {
			fprintf(stdout, "restore escaped --root: %s/%s\n", top,
				e->d_name);
			abort();
		}
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *doc;
	static bool init;

	if (!init) {
		if (!mkdtemp(top))
			abort();
		snprintf(tree, sizeof(tree), "%s/tree", top);
		stderr = fopen("/dev/null", "w"); /* its per-item messages */
		init = true;
	}
	tok = json_tokener_new_ex(64);
	if (!tok)
		return 0;
	doc = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!doc)
		return 0;
	if (mkdir(tree, 0755))
		abort();
	root = tree;
	plain_tree = true;
	{
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/subsystems", tree);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/ports", tree);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/hosts", tree);
		mkdir(p, 0755);
	}
	restore_failed = 0;
	nvmetcli_restore(doc);
	json_object_put(doc);
	check_escape();
	nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

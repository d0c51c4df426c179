// SPDX-License-Identifier: GPL-2.0
/*
 * Option tables, --help text and value parsing shared by all binaries.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

int nvmf_args_build(const struct nvmf_cmd *cmd, struct option *longopts,
		    char *shortopts)
{
	const struct nvmf_opt *o;
	int n = 0;
	char *s = shortopts;

	*s++ = ':'; /* report a missing argument as ':' */
	for (o = cmd->opts; o->name; o++, n++) {
		if (n == NVMF_ARGS_MAX)
			return -E2BIG;
		longopts[n] =
			(struct option){ o->name, o->has_arg, NULL, o->val };
		if (o->val > 0 && o->val < 256) {
			*s++ = (char)o->val;
			if (o->has_arg == required_argument)
				*s++ = ':';
		}
	}
	longopts[n] = (struct option){ 0 };
	*s = '\0';
	return 0;
}

void nvmf_args_usage(const struct nvmf_cmd *cmd, FILE *out)
{
	const struct nvmf_opt *o;
	char left[64];

	fprintf(out, "Usage: %s %s\n", cmd->prog, cmd->synopsis);
	if (cmd->summary)
		fprintf(out, "\n%s\n", cmd->summary);
	fprintf(out, "\nOptions:\n");
	for (o = cmd->opts; o->name; o++) {
		if (o->val > 0 && o->val < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->val,
				 o->name, o->argname ? " " : "",
				 o->argname ? o->argname : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
				 o->argname ? " " : "",
				 o->argname ? o->argname : "");
		fprintf(out, "  %-30s %s\n", left, o->help);
	}
	fprintf(out, "  %-30s %s\n", "    --version", "show the version");
}

bool nvmf_args_version(const char *prog, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--version")) {
			printf("%s %s\n", prog, NVMF_VERSION);
			return true;
		}
	}
	return false;
}

void nvmf_args_error(const struct nvmf_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int nvmf_parse_long(const struct nvmf_cmd *cmd, const char *opt, const char *s,
		    long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end != '\0' || v < min || v > max) {
		nvmf_args_error(cmd, "--%s: '%s' is not an integer in %ld..%ld",
				opt, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int nvmf_parse_choice(const struct nvmf_cmd *cmd, const char *opt,
		      const char *s, const char *const *choices, int *idx)
{
	char list[256] = "";
	int i;

	for (i = 0; choices[i]; i++) {
		if (strcmp(s, choices[i]) == 0) {
			*idx = i;
			return 0;
		}
		if (strlen(list) + strlen(choices[i]) + 3 < sizeof(list)) {
			if (i)
				strcat(list, ", ");
			strcat(list, choices[i]);
		}
	}
	nvmf_args_error(cmd, "--%s: '%s' is not one of: %s", opt, s, list);
	return -EINVAL;
}

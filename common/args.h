/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command-line convention every binary follows.
 *
 * A binary describes its options once, in a table of struct nvmf_opt; the
 * table yields both the getopt_long() arrays and the --help text, so the
 * two cannot drift apart.  Values are parsed by nvmf_parse_*(), which print
 * one line naming the option and the bad value ("nvmf-tgt: --threads: 'x'
 * is not an integer in 1..64") and return -EINVAL.  Exit statuses:
 * NVMF_EXIT_OK, NVMF_EXIT_FAILURE (a runtime failure), NVMF_EXIT_USAGE (bad
 * command line or configuration).  Every binary accepts -h/--help.
 */
#ifndef NVMF_COMMON_ARGS_H
#define NVMF_COMMON_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

enum {
	NVMF_EXIT_OK = 0,
	NVMF_EXIT_FAILURE = 1,
	NVMF_EXIT_USAGE = 2,
};

struct nvmf_opt {
	const char *name;    /* long name, without "--" */
	int val;	     /* short option character, or a value > 255 */
	int has_arg;	     /* no_argument or required_argument */
	const char *argname; /* "FILE", shown in --help */
	const char *help;
};

struct nvmf_cmd {
	const char *prog;	     /* "nvmf-tgt" or "nvmf-host connect" */
	const char *synopsis;	     /* "-c FILE [options]" */
	const char *summary;	     /* one paragraph */
	const struct nvmf_opt *opts; /* ends with a zeroed entry */
};

#define NVMF_OPT_HELP                                            \
	{                                                        \
		"help", 'h', no_argument, NULL, "show this help" \
	}

/* Upper bound of options in one table (getopt arrays are built on stack). */
#define NVMF_ARGS_MAX 64

/*
 * Build getopt_long() arrays from cmd->opts: longopts needs room for
 * NVMF_ARGS_MAX + 1 entries, shortopts for 3 * NVMF_ARGS_MAX + 2 bytes.
 * Return: 0, or -E2BIG for a table that is too long.
 */
int nvmf_args_build(const struct nvmf_cmd *cmd, struct option *longopts,
		    char *shortopts);

/* Print "Usage: prog synopsis", the summary and the option table. */
void nvmf_args_usage(const struct nvmf_cmd *cmd, FILE *out);

/* "prog: message" on stderr, for usage and configuration errors. */
__attribute__((format(printf, 2, 3))) void
nvmf_args_error(const struct nvmf_cmd *cmd, const char *fmt, ...);

/* Parse an integer in [min, max] for option opt (its long name). */
int nvmf_parse_long(const struct nvmf_cmd *cmd, const char *opt, const char *s,
		    long min, long max, long *out);

/* Parse one of choices (NULL-terminated); *idx is its index. */
int nvmf_parse_choice(const struct nvmf_cmd *cmd, const char *opt,
		      const char *s, const char *const *choices, int *idx);

/*
 * --version anywhere before "--" (every binary and command takes it):
 * print "PROG VERSION" on stdout and return true; the caller exits 0.
 */
bool nvmf_args_version(const char *prog, int argc, char **argv);

#endif /* NVMF_COMMON_ARGS_H */

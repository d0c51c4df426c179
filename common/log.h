/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging with levels and a per-object prefix.
 *
 * Every long-lived object (port, controller, queue) keeps a short prefix
 * string ("port 1", "ctrl 3", "queue 3/2") and logs through
 * nvmf_obj_info(obj->log_prefix, ...), so a line always says what it is
 * about.  Lines go to stderr as "TIME LEVEL [prefix] message".  Thread-safe.
 */
#ifndef NVMF_COMMON_LOG_H
#define NVMF_COMMON_LOG_H

enum nvmf_log_level {
	NVMF_LOG_ERROR = 0,
	NVMF_LOG_WARN,
	NVMF_LOG_INFO,
	NVMF_LOG_DEBUG,
};

void nvmf_log_set_level(enum nvmf_log_level level);
enum nvmf_log_level nvmf_log_get_level(void);

/* Return: 0 and the level in *level, or -EINVAL for an unknown name. */
int nvmf_log_parse_level(const char *name, enum nvmf_log_level *level);
const char *nvmf_log_level_name(enum nvmf_log_level level);

/* Program name shown at the start of each line ("nvmf-tgt"); optional. */
void nvmf_log_set_ident(const char *ident);

/* Send lines to syslog (daemon facility) instead of stderr. */
void nvmf_log_use_syslog(void);

/* Log to the file at path (appending; stderr becomes it).  Return: 0 or -errno. */
int nvmf_log_to_file(const char *path);

__attribute__((format(printf, 3, 4))) void
nvmf_log(enum nvmf_log_level level, const char *prefix, const char *fmt, ...);

#define nvmf_log_enabled(level) ((level) <= nvmf_log_get_level())

#define nvmf_obj_log(level, prefix, ...)                      \
	do {                                                  \
		if (nvmf_log_enabled(level))                  \
			nvmf_log(level, prefix, __VA_ARGS__); \
	} while (0)

#define nvmf_obj_err(p, ...)   nvmf_obj_log(NVMF_LOG_ERROR, p, __VA_ARGS__)
#define nvmf_obj_warn(p, ...)  nvmf_obj_log(NVMF_LOG_WARN, p, __VA_ARGS__)
#define nvmf_obj_info(p, ...)  nvmf_obj_log(NVMF_LOG_INFO, p, __VA_ARGS__)
#define nvmf_obj_debug(p, ...) nvmf_obj_log(NVMF_LOG_DEBUG, p, __VA_ARGS__)

#define nvmf_err(...)	       nvmf_obj_err(NULL, __VA_ARGS__)
#define nvmf_warn(...)	       nvmf_obj_warn(NULL, __VA_ARGS__)
#define nvmf_info(...)	       nvmf_obj_info(NULL, __VA_ARGS__)
#define nvmf_debug(...)	       nvmf_obj_debug(NULL, __VA_ARGS__)

#endif /* NVMF_COMMON_LOG_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Logging: one formatted line per call, written with a single write(2) so
 * lines from different threads never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static atomic_int log_level = NVMF_LOG_INFO;
static const char *log_ident;
static bool log_syslog;

static const char *const level_names[] = {
	[NVMF_LOG_ERROR] = "error",
	[NVMF_LOG_WARN] = "warn",
	[NVMF_LOG_INFO] = "info",
	[NVMF_LOG_DEBUG] = "debug",
};

void nvmf_log_set_level(enum nvmf_log_level level)
{
	atomic_store(&log_level, level);
}

enum nvmf_log_level nvmf_log_get_level(void)
{
	return atomic_load(&log_level);
}

const char *nvmf_log_level_name(enum nvmf_log_level level)
{
	if ((unsigned int)level > NVMF_LOG_DEBUG)
		return "?";
	return level_names[level];
}

int nvmf_log_parse_level(const char *name, enum nvmf_log_level *level)
{
	unsigned int i;

	for (i = 0; i <= NVMF_LOG_DEBUG; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = i;
			return 0;
		}
	}
	return -EINVAL;
}

void nvmf_log_set_ident(const char *ident)
{
	log_ident = ident;
}

void nvmf_log_use_syslog(void)
{
	openlog(log_ident ? log_ident : "nvmf", LOG_PID | LOG_NDELAY,
		LOG_DAEMON);
	log_syslog = true;
}

int nvmf_log_to_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_syslog = false;
	return 0;
}

/*
 * Copy src to dst (size bytes, NUL-terminated) with control characters
 * written as \xNN: messages carry strings from remote hosts (an unknown
 * subsystem NQN, say), which must not forge log lines.
 * Return: the length written.
 */
static size_t escape_controls(char *dst, size_t size, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	unsigned char c;

	for (; (c = (unsigned char)*src) && n + 1 < size; src++) {
		if (c >= 0x20 && c != 0x7f) {
			dst[n++] = (char)c;
			continue;
		}
		if (n + 5 > size)
			break;
		dst[n++] = '\\';
		dst[n++] = 'x';
		dst[n++] = hex[c >> 4];
		dst[n++] = hex[c & 15];
	}
	dst[n] = '\0';
	return n;
}

static void log_to_syslog(enum nvmf_log_level level, const char *prefix,
			  const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char raw[1024], msg[1024];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	escape_controls(msg, sizeof(msg), raw);
	syslog(prio[level], "%s%s%s%s", prefix ? "[" : "", prefix ? prefix : "",
	       prefix ? "] " : "", msg);
}

void nvmf_log(enum nvmf_log_level level, const char *prefix, const char *fmt,
	      ...)
{
	char line[1024], raw[1024];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;
	va_list ap;

	if (log_syslog && (unsigned int)level <= NVMF_LOG_DEBUG) {
		va_start(ap, fmt);
		log_to_syslog(level, prefix, fmt, ap);
		va_end(ap);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ld %s%s%-5s %s%s%s",
		     ts.tv_nsec / 1000000, log_ident ? log_ident : "",
		     log_ident ? " " : "", nvmf_log_level_name(level),
		     prefix ? "[" : "", prefix ? prefix : "",
		     prefix ? "] " : "");
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r :
						    sizeof(line) - n - 1;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	n += escape_controls(line + n, sizeof(line) - n, raw);
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

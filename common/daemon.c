// SPDX-License-Identifier: GPL-2.0
/*
 * Daemonizing with a start report through a pipe (see daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "daemon.h"
#include "log.h"

static void parent_wait(const char *prog, int fd)
{
	char msg[1024];
	ssize_t n, got = 0;

	while (got < (ssize_t)sizeof(msg) - 1 &&
	       (n = read(fd, msg + got, sizeof(msg) - 1 - (size_t)got)) > 0)
		got += n;
	msg[got > 0 ? got : 0] = '\0';
	if (got > 0 && msg[0] == '0') {
		if (msg[1])
			printf("%s\n", msg + 1);
		exit(NVMF_EXIT_OK);
	}
	fprintf(stderr, "%s: %s\n", prog,
		got > 1 ? msg + 1 : "exited before it was running");
	exit(NVMF_EXIT_FAILURE);
}

int nvmf_daemonize(const char *prog, int *report_fd)
{
	int fds[2];
	pid_t pid;

	fflush(NULL);
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(fds[1]);
		parent_wait(prog, fds[0]);
	}
	close(fds[0]);
	setsid();
	*report_fd = fds[1];
	/* from here on the log goes to syslog; the terminal is the parent's */
	nvmf_log_use_syslog();
	fds[0] = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fds[0] >= 0) {
		dup2(fds[0], STDIN_FILENO);
		dup2(fds[0], STDOUT_FILENO);
		dup2(fds[0], STDERR_FILENO);
		close(fds[0]);
	}
	return 0;
}

void nvmf_daemon_report(int *fd, bool ok, const char *msg)
{
	char buf[1024];
	int n;

	if (*fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%c%s", ok ? '0' : '1', msg ? msg : "");
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	if (write(*fd, buf, (size_t)n) < 0)
		nvmf_debug("cannot report to the parent: %s", strerror(errno));
	close(*fd);
	*fd = -1;
}

int nvmf_notify(const char *state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;
	ssize_t n;
	int fd;

	if (!path || !path[0])
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path)) {
		nvmf_warn("NOTIFY_SOCKET '%s' is not a socket path", path);
		return -EINVAL;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sun,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	if (n < 0) {
		n = -errno;
		nvmf_warn("cannot notify %s of %s: %s", path, state,
			  strerror(errno));
	}
	close(fd);
	return n < 0 ? (int)n : 0;
}

int nvmf_modprobe(const char *module)
{
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		execlp("modprobe", "modprobe", "-q", module, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -ENOENT;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ENOENT;
}

void nvmf_fuse_module(void)
{
	if (access("/dev/fuse", F_OK) && nvmf_modprobe("fuse"))
		nvmf_warn("no /dev/fuse, and \"modprobe fuse\" failed");
}

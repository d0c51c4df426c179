// SPDX-License-Identifier: GPL-2.0
/*
 * --save FILE: nvmetcli restores and saves the tree's configuration (see
 * save.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "save.h"

extern char **environ;

enum save_job { JOB_NONE, JOB_RESTORE, JOB_SAVE };

struct nvmet_save {
	struct nvmf_loop *loop;
	char file[PATH_MAX];
	char tree[PATH_MAX];
	char nvmetcli[PATH_MAX];
	enum save_job job; /* what the child runs */
	pid_t pid;
	int pidfd;
	int errfd; /* the child's stderr */
	struct nvmf_watch *watch;
	struct nvmf_watch *err_watch;
	bool dirty;   /* a change since the running save started */
	bool enabled; /* false until the restore succeeded */
	int last;     /* the last save's status */
	nvmet_save_restored_fn done;
	void *done_arg;
};

/* nvmetcli in the binary's directory, or in the build tree's layout. */
static int find_nvmetcli(char *out, size_t len)
{
	static const char *const rel[] = { "nvmetcli", "../nvmetcli/nvmetcli" };
	char self[PATH_MAX], *slash;
	ssize_t n;
	size_t i;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if ((size_t)snprintf(out, len, "%s/%s", self, rel[i]) >= len)
			continue;
		if (!access(out, X_OK))
			return 0;
	}
	if ((size_t)snprintf(out, len, "%s/nvmetcli", self) >= len)
		return -ENAMETOOLONG;
	return -ENOENT;
}

static void child_exit(void *arg, uint32_t events);
static void child_output(void *arg, uint32_t events);

/* The child is gone (reaped): drop its watches and descriptors. */
static void child_release(struct nvmet_save *s)
{
	nvmf_watch_del(s->err_watch);
	nvmf_watch_del(s->watch);
	s->err_watch = s->watch = NULL;
	if (s->pidfd >= 0)
		close(s->pidfd);
	close(s->errfd);
	s->pidfd = s->errfd = -1;
	s->pid = 0;
	s->job = JOB_NONE;
}

/* Start "nvmetcli --root TREE VERB FILE". */
static int spawn(struct nvmet_save *s, enum save_job job)
{
	char *argv[] = { s->nvmetcli, "--root",
			 s->tree,     job == JOB_SAVE ? "save" : "restore",
			 s->file,     NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int pipefd[2], ret;

	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	/* the main thread blocks the signals it reads from a signalfd */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	ret = posix_spawn(&s->pid, s->nvmetcli, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (ret) {
		close(pipefd[0]);
		return -ret;
	}
	s->errfd = pipefd[0];
	s->err_watch =
		nvmf_watch_add(s->loop, s->errfd, EPOLLIN, child_output, s);
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (s->pidfd >= 0)
		s->watch = nvmf_watch_add(s->loop, s->pidfd, EPOLLIN,
					  child_exit, s);
	if (s->pidfd < 0 || !s->watch) {
		ret = -errno;
		if (job == JOB_RESTORE) {
			/* its changes need this loop: it cannot be waited */
			nvmf_err("--save: cannot watch nvmetcli: %s",
				 strerror(-ret));
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			child_release(s);
			return ret;
		}
		/* a save only reads the tree: wait for it here */
		nvmf_warn("--save: cannot watch nvmetcli (%s); waiting for it",
			  strerror(-ret));
	}
	s->job = job;
	s->dirty = false;
	nvmf_debug("--save: %s %s started (pid %d)",
		   job == JOB_SAVE ? "save" : "restore", s->file, s->pid);
	if (!s->watch)
		child_exit(s, 0);
	return 0;
}

/*
 * Log what the child prints on stderr as it comes (a child with a full
 * pipe would never finish).  nvmetcli prints there only what went wrong.
 */
static void child_output(void *arg, uint32_t events)
{
	struct nvmet_save *s = arg;
	char buf[4096], *line, *save = NULL;
	ssize_t n;

	(void)events;
	while ((n = read(s->errfd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			nvmf_warn("--save: %s", line);
	}
	if (n == 0) { /* the child closed it */
		nvmf_watch_del(s->err_watch);
		s->err_watch = NULL;
	}
}

/* Reap the child and go on: the next save, or the restore's caller. */
static void reap(struct nvmet_save *s, bool blocking)
{
	enum save_job job = s->job;
	int status = 0, ret;

	ret = (int)waitpid(s->pid, &status, blocking ? 0 : WNOHANG);
	if (ret == 0)
		return; /* not yet */
	if (ret < 0)
		ret = -errno;
	else if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else
		ret = 128 + WTERMSIG(status);
	child_output(s, 0);
	child_release(s);
	if (job == JOB_RESTORE) {
		if (ret)
			nvmf_err("--save: restoring %s failed (nvmetcli exit "
				 "status %d); %s is left as it was",
				 s->file, ret, s->file);
		else
			nvmf_info("--save: restored %s", s->file);
		s->enabled = !ret;
		s->done(s->done_arg, ret);
		return;
	}
	s->last = ret;
	if (ret)
		nvmf_err("--save: saving %s failed (nvmetcli exit status %d); "
			 "%s is left as it was",
			 s->file, ret, s->file);
	else
		nvmf_info("--save: saved %s", s->file);
	if (s->dirty)
		nvmet_save_changed(s);
}

static void child_exit(void *arg, uint32_t events)
{
	struct nvmet_save *s = arg;

	(void)events;
	reap(s, s->watch == NULL);
}

struct nvmet_save *nvmet_save_create(struct nvmf_loop *loop, const char *file,
				     const char *tree, char *err, size_t errlen)
{
	struct nvmet_save *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "--save: out of memory");
		return NULL;
	}
	s->loop = loop;
	s->pidfd = s->errfd = -1;
	if (strlen(file) >= sizeof(s->file)) {
		snprintf(err, errlen, "--save: '%.64s...': %s", file,
			 strerror(ENAMETOOLONG));
		goto fail;
	}
	if (!realpath(tree, s->tree)) {
		snprintf(err, errlen, "--save: the tree '%s': %s", tree,
			 strerror(errno));
		goto fail;
	}
	strcpy(s->file, file);
	ret = find_nvmetcli(s->nvmetcli, sizeof(s->nvmetcli));
	if (ret) {
		snprintf(err, errlen,
			 "--save: nvmetcli is not installed next to nvmf-tgt "
			 "(%s: %s)",
			 s->nvmetcli, strerror(-ret));
		goto fail;
	}
	return s;
fail:
	free(s);
	errno = EINVAL;
	return NULL;
}

void nvmet_save_restore(struct nvmet_save *s, nvmet_save_restored_fn done,
			void *arg)
{
	int ret;

	s->done = done;
	s->done_arg = arg;
	if (access(s->file, F_OK) && errno == ENOENT) {
		nvmf_info("--save: no %s yet: starting empty; changes made "
			  "through the tree are saved there",
			  s->file);
		s->enabled = true;
		done(arg, 0);
		return;
	}
	ret = spawn(s, JOB_RESTORE);
	if (ret) {
		nvmf_err("--save: cannot run %s: %s", s->nvmetcli,
			 strerror(-ret));
		done(arg, ret);
	}
}

void nvmet_save_changed(struct nvmet_save *s)
{
	int ret;

	if (!s || !s->enabled)
		return;
	if (s->job != JOB_NONE) {
		s->dirty = true;
		return;
	}
	ret = spawn(s, JOB_SAVE);
	if (ret) {
		s->last = ret;
		nvmf_err("--save: cannot run %s: %s; %s not saved", s->nvmetcli,
			 strerror(-ret), s->file);
	}
}

int nvmet_save_flush(struct nvmet_save *s, int timeout_ms)
{
	uint64_t end = nvmf_now_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd;
	int64_t left;

	if (!s)
		return 0;
	if (s->job == JOB_RESTORE) {
		/* its changes wait for the main loop: stop it instead */
		nvmf_warn("--save: stopping during the restore of %s", s->file);
		kill(s->pid, SIGTERM);
		reap(s, true);
	}
	while (s->job != JOB_NONE) {
		left = (int64_t)(end - nvmf_now_ms());
		pfd = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
		if (left <= 0 ||
		    (s->pidfd >= 0 && poll(&pfd, 1, (int)left) == 0)) {
			nvmf_err("--save: nvmetcli still running after %d ms; "
				 "the last changes may not be in %s",
				 timeout_ms, s->file);
			return -ETIMEDOUT;
		}
		reap(s, true); /* starts the next save if one is due */
	}
	return s->last > 0 ? -EIO : s->last;
}

void nvmet_save_destroy(struct nvmet_save *s)
{
	if (!s)
		return;
	if (s->job != JOB_NONE) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		child_release(s);
	}
	free(s);
}

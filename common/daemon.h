/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Daemonizing with a report: the parent waits until the child says it is
 * running (and prints what the child sends, e.g. a controller name, to
 * stdout) or failed (and prints why to stderr), and exits 0 or 1.
 * Fork before any RDMA object exists: verbs do not survive fork.
 */
#ifndef NVMF_COMMON_DAEMON_H
#define NVMF_COMMON_DAEMON_H

#include <stdbool.h>

/* Return: 0 in the child with *report_fd set (the parent never returns). */
int nvmf_daemonize(const char *prog, int *report_fd);

/* Tell the waiting parent (once; no-op if *fd < 0). msg may be NULL. */
void nvmf_daemon_report(int *fd, bool ok, const char *msg);

/*
 * systemd's readiness protocol (Type=notify): send STATE ("READY=1",
 * "STOPPING=1") to $NOTIFY_SOCKET, a datagram socket ('@' starts an
 * abstract name).  No-op without NOTIFY_SOCKET.  Return: 0 or -errno.
 */
int nvmf_notify(const char *state);

/*
 * Load a kernel module ("modprobe -q MODULE", waited for).  Return: 0 if
 * modprobe exited 0, else -ENOENT.
 */
int nvmf_modprobe(const char *module);

/*
 * Before a FUSE mount: without /dev/fuse (no static node, as on a system
 * without systemd-tmpfiles), load the fuse module.
 */
void nvmf_fuse_module(void);

#endif /* NVMF_COMMON_DAEMON_H */

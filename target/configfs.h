/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmf-tgt's configfs-compatible tree (FUSE): see configfs.c.
 */
#ifndef NVMF_TARGET_CONFIGFS_H
#define NVMF_TARGET_CONFIGFS_H

#include <stddef.h>

struct nvmet_tgt;
struct nvmet_configfs;

/*
 * Mount the tree on dir and serve it on its own thread.  Changes made in
 * it are run on tgt's main loop.  Return: 0, or a negative errno with err.
 */
int nvmet_configfs_start(struct nvmet_tgt *tgt, const char *dir,
			 struct nvmet_configfs **out, char *err, size_t errlen);

/* The target is stopping: refuse changes (ESHUTDOWN).  Main thread. */
void nvmet_configfs_close(struct nvmet_configfs *cfs);

/* Call fn(arg) on the main thread after each change that succeeded. */
void nvmet_configfs_on_change(struct nvmet_configfs *cfs, void (*fn)(void *),
			      void *arg);

/* Unmount and free, after the main loop ended.  Main thread. */
void nvmet_configfs_destroy(struct nvmet_configfs *cfs);

#endif /* NVMF_TARGET_CONFIGFS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --save FILE: the configuration made through the tree kept in FILE, in
 * nvmetcli's JSON, as the kernel target's is kept by "nvmetcli save" and
 * restored by nvmet.service.
 *
 * The work is nvmetcli's own (the binary installed next to nvmf-tgt), so
 * the file is exactly what "nvmetcli save" of the tree gives and what
 * "nvmetcli restore" reads:
 *   - at start, an existing FILE is restored into the tree by
 *     "nvmetcli --root TREE restore FILE"; the target reports ready when
 *     it is done.  A restore that fails stops the target and leaves FILE
 *     as it was: nothing a later save could overwrite is lost.
 *   - after each change made through the tree, "nvmetcli --root TREE save
 *     FILE" writes it atomically (a temporary file renamed over FILE).
 *     Changes made while a save runs start one more save when it ends.
 * The children run while the main loop goes on (the tree is served by its
 * own thread, and a change waits for the main loop); their exit is
 * watched through a pidfd and what they print on stderr is logged.
 * Main thread only.
 */
#ifndef NVMET_SAVE_H
#define NVMET_SAVE_H

struct nvmf_loop;
struct nvmet_save;

/* Called once the restore is done: status 0, or -errno / exit status > 0. */
typedef void (*nvmet_save_restored_fn)(void *arg, int status);

/*
 * file: FILE; tree: the mounted tree.  Finds nvmetcli next to the running
 * binary.  Return: NULL with errno set and err filled.
 */
struct nvmet_save *nvmet_save_create(struct nvmf_loop *loop, const char *file,
				     const char *tree, char *err,
				     size_t errlen);

/*
 * Restore FILE into the tree if it exists (asynchronously), then call
 * done.  Without FILE, done(0) is called before this returns.
 */
void nvmet_save_restore(struct nvmet_save *s, nvmet_save_restored_fn done,
			void *arg);

/* The tree changed: save (now, or after the save that runs). */
void nvmet_save_changed(struct nvmet_save *s);

/*
 * Finish the saves that run or are due, waiting at most timeout_ms (the
 * tree must still be mounted); a restore that runs is stopped.
 * Return: 0, or -ETIMEDOUT / the failure.
 */
int nvmet_save_flush(struct nvmet_save *s, int timeout_ms);

void nvmet_save_destroy(struct nvmet_save *s);

#endif /* NVMET_SAVE_H */

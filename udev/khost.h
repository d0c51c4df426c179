/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmf-reactor --kernel-host: the kernel host's nvme-rdma controllers
 * deleted with their RDMA device, re-created when it is back (khost.c).
 * Main thread only.
 */
#ifndef NVMF_UDEV_KHOST_H
#define NVMF_UDEV_KHOST_H

#include <stdbool.h>

struct khost;

/* class: /sys/class/nvme; fabrics: /dev/nvme-fabrics (tests may differ). */
struct khost *khost_create(const char *class_dir, const char *fabrics);
void khost_destroy(struct khost *k);

/* An RDMA device was removed: what vanishes next went with it. */
void khost_device_removed(struct khost *k);

/*
 * Record the controllers there are, classify the ones gone, and re-create
 * the lost ones whose device is back.  Return: how many are still to be
 * re-created.
 */
int khost_check(struct khost *k);

#endif /* NVMF_UDEV_KHOST_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RDMA links and attributes, read without opening an RDMA device: see
 * rdma_link.c.
 */
#ifndef NVMF_UDEV_RDMA_LINK_H
#define NVMF_UDEV_RDMA_LINK_H

#include <stdbool.h>
#include <stddef.h>

#define NVMF_IB_CLASS_DIR "/sys/class/infiniband"

/* Read the first line of dir/name into buf.  Return: 0 or -errno. */
int nvmf_read_attr(const char *dir, const char *name, char *buf, size_t n);

/*
 * Does a line of `rdma ARGS` hold want (and also, if not NULL)?  1 yes,
 * 0 no, -1 the tool cannot tell.
 */
int nvmf_rdma_tool_match(const char *args, const char *want, const char *also);

/*
 * Has netdev an RDMA link (an active one, if need_active), from sysfs
 * under ib_dir (NVMF_IB_CLASS_DIR)?  1 yes, 0 no, -1 cannot tell.
 */
int nvmf_netdev_rdma_link(const char *ib_dir, const char *netdev,
			  bool need_active);

/*
 * Is addr (of family adrfam, "ipv4" or "ipv6") on a network device that
 * has an RDMA link now?  1 yes, 0 no, -1 cannot tell.
 */
int nvmf_addr_on_rdma_link(const char *adrfam, const char *addr);

#endif /* NVMF_UDEV_RDMA_LINK_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RDMA links and attributes, read without opening an RDMA device: see
 * rdma_link.c.
 */
#ifndef NVMF_UDEV_RDMA_LINK_H
#define NVMF_UDEV_RDMA_LINK_H

#include <stddef.h>

/* Read the first line of dir/name into buf.  Return: 0 or -errno. */
int nvmf_read_attr(const char *dir, const char *name, char *buf, size_t n);

/*
 * Does a line of `rdma ARGS` hold want (and also, if not NULL)?  1 yes,
 * 0 no, -1 the tool cannot tell.
 */
int nvmf_rdma_tool_match(const char *args, const char *want, const char *also);

/*
 * Is addr (of family adrfam, "ipv4" or "ipv6") on a network device that
 * has an RDMA link now?  1 yes, 0 no, -1 cannot tell.
 */
int nvmf_addr_on_rdma_link(const char *adrfam, const char *addr);

#endif /* NVMF_UDEV_RDMA_LINK_H */

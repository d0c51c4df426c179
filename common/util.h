/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by every component. */
#ifndef NVMF_COMMON_UTIL_H
#define NVMF_COMMON_UTIL_H

#include <stddef.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* NVMF_COMMON_UTIL_H */

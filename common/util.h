/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by every component. */
#ifndef NVMF_COMMON_UTIL_H
#define NVMF_COMMON_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Format a path into buf.  Return: 0, or -ENAMETOOLONG if it did not fit
 * (buf then holds a truncated string that must not be used).
 */
__attribute__((format(printf, 3, 4))) static inline int
nvmf_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Add n to a counter that only the calling thread writes and other threads
 * read with relaxed loads: no locked instruction on the data path.
 */
static inline void nvmf_counter_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

#endif /* NVMF_COMMON_UTIL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C (Castagnoli, reflected polynomial 0x82f63b78): the NVMe/TCP
 * header and data digests.  The SSE 4.2 crc32 instruction when the CPU
 * has it (8 bytes a cycle or so), else a table of 256 entries built once.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nvme_tcp.h"

static uint32_t table[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static uint32_t (*crc32c_fn)(uint32_t crc, const uint8_t *p, size_t len);

static uint32_t crc32c_table(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc, v;

	while (len >= 8) {
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
#endif

static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		table[i] = c;
	}
	crc32c_fn = crc32c_table;
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		crc32c_fn = crc32c_sse42;
#endif
}

uint32_t nvme_tcp_crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&once, crc32c_init);
	return crc32c_fn(crc, buf, len);
}

uint32_t nvme_tcp_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&once, crc32c_init);
	return crc32c_table(crc, buf, len);
}

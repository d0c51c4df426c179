// SPDX-License-Identifier: GPL-2.0
/*
 * Command capsules from a hostile host: SGL checks and command dispatch
 * of the target core (admin, I/O, fabrics, discovery, before Connect).
 *
 * Input: records of [queue byte][64-byte SQE][n: 2 bytes, little endian]
 * [n * 16 in-capsule bytes]
 * on one association per input: an admin queue connected to a subsystem
 * (or to discovery), enabled, and one I/O queue.  The queue byte picks
 * the queue: bit 0 the I/O queue, bit 1 a queue with no Connect.
 */
#include <string.h>

#include "fz_tgt.h"

#define MAX_RECORDS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_tgt *f = fz_tgt_get();
	static struct fz_req r[MAX_RECORDS];
	struct nvmet_sq asq, iosq, lone, *sq;
	uint16_t cntlid = 0;
	int i;

	if (!size)
		return 0;
	fz_sq_init(f, &asq, 0, 1);
	fz_sq_init(f, &iosq, 1, 1);
	fz_sq_init(f, &lone, data[0] & 1, 1);
	if (!fz_connect(f, &asq, data[0] & 2 ? NVME_DISC_NQN : FZ_OPEN, 0xffff,
			&cntlid)) {
		fz_enable(f, &asq);
		fz_connect(f, &iosq, FZ_OPEN, cntlid, NULL);
	}
	data++;
	size--;
	for (i = 0; i < MAX_RECORDS && size >= 1 + 64; i++) {
		size_t n;
		uint8_t sel = data[0];

		sq = sel & 2 ? &lone : sel & 1 ? &iosq : &asq;
		memcpy(&r[i].cmd, data + 1, 64);
		data += 65;
		size -= 65;
		n = 0;
		if (size >= 2) {
			n = ((size_t)data[0] | (size_t)data[1] << 8) * 16;
			data += 2;
			size -= 2;
		}
		if (n > size)
			n = size;
		if (n > sizeof(r[i].inl))
			n = sizeof(r[i].inl);
		memcpy(r[i].inl, data, n);
		fz_run(f, sq, &r[i], (uint32_t)n, data, n);
		data += n;
		size -= n;
	}
	fz_sq_fini(&lone);
	fz_sq_fini(&iosq);
	fz_sq_fini(&asq);
	return 0;
}

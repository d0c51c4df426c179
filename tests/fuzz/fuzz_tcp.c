// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: a host's byte stream into nvmf-tgt's NVMe/TCP queue.
 * The queue is the transport's own (tcp.c, tcp_io.c) on one end of a
 * socketpair, run by the fixture's worker loop with its real io_uring;
 * the input is written to the other end as a host would send it, in
 * pieces of a size the input chooses, and whatever the target sends back
 * is read and dropped.  Then the host end closes and the queue must be
 * released (ASan reports what leaks).
 *
 * Input: byte 0: bit 0 - a controller exists first (cntlid 1: the stream
 * may connect an I/O queue to it); bits 1-7 - the piece size (x 16, 0:
 * all at once).  The rest: the stream (ICReq, capsules, H2CData...).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fz_tgt.h"
#include "log.h"
#include "tcp.h"

static struct nvmf_loop *main_loop;

/* Read and drop what the target sent; Return: bytes read. */
static size_t drain(int fd)
{
	static uint8_t sink[65536];
	size_t total = 0;
	ssize_t r;

	while ((r = recv(fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
		total += (size_t)r;
	return total;
}

/*
 * Run the loops: the worker's until its backend operations are done (so
 * that an input plays out the same every time), then the main thread's.
 */
static void run(struct fz_tgt *f, int host, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		nvmf_loop_run_once(f->worker.loop, 0);
		for (int k = 0; k < 10000 && f->worker.ring_inflight; k++)
			nvmf_loop_run_once(f->worker.loop, 1);
		nvmf_loop_run_once(main_loop, 0);
		drain(host);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_tgt *f = fz_tgt_get();
	struct sockaddr_in peer = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(0x7f000001) };
	struct nvmet_subsys *subsys;
	struct nvmet_sq asq;
	size_t piece, off;
	int sv[2], i;
	bool ctrl;

	if (size < 1 || size > 256 * 1024)
		return 0;
	if (!main_loop) {
		main_loop = nvmf_loop_create();
		if (!main_loop)
			abort();
		f->tgt.loop = main_loop;
		if (getenv("FZ_TRACE"))
			nvmf_log_set_level(NVMF_LOG_DEBUG);
	}
	ctrl = data[0] & 1;
	piece = (size_t)(data[0] >> 1) * 16;
	data++;
	size--;
	/* the controller's ID is 1 for every input: the seeds name it */
	subsys = nvmet_find_subsys(&f->tgt, FZ_OPEN);
	subsys->next_cntlid = subsys->cntlid_min;
	fz_sq_init(f, &asq, 0, 1);
	if (ctrl && !fz_connect(f, &asq, FZ_OPEN, 0xffff, NULL))
		fz_enable(f, &asq);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		abort();
	nvmet_tcp_queue_add(nvmet_find_port(&f->tgt, 1), sv[0],
			    (struct sockaddr *)&peer);
	run(f, sv[1], 2);
	for (off = 0; off < size;) {
		size_t n = piece && piece < size - off ? piece : size - off;
		ssize_t w =
			send(sv[1], data + off, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w > 0)
			off += (size_t)w;
		run(f, sv[1], 2);
		if (w <= 0 && errno != EAGAIN)
			break;
	}
	/* let the backend finish, then the host goes away */
	run(f, sv[1], 20);
	close(sv[1]);
	for (i = 0; i < 100000 && !nvmet_tcp_ops.idle(); i++) {
		nvmf_loop_run_once(f->worker.loop, 1);
		nvmf_loop_run_once(main_loop, 0);
	}
	if (!nvmet_tcp_ops.idle()) {
		fprintf(stderr, "the queue was not released\n");
		abort();
	}
	fz_sq_fini(&asq);
	return 0;
}

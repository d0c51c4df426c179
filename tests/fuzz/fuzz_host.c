// SPDX-License-Identifier: GPL-2.0
/*
 * The host library against a hostile target: every response capsule (its
 * command id, status and result) and every byte of data the "target"
 * returns - Connect, properties, Identify, features, log pages, AERs,
 * I/O, the discovery log - comes from the input, through a fake
 * transport.
 *
 * Input: [flags] then, per command the host sends, [16-byte CQE][how][n]
 * [n * 16 bytes of data].  flags bit 0: connect to the discovery
 * subsystem and read its log (bit 1: print it as json).  how bit 0: keep
 * the CQE's command id (else the command's own); bit 1: no answer to
 * this command, ever (an AER waiting for an event).  When the input is
 * used up, the connection fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/timerfd.h>

#include "internal.h"
#include "log.h"
#include "tool.h"

/*
 * Time runs 10000 times faster here (linked with --wrap): the host's
 * timers (CSTS.RDY polling up to CAP.TO, reconnect delays, deadlines)
 * then cost about a millisecond per input, not seconds.
 */
#define SPEEDUP 10000

uint64_t __real_nvmf_now_ns(void);
int __real_timerfd_settime(int fd, int flags, const struct itimerspec *new,
			   struct itimerspec *old);

uint64_t __wrap_nvmf_now_ns(void)
{
	return __real_nvmf_now_ns() * SPEEDUP;
}

uint64_t __wrap_nvmf_now_ms(void)
{
	return __real_nvmf_now_ns() * SPEEDUP / 1000000;
}

static void scale(struct timespec *ts)
{
	uint64_t ns = (uint64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;

	if (!ns)
		return;
	ns = ns / SPEEDUP ?: 1;
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

int __wrap_timerfd_settime(int fd, int flags, const struct itimerspec *new,
			   struct itimerspec *old)
{
	struct itimerspec its = *new;

	scale(&its.it_value);
	scale(&its.it_interval);
	return __real_timerfd_settime(fd, flags, &its, old);
}

struct outstanding {
	struct nvmf_hq *hq;
	uint16_t cid;
	TAILQ_ENTRY(outstanding) link;
};

TAILQ_HEAD(outstanding_list, outstanding);
static struct outstanding_list outq = TAILQ_HEAD_INITIALIZER(outq);
/* commands that get no answer, until their queue goes */
static struct outstanding_list parked = TAILQ_HEAD_INITIALIZER(parked);
static struct nvmf_hq *live[NVMF_HOST_MAX_QUEUES + 1];
static const uint8_t *in;
static size_t in_len;
static bool deliver_posted;
static FILE *devnull;

static bool is_live(struct nvmf_hq *hq)
{
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] == hq)
			return true;
	return false;
}

static int fz_ctrl_init(struct nvmf_ctrl *c)
{
	(void)c;
	return 0;
}

static void fz_ctrl_fini(struct nvmf_ctrl *c)
{
	(void)c;
}

static void up_work(void *arg)
{
	struct nvmf_hq *hq = arg;

	if (is_live(hq))
		nvmf_hq_transport_up(hq);
}

static int fz_queue_connect(struct nvmf_hq *hq)
{
	live[hq->qid] = hq;
	return nvmf_loop_post(hq->ctrl->loop, up_work, hq);
}

static void drop(struct outstanding_list *list, struct nvmf_hq *hq)
{
	struct outstanding *o, *next;

	for (o = TAILQ_FIRST(list); o; o = next) {
		next = TAILQ_NEXT(o, link);
		if (!hq || o->hq == hq) {
			TAILQ_REMOVE(list, o, link);
			free(o);
		}
	}
}

static void fz_queue_teardown(struct nvmf_hq *hq)
{
	drop(&outq, hq);
	drop(&parked, hq);
	if (live[hq->qid] == hq)
		live[hq->qid] = NULL;
}

static void fz_ctrl_release(struct nvmf_ctrl *c)
{
	(void)c;
}

static void take(void *dst, size_t n)
{
	if (dst)
		memcpy(dst, in, n);
	in += n;
	in_len -= n;
}

static void deliver(void *arg)
{
	struct nvme_completion cqe;
	struct outstanding *o;
	struct nvmf_req *req;
	struct nvmf_hq *hq;
	uint8_t how, blocks;
	size_t n;

	(void)arg;
	deliver_posted = false;
	while ((o = TAILQ_FIRST(&outq))) {
		TAILQ_REMOVE(&outq, o, link);
		if (in_len < sizeof(cqe) + 2) {
			nvmf_hq_transport_error(o->hq, -EIO,
						"fuzz: end of input");
			free(o);
			continue;
		}
		take(&cqe, sizeof(cqe));
		take(&how, 1);
		take(&blocks, 1);
		if (how & 2) {
			TAILQ_INSERT_TAIL(&parked, o, link);
			continue;
		}
		n = (size_t)blocks * 16;
		if (n > in_len)
			n = in_len;
		if (!(how & 1))
			cqe.command_id = o->cid;
		req = nvmf_slots_find(&o->hq->slots, cqe.command_id);
		/* RDMA WRITE into the command's buffer: at most its length */
		if (req && (req->flags & NVMF_REQ_TO_HOST) && req->buf)
			memcpy(req->buf, in, n < req->len ? n : req->len);
		take(NULL, n);
		hq = o->hq;
		if (cqe.command_id != o->cid)
			TAILQ_INSERT_TAIL(&outq, o, link); /* still waiting */
		else
			free(o);
		/* may tear hq down, and free o with it */
		nvmf_hq_complete(hq, &cqe);
	}
}

static int fz_submit(struct nvmf_hq *hq, struct nvmf_req *req)
{
	struct outstanding *o = calloc(1, sizeof(*o));
	static int trace = -1;

	if (trace < 0)
		trace = getenv("FZ_TRACE") != NULL;
	if (trace) /* what a seed must answer, in order */
		fprintf(stderr,
			"fz: qid %u cid %u opcode 0x%02x fctype 0x%02x "
			"cdw10 0x%x cdw11 0x%x nsid %u len %u%s\n",
			hq->qid, req->cid, req->cmd.common.opcode,
			req->cmd.fabrics.fctype, req->cmd.common.cdw10,
			req->cmd.common.cdw11, req->cmd.common.nsid, req->len,
			req->flags & NVMF_REQ_TO_HOST ? " to host" : "");

	if (!o)
		return -ENOMEM;
	o->hq = hq;
	o->cid = req->cid;
	TAILQ_INSERT_TAIL(&outq, o, link);
	if (!deliver_posted) {
		deliver_posted = true;
		nvmf_loop_post(hq->ctrl->loop, deliver, NULL);
	}
	return 0;
}

static int fz_poll(struct nvmf_hq *hq)
{
	(void)hq;
	return 0;
}

static int fz_mr_add(struct nvmf_ctrl *c, void *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return 0;
}

static void fz_mr_del(struct nvmf_ctrl *c, void *buf)
{
	(void)c;
	(void)buf;
}

static const struct nvmf_host_transport_ops fz_ops = {
	.name = "fuzz",
	.ctrl_init = fz_ctrl_init,
	.ctrl_fini = fz_ctrl_fini,
	.queue_connect = fz_queue_connect,
	.queue_teardown = fz_queue_teardown,
	.ctrl_release = fz_ctrl_release,
	.submit = fz_submit,
	.poll = fz_poll,
	.mr_add = fz_mr_add,
	.mr_del = fz_mr_del,
};

static void do_io(struct nvmf_ctrl *c)
{
	struct nvmf_ns_info ns;
	struct nvmf_io io = { 0 };

	if (nvmf_ctrl_get_ns(c, &ns, 1) < 1 || !ns.block_size)
		return;
	io.op = NVMF_IO_READ;
	io.nsid = ns.nsid;
	io.len = ns.block_size <= 8192 ? ns.block_size : 8192;
	io.buf = nvmf_buf_alloc(c, 8192);
	if (!io.buf)
		return;
	nvmf_io_sync(c, &io);
	nvmf_buf_free(c, io.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct nvmf_ctrl_opts opts;
	struct nvmf_trid trid = { 0 };
	struct nvmf_ctrl *c;
	char err[256];
	uint8_t flags;

	if (!init) {
		nvmf_log_set_level(NVMF_LOG_ERROR);
		if (nvmf_host_transport_register(&fz_ops))
			abort();
		devnull = fopen("/dev/null", "w");
		init = true;
	}
	if (size < 1)
		return 0;
	flags = data[0];
	in = data + 1;
	in_len = size - 1;
	strcpy(trid.trtype, "fuzz");
	strcpy(trid.traddr, "10.0.0.1");
	strcpy(trid.subnqn,
	       flags & 1 ? NVMF_DISCOVERY_NQN : "nqn.2014-08.org.fuzz:sub");
	nvmf_ctrl_opts_init(&opts);
	strcpy(opts.hostnqn, "nqn.2014-08.org.fuzz:host");
	strcpy(opts.hostid, "6ee6a4b6-2c1b-4a4e-9d2c-2a6e1e0a0f01");
	opts.poll = true;
	opts.nr_io_queues = 1;
	opts.queue_size = 16;
	opts.keep_alive_tmo = 0;
	opts.ctrl_loss_tmo = 0;
	if (!nvmf_ctrl_connect(&trid, &opts, &c, err, sizeof(err))) {
		if (flags & 1) {
			uint8_t *log;
			uint64_t n;

			if (!disclog_read(c, &log, &n)) {
				disclog_print(devnull, log, n, flags & 2);
				free(log);
			}
		} else {
			do_io(c);
		}
		nvmf_ctrl_disconnect(c);
	}
	drop(&outq, NULL);
	drop(&parked, NULL);
	memset(live, 0, sizeof(live));
	return 0;
}

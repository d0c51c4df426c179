/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to nvmf-tgt's NVMe/TCP transport: tcp.c (listeners, queue setup
 * and teardown, ops table) and tcp_io.c (the PDU stream of a queue).
 */
#ifndef NVMF_TARGET_TCP_H
#define NVMF_TARGET_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "nvme_tcp.h"
#include "nvmet.h"

#define TCP_LISTEN_BACKLOG 128
#define TCP_RX_BUF	   (64u * 1024)	 /* bytes read at once */
#define TCP_TX_IOV	   64		 /* iovecs written at once */
#define TCP_KEEP_BUF	   (128u * 1024) /* data buffers kept by a command */
#define TCP_MAXH2CDATA	   NVMET_MAX_XFER
#define TCP_IOV_PER_SEND   7 /* hdr, hdgst, pad, data, ddgst, rsp, rsp hdgst */

/* Bytes to write: a list of iovecs, done() once the socket took them all. */
struct tcp_send {
	struct iovec iov[TCP_IOV_PER_SEND];
	int nr;	     /* entries */
	int idx;     /* the first entry not written in full */
	bool queued; /* on the queue's send list */
	void (*done)(struct tcp_send *s);
	TAILQ_ENTRY(tcp_send) link;
};

enum tcp_cmd_state {
	CMD_FREE,
	CMD_RECV_ICD, /* its capsule's data is coming */
	CMD_WAIT_H2C, /* R2T sent (or queued): H2CData PDUs are coming */
	CMD_EXEC,     /* in the core */
	CMD_SEND,     /* response written */
};

struct tcp_queue;

/* A command context: one SQE from capsule to response. */
struct tcp_cmd {
	struct nvmet_req req;
	struct tcp_queue *q;
	enum tcp_cmd_state state;
	uint16_t ttag;	   /* index + 1; 0: the Connect context */
	uint16_t status;   /* failed before its data came: complete so */
	uint32_t rbytes;   /* host data received */
	uint32_t data_off; /* in-capsule data: the SGL's offset */
	void *buf;	   /* data buffer, page aligned */
	uint32_t buf_size;
	union nvme_command sqe;
	struct nvme_completion cqe;
	struct tcp_send send;
	struct nvme_tcp_data_pdu c2h;
	struct nvme_tcp_rsp_pdu rsp;
	struct nvme_tcp_r2t_pdu r2t;
	nvme_le32 hdgst[2]; /* of the PDUs sent */
	nvme_le32 ddgst;
	TAILQ_ENTRY(tcp_cmd) link; /* free list */
};

enum tcp_rx_state {
	RX_HDR,	  /* the header (and its digest) */
	RX_PAD,	  /* bytes between header and data (PDO) */
	RX_DATA,  /* the data */
	RX_DDGST, /* the data digest */
};

enum tcp_queue_state {
	TQ_IC,	 /* waiting for ICReq */
	TQ_LIVE, /* capsules flow */
};

struct tcp_queue {
	struct nvmet_sq sq;
	struct nvmet_tgt *tgt;
	int fd;
	struct sockaddr_storage local;
	struct nvmf_watch *watch;   /* worker */
	struct nvmet_poller poller; /* worker, with --poll-us */
	enum tcp_queue_state state;
	bool hdgst, ddgst; /* negotiated in ICReq */
	uint8_t c2h_pdo;   /* C2HData's data offset (the host's alignment) */
	bool stopping;	   /* worker */
	bool released;	   /* worker: handed over */
	bool out_armed;	   /* worker: EPOLLOUT watched */
	bool stop_posted;  /* main thread */

	/* receiving (worker): where the stream is */
	enum tcp_rx_state rx_state;
	union {
		struct nvme_tcp_hdr hdr;
		struct nvme_tcp_icreq_pdu icreq;
		struct nvme_tcp_cmd_pdu cmd;
		struct nvme_tcp_data_pdu data;
		struct nvme_tcp_term_pdu term;
		uint8_t raw[NVME_TCP_MAX_HLEN + NVME_TCP_DIGEST_LEN];
	} pdu;
	uint32_t pdu_got;   /* header bytes in pdu */
	uint32_t pdu_need;  /* header bytes with digest (8 until known) */
	uint32_t pad_left;  /* RX_PAD */
	uint32_t data_left; /* RX_DATA */
	uint32_t data_len;  /* this PDU's data */
	uint8_t *data_dst;  /* NULL: discard */
	uint32_t crc;	    /* running data digest */
	uint8_t ddgst_buf[NVME_TCP_DIGEST_LEN];
	uint32_t ddgst_got;
	struct tcp_cmd *rx_cmd; /* the command the data is for */

	/* sending */
	TAILQ_HEAD(, tcp_send) sends;
	struct nvmet_flush flush;
	struct tcp_send ctl_send; /* ICResp or C2HTermReq */
	union {
		struct nvme_tcp_icresp_pdu icresp;
		struct {
			struct nvme_tcp_term_pdu term;
			uint8_t hdr[NVME_TCP_MAX_HLEN];
		} t;
	} ctl;

	/* command contexts: the Connect's, then sq.size once connected */
	struct tcp_cmd connect;
	struct tcp_cmd *cmds;
	uint32_t nr_cmds;
	TAILQ_HEAD(, tcp_cmd) free_cmds;
	TAILQ_ENTRY(tcp_queue) link; /* main thread list */
};

/* tcp.c */
extern const struct nvmet_transport_ops nvmet_tcp_ops;
void nvmet_tcp_queue_add(struct nvmet_port *port, int fd,
			 const struct sockaddr *peer);
void nvmet_tcp_queue_stop(struct tcp_queue *q);
void nvmet_tcp_cmds_free(struct tcp_queue *q);

/* tcp_io.c */
void nvmet_tcp_queue_init(struct tcp_queue *q);
void nvmet_tcp_io_event(void *arg, uint32_t events);
/* Consume n bytes of the stream.  Return: 0, or < 0 (the queue is ending). */
int nvmet_tcp_rx(struct tcp_queue *q, const uint8_t *p, uint32_t n);
void nvmet_tcp_queue_response(struct nvmet_req *req);
void nvmet_tcp_flush(struct nvmet_flush *f);
void nvmet_tcp_fatal(struct tcp_queue *q, uint16_t fes, uint32_t fei,
		     const char *why);
void nvmet_tcp_cmd_free(struct tcp_cmd *cmd);

#endif /* NVMF_TARGET_TCP_H */

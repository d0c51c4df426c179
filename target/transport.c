// SPDX-License-Identifier: GPL-2.0
/*
 * The transports nvmf-tgt serves, found by the trtype of a port (as the
 * kernel's nvmet_transports[] and SPDK's transport list): the core calls a
 * transport only through its struct nvmet_transport_ops.
 */
#include <errno.h>
#include <stddef.h>

#include "log.h"
#include "nvmet.h"

const struct nvmet_transport_ops *const nvmet_transports[] = {
	&nvmet_rdma_ops,
	&nvmet_tcp_ops,
	NULL,
};

const struct nvmet_transport_ops *
nvmet_transport_find(const struct nvmet_tgt *tgt, uint8_t trtype)
{
	const struct nvmet_transport_ops *const *t;

	for (t = tgt->transports; t && *t; t++)
		if ((*t)->trtype == trtype)
			return *t;
	return NULL;
}

/* Start every transport; on a failure, end those started. */
int nvmet_transports_init(struct nvmet_tgt *tgt)
{
	const struct nvmet_transport_ops *const *t;
	int ret;

	for (t = tgt->transports; t && *t; t++) {
		if (!(*t)->init)
			continue;
		ret = (*t)->init(tgt);
		if (!ret)
			continue;
		nvmf_err("transport %s: cannot start", (*t)->name);
		while (t-- != tgt->transports)
			if ((*t)->exit)
				(*t)->exit(tgt);
		return ret;
	}
	return 0;
}

void nvmet_transports_exit(struct nvmet_tgt *tgt)
{
	const struct nvmet_transport_ops *const *t;

	for (t = tgt->transports; t && *t; t++)
		if ((*t)->exit)
			(*t)->exit(tgt);
}

void nvmet_transports_disconnect_all(struct nvmet_tgt *tgt)
{
	const struct nvmet_transport_ops *const *t;

	for (t = tgt->transports; t && *t; t++)
		if ((*t)->disconnect_all)
			(*t)->disconnect_all();
}

bool nvmet_transports_idle(struct nvmet_tgt *tgt)
{
	const struct nvmet_transport_ops *const *t;

	for (t = tgt->transports; t && *t; t++)
		if ((*t)->idle && !(*t)->idle())
			return false;
	return true;
}

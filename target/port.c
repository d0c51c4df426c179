// SPDX-License-Identifier: GPL-2.0
/*
 * Port states.  A port is live while its listener is bound, repairing
 * while the listener is lost (device removal, address change, bind failure)
 * and being retried, and disabled when it has no listener by design.  Every
 * change goes through nvmet_port_set_state(), checked against the table
 * and logged with its reason.
 */
#include <stdbool.h>

#include "log.h"
#include "nvmet.h"

static const char *const state_names[] = {
	[NVMET_PORT_DISABLED] = "disabled",
	[NVMET_PORT_LIVE] = "live",
	[NVMET_PORT_REPAIRING] = "repairing",
};

/* allowed[from][to] */
static const bool allowed[3][3] = {
	[NVMET_PORT_DISABLED] = { [NVMET_PORT_LIVE] = true,
				  [NVMET_PORT_REPAIRING] = true },
	[NVMET_PORT_LIVE] = { [NVMET_PORT_DISABLED] = true,
			      [NVMET_PORT_REPAIRING] = true },
	[NVMET_PORT_REPAIRING] = { [NVMET_PORT_DISABLED] = true,
				   [NVMET_PORT_LIVE] = true },
};

const char *nvmet_port_state_name(enum nvmet_port_state state)
{
	if ((unsigned int)state >= ARRAY_SIZE(state_names))
		return "?";
	return state_names[state];
}

void nvmet_port_set_state(struct nvmet_port *port, enum nvmet_port_state state,
			  const char *why)
{
	enum nvmet_port_state old = port->state;

	if (old == state)
		return;
	if (!allowed[old][state]) {
		nvmf_obj_err(port->log_prefix,
			     "refused state change %s -> %s (%s)",
			     nvmet_port_state_name(old),
			     nvmet_port_state_name(state), why);
		return;
	}
	port->state = state;
	port->state_since_ms = nvmf_now_ms();
	nvmf_obj_info(port->log_prefix, "%s -> %s: %s",
		      nvmet_port_state_name(old), nvmet_port_state_name(state),
		      why);
}

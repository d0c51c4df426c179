// SPDX-License-Identifier: GPL-2.0
/*
 * Controller states and the transitions allowed between them: the
 * kernel's table (REFERENCE section 8).  ctrl_set_state() in ctrl.c is
 * the one place a controller changes state, and it checks this table.
 */
#include "internal.h"

static const char *const state_names[] = {
	[NVMF_CTRL_NEW] = "new",
	[NVMF_CTRL_LIVE] = "live",
	[NVMF_CTRL_RESETTING] = "resetting",
	[NVMF_CTRL_CONNECTING] = "connecting",
	[NVMF_CTRL_DELETING] = "deleting",
	[NVMF_CTRL_DELETING_NOIO] = "deleting (no IO)",
	[NVMF_CTRL_DEAD] = "dead",
};

const char *nvmf_ctrl_state_name(enum nvmf_ctrl_state state)
{
	if ((unsigned int)state >= ARRAY_SIZE(state_names))
		return "unknown";
	return state_names[state];
}

/* allowed[to] = the states it may be entered from (the kernel's table) */
static const uint32_t allowed_from[] = {
	[NVMF_CTRL_LIVE] = 1u << NVMF_CTRL_CONNECTING,
	[NVMF_CTRL_RESETTING] = 1u << NVMF_CTRL_NEW | 1u << NVMF_CTRL_LIVE,
	[NVMF_CTRL_CONNECTING] = 1u << NVMF_CTRL_NEW |
				 1u << NVMF_CTRL_RESETTING,
	[NVMF_CTRL_DELETING] = 1u << NVMF_CTRL_LIVE |
			       1u << NVMF_CTRL_RESETTING |
			       1u << NVMF_CTRL_CONNECTING,
	[NVMF_CTRL_DELETING_NOIO] = 1u << NVMF_CTRL_DELETING,
	[NVMF_CTRL_DEAD] = 1u << NVMF_CTRL_DELETING |
			   1u << NVMF_CTRL_DELETING_NOIO,
};

bool nvmf_ctrl_state_allowed(enum nvmf_ctrl_state from, enum nvmf_ctrl_state to)
{
	if ((unsigned int)to >= ARRAY_SIZE(allowed_from) ||
	    (unsigned int)from >= ARRAY_SIZE(state_names))
		return false;
	return allowed_from[to] & (1u << from);
}

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

static const char *const stat_names[NVMF_STAT_NR] = {
	[NVMF_STAT_IOS] = "ios",
	[NVMF_STAT_ALLOCS] = "allocations",
	[NVMF_STAT_HOPS] = "thread_hops",
	[NVMF_STAT_SEND_DOORBELLS] = "send_doorbells",
	[NVMF_STAT_SEND_WRS] = "send_wrs",
	[NVMF_STAT_RECV_POSTS] = "recv_posts",
	[NVMF_STAT_CQ_WAKEUPS] = "cq_wakeups",
	[NVMF_STAT_CQ_ARMS] = "cq_arms",
	[NVMF_STAT_CQ_POLLS] = "cq_polls",
	[NVMF_STAT_WCS] = "work_completions",
	[NVMF_STAT_COPIES] = "data_copies",
};

const char *nvmf_ctrl_stat_name(int stat)
{
	if (stat < 0 || stat >= NVMF_STAT_NR)
		return NULL;
	return stat_names[stat];
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

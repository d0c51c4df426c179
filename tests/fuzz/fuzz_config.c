// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON configuration loader (nvmf-tgt -c FILE, nvmetcli's format):
 * parse, then build the target's model from it.  Namespaces are built
 * disabled, so nothing is opened, and no port listens.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "nvmet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvmet_tgt tgt;
	struct nvmf_cfg *cfg;
	char err[512], *text;

	nvmf_log_set_level(NVMF_LOG_ERROR);
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!nvmf_cfg_parse(text, "fuzz", &cfg, err, sizeof(err))) {
		for (int i = 0; i < cfg->nr_subsys; i++)
			for (int j = 0; j < cfg->subsys[i].nr_ns; j++)
				cfg->subsys[i].ns[j].enable = false;
		memset(&tgt, 0, sizeof(tgt));
		nvmet_tgt_build(&tgt, cfg, err, sizeof(err));
		nvmet_tgt_release(&tgt);
		nvmf_cfg_free(cfg);
	}
	free(text);
	return 0;
}

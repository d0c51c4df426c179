// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-cli's JSON configuration through libnvme: the file format and its
 * matching rules (a host by NQN and ID, its subsystems' ports) are
 * libnvme's, so connect-all finds what "nvme connect-all" finds.
 */
#include <errno.h>
#include <fcntl.h>
#include <libnvme.h>
#include <syslog.h>
#include <unistd.h>

#include "nvme_config.h"

int nvme_config_ports(const char *path, const char *hostnqn, const char *hostid,
		      void (*fn)(void *arg, const struct nvme_config_port *p),
		      void *arg)
{
	struct nvme_config_port p;
	nvme_subsystem_t s;
	int ret, nsub = 0;
	nvme_root_t r;
	nvme_host_t h;
	nvme_ctrl_t c;

	/* libnvme takes a file it cannot open for an empty one: not here */
	ret = open(path, O_RDONLY | O_CLOEXEC);
	if (ret < 0)
		return -errno;
	close(ret);
	/* libnvme's messages off: the caller reports what failed */
	r = nvme_create_root(NULL, LOG_CRIT);
	if (!r)
		return -ENOMEM;
	if (nvme_read_config(r, path)) {
		ret = errno ? -errno : -EPROTO;
		nvme_free_tree(r);
		return ret;
	}
	h = nvme_lookup_host(r, hostnqn, hostid);
	nvme_for_each_subsystem(h, s)
	{
		nsub++;
		nvme_subsystem_for_each_ctrl(s, c)
		{
			p.subnqn = nvme_subsystem_get_nqn(s);
			p.transport = nvme_ctrl_get_transport(c);
			p.traddr = nvme_ctrl_get_traddr(c);
			p.trsvcid = nvme_ctrl_get_trsvcid(c);
			p.host_traddr = nvme_ctrl_get_host_traddr(c);
			fn(arg, &p);
		}
	}
	nvme_free_tree(r);
	return nsub;
}

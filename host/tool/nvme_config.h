/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme-cli's JSON configuration (/etc/nvme/config.json), read by libnvme
 * (nvme_config.c; kept apart: libnvme's headers and ours both name the
 * NVMe structures).
 */
#ifndef NVMF_HOST_NVME_CONFIG_H
#define NVMF_HOST_NVME_CONFIG_H

struct nvme_config_port {
	const char *subnqn;
	const char *transport;
	const char *traddr;	 /* NULL if absent */
	const char *trsvcid;	 /* NULL if absent */
	const char *host_traddr; /* NULL if absent */
};

/*
 * Call fn for each port of each subsystem of the host with hostnqn in the
 * file at path, as libnvme finds them for nvme-cli: when hostid is not
 * NULL, only a host entry with that "hostid" matches.
 * Return: the number of subsystems of that host, -errno if the file
 * cannot be read (-EPROTO: not JSON, or not an array of hosts).
 */
int nvme_config_ports(const char *path, const char *hostnqn, const char *hostid,
		      void (*fn)(void *arg, const struct nvme_config_port *p),
		      void *arg);

#endif /* NVMF_HOST_NVME_CONFIG_H */

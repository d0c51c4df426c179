// SPDX-License-Identifier: GPL-2.0
/*
 * What nvmf-reactor reads about RDMA links and sysfs/configfs attributes,
 * without opening an RDMA device (a process holding one would make
 * `rdma link delete` wait for it).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "rdma_link.h"
#include "util.h"

int nvmf_read_attr(const char *dir, const char *name, char *buf, size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	if (nvmf_path(path, sizeof(path), "%s/%s", dir, name))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)n, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Does a line of `rdma ARGS` hold want (and also, if not NULL)?  1 yes,
 * 0 no, -1 the tool cannot tell.
 */
int nvmf_rdma_tool_match(const char *args, const char *want, const char *also)
{
	char cmdline[128], line[1024];
	int found = 0;
	FILE *p;

	snprintf(cmdline, sizeof(cmdline), "rdma %s 2>/dev/null", args);
	p = popen(cmdline, "re");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = ' ';
		if (strstr(line, want) && (!also || strstr(line, also)))
			found = 1;
	}
	if (pclose(p))
		return found ? 1 : -1;
	return found;
}

/*
 * The RDMA link on netdev, from sysfs: each port of ib_dir/DEV whose
 * default GID belongs to netdev (gid_attrs/ndevs/0, RoCE) and its state.
 * Reading files forks nothing (`rdma` takes about 0.3 s to start in the
 * lab, per call).  1 a link (active, if need_active), 0 none, -1 cannot
 * tell (a kernel without gid_attrs).  A device being unregistered stays
 * in sysfs to the end (its clients are removed first): use it where a
 * wrong "yes" during a removal costs a retry only.
 */
int nvmf_netdev_rdma_link(const char *ib_dir, const char *netdev,
			  bool need_active)
{
	char dir[PATH_MAX], st[64], nd[IF_NAMESIZE + 2];
	bool told = false, any = false;
	struct dirent *de;
	int port, ret = 0;
	DIR *d;

	d = opendir(ib_dir);
	if (!d)
		return errno == ENOENT ? 0 : -1; /* no RDMA device at all */
	while (ret != 1 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		for (port = 1; port <= 8; port++) {
			if (nvmf_path(dir, sizeof(dir), "%s/%s/ports/%d",
				      ib_dir, de->d_name, port) ||
			    nvmf_read_attr(dir, "state", st, sizeof(st)))
				break;
			any = true;
			if (nvmf_read_attr(dir, "gid_attrs/ndevs/0", nd,
					   sizeof(nd)))
				continue;
			told = true;
			if (strcmp(nd, netdev))
				continue;
			if (!need_active || strstr(st, "ACTIVE")) {
				ret = 1;
				break;
			}
		}
	}
	closedir(d);
	return ret == 1 || told || !any ? ret : -1;
}

/*
 * Is addr (of family adrfam) on a network device that has an RDMA link
 * now (`rdma link show`: "... netdev eth0")?  1 yes, 0 no, -1 cannot
 * tell.  A port is re-linked only if so: the kernel refuses the first
 * link of a port it cannot enable.  Nothing here opens an RDMA device (a
 * librdmacm probe would keep the device open, and `rdma link delete`
 * would wait for us).
 */
int nvmf_addr_on_rdma_link(const char *adrfam, const char *addr)
{
	char ifname[IF_NAMESIZE + 1] = "", want[IF_NAMESIZE + 16];
	struct ifaddrs *ifa, *i;
	unsigned char bin[sizeof(struct in6_addr)];
	int family;

	family = nvmf_adrfam_ip_af(adrfam);
	if (family == AF_UNSPEC)
		return -1;
	if (inet_pton(family, addr, bin) != 1)
		return -1;
	if (!strcmp(addr, "0.0.0.0") || !strcmp(addr, "::"))
		return 1; /* a wildcard listens wherever it can */
	if (getifaddrs(&ifa))
		return -1;
	for (i = ifa; i && !ifname[0]; i = i->ifa_next) {
		const void *a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != family)
			continue;
		a = family == AF_INET ?
			    (const void *)&((struct sockaddr_in *)i->ifa_addr)
				    ->sin_addr :
			    (const void *)&((struct sockaddr_in6 *)i->ifa_addr)
				    ->sin6_addr;
		if (!memcmp(a, bin, family == AF_INET ? 4 : 16))
			snprintf(ifname, sizeof(ifname), "%s", i->ifa_name);
	}
	freeifaddrs(ifa);
	if (!ifname[0])
		return 0; /* no device has the address */
	/*
	 * `rdma link show`, not sysfs: a device being unregistered leaves
	 * the tool's list first and sysfs last, and re-linking a port while
	 * its device goes would leave it without links.
	 */
	snprintf(want, sizeof(want), " netdev %s ", ifname);
	return nvmf_rdma_tool_match("link show", want, NULL);
}

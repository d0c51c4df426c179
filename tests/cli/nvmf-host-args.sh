#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmf-host's command line on the development machine (no RDMA here):
# host names as traddr are resolved (as nvme-cli does), bad values name
# the option and exit 2, and a missing RDMA connection manager is named
# as such (not "Cannot allocate memory").
# Usage: nvmf-host-args.sh NVMF_HOST
set -u
host=$1
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
nqn=nqn.2014-08.org.nvmf-test:args

# check NAME WANT_RC PATTERN ARGS...
check() {
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$(timeout 20 "$host" "$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && [[ $out == *$pat* ]]; then
		ok "$name: exit $rc, '$(echo "$out" | tail -1 | cut -c1-110)'"
	else
		bad "$name: exit $rc (want $want), output: $out (want *$pat*)"
	fi
}

if [ -e /dev/infiniband/rdma_cm ]; then
	echo "(this machine has RDMA: the no-rdma_cm checks do not apply)"
	rdma_msg=""
else
	rdma_msg="no RDMA connection manager"
fi
check "a host name as traddr is resolved" 1 "127.0.0.1:4420: rdma transport: $rdma_msg" \
	discover -t rdma -a localhost
check "an unresolvable traddr" 2 "traddr 'no-such-host.invalid' is not an IPv4 or IPv6 address, and resolving it failed" \
	discover -t rdma -a no-such-host.invalid
check "host-traddr as a name" 1 "rdma transport: $rdma_msg" \
	discover -t rdma -a 127.0.0.1 -w localhost
check "connect without rdma_cm says so" 1 "$rdma_msg" \
	connect -t rdma -a 127.0.0.1 -s 4420 -n "$nqn" --foreground \
	--run-dir "$tmp"
check "a bad queue size names the option" 2 "queue-size" \
	connect -t rdma -a 127.0.0.1 -n "$nqn" -Q 7
check "a bad NQN" 2 "nqn 'bad nqn'" \
	connect -t rdma -a 127.0.0.1 -n "bad nqn"
check "-F is fast_io_fail_tmo (nvme-cli 2.x)" 2 "fast_io_fail_tmo: 'x'" \
	connect -t rdma -a 127.0.0.1 -n "$nqn" -F x
check "--fast_io_fail_tmo out of range" 2 "fast_io_fail_tmo: '-2'" \
	connect -t rdma -a 127.0.0.1 -n "$nqn" --fast_io_fail_tmo -2
check "transport tcp" 2 "transport" \
	connect -t tcp -a 127.0.0.1 -n "$nqn"

finish

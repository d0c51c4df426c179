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
# connect-all from nvme-cli's JSON configuration (-J; libnvme reads it)
id1=11111111-2222-3333-4444-555555555555
cat >"$tmp/config.json" <<EOF
[ { "hostnqn": "$nqn-h1", "hostid": "$id1",
    "subsystems": [
      { "nqn": "$nqn-s1",
        "ports": [ { "transport": "rdma", "traddr": "127.0.0.1", "trsvcid": "4420" },
                   { "transport": "tcp", "traddr": "127.0.0.2", "trsvcid": "4420" },
                   { "transport": "fc", "traddr": "nn-0x1000000044001123:pn-0x2000000055001123" } ] },
      { "nqn": "$nqn-s2", "ports": [ { "transport": "rdma", "traddr": "127.0.0.3" } ] } ] },
  { "hostnqn": "$nqn-h2",
    "subsystems": [ { "nqn": "$nqn-s3",
                      "ports": [ { "transport": "rdma", "traddr": "127.0.0.9" } ] } ] } ]
EOF
if grep -q '^[[:space:]]*-' /etc/nvme/discovery.conf 2>/dev/null; then
	echo "(/etc/nvme/discovery.conf names controllers: the connect-all checks do not apply)"
else
	out=$(timeout 60 "$host" connect-all -J "$tmp/config.json" -q "$nqn-h1" \
		-I "$id1" --run-dir "$tmp" 2>&1)
	rc=$?
	if [ $rc = 1 ] &&
		grep -qF "config.json: $nqn-s1: rdma 127.0.0.1:4420: 127.0.0.1:4420: rdma transport: $rdma_msg" <<<"$out" &&
		grep -qF "config.json: $nqn-s2: rdma 127.0.0.3: 127.0.0.3:4420: rdma transport: $rdma_msg" <<<"$out" &&
		grep -qF "config.json: $nqn-s1: tcp 127.0.0.2:4420: 127.0.0.2:4420: queue 0: connect to 127.0.0.2:4420: Connection refused" <<<"$out" &&
		grep -qF "config.json: $nqn-s1: fc nn-0x1000000044001123:pn-0x2000000055001123: skipped: nvmf-host speaks rdma and tcp" <<<"$out" &&
		! grep -q "127.0.0.9" <<<"$out"; then
		ok "connect-all -J: the host's rdma and tcp ports tried (default port 4420), fc skipped, another host's port not; exit 1"
	else
		bad "connect-all -J: exit $rc: $out"
	fi
	check "connect-all -J: another hostid matches no host" 2 "no subsystem for host $nqn-h1 with hostid 2" \
		connect-all -J "$tmp/config.json" -q "$nqn-h1" -I 22222222-2222-3333-4444-555555555555
	check "connect-all -J: a named file that is missing" 2 "connect-all: $tmp/none.json: No such file or directory" \
		connect-all -J "$tmp/none.json"
	echo '{ "hostnqn": ' >"$tmp/bad.json"
	check "connect-all -J: not JSON" 2 "bad.json: not a JSON array of hosts" \
		connect-all -J "$tmp/bad.json"
	check "connect-all -J none, no discovery.conf entry" 2 "no discovery controller in (no JSON file) or /etc/nvme/discovery.conf" \
		connect-all -J none
	check "connect-all: options are checked first" 2 "queue-size: '3'" \
		connect-all -J "$tmp/config.json" -Q 3
fi
check "transport fc" 2 "transport 'fc' is not supported (rdma, tcp)" \
	connect -t fc -a 127.0.0.1 -n "$nqn"
check "tcp to a closed port: the reason" 1 "Connection refused" \
	connect -t tcp -a 127.0.0.1 -s 9 -n "$nqn" --ctrl-loss-tmo 0

finish

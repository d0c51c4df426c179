#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmf-host's run-dir entries when a connect daemon is gone (kill -9, OOM,
# crash): list and disconnect remove the entry (its name can be taken
# again), and nothing is ever signalled through the pid it recorded - that
# pid may belong to another process by now.  A daemon that is alive holds
# the flock on its entry's lock file.  No RDMA needed: the entries are
# made by hand, as a daemon leaves them.
# Usage: nvmf-host-entries.sh NVMF_HOST
set -u
host=$1
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		pkill -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
run="$tmp/run"

# entry NAME PID [locked]: what a daemon writes (lock file included)
entry() {
	mkdir -p "$run/ctrl/$1" "$run/$1"
	cat >"$run/ctrl/$1/status.json" <<JSON
{ "name": "$1", "pid": $2, "subnqn": "nqn.2014-08.org.test:$1",
  "trtype": "rdma", "traddr": "10.0.0.1", "trsvcid": "4420",
  "host_traddr": "", "mount": "$run/$1", "state": "live",
  "state_since_ms": 0, "namespaces": [] }
JSON
	: >"$run/ctrl/$1/lock"
}

# an unrelated process that got the pid of a daemon that is gone
sleep 600 >/dev/null 2>&1 &
bystander=$!
pids+=($bystander)

entry nvmf0 $bystander
"$host" list --run-dir "$run" >"$tmp/out" 2>"$tmp/err"
if ! grep -q nvmf0 "$tmp/out" && [ ! -e "$run/ctrl/nvmf0" ] && [ ! -e "$run/nvmf0" ]; then
	ok "list: the entry of a daemon that is gone is not listed, and removed ($(head -1 "$tmp/err"))"
else
	bad "list: $(cat "$tmp/out" "$tmp/err" | head -3 | tr '\n' ' '); entry left: $(ls "$run/ctrl")"
fi

entry nvmf1 $bystander
"$host" disconnect -d nvmf1 --run-dir "$run" >"$tmp/out" 2>&1
if kill -0 $bystander 2>/dev/null; then
	ok "disconnect: the process that has the recorded pid was not signalled"
else
	bad "disconnect signalled pid $bystander, which is not a daemon"
fi
[ ! -e "$run/ctrl/nvmf1" ] && ok "disconnect: the entry is removed" ||
	bad "disconnect: entry nvmf1 left"

# a live daemon: it holds the lock; disconnect signals it, and only it
entry nvmf2 0
flock -x "$run/ctrl/nvmf2/lock" sleep 600 >/dev/null 2>&1 &
holder=$!
pids+=($holder)
for _ in $(seq 50); do
	flock -n -x "$run/ctrl/nvmf2/lock" true 2>/dev/null || break
	sleep 0.1
done
sed -i "s/\"pid\": 0/\"pid\": $holder/" "$run/ctrl/nvmf2/status.json"
"$host" list --run-dir "$run" >"$tmp/out" 2>&1
grep -q nvmf2 "$tmp/out" && ok "list: a daemon holding its lock is listed" ||
	bad "list: live nvmf2 not listed: $(cat "$tmp/out")"
# -o json: nvme-cli's "Devices" (its names and types, nvme-cli 2.4's
# json_list_item) for each namespace device, then our "Controllers"
sed -i -e 's|"namespaces": \[\]|"model": "Linux", "serial": "abc", "firmware": "6.1", "namespaces": [ { "nsid": 1, "file": "/dev/nbd3", "size": 1048576, "block_size": 512, "write_protected": false } ]|' \
	"$run/ctrl/nvmf2/status.json"
"$host" list -o json --run-dir "$run" >"$tmp/json" 2>&1
python3 - "$tmp/json" <<'PY' && ok "list -o json: $(tr -d ' \n' <"$tmp/json" | cut -c1-150)..." || bad "list -o json: $(cat "$tmp/json")"
import json, sys
j = json.load(open(sys.argv[1]))
want = {"NameSpace": 1, "DevicePath": "/dev/nbd3", "Firmware": "6.1",
        "ModelNumber": "Linux", "SerialNumber": "abc", "MaximumLBA": 2048,
        "PhysicalSize": 1048576, "SectorSize": 512}
d = j["Devices"]
assert len(d) == 1, d
for k, v in want.items():
    assert d[0][k] == v and type(d[0][k]) == type(v), (k, d[0].get(k))
assert d[0]["Controller"] == "nvmf2" and d[0]["State"] == "live", d[0]
c = j["Controllers"]
assert len(c) == 1 and c[0]["name"] == "nvmf2" and c[0]["namespaces"][0]["file"] == "/dev/nbd3", c
PY
# the data path counters, per I/O
sed -i -e 's|"namespaces": \[|"stats": { "ios": 200, "allocations": 200, "thread_hops": 0, "send_doorbells": 100, "send_wrs": 400, "recv_posts": 200, "cq_wakeups": 50, "cq_arms": 50, "cq_polls": 60, "work_completions": 400, "data_copies": 20 }, "namespaces": [|' \
	"$run/ctrl/nvmf2/status.json"
"$host" list --run-dir "$run" >"$tmp/out" 2>&1
line=$(grep "data path:" "$tmp/out")
[ "$line" = "  data path:  200 I/Os; per I/O: allocations 1.00 thread_hops 0.00 send_doorbells 0.50 send_wrs 2.00 recv_posts 1.00 cq_wakeups 0.25 cq_arms 0.25 cq_polls 0.30 work_completions 2.00 data_copies 0.10" ] &&
	ok "list: counters per I/O:$line" || bad "list: counters: '$line'"
# a block device export's costs, per request
sed -i -e 's|"namespaces": \[|"block_devices": { "requests": 400, "socket_events": 40, "recv_calls": 50, "send_calls": 100 }, "namespaces": [|' \
	"$run/ctrl/nvmf2/status.json"
"$host" list --run-dir "$run" >"$tmp/out" 2>&1
line=$(grep "block devices:" "$tmp/out")
[ "$line" = "  block devices: 400 requests; per request: socket_events 0.10 recv_calls 0.12 send_calls 0.25" ] &&
	ok "list: block device costs per request:$line" || bad "list: block device costs: '$line'"
"$host" list -o xml --run-dir "$run" >"$tmp/out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "output-format" "$tmp/out" &&
	ok "list -o xml: exit 2, $(head -1 "$tmp/out")" || bad "list -o xml: exit $rc, $(cat "$tmp/out")"
"$host" disconnect -d nvmf2 --run-dir "$run" >"$tmp/out" 2>&1
sleep 0.5
if ! kill -0 $holder 2>/dev/null && kill -0 $bystander 2>/dev/null; then
	ok "disconnect: SIGTERM went to the daemon holding the entry"
else
	bad "disconnect of a live entry: holder alive=$(kill -0 $holder 2>/dev/null && echo yes || echo no) $(cat "$tmp/out")"
fi

# a connect that died before taking its lock: left alone for a minute
mkdir -p "$run/ctrl/nvmf3"
"$host" list --run-dir "$run" >/dev/null 2>&1
[ -d "$run/ctrl/nvmf3" ] && ok "an entry being claimed (no lock yet) is left alone" ||
	bad "a fresh entry without a lock was removed"
touch -d '2 minutes ago' "$run/ctrl/nvmf3"
"$host" list --run-dir "$run" >/dev/null 2>&1
[ ! -e "$run/ctrl/nvmf3" ] && ok "an entry left without a lock for a minute is removed" ||
	bad "an old entry without a lock was kept"

# no RDMA connection manager here (or anywhere rdma_ucm cannot load): the
# connect names it, exits 1 and leaves no entry
if [ ! -e /dev/infiniband/rdma_cm ]; then
	rm -rf "$tmp/cm"
	timeout 30 "$host" connect -t rdma -a 127.0.0.1 -n nqn.2014-08.org.test:cm \
		--run-dir "$tmp/cm" >"$tmp/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "rdma_cm.*rdma_ucm" "$tmp/out" &&
		[ "$(wc -l <"$tmp/out")" = 1 ] &&
		[ -z "$(ls "$tmp/cm/ctrl" 2>/dev/null)" ] &&
		ok "connect without an RDMA connection manager: exit 1, $(cat "$tmp/out")" ||
		bad "connect without rdma_cm: exit $rc, $(cat "$tmp/out"); left: $(ls "$tmp/cm/ctrl" 2>&1)"
fi

# --version, and "version" as nvme-cli has it
for args in --version version "connect --version"; do
	v=$("$host" $args 2>&1)
	[[ $v =~ ^nvmf-host\ [0-9]+\.[0-9]+\.[0-9]+$ ]] &&
		ok "nvmf-host $args: $v" || bad "nvmf-host $args: '$v'"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

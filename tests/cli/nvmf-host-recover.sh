#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmf-host recover and the entries of controllers exported as block
# devices, without RDMA or NBD: the entries are made by hand, as a daemon
# leaves them (status.json, recover.json, the lock a live daemon holds).
#   - bad input: no NAME, a NAME that is not a name: usage error (2);
#   - no such controller, a FUSE controller (nothing to recover), a
#     running daemon: one clear line, exit 1, nothing changed;
#   - an orphan (daemon gone, recover.json left): list shows it and keeps
#     it; a recover that cannot connect keeps it for the next try;
#     disconnect removes it;
#   - recover --wait sleeps while the daemon runs, and exits 0 when the
#     controller is disconnected instead of dying.
# Usage: nvmf-host-recover.sh NVMF_HOST
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

# entry NAME [nbd]: a daemon's entry; with nbd, its recover.json too
entry() {
	mkdir -p "$run/ctrl/$1"
	cat >"$run/ctrl/$1/status.json" <<JSON
{ "name": "$1", "pid": 999999, "subnqn": "nqn.2014-08.org.test:$1",
  "trtype": "rdma", "traddr": "127.0.0.1", "trsvcid": "4420",
  "host_traddr": "", "mount": "", "state": "live",
  "state_since_ms": 0, "namespaces": [] }
JSON
	: >"$run/ctrl/$1/lock"
	[ "${2:-}" = nbd ] || return 0
	cat >"$run/ctrl/$1/recover.json" <<JSON
{ "name": "$1",
  "args": [ "-t", "rdma", "-a", "127.0.0.1", "-s", "4420",
            "-n", "nqn.2014-08.org.test:$1", "--export", "nbd", "-l", "3", "-c", "1",
            "--run-dir", "$run" ],
  "devices": [ { "nsid": 1, "index": 7 } ] }
JSON
}

# expect NAME STATUS PATTERN cmd...: exit status and a line on stderr/stdout
expect() {
	local what=$1 want=$2 pat=$3 rc
	shift 3
	timeout 30 "$@" >"$tmp/out" 2>&1
	rc=$?
	if [ $rc -eq "$want" ] && grep -q -- "$pat" "$tmp/out"; then
		ok "$what: exit $rc, $(head -1 "$tmp/out")"
	else
		bad "$what: exit $rc (want $want), output: $(head -2 "$tmp/out" | tr '\n' ' ')"
	fi
}

expect "no NAME" 2 "give one controller NAME" "$host" recover --run-dir "$run"
expect "bad NAME" 2 "NAME '../x' is not a controller name" \
	"$host" recover --run-dir "$run" ../x
expect "no such controller" 1 "nvmf9: no such controller" \
	"$host" recover --run-dir "$run" nvmf9
entry nvmf0
expect "FUSE controller" 1 "nothing to recover" \
	"$host" recover --run-dir "$run" nvmf0

entry nvmf1 nbd
flock "$run/ctrl/nvmf1/lock" sleep 600 &
holder=$!
pids+=($holder)
sleep 0.3
expect "daemon running" 1 "nvmf1: its daemon is running" \
	"$host" recover --run-dir "$run" nvmf1
# a supervisor: waits while the daemon holds the lock
"$host" recover --wait --run-dir "$run" nvmf1 >"$tmp/wait.out" 2>&1 &
waiter=$!
pids+=($waiter)
sleep 1
if kill -0 $waiter 2>/dev/null; then
	ok "recover --wait: still waiting while the daemon runs"
else
	bad "recover --wait returned while the daemon runs: $(cat "$tmp/wait.out")"
fi
# the daemon disconnects cleanly: its entry goes, then its lock
rm -rf "$run/ctrl/nvmf1"
pkill -P $holder; kill $holder 2>/dev/null
for _ in $(seq 50); do
	kill -0 $waiter 2>/dev/null || break
	sleep 0.1
done
if kill -0 $waiter 2>/dev/null; then
	bad "recover --wait still waits after the controller was disconnected"
else
	wait $waiter
	rc=$?
	[ $rc -eq 0 ] && grep -q "disconnected; nothing to recover" "$tmp/wait.out" &&
		ok "recover --wait: exit 0 after a disconnect ($(cat "$tmp/wait.out"))" ||
		bad "recover --wait after a disconnect: exit $rc, $(cat "$tmp/wait.out")"
fi

# an orphan: the daemon is gone (nobody holds the lock)
entry nvmf2 nbd
"$host" list --run-dir "$run" >"$tmp/out" 2>&1
if grep -q "nvmf2: orphaned" "$tmp/out" && [ -e "$run/ctrl/nvmf2/recover.json" ]; then
	ok "list: an orphan is shown and kept ($(head -1 "$tmp/out"))"
else
	bad "list of an orphan: $(head -2 "$tmp/out" | tr '\n' ' '); entry: $(ls "$run/ctrl/nvmf2" 2>&1)"
fi
"$host" list -o json --run-dir "$run" | grep -q '"state": *"orphaned"' &&
	ok "list -o json: state orphaned" || bad "list -o json does not say orphaned"
# no RDMA here: the connect fails, the entry stays for the next try
timeout 60 "$host" recover --foreground --run-dir "$run" nvmf2 >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && [ -e "$run/ctrl/nvmf2/recover.json" ] &&
	"$host" list --run-dir "$run" | grep -q "nvmf2: orphaned"; then
	ok "a recover that cannot connect: exit 1, the orphan kept ($(tail -1 "$tmp/out"))"
else
	bad "failed recover: exit $rc, $(tail -1 "$tmp/out"); entry: $(ls "$run/ctrl/nvmf2" 2>&1)"
fi
"$host" disconnect -d nvmf2 --run-dir "$run" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ ! -e "$run/ctrl/nvmf2" ]; then
	ok "disconnect of an orphan: exit 0, entry removed ($(head -1 "$tmp/out"))"
else
	bad "disconnect of an orphan: exit $rc, $(cat "$tmp/out"); left: $(ls "$run/ctrl/nvmf2" 2>&1)"
fi

# a recover that keeps retrying (ctrl-loss-tmo 60, reconnect-delay 1) does
# not keep its caller: exit 0 with a line saying so; the entry says
# "recovering" (this daemon, the last error); a disconnect stops it and
# lets the devices go
entry nvmf3 nbd
sed -i 's/"-l", "3"/"-l", "60", "--reconnect-delay", "1"/' "$run/ctrl/nvmf3/recover.json"
t0=$(date +%s%N)
timeout 30 "$host" recover --run-dir "$run" nvmf3 >"$tmp/out" 2>&1
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $rc -eq 0 ] && grep -q "retrying every 1 s in the background until ctrl-loss-tmo" "$tmp/out" &&
	[ $ms -lt 20000 ]; then
	ok "recover while the target is unreachable: exit 0 after $ms ms: $(cat "$tmp/out")"
else
	bad "recover in the background: exit $rc after $ms ms: $(cat "$tmp/out")"
fi
"$host" list --run-dir "$run" >"$tmp/out" 2>&1
if grep -q "^nvmf3: recovering for" "$tmp/out" && grep -q "last error: .*rdma" "$tmp/out"; then
	ok "list shows the retrying recover: $(grep -A5 '^nvmf3' "$tmp/out" | grep -m1 'last error' | sed 's/^ *//')"
else
	bad "list during the retries: $(grep -A6 '^nvmf3' "$tmp/out" | tr '\n' ' ')"
fi
"$host" disconnect -d nvmf3 --run-dir "$run" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ ! -e "$run/ctrl/nvmf3" ]; then
	ok "disconnect stops the retrying recover: exit 0, entry removed"
else
	bad "disconnect of a retrying recover: exit $rc, $(cat "$tmp/out"); left: $(ls "$run/ctrl/nvmf3" 2>&1)"
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

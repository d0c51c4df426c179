#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmf-host against nvmf-tgt over NVMe/TCP, natively: two network
# namespaces joined by a veth pair, no VM, no RDMA.
#   - a port whose address is not there yet is repairing, and live once
#     the address is added: the reactor's rtnetlink event, not the repair
#     interval (figure: how long after);
#   - discovery over TCP lists the subsystem; connect-all -t tcp connects it;
#   - malformed PDUs get the C2HTermReq the spec names (FES and FEI), then
#     the connection closes; a TLS ClientHello is refused so too, and logged;
#   - verified I/O (perf --verify): 4 KiB and 128 KiB (R2T, H2CData), with
#     header and data digests; 2 threads each owning an I/O queue, also
#     across a kill -9 and restart of the target;
#   - a connected controller (FUSE export) keeps its data across CYCLES
#     kill -9 and restart of the target: it reconnects, the data written
#     before reads back, and I/O started while the target is down completes
#     once it is back (figures: reconnect time per cycle);
#   - link down and up under I/O: the I/O completes;
#   - a namespace added (SIGHUP reload) appears on the host;
#   - fast_io_fail_tmo: with the target gone, I/O fails after it, not
#     after ctrl-loss-tmo; ctrl-loss-tmo: the controller is then given up
#     and its daemon exits.
# With TGT_ARGS="--poll-us N" (cli.tcp-netns-poll) all of it runs with
# hybrid polling, and the target's counters must show the worker's spins
# looking at the sockets after the verified I/O.
# Usage: [TGT_ARGS=...] tcp-netns.sh NVMF_TGT NVMF_HOST [CYCLES]
set -u
tgt_bin=$1
host_bin=$2
cycles=${3:-3}
read -r -a tgt_args <<<"${TGT_ARGS:-}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null && command -v nsenter >/dev/null ||
	{ echo "SKIP: no ip (iproute2) or nsenter"; exit 77; }
[ -e /dev/fuse ] || { echo "SKIP: no /dev/fuse"; exit 77; }

tmp=$(mktemp -d)
sfx=$$
T=nvmft-t$sfx
H=nvmft-h$sfx
taddr=10.213.$((sfx % 250)).1
haddr=10.213.$((sfx % 250)).2
nqn=nqn.2014-08.org.nvmf-test:tcp-netns
passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
tgt_pid=
cleanup() {
	[ -n "$tgt_pid" ] && kill -9 "$tgt_pid" 2>/dev/null
	nsenter --net="/run/netns/$H" "$host_bin" disconnect-all \
		--run-dir "$tmp/run" >/dev/null 2>&1
	pkill -9 -f "run-dir $tmp/run" 2>/dev/null
	sleep 0.2
	umount -l "$tmp"/mnt* 2>/dev/null
	ip netns del "$T" 2>/dev/null
	ip netns del "$H" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$T" && ip netns add "$H" &&
	ip link add vt$sfx netns "$T" type veth peer name vh$sfx netns "$H" &&
	ip -n "$T" addr add "$taddr/24" dev vt$sfx &&
	ip -n "$H" addr add "$haddr/24" dev vh$sfx &&
	ip -n "$T" link set vt$sfx up && ip -n "$H" link set vh$sfx up &&
	ip -n "$T" link set lo up && ip -n "$H" link set lo up ||
	{ echo "SKIP: cannot make network namespaces"; exit 77; }

truncate -s 64M "$tmp/ns1.img"
truncate -s 16M "$tmp/ns2.img"
config() { # config NS...: the target's configuration with these namespaces
	local ns="" n
	for n in "$@"; do
		ns+="${ns:+,}{ \"nsid\": $n, \"enable\": 1, \"device\": { \"path\": \"$tmp/ns$n.img\" } }"
	done
	cat >"$tmp/tgt.json" <<JSON
{ "hosts": [],
  "ports": [ { "portid": 1,
      "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$taddr", "trsvcid": "4420" },
      "subsystems": [ "$nqn" ] } ],
  "subsystems": [ { "nqn": "$nqn", "attr": { "allow_any_host": "1" },
      "namespaces": [ $ns ] } ] }
JSON
}
tgt_start() {
	ip netns exec "$T" "$tgt_bin" -c "$tmp/tgt.json" -f \
		--run-dir "$tmp/tgtrun" --no-udev --threads 2 "${tgt_args[@]}" \
		>>"$tmp/tgt.log" 2>&1 &
	tgt_pid=$!
	for _ in $(seq 50); do
		grep -q "listening on $taddr:4420" "$tmp/tgt.log" && return 0
		sleep 0.1
	done
	return 1
}
tgt_kill() {
	kill -9 "$tgt_pid" 2>/dev/null
	wait "$tgt_pid" 2>/dev/null
	tgt_pid=
	: >"$tmp/tgt.log"
}
# the host's side enters the namespace's network only: its FUSE mounts
# stay visible here (ip netns exec would give it a mount namespace too)
host() { nsenter --net="/run/netns/$H" "$host_bin" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

config 1
# the target's address comes after the target: the port waits for it
ip -n "$T" addr del "$taddr/24" dev vt$sfx
# (its reactor sees the address added: no waiting for --repair-interval)
ip netns exec "$T" "$tgt_bin" -c "$tmp/tgt.json" -f --run-dir "$tmp/tgtrun" \
	--threads 2 --repair-interval 60 "${tgt_args[@]}" >>"$tmp/tgt.log" 2>&1 &
tgt_pid=$!
for _ in $(seq 50); do
	grep -q "repairing" "$tmp/tgt.log" && break
	sleep 0.1
done
grep -q "disabled -> repairing: cannot listen on $taddr:4420: Cannot assign requested address" "$tmp/tgt.log" &&
	ok "no address yet: the port is repairing ($(grep -o 'cannot listen.*' "$tmp/tgt.log" | head -1))" ||
	bad "port without its address: $(tail -2 "$tmp/tgt.log")"
t0=$(now_ms)
ip -n "$T" addr add "$taddr/24" dev vt$sfx
for _ in $(seq 100); do
	grep -q "listening on $taddr:4420" "$tmp/tgt.log" && break
	sleep 0.05
done
t1=$(now_ms)
grep -q "repairing -> live: listening on $taddr:4420" "$tmp/tgt.log" &&
	grep -q "rtnetlink: addr-add vt$sfx: repairing 1 port(s) now" "$tmp/tgt.log" &&
	ok "address added: the reactor repaired the port, live $((t1 - t0)) ms later (repair interval 60 s)" ||
	{ bad "the port did not go live: $(tail -2 "$tmp/tgt.log")"; exit 1; }

# ---- discovery
if host discover -t tcp -a "$taddr" -s 4420 >"$tmp/disc" 2>&1 &&
	grep -q "$nqn" "$tmp/disc" && grep -qi "tcp" "$tmp/disc"; then
	ok "discover over tcp lists $nqn"
else
	bad "discover: $(cat "$tmp/disc")"
fi

# connect-all over tcp: the subsystem of the discovery log, as FUSE files
mkdir -p "$tmp/run"
if host connect-all -t tcp -a "$taddr" -s 4420 --export fuse \
	--run-dir "$tmp/run" >"$tmp/all" 2>&1 &&
	host list --run-dir "$tmp/run" 2>&1 | grep -q "$nqn"; then
	ok "connect-all -t tcp: $(grep -c nvmf "$tmp/all") controller(s), listed"
else
	bad "connect-all -t tcp: $(cat "$tmp/all")"
fi
host disconnect-all --run-dir "$tmp/run" >/dev/null 2>&1 ||
	bad "disconnect-all after connect-all"

# ---- malformed PDUs: the specified C2HTermReq (FES, FEI), then the close
if nsenter --net="/run/netns/$H" python3 - "$taddr" >"$tmp/bad" 2>&1 <<'PY'; then
import socket, struct, sys

ADDR = sys.argv[1]


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return struct.pack("<I", c ^ 0xFFFFFFFF)


def icreq(pfv=0, digest=0):
    b = bytearray(128)
    b[0:8] = struct.pack("<BBBBI", 0, 0, 128, 0, 128)
    struct.pack_into("<H", b, 8, pfv)
    b[11] = digest
    return bytes(b)


def cmd(hlen=72, hd=False, good=True):
    h = struct.pack("<BBBBI", 4, 1 if hd else 0, hlen, 0, hlen + (4 if hd else 0))
    h += bytes([0x18, 0x40]) + bytes(hlen - 10)  # Keep Alive
    if hd:
        h += crc32c(h) if good else b"\0\0\0\0"
    return h


def case(what, data, fes, fei=None, icresp=True):
    s = socket.create_connection((ADDR, 4420), timeout=5)
    s.sendall(data)
    got = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
    except socket.timeout:
        print("FAIL %s: no close within 5 s (got %d bytes)" % (what, len(got)))
        return False
    if icresp:
        if got[:1] != b"\x01":
            print("FAIL %s: no ICResp first: %r" % (what, got[:8]))
            return False
        got = got[128:]
    if len(got) < 24 or got[0] != 0x03:
        print("FAIL %s: no C2HTermReq: %r" % (what, got[:24]))
        return False
    f, i = struct.unpack_from("<HI", got, 8)
    if f != fes or (fei is not None and i != fei):
        print("FAIL %s: fes 0x%x fei %d (want 0x%x %s)" % (what, f, i, fes, fei))
        return False
    print("ok   %s: C2HTermReq fes 0x%x fei %d, then closed" % (what, f, i))
    return True


ok = all([
    case("a capsule before ICReq", cmd(), 0x02, icresp=False),
    case("ICReq with PDU format version 1", icreq(pfv=1), 0x06, 8, icresp=False),
    case("a capsule header of 80 bytes", icreq() + cmd(hlen=80), 0x01, 2),
    case("a wrong header digest", icreq(digest=1) + cmd(hd=True, good=False), 0x03),
    case("H2CData for no R2T", icreq() + struct.pack("<BBBBIHHIII", 6, 4, 24, 24, 28, 1, 7, 0, 4, 0) + b"abcd", 0x01, 10),
    case("a TLS ClientHello", bytes([0x16, 0x03, 0x01, 0x00, 0x80]) + bytes(200), 0x02, icresp=False),
])
sys.exit(0 if ok else 1)
PY
	sed 's/^ok   /ok   malformed PDU: /' "$tmp/bad"
	passed=$((passed + $(grep -c '^ok' "$tmp/bad")))
	grep -q "TLS is not supported" "$tmp/tgt.log" &&
		ok "the TLS attempt is logged: $(grep -o 'a TLS handshake.*' "$tmp/tgt.log" | head -1)" ||
		bad "no log line names the TLS attempt"
else
	bad "malformed PDUs: $(cat "$tmp/bad")"
fi

# ---- verified I/O
trid="trtype:tcp adrfam:ipv4 traddr:$taddr trsvcid:4420 subnqn:$nqn"
perf() { # perf WHAT ARGS...
	local what=$1
	shift
	if timeout 60 nsenter --net="/run/netns/$H" "$host_bin" perf -r "$trid" -t 2 \
		--verify "$@" >"$tmp/perf" 2>&1 &&
		grep -q "errors=0" "$tmp/perf" &&
		grep -q " 0 mismatches" "$tmp/perf"; then
		ok "$what: $(grep -o 'iops=[0-9.]*' "$tmp/perf"), $(grep -o '[0-9]* reads checked' "$tmp/perf")"
	else
		bad "$what: $(tail -3 "$tmp/perf")"
	fi
}
perf "4k randrw QD32" -q 32 -o 4096 -w randrw
perf "128k randrw QD8 (R2T, H2CData)" -q 8 -o 131072 -w randrw
perf "4k randrw QD16, header+data digests" -q 16 -o 4096 -w randrw -g -G
perf "128k randrw QD4, header+data digests" -q 4 -o 131072 -w randrw -g -G
perf "4k randrw QD16 on each of 2 threads owning an I/O queue" -q 16 -o 4096 \
	-w randrw --threads 2
if [[ " ${tgt_args[*]} " == *" --poll-us"* ]]; then
	sleep 0.5 # the counters are written 4 times a second
	# "ios spins spin_hits" of all workers
	read -r ios spins hits < <(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["total"]
print(t["ios"], t["spins"], t["spin_hits"])' "$tmp/tgtrun/stats.json" 2>/dev/null)
	if [ "${spins:-0}" -gt 0 ] && [ "${hits:-0}" -gt 0 ]; then
		ok "hybrid polling over TCP (${tgt_args[*]}): $spins spins, $hits found work, for $ios I/Os"
	else
		bad "hybrid polling over TCP: spins ${spins:-?}, hits ${hits:-?} ($(ls "$tmp/tgtrun" 2>&1))"
	fi
fi

# ---- queues owned by threads across a target restart: every I/O in
# flight or submitted while the target is gone completes once it is back,
# on the same thread's queue, with the data verified
nsenter --net="/run/netns/$H" "$host_bin" perf -r "$trid" -t 8 --verify \
	-q 16 -o 4096 -w randrw --threads 2 -c 1 --log-level info \
	>"$tmp/perfq" 2>&1 &
pq=$!
for _ in $(seq 100); do # the threads have their queues
	grep -q "queue 2 is owned" "$tmp/perfq" && break
	sleep 0.1
done
sleep 3
tgt_kill
sleep 0.5
tgt_start || bad "owned queues: target restart"
if timeout 60 bash -c "while kill -0 $pq 2>/dev/null; do sleep 0.1; done"; then
	wait "$pq"
	rc=$?
else
	rc=timeout
fi
if [ "$rc" = 0 ] && grep -q "errors=0" "$tmp/perfq" &&
	grep -q " 0 mismatches" "$tmp/perfq" &&
	grep -q "reconnected after" "$tmp/perfq"; then
	ok "2 threads owning queues, target killed and restarted under their I/O: $(grep -o 'reconnected after [0-9]* ms' "$tmp/perfq"), no error, $(grep -o '[0-9]* reads checked' "$tmp/perfq"), longest I/O $(grep -o 'max [0-9.]*' "$tmp/perfq" | tail -1) us"
else
	bad "owned queues across a restart: rc $rc, $(grep -E 'result|verify|error|reconnect' "$tmp/perfq" | tail -4)"
fi

# ---- a connected controller across target restarts
mnt=$tmp/mnt1
mkdir -p "$mnt" "$tmp/run"
connect() { # connect MOUNT ARGS...: prints the controller name
	local m=$1
	shift
	host connect -t tcp -a "$taddr" -s 4420 -n "$nqn" --export fuse \
		--mount "$m" --run-dir "$tmp/run" -k 2 "$@" 2>>"$tmp/host.err"
}
name=$(connect "$mnt" -c 1 -l 60)
fstype=$(stat -f -c %T "$mnt")
if [ -n "$name" ] && [ -e "$mnt/n1" ] &&
	{ [ "$fstype" = fuse ] || [ "$fstype" = fuseblk ]; }; then
	ok "connect over tcp: $name, $mnt/n1"
else
	bad "connect: '$name' $(cat "$tmp/host.err")"
fi
head -c 4M /dev/urandom >"$tmp/pat"
dd if="$tmp/pat" of="$mnt/n1" bs=1M oflag=direct conv=notrunc status=none &&
	ok "wrote 4 MiB through the controller" || bad "write before the cycles"
for i in $(seq "$cycles"); do
	tgt_kill
	# I/O issued while the target is gone waits for the reconnect
	(dd if="$mnt/n1" of="$tmp/back" bs=1M count=4 iflag=direct \
		status=none; echo $? >"$tmp/rc") &
	rd=$!
	sleep 0.5
	t0=$(now_ms)
	tgt_start || bad "cycle $i: target restart"
	if timeout 60 bash -c "wait $rd 2>/dev/null; while kill -0 $rd 2>/dev/null; do sleep 0.1; done"; then :; fi
	t1=$(now_ms)
	if [ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] && cmp -s "$tmp/pat" "$tmp/back"; then
		ok "cycle $i: kill -9 and restart of the target: the read issued meanwhile completed $((t1 - t0)) ms after the restart, data intact"
	else
		bad "cycle $i: read rc $(cat "$tmp/rc" 2>/dev/null), $(cmp "$tmp/pat" "$tmp/back" 2>&1)"
	fi
	rm -f "$tmp/rc" "$tmp/back"
done

# ---- link down and up under I/O
(dd if="$tmp/pat" of="$mnt/n1" bs=1M seek=8 oflag=direct conv=notrunc \
	status=none; echo $? >"$tmp/rc") &
wr=$!
ip -n "$H" link set vh$sfx down
sleep 3
ip -n "$H" link set vh$sfx up
timeout 60 bash -c "while kill -0 $wr 2>/dev/null; do sleep 0.1; done"
dd if="$mnt/n1" of="$tmp/back" bs=1M skip=8 count=4 iflag=direct status=none
if [ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] && cmp -s "$tmp/pat" "$tmp/back"; then
	ok "link down 3 s and up under a write: it completed, data intact"
else
	bad "link flap: write rc $(cat "$tmp/rc" 2>/dev/null), $(cmp "$tmp/pat" "$tmp/back" 2>&1)"
fi

# ---- a namespace added on the target appears on the host
config 1 2
kill -HUP "$tgt_pid"
for _ in $(seq 100); do [ -e "$mnt/n2" ] && break; sleep 0.1; done
[ -e "$mnt/n2" ] && ok "namespace 2 added by a reload appeared as $mnt/n2" ||
	bad "namespace 2 did not appear: $(ls "$mnt")"
host disconnect -d "$name" --run-dir "$tmp/run" >/dev/null 2>&1 &&
	ok "disconnect $name" || bad "disconnect $name"

# ---- fast_io_fail_tmo, then ctrl-loss-tmo
mnt2=$tmp/mnt2
mkdir -p "$mnt2"
name=$(connect "$mnt2" -c 1 -l 6 -F 1)
pid=$(cat "$tmp/run/ctrl/$name/status.json" 2>/dev/null |
	sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
tgt_kill
t0=$(now_ms)
if dd if="$mnt2/n1" of=/dev/null bs=4k count=1 iflag=direct status=none \
	2>"$tmp/dd.err"; then
	bad "a read with the target gone succeeded"
else
	t1=$(now_ms)
	# the library fails I/O with ENOLINK ("Link has been severed")
	grep -Eq "Input/output error|Link has been severed" "$tmp/dd.err" &&
		[ $((t1 - t0)) -lt 5000 ] &&
		ok "fast_io_fail_tmo 1: the read failed after $((t1 - t0)) ms ($(sed 's/.*: //' "$tmp/dd.err"); ctrl-loss-tmo 6)" ||
		bad "read failed after $((t1 - t0)) ms: $(cat "$tmp/dd.err")"
fi
for _ in $(seq 200); do
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
t2=$(now_ms)
if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
	ok "ctrl-loss-tmo 6: the controller was given up, its daemon exited $((t2 - t0)) ms after the target went"
else
	bad "daemon ${pid:-?} still running after ctrl-loss-tmo"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

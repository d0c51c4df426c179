#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmf-tgt's configfs-compatible tree (--configfs DIR) on the development
# machine: mkdir/ln/echo/rm/rmdir sequences, each with the errno the
# kernel's nvmet configfs gives; values read back in the kernel's formats;
# -c FILE gives the tree its contents; nvmetcli restore/save/ls/clear work
# on the tree.  There is no RDMA here, so enabling a port fails with ENODEV
# - which is what "ln fails with the bind's error" must show.
# Usage: nvmf-tgt-configfs.sh NVMF_TGT NVMETCLI
set -u
tgt=$1
cli=$2
if [ ! -c /dev/fuse ] || [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root and /dev/fuse"
	exit 77
fi
tmp=$(mktemp -d)
t=$tmp/tree
pid=
cleanup() {
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		# a frozen target ignores SIGTERM: do not hang the test
		timeout 5 tail --pid="$pid" -f /dev/null || kill -KILL "$pid"
		wait "$pid"
	fi
	mountpoint -q "$t" && umount -l "$t"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }

# start [ARGS...]: nvmf-tgt in the foreground with the tree on $t
start() {
	mkdir -p "$t" 2>/dev/null
	"$tgt" --configfs "$t" --foreground --run-dir '' --no-udev "$@" \
		>"$tmp/tgt.log" 2>&1 &
	pid=$!
	echo "log: $tmp/tgt.log" >/dev/null
	for _ in $(seq 50); do
		[ -e "$t/subsystems" ] && return 0
		sleep 0.1
	done
	echo "nvmf-tgt did not mount the tree: $(cat "$tmp/tgt.log")"
	exit 1
}

stop() {
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	pid=
	return $rc
}

# expect ERRNO_TEXT NAME COMMAND...: the command fails with that message
expect() {
	local want=$1 name=$2
	shift 2
	if out=$("$@" 2>&1); then
		bad "$name: succeeded, expected '$want'"
	elif [[ $out == *"$want"* ]]; then
		ok "$name: $want"
	else
		bad "$name: got '$out', expected '$want'"
	fi
}

# works NAME COMMAND...: the command succeeds
works() {
	local name=$1
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		bad "$name: $out"
	fi
}

# is FILE VALUE: the attribute reads VALUE
is() {
	local got
	got=$(cat "$1" 2>&1)
	[ "$got" = "$2" ] && ok "${1#$t/} reads '$2'" ||
		bad "${1#$t/} reads '$got', expected '$2'"
}

put() { echo "$2" >"$1"; }

start
S=nqn.2014-08.org.nvmf-test:s1
H=nqn.2014-08.org.nvmf-test:h1
s=$t/subsystems/$S
truncate -s 8M "$tmp/d1.img" "$tmp/d2.img"

# ---- layout and defaults
[ "$(ls "$t")" = "$(printf 'discovery_nqn\nhosts\nports\nsubsystems')" ] &&
	ok "root: discovery_nqn hosts ports subsystems" || bad "root: $(ls "$t")"
is "$t/discovery_nqn" nqn.2014-08.org.nvmexpress.discovery
works "mkdir subsystems/NQN" mkdir "$s"
expect "File exists" "mkdir of an existing subsystem" mkdir "$s"
expect "Invalid argument" "mkdir of the discovery NQN" \
	mkdir "$t/subsystems/nqn.2014-08.org.nvmexpress.discovery"
for d in namespaces allowed_hosts attr_allow_any_host attr_version attr_serial \
	attr_model attr_cntlid_min attr_cntlid_max attr_qid_max; do
	[ -e "$s/$d" ] || bad "subsystem has no $d"
done
is "$s/attr_allow_any_host" 0
is "$s/attr_version" 1.3
is "$s/attr_cntlid_min" 1
is "$s/attr_cntlid_max" 65519
is "$s/attr_ieee_oui" 0x000000

# ---- subsystem attributes
works "attr_version 1.4" put "$s/attr_version" 1.4
is "$s/attr_version" 1.4
works "attr_version 2.0.1" put "$s/attr_version" 2.0.1
is "$s/attr_version" 2.0.1
expect "Invalid argument" "attr_version 'x'" put "$s/attr_version" x
works "attr_serial" put "$s/attr_serial" SN-TEST-1
is "$s/attr_serial" SN-TEST-1
expect "Invalid argument" "attr_serial of 21 characters" \
	put "$s/attr_serial" 123456789012345678901
works "attr_model" put "$s/attr_model" "test model"
is "$s/attr_model" "test model"
works "attr_cntlid_min 5" put "$s/attr_cntlid_min" 5
expect "Invalid argument" "attr_cntlid_min 0" put "$s/attr_cntlid_min" 0
expect "Invalid argument" "attr_cntlid_max below min" put "$s/attr_cntlid_max" 4
expect "Invalid argument" "attr_qid_max 0" put "$s/attr_qid_max" 0
expect "Invalid argument" "attr_pi_enable 1 (no PI support)" \
	put "$s/attr_pi_enable" 1
expect "Invalid argument" "attr_allow_any_host 'maybe'" \
	put "$s/attr_allow_any_host" maybe
expect "Permission denied" "creating a file" touch "$s/newfile"

# ---- namespaces
ns=$s/namespaces/1
expect "Invalid argument" "mkdir namespaces/0" mkdir "$s/namespaces/0"
expect "Invalid argument" "mkdir namespaces/abc" mkdir "$s/namespaces/abc"
expect "Invalid argument" "mkdir namespaces/4294967295" \
	mkdir "$s/namespaces/4294967295"
works "mkdir namespaces/1" mkdir "$ns"
is "$ns/enable" 0
expect "Invalid argument" "enable without a device path" put "$ns/enable" 1
expect "No such file or directory" "enable of a missing device" \
	bash -c "echo $tmp/missing >'$ns/device_path' && echo 1 >'$ns/enable'"
is "$ns/enable" 0
works "device_path" put "$ns/device_path" "$tmp/d1.img"
is "$ns/device_path" "$tmp/d1.img"
works "device_uuid" put "$ns/device_uuid" 4f4a0a6a-1d52-4a3e-9b7e-0123456789ab
is "$ns/device_uuid" 4f4a0a6a-1d52-4a3e-9b7e-0123456789ab
expect "Invalid argument" "device_uuid 'nonsense'" put "$ns/device_uuid" nonsense
works "device_nguid" put "$ns/device_nguid" 0102030405060708090a0b0c0d0e0f10
is "$ns/device_nguid" 01020304-0506-0708-090a-0b0c0d0e0f10
works "enable" put "$ns/enable" 1
is "$ns/enable" 1
expect "Device or resource busy" "device_path while enabled" \
	put "$ns/device_path" "$tmp/d2.img"
expect "Device or resource busy" "device_uuid while enabled" \
	put "$ns/device_uuid" 4f4a0a6a-1d52-4a3e-9b7e-0123456789ac
expect "Invalid argument" "buffered_io while enabled" put "$ns/buffered_io" 1
expect "Invalid argument" "revalidate_size 0" put "$ns/revalidate_size" 0
works "revalidate_size while enabled" put "$ns/revalidate_size" 1
expect "Permission denied" "reading the write-only revalidate_size" \
	cat "$ns/revalidate_size"
works "disable" put "$ns/enable" 0
works "device_path while disabled" put "$ns/device_path" "$tmp/d2.img"
works "enable again" put "$ns/enable" 1
works "mkdir namespaces/2" mkdir "$s/namespaces/2"
# a device inside the tree, directly or through a symlink: refused, not a
# frozen target (the main thread would wait for the tree's own thread)
ns2=$s/namespaces/2
expect "Invalid argument" "enable of a device_path inside the tree" \
	timeout -k 2 10 bash -c "echo '$s/attr_model' >'$ns2/device_path' && echo 1 >'$ns2/enable'"
ln -s "$t/subsystems" "$tmp/into-tree"
expect "Invalid argument" "enable of a device_path through a symlink into the tree" \
	timeout -k 2 10 bash -c "echo '$tmp/into-tree/${s##*/}/attr_serial' >'$ns2/device_path' && echo 1 >'$ns2/enable'"
expect "Invalid argument" "enable of a relative device_path" \
	timeout -k 2 10 bash -c "echo 'd1.img' >'$ns2/device_path' && echo 1 >'$ns2/enable'"
grep -q "inside an nvmf-tgt configfs tree" "$tmp/tgt.log" &&
	ok "the log says the path is inside the tree" || bad "no reason logged"
works "the tree still answers" put "$ns2/device_path" "$tmp/d1.img"
[ "$(ls "$s/namespaces" | tr '\n' ' ')" = "1 2 " ] &&
	ok "namespaces lists 1 2" || bad "namespaces: $(ls "$s/namespaces")"
expect "Operation not permitted" "rmdir of the namespaces group" \
	rmdir "$s/namespaces"
expect "Operation not permitted" "rm of an attribute" rm -f "$ns/enable"
expect "Directory not empty" "rmdir of a subsystem with namespaces" rmdir "$s"

# ---- hosts and allowed_hosts
works "mkdir hosts/NQN" mkdir "$t/hosts/$H"
works "ln -s hosts/NQN allowed_hosts" \
	ln -s "$t/hosts/$H" "$s/allowed_hosts/$H"
[ "$(readlink "$s/allowed_hosts/$H")" = "../../../hosts/$H" ] &&
	ok "allowed_hosts link reads ../../../hosts/NQN" ||
	bad "readlink: $(readlink "$s/allowed_hosts/$H")"
expect "File exists" "the same host twice" \
	ln -s "../../../hosts/$H" "$s/allowed_hosts/other-name"
expect "Invalid argument" "allow_any_host with explicit hosts" \
	put "$s/attr_allow_any_host" 1
expect "Invalid argument" "a subsystem linked into allowed_hosts" \
	ln -s "$s" "$s/allowed_hosts/x"
expect "Operation not permitted" "a link to outside the tree" \
	ln -s /tmp "$s/allowed_hosts/y"
expect "No such file or directory" "a link to a missing host" \
	ln -s "$t/hosts/nope" "$s/allowed_hosts/nope"
expect "Operation not permitted" "a link into namespaces" \
	ln -s "$t/hosts/$H" "$s/namespaces/$H"
expect "Device or resource busy" "rmdir of an allowed host" rmdir "$t/hosts/$H"
works "unlink allowed host" rm "$s/allowed_hosts/$H"
works "allow_any_host once no hosts are listed" put "$s/attr_allow_any_host" 1
expect "Invalid argument" "allowed host while allow_any_host" \
	ln -s "$t/hosts/$H" "$s/allowed_hosts/$H"
works "rmdir hosts/NQN" rmdir "$t/hosts/$H"

# ---- ports
p=$t/ports/1
expect "Invalid argument" "mkdir ports/x" mkdir "$t/ports/x"
expect "Invalid argument" "mkdir ports/70000" mkdir "$t/ports/70000"
works "mkdir ports/1" mkdir "$p"
for d in addr_trtype addr_adrfam addr_traddr addr_trsvcid addr_treq addr_tsas \
	param_inline_data_size param_max_queue_size subsystems referrals \
	ana_groups state state_since repair_attempts last_error; do
	[ -e "$p/$d" ] || bad "port has no $d"
done
is "$p/state" disabled
is "$p/addr_trtype" rdma
is "$p/ana_groups/1/ana_state" optimized
is "$p/param_max_queue_size" -1
expect "Invalid argument" "addr_trtype 'carrier-pigeon'" \
	put "$p/addr_trtype" carrier-pigeon
expect "Invalid argument" "addr_adrfam 'ipv5'" put "$p/addr_adrfam" ipv5
expect "Invalid argument" "addr_treq 'sometimes'" put "$p/addr_treq" sometimes
works "addr_traddr" put "$p/addr_traddr" 127.0.0.1
works "addr_trsvcid" put "$p/addr_trsvcid" 4420
works "param_inline_data_size" put "$p/param_inline_data_size" 8192
expect "Invalid argument" "param_inline_data_size 'big'" \
	put "$p/param_inline_data_size" big
expect "Permission denied" "writing the read-only state" put "$p/state" live
expect "No such device" "ln of a subsystem: the port cannot listen here" \
	ln -s "$s" "$p/subsystems/$S"
[ -z "$(ls "$p/subsystems")" ] && ok "the failed link left nothing" ||
	bad "port subsystems after a failed link: $(ls "$p/subsystems")"
grep -q 'No such device' "$p/last_error" && ok "last_error names the failure" ||
	bad "last_error: $(cat "$p/last_error")"
is "$p/state" disabled
works "addr_trtype fc" put "$p/addr_trtype" fc
expect "Invalid argument" "ln on an fc port (no fc transport)" \
	ln -s "$s" "$p/subsystems/$S"
grep -q 'no transport for trtype fc' "$p/last_error" &&
	ok "last_error names the missing transport" ||
	bad "last_error: $(cat "$p/last_error")"
# a TCP port listens at once (a free port of the loopback address)
tport=$((20000 + RANDOM % 20000))
works "addr_trtype tcp" put "$p/addr_trtype" tcp
works "addr_trsvcid $tport" put "$p/addr_trsvcid" "$tport"
works "ln on a tcp port" ln -s "$s" "$p/subsystems/$S"
is "$p/state" live
works "unlink from the tcp port" rm "$p/subsystems/$S"
is "$p/state" disabled
expect "Invalid argument" "a host linked into a port" \
	bash -c "mkdir '$t/hosts/h2' && ln -s '$t/hosts/h2' '$p/subsystems/h2'"
works "mkdir ana_groups/2" mkdir "$p/ana_groups/2"
works "ana_state" put "$p/ana_groups/2/ana_state" inaccessible
is "$p/ana_groups/2/ana_state" inaccessible
expect "Invalid argument" "ana_state 'sideways'" \
	put "$p/ana_groups/2/ana_state" sideways
expect "Operation not permitted" "rmdir ana_groups/1" rmdir "$p/ana_groups/1"
works "rmdir ana_groups/2" rmdir "$p/ana_groups/2"
works "mkdir referrals/r1" mkdir "$p/referrals/r1"
works "referral address" put "$p/referrals/r1/addr_traddr" 10.0.0.9
works "referral enable" put "$p/referrals/r1/enable" 1
expect "Permission denied" "referral address while enabled" \
	put "$p/referrals/r1/addr_traddr" 10.0.0.8
expect "Directory not empty" "rmdir of a port with referrals" rmdir "$p"
works "rmdir referrals/r1" rmdir "$p/referrals/r1"

# ---- an unprivileged user reads what configfs lets it read, changes nothing
chmod 755 "$tmp" # let it reach the tree (mktemp -d makes it 0700)
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
expect "Permission denied" "as uid 65534: mkdir subsystems/x" \
	nobody mkdir "$t/subsystems/nqn.2014-08.org.test:evil"
expect "Permission denied" "as uid 65534: mkdir namespaces/9" \
	nobody mkdir "$s/namespaces/9"
expect "Permission denied" "as uid 65534: device_path of a namespace" \
	nobody sh -c "echo /etc/shadow >'$s/namespaces/2/device_path'"
expect "Permission denied" "as uid 65534: enable" \
	nobody sh -c "echo 0 >'$ns/enable'"
expect "Permission denied" "as uid 65534: ln into a port" \
	nobody ln -s "$s" "$p/subsystems/$(basename "$s")"
expect "Permission denied" "as uid 65534: rmdir hosts/h2" \
	nobody rmdir "$t/hosts/h2"
expect "Permission denied" "as uid 65534: rmdir of a namespace" \
	nobody rmdir "$s/namespaces/2"
expect "Permission denied" "as uid 65534: truncate attr_model" \
	nobody truncate -s 0 "$s/attr_model"
expect "Permission denied" "as uid 65534: read revalidate_size (0200)" \
	nobody cat "$ns/revalidate_size"
is "$ns/enable" "$(nobody cat "$ns/enable" 2>&1)" # reads like configfs
[ "$(stat -c '%u %a' "$s/attr_model")" = "0 644" ] &&
	ok "attributes are root's, mode 0644" ||
	bad "attr_model: $(stat -c '%u %a' "$s/attr_model")"
works "rmdir ports/1" rmdir "$p"
works "rmdir hosts/h2" rmdir "$t/hosts/h2"
works "rmdir namespaces/2" rmdir "$s/namespaces/2"
works "rmdir of an enabled namespace" rmdir "$ns"
works "rmdir subsystem" rmdir "$s"
[ -z "$(ls "$t/subsystems" "$t/ports" "$t/hosts" | grep -v ':$' | grep .)" ] &&
	ok "the tree is empty again" || bad "left: $(ls -R "$t" | head)"
stop && ok "SIGTERM: exit 0, tree unmounted" || bad "nvmf-tgt exit status $?"
mountpoint -q "$t" && bad "still mounted after exit"

# ---- -c FILE fills the tree; nvmetcli works on it
cat >"$tmp/c.json" <<JSON
{
  "hosts": [ { "nqn": "$H" } ],
  "ports": [ { "portid": 3, "addr": { "trtype": "rdma", "adrfam": "ipv4",
               "traddr": "127.0.0.1", "trsvcid": "4420" },
               "subsystems": [ "$S" ] } ],
  "subsystems": [ { "nqn": "$S", "attr": { "allow_any_host": "0",
                    "serial": "SNFILE" },
                    "allowed_hosts": [ "$H" ],
                    "namespaces": [ { "nsid": 7, "enable": 1,
                                      "device": { "path": "$tmp/d1.img" } } ] } ]
}
JSON
start -c "$tmp/c.json"
is "$s/attr_serial" SNFILE
is "$s/namespaces/7/enable" 1
is "$s/namespaces/7/device_path" "$tmp/d1.img"
[ "$(readlink "$t/ports/3/subsystems/$S")" = "../../../subsystems/$S" ] &&
	ok "-c: the port link is in the tree" || bad "-c: no port link"
[ -L "$s/allowed_hosts/$H" ] && ok "-c: the allowed host is in the tree" ||
	bad "-c: no allowed host link"
is "$t/ports/3/state" repairing
grep -q 'No such device' "$t/ports/3/last_error" &&
	ok "-c: a port that cannot listen is repairing, with its error" ||
	bad "-c: last_error $(cat "$t/ports/3/last_error")"
"$cli" --root "$t" --no-color ls >"$tmp/ls" 2>&1
grep -q "o- 3 \[rdma 127.0.0.1:4420\] repairing" "$tmp/ls" &&
	ok "nvmetcli ls shows the port repairing" || bad "ls: $(cat "$tmp/ls")"
"$cli" --root "$t" save "$tmp/saved.json" 2>"$tmp/err" &&
	grep -q "\"path\": \"$tmp/d1.img\"" "$tmp/saved.json" &&
	grep -q '"serial": "SNFILE"' "$tmp/saved.json" &&
	ok "nvmetcli save of the tree" || bad "save: $(cat "$tmp/err")"
"$cli" --root "$t" clear 2>"$tmp/err" && ok "nvmetcli clear of the tree" ||
	bad "clear: $(cat "$tmp/err")"
[ -z "$(ls "$t/subsystems" "$t/ports" "$t/hosts" | grep -v ':$' | grep .)" ] &&
	ok "clear left the tree empty" || bad "after clear: $(ls -R "$t" | head)"
# restore: the port link fails here (no RDMA), is reported, the rest is
# restored; save then gives the input back without that link
"$cli" --root "$t" restore "$tmp/saved.json" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q 'ports\[0\].subsystems\[0\].*No such device' "$tmp/err" &&
	ok "nvmetcli restore into the tree: the unlistenable port link reported, exit 1" ||
	bad "restore: exit $rc: $(cat "$tmp/err")"
perl -0pe 's/"subsystems": \[\s*"[^"]*"\s*\]/"subsystems": []/' \
	"$tmp/saved.json" >"$tmp/nolink.json"
"$cli" --root "$t" save "$tmp/again.json" 2>"$tmp/err" &&
	cmp -s "$tmp/nolink.json" "$tmp/again.json" &&
	ok "nvmetcli restore then save on the tree gives the same bytes" ||
	bad "round trip: $(diff "$tmp/nolink.json" "$tmp/again.json" | head -5 | tr '\n' ' ') $(cat "$tmp/err")"
grep -c 'configfs: ' "$tmp/tgt.log" | grep -qv '^0$' &&
	ok "every change is logged" || bad "no change logged"
# SIGHUP is not fatal (hosts would lose their target)
kill -HUP "$pid"
for _ in $(seq 50); do
	grep -q "SIGHUP" "$tmp/tgt.log" && break
	sleep 0.1
done
kill -0 "$pid" 2>/dev/null && [ -d "$t/subsystems" ] &&
	grep -q "SIGHUP" "$tmp/tgt.log" &&
	ok "SIGHUP: still running, the tree answers, the log says why" ||
	bad "SIGHUP: $(tail -2 "$tmp/tgt.log")"
stop && ok "second run: exit 0" || bad "second run: exit status $?"

# ---- kill -9 leaves a dead mount; the next nvmf-tgt clears it
start
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
stat "$t" >/dev/null 2>&1 && bad "no dead mount after kill -9 (the test shows nothing)" ||
	ok "kill -9 left a dead mount ($(stat "$t" 2>&1 | sed 's/.*: //'))"
start
grep -q "removed the dead mount" "$tmp/tgt.log" && [ -d "$t/subsystems" ] &&
	ok "the next nvmf-tgt removed the dead mount and mounted the tree" ||
	bad "after kill -9: $(tail -2 "$tmp/tgt.log")"
stop && ok "third run: exit 0" || bad "third run: exit status $?"

# ---- --save FILE: every change saved atomically, restored after kill -9
F=$tmp/persist.json
P=nqn.2014-08.org.nvmf-test:persist
# saved: nvmetcli's save of the tree equals FILE (waits up to 10 s)
saved() {
	local _
	for _ in $(seq 100); do
		"$cli" --root "$t" save - >"$tmp/tree.json" 2>/dev/null &&
			[ -s "$F" ] && cmp -s "$tmp/tree.json" "$F" && return 0
		sleep 0.1
	done
	return 1
}
expect "needs --configfs" "--save without --configfs" "$tgt" --save "$F" -c x.json
start --save "$F"
grep -q "no $F yet" "$tmp/tgt.log" && ok "--save: no file yet, starting empty" ||
	bad "--save without a file: $(tail -2 "$tmp/tgt.log")"
mkdir "$t/subsystems/$P" "$t/hosts/$H" "$t/ports/7" "$t/ports/7/referrals/r1"
put "$t/subsystems/$P/attr_serial" SNPERSIST
ln -s "$t/hosts/$H" "$t/subsystems/$P/allowed_hosts/$H"
mkdir "$t/subsystems/$P/namespaces/3"
put "$t/subsystems/$P/namespaces/3/device_path" "$tmp/d2.img"
put "$t/subsystems/$P/namespaces/3/enable" 1
put "$t/ports/7/addr_traddr" 127.0.0.1
put "$t/ports/7/addr_trsvcid" 4420
put "$t/ports/7/referrals/r1/addr_traddr" 10.0.0.9
if saved && grep -q SNPERSIST "$F" && grep -q "$tmp/d2.img" "$F" &&
	grep -q 10.0.0.9 "$F"; then
	ok "--save: the file follows the tree ($(grep -c . "$F") lines; equals nvmetcli save)"
else
	bad "--save: file differs from the tree: $(diff "$tmp/tree.json" "$F" | head -5)"
fi
ls "$F".tmp.* >/dev/null 2>&1 &&
	bad "--save left a temporary file" || ok "--save: no temporary file left"
# the host had the device at save time: the file links the subsystem to
# port 7, which cannot listen here (no RDMA), as at a boot before the NIC
python3 - "$F" "$P" <<'PY'
import json, sys
f, nqn = sys.argv[1], sys.argv[2]
c = json.load(open(f))
for p in c["ports"]:
    if p["portid"] == 7:
        p["subsystems"] = [nqn]
open(f, "w").write(json.dumps(c, indent=2, sort_keys=True) + "\n")
PY
cp "$F" "$tmp/before-kill.json"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
start --save "$F"
# the tree is mounted before the restore ends, and logged after it
for _ in $(seq 100); do
	grep -q "restored $F" "$tmp/tgt.log" && break
	sleep 0.1
done
if saved && grep -q "restored $F" "$tmp/tgt.log" &&
	[ -L "$t/ports/7/subsystems/$P" ] &&
	[ "$(cat "$t/ports/7/state")" = repairing ]; then
	ok "--save after kill -9: the tree restored, port 7 linked and repairing"
else
	bad "--save restore: $(diff "$tmp/tree.json" "$F" | head -5) state $(cat "$t/ports/7/state" 2>&1) $(grep -- --save "$tmp/tgt.log" | tail -3)"
fi
cmp -s "$F" "$tmp/before-kill.json" || bad "the restore rewrote $F"
rmdir "$t/subsystems/$P/namespaces/3"
saved && ! grep -q "$tmp/d2.img" "$F" &&
	ok "--save: a change after the restore is saved" ||
	bad "--save after restore: $(grep -- --save "$tmp/tgt.log" | tail -3)"
# the last change before SIGTERM reaches the file
mkdir "$t/hosts/nqn.2014-08.org.nvmf-test:last"
stop && grep -q "nvmf-test:last" "$F" &&
	ok "--save: the change just before SIGTERM is in the file" ||
	bad "--save at shutdown: $(grep -- --save "$tmp/tgt.log" | tail -3)"
# a file that cannot be restored: nvmf-tgt stops, the file is kept
cp "$F" "$tmp/good.json"
sed -i 's/"nqn": "nqn.2014-08.org.nvmf-test:persist"/"nqn": "bad nqn"/' "$F"
cp "$F" "$tmp/bad.json"
timeout 30 "$tgt" --configfs "$t" --foreground --run-dir '' --no-udev \
	--save "$F" >"$tmp/bad.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && cmp -s "$F" "$tmp/bad.json" &&
	grep -q "restoring $F failed" "$tmp/bad.log"; then
	ok "--save: a file that cannot be restored stops nvmf-tgt (exit $rc), file untouched"
else
	bad "--save with a bad file: exit $rc: $(tail -3 "$tmp/bad.log")"
fi
mountpoint -q "$t" && bad "the tree is still mounted after the failed start"

# ---- readiness (systemd Type=notify): READY=1 once serving, STOPPING=1
python3 - "$tmp/notify" >"$tmp/notify.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
while True:
    m = s.recv(4096).decode()
    print(m, flush=True)
    if "STOPPING=1" in m:
        break
PY
listener=$!
for _ in $(seq 50); do [ -S "$tmp/notify" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$tmp/notify start
for _ in $(seq 50); do grep -q READY=1 "$tmp/notify.log" && break; sleep 0.1; done
grep -qx READY=1 "$tmp/notify.log" && [ -d "$t/subsystems" ] &&
	ok "NOTIFY_SOCKET: READY=1 with the tree mounted" ||
	bad "no READY=1: $(cat "$tmp/notify.log")"
stop
wait "$listener"
grep -qx STOPPING=1 "$tmp/notify.log" &&
	ok "NOTIFY_SOCKET: STOPPING=1 at shutdown" ||
	bad "no STOPPING=1: $(cat "$tmp/notify.log")"

# ---- --version
for b in "$tgt" "$cli"; do
	v=$("$b" --version)
	[[ $v =~ ^(nvmf-tgt|nvmetcli)\ [0-9]+\.[0-9]+\.[0-9]+$ ]] &&
		ok "$v" || bad "$b --version: '$v'"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

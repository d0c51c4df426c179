#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SIGHUP reloads nvmf-tgt's -c file and applies the difference live, seen
# through the configfs-compatible tree (--configfs): namespaces, allowed
# hosts, subsystems, ports and links added and removed; what did not
# change is not touched (a namespace is not reopened); a removed
# namespace's file is closed; a bad file changes nothing; a device that
# cannot be opened is named and the rest applied; the daemon never dies.
# There is no RDMA here: ports stay "repairing", which is what they show.
# Usage: nvmf-tgt-reload.sh NVMF_TGT
set -u
tgt=$1
if [ ! -c /dev/fuse ] || [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root and /dev/fuse"
	exit 77
fi
. "$(dirname "$0")/lib.sh"
t=$tmp/tree
log=$tmp/tgt.log
pid=
cleanup() {
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		timeout 5 tail --pid="$pid" -f /dev/null || kill -KILL "$pid"
		wait "$pid"
	fi
	mountpoint -q "$t" && umount -l "$t"
	rm -rf "$tmp"
}
trap cleanup EXIT
for f in a b c d; do truncate -s 8M "$tmp/$f.img"; done

S1=nqn.2014-08.org.example:s1
S2=nqn.2014-08.org.example:s2
S3=nqn.2014-08.org.example:s3
H1=nqn.2014-08.org.example:h1
H2=nqn.2014-08.org.example:h2

ns() { # ns NSID FILE [ENABLE]
	echo "{\"nsid\":$1,\"enable\":${3:-1},\"device\":{\"path\":\"$tmp/$2\"}}"
}
port() { # port ID SVCID SUBSYS...
	local id=$1 svc=$2 subs="" s
	shift 2
	for s in "$@"; do subs="$subs${subs:+,}\"$s\""; done
	echo "{\"portid\":$id,\"addr\":{\"trtype\":\"rdma\",\"adrfam\":\"ipv4\",\"traddr\":\"127.0.0.1\",\"trsvcid\":\"$svc\"},\"subsystems\":[$subs]}"
}

cat >"$tmp/c.json" <<EOF
{ "hosts": [ {"nqn":"$H1"} ],
  "subsystems": [
    {"nqn":"$S1","allowed_hosts":["$H1"],"attr":{"allow_any_host":"0"},
     "namespaces":[ $(ns 1 a.img), $(ns 2 b.img) ]},
    {"nqn":"$S2","attr":{"allow_any_host":"1"},"namespaces":[ $(ns 1 c.img) ]}
  ],
  "ports": [ $(port 1 4420 "$S1" "$S2") ] }
EOF
mkdir -p "$t"
"$tgt" -c "$tmp/c.json" --configfs "$t" --foreground --run-dir '' \
	--no-udev >"$log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	[ -e "$t/subsystems/$S1" ] && break
	sleep 0.1
done
[ -e "$t/subsystems/$S1" ] || { echo "nvmf-tgt did not start: $(cat "$log")"; exit 1; }

# hup: send SIGHUP, wait for the reload's summary line (the Nth)
nr_hup=0
hup() {
	nr_hup=$((nr_hup + 1))
	kill -HUP "$pid"
	for _ in $(seq 100); do
		[ "$(grep -c 'reload: .*change(s) applied\|nothing changed' "$log")" -ge "$nr_hup" ] && return 0
		sleep 0.05
	done
	echo "no reload summary after SIGHUP $nr_hup"
	return 1
}
# is WHAT VALUE ACTUAL
is() {
	if [ "$2" = "$3" ]; then ok "$1: $3"; else bad "$1: '$3', want '$2'"; fi
}
lsdir() { (cd "$1" 2>/dev/null && ls | tr '\n' ' '); }
open_files() { ls -l "/proc/$pid/fd" 2>/dev/null | grep -c "$1"; }

is "start: s1 namespaces" "1 2 " "$(lsdir "$t/subsystems/$S1/namespaces")"
is "start: b.img open" 1 "$(open_files b.img)"
opened_a=$(grep -c "nsid 1: $tmp/a.img" "$log")

# 1. the difference: ns 2 goes, ns 3 comes, H1 -> H2, s2 goes, s3 comes,
#    port 1 links s1 and s3, port 2 comes
cat >"$tmp/c.json" <<EOF
{ "hosts": [ {"nqn":"$H2"} ],
  "subsystems": [
    {"nqn":"$S1","allowed_hosts":["$H2"],"attr":{"allow_any_host":"0"},
     "namespaces":[ $(ns 1 a.img), $(ns 3 d.img) ]},
    {"nqn":"$S3","attr":{"allow_any_host":"1"},"namespaces":[ $(ns 5 c.img) ]}
  ],
  "ports": [ $(port 1 4420 "$S1" "$S3"), $(port 2 4421 "$S3") ] }
EOF
hup
is "s1 namespaces" "1 3 " "$(lsdir "$t/subsystems/$S1/namespaces")"
is "s1 ns 3 enabled" 1 "$(cat "$t/subsystems/$S1/namespaces/3/enable")"
is "s1 ns 1 not reopened" "$opened_a" "$(grep -c "nsid 1: $tmp/a.img" "$log")"
is "s1 allowed hosts" "$H2 " "$(lsdir "$t/subsystems/$S1/allowed_hosts")"
is "hosts" "$H2 " "$(lsdir "$t/hosts")"
is "subsystems" "$S1 $S3 " "$(lsdir "$t/subsystems")"
is "port 1 links" "$S1 $S3 " "$(lsdir "$t/ports/1/subsystems")"
is "port 2 links" "$S3 " "$(lsdir "$t/ports/2/subsystems")"
is "port 2 address" 4421 "$(cat "$t/ports/2/addr_trsvcid")"
is "port 2 state (no RDMA here)" repairing "$(cat "$t/ports/2/state" 2>/dev/null)"
sleep 0.2 # the drain is polled every 5 ms
is "removed ns 2: b.img closed" 0 "$(open_files b.img)"
is "removed s2: c.img open once (s3 ns 5)" 1 "$(open_files c.img)"
grep -q "reload: 1[0-9] change(s) applied" "$log" &&
	ok "summary: $(grep -o 'reload: [0-9]* change(s) applied' "$log" | tail -1)" ||
	bad "summary: $(grep 'reload:' "$log" | tail -1)"

# 2. the same file again: nothing to do
hup
grep 'reload: ' "$log" | tail -1 | grep -q "reload: 0 change(s) applied" &&
	ok "same file: 0 changes" || bad "same file: $(grep 'reload:' "$log" | tail -1)"

# 3. a bad file changes nothing, and the target stays
cp "$tmp/c.json" "$tmp/good.json"
echo '{ "subsystems": [ ' >"$tmp/c.json"
hup
grep -q "reload: .*JSON syntax error.*nothing changed" "$log" &&
	ok "syntax error: $(grep 'nothing changed' "$log" | tail -1 | sed 's/.*reload: //')" ||
	bad "syntax error: $(tail -2 "$log")"
sed 's/"nsid":3/"nsid":0/' "$tmp/good.json" >"$tmp/c.json"
hup
grep -q "reload: .*namespaces\[1\].*nsid.*nothing changed" "$log" &&
	ok "invalid nsid names the field: $(grep 'nothing changed' "$log" | tail -1 | sed 's/.*reload: //')" ||
	bad "invalid nsid: $(tail -2 "$log")"
is "after bad files: s1 namespaces" "1 3 " "$(lsdir "$t/subsystems/$S1/namespaces")"
kill -0 "$pid" && ok "alive after bad files" || bad "nvmf-tgt died"

# 4. a device that does not open is named; the rest is applied
sed -e "s|$tmp/d.img|$tmp/missing.img|" \
	-e "s|\"allowed_hosts\":\[\"$H2\"\]|\"allowed_hosts\":[\"$H1\",\"$H2\"]|" \
	-e "s|\"hosts\": \[ {\"nqn\":\"$H2\"} \]|\"hosts\": [ {\"nqn\":\"$H1\"}, {\"nqn\":\"$H2\"} ]|" \
	"$tmp/good.json" >"$tmp/c.json"
hup
grep -q "reload: subsystems\[0\].namespaces\[1\]: cannot enable: .*missing.img" "$log" &&
	ok "missing device named: $(grep 'missing.img' "$log" | grep 'cannot enable' | tail -1 | sed 's/.*reload: //')" ||
	bad "missing device: $(grep 'reload' "$log" | tail -3)"
grep -q "reload: .* change(s) applied, 1 could not be" "$log" &&
	ok "summary counts the failure" || bad "summary: $(grep 'reload:' "$log" | tail -1)"
is "the rest applied: s1 allowed hosts" "$H1 $H2 " "$(lsdir "$t/subsystems/$S1/allowed_hosts")"
is "ns 3 re-added with the new path, disabled" "0 $tmp/missing.img" \
	"$(cat "$t/subsystems/$S1/namespaces/3/enable") $(cat "$t/subsystems/$S1/namespaces/3/device_path")"
sleep 0.2
is "d.img closed (ns 3's old device)" 0 "$(open_files d.img)"

# 5. disable a namespace, move a port, drop one
sed -e 's/"nsid":1,"enable":1/"nsid":1,"enable":0/' -e 's/"4421"/"4423"/' \
	"$tmp/good.json" >"$tmp/c.json"
hup
is "ns 1 disabled" 0 "$(cat "$t/subsystems/$S1/namespaces/1/enable")"
sleep 0.2
is "disabled ns 1: a.img closed" 0 "$(open_files a.img)"
is "port 2 moved" 4423 "$(cat "$t/ports/2/addr_trsvcid")"
is "port 2 keeps its link" "$S3 " "$(lsdir "$t/ports/2/subsystems")"
cat >"$tmp/c.json" <<EOF
{ "subsystems": [ {"nqn":"$S3","attr":{"allow_any_host":"1"},
		   "namespaces":[ $(ns 5 c.img) ]} ],
  "ports": [ $(port 2 4421 "$S3") ] }
EOF
hup
is "only s3 left" "$S3 " "$(lsdir "$t/subsystems")"
is "only port 2 left" "2 " "$(lsdir "$t/ports")"
is "no hosts left" "" "$(lsdir "$t/hosts")"
sleep 0.2
is "s1's files closed" 0 "$(($(open_files a.img) + $(open_files d.img)))"

# 6. the file gone: an error, nothing changed
mv "$tmp/c.json" "$tmp/gone.json"
hup
grep -q "reload: .*c.json.*nothing changed" "$log" &&
	ok "missing file: $(grep 'nothing changed' "$log" | tail -1 | sed 's/.*reload: //')" ||
	bad "missing file: $(tail -2 "$log")"
is "still s3" "$S3 " "$(lsdir "$t/subsystems")"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
is "clean exit after $nr_hup reloads" 0 "$rc"
finish

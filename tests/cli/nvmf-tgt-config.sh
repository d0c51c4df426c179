#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmf-tgt refuses bad configurations with exit status 2 and one line that
# names the item, before starting anything (no daemon is left behind).
# Usage: nvmf-tgt-config.sh PATH/TO/nvmf-tgt
set -u
tgt=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
truncate -s 16M "$tmp/disk.img"

port='{"portid":1,"addr":{"trtype":"rdma","adrfam":"ipv4","traddr":"127.0.0.1","trsvcid":"4420"}}'
sub() { # sub NSJSON
	echo "{\"nqn\":\"nqn.2014-08.org.a:b\",\"namespaces\":[$1]}"
}

# case NAME EXPECTED-STATUS EXPECTED-MESSAGE JSON [extra args]
case_() {
	local name=$1 want=$2 msg=$3 json=$4 out rc
	shift 4
	printf '%s' "$json" >"$tmp/c.json"
	out=$("$tgt" -c "$tmp/c.json" "$@" 2>&1)
	rc=$?
	if [ $rc -ne "$want" ]; then
		echo "FAIL $name: exit $rc, want $want: $out"
		fail=$((fail + 1))
	elif ! grep -qF -- "$msg" <<<"$out"; then
		echo "FAIL $name: message '$out' lacks '$msg'"
		fail=$((fail + 1))
	elif [ "$(wc -l <<<"$out")" -ne 1 ]; then
		echo "FAIL $name: more than one line: $out"
		fail=$((fail + 1))
	else
		echo "ok   $name: $out"
		pass=$((pass + 1))
	fi
}

case_ "syntax error" 2 "c.json:1:12: JSON syntax error" '{"hosts": [}'
case_ "invalid NQN" 2 "subsystems[0]: invalid NQN 'nqn.x'" \
	'{"subsystems":[{"nqn":"nqn.x"}]}'
case_ "missing device" 2 \
	"subsystems[0].namespaces[0].device.path: '/nonexistent/disk': No such file or directory" \
	"{\"subsystems\":[$(sub '{"nsid":1,"enable":1,"device":{"path":"/nonexistent/disk"}}')]}"
case_ "device is a directory" 2 "Is a directory" \
	"{\"subsystems\":[$(sub "{\"nsid\":1,\"enable\":1,\"device\":{\"path\":\"$tmp\"}}")]}"
case_ "duplicate nsid" 2 "subsystems[0].namespaces[1]: duplicate nsid 1" \
	"{\"subsystems\":[$(sub "{\"nsid\":1,\"device\":{\"path\":\"$tmp/disk.img\"}},{\"nsid\":1,\"device\":{\"path\":\"$tmp/disk.img\"}}")]}"
case_ "duplicate portid" 2 "ports[1]: duplicate portid 1" \
	"{\"ports\":[$port,$port]}"
case_ "bad address" 2 "ports[0].addr: traddr '1.2.3' is not an IPv4 address" \
	'{"ports":[{"portid":1,"addr":{"trtype":"rdma","adrfam":"ipv4","traddr":"1.2.3","trsvcid":"4420"}}]}'
case_ "bad port number" 2 "ports[0].addr: 'trsvcid': 0 is not in 1..65535" \
	'{"ports":[{"portid":1,"addr":{"trtype":"rdma","adrfam":"ipv4","traddr":"1.2.3.4","trsvcid":"0"}}]}'
case_ "unknown option" 2 "unknown option '--bogus'" '{}' --bogus
case_ "bad --threads" 2 "--threads: 'x' is not an integer in 1..64" '{}' --threads x
case_ "bad --poll-us" 2 "--poll-us: '5000' is not an integer in 0..1000" '{}' --poll-us 5000
case_ "bad --srq-size" 2 "--srq-size: '8' is not 0 or an integer in 16..65536" '{}' --srq-size 8
case_ "bad --srq-size" 2 "--srq-size: '70000' is not an integer in 0..65536" '{}' --srq-size 70000
case_ "bad --log-level" 2 "--log-level: 'loud' is not one of: error, warn, info, debug" '{}' --log-level loud

out=$("$tgt" -c "$tmp/missing.json" 2>&1)
if [ $? -eq 2 ] && [ "$out" = "nvmf-tgt: $tmp/missing.json: No such file or directory" ]; then
	echo "ok   missing configuration file: $out"
	pass=$((pass + 1))
else
	echo "FAIL missing configuration file: $out"
	fail=$((fail + 1))
fi

# nothing left running after a refused configuration (default: daemonize);
# only processes started with this test's configuration file count
printf '{"subsystems":[{"nqn":"bad"}]}' >"$tmp/c.json"
"$tgt" -c "$tmp/c.json" >/dev/null 2>&1
sleep 0.2
if pgrep -f -- "-c $tmp/c.json" >/dev/null; then
	echo "FAIL a refused configuration left an nvmf-tgt process"
	fail=$((fail + 1))
else
	echo "ok   no process left behind after a refused configuration"
	pass=$((pass + 1))
fi
# a start failure after daemonizing (the tree cannot be mounted): the
# parent must still print why, and the child must be gone
printf '{"ports":[%s]}' "$port" >"$tmp/c.json"
out=$("$tgt" -c "$tmp/c.json" --configfs "$tmp/no-such-dir" 2>&1)
rc=$?
for _ in $(seq 50); do
	pgrep -f -- "-c $tmp/c.json" >/dev/null || break
	sleep 0.1
done
if pgrep -f -- "-c $tmp/c.json" >/dev/null; then
	echo "FAIL the daemon child did not exit after a failed start"
	fail=$((fail + 1))
elif [ $rc -eq 1 ] &&
	[ "$out" = "nvmf-tgt: --configfs '$tmp/no-such-dir': No such file or directory" ]; then
	echo "ok   daemon start failure reported by the parent: $out"
	pass=$((pass + 1))
else
	echo "FAIL daemon start failure: exit $rc: $out"
	fail=$((fail + 1))
fi
"$tgt" --help | grep -q '^Usage: nvmf-tgt -c FILE' && pass=$((pass + 1)) ||
	{ echo "FAIL --help"; fail=$((fail + 1)); }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

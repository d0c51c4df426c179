#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# nvmetcli on a plain directory tree: restore then save reproduces the
# upstream-shaped fixtures byte for byte (sorted keys, indent 2, ASCII
# escapes); bad documents name the path of the bad item, the good items
# are still restored and the exit status is 1; save is atomic; ls shows
# port states; clear empties the tree; usage errors exit 2.
# Usage: nvmetcli.sh NVMETCLI FIXTURES_DIR
set -u
cli=$(realpath "$1")
fix=$2
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
tree() { rm -rf "$tmp/t"; mkdir "$tmp/t"; }
run() { "$cli" --root "$tmp/t" "$@" >"$tmp/out" 2>"$tmp/err"; }

for f in rdma tcp loop; do
	tree
	if run restore "$fix/$f.json" && run save "$tmp/$f.json" &&
		cmp -s "$fix/$f.json" "$tmp/$f.json"; then
		ok "$f.json: restore then save gives the same bytes"
	else
		bad "$f.json: round trip differs: $(diff "$fix/$f.json" "$tmp/$f.json" | head -5 | tr '\n' ' ') $(cat "$tmp/err")"
	fi
done
ls "$tmp"/*.tmp.* >/dev/null 2>&1 && bad "save left a temporary file" ||
	ok "save leaves no temporary file"

expect_err() {	# expect_err NAME RC PATTERN JSON
	local name=$1 rc=$2 pat=$3
	tree
	printf '%s' "$4" >"$tmp/in.json"
	run restore "$tmp/in.json"
	local got=$?
	if [ "$got" = "$rc" ] && grep -q -- "$pat" "$tmp/err"; then
		ok "$name: exit $got, '$(head -1 "$tmp/err")'"
	else
		bad "$name: exit $got (want $rc), stderr: $(cat "$tmp/err") (want /$pat/)"
	fi
}
expect_err "malformed JSON" 1 "in.json:1:12: JSON syntax error: unexpected end" '{"hosts": ['
expect_err "not an object" 1 "not a JSON object" '[1, 2]'
expect_err "nqn of the wrong type" 1 "subsystems\[0\].nqn: expected string, got int" \
	'{"subsystems": [{"nqn": 5}]}'
expect_err "portid missing" 1 "ports\[0\].portid: missing" \
	'{"ports": [{"addr": {"trtype": "rdma"}}]}'
expect_err "attribute value not a string" 1 "subsystems\[0\].attr.allow_any_host: expected string, got int" \
	'{"subsystems": [{"nqn": "a", "attr": {"allow_any_host": 1}}]}'
expect_err "nsid of the wrong type" 1 "subsystems\[1\].namespaces\[0\].nsid: expected int, got string" \
	'{"subsystems": [{"nqn": "good"}, {"nqn": "b", "namespaces": [{"nsid": "1"}]}, {"nqn": "after"}]}'
if [ -d "$tmp/t/subsystems/good" ] && [ -d "$tmp/t/subsystems/after" ]; then
	ok "a failed item does not stop the others"
else
	bad "items around a failed one were not restored"
fi

# ls: port states (nvmf-tgt's state file; the kernel's: linked or not)
tree
run restore "$fix/rdma.json"
mkdir -p "$tmp/t/ports/2/subsystems"
echo repairing >"$tmp/t/ports/1/state"
run --no-color ls
if grep -q "o- 1 \[rdma 10.77.0.1:4420\] repairing" "$tmp/out" &&
	grep -q "o- 2 \[.*\] unbound" "$tmp/out" &&
	grep -q "namespace 7 \[/var/tmp/disk2.img, disabled\]" "$tmp/out" &&
	! grep -q $'\033' "$tmp/out"; then
	ok "ls shows port states (state file, else bound/unbound), no color"
else
	bad "ls output: $(cat "$tmp/out")"
fi
rm "$tmp/t/ports/1/state"
run ls && grep -q "o- 1 .* bound" "$tmp/out" && ok "ls: a linked kernel port is bound" ||
	bad "ls without a state file: $(cat "$tmp/out")"
if grep -q "o- nqn.2014-08.org.nvmf-lab:testnqn \[allow_any_host=0, version=1.3, serial=4f1e2b3c4d5e6f70" "$tmp/out" &&
	grep -q "o- allowed host nqn.2014-08.org.nvmexpress:uuid:f81d4fae" "$tmp/out" &&
	grep -q "o- ana group 1 \[optimized\]" "$tmp/out"; then
	ok "ls shows subsystem attributes, allowed hosts and ANA groups"
else
	bad "ls lacks attributes, allowed hosts or ANA groups: $(cat "$tmp/out")"
fi
echo repairing >"$tmp/t/ports/1/state"
run ls -o json && python3 - "$tmp/out" <<'PY' &&
import json, sys
d = json.load(open(sys.argv[1]))
states = {p["portid"]: p["state"] for p in d["ports"]}
assert states == {1: "repairing", 2: "unbound"}, states
assert d["subsystems"][0]["namespaces"][0]["device"]["path"] == "/dev/ram0"
PY
	ok "ls -o json: the saved form with each port's state" ||
	bad "ls -o json: $(head -c 300 "$tmp/out")"
tree
run restore "$fix/tcp.json" && run --no-color ls &&
	grep -q "o- referral peer \[tcp 192.168.1.11:4420, disabled\]" "$tmp/out" &&
	ok "ls shows referrals" || bad "ls without the referral: $(cat "$tmp/out")"
tree
run restore "$fix/rdma.json"

run clear
if [ -z "$(find "$tmp/t" -mindepth 2)" ]; then
	ok "clear empties the tree"
else
	bad "clear left: $(find "$tmp/t" -mindepth 2 | head -3)"
fi
run save "$tmp/empty.json"
[ "$(tr -d ' \n' <"$tmp/empty.json")" = '{"hosts":[],"ports":[],"subsystems":[]}' ] &&
	ok "save of an empty tree" || bad "empty save: $(cat "$tmp/empty.json")"

# names from the document stay inside --root
expect_err "subsystem NQN '../../escape'" 1 "subsystems\[0\]: '../../escape' is not a valid name" \
	'{"subsystems": [{"nqn": "../../escape"}]}'
expect_err "attribute '../../../x'" 1 "attr.../../../x: '../../../x' is not a valid name" \
	'{"subsystems": [{"nqn": "s", "attr": {"../../../x": "1"}}]}'
expect_err "host NQN '..'" 1 "hosts\[0\]: '..' is not a valid name" '{"hosts": [{"nqn": ".."}]}'
expect_err "referral name 'a/b'" 1 "referrals\[0\]: 'a/b' is not a valid name" \
	'{"ports": [{"portid": 1, "referrals": [{"name": "a/b"}]}]}'
[ -e "$tmp/escape" ] || [ -e "$tmp/x" ] || [ -e "$tmp/subsystems_.." ] &&
	bad "restore created something outside --root: $(ls "$tmp")" ||
	ok "nothing created outside --root"

# save of a tree that cannot be read fully: fails, the old file stays
tree
run restore "$fix/rdma.json"
run save "$tmp/good.json"
cp "$tmp/good.json" "$tmp/good.copy"
s1=$(ls "$tmp/t/subsystems" | head -1)
rm -rf "$tmp/t/subsystems/$s1/namespaces"
: >"$tmp/t/subsystems/$s1/namespaces" # not a directory: cannot be listed
run save "$tmp/good.json"
[ $? = 1 ] && grep -q "namespaces: Not a directory; .*good.json left unchanged" "$tmp/err" &&
	cmp -s "$tmp/good.json" "$tmp/good.copy" &&
	ok "save of an unreadable tree: exit 1, the file left as it was" ||
	bad "unreadable tree: exit $?, $(cat "$tmp/err"), file $(cmp "$tmp/good.json" "$tmp/good.copy")"

# restore clears the existing configuration first, as upstream's does
tree
run restore "$fix/rdma.json" && run restore "$fix/tcp.json" &&
	run save "$tmp/after.json" && cmp -s "$tmp/after.json" "$fix/tcp.json" &&
	ok "restore replaces the existing configuration (upstream semantics)" ||
	bad "restore over a configuration: $(diff "$fix/tcp.json" "$tmp/after.json" | head -5 | tr '\n' ' ') $(cat "$tmp/err")"
tree
run restore "$fix/rdma.json" && run restore --no-clear "$fix/tcp.json" &&
	run save "$tmp/both.json"
n_both=$(grep -c '"nsid"' "$tmp/both.json")
n_sum=$(($(grep -c '"nsid"' "$fix/rdma.json") + $(grep -c '"nsid"' "$fix/tcp.json")))
[ "$n_both" = "$n_sum" ] && ok "restore --no-clear adds to it ($n_both namespaces)" ||
	bad "restore --no-clear: $n_both namespaces, expected $n_sum; $(cat "$tmp/err")"
tree
run restore "$fix/rdma.json"
printf '{"hosts": [' >"$tmp/broken.json"
run restore "$tmp/broken.json"
rc=$?
grep -q "nothing changed" "$tmp/err" || rc="$rc (message: $(cat "$tmp/err"))"
run save "$tmp/kept.json"
[ "$rc" = 1 ] && cmp -s "$tmp/kept.json" "$fix/rdma.json" &&
	ok "a file that cannot be parsed clears nothing (exit 1)" ||
	bad "broken file: exit $rc, the tree $(cmp "$tmp/kept.json" "$fix/rdma.json")"
run restore "$tmp/no-such.json"
[ $? = 1 ] && grep -q "no-such.json" "$tmp/err" &&
	ok "restore of a missing FILE given by name: exit 1, names it" ||
	bad "missing named file: $(cat "$tmp/err")"
if [ ! -e /etc/nvmet/config.json ]; then
	run restore
	[ $? = 0 ] && grep -q "No saved config file at /etc/nvmet/config.json" "$tmp/out" &&
		ok "restore without FILE and without the default file: a line, exit 0" ||
		bad "missing default file: $(cat "$tmp/out" "$tmp/err")"
else
	echo "(not checked: /etc/nvmet/config.json exists on this machine)"
fi
(cd "$tmp" && "$cli" --root t save - >"$tmp/rel.json" 2>"$tmp/err") &&
	cmp -s "$tmp/rel.json" "$fix/rdma.json" && ok "a relative --root works" ||
	bad "relative --root: $(cat "$tmp/err")"

run save /nonexistent-dir/x.json
[ $? = 1 ] && grep -q "nonexistent-dir" "$tmp/err" && ok "save to a bad path: exit 1, names it" ||
	bad "save to a bad path: $(cat "$tmp/err")"
"$cli" --root "$tmp/missing" ls >/dev/null 2>"$tmp/err"
[ $? = 1 ] && grep -q "not a directory" "$tmp/err" && ok "missing root: exit 1" ||
	bad "missing root: $(cat "$tmp/err")"
"$cli" --bogus >/dev/null 2>&1
[ $? = 2 ] && ok "unknown option: exit 2" || bad "unknown option"
"$cli" --root "$tmp/t" frobnicate >/dev/null 2>&1
[ $? = 2 ] && ok "unknown command: exit 2" || bad "unknown command"
"$cli" --help | grep -q "restore" && ok "--help" || bad "--help"

finish

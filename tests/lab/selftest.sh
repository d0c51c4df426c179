#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-tests of the lab runner, which must report these scenarios as
# failed, say why, and keep the evidence:
#   selftest-hang   VMs that never finish fail within the timeout
#   selftest-crash  daemons that die are named with their signal, a core
#                   and a gdb backtrace
set -u
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
LAB_BUILD=${LAB_BUILD:-$LAB_DIR/../../build}
base=${LAB_OUT:-$LAB_BUILD/lab-out}
mkdir -p "$base"
fail() { echo "selftest: FAIL: $*"; exit 1; }

# ---- selftest-hang
out=$base/selftest-hang
start=$(date +%s)
"$LAB_DIR/lab.sh" run selftest-hang >"$base/selftest-hang.txt" 2>&1
rc=$?
took=$(($(date +%s) - start))
cat "$base/selftest-hang.txt"
[ $rc -ne 0 ] || fail "the runner reported success for a hung scenario"
# TIMEOUT 10 + GRACE 50 (boot on a slow machine) + kill margin
[ $took -le 70 ] || fail "took ${took}s, expected at most 70s"
grep -q 'target: FAIL: role script timed out after 10s' \
	"$base/selftest-hang.txt" || fail "target verdict does not say it timed out"
grep -q 'host:   FAIL: no verdict (VM hung' "$base/selftest-hang.txt" ||
	fail "host verdict does not say the VM hung"
grep -q 'Kernel panic' "$out/host/console.log" ||
	fail "the hung VM's console log was not kept"
[ -s "$out/target/log" ] || fail "the target role's log was not kept"
echo "selftest: hang: failed as expected in ${took}s, logs kept in $out"

# ---- selftest-crash
out=$base/selftest-crash
"$LAB_DIR/lab.sh" run selftest-crash >"$base/selftest-crash.txt" 2>&1
rc=$?
cat "$base/selftest-crash.txt"
[ $rc -ne 0 ] || fail "the runner reported success although daemons died"
grep -q 'target: FAIL: daemon died: nvmf-tgt (pid [0-9]*) died with signal 11 (SIGSEGV)' \
	"$base/selftest-crash.txt" || fail "target verdict does not name nvmf-tgt and SIGSEGV"
grep -q 'host:   FAIL: daemon died: nvmf-host (pid [0-9]*) died with signal 6 (SIGABRT)' \
	"$base/selftest-crash.txt" || fail "host verdict does not name nvmf-host and SIGABRT"
for role in target host; do
	ls "$out/$role"/core.* >/dev/null 2>&1 || fail "no core kept on the $role"
	grep -q '^#[0-9]' "$out/$role"/core.*.bt ||
		fail "no backtrace in the $role's $(ls "$out/$role"/core.*.bt)"
done
grep -q 'target: *#0 ' "$base/selftest-crash.txt" ||
	fail "the runner's report shows no backtrace of nvmf-tgt"
echo "selftest: crash: failed as expected, cores and backtraces kept in $out"
echo "selftest: PASS"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that a scenario whose VMs never finish fails within its timeout,
# says why, and keeps the logs (runs the selftest-hang scenario).
set -u
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
LAB_BUILD=${LAB_BUILD:-$LAB_DIR/../../build}
out=${LAB_OUT:-$LAB_BUILD/lab-out}/selftest-hang
start=$(date +%s)
"$LAB_DIR/lab.sh" run selftest-hang >"${out%/*}/selftest-hang.txt" 2>&1
rc=$?
took=$(($(date +%s) - start))
cat "${out%/*}/selftest-hang.txt"
fail() { echo "selftest-timeout: FAIL: $*"; exit 1; }
[ $rc -ne 0 ] || fail "the runner reported success for a hung scenario"
# TIMEOUT 20 + GRACE 50 + kill margin
[ $took -le 80 ] || fail "took ${took}s, expected at most 80s"
grep -q 'target: FAIL: role script timed out after 20s' \
	"${out%/*}/selftest-hang.txt" || fail "target verdict does not say it timed out"
grep -q 'host:   FAIL: no verdict (VM hung' "${out%/*}/selftest-hang.txt" ||
	fail "host verdict does not say the VM hung"
grep -q 'Kernel panic' "$out/host/console.log" ||
	fail "the hung VM's console log was not kept"
[ -s "$out/target/log" ] || fail "the target role's log was not kept"
echo "selftest-timeout: PASS (failed as expected in ${took}s, logs kept in $out)"

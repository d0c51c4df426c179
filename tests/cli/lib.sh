# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the command-line tests: a temporary directory ($tmp) removed
# at exit, ok/bad that print and count a check, and finish, which prints
# "N passed, N failed" and returns non-zero if a check failed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every test: install dependencies, build (-Werror) and run the unit
# tests under ASan+UBSan, the libFuzzer harnesses (a bounded time each),
# then the unit tests, the style check and the qemu soft-RoCE lab
# scenarios on the normal build.  Prints a final
# "N passed, N failed" line; exits non-zero if anything failed.
#
# Usage: scripts/test.sh [ctest arguments for the main run, e.g. -L unit]
set -u -o pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0

# Add the counts from ctest's "NN% tests passed, F tests failed out of T".
count() {
	local line t f
	line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))	# ctest itself failed to run
		return
	fi
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/')
	t=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
	passed=$((passed + t - f))
	failed=$((failed + f))
}

scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
scripts/build.sh --asan || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

log=$(mktemp)
echo "== unit tests under ASan+UBSan (build-asan)"
ctest --test-dir build-asan -L unit -j"$(nproc)" --output-on-failure 2>&1 | tee "$log"
count "$log"

# each harness runs for a fixed time (-max_total_time): one per CPU at once
echo "== libFuzzer harnesses (build-fuzz), from their seed corpora"
ctest --test-dir build-fuzz -L fuzz -j"$(nproc)" --output-on-failure 2>&1 | tee "$log"
count "$log"

echo "== all tests (build): unit, style, lab"
ctest --test-dir build --output-on-failure "$@" 2>&1 | tee "$log"
count "$log"
rm -f "$log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

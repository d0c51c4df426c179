#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh HARNESS SEEDS SECONDS CRASHDIR: run a libFuzzer harness for
# SECONDS from the seed corpus SEEDS (left unchanged: new inputs go to a
# scratch directory).  Prints libFuzzer's final figures; on a crash, the
# input is kept in CRASHDIR and the exit status is non-zero.
set -u
harness=$1 seeds=$2 secs=$3 crashdir=$4
name=$(basename "$harness")
scratch=$(mktemp -d "/tmp/$name.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$crashdir"
"$harness" "$scratch" "$seeds" -max_total_time="$secs" -timeout=20 \
	-rss_limit_mb=4096 -artifact_prefix="$crashdir/$name-" \
	-print_final_stats=1 >"$scratch/log" 2>&1
rc=$?
grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$scratch/log"
if [ $rc != 0 ]; then
	tail -60 "$scratch/log"
	echo "$name: FAILED (exit $rc); input kept in $crashdir/"
	exit 1
fi
echo "$name: $(grep -m1 -oE 'stat::number_of_executed_units: [0-9]+' "$scratch/log" | cut -d' ' -f2) executions in $secs s, no crash"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# gen-man.sh BINARY TEMPLATE OUTPUT: write a man page from TEMPLATE (the
# maintained text: description, files, signals, examples) and the tool's
# own --help output, which comes from its option table.  A template line
#   @OPTIONS [COMMAND]@   @USAGE [COMMAND]@   @SUMMARY [COMMAND]@   @COMMANDS@
# becomes that part of "BINARY [COMMAND] --help"; @VERSION@ the version.
set -eu -o pipefail
bin=$1
in=$2
out=$3
here=$(dirname "$0")
tool=$(basename "$bin")
version=$("$bin" --version | awk '{ print $2 }')
re='^@(USAGE|SUMMARY|OPTIONS|COMMANDS)( ([a-z-]+))?@$'
tmp=$out.tmp
while IFS= read -r line; do
	if [[ $line =~ $re ]]; then
		# shellcheck disable=SC2086 # no command: no argument
		"$bin" ${BASH_REMATCH[3]} --help |
			awk -v part="${BASH_REMATCH[1]}" -v tool="$tool" \
				-f "$here/help2roff.awk"
	else
		printf '%s\n' "${line//@VERSION@/$version}"
	fi
done <"$in" >"$tmp"
mv "$tmp" "$out"

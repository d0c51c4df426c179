#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check that every C source and header follows .clang-format.
# Usage: scripts/check-format.sh [CLANG_FORMAT]   (fix with: -i instead)
set -u
cd "$(dirname "$0")/.."
cf=${1:-clang-format}
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null ||
	find common target host nvmetcli udev tests include -name '*.[ch]')
[ ${#files[@]} -gt 0 ] || { echo "no sources"; exit 0; }
if "$cf" --dry-run --Werror "${files[@]}"; then
	echo "clang-format: ${#files[@]} files clean"
else
	echo "clang-format: fix with: $cf -i \$(git ls-files '*.[ch]')"
	exit 1
fi

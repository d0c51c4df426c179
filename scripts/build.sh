#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build: build/ (the binaries, -Werror) and, with --asan,
# build-asan/ (unit tests under AddressSanitizer + UBSan) and build-fuzz/
# (the libFuzzer harnesses, clang).
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc)
asan=""
if [ "${1:-}" = --asan ]; then
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNVMF_SANITIZE=ON \
		-DNVMF_LAB=OFF >/dev/null
	cmake --build build-asan -j"$jobs"
	asan=$PWD/build-asan
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DNVMF_FUZZ=ON -DNVMF_LAB=OFF >/dev/null
	cmake --build build-fuzz -j"$jobs" --target fuzz_all
fi
# the main build also runs one lab scenario with the ASan binaries
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DNVMF_LAB_ASAN_BUILD="$asan" >/dev/null
cmake --build build -j"$jobs"

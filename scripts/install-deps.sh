#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every build and test dependency on Debian 12 (run as root).
# Idempotent: does nothing when everything is installed.
set -eu

BUILD_PACKAGES="build-essential cmake pkg-config git clang-format
libibverbs-dev librdmacm-dev libudev-dev libjson-c-dev libfuse3-dev
libcmocka-dev uuid-dev liburing-dev libnl-genl-3-dev libnvme-dev
clang libclang-rt-14-dev"
# clang and its runtime: the libFuzzer harnesses (tests/fuzz).
RUNTIME_PACKAGES="rdma-core ibverbs-providers fuse3"
# The soft-RoCE lab (tests/lab/lab.sh fetches its kernel itself).
LAB_PACKAGES="qemu-system-x86 busybox-static cpio kmod iproute2
ibverbs-utils rdmacm-utils nvme-cli fio python3-configshell-fb gdb dmsetup
e2fsprogs perftest linux-perf"
# Installation tests: man pages, bash completion, the .deb on a clean root.
INSTALL_TEST_PACKAGES="man-db bash-completion debootstrap"

missing=""
for p in $BUILD_PACKAGES $RUNTIME_PACKAGES $LAB_PACKAGES $INSTALL_TEST_PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all dependencies present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing; run as root to install" >&2
	exit 1
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing

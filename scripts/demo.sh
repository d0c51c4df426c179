#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, until the project's own target and host exist: the
# soft-RoCE lab with the kernel's NVMe-oF peers, showing what happens to
# them today when an RDMA device is reset (run as root on Debian 12).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
export LAB_OUT=${LAB_OUT:-$PWD/build/lab-out}
exec tests/lab/lab.sh run kernel-peers kernel-device-reset-baseline

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: in the two-VM soft-RoCE lab, reset the target node's RDMA
# device under verified I/O from the kernel's NVMe-oF host, first with the
# kernel's own target (which never re-binds its port), then with nvmf-tgt
# (which repairs its port; the host reconnects; no I/O error).  Prints each
# timeline and verdict.  Run as root on Debian 12.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
export LAB_OUT=${LAB_OUT:-$PWD/build/lab-out}
exec tests/lab/lab.sh run kernel-device-reset-baseline tgt-device-reset

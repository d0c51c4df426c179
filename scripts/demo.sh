#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: in the two-VM soft-RoCE lab, first the problem - the
# kernel's own target and host through a target-side RDMA device reset
# (the port is never re-bound; the host hangs in "connecting") - then our
# stack: nvmf-tgt and nvmf-host with verified fio through a device reset
# on the target node and then on the host node (nothing deleted, no I/O
# error).  Prints each timeline, the recovery times and the verdicts.
# Run as root on Debian 12.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
export LAB_OUT=${LAB_OUT:-$PWD/build/lab-out}
exec tests/lab/lab.sh run kernel-device-reset-baseline demo

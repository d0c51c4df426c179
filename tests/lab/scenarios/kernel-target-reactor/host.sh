# kernel-target-reactor, host node: the same role as in tgt-device-reset.
. "$LAB_REPO/tests/lab/scenarios/tgt-device-reset/host.sh"

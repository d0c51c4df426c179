# nvmf-host-vs-nvmf-tgt, host node: nvmf-host.
lab_wait target-ready 120
. "$LAB_REPO/tests/lab/guest/nvmf-host-checks.sh"
. "$LAB_REPO/tests/lab/guest/persistent-check.sh"
lab_signal host-done
lab_pass

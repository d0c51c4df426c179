# demo, host node: nvmf-host with verified fio; its rxe0 is reset once.
lab_wait target-ready 120
. "$LAB_REPO/tests/lab/guest/nvmf-host-resets.sh"
host_resets_setup
lab_signal reset-target
lab_wait target-back 60
host_resets_recovered "target-side reset" "$(cat "$LAB_SYNC/target-add")" "target-side reset, from rdma link add on the target: "
sleep 3
lab_fault rdma-del || lab_fail "rdma link delete failed: $LAB_FAULT_ERR"
del_ms=$LAB_LAST_FAULT_MS
sleep "$DOWN"
t=$(lab_now_ns)
lab_fault rdma-add || lab_fail "rdma link add failed"
host_resets_recovered "host-side reset" "$t" "host-side reset (rdma link delete ${del_ms} ms), from rdma link add on the host: "
host_resets_finish
lab_report "verdict: the controller ($CTRL_T) and its file survived both resets; verified fio: 0 errors"
lab_signal host-done
lab_pass

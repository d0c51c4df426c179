# host-device-reset, host node: nvmf-host, and the device resets.
lab_wait target-ready 120
. "$LAB_REPO/tests/lab/guest/nvmf-host-resets.sh"
host_resets_setup
for i in $(seq "$CYCLES"); do
	sleep 4
	lab_fault rdma-del || lab_fail "cycle $i: rdma link delete failed: $LAB_FAULT_ERR"
	del_ms=$LAB_LAST_FAULT_MS
	sleep "$DOWN"
	t_add=$(lab_now_ns)
	lab_fault rdma-add || lab_fail "cycle $i: rdma link add failed"
	host_resets_recovered "$i" "$t_add" "rdma link delete ${del_ms} ms; "
done
host_resets_finish
lab_signal host-done
lab_pass

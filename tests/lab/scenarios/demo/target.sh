# demo, target node: nvmf-tgt; its rxe0 is reset once.
modprobe brd rd_nr=1 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN_T" /dev/ram0 1 4421
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
state=/run/nvmf-tgt/ports/1/state
(
	last=""
	while [ ! -e "$LAB_SYNC/host-done" ]; do
		st=$(cat "$state" 2>/dev/null)
		[ "$st" != "$last" ] && lab_event "nvmf-tgt port 1: $st"
		last=$st
		sleep 0.05
	done
) &
lab_signal target-ready
lab_wait reset-target 120
lab_fault rdma-del || lab_fail "rdma link delete failed: $LAB_FAULT_ERR"
lab_report "target: rdma link delete returned in $LAB_LAST_FAULT_MS ms"
sleep "$DOWN"
echo "$(lab_now_ns)" >"$LAB_SYNC/target-add"
lab_fault rdma-add || lab_fail "rdma link add failed"
lab_retry 15 grep -q live "$state" || lab_fail "port not live again"
lab_report "target: port live $(lab_ms "$(cat "$LAB_SYNC/target-add")" "$(lab_now_ns)") ms after rdma link add"
lab_signal target-back
lab_wait host-done 200
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

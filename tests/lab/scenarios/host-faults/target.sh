# host-faults, target node: the kernel target + nvmf-reactor, nvmf-tgt,
# and the target side of each fault (driven by the host's barriers).
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_kernel_target_setup "$NQN_K" 1 4420 || lab_fail "kernel target setup failed"
lab_daemon_start nvmf-reactor "$LAB_BUILD/udev/nvmf-reactor" --kernel-nvmet \
	--interval 0
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN_T" /dev/ram1 2 4421
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_report "nvmf-tgt at start: $(lab_proc_usage nvmf-tgt)"
lab_signal target-ready

# 1. both sides
for i in $(seq "$CYCLES"); do
	lab_wait "both-$i" 120
	lab_fault rdma-del || lab_fail "both-sides $i: rdma link delete failed: $LAB_FAULT_ERR"
	lab_report "both-sides $i: target rdma link delete $LAB_LAST_FAULT_MS ms"
	sleep "$DOWN"
	lab_fault rdma-add || lab_fail "both-sides $i: rdma link add failed"
done
# 3. nvmf-tgt restarts
lab_wait restart-ready 180
for i in $(seq "${RESTARTS:-$CYCLES}"); do
	lab_wait "restart-$i" 180
	lab_fault kill nvmf-tgt
	mv "$LAB_OUT/nvmf-tgt.log" "$LAB_OUT/nvmf-tgt.log.$i"
	sleep 2
	echo "$(lab_now_ns)" >"$LAB_SYNC/restart-at-$i"
	lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
		lab_fail "restart $i: nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
	lab_signal "restarted-$i"
done
lab_wait host-done 300
lab_report "nvmf-tgt after the restarts: $(lab_proc_usage nvmf-tgt)"
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_daemon_stop nvmf-reactor
lab_kernel_target_teardown
lab_pass

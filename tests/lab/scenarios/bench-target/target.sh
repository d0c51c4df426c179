# bench-target, target node: the kernel target on 4420 (/dev/ram0) and
# nvmf-tgt on 4421 (/dev/ram1).
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_kernel_target_setup_dev() {
	local s=$NVMET_CFS/subsystems/$KNQN p=$NVMET_CFS/ports/1
	modprobe nvmet_rdma || return 1
	mkdir "$s" && echo 1 >"$s/attr_allow_any_host" &&
		mkdir "$s/namespaces/1" &&
		echo /dev/ram0 >"$s/namespaces/1/device_path" &&
		echo 1 >"$s/namespaces/1/enable" &&
		mkdir "$p" && echo rdma >"$p/addr_trtype" &&
		echo ipv4 >"$p/addr_adrfam" && echo "$LAB_IP" >"$p/addr_traddr" &&
		echo 4420 >"$p/addr_trsvcid" &&
		ln -s "$s" "$p/subsystems/$KNQN"
}
lab_kernel_target_setup_dev || lab_fail "kernel target setup failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$ONQN" /dev/ram1 2 4421
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_event "kernel target on 4420, nvmf-tgt on 4421"
lab_signal target-ready
lab_wait host-done 460
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

# host-device-reset, target node: the kernel target and nvmf-tgt.
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_kernel_target_setup "$NQN_K" 1 4420 || lab_fail "kernel target setup failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN_T" /dev/ram1 2 4421
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal target-ready
lab_wait host-done "$((TIMEOUT - 30))"	# the whole run: CYCLES may be raised
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_kernel_target_teardown
lab_pass

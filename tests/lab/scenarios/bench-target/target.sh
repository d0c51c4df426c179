# bench-target, target node: the kernel target on 4420 (/dev/ram0) and
# nvmf-tgt on 4421 (/dev/ram1).
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
# brd is loaded with two disks: the helper's modprobe leaves it as it is
lab_kernel_target_setup "$KNQN" 1 4420 256 ||
	lab_fail "kernel target setup failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$ONQN" /dev/ram1 2 4421
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_event "kernel target on 4420, nvmf-tgt on 4421"
lab_signal target-ready
lab_wait host-done 460
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

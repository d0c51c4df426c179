modprobe brd rd_nr=2 rd_size=$((256 * 1024))
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN_T" /dev/ram1 2 4421
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" || lab_fail "nvmf-tgt did not start"
lab_signal target-ready
lab_wait host-done 380
lab_tgt_stop
lab_pass

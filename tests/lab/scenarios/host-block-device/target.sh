# host-block-device, target node: nvmf-tgt on a RAM disk, restarted
# (kill -9) when the host asks.
modprobe brd rd_nr=1 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN" /dev/ram0 1 4420
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal target-ready
lab_wait restart 600
lab_fault kill nvmf-tgt
mv "$LAB_OUT/nvmf-tgt.log" "$LAB_OUT/nvmf-tgt.log.1"
sleep 2
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not restart: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal restarted
lab_wait host-done 600
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

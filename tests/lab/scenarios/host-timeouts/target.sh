# host-timeouts, target node: nvmf-tgt, killed for OUTAGE seconds.
modprobe brd rd_nr=1 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN" /dev/ram0
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal target-ready
lab_wait outage 120
echo "$(lab_now_ns)" >"$LAB_SYNC/killed-at"
lab_fault kill nvmf-tgt
mv "$LAB_OUT/nvmf-tgt.log" "$LAB_OUT/nvmf-tgt.log.1"
sleep "$OUTAGE"
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not restart: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
echo "$(lab_now_ns)" >"$LAB_SYNC/back-at"
lab_signal target-back
lab_wait host-done 200
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

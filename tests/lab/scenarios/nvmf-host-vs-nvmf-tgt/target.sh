# nvmf-host-vs-nvmf-tgt, target node: nvmf-tgt on a brd RAM disk.
modprobe brd rd_nr=1 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN" /dev/ram0
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" --log-level info ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal target-ready
lab_wait host-done 460
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
grep -E ' (error|warn) ' "$LAB_OUT/nvmf-tgt.log" >"$LAB_OUT/warnings.txt"
lab_report "nvmf-tgt: $(wc -l <"$LAB_OUT/warnings.txt") warning/error lines in its log"
lab_pass

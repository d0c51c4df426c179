# selftest-crash, target node: nvmf-tgt dies of SIGSEGV.
modprobe brd rd_nr=1 rd_size=$((64 * 1024)) || lab_fail "modprobe brd failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN" /dev/ram0
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" || lab_fail "nvmf-tgt did not start"
lab_signal target-ready
lab_wait host-killed 100
kill -SEGV "$(lab_daemon_pid nvmf-tgt)"
sleep 2
lab_pass

# tcp-interop, target node: nvmf-tgt over TCP on a brd RAM disk, then the
# kernel's nvmet-tcp target on another.
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN" /dev/ram0 1 4420 tcp
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" --log-level info ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_event "nvmf-tgt live on tcp $LAB_IP:4420"
lab_signal target-ready
lab_wait ours-done 600
lab_report "nvmf-tgt after the kernel host and nvmf-host over tcp: $(lab_proc_usage nvmf-tgt)"
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
grep -E ' (error|warn) ' "$LAB_OUT/nvmf-tgt.log" >"$LAB_OUT/warnings.txt"
lab_report "nvmf-tgt: $(wc -l <"$LAB_OUT/warnings.txt") warning/error lines in its log"

# the kernel target, as the kernel's own peer and nvmf-host's
modprobe nvmet_tcp || lab_fail "modprobe nvmet_tcp failed"
s=$NVMET_CFS/subsystems/$NQN-kernel p=$NVMET_CFS/ports/2
mkdir "$s" && echo 1 >"$s/attr_allow_any_host" && mkdir "$s/namespaces/1" &&
	echo /dev/ram1 >"$s/namespaces/1/device_path" &&
	echo 1 >"$s/namespaces/1/enable" && mkdir "$p" &&
	echo tcp >"$p/addr_trtype" && echo ipv4 >"$p/addr_adrfam" &&
	echo "$LAB_IP" >"$p/addr_traddr" && echo 4420 >"$p/addr_trsvcid" &&
	ln -s "$s" "$p/subsystems/$NQN-kernel" ||
	lab_fail "cannot configure the kernel nvmet-tcp target"
lab_event "kernel nvmet-tcp target: $NQN-kernel on $LAB_IP:4420"
lab_signal kernel-ready
lab_wait host-done 600
lab_kernel_target_teardown
lab_pass

# host-faults, target node: the kernel target + nvmf-reactor, nvmf-tgt,
# and the target side of each fault (driven by the host's barriers).
# nvmf-tgt runs as nvmf-tgt.service does: configured through its tree by
# nvmetcli, every change saved (--save), and after each kill -9 the new
# instance restores the saved file - the hosts ride through.
NVMETCLI=$LAB_BUILD/nvmetcli/nvmetcli
tree=/run/nvmf-tgt/config
saved=$LAB_OUT/etc-nvmet-config.json
mkdir -p "$tree"
tgt_start_saved() {
	lab_daemon_start nvmf-tgt "$NVMF_TGT" --configfs "$tree" \
		--save "$saved" --foreground
	lab_retry 20 grep -q 'running:' "$LAB_OUT/nvmf-tgt.log"
}
port_live() { [ "$(cat "$tree/ports/2/state" 2>/dev/null)" = live ]; }
tree_is_saved() {
	"$NVMETCLI" --root "$tree" save - >"$LAB_OUT/tree.json" 2>&1 &&
		cmp -s "$LAB_OUT/tree.json" "$saved"
}
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_kernel_target_setup "$NQN_K" 1 4420 || lab_fail "kernel target setup failed"
lab_daemon_start nvmf-reactor "$LAB_BUILD/udev/nvmf-reactor" --kernel-nvmet \
	--interval 0
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN_T" /dev/ram1 2 4421
tgt_start_saved ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
"$NVMETCLI" --root "$tree" restore "$LAB_OUT/nvmf-tgt.json" \
	>"$LAB_OUT/restore.out" 2>&1 ||
	lab_fail "nvmetcli restore into nvmf-tgt's tree: $(cat "$LAB_OUT/restore.out")"
lab_retry 20 tree_is_saved ||
	lab_fail "--save: $saved is not the tree: $(diff "$LAB_OUT/tree.json" "$saved" | head -5)"
lab_retry 10 port_live || lab_fail "port 2 not live: $(cat "$tree/ports/2/state")"
lab_report "nvmf-tgt configured through its tree by nvmetcli; --save wrote $(grep -c . "$saved") lines"
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
	tgt_start_saved ||
		lab_fail "restart $i: nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
	grep -q "restored $saved" "$LAB_OUT/nvmf-tgt.log" ||
		lab_fail "restart $i: $saved not restored: $(grep -- --save "$LAB_OUT/nvmf-tgt.log")"
	lab_retry 10 port_live ||
		lab_fail "restart $i: port 2 not live: $(cat "$tree/ports/2/state")"
	tree_is_saved ||
		lab_fail "restart $i: the restored tree differs: $(diff "$LAB_OUT/tree.json" "$saved" | head -5)"
	lab_report "restart $i: the saved configuration restored into the new nvmf-tgt ($(grep -c '"nsid"' "$saved") namespace, port 2 live)"
	lab_signal "restarted-$i"
done
lab_wait host-done 300
lab_report "nvmf-tgt after the restarts: $(lab_proc_usage nvmf-tgt)"
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_daemon_stop nvmf-reactor
lab_kernel_target_teardown
lab_pass

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
# the second nvmf-tgt also has the configfs-compatible tree, for the
# namespace changes
cfs=/run/nvmf-lab-cfs
mkdir -p "$cfs"
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" --configfs "$cfs" ||
	lab_fail "nvmf-tgt did not restart: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal restarted
lab_wait tgt-reset 300
lab_fault rdma-del || lab_fail "rdma link delete (target) failed: $LAB_FAULT_ERR"
lab_report "target rdma link delete under the host's file workload: $LAB_LAST_FAULT_MS ms"
sleep 2
lab_fault rdma-add || lab_fail "rdma link add (target) failed"
lab_signal tgt-reset-done
ns=$cfs/subsystems/$NQN/namespaces/2
lab_wait ns-add 600
truncate -s 64M /run/ns2.img
mkdir "$ns" && echo /run/ns2.img >"$ns/device_path" && echo 1 >"$ns/enable" ||
	lab_fail "adding namespace 2 through the tree failed: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal ns-added
lab_wait ns-grow 120
truncate -s 96M /run/ns2.img && echo 1 >"$ns/revalidate_size" ||
	lab_fail "revalidate_size failed: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal ns-grown
lab_wait ns-remove 120
echo 0 >"$ns/enable" && rmdir "$ns" || lab_fail "removing namespace 2 failed"
lab_signal ns-removed
lab_wait host-done 600
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

# kernel-peers, host node: the kernel nvme-rdma host against the kernel
# target: discover, connect, verified fio, disconnect.
NQN=nqn.2014-08.org.nvmf-lab:kernel-peers
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait_peer 60 || lab_fail "peer $LAB_PEER unreachable"
lab_wait target-ready 120

nvme discover -t rdma -a "$LAB_PEER" -s 4420 >"$LAB_OUT/discover.log" 2>&1 ||
	lab_fail "nvme discover failed: $(tail -1 "$LAB_OUT/discover.log")"
grep -q "subnqn: *$NQN" "$LAB_OUT/discover.log" ||
	lab_fail "discovery log does not list $NQN"
lab_event "nvme discover lists $NQN"

dev=$(lab_nvme_connect "$NQN" "$LAB_PEER" 4420) || exit 1
lab_event "connected: $dev ($(lab_nvme_state "$NQN"))"

lab_fio_verify randwrite "$dev" --rw=randwrite --bs=4k --iodepth=16 \
	--size=32M || lab_fail "fio 4k randwrite verify failed"
lab_event "fio 4k randwrite crc32c verify: ok"
lab_fio_verify seq128k "$dev" --rw=write --bs=128k --iodepth=8 \
	--size=64M || lab_fail "fio 128k write verify failed"
lab_event "fio 128k seq write crc32c verify: ok"
lab_report "$(grep -h 'WRITE: bw' "$LAB_OUT"/fio-*.log | sed 's/^ *//' | tr '\n' ';')"

nvme disconnect -n "$NQN" >"$LAB_OUT/disconnect.log" 2>&1 ||
	lab_fail "nvme disconnect failed"
lab_retry 10 lab_not test -e "$dev" ||
	lab_fail "$dev still present after disconnect"
lab_event "disconnected"
lab_signal host-done
lab_pass

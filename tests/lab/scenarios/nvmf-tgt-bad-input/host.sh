# nvmf-tgt-bad-input, host node: verified kernel-host I/O in the
# background, nvmf-wire-test in the foreground.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait target-ready 120
dev=$(lab_nvme_connect "$OPEN" "$LAB_PEER" 4420) || exit 1
nvme connect -t rdma -a "$LAB_PEER" -s 4420 -n "$RESTRICTED" \
	>"$LAB_OUT/connect-restricted.log" 2>&1 &&
	lab_fail "the kernel host was admitted to $RESTRICTED"
lab_event "kernel host refused by $RESTRICTED: $(tail -1 "$LAB_OUT/connect-restricted.log")"

lab_fio_verify background "$dev" --rw=randwrite --bs=4k --iodepth=16 \
	--size=48M &
fio_pid=$!
lab_event "verified fio running on $dev"
sleep 2
"$LAB_BUILD/tests/wire/nvmf-wire-test" -a "$LAB_PEER" -s 4420 -n "$OPEN" \
	-r "$RESTRICTED" -c "$MAX_CONNECTING" -t "$CONNECT_TIMEOUT" \
	>"$LAB_OUT/wire-test.txt" 2>&1
wire=$?
cat "$LAB_OUT/wire-test.txt"
lab_report "nvmf-wire-test: $(tail -1 "$LAB_OUT/wire-test.txt")"
kill -0 $fio_pid 2>/dev/null || lab_event "note: fio finished before the wire test"
wait $fio_pid || lab_fail "verified fio failed during the wire test"
lab_event "fio crc32c verify alongside the wire test: ok"
nvme disconnect -n "$OPEN" >/dev/null 2>&1 || lab_fail "nvme disconnect failed"
lab_signal host-done
[ $wire -eq 0 ] || lab_fail "nvmf-wire-test: $(grep -c FAIL "$LAB_OUT/wire-test.txt") case(s) failed"
lab_pass

# tgt-device-reset, host node: the kernel host with verified writes.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait target-ready 120
dev=$(lab_nvme_connect "$NQN" "$LAB_PEER" 4420 --ctrl-loss-tmo=-1 \
	--reconnect-delay=1) || exit 1
# verified writes in a loop until the resets are over (each pass writes
# 32 MiB at random and reads it back)
(
	n=0
	while [ ! -e "$LAB_SYNC/resets-done" ]; do
		n=$((n + 1))
		lab_fio_verify "pass$n" "$dev" --rw=randwrite --bs=4k \
			--iodepth=16 --size=32M || exit 1
	done
	echo "$n" >"$LAB_OUT/passes"
) &
io=$!
# I/O probe: a 4 KiB direct read every 50 ms, each completion timestamped,
# to measure when I/O resumes after each device return
(
	while [ ! -e "$LAB_SYNC/resets-done" ]; do
		dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct status=none &&
			date +%s%N
		sleep 0.05
	done >"$LAB_OUT/probe.txt"
) &
probe=$!
lab_signal host-io-running
# state timeline of the kernel controller
(
	last=""
	while kill -0 $io 2>/dev/null; do
		st=$(lab_nvme_state "$NQN")
		[ "$st" != "$last" ] && lab_event "kernel host controller: $st"
		last=$st
		sleep 0.2
	done
) &
wait $io || lab_fail "verified fio failed (see fio-pass*.log)"
wait $probe
for f in "$LAB_SYNC"/add-*; do
	i=${f##*-}
	t_add=$(cat "$f")
	first=$(awk -v t="$t_add" '$1 > t { print $1; exit }' "$LAB_OUT/probe.txt")
	[ -n "$first" ] || lab_fail "cycle $i: no I/O completed after the device returned"
	lab_report "cycle $i: first I/O completed $(lab_ms "$t_add" "$first") ms after rdma link add"
done
lab_event "fio passes: $(cat "$LAB_OUT/passes"), all verified"
errs=$(dmesg | grep -c 'I/O error')
[ "$errs" -eq 0 ] || lab_fail "$errs I/O errors in the host's dmesg"
lab_report "kernel host: $(cat "$LAB_OUT/passes") verified fio passes, 0 I/O errors, $(dmesg | grep -c 'Successfully reconnected') reconnects"
nvme disconnect -n "$NQN" >/dev/null 2>&1
lab_signal host-done
lab_pass

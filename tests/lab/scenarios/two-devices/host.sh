# two-devices, host node: nvmf-host controllers on both paths, the kernel
# host on rxe1's, and the host-side resets of rxe0.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_second_rdma || lab_fail "second RDMA device"
lab_wait target-ready 120
CA=$(lab_host_connect "$NQN_A" "$LAB_PEER" 4420 -c 1 -l -1 2>&1) ||
	lab_fail "connect A: $CA"
CB=$(lab_host_connect "$NQN_B" "$LAB_PEER2" 4421 -c 1 -l -1 2>&1) ||
	lab_fail "connect B: $CB"
kdev=$(lab_nvme_connect "$NQN_B" "$LAB_PEER2" 4421 --ctrl-loss-tmo=-1 \
	--reconnect-delay=1) || exit 1
lab_event "connected: $CA (rxe0 path), $CB and the kernel host $kdev (rxe1 path)"
usage0="$CA $(lab_host_usage "$CA"); $CB $(lab_host_usage "$CB")"
# verified I/O: nvmf-host on both files, the kernel host on another area of B
io() {
	local name=$1 file=$2
	shift 2
	n=0
	while [ ! -e "$LAB_SYNC/io-stop" ]; do
		n=$((n + 1))
		lab_fio_verify "$name-$n" "$file" --rw=randwrite --bs=4k \
			--iodepth=8 "$@" || { echo "$name pass $n failed" >"$LAB_OUT/io-$name.err"; exit 1; }
	done
	echo "$n" >"$LAB_OUT/passes-$name"
}
io A "$(lab_host_file "$CA")" --size=8M & pa=$!
io B "$(lab_host_file "$CB")" --size=8M & pb=$!
io K "$kdev" --offset=128M --size=8M & pk=$!
# every state of the three controllers, as it changes
(
	declare -A last
	while [ ! -e "$LAB_SYNC/io-stop" ]; do
		for c in "$CA" "$CB"; do
			st=$(lab_host_state "$c")
			[ "$st" != "${last[$c]:-}" ] && lab_event "$c: $st"
			last[$c]=$st
		done
		st=$(lab_nvme_state "$NQN_B")
		[ "$st" != "${last[k]:-}" ] && lab_event "kernel host (B): $st"
		last[k]=$st
		sleep 0.5
	done
) &
lab_signal host-io-running
is_live() { [ "$(lab_host_state "$1")" = live ]; }
lab_wait target-resets-done 300
lab_retry 30 is_live "$CA" ||
	lab_fail "$CA not live 30 s after the target's resets"
for i in $(seq "$CYCLES"); do
	sleep 4
	lab_fault rdma-del || lab_fail "cycle $i: rdma link delete failed: $LAB_FAULT_ERR"
	del_ms=$LAB_LAST_FAULT_MS
	sleep "$DOWN"
	t_add=$(lab_now_ns)
	lab_fault rdma-add || lab_fail "cycle $i: rdma link add failed"
	lab_retry 30 is_live "$CA" ||
		lab_fail "cycle $i: $CA not live 30 s after the device returned"
	# when it went live: the daemon's own record (ms since the epoch)
	t_live=$(lab_host_field "$CA" state_since_ms)000000
	lab_report "host cycle $i: rdma link delete ${del_ms} ms; $CA live $(lab_ms "$t_add" "$t_live") ms after add; $CB $(lab_host_state "$CB"), $(lab_host_usage "$CB")"
done
sleep 3
touch "$LAB_SYNC/io-stop"
for p in $pa $pb $pk; do
	wait "$p" || lab_fail "verified I/O failed: $(cat "$LAB_OUT"/io-*.err 2>/dev/null)"
done
# B must not have noticed anything
rb=$(lab_host_field "$CB" reconnects)
[ "$rb" = 0 ] || lab_fail "$CB (rxe1) reconnected $rb time(s)"
# its daemon logs every state change: new -> connecting -> live, no more
n=$(grep -c "^[0-9:.]* $CB .* state " "$LAB_OUT/nvmf-host.log")
[ "$n" -eq 2 ] ||
	lab_fail "$CB changed state: $(grep "^[0-9:.]* $CB .* state " "$LAB_OUT/nvmf-host.log" | tr '\n' '|')"
[ "$(grep -c 'kernel host (B): ' "$LAB_OUT/timeline")" -eq 1 ] ||
	lab_fail "the kernel host's controller on rxe1 changed state: $(grep 'kernel host (B)' "$LAB_OUT/timeline" | tr '\n' '|')"
bad='I/O error\|Reconnecting\|reconnected\|Removing ctrl\|starting error recovery'
errs=$(dmesg | grep -c "$bad")
[ "$errs" -eq 0 ] || lab_fail "the kernel host logged: $(dmesg | grep "$bad" | head -2 | tr '\n' '|')"
ra=$(lab_host_field "$CA" reconnects)
[ "$ra" -ge "$CYCLES" ] || lab_fail "$CA reconnected only $ra times"
lab_report "$CA (rxe0): $(cat "$LAB_OUT/passes-A") verified passes, $ra reconnects; $CB (rxe1): $(cat "$LAB_OUT/passes-B") verified passes, 0 reconnects, live throughout; kernel host on rxe1: $(cat "$LAB_OUT/passes-K") verified passes, live throughout, 0 errors"
lab_report "daemons at start: $usage0; at the end: $CA $(lab_host_usage "$CA"); $CB $(lab_host_usage "$CB")"
grep -h 'rdma: rxe' "$LAB_OUT/nvmf-host.log" | grep -v 'using' | tail -2 | sed 's/^/  /'
nvme disconnect -n "$NQN_B" >/dev/null 2>&1
"$NVMF_HOST" disconnect-all >/dev/null || lab_fail "disconnect-all failed"
lab_signal host-done
lab_pass

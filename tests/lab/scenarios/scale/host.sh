# scale, host node: the kernel host with many controllers.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"

connect_n() {	# connect_n N [args...]: controllers to $PFX1..N
	local n=$1 i log=$LAB_OUT/connect.log
	shift
	for i in $(seq "$n"); do
		nvme connect -t rdma -a "$LAB_PEER" -s 4420 -n "$PFX$i" \
			-i "$NQ" "$@" >"$log" 2>&1 ||
			lab_fail "nvme connect to $PFX$i failed: $(tail -1 "$log")"
	done
	for i in $(seq "$n"); do
		lab_retry 20 lab_nvme_dev "$PFX$i" >/dev/null ||
			lab_fail "no namespace device for $PFX$i"
	done
}

disconnect_n() {
	local i
	for i in $(seq "$1"); do
		nvme disconnect -n "$PFX$i" >/dev/null 2>&1 ||
			lab_fail "nvme disconnect of $PFX$i failed"
	done
}

# JOBS: a fio job per namespace of controllers 1..N
fio_jobs() {
	local i
	JOBS=()
	for i in $(seq "$1"); do
		JOBS+=(--name="c$i" --filename="$(lab_nvme_dev "$PFX$i")")
	done
}

read_all() {	# 4k random reads on every namespace, QD16 each, 5 s
	fio_jobs "$1"
	fio --ioengine=libaio --direct=1 --rw=randread --bs=4k --iodepth=16 \
		--runtime=5 --time_based --group_reporting "${JOBS[@]}" \
		>"$LAB_OUT/fio-$2.log" 2>&1 || lab_fail "fio on $1 namespaces failed"
	lab_event "$2: random reads on $1 controllers: $(grep -m1 -o 'IOPS=[^,]*' "$LAB_OUT/fio-$2.log")"
}

# the state files of controllers 1..N (a controller keeps its instance
# across reconnects)
state_files() {
	local i c
	STATES=()
	for i in $(seq "$1"); do
		for c in /sys/class/nvme/nvme*; do
			[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$PFX$i" ] &&
				STATES+=("$c/state")
		done
	done
	[ "${#STATES[@]}" -eq "$1" ] || lab_fail "found ${#STATES[@]} of $1 controllers in /sys/class/nvme"
}

# wait until every controller has left "live" and is live again; prints
# the times (ns) of the first one's and the last one's return
wait_recovered() {	# wait_recovered TIMEOUT_S
	local deadline=$((SECONDS + $1)) i st left=${#STATES[@]} seen=() first=
	while [ $SECONDS -lt $deadline ]; do
		for i in "${!STATES[@]}"; do
			read -r st <"${STATES[$i]}"
			if [ "$st" != live ]; then
				seen[$i]=1
			elif [ "${seen[$i]:-}" = 1 ]; then
				seen[$i]=2
				[ -n "$first" ] || first=$(lab_now_ns)
			fi
		done
		left=0
		for i in "${!STATES[@]}"; do
			[ "${seen[$i]:-}" = 2 ] || left=$((left + 1))
		done
		[ $left -eq 0 ] && { echo "$first $(lab_now_ns)"; return 0; }
		sleep 0.05
	done
	echo "$left"
	return 1
}

for who in kernel tgt; do
	lab_wait "$who-ready" 300
	connect_n "$MEM_N"
	read_all "$MEM_N" "$who"
	lab_signal "$who-loaded"
	lab_wait "$who-measured" 120
	disconnect_n "$MEM_N"
	[ $who = kernel ] && lab_signal kernel-done
done

for n in $SIZES; do
	connect_n "$n" --reconnect-delay 1 --ctrl-loss-tmo -1
	state_files "$n"
	# queue-depth-1 readers on every controller, so that each notices the
	# reset at once (an idle one would wait for its keep-alive)
	fio_jobs "$n"
	fio --ioengine=libaio --direct=1 --rw=randread --bs=4k --iodepth=1 \
		--runtime=300 --time_based "${JOBS[@]}" >"$LAB_OUT/fio-reset-$n.log" 2>&1 &
	fio_pid=$!
	sleep 2
	lab_signal "connected-$n"
	times=$(wait_recovered 120) ||
		lab_fail "N=$n: $times of $n controllers not back live 120 s after the reset"
	t_add=$(cat "$LAB_SYNC/add-$n" 2>/dev/null) || lab_fail "N=$n: no rdma link add time"
	read -r t_first t_last <<<"$times"
	# the first return is bounded by the kernel host's own retry timing
	# (a connect sent while the device was gone waits for its CM
	# timeout); the spread to the last one is what N adds
	lab_report "N=$n: all $n controllers live $(lab_ms "$t_add" "$t_last") ms after rdma link add; first $(lab_ms "$t_add" "$t_first") ms, last $(lab_ms "$t_first" "$t_last") ms after the first (kernel host reconnect-delay 1 s)"
	kill "$fio_pid"
	wait "$fio_pid"
	grep -q 'err= *[1-9]' "$LAB_OUT/fio-reset-$n.log" &&
		lab_fail "N=$n: fio saw I/O errors through the reset: $(grep -m1 'err=' "$LAB_OUT/fio-reset-$n.log")"
	dd if="$(lab_nvme_dev "${PFX}$n")" of=/dev/null bs=4k count=16 iflag=direct \
		status=none || lab_fail "N=$n: a read after the recovery failed"
	disconnect_n "$n"
	lab_signal "recovered-$n"
done
lab_signal host-done
lab_pass

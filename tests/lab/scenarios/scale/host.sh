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

# read_state FILE: st = the state in a sysfs state file (the kernel host)
# or in an nvmf-host status.json, and since = when it was entered (ns; the
# daemon's own clock reading, or empty), without a fork (polled for 32
# controllers in a busy VM: the poll may see a state well after it began)
read_state() {
	local s=
	read -r -d '' s <"$1"
	since=
	if [[ $s =~ \"state\":\ *\"([a-z-]+)\" ]]; then
		st=${BASH_REMATCH[1]}
		[[ $s =~ \"state_since_ms\":\ *([0-9]+) ]] &&
			since=${BASH_REMATCH[1]}000000
	else
		st=${s%%$'\n'*}
	fi
}

# wait until every controller has left "live" and is live again; prints
# the times (ns) of the first one's and the last one's return: when the
# daemon says it went live (nvmf-host), else when it is seen (the kernel
# host's sysfs has no time; bash's clock, no fork between two reads); then
# "|" and this VM's CPU marks (lab_cpu_mark) when ADD_FILE (the target's
# rdma link add) was first seen and when all were live
wait_recovered() {	# wait_recovered TIMEOUT_S ADD_FILE
	local deadline=$((SECONDS + $1)) i st since left seen=() first= last= t
	local mark0= mark1
	while [ $SECONDS -lt $deadline ]; do
		[ -z "$mark0" ] && [ -e "$2" ] && lab_cpu_mark -v mark0
		left=0
		for i in "${!STATES[@]}"; do
			read_state "${STATES[$i]}"
			if [ "$st" != live ]; then
				seen[$i]=1
			elif [ "${seen[$i]:-}" = 1 ]; then
				seen[$i]=2
				t=${since:-${EPOCHREALTIME/./}000}
				[ -n "$first" ] && [ "$t" -ge "$first" ] || first=$t
				[ -n "$last" ] && [ "$t" -le "$last" ] || last=$t
			fi
			[ "${seen[$i]:-}" = 2 ] || left=$((left + 1))
		done
		if [ $left -eq 0 ]; then
			lab_cpu_mark -v mark1
			echo "$first $last|$mark0|$mark1"
			return 0
		fi
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

# recovery: N controllers of one host (kernel, then nvmf-host) with a QD1
# reader each, through one target-side reset; times from `rdma link add`
recovery() {	# recovery WHO N
	local who=$1 n=$2 times t_add t_first t_last fio_pid mark0 mark1
	lab_signal "connected-$who-$n"
	times=$(wait_recovered 120 "$LAB_SYNC/add-$who-$n") ||
		lab_fail "$who N=$n: $times of $n controllers not back live 120 s after the reset"
	lab_signal "live-$who-$n" # the target reads its counters
	lab_wait "measured-$who-$n" 60
	t_add=$(cat "$LAB_SYNC/add-$who-$n" 2>/dev/null) || lab_fail "$who N=$n: no rdma link add time"
	IFS='|' read -r times mark0 mark1 <<<"$times"
	read -r t_first t_last <<<"$times"
	# the first return is bounded by the host's own retry timing (the
	# kernel host's connect sent while the device was gone waits for its
	# CM timeout); the spread to the last one is what N adds
	lab_report "$who N=$n: all $n controllers live $(lab_ms "$t_add" "$t_last") ms after rdma link add; first $(lab_ms "$t_add" "$t_first") ms, last $(lab_ms "$t_first" "$t_last") ms after the first (reconnect-delay 1 s)"
	# a VM whose vCPUs were busy throughout is what bounds the recovery
	if [ -n "$mark0" ]; then
		lab_report "$who N=$n: host VM from rdma link add to all live: $(lab_cpu_busy "$mark0" "$mark1")"
	fi
}

# fio_check LOG WHAT: no I/O error through the reset
fio_check() {
	grep -q 'err= *[1-9]' "$1" &&
		lab_fail "$2: fio saw I/O errors through the reset: $(grep -m1 'err=' "$1")"
	return 0
}

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
	recovery kernel "$n"
	kill "$fio_pid"
	wait "$fio_pid"
	fio_check "$LAB_OUT/fio-reset-$n.log" "kernel N=$n"
	dd if="$(lab_nvme_dev "${PFX}$n")" of=/dev/null bs=4k count=16 iflag=direct \
		status=none || lab_fail "N=$n: a read after the recovery failed"
	disconnect_n "$n"
	lab_signal "recovered-kernel-$n"
done

# ---- nvmf-host: the same recovery with N nvmf-host controllers ---------------
for n in $SIZES; do
	pids=()
	for i in $(seq "$n"); do
		# shellcheck disable=SC2086 # HOST_ARGS: words
		lab_host_connect "$PFX$i" "$LAB_PEER" 4420 -i "$NQ" -c 1 -l -1 ${HOST_ARGS:-} \
			>"$LAB_OUT/hname-$i" 2>"$LAB_OUT/hconnect-$i.err" &
		pids+=($!)
	done
	names=() STATES=() JOBS=()
	for i in $(seq "$n"); do
		wait "${pids[$((i - 1))]}" ||
			lab_fail "nvmf-host connect to $PFX$i failed: $(tail -1 "$LAB_OUT/hconnect-$i.err")"
		name=$(cat "$LAB_OUT/hname-$i")
		names+=("$name")
		STATES+=("/run/nvmf-host/ctrl/$name/status.json")
		JOBS+=(--name="h$i" --filename="$(lab_host_file "$name")")
	done
	lab_event "nvmf-host: $n controllers connected: ${names[*]}"
	fio --ioengine=psync --direct=1 --rw=randread --bs=4k --size=32M \
		--runtime=300 --time_based "${JOBS[@]}" >"$LAB_OUT/fio-hreset-$n.log" 2>&1 &
	fio_pid=$!
	sleep 2
	recovery nvmf-host "$n"
	lab_report "nvmf-host N=$n: $(lab_host_usage "${names[0]}") (first controller's daemon)"
	kill "$fio_pid"
	wait "$fio_pid"
	fio_check "$LAB_OUT/fio-hreset-$n.log" "nvmf-host N=$n"
	for name in "${names[@]}"; do
		"$NVMF_HOST" disconnect -d "$name" >/dev/null 2>>"$LAB_OUT/hdisconnect.err" ||
			lab_fail "nvmf-host disconnect $name failed: $(tail -1 "$LAB_OUT/hdisconnect.err")"
	done
	lab_signal "recovered-nvmf-host-$n"
done
lab_signal host-done
lab_pass

# Fault scenarios with nvmf-host (sourced by their host.sh): two
# controllers (the kernel target on 4420, nvmf-tgt on 4421) with
# ctrl-loss-tmo -1 and reconnect-delay 1, verified fio on both namespace
# files in a loop (4 MiB passes), a 4 KiB read probe per file every 50 ms
# (a dd process each: more often, they took CPU the daemons needed), and a
# state timeline.
# With QPAIR_PERF set, nvmf-host perf --threads 2 --verify runs against
# nvmf-tgt through all of it too (its own 16 MiB at 64 MiB): two threads
# that own an I/O queue each, reconnected under their I/O.
# Needs: NQN_T, CYCLES; NQN_K optional (no kernel-target controller
# without it).

# host_resets_setup: connect both, start the I/O, the probes, the timeline.
host_resets_setup() {
	local c
	CTRLS=""
	if [ -n "${NQN_K:-}" ]; then
		CTRL_K=$(lab_host_connect "$NQN_K" "$LAB_PEER" 4420 -c 1 -l -1 2>&1) ||
			lab_fail "connect to the kernel target: $CTRL_K"
		CTRLS=$CTRL_K
		lab_event "connected: $CTRL_K (kernel target)"
	fi
	CTRL_T=$(lab_host_connect "$NQN_T" "$LAB_PEER" 4421 -c 1 -l -1 2>&1) ||
		lab_fail "connect to nvmf-tgt: $CTRL_T"
	CTRLS="$CTRLS $CTRL_T"
	lab_event "connected: $CTRL_T (nvmf-tgt)"
	USAGE0=""
	for c in $CTRLS; do
		USAGE0="$USAGE0 $c $(lab_host_usage "$c");"
	done
	IO_PIDS=""
	for c in $CTRLS; do
		(
			n=0
			while [ ! -e "$LAB_SYNC/resets-done" ]; do
				n=$((n + 1))
				lab_fio_verify "$c-pass$n" "$(lab_host_file "$c")" \
					--rw=randwrite --bs=4k --iodepth=16 \
					--size=4M || exit 1
			done
			echo "$n" >"$LAB_OUT/passes-$c"
		) &
		IO_PIDS="$IO_PIDS $!"
		(
			while [ ! -e "$LAB_SYNC/resets-done" ]; do
				dd if="$(lab_host_file "$c")" of=/dev/null bs=4k \
					count=1 iflag=direct status=none &&
					lab_now_ns
				sleep 0.05
			done >"$LAB_OUT/probe-$c.txt"
		) &
		IO_PIDS="$IO_PIDS $!"
	done
	(
		declare -A last
		while [ ! -e "$LAB_SYNC/resets-done" ]; do
			for c in $CTRLS; do
				st=$(lab_host_state "$c")
				[ "$st" != "${last[$c]}" ] &&
					lab_event "$c: ${st:-(gone)}"
				last[$c]=$st
			done
			sleep 0.05
		done
	) &
	PERF_PID=
	if [ -n "${QPAIR_PERF:-}" ]; then
		"$NVMF_HOST" perf -r "trtype:rdma adrfam:ipv4 traddr:$LAB_PEER trsvcid:4421 subnqn:$NQN_T" \
			--threads 2 -q 4 -o 4096 -w randrw -t 3600 \
			--offset 67108864 --size 16777216 --verify -c 1 -l -1 \
			--log-level info >"$LAB_OUT/perf-qpair.log" 2>&1 &
		PERF_PID=$!
		lab_event "nvmf-host perf --threads 2 --verify started (pid $PERF_PID)"
	fi
	sleep 3
}

# host_resets_recovered CYCLE T_EVENT PREFIX: wait for both controllers to
# be live and both probes to complete an I/O after T_EVENT; report.
host_resets_recovered() {
	local i=$1 t=$2 prefix=$3 c t_live first msg=""
	for c in $CTRLS; do
		for _ in $(seq 1500); do
			[ "$(lab_host_state "$c")" = live ] && break
			sleep 0.02
		done
		[ "$(lab_host_state "$c")" = live ] ||
			lab_fail "cycle $i: $c not live 30 s after the fault ended"
		# when it went live: the daemon's own record (ms since the epoch)
		t_live=$(lab_host_field "$c" state_since_ms)000000
		lab_retry 30 bash -c "awk -v t=$t '\$1 > t { f=1 } END { exit !f }' $LAB_OUT/probe-$c.txt" ||
			lab_fail "cycle $i: no I/O on $c completed 30 s after the fault ended"
		first=$(awk -v t="$t" '$1 > t { print $1; exit }' "$LAB_OUT/probe-$c.txt")
		if [ "$t_live" -lt "$t" ]; then
			msg="$msg $c stayed live,"
		else
			msg="$msg $c live $(lab_ms "$t" "$t_live") ms,"
		fi
		msg="$msg first I/O $(lab_ms "$t" "$first") ms;"
	done
	lab_event "cycle $i:$msg"
	for c in $CTRLS; do
		msg="$msg $c $(lab_host_usage "$c");"
	done
	lab_report "cycle $i: $prefix${msg# }"
	for c in $CTRLS; do
		[ -e "$(lab_host_file "$c")" ] ||
			lab_fail "cycle $i: the namespace file of $c is gone"
	done
}

# host_resets_finish: stop the I/O, check it, report the figures.
host_resets_finish() {
	local c p
	touch "$LAB_SYNC/resets-done"
	for p in $IO_PIDS; do
		wait "$p" || lab_fail "verified fio failed (see fio-*-pass*.log)"
	done
	if [ -n "$PERF_PID" ]; then
		# SIGINT ends its run; it then reads everything back
		kill -INT "$PERF_PID"
		wait "$PERF_PID" ||
			lab_fail "perf --threads 2 --verify through the faults failed: $(grep -E 'error|result|verify' "$LAB_OUT/perf-qpair.log" | tail -3 | tr '\n' ' ')"
		grep -q " 0 mismatches" "$LAB_OUT/perf-qpair.log" ||
			lab_fail "perf --threads 2: no verify result"
		lab_report "perf --threads 2 --verify (2 owned I/O queues) through $CYCLES faults: $(grep -c 'reconnected after' "$LAB_OUT/perf-qpair.log") reconnects, $(grep -o 'errors=[0-9]*' "$LAB_OUT/perf-qpair.log"), $(grep -o '[0-9]* reads checked, [0-9]* mismatches' "$LAB_OUT/perf-qpair.log"), longest I/O $(grep -o 'max [0-9.]*' "$LAB_OUT/perf-qpair.log" | tail -1) us"
		[ "$(grep -c 'reconnected after' "$LAB_OUT/perf-qpair.log")" -ge 1 ] ||
			lab_fail "perf --threads 2: its controller never reconnected"
	fi
	local end=""
	for c in $CTRLS; do
		lab_report "$c: $(cat "$LAB_OUT/passes-$c") verified fio passes, $("$NVMF_HOST" list | awk -v n="$c:" '$1 == n { on=1 } on && /reconnects:/ { print; exit }' | sed 's/^ *//')"
		end="$end $c $(lab_host_usage "$c");"
	done
	lab_report "daemons at start:$USAGE0 at the end:$end"
	grep -h 'error\|warn' "$LAB_OUT/nvmf-host.log" | grep -v 'reconnect attempt' |
		tail -5 >"$LAB_OUT/host-warnings.txt"
	"$NVMF_HOST" disconnect-all >/dev/null || lab_fail "disconnect-all failed"
	lab_event "verified fio on both controllers through $CYCLES faults: 0 errors"
}

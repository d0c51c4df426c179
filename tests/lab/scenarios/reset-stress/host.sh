# reset-stress, host node: nvmf-host under verified I/O plus a connect /
# disconnect churn, and the schedule of removals (drawn here from SEED).
export ASAN_OPTIONS="$ASAN_OPTIONS:max_free_fill_size=4096"
SEED=${SEED:-$(date +%s)}
RANDOM=$SEED
lab_report "seed $SEED (LAB_SET=\"SEED=$SEED CYCLES=$CYCLES\" replays this schedule)"
lab_wait target-ready 120
C1=$(lab_host_connect "$NQN_1" "$LAB_PEER" 4420 -c 1 -l -1 2>&1) ||
	lab_fail "connect 1: $C1"
C2=$(lab_host_connect "$NQN_2" "$LAB_PEER" 4420 -c 1 -l -1 2>&1) ||
	lab_fail "connect 2: $C2"
usage0="$C1 $(lab_host_usage "$C1"); $C2 $(lab_host_usage "$C2")"
io() {
	local c=$1 n=0
	while [ ! -e "$LAB_SYNC/io-stop" ]; do
		n=$((n + 1))
		lab_fio_verify "$c-$n" "$(lab_host_file "$c")" --rw=randwrite \
			--bs=4k --iodepth=16 --size=8M ||
			{ echo "$c: pass $n failed" >"$LAB_OUT/io-$c.err"; exit 1; }
	done
	echo "$n" >"$LAB_OUT/passes-$c"
}
io "$C1" & p1=$!
io "$C2" & p2=$!
# churn: a third controller connects, reads 1 MiB, disconnects, again
(
	ok=0 failed=0 max=0
	while [ ! -e "$LAB_SYNC/io-stop" ]; do
		# 0 before the first connect creates the log (grep prints nothing)
		lost=$(grep -c "controller deleted: " "$LAB_OUT/churn.log" 2>/dev/null)
		lost=${lost:-0}
		t0=$(lab_now_ns)
		if c=$("$NVMF_HOST" connect -t rdma -a "$LAB_PEER" -s 4420 \
			-n "$NQN_1" -D -l 5 -c 1 --log-level debug --export fuse \
			--log-file "$LAB_OUT/churn.log" 2>>"$LAB_OUT/churn.err"); then
			dd if="$(lab_host_file "$c")" of=/dev/null bs=64k count=16 \
				iflag=direct status=none 2>>"$LAB_OUT/churn.err"
			t=$(lab_ms "$t0" "$(lab_now_ns)")
			[ "$t" -gt "$max" ] && max=$t
			# a controller lost for 5 s (-l 5) deletes itself: fine
			"$NVMF_HOST" disconnect -d "$c" >/dev/null 2>>"$LAB_OUT/churn.err" ||
				[ "$(grep -c "$c: controller deleted: " "$LAB_OUT/churn.log")" -gt "$lost" ] ||
				echo "disconnect $c failed: $(tail -1 "$LAB_OUT/churn.err")" >>"$LAB_OUT/churn.fail"
			ok=$((ok + 1))
		else
			failed=$((failed + 1))
			sleep 0.3
		fi
		echo "$ok $failed $max" >"$LAB_OUT/churn.count"
	done
) &
pc=$!
sleep 2
is_live() { [ "$(lab_host_state "$1")" = live ]; }
ms_sleep() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
# settle: both controllers live and reading again; report from t_add
settle() {
	local what=$1 t=$2 c t_live msg=""
	for c in $C1 $C2; do
		lab_retry 60 is_live "$c" ||
			lab_fail "$what: $c not live 60 s after the last re-add"
		t_live=$(lab_host_field "$c" state_since_ms)000000
		dd if="$(lab_host_file "$c")" of=/dev/null bs=4k count=1 \
			iflag=direct status=none || lab_fail "$what: $c: read failed"
		if [ "$t_live" -lt "$t" ]; then
			msg="$msg $c stayed live,"
		else
			msg="$msg $c live $(lab_ms "$t" "$t_live") ms after,"
		fi
		msg="$msg read ok $(lab_ms "$t" "$(lab_now_ns)") ms after;"
	done
	lab_report "$what:$msg $C1 $(lab_host_usage "$C1"); $C2 $(lab_host_usage "$C2")"
}
# drawn in this shell only (a subshell would reseed RANDOM)
SIDES=(target host both)
dels="" sides=""
for i in $(seq "$CYCLES"); do
	side=${SIDES[$((RANDOM % 3))]}
	delay=$((RANDOM % 2500))
	down=$((200 + RANDOM % 2300))
	sides="$sides $side"
	echo "$side $delay $down" >"$LAB_SYNC/go-$i"
	lab_event "cycle $i: $side, delete after $delay ms, away $down ms"
	if [ "$side" != target ]; then
		ms_sleep "$delay"
		lab_fault rdma-del || lab_fail "cycle $i: rdma link delete: $LAB_FAULT_ERR"
		dels="$dels $LAB_LAST_FAULT_MS"
		ms_sleep "$down"
		lab_fault rdma-add || lab_fail "cycle $i: rdma link add failed"
	fi
	lab_wait "tdone-$i" 120
	t_add=$(lab_now_ns)
	[ $((i % SETTLE_EVERY)) = 0 ] && [ "$i" != "$CYCLES" ] &&
		settle "after cycle $i" "$t_add"
done
settle "after the last cycle ($CYCLES)" "$t_add"
touch "$LAB_SYNC/io-stop"
wait "$p1" || lab_fail "verified I/O on $C1 failed: $(cat "$LAB_OUT/io-$C1.err")"
wait "$p2" || lab_fail "verified I/O on $C2 failed: $(cat "$LAB_OUT/io-$C2.err")"
wait "$pc"
[ -s "$LAB_OUT/churn.fail" ] && lab_fail "churn: $(head -1 "$LAB_OUT/churn.fail")"
lab_report "sides:$sides"
lab_report "host deletes (ms):${dels:- none}"
read -r ok failed max <"$LAB_OUT/churn.count"
[ "$ok" -gt 0 ] || lab_fail "churn: no connect succeeded in $failed tries: $(tail -1 "$LAB_OUT/churn.err")"
lab_report "churn: $ok connect/read/disconnect rounds (longest connect + read $max ms), $failed connects refused or failed during resets"
lab_report "$C1: $(cat "$LAB_OUT/passes-$C1") verified fio passes, $(lab_host_field "$C1" reconnects) reconnects; $C2: $(cat "$LAB_OUT/passes-$C2") passes, $(lab_host_field "$C2" reconnects) reconnects; 0 verify errors"
lab_report "daemons at start: $usage0; at the end: $C1 $(lab_host_usage "$C1"); $C2 $(lab_host_usage "$C2")"
"$NVMF_HOST" disconnect-all >/dev/null || lab_fail "disconnect-all failed"
lab_signal host-done
lab_pass

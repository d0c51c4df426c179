# host-timeouts, host node: controllers A (ctrl-loss-tmo) and B
# (fast_io_fail_tmo) through an outage.
lab_wait target-ready 120
a=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 -c 1 -l "$LOSS_TMO" 2>&1) ||
	lab_fail "connect A: $a"
b=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 -c 1 -l -1 \
	-F "$FAIL_TMO" -D 2>&1) || lab_fail "connect B: $b"
fa=$(lab_host_file "$a")
fb=$(lab_host_file "$b")
pid_a=$(lab_host_pid "$a")
lab_event "A = $a (ctrl-loss-tmo $LOSS_TMO), B = $b (fast_io_fail_tmo $FAIL_TMO)"
lab_signal outage
lab_retry 10 test -e "$LAB_SYNC/killed-at" || lab_fail "no outage"
sleep 0.5
# a read on each, queued while the controllers reconnect
read_at() {	# read_at FILE OUT: one direct read; "rc ns-when-done" in OUT
	dd if="$1" of=/dev/null bs=4k count=1 iflag=direct 2>"$2.err"
	echo "$? $(lab_now_ns)" >"$2"
}
read_at "$fa" "$LAB_OUT/read-a" &
read_at "$fb" "$LAB_OUT/read-b" &
wait
t0=$(cat "$LAB_SYNC/killed-at")
read -r rc_a t_a <"$LAB_OUT/read-a"
read -r rc_b t_b <"$LAB_OUT/read-b"
ms_a=$(lab_ms "$t0" "$t_a")
ms_b=$(lab_ms "$t0" "$t_b")
lab_event "A's queued read: exit $rc_a after $ms_a ms ($(head -1 "$LAB_OUT/read-a.err")); B's: exit $rc_b after $ms_b ms ($(head -1 "$LAB_OUT/read-b.err"))"
[ "$rc_a" != 0 ] || lab_fail "A: the read succeeded during the outage?"
grep -q 'No such device' "$LAB_OUT/read-a.err" ||
	lab_fail "A: expected 'No such device', got: $(cat "$LAB_OUT/read-a.err")"
[ "$ms_a" -ge $((LOSS_TMO * 1000 - 500)) ] && [ "$ms_a" -le $((LOSS_TMO * 1000 + 2500)) ] ||
	lab_fail "A failed after $ms_a ms; ctrl-loss-tmo is $LOSS_TMO s"
[ "$rc_b" != 0 ] || lab_fail "B: the read succeeded during the outage?"
grep -q 'Link has been severed' "$LAB_OUT/read-b.err" ||
	lab_fail "B: expected a path error (ENOLINK), got: $(cat "$LAB_OUT/read-b.err")"
[ "$ms_b" -ge $((FAIL_TMO * 1000 - 500)) ] && [ "$ms_b" -le $((FAIL_TMO * 1000 + 2500)) ] ||
	lab_fail "B failed after $ms_b ms; fast_io_fail_tmo is $FAIL_TMO s"
lab_report "ctrl-loss-tmo $LOSS_TMO s: queued read failed $ms_a ms into the outage: $(head -1 "$LAB_OUT/read-a.err")"
lab_report "fast_io_fail_tmo $FAIL_TMO s: queued read failed $ms_b ms into the outage: $(head -1 "$LAB_OUT/read-b.err")"
# A is gone: daemon, files, list entry
lab_retry 10 lab_not kill -0 "$pid_a" || lab_fail "A's daemon still runs"
[ -e "$fa" ] && lab_fail "A's file $fa still exists"
"$NVMF_HOST" list | grep -q "^$a:" && lab_fail "A is still listed"
grep -h 'ctrl_loss_tmo' "$LAB_OUT/nvmf-host.log" | tail -1 >"$LAB_OUT/a-msg.txt"
lab_report "A's log: $(cut -c1-160 "$LAB_OUT/a-msg.txt")"
# B: new I/O fails at once while reconnecting, then B comes back
t=$(lab_now_ns)
dd if="$fb" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null &&
	lab_fail "B: new I/O succeeded while the target is away?"
lab_report "B: new I/O during the outage failed in $(lab_ms "$t" "$(lab_now_ns)") ms"
[ "$(lab_host_state "$b")" = connecting ] || lab_fail "B is not reconnecting: $(lab_host_state "$b")"
lab_wait target-back 60
b_live() { [ "$(lab_host_state "$b")" = live ]; }
lab_retry 20 b_live ||
	lab_fail "B did not come back"
lab_report "B live again $(lab_ms "$(cat "$LAB_SYNC/back-at")" "$(lab_now_ns)") ms (upper bound) after nvmf-tgt restarted"
lab_fio_verify after "$fb" --rw=randwrite --bs=4k --iodepth=8 --size=8M ||
	lab_fail "B: verified fio after the outage failed"
lab_event "B: back, verified fio ok"
# C: a command the target never answers (its namespace 2 is suspended)
# times out, is sent again MAX_RETRIES times, and then fails
c=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 -c 1 -D \
	--io-timeout "$IO_TMO" --max-retries "$MAX_RETRIES" 2>&1) ||
	lab_fail "connect C: $c"
fc=$(lab_host_file "$c" 2)
lab_signal suspend
lab_wait suspended 60
logstart=$(($(wc -l <"$LAB_OUT/nvmf-host.log") + 1))
t=$(lab_now_ns)
timeout 300 dd if="$fc" of=/dev/null bs=4k count=1 iflag=direct 2>"$LAB_OUT/read-c.err"
rc=$?
ms=$(lab_ms "$t" "$(lab_now_ns)")
lab_signal resume
[ $rc != 124 ] || lab_fail "C: a read the target never answers was still being retried after 300 s"
[ $rc != 0 ] || lab_fail "C: the read succeeded on a suspended namespace?"
grep -q 'Connection timed out' "$LAB_OUT/read-c.err" ||
	lab_fail "C: expected 'Connection timed out', got: $(cat "$LAB_OUT/read-c.err")"
# "HH:MM:SS.mmm nvmfN warn  [ctrlK addr] command 0x02 ... timed out (i of n)"
sends=$(tail -n +"$logstart" "$LAB_OUT/nvmf-host.log" |
	grep -cE "^[^ ]+ $c warn .*\] command 0x02 .* timed out \(")
[ "$sends" = $((MAX_RETRIES + 1)) ] ||
	lab_fail "C: the read timed out $sends times (want $((MAX_RETRIES + 1)): io-timeout $IO_TMO s, max-retries $MAX_RETRIES)"
# each says where the command stood: the target took it and never answered
state=$(tail -n +"$logstart" "$LAB_OUT/nvmf-host.log" |
	grep -m1 -E "^[^ ]+ $c warn .*\] command 0x02 .* timed out \(" | sed 's/.*timed out ([0-9]* of [0-9]*): //')
case $state in
"sent and acknowledged, no response, "*"; queue pair ready to send") ;;
*) lab_fail "C: the timed-out read's state: '$state' (want: sent and acknowledged, no response, ...; queue pair ready to send)" ;;
esac
lab_report "C: the timed-out read: $state"
lab_report "C: a read the target never answers failed after $ms ms, sent $sends times (io-timeout $IO_TMO s, max-retries $MAX_RETRIES): $(head -1 "$LAB_OUT/read-c.err")"
lab_wait resumed 60
c_live() { [ "$(lab_host_state "$c")" = live ]; }
lab_retry 30 c_live || lab_fail "C is not live after the namespace came back: $(lab_host_state "$c")"
dd if="$fc" of=/dev/null bs=4k count=1 iflag=direct 2>"$LAB_OUT/read-c2.err" ||
	lab_fail "C: a read after the namespace came back failed: $(cat "$LAB_OUT/read-c2.err")"
lab_event "C: live again, namespace 2 readable"
"$NVMF_HOST" disconnect-all >/dev/null || lab_fail "disconnect-all failed"
lab_signal host-done
lab_pass

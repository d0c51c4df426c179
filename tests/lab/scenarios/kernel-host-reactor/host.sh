# kernel-host-reactor, host node: nvme connect (the kernel host) with
# chosen parameters, nvmf-reactor --kernel-host, then host-side device
# resets: the kernel deletes the controllers, the reactor re-creates them.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait target-ready 120
lab_daemon_start nvmf-reactor "$LAB_BUILD/udev/nvmf-reactor" --kernel-host \
	--interval 1
rlog=$LAB_OUT/nvmf-reactor.log
conn_args="--ctrl-loss-tmo=-1 --reconnect-delay=1 --nr-io-queues=2 --queue-size=64 --keep-alive-tmo=7"
# shellcheck disable=SC2086
dev=$(lab_nvme_connect "$NQN" "$LAB_PEER" 4420 $conn_args) || exit 1
# shellcheck disable=SC2086
nvme connect -t rdma -a "$LAB_PEER" -s 4420 -n "$NQN2" $conn_args \
	>"$LAB_OUT/connect2.log" 2>&1 || lab_fail "connect to $NQN2: $(cat "$LAB_OUT/connect2.log")"
lab_event "connected: $dev and $NQN2"

# params NQN: what must survive a re-creation
params() {
	local c a
	c=$(lab_nvme_ctrl "$1") || return 1
	for a in address hostnqn hostid queue_count sqsize kato reconnect_delay \
		ctrl_loss_tmo fast_io_fail_tmo; do
		printf '%s=%s ' "$a" "$(cat "$c/$a" 2>/dev/null)"
	done
}
# split T0 NQN: "U+A+B ms" from T0 (ns, rdma link add run): to
# nvmf-reactor's uevent (U: the rdma tool and the kernel), to its starting
# NQN's re-creation (A: the reactor's part), to the kernel's connect
# returning (B: the kernel's part), from the reactor's log lines after T0
split() {
	awk -v t0="$1" -v nqn="$2" -v day="$(date +%F)" '
	function ns(hms,   c, v) {
		c = "date -d \"" day " " hms "\" +%s%N"; c | getline v; close(c)
		return v
	}
	/ udev: rdma-add / && !u { t = ns($1); if (t >= t0) u = t }
	index($0, "(" nqn " at") == 0 { next }
	/ re-creating .*connecting$/ && u && !a { a = ns($1) }
	/ re-created / && a && !b { b = ns($1) }
	END { if (u && a && b)
		printf "%d+%d+%d ms", (u - t0) / 1e6, (a - u) / 1e6, (b - a) / 1e6
	      else print "?" }' "$rlog"
}
# recorded N: nvmf-reactor has recorded N controllers so far
recorded() { [ "$(grep -c 'recorded nvme' "$rlog")" -ge "$1" ]; }
live() { [ "$(lab_nvme_state "$1")" = live ]; }
lost_logged() { [ "$(grep -c 'was deleted with its RDMA device' "$rlog")" -ge "$1" ]; }
absent() { ! lab_nvme_ctrl "$1" >/dev/null; }
lab_retry 10 recorded 2 || lab_fail "nvmf-reactor did not record both controllers: $(cat "$rlog")"
before1=$(params "$NQN")
before2=$(params "$NQN2")
lab_event "parameters: $before1"

# write 16 MiB with checksums (and read them back); check: read and
# verify what the last write left, without writing
fio_write() { lab_fio_verify "write-$1" "$2" --rw=write --bs=64k --size=16M; }
fio_check() {
	lab_fio_verify "check-$1" "$2" --rw=write --bs=64k --size=16M \
		--verify_only=1
}

for i in $(seq "$CYCLES"); do
	fio_write "$i" "$dev" || lab_fail "cycle $i: fio write failed: $(tail -3 "$LAB_OUT/fio-write-$i.log")"
	# I/O in flight when the device goes: the kernel fails it
	fio --name=inflight --filename="$dev" --ioengine=libaio --direct=1 \
		--rw=randread --bs=4k --iodepth=8 --time_based --runtime=60 \
		--output="$LAB_OUT/fio-inflight-$i.log" >/dev/null 2>&1 &
	inflight=$!
	sleep 1
	lab_fault rdma-del || lab_fail "cycle $i: rdma link delete failed: $LAB_FAULT_ERR"
	del_ms=$LAB_LAST_FAULT_MS
	lab_retry 10 absent "$NQN" ||
		lab_fail "cycle $i: the kernel kept its controller (state $(lab_nvme_state "$NQN")): the premise changed"
	lab_retry 10 lost_logged $((2 * i)) ||
		lab_fail "cycle $i: nvmf-reactor did not see the loss: $(tail -3 "$rlog")"
	wait "$inflight"
	inflight_rc=$?
	lab_event "cycle $i: the kernel deleted both controllers; fio with I/O in flight exited $inflight_rc: $(grep -m1 -o 'err=[ 0-9]*[^,]*' "$LAB_OUT/fio-inflight-$i.log")"
	sleep "$DOWN"
	t0=$(lab_now_ns)
	lab_fault rdma-add || lab_fail "cycle $i: rdma link add failed"
	lab_retry 30 live "$NQN" ||
		lab_fail "cycle $i: $NQN not re-created 30 s after rdma link add: $(tail -5 "$rlog")"
	t1=$(lab_now_ns)
	lab_retry 30 live "$NQN2" || lab_fail "cycle $i: $NQN2 not re-created"
	t2=$(lab_now_ns)
	after1=$(params "$NQN")
	after2=$(params "$NQN2")
	[ "$after1" = "$before1" ] && [ "$after2" = "$before2" ] ||
		lab_fail "cycle $i: parameters changed: before '$before1' after '$after1' / '$before2' '$after2'"
	lab_retry 20 lab_nvme_dev "$NQN" >/dev/null ||
		lab_fail "cycle $i: no namespace device after the re-creation"
	dev=$(lab_nvme_dev "$NQN")
	fio_check "$i" "$dev" || lab_fail "cycle $i: verify after re-creation failed: $(tail -3 "$LAB_OUT/fio-check-$i.log")"
	lab_report "cycle $i: rdma link delete $del_ms ms (controllers deleted by the kernel, in-flight fio exit $inflight_rc); re-created and live $(lab_ms "$t0" "$t1") ms ($NQN) and $(lab_ms "$t0" "$t2") ms ($NQN2) after rdma link add, same parameters; data written before verified on $dev"
	lab_report "cycle $i: rdma link add -> uevent + nvmf-reactor connecting + the kernel's connect: $(split "$t0" "$NQN") ($NQN), $(split "$t0" "$NQN2") ($NQN2)"
	lab_retry 10 recorded $((2 * i + 2)) ||
		lab_fail "cycle $i: nvmf-reactor did not record the new controllers: $(tail -3 "$rlog")"
done

# nvme disconnect: not re-created after the next reset
nvme disconnect -n "$NQN2" >/dev/null || lab_fail "nvme disconnect $NQN2 failed"
lab_retry 10 grep -q 'was disconnected, not by a device removal' "$rlog" ||
	lab_fail "nvmf-reactor did not see the disconnect: $(tail -3 "$rlog")"
lab_fault rdma-del || lab_fail "last cycle: rdma link delete failed: $LAB_FAULT_ERR"
sleep "$DOWN"
lab_fault rdma-add || lab_fail "last cycle: rdma link add failed"
lab_retry 30 live "$NQN" || lab_fail "last cycle: $NQN not re-created"
sleep 5
absent "$NQN2" || lab_fail "$NQN2 was re-created although it had been disconnected"
lab_report "nvme disconnect of $NQN2: not re-created after the next reset (checked 5 s after $NQN was back)"
nvme disconnect -n "$NQN" >/dev/null
lab_daemon_stop nvmf-reactor || lab_fail "nvmf-reactor did not exit cleanly"
lab_signal host-done
lab_pass

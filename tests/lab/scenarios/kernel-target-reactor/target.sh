# kernel-target-reactor, target node: kernel target, nvmf-reactor, resets.
listening() { [ "$(lab_cm_listeners 4420)" -gt 0 ]; }
lab_kernel_target_setup "$NQN" 1 4420 256 || lab_fail "kernel target setup failed"
# more subsystems on the same port, a referral and an ANA group of its
# own: all must be there, as configured, after every repair
port=$NVMET_CFS/ports/1
for i in $(seq 2 "$SUBSYS"); do
	lab_kernel_subsys "$NQN-$i" 1 || lab_fail "subsystem $i setup failed"
done
mkdir "$port/referrals/r1" && echo rdma >"$port/referrals/r1/addr_trtype" &&
	echo ipv4 >"$port/referrals/r1/addr_adrfam" &&
	echo 10.77.0.9 >"$port/referrals/r1/addr_traddr" &&
	echo 4420 >"$port/referrals/r1/addr_trsvcid" &&
	echo 1 >"$port/referrals/r1/enable" || lab_fail "referral setup failed"
mkdir "$port/ana_groups/2" && echo non-optimized >"$port/ana_groups/2/ana_state" ||
	lab_fail "ANA group setup failed"
ana() { cat "$port/ana_groups/2/ana_state" 2>/dev/null; }
links() { ls "$port/subsystems" | wc -l; }
# a check every second: also while the device is away, when a re-link
# would lose the links (the kernel refuses them)
lab_daemon_start nvmf-reactor "$LAB_BUILD/udev/nvmf-reactor" --kernel-nvmet \
	--interval 1
lab_retry 10 grep -q 'udev reactor: watching' "$LAB_OUT/nvmf-reactor.log" ||
	lab_fail "nvmf-reactor did not start: $(tail -1 "$LAB_OUT/nvmf-reactor.log")"
listening || lab_fail "the kernel target is not listening before the fault"
lab_signal target-ready
lab_wait host-io-running 120
for i in $(seq "$CYCLES"); do
	sleep 4
	lab_fault rdma-del || lab_fail "cycle $i: rdma link delete failed: $LAB_FAULT_ERR"
	del_ms=$LAB_LAST_FAULT_MS
	sleep "$DOWN"
	listening && lab_fail "cycle $i: still listening while the device is gone?"
	[ "$(links)" -eq "$SUBSYS" ] ||
		lab_fail "cycle $i: $(links) of $SUBSYS subsystem links left while the device is gone"
	t_add=$(lab_now_ns)
	echo "$t_add" >"$LAB_SYNC/add-$i"
	lab_fault rdma-add || lab_fail "cycle $i: rdma link add failed"
	lab_retry 15 listening ||
		lab_fail "cycle $i: the kernel target is not listening 15 s after the device returned"
	t_live=$(lab_now_ns)
	[ "$(links)" -eq "$SUBSYS" ] ||
		lab_fail "cycle $i: $(links) of $SUBSYS subsystem links after the repair"
	[ "$(cat "$port/referrals/r1/addr_traddr")" = 10.77.0.9 ] ||
		lab_fail "cycle $i: the referral is gone"
	[ "$(ana)" = non-optimized ] ||
		lab_fail "cycle $i: ANA group 2 is '$(ana)' after the repair, not non-optimized"
	lab_report "cycle $i: rdma link delete ${del_ms} ms; kernel port listening with $(links) subsystem links $(lab_ms "$t_add" "$t_live") ms after rdma link add"
done
lab_signal resets-done
lab_wait host-done 300
lab_daemon_stop nvmf-reactor
n=$(grep -c 'listening again' "$LAB_OUT/nvmf-reactor.log")
lab_report "nvmf-reactor re-bound the port $n times"
[ "$n" -ge "$CYCLES" ] || lab_fail "nvmf-reactor re-bound the port $n times, expected $CYCLES"
lab_pass

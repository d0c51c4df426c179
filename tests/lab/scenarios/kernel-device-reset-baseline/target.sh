# kernel-device-reset-baseline, target node: kernel nvmet-rdma target whose
# rxe0 is deleted and re-added 3 s later under I/O.
NQN=nqn.2014-08.org.nvmf-lab:baseline

listeners() { lab_cm_listeners 4420; }

lab_kernel_target_setup "$NQN" 1 4420 256 ||
	lab_fail "kernel target setup failed"
n=$(listeners)
if [ "$n" -lt 1 ]; then
	rdma res show cm_id >"$LAB_OUT/cm_ids-before.txt" 2>&1
	lab_fail "no LISTEN cm_id on port 4420 before the fault (see cm_ids-before.txt)"
fi
lab_event "listening cm_ids on 4420 before the fault: $n"
lab_signal target-ready

lab_wait host-io-running 120
sleep 2	# let I/O run before the fault
lab_fault rdma-del || lab_fail "rdma link delete failed: $LAB_FAULT_ERR"
lab_report "rdma link delete rxe0 returned after ${LAB_LAST_FAULT_MS} ms"
sleep 3
lab_fault rdma-add || lab_fail "rdma link add failed"
lab_signal device-returned

lab_wait host-observed 120
n=$(listeners)
lab_event "listening cm_ids on 4420 after the host observed: $n"
rdma res show cm_id >"$LAB_OUT/cm_ids.txt" 2>&1
if [ "$n" -ne 0 ]; then
	lab_fail "the kernel target re-bound port 4420 after the device returned: the baseline no longer holds"
fi
[ -L "$NVMET_CFS/ports/1/subsystems/$NQN" ] ||
	lab_fail "configfs port 1 lost its subsystem link"
lab_report "kernel target: port 1 still linked in configfs but not listening (0 LISTEN cm_ids) ${OBSERVE}s after rdma link add"
lab_pass

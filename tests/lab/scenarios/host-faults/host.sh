# host-faults, host node: nvmf-host with two controllers, the kernel host
# for the restart phase, and the host side of each fault.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait target-ready 120
. "$LAB_REPO/tests/lab/guest/nvmf-host-resets.sh"
host_resets_setup

# 1. both sides: the target deletes its rxe0 as we delete ours
for i in $(seq "$CYCLES"); do
	sleep 4
	lab_signal "both-$i"
	lab_fault rdma-del || lab_fail "both-sides $i: rdma link delete failed: $LAB_FAULT_ERR"
	del_ms=$LAB_LAST_FAULT_MS
	sleep "$DOWN.5"
	t=$(lab_now_ns)
	lab_fault rdma-add || lab_fail "both-sides $i: rdma link add failed"
	host_resets_recovered "both-sides $i" "$t" "host rdma link delete ${del_ms} ms; from the host's rdma link add: "
done
# (no link flaps: in the lab a flap wedges the kernel's RDMA CM on the
# flapped node - see kernel-host-link-flap-baseline)
# 3. nvmf-tgt restarts, with the kernel host also doing verified I/O
dev=$(lab_nvme_connect "$NQN_T" "$LAB_PEER" 4421 --ctrl-loss-tmo=-1 \
	--reconnect-delay=1) || lab_fail "kernel host connect to nvmf-tgt failed"
(
	n=0
	while [ ! -e "$LAB_SYNC/restarts-done" ]; do
		n=$((n + 1))
		lab_fio_verify "kernel-pass$n" "$dev" --rw=randwrite --bs=4k \
			--iodepth=16 --size=4M || exit 1
	done
	echo "$n" >"$LAB_OUT/kernel-passes"
) &
kio=$!
lab_signal restart-ready
for i in $(seq "${RESTARTS:-$CYCLES}"); do
	sleep 4
	lab_signal "restart-$i"
	lab_wait "restarted-$i" 60
	host_resets_recovered "target-restart $i" "$(cat "$LAB_SYNC/restart-at-$i")" "from the restart: "
done
touch "$LAB_SYNC/restarts-done"
wait $kio || lab_fail "the kernel host's verified fio failed"
errs=$(dmesg | grep -c 'I/O error')
[ "$errs" -eq 0 ] || lab_fail "$errs I/O errors in the host's dmesg"
lab_report "kernel host through the restarts: $(cat "$LAB_OUT/kernel-passes") verified fio passes, 0 I/O errors"
nvme disconnect -n "$NQN_T" >/dev/null 2>&1
host_resets_finish
lab_signal host-done
lab_pass

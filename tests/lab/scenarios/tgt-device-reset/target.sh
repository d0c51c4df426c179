# tgt-device-reset, target node: nvmf-tgt, and the device resets.
modprobe brd rd_nr=1 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
# see lab_spare_rdma: librdmacm cannot let go of the only device
[ "${SPARE:-1}" = 1 ] && { lab_spare_rdma || lab_fail "spare RDMA device"; }
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN" /dev/ram0
# the default repair interval (5 s): a quick return comes from udev events
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_report "nvmf-tgt at start: $(lab_proc_usage nvmf-tgt)"
lab_signal target-ready
lab_wait host-io-running 120

state=/run/nvmf-tgt/ports/1/state
port_is() { [ "$(cat "$state" 2>/dev/null)" = "$1" ]; }
port_is live || lab_fail "port 1 state is '$(cat "$state")', not live"
for i in $(seq "$CYCLES"); do
	sleep 4
	lab_fault rdma-del || lab_fail "cycle $i: rdma link delete failed"
	del_ms=$LAB_LAST_FAULT_MS
	[ "$del_ms" -le 2000 ] ||
		lab_fail "cycle $i: rdma link delete blocked ${del_ms} ms (limit 2000)"
	lab_retry 5 port_is repairing ||
		lab_fail "cycle $i: port state '$(cat "$state")', not repairing"
	lab_event "cycle $i: port 1 repairing ($(cat /run/nvmf-tgt/ports/1/last_error))"
	sleep "$DOWN"
	t_add=$(lab_now_ns)
	echo "$t_add" >"$LAB_SYNC/add-$i"
	lab_fault rdma-add || lab_fail "cycle $i: rdma link add failed"
	lab_retry 15 port_is live ||
		lab_fail "cycle $i: port not live 15 s after the device returned"
	t_live=$(lab_now_ns)
	lab_event "cycle $i: delete ${del_ms} ms, port live $(lab_ms "$t_add" "$t_live") ms after rdma link add"
	lab_report "cycle $i: rdma link delete ${del_ms} ms; port live $(lab_ms "$t_add" "$t_live") ms after rdma link add; nvmf-tgt $(lab_proc_usage nvmf-tgt)"
done
lab_signal resets-done
lab_wait host-done 300
n=$(grep -c 'udev: rdma-add rxe0: repairing' "$LAB_OUT/nvmf-tgt.log")
lab_report "repairs started by a udev event: $n of $CYCLES"
[ "$n" -eq "$CYCLES" ] ||
	lab_fail "only $n of $CYCLES repairs were started by the udev reactor"
grep -E 'port 1\]' "$LAB_OUT/nvmf-tgt.log" | sed 's/^/  /' >"$LAB_OUT/port-states.txt"
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

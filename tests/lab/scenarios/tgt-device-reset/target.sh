# tgt-device-reset, target node: nvmf-tgt configured through its
# configfs-compatible tree by nvmetcli, the device resets (the port's state
# read from the tree and from nvmetcli ls), then live tree changes: a new
# namespace, a port unlinked and linked again.
NVMETCLI=$LAB_BUILD/nvmetcli/nvmetcli
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"

lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN" /dev/ram0
tree=/run/nvmf-tgt/config
mkdir -p "$tree"
# the default repair interval (5 s): a quick return comes from udev events
lab_daemon_start nvmf-tgt "$NVMF_TGT" --configfs "$tree" --foreground
lab_retry 20 grep -q 'running:' "$LAB_OUT/nvmf-tgt.log" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
"$NVMETCLI" --root "$tree" restore "$LAB_OUT/nvmf-tgt.json" \
	>"$LAB_OUT/restore.out" 2>&1 ||
	lab_fail "nvmetcli restore into nvmf-tgt's tree: $(cat "$LAB_OUT/restore.out")"
"$NVMETCLI" --root "$tree" save "$LAB_OUT/saved.json" ||
	lab_fail "nvmetcli save of nvmf-tgt's tree failed"
lab_report "nvmetcli restore into nvmf-tgt's tree ($tree): done; saved back: $(grep -c '"nsid"' "$LAB_OUT/saved.json") namespace(s), port $(grep -c '"portid"' "$LAB_OUT/saved.json")"
lab_report "nvmf-tgt at start: $(lab_proc_usage nvmf-tgt)"
lab_signal target-ready
lab_wait host-io-running 120

state=$tree/ports/1/state
port_is() { [ "$(cat "$state" 2>/dev/null)" = "$1" ]; }
# nvmetcli ls shows the same state for port 1
ls_is() {
	"$NVMETCLI" --root "$tree" --no-color ls >"$LAB_OUT/ls.txt" 2>&1 &&
		grep -q "o- 1 \[rdma $LAB_IP:4420\] $1" "$LAB_OUT/ls.txt"
}
port_is live || lab_fail "port 1 state is '$(cat "$state")', not live"
for i in $(seq "$CYCLES"); do
	sleep 4
	lab_fault rdma-del || lab_fail "cycle $i: rdma link delete failed: $LAB_FAULT_ERR"
	del_ms=$LAB_LAST_FAULT_MS
	lab_retry 5 port_is repairing ||
		lab_fail "cycle $i: port state '$(cat "$state")', not repairing"
	ls_is repairing ||
		lab_fail "cycle $i: nvmetcli ls does not show repairing: $(cat "$LAB_OUT/ls.txt")"
	lab_event "cycle $i: port 1 repairing ($(cat "$tree/ports/1/last_error")), nvmetcli ls: $(grep 'o- 1 ' "$LAB_OUT/ls.txt" | sed 's/^ *//')"
	sleep "$DOWN"
	t_add=$(lab_now_ns)
	echo "$t_add" >"$LAB_SYNC/add-$i"
	lab_fault rdma-add || lab_fail "cycle $i: rdma link add failed"
	lab_retry 15 port_is live ||
		lab_fail "cycle $i: port not live 15 s after the device returned"
	t_live=$(lab_now_ns)
	ls_is live ||
		lab_fail "cycle $i: nvmetcli ls does not show live: $(cat "$LAB_OUT/ls.txt")"
	lab_event "cycle $i: delete ${del_ms} ms, port live $(lab_ms "$t_add" "$t_live") ms after rdma link add"
	lab_report "cycle $i: rdma link delete ${del_ms} ms; port live $(lab_ms "$t_add" "$t_live") ms after rdma link add; nvmf-tgt $(lab_proc_usage nvmf-tgt)"
done
lab_signal resets-done

# live changes through the tree, once the host is connected again (so
# that namespace 2 can only reach it through a namespace-changed event)
lab_wait host-live-again 120
ns2=$tree/subsystems/$NQN/namespaces/2
mkdir "$ns2" && echo /dev/ram1 >"$ns2/device_path" ||
	lab_fail "namespace 2 could not be created"
lab_now_ns >"$LAB_SYNC/ns2-time"
echo 1 >"$ns2/enable" || lab_fail "namespace 2 could not be enabled"
lab_signal ns2-added
lab_wait host-saw-ns2 120
grep -q 'namespace 2 changed: event sent' "$LAB_OUT/nvmf-tgt.log" ||
	lab_fail "no namespace-changed event was sent for namespace 2"
lab_report "namespace 2: $(grep -c 'namespace 2 changed: event sent' "$LAB_OUT/nvmf-tgt.log") namespace-changed event(s) sent"
rm "$tree/ports/1/subsystems/$NQN" || lab_fail "unlink from port 1 failed"
port_is disabled || lab_fail "port 1 is '$(cat "$state")' after its last unlink"
ls_is disabled || lab_fail "nvmetcli ls after unlink: $(cat "$LAB_OUT/ls.txt")"
lab_signal unlinked
lab_wait host-saw-unlink 120
ln -s "$tree/subsystems/$NQN" "$tree/ports/1/subsystems/$NQN" ||
	lab_fail "linking the subsystem again failed"
port_is live || lab_fail "port 1 is '$(cat "$state")' after the link"
lab_signal relinked
lab_wait host-done 300
n=$(grep -c 'udev: rdma-add rxe0: repairing' "$LAB_OUT/nvmf-tgt.log")
lab_report "repairs started by a udev event: $n of $CYCLES"
[ "$n" -eq "$CYCLES" ] ||
	lab_fail "only $n of $CYCLES repairs were started by the udev reactor"
grep -E 'port 1\]' "$LAB_OUT/nvmf-tgt.log" | sed 's/^/  /' >"$LAB_OUT/port-states.txt"
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

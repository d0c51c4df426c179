# two-devices, target node: nvmf-tgt with port 1 on rxe0's address and
# port 2 on rxe1's; the target-side resets of rxe0.
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_second_rdma || lab_fail "second RDMA device"
cat >"$LAB_OUT/nvmf-tgt.json" <<JSON
{
  "hosts": [],
  "ports": [
    { "addr": { "adrfam": "ipv4", "traddr": "$LAB_IP", "trsvcid": "4420",
                "trtype": "rdma", "treq": "not specified", "tsas": "not specified" },
      "param": { "inline_data_size": "4096" }, "portid": 1, "referrals": [],
      "subsystems": [ "$NQN_A" ] },
    { "addr": { "adrfam": "ipv4", "traddr": "$LAB_IP2", "trsvcid": "4421",
                "trtype": "rdma", "treq": "not specified", "tsas": "not specified" },
      "param": { "inline_data_size": "4096" }, "portid": 2, "referrals": [],
      "subsystems": [ "$NQN_B" ] }
  ],
  "subsystems": [
    { "allowed_hosts": [], "attr": { "allow_any_host": "1" }, "nqn": "$NQN_A",
      "namespaces": [ { "device": { "path": "/dev/ram0" }, "enable": 1, "nsid": 1 } ] },
    { "allowed_hosts": [], "attr": { "allow_any_host": "1" }, "nqn": "$NQN_B",
      "namespaces": [ { "device": { "path": "/dev/ram1" }, "enable": 1, "nsid": 1 } ] }
  ]
}
JSON
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_report "nvmf-tgt at start: $(lab_proc_usage nvmf-tgt)"
lab_signal target-ready
lab_wait host-io-running 120

state() { cat "/run/nvmf-tgt/ports/$1/state" 2>/dev/null; }
port_live() { [ "$(state "$1")" = live ]; }
for i in $(seq "$CYCLES"); do
	sleep 4
	lab_fault rdma-del || lab_fail "cycle $i: rdma link delete failed: $LAB_FAULT_ERR"
	del_ms=$LAB_LAST_FAULT_MS
	[ "$(state 2)" = live ] || lab_fail "cycle $i: port 2 (rxe1) is '$(state 2)'"
	sleep "$DOWN"
	t_add=$(lab_now_ns)
	lab_fault rdma-add || lab_fail "cycle $i: rdma link add failed"
	lab_retry 30 port_live 1 ||
		lab_fail "cycle $i: port 1 not live 30 s after the device returned"
	lab_report "target cycle $i: rdma link delete ${del_ms} ms; port 1 live $(lab_ms "$t_add" "$(lab_now_ns)") ms after add; port 2 $(state 2) since $(cat /run/nvmf-tgt/ports/2/state_since); nvmf-tgt $(lab_proc_usage nvmf-tgt)"
done
lab_signal target-resets-done
lab_wait host-done 400
# port 2 never left live: one transition in its log (disabled -> live)
n=$(grep -c '\[port 2\] .* -> ' "$LAB_OUT/nvmf-tgt.log")
[ "$n" -eq 1 ] || lab_fail "port 2 changed state $n times: $(grep '\[port 2\]' "$LAB_OUT/nvmf-tgt.log" | tr '\n' '|')"
lab_report "port 2 (rxe1): live throughout (1 state change, at start); port 1: $(grep -c '\[port 1\] live -> repairing' "$LAB_OUT/nvmf-tgt.log") repairs"
grep -h 'rdma: rxe' "$LAB_OUT/nvmf-tgt.log" | grep -v 'using device' | tail -2 | sed 's/^/  /'
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

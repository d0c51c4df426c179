# reset-stress, target node: nvmf-tgt with two subsystems on one port, and
# the target side of each removal the host's schedule asks for.
export ASAN_OPTIONS="$ASAN_OPTIONS:max_free_fill_size=4096"
modprobe brd rd_nr=2 rd_size=$((128 * 1024)) || lab_fail "modprobe brd failed"
cat >"$LAB_OUT/nvmf-tgt.json" <<JSON
{
  "hosts": [],
  "ports": [
    { "addr": { "adrfam": "ipv4", "traddr": "$LAB_IP", "trsvcid": "4420",
                "trtype": "rdma", "treq": "not specified", "tsas": "not specified" },
      "param": { "inline_data_size": "4096" }, "portid": 1, "referrals": [],
      "subsystems": [ "$NQN_1", "$NQN_2" ] }
  ],
  "subsystems": [
    { "allowed_hosts": [], "attr": { "allow_any_host": "1" }, "nqn": "$NQN_1",
      "namespaces": [ { "device": { "path": "/dev/ram0" }, "enable": 1, "nsid": 1 } ] },
    { "allowed_hosts": [], "attr": { "allow_any_host": "1" }, "nqn": "$NQN_2",
      "namespaces": [ { "device": { "path": "/dev/ram1" }, "enable": 1, "nsid": 1 } ] }
  ]
}
JSON
# shellcheck disable=SC2086 # TGT_ARGS: words (e.g. --poll-us=50)
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ${TGT_ARGS:-} ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
usage0=$(lab_proc_usage nvmf-tgt)
lab_signal target-ready
dels=""
for i in $(seq "$CYCLES"); do
	lab_wait "go-$i" 300
	read -r side delay down <"$LAB_SYNC/go-$i"
	if [ "$side" != host ]; then
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		lab_fault rdma-del || lab_fail "cycle $i: rdma link delete: $LAB_FAULT_ERR"
		dels="$dels $LAB_LAST_FAULT_MS"
		sleep "$(printf '%d.%03d' $((down / 1000)) $((down % 1000)))"
		lab_fault rdma-add || lab_fail "cycle $i: rdma link add failed"
	fi
	lab_signal "tdone-$i"
done
lab_wait host-done 300
lab_report "target deletes (ms):${dels:- none}"
lab_report "nvmf-tgt: $usage0 at start, $(lab_proc_usage nvmf-tgt) at the end; $(grep -c 'rdma: rxe0 released' "$LAB_OUT/nvmf-tgt.log") device releases, $(grep -c '\] released' "$LAB_OUT/nvmf-tgt.log") controllers released"
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

# nvmf-tgt-bad-input, target node.
modprobe brd rd_nr=2 rd_size=$((128 * 1024)) || lab_fail "modprobe brd failed"
cat >"$LAB_OUT/nvmf-tgt.json" <<JSON
{
  "hosts": [ { "nqn": "nqn.2014-08.org.nvmf-lab:someone-else" } ],
  "ports": [ { "portid": 1,
      "addr": { "adrfam": "ipv4", "traddr": "$LAB_IP", "trsvcid": "4420", "trtype": "rdma" },
      "subsystems": [ "$OPEN", "$RESTRICTED" ] } ],
  "subsystems": [
    { "nqn": "$OPEN", "attr": { "allow_any_host": "1" },
      "namespaces": [ { "nsid": 1, "enable": 1, "device": { "path": "/dev/ram0" } } ] },
    { "nqn": "$RESTRICTED", "attr": { "allow_any_host": "0" },
      "allowed_hosts": [ "nqn.2014-08.org.nvmf-lab:someone-else" ],
      "namespaces": [ { "nsid": 1, "enable": 1, "device": { "path": "/dev/ram1" } } ] }
  ]
}
JSON
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" --log-level debug \
	--max-connecting "$MAX_CONNECTING" --connect-timeout "$CONNECT_TIMEOUT" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal target-ready
lab_wait host-done 340
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly (it may have crashed)"
lab_pass

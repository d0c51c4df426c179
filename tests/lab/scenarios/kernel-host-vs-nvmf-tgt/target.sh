# kernel-host-vs-nvmf-tgt, target node: nvmf-tgt on a brd RAM disk.
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN" /dev/ram0
# a second port: the IPv6 wildcard address, with in-capsule data of 1000
# bytes (not a multiple of a block: the data must still be page aligned)
python3 - "$LAB_OUT/nvmf-tgt.json" "$NQN" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["ports"].append({"portid": 2, "addr": {"trtype": "rdma", "adrfam": "ipv6",
                   "traddr": "::", "trsvcid": "4421"},
                   "param": {"inline_data_size": 1000},
                   "subsystems": [sys.argv[2]]})
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
# shared receive queues set up and grown 16 buffers at a time (the least):
# every queue that connects makes them grow, and the host's full queues
# (QD 128 below) must never find them empty (no RNR NAK, lab_tgt_stop)
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" --log-level info --srq-size 16 ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_event "nvmf-tgt live"
before=$(lab_proc_usage nvmf-tgt)
lab_signal target-ready

# SIGHUP reload (the host does verified fio on namespace 1 meanwhile):
# namespace 2 added to the file, then removed again
cp "$LAB_OUT/nvmf-tgt.json" "$LAB_OUT/nvmf-tgt-1ns.json"
python3 - "$LAB_OUT/nvmf-tgt.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["subsystems"][0]["namespaces"].append(
    {"device": {"path": "/dev/ram1"}, "enable": 1, "nsid": 2})
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
lab_wait reload-add 300
kill -HUP "$(lab_daemon_pid nvmf-tgt)"
lab_retry 10 grep -q 'reload: .* change(s) applied' "$LAB_OUT/nvmf-tgt.log" ||
	lab_fail "no reload after SIGHUP: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_event "SIGHUP: $(grep 'reload: ' "$LAB_OUT/nvmf-tgt.log" | tail -1 | sed 's/.*reload: //')"
lab_signal reloaded-add
lab_wait reload-del 120
cp "$LAB_OUT/nvmf-tgt-1ns.json" "$LAB_OUT/nvmf-tgt.json"
kill -HUP "$(lab_daemon_pid nvmf-tgt)"
lab_retry 10 [ "$(grep -c 'reload: .* change(s) applied' "$LAB_OUT/nvmf-tgt.log")" -ge 2 ] ||
	lab_fail "no second reload after SIGHUP: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_event "SIGHUP: $(grep 'reload: ' "$LAB_OUT/nvmf-tgt.log" | tail -1 | sed 's/.*reload: //')"
lab_signal reloaded-del
lab_wait host-done 400
lab_report "nvmf-tgt before the host: $before; after fio and $CYCLES connect cycles: $(lab_proc_usage nvmf-tgt)"
cp /run/nvmf-tgt/stats.json "$LAB_OUT/stats-end.json"
# the host's 1m QD128 writes ask for more data buffers than the pool has:
# requests must have waited for one and all completed intact
pool_waits=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["pool_waits"])' "$LAB_OUT/stats-end.json")
lab_report "nvmf-tgt pool_waits: $pool_waits"
[ "${pool_waits:-0}" -gt 0 ] || lab_fail "no request waited for a data buffer: the buffer wait path was not exercised"
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
grep -E ' (error|warn) ' "$LAB_OUT/nvmf-tgt.log" >"$LAB_OUT/warnings.txt"
lab_report "nvmf-tgt: $(wc -l <"$LAB_OUT/warnings.txt") warning/error lines in its log"
lab_pass

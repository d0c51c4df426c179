# nvmf-host-vs-nvmf-tgt, target node: nvmf-tgt on a brd RAM disk.
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN" /dev/ram0
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" --log-level info ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal target-ready
# connect-all --persistent: NQN-2 added to port 1 by a SIGHUP reload
lab_wait add-subsys 460
python3 - "$LAB_OUT/nvmf-tgt.json" "$NQN-2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["subsystems"].append({"nqn": sys.argv[2], "attr": {"allow_any_host": "1"},
                        "allowed_hosts": [], "namespaces": [
                            {"nsid": 1, "enable": 1,
                             "device": {"path": "/dev/ram1"}}]})
c["ports"][0]["subsystems"].append(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
kill -HUP "$(lab_daemon_pid nvmf-tgt)"
lab_retry 10 grep -q 'reload: .* change(s) applied' "$LAB_OUT/nvmf-tgt.log" ||
	lab_fail "no reload after SIGHUP: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_event "SIGHUP: $(grep 'reload: ' "$LAB_OUT/nvmf-tgt.log" | tail -1 | sed 's/.*reload: //') ($NQN-2 on port 1)"
lab_signal subsys-added
lab_wait host-done 120
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
grep -E ' (error|warn) ' "$LAB_OUT/nvmf-tgt.log" >"$LAB_OUT/warnings.txt"
lab_report "nvmf-tgt: $(wc -l <"$LAB_OUT/warnings.txt") warning/error lines in its log"
lab_pass

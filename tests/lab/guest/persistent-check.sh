# connect-all --persistent (sourced by the nvmf-host-vs-* host.sh): the
# discovery controller stays connected (a daemon of its own); a subsystem
# NQN-2 the target adds to port 1 later (barriers add-subsys and
# subsys-added) is connected by it, on the target's discovery log change
# notice.  Then the discovery daemon is killed and recovered.  Needs: H,
# NQN.
"$H" connect-all -t rdma -a "$LAB_PEER" -s 4420 -p -c 1 -l 60 --export fuse \
	--log-level info --log-file "$LAB_OUT/persistent.log" \
	>"$LAB_OUT/persistent.out" 2>&1 ||
	lab_fail "connect-all --persistent failed: $(cat "$LAB_OUT/persistent.out")"
# ctrl_of NQN: the name of the live controller for NQN in nvmf-host list
ctrl_of() {
	"$H" list -o json | python3 -c 'import json,sys
c = [x["name"] for x in json.load(sys.stdin)["Controllers"]
     if x["subnqn"] == sys.argv[1] and x["state"] == "live"]
print(c[0]) if c else sys.exit(1)' "$1"
}
disc=$(ctrl_of nqn.2014-08.org.nvmexpress.discovery) ||
	lab_fail "no live discovery controller after connect-all -p: $("$H" list)"
ctrl_of "$NQN" >/dev/null || lab_fail "connect-all -p did not connect $NQN"
lab_event "connect-all --persistent: $NQN connected, discovery controller kept as $disc"
t0=$(lab_now_ns)
lab_signal add-subsys
lab_wait subsys-added 60
lab_retry 30 ctrl_of "$NQN-2" >/dev/null ||
	lab_fail "$NQN-2 not connected 30 s after it was added: $(tail -5 "$LAB_OUT/persistent.log")"
new=$(ctrl_of "$NQN-2")
[ -f "$(lab_host_file "$new")" ] || lab_fail "$new: no namespace file"
lab_event "$NQN-2 connected as $new by the persistent discovery controller $(lab_ms "$t0" "$(lab_now_ns)") ms after it was asked for"
grep -q "the discovery log changed" "$LAB_OUT/persistent.log" ||
	lab_fail "no discovery log change notice in the log"
# the discovery daemon dies (kill -9): "recover" starts a new one, which
# reads the log once, as nothing could notify it meanwhile: NQN-2,
# disconnected while no discovery daemon ran, is connected again
pid=$(lab_host_pid "$disc") || lab_fail "no daemon pid for $disc"
kill -9 "$pid"
lab_retry 60 eval '! kill -0 "$pid" 2>/dev/null' ||
	lab_fail "$disc: pid $pid still there 60 s after kill -9"
"$H" disconnect -d "$new" >"$LAB_OUT/disconnect-new.txt" 2>&1 ||
	lab_fail "disconnect -d $new failed: $(cat "$LAB_OUT/disconnect-new.txt")"
"$H" list >"$LAB_OUT/list-disc.txt" 2>&1
grep -q "$disc: orphaned" "$LAB_OUT/list-disc.txt" ||
	lab_fail "list does not show $disc orphaned: $(cat "$LAB_OUT/list-disc.txt")"
t0=$(lab_now_ns)
"$H" recover "$disc" >"$LAB_OUT/recover-disc.txt" 2>&1 ||
	lab_fail "recover $disc failed: $(cat "$LAB_OUT/recover-disc.txt")"
lab_retry 30 ctrl_of "$NQN-2" >/dev/null ||
	lab_fail "$NQN-2 not connected 30 s after recover $disc: $(tail -5 "$LAB_OUT/persistent.log")"
lab_event "recover $disc (killed): its first log read connected $NQN-2 as $(ctrl_of "$NQN-2") $(lab_ms "$t0" "$(lab_now_ns)") ms after recover started"
"$H" disconnect-all >/dev/null 2>&1 || lab_fail "disconnect-all failed"
[ -z "$("$H" list -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Controllers"]) or "")')" ] ||
	lab_fail "controllers left after disconnect-all: $("$H" list)"
lab_event "disconnect-all: the discovery controller and both subsystems gone"

# smoke-verbs, target node: rping server first, then rping client.
lab_wait_peer 60 || lab_fail "peer $LAB_PEER unreachable on the lab link"
lab_event "peer reachable"

timeout 90 rping -s -a "$LAB_IP" -C 5 -v >"$LAB_OUT/rping-server.log" 2>&1 &
srv=$!
lab_signal target-server-up
lab_wait host-client-done 120
wait $srv || lab_fail "rping server failed (status $?)"
n=$(grep -c 'ping data' "$LAB_OUT/rping-server.log")
[ "$n" -ge 5 ] || lab_fail "rping server saw $n pings, expected 5"
lab_event "host -> target: $n pings"

lab_wait host-server-up 120
lab_retry 30 timeout 30 rping -c -a "$LAB_PEER" -C 5 -v \
	>"$LAB_OUT/rping-client.log" 2>&1 ||
	lab_fail "rping client to $LAB_PEER failed"
n=$(grep -c 'ping data' "$LAB_OUT/rping-client.log")
[ "$n" -ge 5 ] || lab_fail "rping client saw $n pings, expected 5"
lab_event "target -> host: $n pings"
lab_signal target-client-done
lab_pass

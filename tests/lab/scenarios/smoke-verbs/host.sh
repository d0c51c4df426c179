# smoke-verbs, host node: rping client first, then rping server.
lab_wait_peer 60 || lab_fail "peer $LAB_PEER unreachable on the lab link"
lab_wait target-server-up 120
lab_retry 30 timeout 30 rping -c -a "$LAB_PEER" -C 5 -v \
	>"$LAB_OUT/rping-client.log" 2>&1 ||
	lab_fail "rping client to $LAB_PEER failed"
lab_signal host-client-done

timeout 90 rping -s -a "$LAB_IP" -C 5 -v >"$LAB_OUT/rping-server.log" 2>&1 &
srv=$!
lab_signal host-server-up
lab_wait target-client-done 120
wait $srv || lab_fail "rping server failed (status $?)"
n=$(grep -c 'ping data' "$LAB_OUT/rping-server.log")
[ "$n" -ge 5 ] || lab_fail "rping server saw $n pings, expected 5"
lab_pass

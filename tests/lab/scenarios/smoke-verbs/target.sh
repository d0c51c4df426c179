# smoke-verbs, target node: rping server first, then rping client.
. "$LAB_REPO/tests/lab/scenarios/smoke-verbs/common.sh"
lab_wait_peer 60 || lab_fail "peer $LAB_PEER unreachable on the lab link"
lab_event "peer reachable"

rping_server_start
lab_signal target-server-up
lab_wait host-client-done 120
rping_server_stop
lab_event "host -> target: the server echoed $RPING_PINGS pings"

lab_wait host-server-up 120
rping_client
lab_event "target -> host: $RPING_PINGS pings"
lab_signal target-client-done
lab_pass

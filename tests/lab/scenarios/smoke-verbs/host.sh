# smoke-verbs, host node: rping client first, then rping server.
. "$LAB_REPO/tests/lab/scenarios/smoke-verbs/common.sh"
lab_wait_peer 60 || lab_fail "peer $LAB_PEER unreachable on the lab link"
lab_wait target-server-up 120
rping_client
lab_event "host -> target: $RPING_PINGS pings"
lab_signal host-client-done

rping_server_start
lab_signal host-server-up
lab_wait target-client-done 120
rping_server_stop
lab_pass

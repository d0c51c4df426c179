# smoke-verbs, both nodes: an rping server that serves every client until
# it is stopped (its output line-buffered: it ends by a signal), and
# client attempts that are each bounded and logged.
# (A CI run once had its only client attempt hang for 30 s against a
# one-shot server that may not have listened yet.)

# rping_server_start: a persistent rping server on LAB_IP, its pid in
# RPING_SRV; returns once its cm_id listens, so the peer's client is not
# started against nothing.
rping_server_start() {
	timeout 150 stdbuf -oL rping -s -P -a "$LAB_IP" -C 5 -v \
		>"$LAB_OUT/rping-server.log" 2>&1 &
	RPING_SRV=$!
	lab_retry 30 rping_listening ||
		lab_fail "rping server on $LAB_IP is not listening after 30 s" \
			"($(rdma resource show cm_id 2>&1 | tr '\n' ' '))"
	lab_event "rping server listening"
}

rping_listening() {
	kill -0 "$RPING_SRV" 2>/dev/null ||
		lab_fail "rping server exited: $(tail -3 "$LAB_OUT/rping-server.log")"
	rdma resource show cm_id 2>/dev/null | grep 'comm rping' | grep -q LISTEN
}

# rping_server_stop: the server must still run, and have echoed at least
# 5 pings.
rping_server_stop() {
	local n
	kill -0 "$RPING_SRV" 2>/dev/null ||
		lab_fail "rping server exited early: $(tail -3 "$LAB_OUT/rping-server.log")"
	kill "$RPING_SRV"
	wait "$RPING_SRV" 2>/dev/null
	n=$(grep -c 'ping data' "$LAB_OUT/rping-server.log")
	[ "$n" -ge 5 ] || lab_fail "rping server saw $n pings, expected 5"
	RPING_PINGS=$n
}

# rping_client: attempts of at most 15 s each for up to 90 s, every
# attempt's output kept in rping-client.log; the last attempt must have
# seen 5 pings.
rping_attempt() {
	echo "--- attempt at $(lab_now)" >>"$LAB_OUT/rping-client.log"
	timeout 15 rping -c -a "$LAB_PEER" -C 5 -v \
		>>"$LAB_OUT/rping-client.log" 2>&1
}

rping_client() {
	local n
	lab_retry 90 rping_attempt ||
		lab_fail "rping client to $LAB_PEER failed:" \
			"$(grep -c '^--- attempt' "$LAB_OUT/rping-client.log") attempts," \
			"the last: $(tail -3 "$LAB_OUT/rping-client.log" | tr '\n' ' ')"
	n=$(awk '/^--- attempt/ { n = 0 } /ping data/ { n++ } END { print n + 0 }' \
		"$LAB_OUT/rping-client.log")
	[ "$n" -ge 5 ] || lab_fail "rping client saw $n pings, expected 5"
	RPING_PINGS=$n
}

# rogue-target, host node: nvmf-host perf against the rogue target; its
# connect fails once the rogue target breaks the queue.
trid="trtype:rdma adrfam:ipv4 traddr:$LAB_PEER trsvcid:$PORT subnqn:nqn.2014-08.org.nvmf-lab:rogue"
for n in 1 2 3 4; do
	extra=
	[ $n -gt 2 ] && extra=--persistent-rkeys
	lab_wait "rogue-$n-ready" 120
	timeout 60 "$NVMF_HOST" perf -r "$trid" -w randread -o 4096 -q 1 -t 1 \
		$extra >"$LAB_OUT/perf-$n.txt" 2>&1
	rc=$?
	[ $rc -eq 124 ] && lab_fail "case $n: nvmf-host perf hung against the rogue target"
	lab_event "case $n${extra:+ ($extra)}: perf exit $rc: $(tail -1 "$LAB_OUT/perf-$n.txt")"
done
lab_signal host-done
lab_pass

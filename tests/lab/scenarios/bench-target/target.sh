# bench-target, target node: first the raw verbs limits (perftest servers
# for the host node's clients), then the kernel target on 4420 (namespace
# 1 /dev/ram0, namespace 2 the null device /dev/nullb0) and nvmf-tgt on
# 4421 (/dev/ram1, /dev/nullb1); in an A/B run (B_ARGS or B_BUILD) a second
# nvmf-tgt on 4422 (/dev/ram2, /dev/nullb2).
ab=""
[ -n "$B_ARGS$B_BUILD" ] && ab=1
disks=$((${ab:-0} + 2))
modprobe brd rd_nr=$disks rd_size=$((256 * 1024)) ||
	lab_fail "modprobe brd failed"
# null devices that complete at submission: the wire's limit, not a disk's
modprobe null_blk nr_devices=$disks gb=1 bs=4096 irqmode=0 ||
	lab_fail "modprobe null_blk failed"

perftest_listening() { [ "$(lab_cm_listeners 18515)" -gt 0 ]; }
perftest_gone() { [ "$(lab_cm_listeners 18515)" -eq 0 ]; }
for t in "${PERFTESTS[@]}"; do
	set -- $t
	for try in 1 2 3; do
		(
			ulimit -c 0
			exec $t -d rxe0 -R -F
		) >"$LAB_OUT/$1.txt" 2>&1 &
		pid=$!
		# the client only once the server listens (perftest's rdma_cm
		# port 18515)
		lab_retry 30 perftest_listening ||
			lab_fail "$1: the server does not listen 30 s after it started: $(tail -2 "$LAB_OUT/$1.txt")"
		lab_signal "$1-server-$try"
		got=$(lab_wait_first 120 "$1-done" "$1-retry-$try") || exit 1
		if [ "$got" = "$1-done" ]; then
			wait "$pid" || lab_event "$1 server: exit $? ($(tail -1 "$LAB_OUT/$1.txt"))"
			break
		fi
		# the client failed (host.sh logs why): a new server
		kill "$pid" 2>/dev/null
		wait "$pid"
		lab_event "$1 server after the client's attempt $try: exit $?"
		cp "$LAB_OUT/$1.txt" "$LAB_OUT/$1.failed-$try.txt"
		lab_retry 30 perftest_gone ||
			lab_fail "$1: the killed server still listens after 30 s"
	done
done

# brd is loaded with two disks: the helper's modprobe leaves it as it is
lab_kernel_target_setup "$KNQN" 1 4420 256 ||
	lab_fail "kernel target setup failed"
ns=$NVMET_CFS/subsystems/$KNQN/namespaces/2
mkdir "$ns" && echo /dev/nullb0 >"$ns/device_path" && echo 1 >"$ns/enable" ||
	lab_fail "kernel target: null namespace setup failed"
# tgt_config FILE NQN N PORTID SVCID: /dev/ramN and /dev/nullbN
tgt_config() {
	lab_tgt_config "$1" "$2" "/dev/ram$3" "$4" "$5"
	python3 - "$1" "/dev/nullb$3" <<'PY' || lab_fail "nvmf-tgt config"
import json, sys
c = json.load(open(sys.argv[1]))
c["subsystems"][0]["namespaces"].append(
    {"device": {"path": sys.argv[2]}, "enable": 1, "nsid": 2})
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
}
tgt_config "$LAB_OUT/nvmf-tgt.json" "$ONQN" 1 2 4421
# shellcheck disable=SC2086 # TGT_ARGS: words (e.g. "--poll-us 50")
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ${TGT_ARGS:-} ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_event "kernel target on 4420, nvmf-tgt on 4421"
if [ -n "$ab" ]; then
	tgt_config "$LAB_OUT/nvmf-tgt-b.json" "$BNQN" 2 3 4422
	# shellcheck disable=SC2086 # B_ARGS, TGT_ARGS: words
	lab_daemon_start nvmf-tgt-b "${B_BUILD:-$LAB_BUILD}/target/nvmf-tgt" \
		-c "$LAB_OUT/nvmf-tgt-b.json" --foreground \
		--run-dir /run/nvmf-tgt-b ${TGT_ARGS:-} $B_ARGS
	lab_retry 20 grep -q 'running:' "$LAB_OUT/nvmf-tgt-b.log" &&
		! grep -q 'cannot listen' "$LAB_OUT/nvmf-tgt-b.log" ||
		lab_fail "nvmf-tgt B did not start: $(tail -2 "$LAB_OUT/nvmf-tgt-b.log")"
	lab_event "nvmf-tgt B on 4422: ${B_BUILD:-$LAB_BUILD} $B_ARGS"
fi
lab_signal target-ready
# nvmf-tgt's counters, copied where the host node reads them when it asks,
# between its runs: the file is rewritten on tmpfs while I/O runs (writing
# it on the shared 9p directory then slowed the VMs' network down by half)
# One look at the shared directory every 0.5 s, and no process started:
# sampled while the benchmark ran (PROFILE=1), a turn every 0.1 s that
# ran ls(1) took 12-13% of this VM's CPU samples in ls and 8-9% in bash;
# a glob every 0.2 s without ls still took 5-6%.  Requests: snap-NAME (copy
# the counters) and, with PROFILE=1, prof-start-NAME and prof-stop-NAME
# (this VM sampled while the host node runs one job).
deadline=$((SECONDS + 880))
while [ ! -e "$LAB_SYNC/host-done" ]; do
	for req in "$LAB_SYNC"/*; do
		name=${req##*/}
		case $name in
		snap-*)
			name=${name#snap-}
			run=/run/nvmf-tgt
			[ "${name#oursb-}" != "$name" ] && run=/run/nvmf-tgt-b
			cp "$run/stats.json" "$LAB_OUT/$name.stats.json" ||
				lab_fail "cannot copy nvmf-tgt's counters"
			rm -f "$req"
			lab_signal "snapped-$name"
			;;
		prof-start-*)
			rm -f "$req"
			lab_profile_start "${name#prof-start-}"
			lab_signal "profiling-${name#prof-start-}"
			;;
		prof-stop-*)
			rm -f "$req"
			lab_profile_stop
			lab_signal "profiled-${name#prof-stop-}"
			;;
		abort-*) lab_fail "peer aborted" ;;
		esac
	done
	[ $SECONDS -lt $deadline ] || lab_fail "timed out waiting for 'host-done'"
	sleep 0.5
done
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
if [ -n "$ab" ]; then
	lab_daemon_stop nvmf-tgt-b
	! grep "were not given back" "$LAB_OUT/nvmf-tgt-b.log" ||
		lab_fail "nvmf-tgt B lost receive buffers"
fi
lab_pass

# tcp-interop, host node: the kernel's nvme-tcp host and nvmf-host.
modprobe nvme_tcp || lab_fail "modprobe nvme_tcp failed"
lab_wait target-ready 120

# fio_iops NAME DEV: IOPS of a BENCH_SECS 4k randread at QD32 (no verify)
fio_iops() {
	fio --name="$1" --filename="$2" --ioengine=libaio --direct=1 \
		--rw=randread --bs=4k --iodepth=32 --time_based \
		--runtime="$BENCH_SECS" --size=64M --output-format=json \
		--output="$LAB_OUT/bench-$1.json" >/dev/null 2>&1 || return 1
	python3 -c 'import json, sys; print("%.1f" % json.load(open(sys.argv[1]))["jobs"][0]["read"]["iops"])' \
		"$LAB_OUT/bench-$1.json"
}
# tcp_connect NQN [nvme connect args]: the kernel host over tcp; prints the device
tcp_connect() {
	local nqn=$1
	shift
	nvme connect -t tcp -a "$LAB_PEER" -s 4420 -n "$nqn" "$@" \
		>"$LAB_OUT/connect.log" 2>&1 ||
		lab_fail "nvme connect -t tcp to $nqn $*: $(tail -1 "$LAB_OUT/connect.log")"
	lab_retry 20 lab_nvme_dev "$nqn" >/dev/null ||
		lab_fail "no namespace device 20 s after connecting to $nqn"
	lab_nvme_dev "$nqn"
}
tcp_disconnect() {
	nvme disconnect -n "$1" >"$LAB_OUT/disconnect.log" 2>&1 ||
		lab_fail "nvme disconnect -n $1: $(tail -1 "$LAB_OUT/disconnect.log")"
	lab_retry 10 lab_not lab_nvme_dev "$1" ||
		lab_fail "$1 still has a namespace device 10 s after disconnecting"
}
# perf NAME NQN ARGS...: nvmf-host perf over tcp; fails the role on an
# error or a mismatch (not in a subshell: see iops)
perf() {
	local name=$1 nqn=$2
	shift 2
	"$NVMF_HOST" perf -r "trtype:tcp adrfam:ipv4 traddr:$LAB_PEER trsvcid:4420 subnqn:$nqn" \
		"$@" >"$LAB_OUT/perf-$name.log" 2>&1 ||
		lab_fail "nvmf-host perf $name: $(tail -2 "$LAB_OUT/perf-$name.log")"
	grep -q 'errors=0' "$LAB_OUT/perf-$name.log" ||
		lab_fail "nvmf-host perf $name: errors: $(grep result "$LAB_OUT/perf-$name.log")"
	if grep -q 'mismatches' "$LAB_OUT/perf-$name.log"; then
		grep -q ' 0 mismatches' "$LAB_OUT/perf-$name.log" ||
			lab_fail "nvmf-host perf $name: $(grep mismatches "$LAB_OUT/perf-$name.log")"
	fi
}
# iops NAME: the IOPS of perf NAME
iops() { sed -n 's/.*result: iops=\([0-9.]*\).*/\1/p' "$LAB_OUT/perf-$1.log"; }

# ---- the kernel host against nvmf-tgt
nvme discover -t tcp -a "$LAB_PEER" -s 4420 >"$LAB_OUT/discover.log" 2>&1 ||
	lab_fail "nvme discover -t tcp failed: $(tail -1 "$LAB_OUT/discover.log")"
grep -q "subnqn: *$NQN" "$LAB_OUT/discover.log" &&
	grep -q 'trtype: *tcp' "$LAB_OUT/discover.log" ||
	lab_fail "the discovery log does not list $NQN over tcp: $(cat "$LAB_OUT/discover.log")"
grep -q 'sectype: *none' "$LAB_OUT/discover.log" ||
	lab_fail "the discovery entry has no tcp sectype none: $(grep -i sectype "$LAB_OUT/discover.log")"
lab_event "nvme discover -t tcp lists $NQN (trtype tcp, sectype none)"
dev=$(tcp_connect "$NQN") || exit 1
ctrl=/dev/$(basename "$(lab_nvme_ctrl "$NQN")")
[ "$(cat "$(lab_nvme_ctrl "$NQN")/transport")" = tcp ] ||
	lab_fail "the controller's transport is not tcp"
nvme id-ctrl "$ctrl" >"$LAB_OUT/id-ctrl.txt" 2>&1 || lab_fail "nvme id-ctrl failed"
grep -q "^subnqn *: $NQN" "$LAB_OUT/id-ctrl.txt" || lab_fail "id-ctrl: wrong subnqn"
nvme id-ns "$dev" >"$LAB_OUT/id-ns.txt" 2>&1 || lab_fail "nvme id-ns failed"
nvme smart-log "$dev" >"$LAB_OUT/smart-log.txt" 2>&1 || lab_fail "nvme smart-log failed"
lab_event "kernel nvme-tcp host connected: $dev; id-ctrl, id-ns, smart-log: ok"
lab_fio_verify randwrite "$dev" --rw=randwrite --bs=4k --iodepth=16 \
	--size=8M || lab_fail "fio 4k randwrite verify over tcp failed"
lab_fio_verify seq128k "$dev" --rw=write --bs=128k --iodepth=8 --size=16M ||
	lab_fail "fio 128k write verify over tcp (R2T, H2CData) failed"
lab_fio_verify seq1m "$dev" --rw=write --bs=1m --iodepth=4 --size=8M ||
	lab_fail "fio 1m write verify over tcp failed"
lab_event "fio verify 4k randwrite QD16, 128k and 1m writes (crc32c): ok"
ours_t=$(fio_iops kernel-host-nvmf-tgt "$dev") || lab_fail "bench fio on nvmf-tgt failed"
tcp_disconnect "$NQN"
dev=$(tcp_connect "$NQN" -g -G) || exit 1
lab_fio_verify digests "$dev" --rw=randwrite --bs=4k --iodepth=16 --size=4M ||
	lab_fail "fio verify with header and data digests failed"
lab_fio_verify digests128k "$dev" --rw=write --bs=128k --iodepth=4 --size=8M ||
	lab_fail "fio 128k verify with header and data digests failed"
tcp_disconnect "$NQN"
lab_event "kernel host with -g -G (header and data digests): fio verify 4k and 128k: ok"
for i in $(seq "$CYCLES"); do
	dev=$(tcp_connect "$NQN") || exit 1
	dd if="$dev" of=/dev/null bs=4k count=16 iflag=direct status=none ||
		lab_fail "cycle $i: read failed"
	tcp_disconnect "$NQN"
done
lab_event "$CYCLES tcp connect/read/disconnect cycles: ok"

# ---- nvmf-host against nvmf-tgt
# (more of it runs natively: tests/cli/tcp-netns.sh)
perf ours-4k "$NQN" -q 32 -o 4096 -w randrw -t 2 --verify --size 16777216
perf ours-128k-digests "$NQN" -q 8 -o 131072 -w randrw -t 2 --verify -g -G \
	--size 16777216
lab_event "nvmf-host -> nvmf-tgt over tcp: perf --verify 4k randrw QD32 $(iops ours-4k) IOPS, 128k randrw QD8 with digests $(iops ours-128k-digests) IOPS"
lab_signal ours-done

# ---- the kernel's target: its own host, then nvmf-host
lab_wait kernel-ready 120
K=$NQN-kernel
dev=$(tcp_connect "$K") || exit 1
kernel=$(fio_iops kernel-host-kernel-tgt "$dev") || lab_fail "bench fio on the kernel target failed"
tcp_disconnect "$K"
perf kernel-4k "$K" -q 32 -o 4096 -w randrw -t 2 --verify --size 16777216
perf kernel-128k-digests "$K" -q 8 -o 131072 -w randrw -t 2 --verify -g -G \
	--size 16777216
lab_event "nvmf-host -> kernel nvmet-tcp: perf --verify 4k randrw QD32 $(iops kernel-4k) IOPS, 128k randrw QD8 with digests $(iops kernel-128k-digests) IOPS"
perf kernel-bench "$K" -q 32 -o 4096 -w randread -t "$BENCH_SECS"
ours_h=$(iops kernel-bench)
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
lab_report "bench 4k randread QD32 over tcp, IOPS (ratio >1 is better for us): target side: kernel host -> kernel target $kernel, -> nvmf-tgt $ours_t, ratio $(ratio "$ours_t" "$kernel"); host side: nvmf-host -> kernel target $ours_h, ratio $(ratio "$ours_h" "$kernel")"
errors=$(dmesg | grep -ciE 'nvme.*(error|timeout|reset)')
lab_report "kernel host dmesg: $errors nvme error/timeout/reset lines"
lab_signal host-done
lab_pass

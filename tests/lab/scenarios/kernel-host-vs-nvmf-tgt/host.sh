# kernel-host-vs-nvmf-tgt, host node: the kernel host and nvme-cli.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait target-ready 120

nvme discover -t rdma -a "$LAB_PEER" -s 4420 >"$LAB_OUT/discover.log" 2>&1 ||
	lab_fail "nvme discover failed: $(tail -1 "$LAB_OUT/discover.log")"
grep -q "subnqn: *$NQN" "$LAB_OUT/discover.log" ||
	lab_fail "the discovery log does not list $NQN"
lab_event "nvme discover lists $NQN"

dev=$(lab_nvme_connect "$NQN" "$LAB_PEER" 4420) || exit 1
for c in /sys/class/nvme/nvme*; do
	[ "$(cat "$c/subsysnqn")" = "$NQN" ] && ctrl=/dev/${c##*/}
done
lab_event "connected: $dev (controller $ctrl, $(lab_nvme_state "$NQN"))"

run() {	# run NAME CMD...: a query that must succeed, output kept
	local name=$1
	shift
	"$@" >"$LAB_OUT/$name.txt" 2>&1 ||
		lab_fail "$* failed: $(tail -1 "$LAB_OUT/$name.txt")"
}
run nvme-list nvme list
grep -q "${dev#/dev/}" "$LAB_OUT/nvme-list.txt" || lab_fail "nvme list lacks $dev"
run id-ctrl nvme id-ctrl "$ctrl"
grep -q "^subnqn *: $NQN" "$LAB_OUT/id-ctrl.txt" || lab_fail "id-ctrl: wrong subnqn"
# 1 MiB transfers and 128-command queues, as the kernel target offers
grep -q '^mdts *: 8' "$LAB_OUT/id-ctrl.txt" || lab_fail "id-ctrl: mdts is not 8 (1 MiB)"
grep -q '^maxcmd *: 128' "$LAB_OUT/id-ctrl.txt" || lab_fail "id-ctrl: maxcmd is not 128"
! dmesg | grep -q 'clamping down' ||
	lab_fail "the kernel host clamped its queues: $(dmesg | grep 'clamping down' | tail -1)"
run id-ns nvme id-ns "$dev"
# brd: 256 MiB in 512-byte sectors
grep -q '^nsze *: 0x80000$' "$LAB_OUT/id-ns.txt" ||
	lab_fail "id-ns: expected nsze 0x80000, got: $(grep nsze "$LAB_OUT/id-ns.txt")"
grep -q 'lbads:9 .*in use' "$LAB_OUT/id-ns.txt" ||
	lab_fail "id-ns: LBA format 0 is not 512 bytes in use"
run smart-log nvme smart-log "$dev"
lab_event "nvme list, id-ctrl, id-ns, smart-log: ok"

# nvmf-tgt reloads its -c file (SIGHUP) while fio runs: namespace 2
# appears (namespace-changed event), then goes; namespace 1's I/O goes on
lab_fio_verify reload "$dev" --rw=randwrite --bs=4k --iodepth=8 \
	--size=16M --time_based --runtime=10 --verify_backlog=64 &
fio_pid=$!
cname=$(basename "$ctrl")
ns2() { # the kernel's device for namespace 2 of this controller
	local b
	for b in /sys/class/nvme/"$cname"/nvme*n2; do
		[ -e "$b" ] || continue
		b=${b##*/}
		[[ $b =~ ^nvme([0-9]+)c[0-9]+n2$ ]] && b=nvme${BASH_REMATCH[1]}n2
		echo "/dev/$b"
		return 0
	done
	return 1
}
t0=$(lab_now_ns)
lab_signal reload-add
lab_wait reloaded-add 60
lab_retry 20 ns2 >/dev/null ||
	lab_fail "namespace 2 did not appear 20 s after the reload"
dev2=$(ns2)
lab_event "namespace 2 appeared as $dev2 $(lab_ms "$t0" "$(lab_now_ns)") ms after the reload was asked for"
lab_fio_verify reload-ns2 "$dev2" --rw=randwrite --bs=4k --iodepth=4 \
	--size=2M || lab_fail "fio verify on the reloaded namespace 2 failed"
lab_signal reload-del
lab_wait reloaded-del 60
lab_retry 20 lab_not test -e "$dev2" ||
	lab_fail "$dev2 still present 20 s after the reload removed namespace 2"
wait "$fio_pid" || lab_fail "fio on namespace 1 failed during the reloads: $(grep -m1 -i err "$LAB_OUT/fio-reload.log")"
lab_event "reloads: namespace 2 added, verified, removed; fio on namespace 1 without error ($(grep -o 'WRITE: bw=[^ ]*' "$LAB_OUT/fio-reload.log"))"

# every I/O queue full (128 commands each): with shared receive queues of
# a fixed size this overran them, and the lab's rxe host, retrying after
# an RNR NAK, failed its reads (I/O timeouts); nvmf-tgt now grows them to
# the queues' sizes added up
fio --name=qd128 --filename="$dev" --ioengine=libaio --direct=1 \
	--rw=randread --bs=4k --iodepth=128 --numjobs=2 --group_reporting \
	--runtime=10 --time_based >"$LAB_OUT/fio-qd128.log" 2>&1 ||
	lab_fail "fio randread QD128 failed: $(grep -m1 -i err "$LAB_OUT/fio-qd128.log")"
! dmesg | grep -qE 'nvme[0-9]+: I/O .*timeout' ||
	lab_fail "I/O timeouts in randread QD128: $(dmesg | grep -m1 -E 'nvme[0-9]+: I/O .*timeout')"
lab_event "fio 4k randread, 2 jobs QD128 for 10 s: $(grep -m1 -o 'IOPS=[^,]*' "$LAB_OUT/fio-qd128.log"), no I/O timeout"
lab_fio_verify randwrite "$dev" --rw=randwrite --bs=4k --iodepth=16 \
	--numjobs=2 --offset_increment=64M --size="${FIO_4K_SIZE:-16M}" ||
	lab_fail "fio 4k randwrite verify failed"
lab_event "fio 4k randwrite (2 jobs, QD16) crc32c verify: ok"
lab_fio_verify seq128k "$dev" --rw=write --bs=128k --iodepth=8 \
	--size="${FIO_128K_SIZE:-64M}" || lab_fail "fio 128k write verify failed"
lab_event "fio 128k seq write crc32c verify: ok"
hw_kb=$(cat "/sys/block/${dev#/dev/}/queue/max_hw_sectors_kb")
[ "$hw_kb" -ge 1024 ] || lab_fail "the kernel host's max_hw_sectors_kb is $hw_kb, not 1024 (MDTS 1 MiB)"
lab_fio_verify seq1m "$dev" --rw=write --bs=1m --iodepth=4 \
	--size="${FIO_128K_SIZE:-64M}" || lab_fail "fio 1m write verify failed"
lab_event "fio 1m seq write crc32c verify (max_hw_sectors_kb $hw_kb): ok"
lab_fio_verify rand1mqd128 "$dev" --rw=randwrite --bs=1m --iodepth=128 \
	--size=192M || lab_fail "fio 1m randwrite QD128 verify failed"
! dmesg | grep -qE 'nvme[0-9]+: I/O .*timeout' ||
	lab_fail "I/O timeouts in 1m randwrite QD128"
lab_event "fio 1m randwrite QD128 crc32c verify: ok ($(grep -o 'WRITE: bw=[^ ]*' "$LAB_OUT/fio-rand1mqd128.log"))"
# blktests nvme/029: nvme-cli user I/O up to MDTS, one command each
head -c 1048576 /dev/urandom >"$LAB_OUT/1m.bin"
for blocks in 1 8 255 256 1024 2048; do
	bytes=$((blocks * 512))
	head -c "$bytes" "$LAB_OUT/1m.bin" >"$LAB_OUT/uio.in"
	nvme write "$dev" -s 4096 -c $((blocks - 1)) -z "$bytes" \
		-d "$LAB_OUT/uio.in" >"$LAB_OUT/uio.log" 2>&1 ||
		lab_fail "nvme write of $bytes bytes: $(tail -1 "$LAB_OUT/uio.log")"
	nvme read "$dev" -s 4096 -c $((blocks - 1)) -z "$bytes" \
		-d "$LAB_OUT/uio.out" >"$LAB_OUT/uio.log" 2>&1 ||
		lab_fail "nvme read of $bytes bytes: $(tail -1 "$LAB_OUT/uio.log")"
	cmp -s "$LAB_OUT/uio.in" "$LAB_OUT/uio.out" ||
		lab_fail "nvme read of $bytes bytes returned other data"
done
if nvme read "$dev" -s 4096 -c 2048 -z 1049088 -d "$LAB_OUT/uio.out" \
	>"$LAB_OUT/uio.log" 2>&1; then
	lab_fail "nvme read of 2049 blocks (above MDTS) succeeded"
fi
lab_event "nvme-cli read/write of 512 B to 1 MiB, data compared; 2049 blocks refused: $(tail -1 "$LAB_OUT/uio.log")"
lab_report "kernel host -> nvmf-tgt: $(grep -h 'WRITE: bw' "$LAB_OUT"/fio-*.log | sed 's/^ *//; s/ (.*//' | tr '\n' ';')"
run flush nvme flush "$dev"
run smart-log-after nvme smart-log "$dev"
lab_event "nvme flush: ok"

nvme disconnect -n "$NQN" >"$LAB_OUT/disconnect.log" 2>&1 ||
	lab_fail "nvme disconnect failed"
lab_retry 10 lab_not test -e "$dev" ||
	lab_fail "$dev still present after disconnect"
lab_event "disconnected"

for i in $(seq "$CYCLES"); do
	nvme connect -t rdma -a "$LAB_PEER" -s 4420 -n "$NQN" \
		>"$LAB_OUT/cycle.log" 2>&1 ||
		lab_fail "connect $i/$CYCLES failed: $(tail -1 "$LAB_OUT/cycle.log")"
	lab_retry 20 lab_nvme_dev "$NQN" >/dev/null ||
		lab_fail "cycle $i: no namespace device"
	dd if="$(lab_nvme_dev "$NQN")" of=/dev/null bs=4k count=16 iflag=direct \
		status=none || lab_fail "cycle $i: read failed"
	nvme disconnect -n "$NQN" >"$LAB_OUT/cycle.log" 2>&1 ||
		lab_fail "disconnect $i/$CYCLES failed"
	lab_retry 10 lab_not lab_nvme_dev "$NQN" ||
		lab_fail "cycle $i: namespace device still present 10 s after disconnect"
done
lab_event "$CYCLES connect/read/disconnect cycles: ok"

# IPv6, through the wildcard port 2 ([::]:4421)
nvme discover -t rdma -a "$LAB_PEER6" -s 4421 >"$LAB_OUT/discover6.log" 2>&1 ||
	lab_fail "nvme discover over IPv6 failed: $(tail -1 "$LAB_OUT/discover6.log")"
grep -q "traddr: *$LAB_PEER6\$" "$LAB_OUT/discover6.log" ||
	lab_fail "IPv6 discovery does not report traddr $LAB_PEER6 for the wildcard port"
grep -q 'adrfam: *ipv6' "$LAB_OUT/discover6.log" ||
	lab_fail "IPv6 discovery does not report adrfam ipv6"
dev=$(lab_nvme_connect "$NQN" "$LAB_PEER6" 4421) || exit 1
lab_fio_verify ipv6 "$dev" --rw=randwrite --bs=4k \
	--iodepth=8 --size=8M || lab_fail "fio verify over IPv6 failed"
# port 2 offers 1000 bytes of in-capsule data (IOCCSZ 66: 992 usable), so
# 512-byte writes go in the capsule, written with O_DIRECT from there
ioccsz=$(nvme id-ctrl "/dev/$(basename "$(lab_nvme_ctrl "$NQN")")" | awk '/^ioccsz/ { print $3 }')
[ "$ioccsz" = 66 ] || lab_fail "port 2: ioccsz is '$ioccsz', not 66"
lab_fio_verify ipv6-inline "$dev" --rw=randwrite --bs=512 \
	--iodepth=8 --size=2M || lab_fail "fio verify of in-capsule 512-byte writes failed"
nvme disconnect -n "$NQN" >/dev/null 2>&1 || lab_fail "IPv6 disconnect failed"
lab_event "IPv6 wildcard port: discover (traddr $LAB_PEER6), connect, verified fio (4 KiB, and 512 B in 1000-byte capsules), disconnect: ok"
errors=$(dmesg | grep -ciE 'nvme.*(error|timeout|reset)')
lab_report "kernel host dmesg: $errors nvme error/timeout/reset lines"
lab_signal host-done
lab_pass

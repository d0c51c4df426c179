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
grep -q '^mdts *: 5' "$LAB_OUT/id-ctrl.txt" || lab_fail "id-ctrl: mdts is not 5"
run id-ns nvme id-ns "$dev"
# brd: 256 MiB in 512-byte sectors
grep -q '^nsze *: 0x80000$' "$LAB_OUT/id-ns.txt" ||
	lab_fail "id-ns: expected nsze 0x80000, got: $(grep nsze "$LAB_OUT/id-ns.txt")"
grep -q 'lbads:9 .*in use' "$LAB_OUT/id-ns.txt" ||
	lab_fail "id-ns: LBA format 0 is not 512 bytes in use"
run smart-log nvme smart-log "$dev"
lab_event "nvme list, id-ctrl, id-ns, smart-log: ok"

lab_fio_verify randwrite "$dev" --rw=randwrite --bs=4k --iodepth=16 \
	--numjobs=2 --offset_increment=64M --size="${FIO_4K_SIZE:-32M}" ||
	lab_fail "fio 4k randwrite verify failed"
lab_event "fio 4k randwrite (2 jobs, QD16) crc32c verify: ok"
lab_fio_verify seq128k "$dev" --rw=write --bs=128k --iodepth=8 \
	--size="${FIO_128K_SIZE:-128M}" || lab_fail "fio 128k write verify failed"
lab_event "fio 128k seq write crc32c verify: ok"
lab_report "kernel host -> nvmf-tgt: $(grep -h 'WRITE: bw' "$LAB_OUT"/fio-*.log | sed 's/^ *//; s/ (.*//' | tr '\n' ';')"
run flush nvme flush "$dev"
run smart-log-after nvme smart-log "$dev"
lab_event "nvme flush: ok"

nvme disconnect -n "$NQN" >"$LAB_OUT/disconnect.log" 2>&1 ||
	lab_fail "nvme disconnect failed"
lab_retry 10 bash -c "! ls $dev 2>/dev/null" ||
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
	lab_retry 10 bash -c "! lab_nvme_dev $NQN" 2>/dev/null
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
nvme disconnect -n "$NQN" >/dev/null 2>&1 || lab_fail "IPv6 disconnect failed"
lab_event "IPv6 wildcard port: discover (traddr $LAB_PEER6), connect, verified fio, disconnect: ok"
errors=$(dmesg | grep -ciE 'nvme.*(error|timeout|reset)')
lab_report "kernel host dmesg: $errors nvme error/timeout/reset lines"
lab_signal host-done
lab_pass

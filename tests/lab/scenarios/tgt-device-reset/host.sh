# tgt-device-reset, host node: the kernel host with verified writes.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait target-ready 120
dev=$(lab_nvme_connect "$NQN" "$LAB_PEER" 4420 --ctrl-loss-tmo=-1 \
	--reconnect-delay=1) || exit 1
# verified writes in a loop until the resets are over (each pass writes
# 32 MiB at random and reads it back)
(
	n=0
	while [ ! -e "$LAB_SYNC/resets-done" ]; do
		n=$((n + 1))
		lab_fio_verify "pass$n" "$dev" --rw=randwrite --bs=4k \
			--iodepth=16 --size=32M || exit 1
	done
	echo "$n" >"$LAB_OUT/passes"
) &
io=$!
# I/O probe: a 4 KiB direct read every 50 ms, each completion timestamped,
# to measure when I/O resumes after each device return
(
	while [ ! -e "$LAB_SYNC/resets-done" ]; do
		dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct status=none &&
			lab_now_ns
		sleep 0.05
	done >"$LAB_OUT/probe.txt"
) &
probe=$!
lab_signal host-io-running
# state timeline of the kernel controller
(
	last=""
	while kill -0 $io 2>/dev/null; do
		st=$(lab_nvme_state "$NQN")
		[ "$st" != "$last" ] && lab_event "kernel host controller: $st"
		last=$st
		sleep 0.2
	done
) &
wait $io || lab_fail "verified fio failed (see fio-pass*.log)"
wait $probe
for f in "$LAB_SYNC"/add-*; do
	i=${f##*-}
	t_add=$(cat "$f")
	first=$(awk -v t="$t_add" '$1 > t { print $1; exit }' "$LAB_OUT/probe.txt")
	[ -n "$first" ] || lab_fail "cycle $i: no I/O completed after the device returned"
	lab_report "cycle $i: first I/O completed $(lab_ms "$t_add" "$first") ms after rdma link add"
done
lab_event "fio passes: $(cat "$LAB_OUT/passes"), all verified"

# live tree changes on nvmf-tgt (TREE_CHECKS=1; kernel-target-reactor
# shares this role without them)
tree_checks() {
	# live tree changes on the target: namespace 2 appears (AEN)
	is_live() { [ "$(lab_nvme_state "$NQN")" = live ]; }
	lab_retry 30 is_live || lab_fail "not live again after the resets"
	lab_signal host-live-again
	lab_wait ns2-added 120
	n2=${dev%n1}n2
	lab_retry 20 test -b "$n2" ||
		lab_fail "namespace 2 did not appear as $n2 within 20 s of its enable"
	t_seen=$(lab_now_ns)
	dd if="$n2" of=/dev/null bs=4k count=16 iflag=direct status=none ||
		lab_fail "reading the new namespace $n2 failed"
	lab_report "namespace 2 enabled in nvmf-tgt's tree: $n2 seen $(lab_ms "$(cat "$LAB_SYNC/ns2-time")" "$t_seen") ms later (namespace-changed event), readable"
	genctr() {
		nvme discover -t rdma -a "$LAB_PEER" -s 4420 -o json 2>/dev/null |
			awk -F'[:,]' '/"genctr"/ { gsub(/ /, "", $2); print $2 }'
	}
	g1=$(genctr)
	lab_signal host-saw-ns2
	# the subsystem unlinked from the port: the controller is torn down
	lab_wait unlinked 120
	not_live() { [ "$(lab_nvme_state "$NQN")" != live ]; }
	lab_retry 10 not_live ||
		lab_fail "the controller stayed live after its port was unlinked"
	lab_report "port unlinked in the tree: kernel controller $(lab_nvme_state "$NQN")"
	lab_signal host-saw-unlink
	lab_wait relinked 120
	lab_retry 30 is_live || lab_fail "the controller did not come back after the link"
	dd if="$dev" of=/dev/null bs=4k count=16 iflag=direct status=none ||
		lab_fail "reading $dev after the link failed"
	g2=$(genctr)
	[ -n "$g1" ] && [ -n "$g2" ] && [ "$g2" -gt "$g1" ] ||
		lab_fail "discovery genctr did not move over unlink and link: '$g1' -> '$g2'"
	lab_report "linked again: controller live, I/O works; discovery genctr $g1 -> $g2"
}
[ "${TREE_CHECKS:-0}" = 1 ] && tree_checks
errs=$(dmesg | grep -c 'I/O error')
[ "$errs" -eq 0 ] || lab_fail "$errs I/O errors in the host's dmesg"
lab_report "kernel host: $(cat "$LAB_OUT/passes") verified fio passes, 0 I/O errors, $(dmesg | grep -c 'Successfully reconnected') reconnects"
nvme disconnect -n "$NQN" >/dev/null 2>&1
lab_signal host-done
lab_pass

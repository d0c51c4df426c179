# host-block-device, host node: see scenario.conf.
lab_wait target-ready 120
H=$NVMF_HOST
# on a failure: let go of everything, or the device waits for its daemon
# (-l -1) and the VM's final sync with it
trap 'umount -l /mnt/blk 2>/dev/null; "$H" disconnect-all >/dev/null 2>&1' EXIT

# bdev_of NAME: the block device of controller NAME's namespace 1.
bdev_of() { lab_host_field "$1" file | grep /dev/ | head -1; }

# kill_recover NAME WHAT [wait]: kill -9 NAME's daemon, start a new one
# with "nvmf-host recover"; with "wait", a supervisor ("recover --wait",
# as nvmf-host-recover@.service runs it) started before the kill takes
# over by itself.  Logs the figures; sets T_KILL.
kill_recover() {
	local name=$1 what=$2 pid t0 rc sup=
	if [ "${3:-}" = wait ]; then
		"$H" recover --wait --foreground "$name" >"$LAB_OUT/supervisor.txt" 2>&1 &
		sup=$!
		sleep 1
		kill -0 $sup 2>/dev/null || lab_fail "$what: recover --wait exited at once: $(cat "$LAB_OUT/supervisor.txt")"
	fi
	pid=$(lab_host_pid "$name") || lab_fail "$what: no daemon pid for $name"
	t0=$(lab_now_ns)
	kill -9 "$pid"
	lab_event "fault: kill -9 of $name's daemon (pid $pid) ($what)"
	# rxe (6.1) holds a QP with bound memory windows for up to ~50 s
	# when the process dies: the daemon's exit may take that long
	for _ in $(seq 1200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && lab_fail "$what: pid $pid still there 120 s after kill -9"
	lab_event "$what: pid $pid gone after $(lab_ms "$t0" "$(lab_now_ns)") ms"
	if [ -n "$sup" ]; then
		for _ in $(seq 300); do
			[ "$(lab_host_pid "$name")" = "$sup" ] && break
			sleep 0.1
		done
		[ "$(lab_host_pid "$name")" = "$sup" ] ||
			lab_fail "$what: the supervisor (pid $sup) did not take over: $(cat "$LAB_OUT/supervisor.txt")"
	else
		"$H" list >"$LAB_OUT/list-orphan.txt" 2>&1
		grep -q "$name: orphaned" "$LAB_OUT/list-orphan.txt" ||
			lab_fail "$what: list does not show $name orphaned: $(head -3 "$LAB_OUT/list-orphan.txt")"
		"$H" recover "$name" >"$LAB_OUT/recover.txt" 2>&1
		rc=$?
		[ $rc -eq 0 ] || lab_fail "$what: nvmf-host recover $name failed ($rc): $(cat "$LAB_OUT/recover.txt")"
	fi
	lab_event "$what: recovered by pid $(lab_host_pid "$name") after $(lab_ms "$t0" "$(lab_now_ns)") ms"
	T_KILL=$t0
}

# 0. rdma_ucm not loaded (as where no udevd runs rdma-core's rules): the
# first connect loads it.  No NBD driver (the module cannot be loaded:
# modprobe.d says so): one line naming the way out, a non-zero exit,
# nothing left behind
modprobe -r rdma_ucm || lab_fail "modprobe -r rdma_ucm failed"
[ -e /dev/infiniband/rdma_cm ] && lab_fail "/dev/infiniband/rdma_cm is still there"
lsmod | grep -q '^nbd ' && lab_fail "nbd is loaded before the first connect"
echo "install nbd /bin/false" >/etc/modprobe.d/nvmf-lab-no-nbd.conf
if lab_host_connect "$NQN" "$LAB_PEER" 4420 --export nbd >"$LAB_OUT/no-nbd.txt" 2>&1; then
	lab_fail "connect without an NBD driver succeeded: $(cat "$LAB_OUT/no-nbd.txt")"
fi
rm /etc/modprobe.d/nvmf-lab-no-nbd.conf
grep -q -- "--export fuse" "$LAB_OUT/no-nbd.txt" || lab_fail "the error does not name --export fuse: $(cat "$LAB_OUT/no-nbd.txt")"
[ "$(wc -l <"$LAB_OUT/no-nbd.txt")" = 1 ] || lab_fail "more than one line: $(cat "$LAB_OUT/no-nbd.txt")"
left=$(ls /run/nvmf-host/ctrl/ 2>/dev/null)
[ -z "$left" ] || lab_fail "a failed connect left /run/nvmf-host/ctrl/$left"
lab_report "no NBD driver: connect fails with one line: $(cat "$LAB_OUT/no-nbd.txt")"
[ -e /dev/infiniband/rdma_cm ] || lab_fail "connect did not load rdma_ucm"
lab_report "rdma_ucm was unloaded: the connect loaded it (/dev/infiniband/rdma_cm is back)"

# 1. connect, geometry, discard, flush
name=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 --export nbd -c 1 -l -1 \
	--nbd-timeout "$NBD_TIMEOUT" 2>&1) || lab_fail "connect failed: $name"
dev=$(bdev_of "$name")
[ -b "$dev" ] || lab_fail "no block device for $name: '$dev'"
"$H" list >"$LAB_OUT/list.txt"
grep -q "namespace 1: $dev" "$LAB_OUT/list.txt" || lab_fail "list does not show $dev: $(cat "$LAB_OUT/list.txt")"
size=$(blockdev --getsize64 "$dev")
ss=$(blockdev --getss "$dev")
# list -o json in nvme-cli's shape: the device's own size and sector size
"$H" list -o json >"$LAB_OUT/list.json"
python3 - "$LAB_OUT/list.json" "$dev" "$size" "$ss" <<'PY' ||
import json, sys
d = [x for x in json.load(open(sys.argv[1]))["Devices"] if x["DevicePath"] == sys.argv[2]]
assert len(d) == 1, d
d = d[0]
assert d["PhysicalSize"] == int(sys.argv[3]) and d["SectorSize"] == int(sys.argv[4]), d
assert d["MaximumLBA"] * d["SectorSize"] == d["PhysicalSize"] and d["NameSpace"] == 1, d
assert d["Firmware"] and d["ModelNumber"] and d["SerialNumber"], d
PY
	lab_fail "list -o json: no nvme-cli-shaped entry for $dev: $(cat "$LAB_OUT/list.json")"
want=$(lab_host_field "$name" size)
[ "$size" = "$want" ] || lab_fail "$dev: $size bytes, the namespace has $want"
[ "$ss" = "$(lab_host_field "$name" block_size)" ] || lab_fail "$dev: logical block size $ss"
backend=$(cat "/sys/block/${dev#/dev/}/backend")
lab_report "connected $name: $dev, $size bytes, $ss-byte blocks, backend $backend"
# the udev rule's stable name (no udevd in the lab: udevadm test runs the
# rules for the device as udevd would)
cp "$LAB_REPO/host/71-nvmf-host.rules" /etc/udev/rules.d/ &&
	udevadm test --action=change "/sys/block/${dev#/dev/}" >"$LAB_OUT/udev-test.txt" 2>&1
grep -q "DEVLINKS=.*/dev/disk/by-id/$backend\b" "$LAB_OUT/udev-test.txt" ||
	lab_fail "the udev rule gives no /dev/disk/by-id/$backend: $(grep -i 'DEVLINKS\|nvmf' "$LAB_OUT/udev-test.txt" | head -3)"
lab_report "udev rule: /dev/disk/by-id/$backend"
dd if=/dev/urandom of="$LAB_OUT/pat" bs=1M count=4 status=none
dd if="$LAB_OUT/pat" of="$dev" bs=1M oflag=direct status=none || lab_fail "write to $dev failed"
cmp -n $((4 << 20)) "$LAB_OUT/pat" "$dev" || lab_fail "read back from $dev differs"
blkdiscard -o 0 -l $((1 << 20)) "$dev" || lab_fail "blkdiscard on $dev failed"
sync "$dev" 2>/dev/null
echo 1 | dd of="$dev" bs=512 count=1 seek=8 oflag=direct,sync conv=fsync status=none ||
	lab_fail "synchronous write with fsync failed"
lab_report "dd write/read-back 4 MiB, blkdiscard 1 MiB, fsync: ok"
# SIGHUP (logrotate's signal) reopens the log; the daemon stays
pid=$(lab_host_pid "$name")
kill -HUP "$pid"
sleep 0.5
[ "$(lab_host_pid "$name")" = "$pid" ] && kill -0 "$pid" && [ "$(lab_host_state "$name")" = live ] &&
	grep -q "SIGHUP: log reopened" "$LAB_OUT/nvmf-host.log" ||
	lab_fail "SIGHUP: the daemon of $name did not stay (pid $pid, state $(lab_host_state "$name"))"

# 2. verified fio through a daemon kill -9 and recover.  The pause: the
# device's completed-I/O count (/sys/block/nbdN/stat) sampled every 50 ms;
# the longest time it did not move while fio kept 16 I/Os queued.
lab_fio_verify kill "$dev" --rw=randwrite --bs=4k --iodepth=16 --size=32M \
	--time_based --runtime=20 --verify_backlog=256 &
fio_pid=$!
stat=/sys/block/${dev#/dev/}/stat
(
	while kill -0 $fio_pid 2>/dev/null; do
		read -r r _ _ _ w _ <"$stat"
		echo "$(lab_now_ns) $((r + w))"
		sleep 0.05
	done >"$LAB_OUT/completions.txt"
) &
sampler=$!
sleep 8
kill_recover "$name" "fio"
wait $fio_pid || lab_fail "verified fio failed through the daemon kill (see fio-kill.log): $(grep -m2 'err\|verify' "$LAB_OUT/fio-kill.log")"
wait $sampler
# the longest stall that ended after the kill: from the sample where the
# count stopped moving to the first sample where it moved again
res=$(awk -v t="$T_KILL" '
	NR == 1 { c = $2; s = $1; next }
	$2 != c { if ($1 > t && $1 - s > m) { m = $1 - s; e = $1 } c = $2; s = $1 }
	END { if (m) printf "%d %d\n", m / 1e6, (e - t) / 1e6 }' "$LAB_OUT/completions.txt")
stall_ms=${res% *} resume_ms=${res#* }
[ -n "$stall_ms" ] || lab_fail "no completion after the kill (at $T_KILL) in completions.txt"
lab_report "fio through kill -9 + recover: $(grep -m1 'write:' "$LAB_OUT/fio-kill.log" | sed 's/^ *//'), 0 errors"
lab_report "pause: first I/O completed $resume_ms ms after the kill (no completion for $stall_ms ms; --nbd-timeout $NBD_TIMEOUT: the requests in flight are sent again when they time out)"

# 3. ext4 with a checksummed file workload through faults
mkfs.ext4 -q -F "$dev" || lab_fail "mkfs.ext4 on $dev failed"
mkdir -p /mnt/blk
mount "$dev" /mnt/blk || lab_fail "mount $dev failed"
(
	i=0
	while [ ! -e "$LAB_SYNC/fs-done" ]; do
		i=$((i + 1))
		f=/mnt/blk/f$((i % 40))
		head -c $(((i % 7 + 1) * 65536)) /dev/urandom >"$f.tmp" || exit 1
		sync "$f.tmp" || exit 1
		mv "$f.tmp" "$f" || exit 1
		sync /mnt/blk || exit 1
	done
	echo "$i" >"$LAB_OUT/fs-writes"
) &
work=$!
sleep 4
kill_recover "$name" "fs kill 1"
# two more controllers for the device reset: one that gives up after 2 s
# (ctrl-loss-tmo: its device fails I/O and is released), one that fails
# I/O after 1 s of reconnecting (fast_io_fail) and serves it again after
dname=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 --export nbd -D -c 1 -l 2 \
	2>&1) || lab_fail "connect (ctrl-loss-tmo 2) failed: $dname"
ddev=$(bdev_of "$dname")
fname=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 --export nbd -D -c 1 -l -1 \
	--fast_io_fail_tmo 1 2>&1) || lab_fail "connect (fast_io_fail 1) failed: $fname"
fdev=$(bdev_of "$fname")
[ -b "$ddev" ] && [ -b "$fdev" ] || lab_fail "no devices for $dname/$fname: '$ddev' '$fdev'"
sleep 4
lab_fault rdma-del || lab_fail "rdma link delete failed: $LAB_FAULT_ERR"
lab_report "host rdma link delete (3 controllers, 3 block devices): $LAB_LAST_FAULT_MS ms"
sleep 2.5
if dd if="$fdev" of=/dev/null bs=4k count=1 iflag=direct status=none 2>"$LAB_OUT/fastfail.err"; then
	lab_fail "a read on $fdev succeeded 2.5 s into the reset (fast_io_fail_tmo 1)"
fi
lab_report "fast_io_fail: a read on $fdev failed 2.5 s into the reset: $(head -1 "$LAB_OUT/fastfail.err")"
sleep 0.5
lab_fault rdma-add || lab_fail "rdma link add failed"
lab_host_wait_live "$name" 60 ||
	lab_fail "$name not live 60 s after the device came back"
lab_host_wait_live "$fname" 30
dd if="$fdev" of=/dev/null bs=4k count=1 iflag=direct status=none ||
	lab_fail "$fdev (fast_io_fail) still fails I/O after the reconnect"
"$H" disconnect -d "$fname" >/dev/null || lab_fail "disconnect $fname failed"
[ ! -e "/run/nvmf-host/ctrl/$dname" ] || lab_fail "$dname (ctrl-loss-tmo 2) is still there"
# released: no size, so no data (dd reads nothing, or fails)
dsize=$(blockdev --getsize64 "$ddev" 2>/dev/null || echo 0)
got=$(dd if="$ddev" bs=4k count=1 iflag=direct status=none 2>/dev/null | wc -c)
[ "$dsize" = 0 ] && [ "$got" = 0 ] ||
	lab_fail "$ddev still has $dsize bytes ($got read) after its controller was deleted"
lab_report "ctrl-loss-tmo 2: $dname deleted, $ddev released (0 bytes, a read returns nothing); fast_io_fail: $fdev serves I/O again"
sleep 3
lab_signal restart
lab_wait restarted 120
sleep 3
# the target's device resets under the file workload (one RDMA device)
r0=$(lab_host_field "$name" reconnects)
lab_signal tgt-reset
lab_wait tgt-reset-done 120
reconnected() { [ "$(lab_host_field "$name" reconnects)" -gt "$r0" ]; }
lab_retry 60 reconnected ||
	lab_fail "$name did not reconnect within 60 s of the target's device reset"
lab_host_wait_live "$name" 60 ||
	lab_fail "$name not live 60 s after the target's device came back"
lab_report "target device reset: $name reconnected (reconnects $r0 -> $(lab_host_field "$name" reconnects)) and is live"
sleep 2
kill_recover "$name" "fs kill 2 (supervisor)" wait
sleep 4
touch "$LAB_SYNC/fs-done"
wait $work || lab_fail "the file workload failed (an I/O error through the faults)"
lab_report "file workload: $(cat "$LAB_OUT/fs-writes") files written with fsync through 2 kills, host and target device resets and a target restart"
(cd /mnt/blk && sha256sum f* >"$LAB_OUT/sums.txt")
umount /mnt/blk || lab_fail "umount failed"
fsck.ext4 -n -f "$dev" >"$LAB_OUT/fsck.txt" 2>&1 || lab_fail "fsck -n found problems: $(tail -3 "$LAB_OUT/fsck.txt")"
mount "$dev" /mnt/blk || lab_fail "remount failed"
(cd /mnt/blk && sha256sum -c --quiet "$LAB_OUT/sums.txt") || lab_fail "checksums differ after the remount"
umount /mnt/blk
lab_report "fsck -n clean; $(wc -l <"$LAB_OUT/sums.txt") files' checksums match after a remount"

# 4. disconnect
"$H" disconnect -d "$name" >/dev/null || lab_fail "disconnect failed"
[ "$(blockdev --getsize64 "$dev" 2>/dev/null || echo 0)" = 0 ] || lab_fail "$dev still has a size after disconnect"
[ ! -e "/run/nvmf-host/ctrl/$name" ] || lab_fail "the entry of $name is left: $(ls /run/nvmf-host/ctrl/$name)"
lab_report "disconnect: $dev released, entry removed"
# 5. namespace changes, followed through namespace-changed events: a
# namespace added on the target, write protected by another host (the
# kernel host, Set Features 0x84), resized, and removed
name=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 --export nbd -c 1 -l -1 \
	--nbd-timeout "$NBD_TIMEOUT" 2>&1) || lab_fail "connect (namespace changes) failed: $name"
# ns_dev NSID: the device of namespace NSID (the only controller now)
ns_dev() { "$H" list | sed -n "s|^  namespace $1: \(/dev/nbd[0-9]*\),.*|\1|p"; }
ns_line() { "$H" list | grep "^  namespace $1:"; }
lab_signal ns-add
lab_wait ns-added 60
has_ns2() { [ -n "$(ns_dev 2)" ]; }
lab_retry 20 has_ns2 || lab_fail "namespace 2 got no device 20 s after it was added: $("$H" list)"
dev2=$(ns_dev 2)
[ "$(blockdev --getsize64 "$dev2")" = $((64 << 20)) ] || lab_fail "$dev2: $(blockdev --getsize64 "$dev2") bytes, namespace 2 has 64 MiB"
grep -q '"nsid": *2[^0-9]' "/run/nvmf-host/ctrl/$name/recover.json" || lab_fail "recover.json does not list namespace 2's device"
dd if="$LAB_OUT/pat" of="$dev2" bs=1M count=1 oflag=direct status=none || lab_fail "write to $dev2 failed"
lab_report "namespace 2 added on the target: $dev2, 64 MiB, in recover.json"
# another host write protects namespace 2: a device made now is read-only,
# the one that exists fails writes
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_nvme_connect "$NQN" "$LAB_PEER" 4420 >/dev/null
for c in /sys/class/nvme/nvme*; do
	[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$NQN" ] && kctrl=/dev/${c##*/}
done
[ -c "${kctrl:-}" ] || lab_fail "no kernel host controller for $NQN"
nvme set-feature "$kctrl" -n 2 -f 0x84 -v 1 >"$LAB_OUT/wp.txt" 2>&1 || lab_fail "nvme set-feature 0x84 (write protect) failed: $(cat "$LAB_OUT/wp.txt")"
wp=$(nvme get-feature "$kctrl" -n 2 -f 0x84 2>&1)
echo "$wp" | grep -q "Current value: *0x0*1\b" || lab_fail "get-feature 0x84 after write protect: $wp"
# the kernel host reads the namespace attribute too: its disk turns ro
kro() { cat /sys/block/nvme*n2/ro 2>/dev/null | head -1; }
kro_set() { [ "$(kro)" = 1 ]; }
lab_retry 10 kro_set || lab_fail "the kernel host's disk of namespace 2 is not read-only (ro=$(kro))"
lab_retry 10 sh -c "\"$H\" list | grep -q '^  namespace 2:.*write protected'" || lab_fail "list does not show namespace 2 write protected: $(ns_line 2)"
if dd if="$LAB_OUT/pat" of="$dev2" bs=4k count=1 oflag=direct status=none 2>"$LAB_OUT/wp-write.err"; then
	lab_fail "a write to write protected namespace 2 ($dev2) succeeded"
fi
dd if="$dev2" of=/dev/null bs=4k count=1 iflag=direct status=none || lab_fail "a read of write protected $dev2 failed"
rname=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 --export nbd -D -c 1 2>&1) || lab_fail "connect (write protected) failed: $rname"
rdev=$("$H" list | sed -n "/^$rname:/,/^[^ ]/s|^  namespace 2: \(/dev/nbd[0-9]*\),.*|\1|p")
[ -b "$rdev" ] || lab_fail "no device for namespace 2 of $rname: $("$H" list)"
[ "$(blockdev --getro "$rdev")" = 1 ] || lab_fail "$rdev (write protected namespace) is not read-only"
if dd if="$LAB_OUT/pat" of="$rdev" bs=4k count=1 oflag=direct status=none 2>"$LAB_OUT/ro-write.err"; then
	lab_fail "a write to read-only $rdev succeeded"
fi
"$H" disconnect -d "$rname" >/dev/null || lab_fail "disconnect $rname failed"
lab_report "write protect by the kernel host (its own disk turned ro): $dev2 fails writes ($(head -1 "$LAB_OUT/wp-write.err")), reads work; a new connect makes $rdev read-only (write: $(head -1 "$LAB_OUT/ro-write.err"))"
nvme set-feature "$kctrl" -n 2 -f 0x84 -v 0 >/dev/null 2>&1 || lab_fail "nvme set-feature 0x84 (no write protect) failed"
lab_retry 10 dd if="$LAB_OUT/pat" of="$dev2" bs=4k count=1 oflag=direct status=none 2>/dev/null || lab_fail "$dev2 still fails writes after the write protection was removed"
nvme disconnect -n "$NQN" >/dev/null 2>&1
# resize: the target's file grows to 96 MiB (revalidate_size)
lab_signal ns-grow
lab_wait ns-grown 60
grown() { [ "$(blockdev --getsize64 "$dev2")" = $((96 << 20)) ]; }
lab_retry 20 grown || lab_fail "$dev2 is $(blockdev --getsize64 "$dev2") bytes 20 s after namespace 2 grew to 96 MiB"
dd if="$LAB_OUT/pat" of="$dev2" bs=1M count=1 seek=90 oflag=direct status=none || lab_fail "write beyond the old end of $dev2 failed"
lab_report "namespace 2 grew to 96 MiB: $dev2 follows ($(ns_line 2 | sed 's/^ *//'))"
# removal: the device fails I/O, it leaves list and recover.json
exec 7<"$dev2" # held open, as a mounted filesystem would
lab_signal ns-remove
lab_wait ns-removed 60
lab_retry 20 sh -c "! \"$H\" list | grep -q '^  namespace 2:'" || lab_fail "namespace 2 still listed 20 s after its removal"
if dd if="$dev2" of=/dev/null bs=4k count=1 iflag=direct status=none 2>"$LAB_OUT/removed-read.err"; then
	lab_fail "a read of $dev2 succeeded after namespace 2 was removed"
fi
exec 7<&-
grep -q '"nsid": *2[^0-9]' "/run/nvmf-host/ctrl/$name/recover.json" && lab_fail "recover.json still lists namespace 2's device"
dd if="$(ns_dev 1)" of=/dev/null bs=4k count=1 iflag=direct status=none || lab_fail "namespace 1 fails I/O after namespace 2 was removed"
lab_report "namespace 2 removed: a read of $dev2 fails ($(head -1 "$LAB_OUT/removed-read.err")), namespace 1 unaffected"
"$H" disconnect -d "$name" >/dev/null || lab_fail "disconnect $name failed"
grep -h 'nbd\|recover\|namespace' "$LAB_OUT/nvmf-host.log" | tail -30 >"$LAB_OUT/host-nbd.txt"
lab_signal host-done
lab_pass

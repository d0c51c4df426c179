# The nvmf-host checks shared by the nvmf-host-vs-* scenarios (sourced by
# their host.sh): discover, connect, list, verified fio on the namespace
# file, perf --verify, disconnect, connect/disconnect cycles, bad input.
# Needs: NQN, CYCLES.
H=$NVMF_HOST

"$H" discover -t rdma -a "$LAB_PEER" -s 4420 >"$LAB_OUT/discover.log" 2>&1 ||
	lab_fail "nvmf-host discover failed: $(tail -1 "$LAB_OUT/discover.log")"
grep -q "subnqn: *$NQN" "$LAB_OUT/discover.log" ||
	lab_fail "nvmf-host discover does not list $NQN"
"$H" discover -t rdma -a "$LAB_PEER" -o json >"$LAB_OUT/discover.json" 2>&1 &&
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["records"]; assert any(x["subnqn"]==sys.argv[2] for x in r)' \
		"$LAB_OUT/discover.json" "$NQN" ||
	lab_fail "nvmf-host discover -o json does not list $NQN"
lab_event "nvmf-host discover lists $NQN (normal and json)"

name=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 -c 1 -l 60 2>"$LAB_OUT/connect.err") ||
	lab_fail "nvmf-host connect failed: $(cat "$LAB_OUT/connect.err")"
f=$(lab_host_file "$name")
[ -f "$f" ] || lab_fail "no namespace file $f after connect"
lab_event "connected: $name, namespace file $f ($(stat -c %s "$f") bytes)"
[ "$(stat -c %s "$f")" = $((256 * 1024 * 1024)) ] ||
	lab_fail "$f: size $(stat -c %s "$f"), expected 256 MiB"

"$H" list >"$LAB_OUT/list.txt" || lab_fail "nvmf-host list failed"
grep -q "^$name: live" "$LAB_OUT/list.txt" || lab_fail "list: $name is not live"
grep -q "subnqn: *$NQN" "$LAB_OUT/list.txt" || lab_fail "list lacks $NQN"
grep -q "namespace 1: $f, 268435456 bytes" "$LAB_OUT/list.txt" ||
	lab_fail "list lacks namespace 1"
[ "$(lab_host_state "$name")" = live ] || lab_fail "list -o json: not live"
lab_event "nvmf-host list: $name live, namespace 1 = $f"

dd if=/dev/urandom of="$LAB_OUT/pattern" bs=64k count=16 status=none
dd if="$LAB_OUT/pattern" of="$f" bs=64k oflag=direct conv=notrunc status=none ||
	lab_fail "dd write to $f failed"
dd if="$f" of="$LAB_OUT/readback" bs=64k count=16 iflag=direct status=none ||
	lab_fail "dd read from $f failed"
cmp "$LAB_OUT/readback" "$LAB_OUT/pattern" || lab_fail "dd read-back differs"
lab_event "dd 1 MiB write + direct read-back: identical"
# fallocate: zero range and punch hole over more than 64Ki blocks (more
# than one command: the split is checked at the blocks around 32 MiB), and
# a range beyond the namespace (2^32 + 4 KiB) refused rather than cut to
# 32 bits
for o in 0 $(((32 << 20) - 4096)) $((32 << 20)) $(((33 << 20) - 4096)); do
	dd if=/dev/urandom of="$f" bs=4k count=1 seek=$((o / 4096)) \
		oflag=direct conv=notrunc status=none ||
		lab_fail "dd write at $o to $f failed"
done
fallocate -z -o 0 -l 33MiB "$f" || lab_fail "fallocate -z of 33 MiB failed"
for o in 0 $(((32 << 20) - 4096)) $((32 << 20)) $(((33 << 20) - 4096)); do
	cmp -n 4096 -i "$o:0" "$f" /dev/zero ||
		lab_fail "33 MiB zero range: the 4 KiB at $o is not zeroes"
done
fallocate -p -o 4MiB -l 29MiB "$f" || lab_fail "fallocate -p of 29 MiB failed"
fallocate -z -o 0 -l $(((1 << 32) + 4096)) "$f" 2>"$LAB_OUT/falloc.err" &&
	lab_fail "fallocate -z of 4 GiB + 4 KiB (beyond the namespace) succeeded"
lab_event "fallocate: 33 MiB zero range (zeroes on both sides of 32 MiB), 29 MiB punch hole, 4 GiB + 4 KiB refused ($(cat "$LAB_OUT/falloc.err"))"

lab_fio_verify randwrite "$f" --rw=randwrite --bs=4k --iodepth=16 \
	--numjobs=2 --offset_increment=64M --size="${FIO_4K_SIZE:-8M}" ||
	lab_fail "fio 4k randwrite verify on $f failed: $(grep -m1 -i err "$LAB_OUT/fio-randwrite.log")"
lab_event "fio 4k randwrite (2 jobs, QD16) crc32c verify on the FUSE file: ok"
lab_fio_verify seq128k "$f" --rw=write --bs=128k --iodepth=8 \
	--size="${FIO_128K_SIZE:-64M}" ||
	lab_fail "fio 128k write verify failed"
lab_event "fio 128k seq write crc32c verify: ok"
lab_report "nvmf-host FUSE file: $(grep -h 'WRITE: bw' "$LAB_OUT"/fio-*.log | sed 's/^ *//; s/ (.*//' | tr '\n' ';')"

"$H" disconnect -d "$name" >"$LAB_OUT/disconnect.log" 2>&1 ||
	lab_fail "nvmf-host disconnect -d $name failed: $(cat "$LAB_OUT/disconnect.log")"
[ -e "$f" ] && lab_fail "$f still exists after disconnect"
lab_event "disconnected $name; its files are gone"

# connect-all: every subsystem of the discovery log, with connect's
# options; the discovery controller from nvme-cli's JSON configuration
# (this host's entry); a second run, with -a, skips what is connected
cat >"$LAB_OUT/config.json" <<EOF
[ { "hostnqn": "$(cat /etc/nvme/hostnqn)", "hostid": "$(cat /etc/nvme/hostid)",
    "subsystems": [ { "nqn": "$NQN", "ports": [
      { "transport": "rdma", "traddr": "$LAB_PEER", "trsvcid": "4420" } ] } ] } ]
EOF
"$H" connect-all -J "$LAB_OUT/config.json" -c 1 -l 60 --export fuse \
	--log-level info --log-file "$LAB_OUT/nvmf-host.log" \
	>"$LAB_OUT/connect-all.out" 2>&1 ||
	lab_fail "nvmf-host connect-all failed: $(cat "$LAB_OUT/connect-all.out")"
all=$(grep -m1 '^nvmf[0-9]*$' "$LAB_OUT/connect-all.out") ||
	lab_fail "connect-all printed no controller: $(cat "$LAB_OUT/connect-all.out")"
lab_host_wait_live "$all" 10 || lab_fail "connect-all: $all is not live"
[ "$(lab_host_field "$all" subnqn)" = "$NQN" ] ||
	lab_fail "connect-all: $all is not $NQN"
[ -f "$(lab_host_file "$all")" ] || lab_fail "connect-all: no namespace file"
"$H" connect-all -t rdma -a "$LAB_PEER" -s 4420 --export fuse \
	>"$LAB_OUT/connect-all2.out" 2>&1 ||
	lab_fail "a second connect-all failed: $(cat "$LAB_OUT/connect-all2.out")"
grep -q "^$all: $NQN at .* is connected already" "$LAB_OUT/connect-all2.out" ||
	lab_fail "the second connect-all did not skip $all: $(cat "$LAB_OUT/connect-all2.out")"
"$H" disconnect-all >/dev/null 2>&1 || lab_fail "disconnect-all failed"
lab_event "connect-all -J config.json: $NQN connected as $all from the discovery log (same options); a second run (-a) skipped it"

trid="trtype:rdma adrfam:ipv4 traddr:$LAB_PEER trsvcid:4420 subnqn:$NQN"
"$H" perf -r "$trid" -q 16 -o 4096 -w randrw -M 50 -t 5 --size 16777216 \
	--verify >"$LAB_OUT/perf-verify.log" 2>&1 ||
	lab_fail "nvmf-host perf --verify failed: $(tail -3 "$LAB_OUT/perf-verify.log" | tr '\n' ' ')"
lab_report "perf --verify randrw: $(grep -h 'IOPS\|reads checked' "$LAB_OUT/perf-verify.log" | tr '\n' ';')"
lab_event "nvmf-host perf --verify 4k randrw QD16: ok"
# I/O queues owned by threads (nvmf_qpair_*): over RDMA here
"$H" perf -r "$trid" -q 8 -o 4096 -w randrw -M 50 -t 5 --size 16777216 \
	--threads 2 --verify >"$LAB_OUT/perf-threads.log" 2>&1 ||
	lab_fail "nvmf-host perf --threads 2 --verify failed: $(tail -3 "$LAB_OUT/perf-threads.log" | tr '\n' ' ')"
lab_report "perf --threads 2 --verify randrw: $(grep -h 'IOPS\|reads checked' "$LAB_OUT/perf-threads.log" | tr '\n' ';')"
lab_event "nvmf-host perf --threads 2 (an I/O queue each) --verify 4k randrw QD8 each: ok"

for i in $(seq "$CYCLES"); do
	n=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 2>"$LAB_OUT/cycle.err") ||
		lab_fail "connect $i/$CYCLES failed: $(cat "$LAB_OUT/cycle.err")"
	dd if="$(lab_host_file "$n")" of=/dev/null bs=4k count=16 iflag=direct \
		status=none || lab_fail "cycle $i: read failed"
	"$H" disconnect -n "$NQN" >/dev/null 2>&1 ||
		lab_fail "disconnect $i/$CYCLES failed"
done
"$H" list | grep -q 'No NVMe-oF controllers' || lab_fail "controllers left after the cycles"
lab_event "$CYCLES connect/read/disconnect cycles: ok"

# kill -9 of a daemon: the next command removes its entry and detaches its
# dead mount, and the next connect takes the same name again
k=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 2>"$LAB_OUT/kill.err") ||
	lab_fail "connect before kill -9: $(cat "$LAB_OUT/kill.err")"
kpid=$(lab_host_pid "$k")
kill -9 "$kpid"
lab_retry 20 lab_not kill -0 "$kpid" || lab_fail "$k's daemon survived kill -9"
grep -q " /run/nvmf-host/$k fuse" /proc/mounts ||
	lab_event "note: no dead mount of $k after kill -9"
"$H" list >"$LAB_OUT/list-after-kill.txt" 2>&1
grep -q "^$k:" "$LAB_OUT/list-after-kill.txt" && lab_fail "$k still listed after its daemon was killed"
grep -q " /run/nvmf-host/$k " /proc/mounts && lab_fail "$k's dead mount is left"
k2=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 2>"$LAB_OUT/kill.err") ||
	lab_fail "connect after kill -9: $(cat "$LAB_OUT/kill.err")"
[ "$k2" = "$k" ] || lab_fail "the connect after kill -9 took $k2, not $k again"
dd if="$(lab_host_file "$k2")" of=/dev/null bs=4k count=1 iflag=direct 2>"$LAB_OUT/kill.err" ||
	lab_fail "read on $k2 after kill -9: $(cat "$LAB_OUT/kill.err")"
"$H" disconnect -d "$k2" >/dev/null 2>&1 || lab_fail "disconnect $k2 failed"
lab_report "kill -9 of $k's daemon: list removed its entry ($(grep -m1 -o 'removed:.*' "$LAB_OUT/list-after-kill.txt")); the next connect took $k2 again and reads"

# bad input: a one-line reason and a non-zero exit, never a hang
bad() {	# bad WHAT EXPECTED-RC CMD...: must fail with that code within 30 s
	local what=$1 want=$2 rc
	shift 2
	timeout 30 "$@" >"$LAB_OUT/bad.out" 2>"$LAB_OUT/bad.err"
	rc=$?
	[ "$rc" = "$want" ] ||
		lab_fail "$what: exit $rc (want $want): $(cat "$LAB_OUT/bad.err")"
	[ "$(wc -l <"$LAB_OUT/bad.err")" -ge 1 ] || lab_fail "$what: no message"
	echo "$what: $(head -1 "$LAB_OUT/bad.err")" >>"$LAB_OUT/bad-input.txt"
}
bad "unknown flag" 2 "$H" connect --bogus
bad "no traddr" 2 "$H" connect -t rdma -n "$NQN"
bad "bad NQN" 2 "$H" connect -t rdma -a "$LAB_PEER" -n "not-an-nqn"
bad "bad transport" 2 "$H" connect -t fc -a "$LAB_PEER" -n "$NQN"
bad "bad address" 2 "$H" connect -t rdma -a 999.1.1.1 -n "$NQN"
bad "unknown NQN" 1 "$H" connect -t rdma -a "$LAB_PEER" -n nqn.2014-08.org.nvmf-lab:nonexistent
bad "unreachable target" 1 "$H" connect -t rdma -a 10.77.0.99 -n "$NQN"
bad "closed port" 1 "$H" discover -t rdma -a "$LAB_PEER" -s 4999
bad "perf bad workload" 2 "$H" perf -r "$trid" -w sideways -t 1
lab_report "bad input: $(wc -l <"$LAB_OUT/bad-input.txt") cases, each a one-line reason and the right exit code"
if grep -q 'Sanitizer' "$LAB_OUT/nvmf-host.log" "$LAB_OUT"/perf-*.log 2>/dev/null; then
	lab_fail "sanitizer report: $(grep -h -m1 'Sanitizer' "$LAB_OUT/nvmf-host.log" "$LAB_OUT"/perf-*.log)"
fi

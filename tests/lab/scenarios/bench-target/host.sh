# bench-target, host node: the raw verbs limits, then the same fio jobs
# against both targets.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"

# perftest clients (rdma_cm) against the target node's servers.  They
# are the raw verbs baseline, not our code: a run that fails (in CI,
# ib_write_lat once gave up after 10 s with "Operation not supported" and
# crashed in its error path) is logged with its output and run again, with
# a new server, up to 3 times; core dumps of perftest are not kept.
for t in "${PERFTESTS[@]}"; do
	set -- $t
	for try in 1 2 3; do
		lab_wait "$1-server-$try" 120
		(
			ulimit -c 0
			exec $t -d rxe0 -R -F "$LAB_PEER"
		) >"$LAB_OUT/$1.txt" 2>&1 && break
		rc=$?
		cp "$LAB_OUT/$1.txt" "$LAB_OUT/$1.failed-$try.txt"
		why="exit $rc: $(grep -v '^-*$' "$LAB_OUT/$1.txt" |
			grep -i -A2 'error\|fail\|unexpected' | tr -s '\n\t' '  ' |
			cut -c1-300)"
		[ "$try" -lt 3 ] || lab_fail "$1 failed 3 times; the last: $why"
		lab_event "$1 (raw verbs baseline) failed in attempt $try of 3, output in $1.failed-$try.txt: $why"
		lab_signal "$1-retry-$try"
	done
	lab_signal "$1-done"
done
lab_wait target-ready 120


# job NAME DEV fio-args...: one timed fio run, JSON output kept; the VMs'
# qemu CPU time at the end of its ramp (NAME.before.cpu) and at its end
# (NAME.cpu), so that the CPU time matches the I/Os fio counts
job() {
	local name=$1 dev=$2 cpid
	shift 2
	(
		sleep "$RAMP"
		lab_qemu_cpu "$name.before" >/dev/null
	) &
	cpid=$!
	fio --name="$name" --filename="$dev" --ioengine=libaio --direct=1 \
		--time_based --runtime="$RUNTIME" --ramp_time="$RAMP" \
		--output-format=json --output="$LAB_OUT/$name.json" "$@" ||
		lab_fail "fio $name failed"
	wait "$cpid"
	lab_qemu_cpu "$name" >/dev/null
	python3 - "$LAB_OUT/$name.json" <<'PY' || lab_fail "fio $name reported errors"
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
sys.exit(1 if j["error"] else 0)
PY
}

kdev=$(lab_nvme_connect "$KNQN" "$LAB_PEER" 4420) || exit 1
odev=$(lab_nvme_connect "$ONQN" "$LAB_PEER" 4421) || exit 1
# namespace 2: the null device
knull=${kdev%n1}n2 onull=${odev%n1}n2
lab_retry 20 test -b "$knull" && lab_retry 20 test -b "$onull" ||
	lab_fail "no null namespace: $knull $onull"
lab_event "kernel target: $kdev $knull, nvmf-tgt: $odev $onull"
targets="kernel ours"
if [ -n "$B_ARGS$B_BUILD" ]; then
	bdev=$(lab_nvme_connect "$BNQN" "$LAB_PEER" 4422) || exit 1
	bnull=${bdev%n1}n2
	lab_retry 20 test -b "$bnull" || lab_fail "no null namespace: $bnull"
	lab_event "nvmf-tgt B: $bdev $bnull"
	targets="kernel ours oursb"
fi

# nvmf-tgt's counters (RUN_DIR/stats.json), before its first run of a
# round and after each run, once the file - rewritten 4 times a second
# while they change - has caught up: the target node copies it into its
# output directory on request
snap() {
	sleep 0.6
	lab_signal "snap-$1"
	lab_wait "snapped-$1" 60
	cp "/lab/out/target/$1.stats.json" "$LAB_OUT/" ||
		lab_fail "no counters from the target node ($1)"
}

# ROUNDS rounds; in each the kernel target and nvmf-tgt (and B) take
# turns, which goes first rotating from round to round, so that drift of
# the VMs' speed hits all of them
for r in $(seq "$ROUNDS"); do
	order=$(echo $targets | awk -v r="$r" '{
		for (i = 0; i < NF; i++)
			printf "%s ", $((i + r - 1) % NF + 1) }')
	for t in $order; do
		case $t in
		kernel) dev=$kdev null=$knull ;;
		ours) dev=$odev null=$onull ;;
		oursb) dev=$bdev null=$bnull ;;
		esac
		prev=$t-start-$r
		[ $t != kernel ] && snap "$prev"
		for spec in "randread --rw=randread --bs=4k --iodepth=32" \
			"randwrite --rw=randwrite --bs=4k --iodepth=32" \
			"seqread --rw=read --bs=128k --iodepth=8" \
			"lat --rw=randread --bs=4k --iodepth=1" \
			"nullread --rw=read --bs=128k --iodepth=8"; do
			set -- $spec
			name=$t-$1-$r
			shift
			d=$dev
			[ "$name" = "$t-nullread-$r" ] && d=$null
			job "$name" "$d" "$@"
			if [ $t != kernel ]; then
				snap "$name"
				# the run's counters: from the snapshot before it
				ln -sf "$prev.stats.json" "$LAB_OUT/$name.before.stats.json"
				prev=$name
			fi
		done
	done
	lab_event "round $r of $ROUNDS done"
done

# PROFILE=1: after the rounds, 4k random reads at QD32 and QD1 once more
# against each target with every CPU of the target VM sampled (their
# figures are not the bench's: sampling costs time)
if [ -n "${PROFILE:-}" ]; then
	for spec in "randread 32" "lat 1"; do
		set -- $spec
		for t in kernel ours; do
			dev=$kdev
			[ $t = ours ] && dev=$odev
			lab_signal "prof-start-$t-$1-profile"
			lab_wait "profiling-$t-$1-profile" 60
			job "$t-$1-profile" "$dev" --rw=randread --bs=4k \
				--iodepth="$2"
			lab_signal "prof-stop-$t-$1-profile"
			lab_wait "profiled-$t-$1-profile" 600
		done
	done
fi

python3 - "$LAB_OUT" "$ROUNDS" "$B_BUILD $B_ARGS" >"$LAB_OUT/bench.txt" <<'PY'
import json, os, statistics, sys
d, rounds = sys.argv[1], int(sys.argv[2])
b_what = " ".join(sys.argv[3].split())  # B_ARGS may come one word a line
ours = ["ours", "oursb"] if b_what else ["ours"]
def get(name):
    return json.load(open(os.path.join(d, name + ".json")))["jobs"][0]
def value(t, job, rw, what, r):
    j = get("%s-%s-%d" % (t, job, r))[rw]
    if what == "iops":
        return j["iops"]
    if what == "bw":
        return j["bw"] / 1024.0
    return j["clat_ns"]["mean"] / 1000.0
rows = [("4k randread QD32", "randread", "read", "iops", "IOPS"),
        ("4k randwrite QD32", "randwrite", "write", "iops", "IOPS"),
        ("128k seq read QD8", "seqread", "read", "bw", "MiB/s"),
        ("4k read QD1 latency", "lat", "read", "lat", "us (mean)"),
        ("128k read QD8 null", "nullread", "read", "bw", "MiB/s")]
# the raw verbs limits of the same VM pair (perftest, rdma_cm)
def perftest(name, col, where=d):
    for line in open(os.path.join(where, name + ".txt")):
        f = line.split()
        if len(f) > col and f[0] in ("131072", "4096") and f[1].isdigit():
            return float(f[col])
    return float("nan")
# a bandwidth as the better of the two sides' figures: ib_send_bw's
# sender at times prints 0.00 while its receiver (the target node) measured
def perftest_bw(name):
    v = [x for x in (perftest(name, 3), perftest(name, 3, "/lab/out/target"))
         if x == x]
    return max(v) if v else float("nan")
# (ib_write_bw and ib_write_lat can only spin, which two TCG VMs on two
# CPUs pay for; ib_send_bw and ib_send_lat sleep on completion events)
write_bw = perftest_bw("ib_write_bw")  # BW average [MB/sec]
send_bw = perftest_bw("ib_send_bw")
wire_bw = max(write_bw, send_bw)
print("raw verbs, 128 KiB: ib_write_bw %.1f MB/sec (spins), ib_send_bw "
      "%.1f MB/sec (events); 4 KiB latency typical: ib_send_lat %.1f us "
      "(events), ib_write_lat %.1f us (spins)" % (
          write_bw, send_bw, perftest("ib_send_lat", 4),
          perftest("ib_write_lat", 4)))
print("%-22s %12s %12s %8s  %s" % ("bench-target", "kernel", "nvmf-tgt",
                                   "ratio", "unit"))
def series(t, job, rw, what):
    return [value(t, job, rw, what, r) for r in range(1, rounds + 1)]
# for latency, lower is better: ratio = base / new
def ratios(base, new, what):
    return [a / b if what == "lat" else b / a for a, b in zip(base, new)]
for title, job, rw, what, unit in rows:
    k = series("kernel", job, rw, what)
    o = series("ours", job, rw, what)
    rt = ratios(k, o, what)
    print("%-22s %12.1f %12.1f %8.2f  %s (rounds: %s)" % (
        title, statistics.median(k), statistics.median(o),
        statistics.median(rt), unit, " ".join("%.2f" % x for x in rt)))
if b_what:
    print("A/B: B is nvmf-tgt with %s; B/A > 1: B is better (latency: A/B)"
          % b_what)
    print("%-22s %12s %12s %8s %8s  %s" % ("bench-target A/B", "A", "B",
                                          "B/kernel", "B/A", "unit"))
    for title, job, rw, what, unit in rows:
        k = series("kernel", job, rw, what)
        a = series("ours", job, rw, what)
        b = series("oursb", job, rw, what)
        ba = ratios(a, b, what)
        print("%-22s %12.1f %12.1f %8.2f %8.2f  %s (B/A rounds: %s)" % (
            title, statistics.median(a), statistics.median(b),
            statistics.median(ratios(k, b, what)), statistics.median(ba),
            unit, " ".join("%.2f" % x for x in ba)))
o = statistics.median(value("ours", "nullread", "read", "bw", r)
                      for r in range(1, rounds + 1))
print("128k reads from the null device: nvmf-tgt %.1f MiB/s (fio) = %.2f "
      "of the better raw verbs bandwidth, %.1f MB/sec (as perftest prints "
      "it)" % (o, o / wire_bw, wire_bw))
print("medians of %d rounds; ratio: the median of the per-round ratios, "
      "ours relative to the kernel, >1 is better for us (latency: "
      "kernel/ours)" % rounds)

# CPU time per I/O of each VM's qemu process (all its threads: what the
# guest's kernel, rxe, the target and fio cost this machine), from lab.sh
# from the end of fio's ramp to its end, over the I/Os fio counted
def cpu_per_io(name):
    a = [float(x) for x in open(os.path.join(d, name + ".before.cpu")).read().split()]
    b = [float(x) for x in open(os.path.join(d, name + ".cpu")).read().split()]
    j = get(name)
    n = j["read"]["total_ios"] + j["write"]["total_ios"]
    return [(y - x) * 1000.0 / max(n, 1) for x, y in zip(a, b)]
for t in ours:
  print("qemu CPU per I/O (us)  %14s %14s %8s  %14s %14s %8s" % (
      "target VM: kernel", "nvmf-tgt" if t == "ours" else "nvmf-tgt B",
      "ratio", "host VM: kernel", "with ours", "ratio"))
  for title, job, rw, what, unit in rows:
    k = [cpu_per_io("kernel-%s-%d" % (job, r)) for r in range(1, rounds + 1)]
    o = [cpu_per_io("%s-%s-%d" % (t, job, r)) for r in range(1, rounds + 1)]
    cols = []
    for vm in (0, 1):
        kv = [x[vm] for x in k]
        ov = [x[vm] for x in o]
        # kernel/ours: >1 is better for us, as for latency
        rt = [a / b if b > 0 else float("nan") for a, b in zip(kv, ov)]
        cols += [statistics.median(kv), statistics.median(ov),
                 statistics.median(rt)]
    print("%-22s %14.1f %14.1f %8.2f  %14.1f %14.1f %8.2f" % (
        (title,) + tuple(cols)))
print("CPU ratio: kernel/ours, >1 is better for us; the host VM runs the "
      "kernel host and fio in both columns")

# what each I/O cost nvmf-tgt, from its counters (all rounds of a job)
def total(name):
    return json.load(open(os.path.join(d, name + ".stats.json")))["total"]
keys = ["send_doorbells", "send_wrs", "recv_posts", "cq_wakeups", "cq_arms",
        "cq_polls", "work_completions", "uring_enters", "uring_wakeups",
        "uring_fixed_files", "uring_fixed_buffers", "allocations", "spins",
        "spin_hits"]
for t in ours:
  print("%s per I/O: %s syscalls(at most)" % (
      "nvmf-tgt" if t == "ours" else "nvmf-tgt B", " ".join(keys)))
  for title, job, rw, what, unit in rows:
    delta = dict.fromkeys(keys + ["ios"], 0)
    for r in range(1, rounds + 1):
        a = total("%s-%s-%d.before" % (t, job, r))
        b = total("%s-%s-%d" % (t, job, r))
        for key in delta:
            delta[key] += b[key] - a[key]
    n = max(delta["ios"], 1)
    # on rxe a send doorbell and a CQ re-arm are each a write() to the
    # device; a wake-up is an epoll_wait plus the read of the completion
    # channel or of the ring's eventfd; io_uring_enter is one (at most:
    # one epoll_wait may return both kinds of wake-up)
    sys_calls = (delta["send_doorbells"] + delta["cq_arms"] +
                 2 * delta["cq_wakeups"] + delta["uring_enters"] +
                 2 * delta["uring_wakeups"])
    print("%-22s %s %.2f (%d I/Os)" % (
        title, " ".join("%.2f" % (delta[k] / n) for k in keys),
        sys_calls / n, delta["ios"]))
    if t == "ours" and job == "lat":
        with open(os.path.join(d, "ours-lat.wakeups"), "w") as f:
            f.write("%.3f\n" % (delta["cq_wakeups"] / n))
PY
cat "$LAB_OUT/bench.txt"
while read -r line; do lab_report "$line"; done <"$LAB_OUT/bench.txt"
# A response's send completion wakes nobody (target/rdma_io.c: the send
# CQ is armed only while something waits for it): at QD1, one wake-up per
# read, for its command (1.69 when sends woke the worker too).  A count,
# not a speed.
w=$(cat "$LAB_OUT/ours-lat.wakeups" 2>/dev/null)
lab_at_most "$w" 1.3 ||
	lab_fail "nvmf-tgt at QD1: ${w:-no} completion wake-ups per I/O, expected about 1 (its command)"
nvme disconnect -n "$KNQN" >/dev/null 2>&1
nvme disconnect -n "$ONQN" >/dev/null 2>&1
[ -n "$B_ARGS$B_BUILD" ] && nvme disconnect -n "$BNQN" >/dev/null 2>&1
lab_signal host-done
lab_pass

# bench-host, host node: the kernel host (fio), nvmf-host perf and fio on
# nvmf-host's block device, the same workloads, alternating in ROUNDS
# rounds; figures are medians, ratios the median of the per-round ratios.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait target-ready 120

kdev=$(lab_nvme_connect "$NQN" "$LAB_PEER" 4420) || exit 1
# our block device (NBD export), connected beside the kernel's
bname=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 --export nbd 2>&1) ||
	lab_fail "nvmf-host connect (block device) failed: $bname"
bdev=$(lab_host_field "$bname" file)
[ -b "$bdev" ] || lab_fail "no block device for $bname: '$bdev'"
lab_event "kernel host: $kdev, nvmf-host block device: $bdev"

# fjob WHO DEV NAME fio-args...: fio on DEV, JSON in WHO-NAME.json; the
# VMs' qemu CPU time at the end of its ramp (WHO-NAME.before.cpu) and at
# its end (WHO-NAME.cpu), so that the CPU time matches the I/Os fio counts
fjob() {
	local who=$1 dev=$2 name=$3 cpid
	shift 3
	[ "$who" = block ] && bsnap "$name.before"
	(
		sleep "$RAMP"
		lab_qemu_cpu "$who-$name.before" >/dev/null
	) &
	cpid=$!
	fio --name="$name" --filename="$dev" --ioengine=libaio --direct=1 \
		--time_based --runtime="$RUNTIME" --ramp_time="$RAMP" \
		--output-format=json --output="$LAB_OUT/$who-$name.json" "$@" ||
		lab_fail "fio $name on $dev failed"
	wait "$cpid"
	lab_qemu_cpu "$who-$name" >/dev/null
	[ "$who" = block ] && bsnap "$name"
	return 0
}
# bsnap NAME: the block device daemon's counters (status.json, which its
# status tick rewrites once a second while they change) as block-NAME.status.json
bsnap() {
	sleep 1.2
	cp "/run/nvmf-host/ctrl/$bname/status.json" "$LAB_OUT/block-$1.status.json" ||
		lab_fail "no status.json of $bname"
}
trid="trtype:rdma adrfam:ipv4 traddr:$LAB_PEER trsvcid:4420 subnqn:$NQN"
ojob() {	# ojob NAME perf-args...: nvmf-host perf, output kept
	local name=$1
	shift
	lab_qemu_cpu "ours-$name.before" >/dev/null
	"$NVMF_HOST" perf -r "$trid" -t "$RUNTIME" "$@" \
		>"$LAB_OUT/ours-$name.txt" 2>&1 ||
		lab_fail "nvmf-host perf $name failed: $(tail -2 "$LAB_OUT/ours-$name.txt")"
	lab_qemu_cpu "ours-$name" >/dev/null
}
fio_set() {	# fio_set WHO DEV ROUND
	fjob "$1" "$2" "randread-$3" --rw=randread --bs=4k --iodepth=32
	fjob "$1" "$2" "randwrite-$3" --rw=randwrite --bs=4k --iodepth=32
	fjob "$1" "$2" "seqread-$3" --rw=read --bs=128k --iodepth=8
	fjob "$1" "$2" "lat-$3" --rw=randread --bs=4k --iodepth=1
	# two submitting threads: fio's jobs; perf's threads own a queue each
	fjob "$1" "$2" "mt-$3" --rw=randread --bs=4k --iodepth=16 \
		--numjobs=2 --group_reporting
}
perf_set() {	# perf_set ROUND
	ojob "randread-$1" -w randread -o 4096 -q 32
	ojob "randwrite-$1" -w randwrite -o 4096 -q 32
	ojob "seqread-$1" -w read -o 131072 -q 8
	ojob "lat-$1" -w randread -o 4096 -q 1
	ojob "latpoll-$1" -w randread -o 4096 -q 1 --busy-poll
	ojob "randreadpoll-$1" -w randread -o 4096 -q 32 --busy-poll
	ojob "mt-$1" -w randread -o 4096 -q 16 --threads 2
}

for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		fio_set kernel "$kdev" "$r"
		perf_set "$r"
		fio_set block "$bdev" "$r"
	else
		fio_set block "$bdev" "$r"
		perf_set "$r"
		fio_set kernel "$kdev" "$r"
	fi
	lab_event "round $r of $ROUNDS done"
done
# PROFILE=1: after the rounds, the QD32 and QD1 reads once more for each
# host with every CPU of this VM sampled (their figures are not the
# bench's: sampling costs time)
if [ -n "${PROFILE:-}" ]; then
	for spec in "randread -q 32" "lat -q 1"; do
		set -- $spec
		lab_profile_start "kernel-$1-profile"
		fjob kernel "$kdev" "$1-profile" --rw=randread --bs=4k \
			--iodepth="$3"
		lab_profile_stop
		lab_profile_start "ours-$1-profile"
		ojob "$1-profile" -w randread -o 4096 "$2" "$3"
		lab_profile_stop
	done
fi
"$NVMF_HOST" disconnect -d "$bname" >/dev/null || lab_fail "disconnect $bname failed"
nvme disconnect -n "$NQN" >/dev/null 2>&1

python3 - "$LAB_OUT" "$ROUNDS" >"$LAB_OUT/bench.txt" <<'PY'
import json, os, re, statistics, sys
d, rounds = sys.argv[1], int(sys.argv[2])
def fio(who, name, rw, what, r):
    j = json.load(open(os.path.join(d, "%s-%s-%d.json" % (who, name, r))))
    j = j["jobs"][0][rw]
    return {"iops": j["iops"], "bw": j["bw"] / 1024.0,
            "lat": j["clat_ns"]["mean"] / 1000.0}[what]
def perf(name, r):
    return open(os.path.join(d, "ours-%s-%d.txt" % (name, r))).read()
def ours(name, what, r):
    m = dict(re.findall(r"(\w+)=([\d.]+)", perf(name, r).split("result:")[1]))
    return {"iops": float(m["iops"]), "bw": float(m["mibps"]),
            "lat": float(m["lat_avg_us"])}[what]
rows = [("4k randread QD32", "randread", "read", "iops", "IOPS"),
        ("4k randwrite QD32", "randwrite", "write", "iops", "IOPS"),
        ("128k seq read QD8", "seqread", "read", "bw", "MiB/s"),
        ("4k read QD1 latency", "lat", "read", "lat", "us (mean)"),
        ("  same, busy polling", "lat", "read", "lat", "us (mean)", "latpoll"),
        ("4k randread QD32 poll", "randread", "read", "iops", "IOPS",
         "randreadpoll"),
        ("4k randread 2 x QD16", "mt", "read", "iops", "IOPS"),
        ("blk 4k randread QD32", "randread", "read", "iops", "IOPS", "B"),
        ("blk 4k randwrite QD32", "randwrite", "write", "iops", "IOPS", "B"),
        ("blk 128k seq read QD8", "seqread", "read", "bw", "MiB/s", "B"),
        ("blk 4k read QD1 lat", "lat", "read", "lat", "us (mean)", "B"),
        ("blk 4k randread 2xQD16", "mt", "read", "iops", "IOPS", "B")]
print("%-22s %12s %12s %8s  %s" % ("bench-host", "kernel", "nvmf-host",
                                   "ratio", "unit"))
for row in rows:
    title, name, rw, what, unit = row[:5]
    ks, os_, ratios = [], [], []
    for r in range(1, rounds + 1):
        k = fio("kernel", name, rw, what, r)
        if len(row) > 5 and row[5] == "B":
            o = fio("block", name, rw, what, r)
        else:
            o = ours(row[5] if len(row) > 5 else name, what, r)
        ks.append(k)
        os_.append(o)
        ratios.append(k / o if what == "lat" else o / k)
    print("%-22s %12.1f %12.1f %8.2f  %s (rounds: %s)" % (
        title, statistics.median(ks), statistics.median(os_),
        statistics.median(ratios), unit,
        " ".join("%.2f" % x for x in ratios)))
print("medians of %d rounds; ratio: the median of the per-round ratios, "
      "ours relative to the kernel host, >1 is better for us (latency: "
      "kernel/ours); 'poll' rows: nvmf-host perf --busy-poll, 'blk' rows: "
      "the same fio job on nvmf-host's block device (/dev/nbdN) instead of "
      "the kernel's /dev/nvmeXnY; '2 x QD16': fio --numjobs=2, perf "
      "--threads 2 (each thread owns an I/O queue)" % rounds)
# CPU time per I/O of each VM's qemu process, from lab.sh: fio's from the
# end of its ramp to its end, over the I/Os it counted; perf's around the
# whole run, over the I/Os of its timed run (its counters), so that its
# connect and disconnect count against it
def cpu(name):
    return [float(x) for x in open(os.path.join(d, name + ".cpu")).read().split()]
def cpu_per_io(who, name, r):
    n = "%s-%s-%d" % (who, name, r)
    if who == "ours":
        m = re.search(r"ios=(\d+)", perf(name, r))
        ios = int(m.group(1)) if m else 0
    else:
        j = json.load(open(os.path.join(d, n + ".json")))["jobs"][0]
        ios = j["read"]["total_ios"] + j["write"]["total_ios"]
    return [(y - x) * 1000.0 / max(ios, 1)
            for x, y in zip(cpu(n + ".before"), cpu(n))]
print("%-22s %9s %9s %9s %6s   %9s %9s %9s" % (
    "qemu CPU per I/O (us)", "host VM:", "", "", "", "target VM:", "", ""))
print("%-22s %9s %9s %9s %6s   %9s %9s %9s" % (
    "(medians)", "kernel", "nvmf-host", "blk", "ratio", "kernel", "nvmf-host",
    "blk"))
for row in rows:
    title, name = row[0], row[1]
    if len(row) > 5 and row[5] == "B":
        continue
    who = row[5] if len(row) > 5 else name
    k = [cpu_per_io("kernel", name, r) for r in range(1, rounds + 1)]
    o = [cpu_per_io("ours", who, r) for r in range(1, rounds + 1)]
    b = [cpu_per_io("block", name, r) for r in range(1, rounds + 1)]
    med = lambda v, vm: statistics.median(x[vm] for x in v)
    ratio = statistics.median(x[0] / y[0] if y[0] > 0 else float("nan")
                              for x, y in zip(k, o))
    print("%-22s %9.1f %9.1f %9.1f %6.2f   %9.1f %9.1f %9.1f" % (
        title, med(k, 0), med(o, 0), med(b, 0), ratio, med(k, 1),
        med(o, 1), med(b, 1)))
print("kernel: fio on the kernel host's device, nvmf-host: perf, blk: fio "
      "on nvmf-host's block device; ratio: host VM, kernel/nvmf-host, >1 is "
      "better for us; the target VM runs the kernel target in every column")
# what each I/O cost nvmf-host perf (the library's counters, last round)
for name in ("randread", "randwrite", "seqread", "lat", "latpoll",
             "randreadpoll", "mt"):
    m = re.search(r"per_io: (.*)", perf(name, rounds))
    print("nvmf-host per I/O %-13s %s" % (name, m.group(1) if m else "?"))
# what each request of the block device cost the daemon (last round): its
# socket system calls, and the library's counters per I/O beside them
for name in ("randread", "randwrite", "seqread", "lat"):
    st = [json.load(open(os.path.join(d, "block-%s-%d%s.status.json" %
                                      (name, rounds, w))))
          for w in (".before", "")]
    b = {k: st[1]["block_devices"][k] - st[0]["block_devices"][k]
         for k in st[1]["block_devices"]}
    l = {k: st[1]["stats"][k] - st[0]["stats"][k] for k in st[1]["stats"]}
    n, ios = max(b["requests"], 1), max(l["ios"], 1)
    print("nvmf-host block device %-9s per request: socket_events=%.2f "
          "recv_calls=%.2f send_calls=%.2f; per I/O: cq_wakeups=%.2f "
          "send_doorbells=%.2f allocations=%.2f (%d requests, %d I/Os)" %
          (name, b["socket_events"] / n, b["recv_calls"] / n,
           b["send_calls"] / n, l["cq_wakeups"] / ios,
           l["send_doorbells"] / ios, l["allocations"] / ios,
           b["requests"], l["ios"]))
PY
[ -s "$LAB_OUT/bench.txt" ] || lab_fail "no figures"
cat "$LAB_OUT/bench.txt"
while read -r line; do lab_report "$line"; done <"$LAB_OUT/bench.txt"
# A command's send completion wakes nobody (host/rdma.c: the send CQ is
# armed only while a response waits for it): at QD1, one wake-up per I/O,
# for its response (1.58 when sends woke the loop too).  A count, not a
# speed.
w=$(sed -n 's/.*per_io: .*cq_wakeups=\([0-9.]*\).*/\1/p' \
	"$LAB_OUT/ours-lat-$ROUNDS.txt")
lab_at_most "$w" 1.3 ||
	lab_fail "nvmf-host perf at QD1: ${w:-no} completion wake-ups per I/O, expected about 1 (its response)"
lab_signal host-done
lab_pass

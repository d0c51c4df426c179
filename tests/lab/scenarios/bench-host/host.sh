# bench-host, host node: the kernel host (fio) and nvmf-host perf, one
# after the other, the same four workloads.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait target-ready 120

kdev=$(lab_nvme_connect "$NQN" "$LAB_PEER" 4420) || exit 1
fjob() {	# fjob WHO DEV NAME fio-args...: fio on DEV, JSON in WHO-NAME.json
	local who=$1 dev=$2 name=$3
	shift 3
	fio --name="$name" --filename="$dev" --ioengine=libaio --direct=1 \
		--time_based --runtime="$RUNTIME" --ramp_time=2 \
		--output-format=json --output="$LAB_OUT/$who-$name.json" "$@" ||
		lab_fail "fio $name on $dev failed"
}
kjob() { fjob kernel "$kdev" "$@"; }	# the kernel host
kjob randread --rw=randread --bs=4k --iodepth=32
kjob randwrite --rw=randwrite --bs=4k --iodepth=32
kjob seqread --rw=read --bs=128k --iodepth=8
kjob lat --rw=randread --bs=4k --iodepth=1
nvme disconnect -n "$NQN" >/dev/null 2>&1
lab_event "kernel host: 4 fio runs done"

trid="trtype:rdma adrfam:ipv4 traddr:$LAB_PEER trsvcid:4420 subnqn:$NQN"
ojob() {	# ojob NAME perf-args...: nvmf-host perf, output kept
	local name=$1
	shift
	"$NVMF_HOST" perf -r "$trid" -t "$RUNTIME" "$@" \
		>"$LAB_OUT/ours-$name.txt" 2>&1 ||
		lab_fail "nvmf-host perf $name failed: $(tail -2 "$LAB_OUT/ours-$name.txt")"
}
ojob randread -w randread -o 4096 -q 32
ojob randwrite -w randwrite -o 4096 -q 32
ojob seqread -w read -o 131072 -q 8
ojob lat -w randread -o 4096 -q 1
ojob latpoll -w randread -o 4096 -q 1 --busy-poll
ojob randreadpoll -w randread -o 4096 -q 32 --busy-poll
lab_event "nvmf-host perf: 6 runs done"

# the same fio jobs on nvmf-host's block device (NBD export)
bname=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 --export nbd 2>&1) ||
	lab_fail "nvmf-host connect (block device) failed: $bname"
bdev=$(lab_host_field "$bname" file)
[ -b "$bdev" ] || lab_fail "no block device for $bname: '$bdev'"
bjob() { fjob block "$bdev" "$@"; }	# our block device
bjob randread --rw=randread --bs=4k --iodepth=32
bjob randwrite --rw=randwrite --bs=4k --iodepth=32
bjob seqread --rw=read --bs=128k --iodepth=8
bjob lat --rw=randread --bs=4k --iodepth=1
"$NVMF_HOST" disconnect -d "$bname" >/dev/null || lab_fail "disconnect $bname failed"
lab_event "nvmf-host block device $bdev: 4 fio runs done"

python3 - "$LAB_OUT" >"$LAB_OUT/bench.txt" <<'PY'
import json, os, re, sys
d = sys.argv[1]
def kernel(name, rw, what, who="kernel"):
    j = json.load(open(os.path.join(d, "%s-%s.json" % (who, name))))["jobs"][0][rw]
    return {"iops": j["iops"], "bw": j["bw"] / 1024.0,
            "lat": j["clat_ns"]["mean"] / 1000.0}[what]
def ours(name, what):
    t = open(os.path.join(d, "ours-%s.txt" % name)).read()
    m = dict(re.findall(r"(\w+)=([\d.]+)", t.split("result:")[1]))
    return {"iops": float(m["iops"]), "bw": float(m["mibps"]),
            "lat": float(m["lat_avg_us"])}[what]
rows = [("4k randread QD32", "randread", "read", "iops", "IOPS"),
        ("4k randwrite QD32", "randwrite", "write", "iops", "IOPS"),
        ("128k seq read QD8", "seqread", "read", "bw", "MiB/s"),
        ("4k read QD1 latency", "lat", "read", "lat", "us (mean)"),
        ("  same, busy polling", "lat", "read", "lat", "us (mean)", "latpoll"),
        ("4k randread QD32 poll", "randread", "read", "iops", "IOPS",
         "randreadpoll"),
        ("blk 4k randread QD32", "randread", "read", "iops", "IOPS", "B"),
        ("blk 4k randwrite QD32", "randwrite", "write", "iops", "IOPS", "B"),
        ("blk 128k seq read QD8", "seqread", "read", "bw", "MiB/s", "B"),
        ("blk 4k read QD1 lat", "lat", "read", "lat", "us (mean)", "B")]
print("%-22s %12s %12s %8s  %s" % ("bench-host", "kernel", "nvmf-host",
                                   "ratio", "unit"))
for row in rows:
    title, name, rw, what, unit = row[:5]
    k = kernel(name, rw, what)
    if len(row) > 5 and row[5] == "B":
        o = kernel(name, rw, what, "block")
    else:
        o = ours(row[5] if len(row) > 5 else name, what)
    ratio = k / o if what == "lat" else o / k
    print("%-22s %12.1f %12.1f %8.2f  %s" % (title, k, o, ratio, unit))
print("ratio: ours relative to the kernel host, >1 is better for us "
      "(latency: kernel/ours); 'poll' rows: nvmf-host perf --busy-poll, "
      "'blk' rows: the same fio job on nvmf-host's block device "
      "(/dev/nbdN) instead of the kernel's /dev/nvmeXnY")
PY
[ -s "$LAB_OUT/bench.txt" ] || lab_fail "no figures"
while read -r line; do lab_report "$line"; done <"$LAB_OUT/bench.txt"
lab_signal host-done
lab_pass

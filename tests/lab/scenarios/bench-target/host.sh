# bench-target, host node: the same fio jobs against both targets.
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait target-ready 120

# job NAME DEV fio-args...: one timed fio run, JSON output kept
job() {
	local name=$1 dev=$2
	shift 2
	fio --name="$name" --filename="$dev" --ioengine=libaio --direct=1 \
		--time_based --runtime="$RUNTIME" --ramp_time="$RAMP" \
		--output-format=json --output="$LAB_OUT/$name.json" "$@" ||
		lab_fail "fio $name failed"
	python3 - "$LAB_OUT/$name.json" <<'PY' || lab_fail "fio $name reported errors"
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
sys.exit(1 if j["error"] else 0)
PY
}

kdev=$(lab_nvme_connect "$KNQN" "$LAB_PEER" 4420) || exit 1
odev=$(lab_nvme_connect "$ONQN" "$LAB_PEER" 4421) || exit 1
lab_event "kernel target: $kdev, nvmf-tgt: $odev"

for t in kernel ours; do
	[ $t = kernel ] && dev=$kdev || dev=$odev
	job $t-randread "$dev" --rw=randread --bs=4k --iodepth=32
	job $t-randwrite "$dev" --rw=randwrite --bs=4k --iodepth=32
	job $t-seqread "$dev" --rw=read --bs=128k --iodepth=8
	job $t-lat "$dev" --rw=randread --bs=4k --iodepth=1
	lab_event "$t: 4 fio runs done"
done

python3 - "$LAB_OUT" >"$LAB_OUT/bench.txt" <<'PY'
import json, os, sys
d = sys.argv[1]
def get(name):
    return json.load(open(os.path.join(d, name + ".json")))["jobs"][0]
rows = [("4k randread QD32", "randread", "read", "iops", "IOPS"),
        ("4k randwrite QD32", "randwrite", "write", "iops", "IOPS"),
        ("128k seq read QD8", "seqread", "read", "bw", "MiB/s"),
        ("4k read QD1 latency", "lat", "read", "lat", "us (mean)")]
print("%-22s %12s %12s %8s  %s" % ("bench-target", "kernel", "nvmf-tgt",
                                   "ratio", "unit"))
for title, job, rw, what, unit in rows:
    v = []
    for t in ("kernel", "ours"):
        j = get(t + "-" + job)[rw]
        if what == "iops":
            v.append(j["iops"])
        elif what == "bw":
            v.append(j["bw"] / 1024.0)
        else:
            v.append(j["clat_ns"]["mean"] / 1000.0)
    # for latency, lower is better: ratio = kernel / ours
    ratio = v[0] / v[1] if what == "lat" else v[1] / v[0]
    print("%-22s %12.1f %12.1f %8.2f  %s" % (title, v[0], v[1], ratio, unit))
print("ratio: ours relative to the kernel, >1 is better for us "
      "(latency: kernel/ours)")
PY
cat "$LAB_OUT/bench.txt"
while read -r line; do lab_report "$line"; done <"$LAB_OUT/bench.txt"
nvme disconnect -n "$KNQN" >/dev/null 2>&1
nvme disconnect -n "$ONQN" >/dev/null 2>&1
lab_signal host-done
lab_pass

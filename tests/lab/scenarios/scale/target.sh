# scale, target node: the kernel target then nvmf-tgt, MAX subsystems each.
MAX=$MEM_N
for n in $SIZES; do [ "$n" -gt "$MAX" ] && MAX=$n; done
modprobe brd rd_nr="$MAX" rd_size=$((64 * 1024)) || lab_fail "modprobe brd failed"

# MemAvailable in kB, with clean caches, once two readings 1 s apart agree
# within 1 MiB (memory freed late, e.g. by the kernel target's module
# unload, would otherwise count against the next reading)
mem_avail() {
	local a b=0 i
	for i in 1 2 3 4 5 6; do
		sync
		echo 3 >/proc/sys/vm/drop_caches
		sleep 1
		a=$b
		b=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)
		[ "$i" -gt 1 ] && [ $((a - b)) -lt 1024 ] && [ $((b - a)) -lt 1024 ] &&
			break
	done
	echo "$b"
}

# queue memory: MemAvailable before the host connected minus now
report_mem() {	# report_mem WHO BEFORE_KB
	local after q=$((MEM_N * (NQ + 1)))
	after=$(mem_avail)
	echo $(($2 - after)) >"$LAB_OUT/mem-$1"
	lab_report "$1: $q queues ($MEM_N controllers x $((NQ + 1))) took $(($2 - after)) kB of MemAvailable: $((($2 - after) / q)) kB per queue"
}

# ---- 1. the kernel target ----------------------------------------------------
modprobe nvmet_rdma || lab_fail "modprobe nvmet_rdma failed"
p=$NVMET_CFS/ports/1
mkdir "$p" && echo rdma >"$p/addr_trtype" && echo ipv4 >"$p/addr_adrfam" &&
	echo "$LAB_IP" >"$p/addr_traddr" && echo 4420 >"$p/addr_trsvcid" ||
	lab_fail "kernel target port setup failed"
for i in $(seq "$MEM_N"); do
	lab_kernel_subsys "$PFX$i" 1 "/dev/ram$((i - 1))" ||
		lab_fail "kernel target subsystem $i setup failed"
done
before=$(mem_avail)
lab_signal kernel-ready
lab_wait kernel-loaded 300
report_mem "kernel target" "$before"
lab_signal kernel-measured
lab_wait kernel-done 120
lab_kernel_target_teardown
modprobe -r nvmet_rdma nvmet

# ---- 2. nvmf-tgt -------------------------------------------------------------
conf=$LAB_OUT/nvmf-tgt.json
{
	printf '{ "hosts": [], "ports": [ { "portid": 1, "referrals": [],\n'
	printf '  "addr": { "adrfam": "ipv4", "traddr": "%s", "trsvcid": "4420", "trtype": "rdma" },\n' "$LAB_IP"
	printf '  "param": { "inline_data_size": "4096" }, "subsystems": ['
	for i in $(seq "$MAX"); do
		printf '%s"%s%d"' "$([ "$i" -gt 1 ] && echo ,)" "$PFX" "$i"
	done
	printf ' ] } ],\n  "subsystems": ['
	for i in $(seq "$MAX"); do
		printf '%s\n    { "nqn": "%s%d", "allowed_hosts": [], "attr": { "allow_any_host": "1" },' \
			"$([ "$i" -gt 1 ] && echo ,)" "$PFX" "$i"
		printf ' "namespaces": [ { "nsid": 1, "enable": 1, "device": { "path": "/dev/ram%d" } } ] }' $((i - 1))
	done
	printf ' ] }\n'
} >"$conf"
# shellcheck disable=SC2086 # TGT_ARGS: words (e.g. "--log-level debug")
lab_tgt_start "$conf" ${TGT_ARGS:-} || lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
before=$(mem_avail)
lab_report "nvmf-tgt with $MAX subsystems: $(lab_proc_usage nvmf-tgt)"
lab_signal tgt-ready
lab_wait tgt-loaded 300
report_mem nvmf-tgt "$before"
lab_report "nvmf-tgt with $MEM_N controllers after random reads: $(lab_proc_usage nvmf-tgt)"
k=$(cat "$LAB_OUT/mem-kernel target") t=$(cat "$LAB_OUT/mem-nvmf-tgt")
[ "$k" -gt 0 ] &&
	lab_report "queue memory: nvmf-tgt / kernel target = $(awk -v t="$t" -v k="$k" 'BEGIN { printf "%.2f", t / k }')"
lab_signal tgt-measured

# ---- 3. recovery of N controllers after a device reset -----------------------
listening() { [ "$(lab_cm_listeners 4420)" -gt 0 ]; }
# nvmf-tgt's main thread sets the queues up one after the other: "setups
# microseconds longest cpu srq cq qp mem accept" from its counters
# (RUN_DIR/stats.json; the last six are microseconds in all)
setups() {
	python3 -c 'import json
m = json.load(open("/run/nvmf-tgt/stats.json"))["main"]
print(m["queue_setups"], m["queue_setup_us"], m["queue_setup_max_us"],
      m["queue_setup_cpu_us"], m["setup_srq_us"], m["setup_cq_us"], m["setup_qp_us"], m["setup_mem_us"],
      m["setup_accept_us"])'
}
# nvmf-tgt's "shared receive queues grown back" lines (after a reset)
warm_count() { grep -c 'grown back' "$LAB_OUT/nvmf-tgt.log" || :; }
warm_more() { [ "$(warm_count)" -gt "$1" ]; }
# and let go when the queues are back
back_count() { grep -c 'no longer held: the queues are back' "$LAB_OUT/nvmf-tgt.log" || :; }
back_more() { [ "$(back_count)" -gt "$1" ]; }
# per_queue N US0 US1: the microseconds between two readings per queue, in ms
per_queue() {
	awk -v n="$1" -v us=$(($3 - $2)) 'BEGIN { printf "%.1f", n ? us / n / 1000 : 0 }'
}
for who in kernel nvmf-host; do
	for n in $SIZES; do
		lab_wait "connected-$who-$n" 300
		read -r s0 us0 _ cpu0 srq0 cq0 qp0 mem0 acc0 <<<"$(setups)" ||
			lab_fail "no stats.json: $(ls /run/nvmf-tgt)"
		warm0=$(warm_count) back0=$(back_count)
		lab_fault rdma-del || lab_fail "$who N=$n: rdma link delete failed: $LAB_FAULT_ERR"
		del_ms=$LAB_LAST_FAULT_MS
		sleep "$DOWN"
		t_add=$(lab_now_ns)
		lab_cpu_mark -v mark0
		echo "$t_add" >"$LAB_SYNC/add-$who-$n.tmp"
		mv "$LAB_SYNC/add-$who-$n.tmp" "$LAB_SYNC/add-$who-$n"
		lab_fault rdma-add || lab_fail "$who N=$n: rdma link add failed"
		lab_retry 15 listening || lab_fail "$who N=$n: the port is not listening 15 s after rdma link add"
		lab_report "$who N=$n: rdma link delete $del_ms ms; port listening $(lab_ms "$t_add" "$(lab_now_ns)") ms after rdma link add"
		# its shared receive queues grown back before the hosts return
		lab_retry 15 warm_more "$warm0" ||
			lab_fail "$who N=$n: nvmf-tgt did not grow its shared receive queues back after the reset"
		lab_report "$who N=$n: $(grep 'grown back' "$LAB_OUT/nvmf-tgt.log" | tail -1 | sed 's/.*rdma: //')"
		lab_wait "live-$who-$n" 300
		lab_cpu_mark -v mark1
		lab_report "$who N=$n: target VM from rdma link add to all live: $(lab_cpu_busy "$mark0" "$mark1")"
		sleep 0.5 # the counters are written 4 times a second
		read -r s1 us1 max cpu1 srq1 cq1 qp1 mem1 acc1 <<<"$(setups)"
		q=$((s1 - s0))
		lab_report "$who N=$n: nvmf-tgt's main thread set up $q queues in $(((us1 - us0) / 1000)) ms in all ($(per_queue $q "$us0" "$us1") ms each: CPU $(per_queue $q "$cpu0" "$cpu1") ms, shared receive queue $(per_queue $q "$srq0" "$srq1") ms, CQ $(per_queue $q "$cq0" "$cq1") ms, QP $(per_queue $q "$qp0" "$qp1") ms, buffers $(per_queue $q "$mem0" "$mem1") ms, accept $(per_queue $q "$acc0" "$acc1") ms; the longest since start $((max / 1000)) ms)"
		lab_retry 10 back_more "$back0" ||
			lab_fail "$who N=$n: all $n controllers are back, but nvmf-tgt still holds the shared receive queues it grew back for them"
		lab_report "$who N=$n: $(grep 'no longer held' "$LAB_OUT/nvmf-tgt.log" | tail -1 | sed 's/^\([^ ]*\) .*rdma: /\1 /')"
		lab_signal "measured-$who-$n" # the host goes on
		lab_wait "recovered-$who-$n" 300
	done
done
lab_wait host-done 300
lab_report "nvmf-tgt at the end: $(lab_proc_usage nvmf-tgt)"
lab_tgt_stop || lab_fail "nvmf-tgt did not stop cleanly"
lab_pass

# kernel-host-link-flap-baseline, host node: the kernel host, an eth0 flap.
modprobe nvme_rdma
lab_wait target-ready 120
dev=$(lab_nvme_connect "$NQN" "$LAB_PEER" 4420 --ctrl-loss-tmo=-1 --reconnect-delay=1) || exit 1
( for i in $(seq 600); do dd if=$dev of=/dev/null bs=4k count=1 iflag=direct status=none && lab_now_ns; sleep 0.1; done > $LAB_OUT/probe.txt ) &
sleep 3
lab_fault link-down
sleep 3
t=$(lab_now_ns)
lab_fault link-up
for i in $(seq 60); do
	st=$(lab_nvme_state "$NQN"); lab_event "state $st"; [ "$st" = live ] && break; sleep 1
done
first=$(awk -v t="$t" '$1 > t { print $1; exit }' "$LAB_OUT/probe.txt")
lab_report "kernel host after host link flap: state $st, first I/O ${first:+$(lab_ms $t $first) ms}"
lab_signal host-done
lab_pass

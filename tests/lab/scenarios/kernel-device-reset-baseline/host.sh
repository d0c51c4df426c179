# kernel-device-reset-baseline, host node: the kernel host with
# --ctrl-loss-tmo=-1 --reconnect-delay=1 doing verified writes while the
# target node's device is reset; record what it does afterwards.
NQN=nqn.2014-08.org.nvmf-lab:baseline
modprobe nvme_rdma || lab_fail "modprobe nvme_rdma failed"
lab_wait target-ready 120
dev=$(lab_nvme_connect "$NQN" "$LAB_PEER" 4420 --ctrl-loss-tmo=-1 \
	--reconnect-delay=1) || exit 1
lab_event "connected: $dev"

lab_fio_verify randwrite "$dev" --rw=randwrite --bs=4k --iodepth=16 \
	--size=64M &
fio_pid=$!
lab_signal host-io-running

lab_wait device-returned 120
lab_event "state when the device returned: $(lab_nvme_state "$NQN")"
deadline=$((SECONDS + OBSERVE))
states=""
while [ $SECONDS -lt $deadline ]; do
	st=$(lab_nvme_state "$NQN")
	case " $states " in *" $st "*) ;; *) states="$states $st"; lab_event "state: $st" ;; esac
	if [ "$st" = live ]; then
		lab_fail "the kernel host reconnected (live) after the device returned: the baseline no longer holds"
	fi
	sleep 1
done
st=$(lab_nvme_state "$NQN")
attempts=$(dmesg | grep -c 'Failed reconnect attempt')
lab_event "after ${OBSERVE}s: state $st, $attempts failed reconnect attempts"
lab_signal host-observed
[ "$st" = connecting ] ||
	lab_fail "expected the kernel host to be 'connecting' ${OBSERVE}s after the device returned, found '$st'"
kill -0 "$fio_pid" 2>/dev/null ||
	lab_fail "fio finished although the controller never came back"
lab_report "kernel host: still 'connecting' ${OBSERVE}s after the target's device returned ($attempts failed reconnects); fio hung"
lab_pass

tdel() {
	local t0 t1
	t0=$(date +%s%N); rdma link delete rxe0; t1=$(date +%s%N)
	lab_report "$1: delete $(( (t1 - t0) / 1000000 )) ms"
	sleep 1; rdma link add rxe0 type rxe netdev eth0; sleep 2
}
lab_wait target-ready 120
for i in 1 2 3; do tdel "idle, no daemon $i"; done
modprobe fuse
C=$(lab_host_connect "$NQN_T" "$LAB_PEER" 4421 -c 1 -l -1 2>&1) || lab_fail "connect: $C"
sleep 2
for i in 1 2 3; do tdel "one idle nvmf-host $i"; lab_retry 20 bash -c "[ \"\$(sed -n 's/.*\"state\": *\"\([a-z]*\)\".*/\1/p' /run/nvmf-host/ctrl/$C/status.json)\" = live ]"; done
fio --name=x --filename=$(lab_host_file $C) --rw=randread --bs=4k --iodepth=16 --ioengine=libaio --direct=1 --time_based --runtime=60 --output=/dev/null &
sleep 3
for i in 1 2 3; do tdel "nvmf-host under fio $i"; lab_retry 20 bash -c "[ \"\$(sed -n 's/.*\"state\": *\"\([a-z]*\)\".*/\1/p' /run/nvmf-host/ctrl/$C/status.json)\" = live ]"; sleep 2; done
kill %1; wait
cp /run/nvmf-host/ctrl/$C/status.json $LAB_OUT/ 2>/dev/null
"$NVMF_HOST" disconnect-all
lab_signal host-done
lab_pass

# host-timeouts, target node: nvmf-tgt, killed for OUTAGE seconds.
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
# namespace 2: a device-mapper device that can be suspended, so that
# nvmf-tgt never answers a command to it
modprobe dm-mod || lab_fail "modprobe dm-mod failed"
dmsetup create --noudevsync stuck --table "0 $(blockdev --getsz /dev/ram1) linear /dev/ram1 0" ||
	lab_fail "dmsetup create failed"
dmsetup mknodes stuck	# no udev in the guest
[ -b /dev/mapper/stuck ] || lab_fail "no /dev/mapper/stuck: $(ls /dev/mapper)"
lab_tgt_config "$LAB_OUT/nvmf-tgt.json" "$NQN" /dev/ram0
sed -i 's|"nsid": 1 }|"nsid": 1 },\n        { "device": { "path": "/dev/mapper/stuck" }, "enable": 1, "nsid": 2 }|' \
	"$LAB_OUT/nvmf-tgt.json"
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not start: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
lab_signal target-ready
lab_wait outage 120
echo "$(lab_now_ns)" >"$LAB_SYNC/killed-at"
lab_fault kill nvmf-tgt
mv "$LAB_OUT/nvmf-tgt.log" "$LAB_OUT/nvmf-tgt.log.1"
sleep "$OUTAGE"
lab_tgt_start "$LAB_OUT/nvmf-tgt.json" ||
	lab_fail "nvmf-tgt did not restart: $(tail -2 "$LAB_OUT/nvmf-tgt.log")"
echo "$(lab_now_ns)" >"$LAB_SYNC/back-at"
lab_signal target-back
lab_wait suspend 200
dmsetup suspend --noudevsync stuck || lab_fail "dmsetup suspend failed"
lab_event "namespace 2 suspended: nvmf-tgt will not answer its I/O"
lab_signal suspended
lab_wait resume 400
dmsetup resume --noudevsync stuck || lab_fail "dmsetup resume failed"
lab_signal resumed
lab_wait host-done 200
lab_tgt_stop || lab_fail "nvmf-tgt did not shut down cleanly"
lab_pass

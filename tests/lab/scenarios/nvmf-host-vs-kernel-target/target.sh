# nvmf-host-vs-kernel-target, target node: the kernel nvmet-rdma target,
# configured with our nvmetcli (restore; save must give the input back).
NVMETCLI=$LAB_BUILD/nvmetcli/nvmetcli
modprobe brd rd_nr=2 rd_size=$((256 * 1024)) || lab_fail "modprobe brd failed"
modprobe nvmet_rdma || lab_fail "modprobe nvmet_rdma failed"
cat >"$LAB_OUT/in.json" <<JSON
{
  "hosts": [],
  "ports": [
    {
      "addr": {"adrfam": "ipv4", "traddr": "$LAB_IP", "trsvcid": "4420",
               "trtype": "rdma"},
      "portid": 1,
      "referrals": [],
      "subsystems": ["$NQN"]
    }
  ],
  "subsystems": [
    {
      "allowed_hosts": [],
      "attr": {"allow_any_host": "1", "serial": "0123456789abcdef",
               "model": "nvmetcli-lab"},
      "namespaces": [
        {"device": {"path": "/dev/ram0",
                    "uuid": "5ea9e2d4-3f4c-4b7e-9a61-0a1b2c3d4e5f"},
         "enable": 1, "nsid": 1}
      ],
      "nqn": "$NQN"
    }
  ]
}
JSON
"$NVMETCLI" restore "$LAB_OUT/in.json" 2>"$LAB_OUT/restore.err" ||
	lab_fail "nvmetcli restore into the kernel configfs failed: $(cat "$LAB_OUT/restore.err")"
"$NVMETCLI" save "$LAB_OUT/saved1.json" || lab_fail "nvmetcli save failed"
# every item and value of the input comes back (the kernel adds its defaults)
python3 - "$LAB_OUT/in.json" "$LAB_OUT/saved1.json" <<'PY' ||
import json, sys
def sub(a, b, where):
    if isinstance(a, dict):
        for k, v in a.items():
            if k not in b:
                sys.exit("%s.%s missing in the saved file" % (where, k))
            sub(v, b[k], where + "." + k)
    elif isinstance(a, list):
        if len(a) != len(b):
            sys.exit("%s: %d items, saved %d" % (where, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            sub(x, y, "%s[%d]" % (where, i))
    elif a != b:
        sys.exit("%s: %r, saved %r" % (where, a, b))
sub(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), "")
PY
	lab_fail "the saved configuration differs from the restored one"
# and the saved file is a fixed point: clear, restore it, save again
"$NVMETCLI" clear || lab_fail "nvmetcli clear failed"
left=$(find /sys/kernel/config/nvmet/subsystems /sys/kernel/config/nvmet/ports \
	/sys/kernel/config/nvmet/hosts -mindepth 1 -maxdepth 1)
[ -z "$left" ] || lab_fail "nvmetcli clear left: $left"
"$NVMETCLI" restore "$LAB_OUT/saved1.json" 2>"$LAB_OUT/restore.err" ||
	lab_fail "restore of the saved file failed: $(cat "$LAB_OUT/restore.err")"
"$NVMETCLI" save "$LAB_OUT/saved2.json" || lab_fail "second save failed"
cmp -s "$LAB_OUT/saved1.json" "$LAB_OUT/saved2.json" ||
	lab_fail "save/clear/restore/save is not stable: $(diff "$LAB_OUT/saved1.json" "$LAB_OUT/saved2.json" | head -3)"
"$NVMETCLI" --no-color ls >"$LAB_OUT/ls.txt" || lab_fail "nvmetcli ls failed"
grep -q "o- 1 \[rdma $LAB_IP:4420\] bound" "$LAB_OUT/ls.txt" ||
	lab_fail "nvmetcli ls: port 1 not shown bound: $(cat "$LAB_OUT/ls.txt")"
lab_event "kernel target configured by nvmetcli restore; save gives the input back; ls: port 1 bound"
lab_report "nvmetcli on the kernel configfs: restore, save (input reproduced, $(wc -l <"$LAB_OUT/saved1.json") lines), clear, restore, save (identical), ls"
lab_signal target-ready
# connect-all --persistent: a subsystem added to the port later
lab_wait add-subsys 460
lab_kernel_subsys "$NQN-2" 1 /dev/ram1 || lab_fail "cannot add $NQN-2"
lab_event "added $NQN-2 to port 1 (the kernel target notifies discovery controllers)"
lab_signal subsys-added
lab_wait host-done 120
"$NVMETCLI" clear || lab_fail "nvmetcli clear failed"
lab_pass

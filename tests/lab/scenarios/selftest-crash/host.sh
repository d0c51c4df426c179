# selftest-crash, host node: a controller daemon of nvmf-host dies of
# SIGABRT (not a child of this script: found by its core).
lab_wait target-ready 100
c=$(lab_host_connect "$NQN" "$LAB_PEER" 4420 2>&1) || lab_fail "connect: $c"
kill -ABRT "$(lab_host_pid "$c")"
sleep 2
lab_signal host-killed
lab_pass

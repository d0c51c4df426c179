# selftest-hang, host node: hang the kernel (panic without reboot).
lab_event "hanging the guest kernel"
sync
echo 0 >/proc/sys/kernel/panic
echo c >/proc/sysrq-trigger
sleep 1000

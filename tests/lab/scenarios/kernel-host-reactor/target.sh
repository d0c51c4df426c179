# kernel-host-reactor, target node: the kernel target with two subsystems
# (the second without a namespace) on one port; nothing happens here.
modprobe brd rd_nr=1 rd_size=$((64 * 1024)) || lab_fail "modprobe brd failed"
lab_kernel_target_setup "$NQN" 1 4420 64 || lab_fail "kernel target setup failed"
lab_kernel_subsys "$NQN2" 1 || lab_fail "second subsystem setup failed"
lab_signal target-ready
# about 20 s a cycle in TCG, with room
lab_wait host-done $((160 + 40 * CYCLES))
lab_kernel_target_teardown
lab_pass

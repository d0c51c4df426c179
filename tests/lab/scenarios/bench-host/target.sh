# bench-host, target node: the kernel target on a brd RAM disk.
lab_kernel_target_setup "$NQN" 1 4420 || lab_fail "kernel target setup failed"
lab_signal target-ready
lab_wait host-done 1180
lab_kernel_target_teardown
lab_pass

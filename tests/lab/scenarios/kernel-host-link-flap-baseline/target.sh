# kernel-host-link-flap-baseline, target node: the kernel target.
lab_kernel_target_setup "$NQN" 1 4420 || lab_fail "kernel target setup failed"
lab_signal target-ready
lab_wait host-done 190
lab_pass

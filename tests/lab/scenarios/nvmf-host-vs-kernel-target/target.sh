# nvmf-host-vs-kernel-target, target node: the kernel nvmet-rdma target.
lab_kernel_target_setup "$NQN" || lab_fail "kernel target setup failed"
lab_signal target-ready
lab_wait host-done 460
lab_kernel_target_teardown
lab_pass

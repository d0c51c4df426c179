# kernel-peers, target node: the kernel nvmet-rdma target.
NQN=nqn.2014-08.org.nvmf-lab:kernel-peers
lab_kernel_target_setup "$NQN" 1 4420 256 ||
	lab_fail "kernel target setup failed"
lab_signal target-ready
lab_wait host-done 270
lab_kernel_target_teardown || lab_fail "kernel target teardown failed"
lab_pass

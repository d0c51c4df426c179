# Empty dependencies file for test_nvme_spec.
# This may be replaced when dependencies are built.

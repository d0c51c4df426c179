# Empty dependencies file for test_nqn.
# This may be replaced when dependencies are built.

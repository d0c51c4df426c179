# Empty dependencies file for test_args.
# This may be replaced when dependencies are built.

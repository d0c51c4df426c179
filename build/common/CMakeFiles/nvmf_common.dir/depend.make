# Empty dependencies file for nvmf_common.
# This may be replaced when dependencies are built.

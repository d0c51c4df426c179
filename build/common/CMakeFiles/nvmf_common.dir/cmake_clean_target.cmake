file(REMOVE_RECURSE
  "libnvmf_common.a"
)

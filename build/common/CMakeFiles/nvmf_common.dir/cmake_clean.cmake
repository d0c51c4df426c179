file(REMOVE_RECURSE
  "CMakeFiles/nvmf_common.dir/args.c.o"
  "CMakeFiles/nvmf_common.dir/args.c.o.d"
  "CMakeFiles/nvmf_common.dir/log.c.o"
  "CMakeFiles/nvmf_common.dir/log.c.o.d"
  "CMakeFiles/nvmf_common.dir/loop.c.o"
  "CMakeFiles/nvmf_common.dir/loop.c.o.d"
  "CMakeFiles/nvmf_common.dir/nqn.c.o"
  "CMakeFiles/nvmf_common.dir/nqn.c.o.d"
  "libnvmf_common.a"
  "libnvmf_common.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/nvmf_common.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/test_nqn.dir/test_nqn.c.o"
  "CMakeFiles/test_nqn.dir/test_nqn.c.o.d"
  "test_nqn"
  "test_nqn.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_nqn.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

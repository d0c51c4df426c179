file(REMOVE_RECURSE
  "CMakeFiles/test_args.dir/test_args.c.o"
  "CMakeFiles/test_args.dir/test_args.c.o.d"
  "test_args"
  "test_args.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_args.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

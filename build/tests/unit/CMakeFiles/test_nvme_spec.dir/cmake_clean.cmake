file(REMOVE_RECURSE
  "CMakeFiles/test_nvme_spec.dir/test_nvme_spec.c.o"
  "CMakeFiles/test_nvme_spec.dir/test_nvme_spec.c.o.d"
  "test_nvme_spec"
  "test_nvme_spec.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_nvme_spec.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

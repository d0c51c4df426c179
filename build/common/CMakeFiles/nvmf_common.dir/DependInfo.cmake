
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/common/args.c" "common/CMakeFiles/nvmf_common.dir/args.c.o" "gcc" "common/CMakeFiles/nvmf_common.dir/args.c.o.d"
  "/work/main/common/log.c" "common/CMakeFiles/nvmf_common.dir/log.c.o" "gcc" "common/CMakeFiles/nvmf_common.dir/log.c.o.d"
  "/work/main/common/loop.c" "common/CMakeFiles/nvmf_common.dir/loop.c.o" "gcc" "common/CMakeFiles/nvmf_common.dir/loop.c.o.d"
  "/work/main/common/nqn.c" "common/CMakeFiles/nvmf_common.dir/nqn.c.o" "gcc" "common/CMakeFiles/nvmf_common.dir/nqn.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")

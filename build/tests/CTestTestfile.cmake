# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[style.clang-format]=] "/work/main/scripts/check-format.sh" "/usr/bin/clang-format")
set_tests_properties([=[style.clang-format]=] PROPERTIES  LABELS "unit;style" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;7;add_test;/work/main/tests/CMakeLists.txt;0;")
subdirs("unit")

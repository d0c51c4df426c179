# CMake generated Testfile for 
# Source directory: /work/main/tests/unit
# Build directory: /work/main/build/tests/unit
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[unit.test_nvme_spec]=] "/work/main/build/tests/unit/test_nvme_spec")
set_tests_properties([=[unit.test_nvme_spec]=] PROPERTIES  LABELS "unit" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/unit/CMakeLists.txt;7;add_test;/work/main/tests/unit/CMakeLists.txt;0;")
add_test([=[unit.test_nqn]=] "/work/main/build/tests/unit/test_nqn")
set_tests_properties([=[unit.test_nqn]=] PROPERTIES  LABELS "unit" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/unit/CMakeLists.txt;7;add_test;/work/main/tests/unit/CMakeLists.txt;0;")
add_test([=[unit.test_loop]=] "/work/main/build/tests/unit/test_loop")
set_tests_properties([=[unit.test_loop]=] PROPERTIES  LABELS "unit" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/unit/CMakeLists.txt;7;add_test;/work/main/tests/unit/CMakeLists.txt;0;")
add_test([=[unit.test_args]=] "/work/main/build/tests/unit/test_args")
set_tests_properties([=[unit.test_args]=] PROPERTIES  LABELS "unit" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/unit/CMakeLists.txt;7;add_test;/work/main/tests/unit/CMakeLists.txt;0;")
add_test([=[unit.test_log]=] "/work/main/build/tests/unit/test_log")
set_tests_properties([=[unit.test_log]=] PROPERTIES  LABELS "unit" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/unit/CMakeLists.txt;7;add_test;/work/main/tests/unit/CMakeLists.txt;0;")

# jobq_library() and jobq_test(), modelled on abseil's absl_cc_library: one
# target per component, includes rooted at the repository, explicit deps.

set(JOBQ_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)
# GCC 12 at -O3 (the Release build) reports -Wrestrict inside libstdc++'s
# char_traits for any `"literal" + std::string`, a false positive (GCC bug
# 105329, fixed in GCC 13). Off for that compiler's Release build only, as
# warnings are errors here; every other build type and compiler keeps it.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND JOBQ_WARNINGS $<$<CONFIG:Release>:-Wno-restrict>)
endif()

# jobq_library(NAME SRCS ... DEPS ... [PRIVATE_DEPS ...])
function(jobq_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${ARG_NAME} PRIVATE ${JOBQ_WARNINGS})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# jobq_executable(NAME SRCS ... DEPS ...)
function(jobq_executable)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${ARG_NAME} PRIVATE ${JOBQ_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  if(JOBQ_JEMALLOC)
    target_link_libraries(${ARG_NAME} PRIVATE ${JEMALLOC_LIBRARY})
  endif()
  jobq_sanitizer_defaults(${ARG_NAME})
endfunction()

# In a JOBQ_SANITIZE build (cmake/Sanitize.cmake), the sanitizers' default
# options and suppressions go into every executable.
function(jobq_sanitizer_defaults target)
  if(TARGET jobq_sanitizer_defaults)
    target_link_libraries(${target} PRIVATE jobq_sanitizer_defaults)
  endif()
endfunction()

# jobq_test(NAME SRCS ... DEPS ... [LABELS ...]): one GoogleTest binary,
# each test registered with CTest by gtest_discover_tests. Labels: unit, sim,
# integration (scripts/sanitize asan runs all three; scripts/test's plain
# stage runs sim), tsan for the threaded parts that scripts/sanitize tsan
# runs, and plain for unit or integration tests that the plain stage runs
# too.
function(jobq_test)
  # TIMEOUT (seconds) for tests that need more than ctest's --timeout.
  # COST: ctest starts the costliest tests first. A fresh build directory
  # (CI's) has no timings of earlier runs, and a long test started last
  # runs alone on one core while the other idles.
  # ONE_PROCESS: one CTest test for the whole binary, in every build, for
  # binaries whose cases share something costly to start (a PostgreSQL
  # server each: 2 s a case, most of their time, when each ran alone).
  cmake_parse_arguments(ARG "ONE_PROCESS" "NAME;TIMEOUT;COST" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${ARG_NAME} PRIVATE ${JOBQ_WARNINGS})
  # A test's own code (GoogleTest's macros, mostly) is compiled without
  # optimisation, after the build type's flags so that it wins: it runs
  # once, and -O0 -g1 compiles it 2.5 times faster than -O2 -g (half the
  # time under the sanitizers), which is most of the test command's build.
  # The code under test is the libraries', built as shipped. The simulation
  # keeps the build's flags: its model and checkers run millions of steps.
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT "sim" IN_LIST ARG_LABELS)
    target_compile_options(${ARG_NAME} PRIVATE -O0 -g1)
    # The headers every test parses, parsed once (tests/pch/precompiled.h),
    # and -pthread, which it was compiled with (from gRPC's flags): GCC
    # ignores a precompiled header compiled with other macros defined, and
    # -pthread defines _REENTRANT.
    target_compile_options(${ARG_NAME} PRIVATE -pthread)
    target_precompile_headers(${ARG_NAME} REUSE_FROM jobq_test_pch)
  endif()
  jobq_sanitizer_defaults(${ARG_NAME})
  set_property(GLOBAL APPEND PROPERTY JOBQ_TESTS ${ARG_NAME})
  # The unit and integration suites run in scripts/test's ASan stage only
  # (jobq_plain_stage() below says why), but for those labelled plain too.
  if(("unit" IN_LIST ARG_LABELS OR "integration" IN_LIST ARG_LABELS)
     AND NOT "plain" IN_LIST ARG_LABELS)
    set_property(GLOBAL APPEND PROPERTY JOBQ_ASAN_STAGE_TESTS ${ARG_NAME})
  endif()
  # Label tsan: the threaded parts, which scripts/sanitize tsan builds and runs.
  if("tsan" IN_LIST ARG_LABELS)
    set_property(GLOBAL APPEND PROPERTY JOBQ_TSAN_TESTS ${ARG_NAME})
  endif()
  set(timeout_property "")
  if(ARG_TIMEOUT)
    # The sanitized programs are slower (cmake/Sanitize.cmake).
    if(JOBQ_SANITIZE)
      math(EXPR ARG_TIMEOUT "${ARG_TIMEOUT} * 4")
    endif()
    set(timeout_property TIMEOUT ${ARG_TIMEOUT})
  endif()
  set(cost_property "")
  if(ARG_COST)
    set(cost_property COST ${ARG_COST})
  endif()
  # One label: gtest_discover_tests passes the properties on as a list and
  # "unit;tsan" would become the label unit and a property named tsan. So
  # LABELS unit tsan gives the label "unit+tsan", which ctest -L unit and
  # ctest -L tsan (regular expressions) both select.
  list(JOIN ARG_LABELS "+" labels)
  if(ARG_ONE_PROCESS OR (JOBQ_SANITIZE AND "unit" IN_LIST ARG_LABELS))
    # One CTest test per binary: an instrumented process takes a quarter of
    # a second to start and exit, and the unit tests' 900 cases, a process
    # each, spent most of their 290 s of the ASan stage doing that. The
    # plain build keeps a test per case, which names the case that failed
    # in ctest's summary (here the binary's output does).
    add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
    set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${labels}" ${timeout_property}
                                                ${cost_property})
  else()
    gtest_discover_tests(${ARG_NAME}
      PROPERTIES LABELS "${labels}" ${timeout_property} ${cost_property}
      DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# jobq_pytest(LABEL label TIMEOUT seconds [COST cost] FILES test_*.py ...
#             PYTHONPATH dir ... [ENVIRONMENT VAR=value ...]): one CTest test
# per pytest file (named LABEL_<file's path without .py, / as _>), run with
# Debian's python3 against this build's broker, worker and CLI (JOBQ_BROKER,
# JOBQ_WORKER, JOBQ_CLI), from the current binary directory.
function(jobq_pytest)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT;COST" "FILES;PYTHONPATH;ENVIRONMENT" ${ARGN})
  list(JOIN ARG_PYTHONPATH ":" python_path)
  set(environment
    "PYTHONPATH=${python_path}" PYTHONDONTWRITEBYTECODE=1
    "JOBQ_BROKER=$<TARGET_FILE:jobq-broker>" "JOBQ_WORKER=$<TARGET_FILE:jobq-worker>"
    "JOBQ_CLI=$<TARGET_FILE:jobq>" ${ARG_ENVIRONMENT})
  set(cost_property "")
  if(ARG_COST)
    set(cost_property COST ${ARG_COST})
  endif()
  foreach(test_file IN LISTS ARG_FILES)
    string(REGEX REPLACE "\\.py$" "" test_name "${ARG_LABEL}/${test_file}")
    string(REPLACE "/" "_" test_name "${test_name}")
    add_test(NAME ${test_name}
      # No cache directory in the source tree; -rfE names what failed.
      COMMAND /usr/bin/python3 -m pytest -q -rfE -p no:cacheprovider
              ${CMAKE_CURRENT_SOURCE_DIR}/${test_file}
      WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    set_tests_properties(${test_name} PROPERTIES
      LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT} ${cost_property}
      ENVIRONMENT "${environment}")
  endforeach()
endfunction()

# jobq_targets_below(OUT DIR): every target defined in DIR and the
# directories below it.
function(jobq_targets_below out dir)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirectories DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdirectory IN LISTS subdirectories)
    jobq_targets_below(below ${subdirectory})
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# jobq_plain_stage(): the target jobq_plain_stage, what scripts/test's plain
# stage builds: everything `all` builds but the unit and integration
# GoogleTest binaries not labelled plain. Those suites run in the ASan stage
# alone, with the same compiler (clang) and sources, under AddressSanitizer
# and UBSan, which check what a plain run checks and memory besides;
# building and running them twice cost the test command about 4 minutes of
# its 30 on two cores.
# The plain stage keeps what needs the shipped programs' speed or exercises
# them whole: the simulation's 1,000 seeds, the crash and failover tests'
# full streams (label plain), the Python, dashboard, multi-host and
# benchmark suites, and the checks of style and man pages.
# Called last, when every target is defined.
function(jobq_plain_stage)
  jobq_targets_below(targets ${PROJECT_SOURCE_DIR})
  get_property(asan_stage_tests GLOBAL PROPERTY JOBQ_ASAN_STAGE_TESTS)
  set(plain_stage "")
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    get_target_property(not_in_all ${target} EXCLUDE_FROM_ALL)
    get_target_property(source_dir ${target} SOURCE_DIR)
    file(RELATIVE_PATH source_dir ${PROJECT_SOURCE_DIR} ${source_dir})
    # The tests' own libraries come in as the dependencies of what uses
    # them; the plugins of tests/unit are the unit tests'.
    if(not_in_all OR type STREQUAL "INTERFACE_LIBRARY" OR target IN_LIST asan_stage_tests
       OR (source_dir MATCHES "^tests(/|$)" AND type MATCHES "^(STATIC|OBJECT)_LIBRARY$")
       OR (source_dir MATCHES "^tests/unit(/|$)" AND type MATCHES "^(SHARED|MODULE)_LIBRARY$"))
      continue()
    endif()
    list(APPEND plain_stage ${target})
  endforeach()
  add_custom_target(jobq_plain_stage)
  add_dependencies(jobq_plain_stage ${plain_stage})
endfunction()
